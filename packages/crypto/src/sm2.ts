import { createHmac } from 'node:crypto';
import { mod } from '@noble/curves/abstract/modular.js';
import {
  type WeierstrassOpts,
  type WeierstrassPoint,
  weierstrass,
} from '@noble/curves/abstract/weierstrass.js';
import {
  assertBytes,
  bigintToBytes,
  bytesToBigint,
  bytesToHex,
  concatBytes,
  equalBytes,
  utf8ToBytes,
} from './bytes.js';
import { WeftError } from './errors.js';
import { sm3 } from './hash.js';
import type { CryptoSuite, KeyPair } from './suite.js';

/**
 * SM2 digital signatures (GB/T 32918.2-2016, identical to GM/T 0003.2-2012) on the recommended
 * 256-bit curve (GB/T 32918.5-2017), and the `sm` crypto suite built on them.
 *
 * Why this is written here instead of calling a library (bench/crypto-suites.js, ops/s on the
 * 2-core reference machine, best of interleaved rounds):
 * - Node's OpenSSL only offers plain ECDSA on the SM2 curve through `crypto.sign`/`verify`; it
 *   exposes no way to set the SM2 distinguishing identifier, so it cannot produce the standard
 *   e = SM3(Z_A ‖ M) with ID `1234567812345678`.
 * - sm-crypto-v2 verifies ≈330/s (hex strings throughout); the same steps on @noble/curves v2's
 *   Weierstrass arithmetic verify ≈540/s for a key never seen before.
 * - That cost is dominated by t·P_A. Chains see the same keys again and again (sealers sign
 *   every vote, accounts send many transactions), so the suite caches decoded keys and, from a
 *   key's 4th use on, a width-4 wNAF table for it: verify then runs ≈1,700/s (5× sm-crypto-v2),
 *   at ≈130 KiB per cached key. The cache is bounded (LRU); see `createSmSuite`.
 * - Signing runs ≈2,400/s, 0.77× sm-crypto-v2: noble v2 blinds the secret scalar (64 extra random
 *   bits) and nonces are hedged (below); neither is worth trading for speed.
 * Scalars and points are bigints; this is not constant-time in the way native code can be. Signing
 * uses noble's blinded, fixed-pattern `multiply`; verification touches public data only.
 */

/** Recommended curve parameters, GB/T 32918.5-2017 §3 (y² = x³ + ax + b over F_p). */
const SM2_CURVE: WeierstrassOpts<bigint> = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

const N = SM2_CURVE.n;
const Sm2Point = weierstrass(SM2_CURVE);
type Sm2PointType = WeierstrassPoint<bigint>;
// A width-8 table for G (built lazily on first use, ≈45 ms, ≈1 MB) makes k·G and s·G ≈25% faster
// than noble's default width 6 (measured).
Sm2Point.BASE.precompute(8);

const FIELD_LENGTH = 32;
const DIGEST_LENGTH = 32;
const PRIVATE_KEY_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 64;
/** r ‖ s, 32 bytes each. */
const RAW_SIGNATURE_LENGTH = 64;
/** The `sm` suite's signature: r ‖ s ‖ public key, because SM2 cannot recover the key. */
const SUITE_SIGNATURE_LENGTH = RAW_SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH;
/** ENTL is two bytes holding the ID's length in bits (GB/T 32918.2 §5.5). */
const MAX_USER_ID_LENGTH = 0xffff >> 3;

/**
 * The default distinguishing identifier, `1234567812345678` (GM/T 0009-2012 §10). FISCO BCOS,
 * GmSSL, Tongsuo and BouncyCastle all use it when no ID is agreed.
 */
export const SM2_DEFAULT_USER_ID = '1234567812345678';
const DEFAULT_USER_ID_BYTES = utf8ToBytes(SM2_DEFAULT_USER_ID);

const CURVE_CONSTANTS_BYTES = concatBytes(
  bigintToBytes(SM2_CURVE.a, FIELD_LENGTH),
  bigintToBytes(SM2_CURVE.b, FIELD_LENGTH),
  bigintToBytes(SM2_CURVE.Gx, FIELD_LENGTH),
  bigintToBytes(SM2_CURVE.Gy, FIELD_LENGTH),
);

function zPrefix(userId: Uint8Array): Uint8Array {
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new WeftError('INVALID_LENGTH', `an SM2 user id is at most ${MAX_USER_ID_LENGTH} bytes`);
  }
  const bits = userId.length * 8;
  return concatBytes(Uint8Array.of(bits >> 8, bits & 0xff), userId, CURVE_CONSTANTS_BYTES);
}

/** ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G for the default ID, hashed in front of every key. */
const DEFAULT_Z_PREFIX = zPrefix(DEFAULT_USER_ID_BYTES);

/**
 * Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), GB/T 32918.2-2016 §5.5: binds the
 * signer's identity and key into every signed message. `publicKey` is x_A ‖ y_A (64 bytes); it is
 * hashed as given, not validated.
 */
export function sm2ComputeZ(publicKey: Uint8Array, userId?: Uint8Array): Uint8Array {
  assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
  if (userId !== undefined) assertBytes(userId, undefined, 'user id');
  const prefix = userId === undefined ? DEFAULT_Z_PREFIX : zPrefix(userId);
  return sm3(concatBytes(prefix, publicKey));
}

/** e = SM3(Z_A ‖ M) as an integer (GB/T 32918.2 §6.1 steps A1–A3 and §7.1 steps B3–B4). */
function messageRepresentative(
  message: Uint8Array,
  publicKey: Uint8Array,
  userId: Uint8Array | undefined,
): bigint {
  return bytesToBigint(sm3(concatBytes(sm2ComputeZ(publicKey, userId), message)));
}

/** The private key as an integer in [1, n-2], or INVALID_KEY. */
function privateKeyToScalar(privateKey: Uint8Array): bigint {
  assertBytes(privateKey, PRIVATE_KEY_LENGTH, 'private key');
  const d = bytesToBigint(privateKey);
  // GB/T 32918.1-2016 §6.1 draws d from [1, n-2]: signing divides by 1 + d, which is 0 mod n for
  // d = n - 1. The message names the rule, never the key.
  if (d < 1n || d > N - 2n)
    throw new WeftError('INVALID_KEY', 'SM2 private key must be an integer in [1, n-2]');
  return d;
}

function pointToPublicKey(point: Sm2PointType): Uint8Array {
  const { x, y } = point.toAffine();
  return concatBytes(bigintToBytes(x, FIELD_LENGTH), bigintToBytes(y, FIELD_LENGTH));
}

/**
 * Decodes x ‖ y into a curve point, checking GB/T 32918.1-2016 §6.2.1 public-key validation:
 * not the point at infinity, coordinates in [0, p-1], on the curve (the cofactor is 1, so a point
 * on the curve has order n).
 */
function publicKeyToPoint(publicKey: Uint8Array): Sm2PointType {
  assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
  try {
    const point = Sm2Point.fromAffine({
      x: bytesToBigint(publicKey.subarray(0, FIELD_LENGTH)),
      y: bytesToBigint(publicKey.subarray(FIELD_LENGTH)),
    });
    point.assertValidity();
    return point;
  } catch (cause) {
    throw new WeftError('INVALID_KEY', 'public key is not a point on the SM2 curve', { cause });
  }
}

/**
 * A hedged nonce k ∈ [1, n-1]: HMAC-SM3 keyed with d over (e, 32 fresh random bytes), expanded to
 * 512 bits and reduced, so the bias is ≈2^-256. If the system RNG is broken the nonce still
 * differs for every message (the idea of RFC 6979 §3.6's "additional data" and of
 * draft-irtf-cfrg-det-sigs-with-noise), and if d or e repeat the fresh bytes still vary k.
 */
function hedgedNonce(privateKey: Uint8Array, e: Uint8Array): bigint {
  const entropy = crypto.getRandomValues(new Uint8Array(32));
  const block = (tag: number): Uint8Array =>
    createHmac('sm3', privateKey).update(Uint8Array.of(tag)).update(e).update(entropy).digest();
  return mod(bytesToBigint(concatBytes(block(0), block(1))), N - 1n) + 1n;
}

/** GB/T 32918.2-2016 §6.1 steps A3–A7 for an already computed e. Returns r ‖ s. */
function signRepresentative(e: bigint, d: bigint, privateKey: Uint8Array): Uint8Array {
  const { Fn } = Sm2Point;
  const eBytes = bigintToBytes(e, DIGEST_LENGTH);
  const inverseOnePlusD = Fn.inv(1n + d);
  for (;;) {
    const k = hedgedNonce(privateKey, eBytes); // A3
    const x1 = Sm2Point.BASE.multiply(k).toAffine().x; // A4
    const r = Fn.create(e + x1); // A5
    if (r === 0n || r + k === N) continue;
    const s = Fn.create(inverseOnePlusD * (k - r * d)); // A6: s = (1 + d)^-1 · (k − r·d) mod n
    if (s === 0n) continue;
    return concatBytes(bigintToBytes(r, FIELD_LENGTH), bigintToBytes(s, FIELD_LENGTH)); // A7
  }
}

/** GB/T 32918.2-2016 §7.1 steps B1, B2 and B5–B7 for an already computed e. */
function verifyRepresentative(e: bigint, rs: Uint8Array, publicKey: Sm2PointType): boolean {
  const r = bytesToBigint(rs.subarray(0, FIELD_LENGTH));
  const s = bytesToBigint(rs.subarray(FIELD_LENGTH, RAW_SIGNATURE_LENGTH));
  if (r < 1n || r >= N || s < 1n || s >= N) return false; // B1, B2
  const t = Sm2Point.Fn.create(r + s); // B5
  if (t === 0n) return false;
  // B6: (x1, y1) = s·G + t·P_A. Two separate public-scalar multiplications use G's width-8 table
  // and P_A's cached table when it has one; measured faster than noble's joint mulAddUnsafe here.
  const sum = Sm2Point.BASE.multiplyUnsafe(s).add(publicKey.multiplyUnsafe(t));
  if (sum.is0()) return false;
  return Sm2Point.Fn.create(e + sum.toAffine().x) === r; // B7: R = (e + x1) mod n, accept iff R = r
}

/** The 64-byte public key x_A ‖ y_A = d·G of a 32-byte SM2 private key d ∈ [1, n-2]. */
export function sm2PublicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  return pointToPublicKey(Sm2Point.BASE.multiply(privateKeyToScalar(privateKey)));
}

/**
 * Signs `message` (any length; the standard's M) and returns r ‖ s (64 bytes). `userId` defaults
 * to `1234567812345678`; `publicKey` may be passed to skip deriving it from the private key.
 */
export function sm2Sign(
  message: Uint8Array,
  privateKey: Uint8Array,
  options: { userId?: Uint8Array; publicKey?: Uint8Array } = {},
): Uint8Array {
  assertBytes(message, undefined, 'message');
  const d = privateKeyToScalar(privateKey);
  const publicKey = options.publicKey ?? pointToPublicKey(Sm2Point.BASE.multiply(d));
  return signRepresentative(messageRepresentative(message, publicKey, options.userId), d, privateKey);
}

/**
 * Verifies r ‖ s (64 bytes) over `message` for `publicKey` (x ‖ y). False — never an exception —
 * for a wrong signature, out-of-range r or s, a key off the curve or any wrong length.
 */
export function sm2Verify(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  userId?: Uint8Array,
): boolean {
  try {
    assertBytes(message, undefined, 'message');
    assertBytes(signature, RAW_SIGNATURE_LENGTH, 'signature');
    const point = publicKeyToPoint(publicKey);
    return verifyRepresentative(messageRepresentative(message, publicKey, userId), signature, point);
  } catch {
    return false;
  }
}

interface CachedPublicKey {
  readonly point: Sm2PointType;
  uses: number;
}

/**
 * Decoded public keys, least recently used first (a Map iterates in insertion order and a hit is
 * re-inserted). A key gets a precomputed wNAF table on its `precomputeAfterUses`-th use: building
 * one costs ≈6.5 ms, about four uncached verifications, and makes each later t·P_A ≈4× cheaper.
 * Worst case (an adversary cycling through more keys than fit, each used exactly that often) is
 * ≈2× the uncached cost; keys seen fewer times never pay for a table.
 */
class PublicKeyCache {
  readonly #entries = new Map<string, CachedPublicKey>();
  readonly #capacity: number;
  readonly #precomputeAfterUses: number;
  readonly #windowSize: number;

  constructor(capacity: number, precomputeAfterUses: number, windowSize: number) {
    this.#capacity = capacity;
    this.#precomputeAfterUses = precomputeAfterUses;
    this.#windowSize = windowSize;
  }

  /** The validated point for `publicKey`; throws INVALID_KEY like `publicKeyToPoint`. */
  get(publicKey: Uint8Array): Sm2PointType {
    if (this.#capacity === 0) return publicKeyToPoint(publicKey);
    assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
    const id = bytesToHex(publicKey);
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      hit.uses++;
      if (hit.uses === this.#precomputeAfterUses) hit.point.precompute(this.#windowSize, false);
      return hit.point;
    }
    const point = publicKeyToPoint(publicKey);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(id, { point, uses: 1 });
    return point;
  }
}

export interface SmSuiteOptions {
  /**
   * How many public keys to keep decoded (and, once used often, precomputed), default 128:
   * at most ≈16 MiB. 0 disables the cache.
   */
  readonly publicKeyCacheSize?: number;
}

/**
 * The `sm` suite: SM3 chain hash, SM2 signatures with the default user id over the 32-byte
 * digest as the message M (e = SM3(Z_A ‖ digest)), addresses = last 20 bytes of SM3(x ‖ y).
 * Signatures are r ‖ s ‖ publicKey (128 bytes) because SM2, unlike ECDSA, cannot recover the key.
 */
export function createSmSuite(options: SmSuiteOptions = {}): CryptoSuite {
  const cacheSize = options.publicKeyCacheSize ?? 128;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new WeftError('INVALID_ARGUMENT', 'publicKeyCacheSize must be a non-negative integer');
  }
  const keyCache = new PublicKeyCache(cacheSize, 4, 4);
  // d·G costs as much as the signature itself, and signers reuse their key (a sealer signs every
  // vote, a client every transaction), so the last few signers' public keys are kept, keyed by
  // SM3(d) so that the map holds no private key. Halves the cost of repeated signing (measured).
  const signerPublicKeys = new Map<string, Uint8Array>();
  const signerPublicKeysCapacity = 16;

  function signerPublicKey(privateKey: Uint8Array, d: bigint): Uint8Array {
    const id = bytesToHex(sm3(privateKey));
    let publicKey = signerPublicKeys.get(id);
    if (publicKey === undefined) {
      publicKey = pointToPublicKey(Sm2Point.BASE.multiply(d));
      if (signerPublicKeys.size >= signerPublicKeysCapacity) {
        const oldest = signerPublicKeys.keys().next();
        if (oldest.done !== true) signerPublicKeys.delete(oldest.value);
      }
      signerPublicKeys.set(id, publicKey);
    }
    return publicKey;
  }

  function verifySuiteSignature(digest: Uint8Array, signature: Uint8Array): boolean {
    const publicKey = signature.subarray(RAW_SIGNATURE_LENGTH);
    const point = keyCache.get(publicKey);
    const e = messageRepresentative(digest, publicKey, undefined);
    return verifyRepresentative(e, signature.subarray(0, RAW_SIGNATURE_LENGTH), point);
  }

  return {
    name: 'sm',
    signatureLength: SUITE_SIGNATURE_LENGTH,
    hash: sm3,

    generateKeyPair(): KeyPair {
      // Rejection sampling into [1, n-2]; a random 256-bit string falls outside with
      // probability ≈ 2^-32.
      for (;;) {
        const privateKey = crypto.getRandomValues(new Uint8Array(PRIVATE_KEY_LENGTH));
        const d = bytesToBigint(privateKey);
        if (d >= 1n && d <= N - 2n) {
          return { privateKey, publicKey: pointToPublicKey(Sm2Point.BASE.multiply(d)) };
        }
      }
    },

    publicKeyFromPrivate: sm2PublicKeyFromPrivate,

    addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
      publicKeyToPoint(publicKey);
      return sm3(publicKey).slice(DIGEST_LENGTH - 20);
    },

    sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
      assertBytes(digest, DIGEST_LENGTH, 'digest');
      const d = privateKeyToScalar(privateKey);
      const publicKey = signerPublicKey(privateKey, d);
      const rs = signRepresentative(messageRepresentative(digest, publicKey, undefined), d, privateKey);
      return concatBytes(rs, publicKey);
    },

    recoverSigner(digest: Uint8Array, signature: Uint8Array): Uint8Array {
      assertBytes(digest, DIGEST_LENGTH, 'digest');
      if (!(signature instanceof Uint8Array) || signature.length !== SUITE_SIGNATURE_LENGTH) {
        throw new WeftError(
          'INVALID_SIGNATURE',
          `an sm signature is ${SUITE_SIGNATURE_LENGTH} bytes r ‖ s ‖ public key`,
          {
            penalise: true,
          },
        );
      }
      let valid: boolean;
      try {
        valid = verifySuiteSignature(digest, signature);
      } catch (cause) {
        throw new WeftError('INVALID_SIGNATURE', 'the public key in the signature is not on the SM2 curve', {
          penalise: true,
          cause,
        });
      }
      if (!valid)
        throw new WeftError('INVALID_SIGNATURE', 'SM2 signature does not verify', { penalise: true });
      return signature.slice(RAW_SIGNATURE_LENGTH);
    },

    verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) return false;
      if (!(signature instanceof Uint8Array) || signature.length !== SUITE_SIGNATURE_LENGTH) return false;
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
      // The embedded key must be the expected one, else a valid signature by someone else passes.
      if (!equalBytes(signature.subarray(RAW_SIGNATURE_LENGTH), publicKey)) return false;
      try {
        return verifySuiteSignature(digest, signature);
      } catch {
        return false;
      }
    },
  };
}
