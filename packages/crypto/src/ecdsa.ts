import { createRequire } from 'node:module';
import { secp256k1 as nobleSecp256k1 } from '@noble/curves/secp256k1.js';
import { assertBytes, bytesToBigint, bytesToHex, equalBytes, hexToBytes, utf8ToBytes } from './bytes.js';
import { WeftError } from './errors.js';
import { keccak256 } from './hash.js';
import type { CryptoSuite, KeyPair } from './suite.js';

/**
 * The `ecdsa` suite: secp256k1 ECDSA (SEC 1 v2 §4.1) over Keccak-256 digests, with Ethereum's
 * conventions, so that keys, addresses and signatures are interchangeable with ethers/viem/geth:
 * - signatures are r ‖ s ‖ v (65 bytes) with v ∈ {0, 1} the recovery id (parity of R.y);
 * - only canonical low-s signatures exist (EIP-2: s ≤ n/2); high-s is rejected, never normalised,
 *   so one (digest, key) pair has exactly one accepted encoding and transaction hashes that cover
 *   the signature cannot be malleated;
 * - an address is the last 20 bytes of keccak256(x ‖ y) (Ethereum yellow paper, eq. 284).
 *
 * The curve arithmetic runs in libsecp256k1 through the `secp256k1` package's native binding
 * (≈50 µs per verify on the reference machine, ~25× pure JS). Where no prebuilt binding exists,
 * the suite falls back to @noble/curves (audited, pure JS) rather than to that package's own
 * `elliptic` fallback.
 */

const DIGEST_LENGTH = 32;
const PRIVATE_KEY_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 64;
const SIGNATURE_LENGTH = 65;
const SCALAR_LENGTH = 32;
const ADDRESS_LENGTH = 20;

/** Group order n of secp256k1 (SEC 2 v2 §2.4.1). */
const CURVE_ORDER = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
/** ⌊n/2⌋, the largest s EIP-2 accepts. */
const HALF_CURVE_ORDER = hexToBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

/** Compares the 32-byte big-endian integer at `bytes[offset..offset+32)` with `bound`. */
function compareScalar(bytes: Uint8Array, offset: number, bound: Uint8Array): number {
  for (let i = 0; i < SCALAR_LENGTH; i++) {
    const a = bytes[offset + i] as number;
    const b = bound[i] as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function isZeroScalar(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < SCALAR_LENGTH; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/**
 * The range checks of SEC 1 v2 §4.1.4 step 1 (r, s ∈ [1, n-1]) tightened by EIP-2 (s ≤ n/2), done
 * on the bytes before any curve work so that malformed input is rejected cheaply.
 */
function isCanonicalSignature(rs: Uint8Array): boolean {
  if (isZeroScalar(rs, 0) || compareScalar(rs, 0, CURVE_ORDER) >= 0) return false;
  if (isZeroScalar(rs, SCALAR_LENGTH) || compareScalar(rs, SCALAR_LENGTH, HALF_CURVE_ORDER) > 0) return false;
  return true;
}

/** Which implementation does the secp256k1 arithmetic. */
export type EcdsaBackendName = 'native' | 'noble';

interface Secp256k1Backend {
  readonly name: EcdsaBackendName;
  isValidPrivateKey(privateKey: Uint8Array): boolean;
  /** 65-byte SEC 1 uncompressed encoding 0x04 ‖ x ‖ y. */
  publicKeyCreate(privateKey: Uint8Array): Uint8Array;
  /** `sec1` is the 65-byte uncompressed encoding; true when the point is on the curve. */
  isValidPublicKey(sec1: Uint8Array): boolean;
  /** RFC 6979 deterministic, low-s. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { rs: Uint8Array; recoveryId: number };
  /** SEC 1 v2 §4.1.6 public-key recovery; returns the 65-byte uncompressed key or throws. */
  recover(rs: Uint8Array, recoveryId: number, digest: Uint8Array): Uint8Array;
}

/** The subset of the `secp256k1` package's API this file uses (the package ships no types). */
interface NativeSecp256k1 {
  contextRandomize(seed: Uint8Array): void;
  privateKeyVerify(privateKey: Uint8Array): boolean;
  publicKeyCreate(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyVerify(publicKey: Uint8Array): boolean;
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed: boolean): Uint8Array;
}

function loadNativeSecp256k1(): NativeSecp256k1 | undefined {
  try {
    // `secp256k1/bindings` is the native half of the package; requiring it directly (instead of
    // the package root) avoids the silent fallback to `elliptic` when no binding can be loaded.
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

function createNativeBackend(lib: NativeSecp256k1): Secp256k1Backend {
  // libsecp256k1 blinds its secret-scalar multiplications (signing, key derivation) with a
  // random context seed when asked to; its docs recommend doing so once after creating a context.
  lib.contextRandomize(crypto.getRandomValues(new Uint8Array(32)));
  return {
    name: 'native',
    isValidPrivateKey: (privateKey) => lib.privateKeyVerify(privateKey),
    publicKeyCreate: (privateKey) => lib.publicKeyCreate(privateKey, false),
    isValidPublicKey: (sec1) => lib.publicKeyVerify(sec1),
    sign(digest, privateKey) {
      // libsecp256k1's secp256k1_ecdsa_sign uses RFC 6979 nonces and always emits low-s.
      const { signature, recid } = lib.ecdsaSign(digest, privateKey);
      return { rs: signature, recoveryId: recid };
    },
    recover: (rs, recoveryId, digest) => lib.ecdsaRecover(rs, recoveryId, digest, false),
  };
}

function createNobleBackend(): Secp256k1Backend {
  const { Signature, utils } = nobleSecp256k1;
  return {
    name: 'noble',
    isValidPrivateKey: (privateKey) => utils.isValidSecretKey(privateKey),
    publicKeyCreate: (privateKey) => nobleSecp256k1.getPublicKey(privateKey, false),
    isValidPublicKey: (sec1) => utils.isValidPublicKey(sec1, false),
    sign(digest, privateKey) {
      // 'recovered' format is recoveryId ‖ r ‖ s.
      const sig = nobleSecp256k1.sign(digest, privateKey, {
        prehash: false,
        lowS: true,
        format: 'recovered',
      });
      return { rs: sig.subarray(1), recoveryId: sig[0] as number };
    },
    recover(rs, recoveryId, digest) {
      const r = bytesToBigint(rs.subarray(0, SCALAR_LENGTH));
      const s = bytesToBigint(rs.subarray(SCALAR_LENGTH));
      return new Signature(r, s, recoveryId).recoverPublicKey(digest).toBytes(false);
    },
  };
}

const nativeLib = loadNativeSecp256k1();
let nobleBackend: Secp256k1Backend | undefined;
let nativeBackend: Secp256k1Backend | undefined;

function getBackend(name: EcdsaBackendName | undefined): Secp256k1Backend {
  if (name === 'noble' || (name === undefined && nativeLib === undefined)) {
    nobleBackend ??= createNobleBackend();
    return nobleBackend;
  }
  if (nativeLib === undefined) {
    throw new WeftError('UNSUPPORTED', 'the native secp256k1 binding is not available on this platform');
  }
  nativeBackend ??= createNativeBackend(nativeLib);
  return nativeBackend;
}

/** The backend `createEcdsaSuite()` uses by default: `native` when the binding loads. */
export function getDefaultEcdsaBackendName(): EcdsaBackendName {
  return nativeLib === undefined ? 'noble' : 'native';
}

function withSec1Prefix(publicKey: Uint8Array): Uint8Array {
  const sec1 = new Uint8Array(PUBLIC_KEY_LENGTH + 1);
  sec1[0] = 0x04;
  sec1.set(publicKey, 1);
  return sec1;
}

/**
 * Recovers the signer's 64-byte public key from a canonical signature given as 64 bytes r ‖ s.
 * Every rule that makes the signature canonical is checked here, once, for both `recoverSigner`
 * and `ecdsaRecoverPublicKey`.
 */
function recoverCanonical(
  backend: Secp256k1Backend,
  digest: Uint8Array,
  rs: Uint8Array,
  recoveryId: number,
): Uint8Array {
  // Ethereum signs with R.x < n only, so the recovery id is R.y's parity: 0 or 1 (EIP-155 v
  // values and the yellow paper's appendix F carry exactly this bit).
  if (recoveryId !== 0 && recoveryId !== 1) {
    throw new WeftError('INVALID_SIGNATURE', 'recovery id must be 0 or 1', { penalise: true });
  }
  if (!isCanonicalSignature(rs)) {
    throw new WeftError('INVALID_SIGNATURE', 'signature r or s is out of range or s is not low (EIP-2)', {
      penalise: true,
    });
  }
  let sec1: Uint8Array;
  try {
    sec1 = backend.recover(rs, recoveryId, digest);
  } catch (cause) {
    throw new WeftError('INVALID_SIGNATURE', 'no public key can be recovered from this signature', {
      penalise: true,
      cause,
    });
  }
  return sec1.slice(1);
}

/**
 * Recovers the 64-byte public key that signed the 32-byte `digest`, for transaction formats that
 * carry (r, s, v) separately. `r` and `s` are 32-byte big-endian (left-pad RLP integers first);
 * `recoveryId` is 0 or 1 (derive it from an EIP-155 v as `v - 35 - 2·chainId`, or `v - 27`).
 * Throws `INVALID_SIGNATURE` for out-of-range or high-s values and unrecoverable signatures.
 */
export function ecdsaRecoverPublicKey(
  digest: Uint8Array,
  r: Uint8Array,
  s: Uint8Array,
  recoveryId: number,
): Uint8Array {
  assertBytes(digest, DIGEST_LENGTH, 'digest');
  assertBytes(r, SCALAR_LENGTH, 'signature r');
  assertBytes(s, SCALAR_LENGTH, 'signature s');
  const rs = new Uint8Array(2 * SCALAR_LENGTH);
  rs.set(r, 0);
  rs.set(s, SCALAR_LENGTH);
  return recoverCanonical(getBackend(undefined), digest, rs, recoveryId);
}

/** Ethereum address (20 bytes) of a 64-byte secp256k1 public key x ‖ y. */
export function ecdsaAddressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
  return keccak256(publicKey).slice(32 - ADDRESS_LENGTH);
}

export interface EcdsaSuiteOptions {
  /** Force an implementation (tests and benchmarks); default: native when available. */
  readonly backend?: EcdsaBackendName;
}

export function createEcdsaSuite(options: EcdsaSuiteOptions = {}): CryptoSuite {
  const backend = getBackend(options.backend);

  function assertPrivateKey(privateKey: Uint8Array): void {
    assertBytes(privateKey, PRIVATE_KEY_LENGTH, 'private key');
    // Never echo the key: the message names the rule only.
    if (!backend.isValidPrivateKey(privateKey)) {
      throw new WeftError('INVALID_KEY', 'private key must be an integer in [1, n-1]');
    }
  }

  function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
    assertPrivateKey(privateKey);
    return backend.publicKeyCreate(privateKey).slice(1);
  }

  function recoverSigner(digest: Uint8Array, signature: Uint8Array): Uint8Array {
    assertBytes(digest, DIGEST_LENGTH, 'digest');
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
      throw new WeftError('INVALID_SIGNATURE', `an ecdsa signature is ${SIGNATURE_LENGTH} bytes r ‖ s ‖ v`, {
        penalise: true,
      });
    }
    return recoverCanonical(
      backend,
      digest,
      signature.subarray(0, 2 * SCALAR_LENGTH),
      signature[2 * SCALAR_LENGTH] as number,
    );
  }

  return {
    name: 'ecdsa',
    signatureLength: SIGNATURE_LENGTH,
    hash: keccak256,

    generateKeyPair(): KeyPair {
      // Rejection sampling: a uniformly random 32-byte string is a valid key unless it is 0 or
      // ≥ n (probability ≈ 2^-128), so this loop practically runs once.
      for (;;) {
        const privateKey = crypto.getRandomValues(new Uint8Array(PRIVATE_KEY_LENGTH));
        if (backend.isValidPrivateKey(privateKey)) {
          return { privateKey, publicKey: backend.publicKeyCreate(privateKey).slice(1) };
        }
      }
    },

    publicKeyFromPrivate,

    addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
      assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
      if (!backend.isValidPublicKey(withSec1Prefix(publicKey))) {
        throw new WeftError('INVALID_KEY', 'public key is not a point on secp256k1');
      }
      return ecdsaAddressFromPublicKey(publicKey);
    },

    sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
      assertBytes(digest, DIGEST_LENGTH, 'digest');
      assertPrivateKey(privateKey);
      const { rs, recoveryId } = backend.sign(digest, privateKey);
      // Ids 2 and 3 mean R.x ≥ n (probability ≈ 2^-127); Ethereum cannot express them, and RFC
      // 6979 would derive the same nonce again, so there is nothing to retry.
      if (recoveryId > 1) {
        throw new WeftError('UNSUPPORTED', 'signature needs recovery id > 1, which Ethereum cannot encode');
      }
      const signature = new Uint8Array(SIGNATURE_LENGTH);
      signature.set(rs, 0);
      signature[2 * SCALAR_LENGTH] = recoveryId;
      return signature;
    },

    recoverSigner,

    verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
      try {
        // Verifying by recovery also checks v, so a signature with a flipped recovery bit — valid
        // for plain ECDSA — is refused, exactly as `recoverSigner` would attribute it elsewhere.
        return equalBytes(recoverSigner(digest, signature), publicKey);
      } catch {
        return false;
      }
    },
  };
}

// --- EIP-55 mixed-case checksum addresses -------------------------------------------------------

const ADDRESS_HEX_RE = /^0x[0-9a-fA-F]{40}$/;

/** EIP-55 checksum encoding of a 20-byte address: `0x` + 40 hex digits in mixed case. */
export function addressToChecksumHex(address: Uint8Array): string {
  assertBytes(address, ADDRESS_LENGTH, 'address');
  const lower = bytesToHex(address).slice(2);
  // EIP-55: hash the lowercase ASCII hex (no 0x); a letter is upper-cased when the matching
  // nibble of that hash is ≥ 8.
  const hash = keccak256(utf8ToBytes(lower));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const char = lower[i] as string;
    const byte = hash[i >> 1] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? char.toUpperCase() : char;
  }
  return out;
}

/** True when `hex` is `0x` + 40 hex digits whose letter case is exactly the EIP-55 checksum. */
export function isChecksumAddress(hex: string): boolean {
  if (typeof hex !== 'string' || !ADDRESS_HEX_RE.test(hex)) return false;
  return addressToChecksumHex(hexToBytes(hex)) === hex;
}

/**
 * Parses a hex address. All-lowercase and all-uppercase forms carry no checksum and are accepted
 * as they are; a mixed-case form must match its EIP-55 checksum (a typo then fails with
 * probability ≈ 1 - 2^-15 per EIP-55), else `INVALID_ENCODING`.
 */
export function hexToAddress(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !ADDRESS_HEX_RE.test(hex)) {
    throw new WeftError('INVALID_HEX', 'an address is 0x followed by 40 hex digits');
  }
  const body = hex.slice(2);
  const address = hexToBytes(hex, 'address');
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && addressToChecksumHex(address) !== hex) {
    throw new WeftError('INVALID_ENCODING', 'address has a mixed-case EIP-55 checksum that does not match');
  }
  return address;
}
