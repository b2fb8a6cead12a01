/**
 * Linkable ring signatures: CLSAG (Goodell, Noether, Goodell, "Concise Linkable Ring Signatures and
 * Forgery Against Adversarial Keys", ePrint 2019/654, §3 / Fig. 1) over ristretto255, as Monero
 * uses it for RingCT, with an optional commitment component.
 *
 * A signer holding the secret key p of one ring member Pπ = p·K signs a message so that anyone can
 * check that *some* member signed, without learning which, and two signatures by the same key are
 * linked by their key image I = p·Hp(Pπ), Hp = hash-to-point. With commitments (RingCT), each member
 * also has a commitment Cᵢ and the signer additionally proves knowledge of z with
 * Cπ − C_offset = z·K (the commitment to zero that shows the pseudo-output C_offset hides the same
 * amount as the real input), at the cost of one more point D = z·Hp(Pπ) — not one more scalar per
 * member, which is CLSAG's advantage over MLSAG.
 *
 * Key base. K = BASE_H, WeDPR's blinding base (group.ts). CLSAG aggregates the key and the
 * commitment-to-zero into Wᵢ = μ_P·Pᵢ + μ_C·(Cᵢ − C_offset), which needs both over one base; with
 * WeDPR's commitments v·G + γ·H the difference of two commitments to the same value is (γ − γ′)·H,
 * so keys live on H too. This mirrors Monero, where keys and blinding factors share its base G and
 * amounts use H. stealth.ts derives one-time keys on the same base.
 *
 * Signature layout (32-byte fields): I ‖ [D] ‖ c₀ ‖ s₀ ‖ … ‖ s_{n−1}; D only with commitments. The key
 * image comes first so `isLinked` and double-spend indexes read it without knowing n.
 *
 * Hashing: the SHAKE256 `Transcript` (transcript.ts) with domain "weft/clsag/v1" absorbs the mode,
 * n, the caller's context, every Pᵢ, every Cᵢ, C_offset, I, D; μ_P and μ_C are its challenges
 * "mu_P", "mu_C" (the paper's H_agg with distinct domains), then the message is appended. Each
 * round challenge c_{i+1} is "c" squeezed from a copy of that state after absorbing Lᵢ and Rᵢ
 * (the paper's H with the ring, message and pseudo-output prefixed).
 *
 * Why Ristretto avoids the Ed25519 key-image problem: on Ed25519 the curve group has order 8·ℓ, so a
 * signer could publish I + T for a small-order T and get a second, "different" key image for the
 * same key — a double spend (the 2017 CryptoNote key-image bug) — unless verifiers check ℓ·I = 0.
 * ristretto255 is a prime-order group of order ℓ: decoding (RFC 9496 §4.3.1) yields only elements of
 * that group, each with exactly one canonical encoding, so there is no torsion component to add and
 * no second encoding to choose; byte equality of key images is equality of group elements. We still
 * reject the identity as a key image (it would mean p = 0) and non-canonical encodings.
 *
 * Side channels: every member's L and R go through the fixed-sequence (masked lookup) MSM, so the
 * work per member is the same for the real signer and the decoys; the order in which members are
 * processed starts after π, as in every SAG-family scheme, but each step is identical. BigInt
 * arithmetic mod ℓ is variable time in V8.
 */
import { assertBytes, equalBytes, utf8ToBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import {
  assertScalar,
  BASE_H,
  CURVE_ORDER,
  type Point,
  randomScalar,
  type Scalar,
  scalarFromBytes,
  scalarToBytes,
} from './group.js';
import { type PointArena, type PointRef, withPointArena } from './msm.js';
import { Transcript } from './transcript.js';

/** The base of ring keys: P = p·RING_KEY_BASE (WeDPR's blinding base H; see the module comment). */
export const RING_KEY_BASE: Point = BASE_H;
export const MAX_RING_SIZE = 1024;

const DOMAIN = 'weft/clsag/v1';
const HP_PREFIX = utf8ToBytes('weft/clsag/v1/Hp');
const L = CURVE_ORDER;
const BASE_BYTES = BASE_H.toBytes();

export interface RingSignOptions {
  /** Bytes the signature is bound to (chain id, transaction prefix hash…). */
  context?: Uint8Array;
  /** RingCT: one commitment Cᵢ per ring member. */
  commitments?: readonly Uint8Array[];
  /** RingCT: the pseudo-output commitment C_offset. */
  commitmentOffset?: Uint8Array;
  /** RingCT: z with C_π − C_offset = z·K (the blinding difference), z ≠ 0. */
  commitmentSecret?: Scalar;
}

export interface RingVerifyOptions {
  context?: Uint8Array;
  commitments?: readonly Uint8Array[];
  commitmentOffset?: Uint8Array;
}

/** Signature length for a ring of n members: 32·(n + 2), plus 32 with commitments. */
export function ringSignatureLength(ringSize: number, withCommitments: boolean): number {
  return 32 * (ringSize + 2 + (withCommitments ? 1 : 0));
}

/** P = p·K for a secret key p ∈ [1, ℓ). */
export function ringPublicKey(secretKey: Scalar): Uint8Array {
  assertSecretKey(secretKey);
  return withPointArena((a) => a.encode(a.mulSecret(a.decode(BASE_BYTES), secretKey)));
}

/** The key image I = p·Hp(P) of a key pair: equal for every signature made with p. */
export function computeKeyImage(secretKey: Scalar): Uint8Array {
  assertSecretKey(secretKey);
  return withPointArena((a) => {
    const P = a.encode(a.mulSecret(a.decode(BASE_BYTES), secretKey));
    return a.encode(a.mulSecret(hashKeyToPoint(a, P), secretKey));
  });
}

/** The key image of a signature (its first 32 bytes). Meaningful only once the signature verified. */
export function ringSignatureKeyImage(signature: Uint8Array): Uint8Array {
  assertBytes(signature, undefined, 'ring signature');
  if (signature.length < 32 * 3) throw new WeftError('INVALID_SIGNATURE', 'ring signature too short');
  return signature.slice(0, 32);
}

/**
 * True when two (verified) signatures were made with the same secret key, whatever the rings and
 * messages: their key images are equal.
 */
export function isLinked(signatureA: Uint8Array, signatureB: Uint8Array): boolean {
  return equalBytes(ringSignatureKeyImage(signatureA), ringSignatureKeyImage(signatureB));
}

function assertSecretKey(secretKey: Scalar): void {
  assertScalar(secretKey, 'secret key');
  if (secretKey === 0n) throw new WeftError('INVALID_KEY', 'secret key must not be zero');
}

function hashKeyToPoint(a: PointArena, publicKey: Uint8Array): PointRef {
  const data = new Uint8Array(HP_PREFIX.length + 32);
  data.set(HP_PREFIX);
  data.set(publicKey, HP_PREFIX.length);
  return a.hashToPoint(data);
}

interface RingSetup {
  n: number;
  withCommitments: boolean;
  K: PointRef;
  P: PointRef[];
  /** Cᵢ − C_offset (commitment mode). */
  Cz: PointRef[];
  Hp: PointRef[];
}

/** Decodes and checks the ring (and commitments); throws WeftError on anything malformed. */
function setupRing(
  a: PointArena,
  ring: readonly Uint8Array[],
  commitments: readonly Uint8Array[] | undefined,
  commitmentOffset: Uint8Array | undefined,
): RingSetup {
  if (!Array.isArray(ring) || ring.length < 1 || ring.length > MAX_RING_SIZE) {
    throw new WeftError('INVALID_ARGUMENT', `a ring has 1…${MAX_RING_SIZE} members`);
  }
  const n = ring.length;
  const withCommitments = commitments !== undefined;
  if (withCommitments !== (commitmentOffset !== undefined)) {
    throw new WeftError('INVALID_ARGUMENT', 'commitments and commitmentOffset go together');
  }
  const seen = new Set<string>();
  const P = ring.map((key, i) => {
    assertBytes(key, 32, `ring member #${i}`);
    const hex = Buffer.from(key).toString('hex');
    if (seen.has(hex)) throw new WeftError('INVALID_ARGUMENT', `ring member #${i} is a duplicate`);
    seen.add(hex);
    const p = a.decode(key, `ring member #${i}`);
    if (a.isIdentity(p)) throw new WeftError('INVALID_KEY', `ring member #${i} is the identity`);
    return p;
  });
  const Cz: PointRef[] = [];
  if (commitments !== undefined && commitmentOffset !== undefined) {
    if (commitments.length !== n) {
      throw new WeftError('INVALID_ARGUMENT', 'need exactly one commitment per ring member');
    }
    const offset = a.decode(commitmentOffset, 'commitment offset');
    commitments.forEach((c, i) => {
      Cz.push(a.sub(a.decode(c, `commitment #${i}`), offset));
    });
  }
  return {
    n,
    withCommitments,
    K: a.decode(BASE_BYTES),
    P,
    Cz,
    Hp: ring.map((key) => hashKeyToPoint(a, key)),
  };
}

function createRingTranscript(
  ring: readonly Uint8Array[],
  withCommitments: boolean,
  commitments: readonly Uint8Array[] | undefined,
  commitmentOffset: Uint8Array | undefined,
  keyImage: Uint8Array,
  commitmentImage: Uint8Array | undefined,
  context: Uint8Array,
): { t: Transcript; muP: Scalar; muC: Scalar } {
  const t = Transcript.create(DOMAIN);
  t.appendU64('mode', withCommitments ? 1 : 0);
  t.appendU64('n', ring.length);
  t.appendMessage('context', context);
  for (const p of ring) t.appendMessage('P', p);
  if (commitments !== undefined && commitmentOffset !== undefined && commitmentImage !== undefined) {
    for (const c of commitments) t.appendMessage('C', c);
    t.appendMessage('C_offset', commitmentOffset);
  }
  t.appendMessage('I', keyImage);
  if (commitmentImage !== undefined) t.appendMessage('D', commitmentImage);
  const muP = t.challengeScalar('mu_P');
  const muC = withCommitments ? t.challengeScalar('mu_C') : 0n;
  return { t, muP, muC };
}

function roundChallenge(base: Transcript, lBytes: Uint8Array, rBytes: Uint8Array): Scalar {
  const t = base.clone();
  t.appendMessage('L', lBytes);
  t.appendMessage('R', rBytes);
  return t.challengeScalar('c');
}

/**
 * Signs `message` as a member of `ring` (32-byte keys P = p·K), knowing the secret key of
 * ring[secretIndex]. With `commitments`, `commitmentOffset` and `commitmentSecret` it is a RingCT
 * CLSAG that also proves ring-commitment[π] − offset = commitmentSecret·K.
 */
export function signRing(
  message: Uint8Array,
  ring: readonly Uint8Array[],
  secretIndex: number,
  secretKey: Scalar,
  options: RingSignOptions = {},
): Uint8Array {
  assertBytes(message, undefined, 'message');
  assertSecretKey(secretKey);
  const context = options.context ?? new Uint8Array(0);
  assertBytes(context, undefined, 'context');
  if (!Number.isInteger(secretIndex) || secretIndex < 0 || secretIndex >= ring.length) {
    throw new WeftError('INVALID_ARGUMENT', 'secret index is outside the ring');
  }
  const withCommitments = options.commitments !== undefined;
  const z = options.commitmentSecret ?? 0n;
  if (withCommitments) {
    assertScalar(z, 'commitment secret');
    if (z === 0n) throw new WeftError('INVALID_ARGUMENT', 'commitment secret must not be zero');
  } else if (options.commitmentSecret !== undefined) {
    throw new WeftError('INVALID_ARGUMENT', 'commitmentSecret needs commitments and commitmentOffset');
  }
  return withPointArena((a) => {
    const s = setupRing(a, ring, options.commitments, options.commitmentOffset);
    const pi = secretIndex;
    const K = s.K;
    // The key pair and the commitment secret must match the ring, or the signature would not verify.
    if (!a.equals(a.mulSecret(K, secretKey), s.P[pi] as number)) {
      throw new WeftError('INVALID_KEY', 'secret key does not match the ring member at the secret index');
    }
    if (withCommitments && !a.equals(a.mulSecret(K, z), s.Cz[pi] as number)) {
      throw new WeftError('INVALID_ARGUMENT', 'commitment secret does not open commitment − offset');
    }
    const hpPi = s.Hp[pi] as number;
    const keyImage = a.encode(a.mulSecret(hpPi, secretKey));
    const commitmentImage = withCommitments ? a.encode(a.mulSecret(hpPi, z)) : undefined;
    const I = a.decode(keyImage);
    const D = commitmentImage === undefined ? undefined : a.decode(commitmentImage);
    const { t, muP, muC } = createRingTranscript(
      ring,
      withCommitments,
      options.commitments,
      options.commitmentOffset,
      keyImage,
      commitmentImage,
      context,
    );
    t.appendMessage('message', message);

    const n = s.n;
    const responses = new Array<Scalar>(n).fill(0n);
    const challenges = new Array<Scalar>(n).fill(0n);
    const alpha = randomScalar();
    let mark = a.mark;
    let c = roundChallenge(t, a.encode(a.mulSecret(K, alpha)), a.encode(a.mulSecret(hpPi, alpha)));
    a.release(mark);
    for (let step = 1; step < n; step++) {
      const i = (pi + step) % n;
      challenges[i] = c;
      const si = randomScalar();
      responses[i] = si;
      mark = a.mark;
      const cP = (c * muP) % L;
      const cC = (c * muC) % L;
      const lPoint = withCommitments
        ? a.msmSecret([si, cP, cC], [K, s.P[i] as number, s.Cz[i] as number])
        : a.msmSecret([si, cP], [K, s.P[i] as number]);
      const rPoint =
        D === undefined
          ? a.msmSecret([si, cP], [s.Hp[i] as number, I])
          : a.msmSecret([si, cP, cC], [s.Hp[i] as number, I, D]);
      c = roundChallenge(t, a.encode(lPoint), a.encode(rPoint));
      a.release(mark);
    }
    challenges[pi] = c;
    // s_π = α − c_π·(μ_P·p + μ_C·z): closes the ring (paper Fig. 1, Sign step 5).
    const w = (muP * secretKey + muC * z) % L;
    responses[pi] = (((alpha - c * w) % L) + L) % L;
    const parts = [keyImage];
    if (commitmentImage !== undefined) parts.push(commitmentImage);
    parts.push(scalarToBytes(challenges[0] as Scalar));
    for (const r of responses) parts.push(scalarToBytes(r));
    const out = new Uint8Array(32 * parts.length);
    parts.forEach((p, i) => {
      out.set(p, 32 * i);
    });
    return out;
  });
}

/**
 * Verifies a ring signature. False for any invalid, malformed or mismatched input (wrong length,
 * non-canonical scalar or point, identity key image, duplicate ring member…); throws only for
 * arguments of the wrong type.
 */
export function verifyRing(
  message: Uint8Array,
  ring: readonly Uint8Array[],
  signature: Uint8Array,
  options: RingVerifyOptions = {},
): boolean {
  assertBytes(message, undefined, 'message');
  assertBytes(signature, undefined, 'ring signature');
  const context = options.context ?? new Uint8Array(0);
  assertBytes(context, undefined, 'context');
  const withCommitments = options.commitments !== undefined;
  if (!Array.isArray(ring) || signature.length !== ringSignatureLength(ring.length, withCommitments))
    return false;
  try {
    return withPointArena((a) => {
      const s = setupRing(a, ring, options.commitments, options.commitmentOffset);
      const field = (i: number): Uint8Array => signature.subarray(32 * i, 32 * (i + 1));
      const keyImage = field(0);
      const I = a.decode(keyImage, 'key image');
      if (a.isIdentity(I)) return false;
      const commitmentImage = withCommitments ? field(1) : undefined;
      const D = commitmentImage === undefined ? undefined : a.decode(commitmentImage, 'commitment image');
      if (D !== undefined && a.isIdentity(D)) return false;
      const first = withCommitments ? 2 : 1;
      const c0 = scalarFromBytes(field(first));
      const responses = Array.from({ length: s.n }, (_, i) => scalarFromBytes(field(first + 1 + i)));
      const { t, muP, muC } = createRingTranscript(
        ring,
        withCommitments,
        options.commitments,
        options.commitmentOffset,
        keyImage,
        commitmentImage,
        context,
      );
      t.appendMessage('message', message);
      let c = c0;
      for (let i = 0; i < s.n; i++) {
        const mark = a.mark;
        const si = responses[i] as Scalar;
        const cP = (c * muP) % L;
        const cC = (c * muC) % L;
        // Lᵢ = sᵢ·K + cᵢ·(μ_P·Pᵢ + μ_C·(Cᵢ − C_offset));  Rᵢ = sᵢ·Hp(Pᵢ) + cᵢ·(μ_P·I + μ_C·D)
        const lPoint = withCommitments
          ? a.msmPublic([si, cP, cC], [s.K, s.P[i] as number, s.Cz[i] as number])
          : a.msmPublic([si, cP], [s.K, s.P[i] as number]);
        const rPoint =
          D === undefined
            ? a.msmPublic([si, cP], [s.Hp[i] as number, I])
            : a.msmPublic([si, cP, cC], [s.Hp[i] as number, I, D]);
        c = roundChallenge(t, a.encode(lPoint), a.encode(rPoint));
        a.release(mark);
      }
      return c === c0;
    });
  } catch (e: unknown) {
    if (e instanceof WeftError) return false;
    throw e;
  }
}
