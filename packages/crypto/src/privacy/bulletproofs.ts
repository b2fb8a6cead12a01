/**
 * Aggregated Bulletproofs range proofs (Bünz, Bootle, Boneh, Poelstra, Wuille, Maxwell,
 * "Bulletproofs: Short Proofs for Confidential Transactions and More", IEEE S&P 2018; section numbers
 * below refer to the full version, ePrint 2017/1066): one proof that each of m Pedersen commitments
 * Vⱼ = vⱼ·G + γⱼ·H opens to a value in [0, 2^n), for n ∈ {8, 16, 32, 64} and m ≤ 64.
 *
 * - G and H are WeDPR's bases from group.ts (G = ristretto255 base point for the value, H =
 *   hash_from_bytes(G) for the blinding), so the confidential ledger's commitments are the same
 *   points its sigma proofs talk about.
 * - m need not be a power of two: the value list is padded to the next power of two m' with
 *   commitments to 0 with blinding 0, i.e. the identity point, which the verifier appends itself. The
 *   proof then has the size for m' (e.g. 3 values prove like 4).
 * - Range argument: §4.1 with the aggregation of §4.3 (value j uses generators j·n … j·n+n−1 and the
 *   challenge power z^(2+j)); inner-product argument: §3, protocol 2, with the prover's H′ᵢ = y^(−i)·Hᵢ
 *   folded into scalars; verification: the single multi-exponentiation of §6.2, with the t̂ check
 *   and the inner-product check combined by a random weight c.
 * - Vector generators: Gᵢ = hashToPoint("weft/bulletproofs/v1/G" ‖ u32le(i)), Hᵢ likewise with
 *   ".../H", where hashToPoint is group.ts's rule (RFC 9496 §4.3.4 one-way map of SHA3-512), so
 *   nobody knows a discrete-log relation between any of them, G or H.
 * - Fiat–Shamir: the SHAKE256 `Transcript` of transcript.ts, domain "weft/bulletproofs/range/v1",
 *   absorbing n, m′, the number of real values, the caller's context, all Vⱼ, then each message
 *   before the challenge that follows it (y, z after A, S; x after T1, T2; w after t̂, τx, μ; uₖ
 *   after Lₖ, Rₖ).
 *
 * Wire format (all 32-byte fields; points in RFC 9496 encoding, scalars little-endian and < ℓ):
 *
 *   A ‖ S ‖ T1 ‖ T2 ‖ t̂ ‖ τx ‖ μ ‖ L₀ ‖ R₀ ‖ … ‖ L_{k−1} ‖ R_{k−1} ‖ a ‖ b,   k = log2(n·m′)
 *
 * i.e. 2k + 4 points and 5 scalars, 32·(2k + 9) bytes: 672 bytes for one 64-bit value, as in the
 * paper (§4.2) and dalek. Decoding is strict: exact length, canonical points and scalars.
 *
 * Side channels: the curve arithmetic of proving runs in the WebAssembly kernel with a sequence of
 * operations fixed by (n, m) — secret bits select points with masks (`cmov`), secret scalars go
 * through the masked-lookup Straus MSM. JavaScript BigInt arithmetic on the secret vectors (a few
 * hundred multiplications mod ℓ) is variable-time in V8, as in every BigInt-based implementation;
 * there are no branches or table indices on secrets in this file. Verification is variable time
 * (it only handles public data).
 */
import { concatBytes, utf8ToBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import {
  assertScalar,
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  modOrder,
  randomScalar,
  type Scalar,
  scalarFromBytes,
  scalarInvert,
  scalarToBytes,
} from './group.js';
import { type PointArena, type PointRef, SHIFTED_WINDOWS, withPointArena } from './msm.js';
import { Transcript } from './transcript.js';

export type RangeBits = 8 | 16 | 32 | 64;
export const RANGE_BITS: readonly RangeBits[] = [8, 16, 32, 64];
/** Most values one proof can aggregate (after padding to a power of two). */
export const MAX_AGGREGATION = 64;

const DOMAIN = 'weft/bulletproofs/range/v1';
const GENERATOR_LABEL_G = utf8ToBytes('weft/bulletproofs/v1/G');
const GENERATOR_LABEL_H = utf8ToBytes('weft/bulletproofs/v1/H');
const L = CURVE_ORDER;
const POINT_RAW = 160;

export interface RangeProofOptions {
  /**
   * Bytes the proof is bound to (chain id, transaction hash, asset id…): a proof made for one
   * context does not verify in another.
   */
  context?: Uint8Array;
}

export interface RangeProofResult {
  proof: Uint8Array;
  /** Vⱼ = vⱼ·G + γⱼ·H for the given values (not the padding), 32 bytes each. */
  commitments: Uint8Array[];
}

export interface RangeProofItem {
  proof: Uint8Array;
  commitments: readonly Uint8Array[];
  bits: RangeBits;
  context?: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Parameters and generators
// ---------------------------------------------------------------------------------------------

function assertBits(bits: unknown): asserts bits is RangeBits {
  if (!RANGE_BITS.includes(bits as RangeBits)) {
    throw new WeftError('INVALID_ARGUMENT', 'range proofs support n = 8, 16, 32 or 64 bits');
  }
}

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_AGGREGATION) {
    throw new WeftError('INVALID_ARGUMENT', `a range proof covers 1…${MAX_AGGREGATION} values, got ${count}`);
  }
}

/** The next power of two ≥ count: the aggregation size m′ actually proven. */
export function paddedAggregation(count: number): number {
  assertCount(count);
  let m = 1;
  while (m < count) m *= 2;
  return m;
}

/** Byte length of a proof for `count` values of `bits` bits: 32·(2·log2(n·m′) + 9). */
export function rangeProofLength(bits: RangeBits, count: number): number {
  assertBits(bits);
  return 32 * (2 * Math.log2(bits * paddedAggregation(count)) + 9);
}

interface GeneratorCache {
  count: number;
  g: Uint8Array;
  h: Uint8Array;
  bases: Uint8Array; // raw BASE_G ‖ BASE_H
}

const cache: GeneratorCache = {
  count: 0,
  g: new Uint8Array(0),
  h: new Uint8Array(0),
  bases: new Uint8Array(0),
};

function u32le(i: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, i, true);
  return out;
}

/** Derives (once per process) the first `count` generators of each vector, kept as raw limbs. */
function ensureGenerators(count: number): void {
  if (cache.bases.length === 0) {
    cache.bases = withPointArena((a) => {
      const g = a.decode(BASE_G.toBytes());
      a.decode(BASE_H.toBytes());
      return a.exportRaw(g, 2);
    });
  }
  if (count <= cache.count) return;
  const target = Math.max(count, 2 * cache.count);
  const derive = (label: Uint8Array, old: Uint8Array): Uint8Array => {
    const out = new Uint8Array(target * POINT_RAW);
    out.set(old);
    withPointArena((a) => {
      for (let i = cache.count; i < target; i++) {
        const mark = a.mark;
        out.set(a.exportRaw(a.hashToPoint(concatBytes(label, u32le(i)))), i * POINT_RAW);
        a.release(mark);
      }
    });
    return out;
  };
  const g = derive(GENERATOR_LABEL_G, cache.g);
  const h = derive(GENERATOR_LABEL_H, cache.h);
  cache.g = g;
  cache.h = h;
  cache.count = target;
}

interface LoadedGenerators {
  /** First of N consecutive slots G₀ … G_{N−1}. */
  g: PointRef;
  h: PointRef;
  baseG: PointRef;
  baseH: PointRef;
}

function loadGenerators(a: PointArena, count: number): LoadedGenerators {
  ensureGenerators(count);
  const g = a.loadRaw(cache.g.subarray(0, count * POINT_RAW));
  const h = a.loadRaw(cache.h.subarray(0, count * POINT_RAW));
  const bases = a.loadRaw(cache.bases);
  return { g, h, baseG: bases, baseH: bases + POINT_RAW };
}

/** Encodings of Gᵢ / Hᵢ for i < count (documentation, tests, other implementations). */
export function rangeProofGenerators(count: number): { g: Uint8Array[]; h: Uint8Array[] } {
  if (!Number.isInteger(count) || count < 0 || count > MAX_AGGREGATION * 64) {
    throw new WeftError('INVALID_ARGUMENT', 'generator count out of range');
  }
  return withPointArena((a) => {
    const gens = loadGenerators(a, Math.max(count, 1));
    const g: Uint8Array[] = [];
    const h: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      g.push(a.encode(gens.g + i * POINT_RAW));
      h.push(a.encode(gens.h + i * POINT_RAW));
    }
    return { g, h };
  });
}

// ---------------------------------------------------------------------------------------------
// Scalar helpers
// ---------------------------------------------------------------------------------------------

function powers(base: Scalar, count: number): Scalar[] {
  const out = new Array<Scalar>(count);
  let acc = 1n;
  for (let i = 0; i < count; i++) {
    out[i] = acc;
    acc = (acc * base) % L;
  }
  return out;
}

function innerProduct(a: readonly Scalar[], b: readonly Scalar[]): Scalar {
  // Sum the unreduced 506-bit products and reduce once: one % instead of one per term.
  let acc = 0n;
  for (let i = 0; i < a.length; i++) acc += (a[i] as Scalar) * (b[i] as Scalar);
  return acc % L;
}

/** A random weight of 128 bits (batching: a false check survives with probability ≤ 2^−128). */
function randomWeight(): Scalar {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let w = 0n;
  for (const b of bytes) w = (w << 8n) | BigInt(b);
  return w === 0n ? 1n : w;
}

function nonZeroChallenge(t: Transcript, label: string): Scalar {
  const c = t.challengeScalar(label);
  // Probability 2^−252; a zero y or uₖ has no inverse and would make the proof meaningless.
  if (c === 0n) throw new WeftError('INVALID_PROOF', `Fiat–Shamir challenge ${label} is zero`);
  return c;
}

function createRangeTranscript(
  bits: number,
  padded: number,
  count: number,
  context: Uint8Array,
  commitments: readonly Uint8Array[],
): Transcript {
  const t = Transcript.create(DOMAIN);
  t.appendU64('n', bits);
  t.appendU64('m', padded);
  t.appendU64('values', count);
  t.appendMessage('context', context);
  for (const v of commitments) t.appendMessage('V', v);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Commitments
// ---------------------------------------------------------------------------------------------

/** V = v·G + γ·H for 0 ≤ v < ℓ (the same Pedersen commitment as pedersen.ts), 32 bytes. */
export function commitValue(value: bigint, blinding: Scalar): Uint8Array {
  if (typeof value !== 'bigint' || value < 0n || value >= L) {
    throw new WeftError('INVALID_ARGUMENT', 'committed value must be a bigint in [0, ℓ)');
  }
  assertScalar(blinding, 'blinding');
  return withPointArena((a) => {
    const gens = loadGenerators(a, 1);
    return a.encode(a.msmSecret([value, blinding], [gens.baseG, gens.baseH]));
  });
}

// ---------------------------------------------------------------------------------------------
// Prover
// ---------------------------------------------------------------------------------------------

/**
 * Proves that every `values[j]` lies in [0, 2^bits) and returns the proof with the commitments
 * Vⱼ = values[j]·G + blindings[j]·H. Refuses (INVALID_ARGUMENT) out-of-range or negative values:
 * the message names the index, never the value.
 */
export function proveRange(
  values: readonly bigint[],
  blindings: readonly Scalar[],
  bits: RangeBits,
  options: RangeProofOptions = {},
): RangeProofResult {
  assertBits(bits);
  assertCount(values.length);
  if (blindings.length !== values.length) {
    throw new WeftError('INVALID_ARGUMENT', 'need exactly one blinding factor per value');
  }
  const bound = 1n << BigInt(bits);
  values.forEach((v, j) => {
    if (typeof v !== 'bigint' || v < 0n || v >= bound) {
      throw new WeftError('INVALID_ARGUMENT', `value #${j} is outside [0, 2^${bits})`);
    }
  });
  blindings.forEach((g, j) => {
    assertScalar(g, `blinding #${j}`);
  });
  const context = options.context ?? new Uint8Array(0);
  const m = paddedAggregation(values.length);
  const paddedValues = [...values, ...new Array<bigint>(m - values.length).fill(0n)];
  const paddedBlindings = [...blindings, ...new Array<Scalar>(m - values.length).fill(0n)];
  return withPointArena((a) => proveWith(a, paddedValues, paddedBlindings, bits, values.length, context));
}

function proveWith(
  a: PointArena,
  values: readonly bigint[],
  blindings: readonly Scalar[],
  n: number,
  count: number,
  context: Uint8Array,
): RangeProofResult {
  const m = values.length;
  const N = n * m;
  const gens = loadGenerators(a, N);
  const G = (i: number): PointRef => gens.g + i * POINT_RAW;
  const H = (i: number): PointRef => gens.h + i * POINT_RAW;

  const commitmentBytes = values.map((v, j) =>
    a.encode(a.msmSecret([v, blindings[j] as Scalar], [gens.baseG, gens.baseH])),
  );
  const t = createRangeTranscript(n, m, count, context, commitmentBytes);

  // aL = bits of all values (value j at positions j·n … j·n+n−1), aR = aL − 1 (§4.1 eq. 36–38).
  const aL = new Uint8Array(N);
  for (let j = 0; j < m; j++) {
    const v = values[j] as bigint;
    for (let i = 0; i < n; i++) aL[j * n + i] = Number((v >> BigInt(i)) & 1n);
  }

  // A = α·H + ⟨aL, G⟩ + ⟨aR, H⟩ = α·H + Σᵢ (bitᵢ ? Gᵢ : −Hᵢ); the choice is a masked move.
  const alpha = randomScalar();
  const A = a.mulSecret(gens.baseH, alpha);
  const chosen = a.alloc();
  const mark = a.mark;
  for (let i = 0; i < N; i++) {
    const negH = a.neg(H(i));
    a.kernel.ge_copy(chosen, negH);
    a.cmov(chosen, G(i), aL[i] as number);
    a.addInto(A, A, chosen);
    a.release(mark);
  }

  // S = ρ·H + ⟨sL, G⟩ + ⟨sR, H⟩ (§4.1 eq. 40–41).
  const rho = randomScalar();
  const sL = Array.from({ length: N }, () => randomScalar());
  const sR = Array.from({ length: N }, () => randomScalar());
  const sPoints = new Int32Array(2 * N + 1);
  sPoints[0] = gens.baseH;
  for (let i = 0; i < N; i++) {
    sPoints[1 + i] = G(i);
    sPoints[1 + N + i] = H(i);
  }
  const S = a.msmSecret([rho, ...sL, ...sR], sPoints);

  const aBytes = a.encode(A);
  const sBytes = a.encode(S);
  t.appendMessage('A', aBytes);
  t.appendMessage('S', sBytes);
  const y = nonZeroChallenge(t, 'y');
  const z = nonZeroChallenge(t, 'z');

  // l(X) = (aL − z·1) + sL·X;  r(X) = yᴺ ∘ (aR + z·1 + sR·X) + Σⱼ z^(2+j)·(0ⁿʲ ‖ 2ⁿ ‖ 0…)  (§4.3 eq. 71–72)
  const yPow = powers(y, N);
  const zPow = powers(z, m + 2);
  const l0 = new Array<Scalar>(N);
  const r0 = new Array<Scalar>(N);
  const r1 = new Array<Scalar>(N);
  for (let i = 0; i < N; i++) {
    const bit = BigInt(aL[i] as number);
    const j = Math.floor(i / n);
    const twoPow = 1n << BigInt(i % n);
    l0[i] = (bit + L - z) % L;
    // aR + z = bit − 1 + z
    r0[i] = ((yPow[i] as Scalar) * (bit + L - 1n + z) + (zPow[2 + j] as Scalar) * twoPow) % L;
    r1[i] = ((yPow[i] as Scalar) * (sR[i] as Scalar)) % L;
  }
  const t1 = (innerProduct(l0, r1) + innerProduct(sL, r0)) % L;
  const t2 = innerProduct(sL, r1);

  const tau1 = randomScalar();
  const tau2 = randomScalar();
  const T1 = a.msmSecret([t1, tau1], [gens.baseG, gens.baseH]);
  const T2 = a.msmSecret([t2, tau2], [gens.baseG, gens.baseH]);
  const t1Bytes = a.encode(T1);
  const t2Bytes = a.encode(T2);
  t.appendMessage('T1', t1Bytes);
  t.appendMessage('T2', t2Bytes);
  const x = nonZeroChallenge(t, 'x');

  const l = new Array<Scalar>(N);
  const r = new Array<Scalar>(N);
  for (let i = 0; i < N; i++) {
    l[i] = ((l0[i] as Scalar) + x * (sL[i] as Scalar)) % L;
    r[i] = ((r0[i] as Scalar) + x * (r1[i] as Scalar)) % L;
  }
  const tHat = innerProduct(l, r);
  // τx = τ2·x² + τ1·x + Σⱼ z^(2+j)·γⱼ;  μ = α + ρ·x  (§4.3 eq. 73–74)
  let tauX = tau2 * ((x * x) % L) + tau1 * x;
  for (let j = 0; j < m; j++) tauX += (zPow[2 + j] as Scalar) * (blindings[j] as Scalar);
  tauX %= L;
  const mu = (alpha + rho * x) % L;
  const tHatBytes = scalarToBytes(tHat);
  const tauXBytes = scalarToBytes(tauX);
  const muBytes = scalarToBytes(mu);
  t.appendMessage('t_hat', tHatBytes);
  t.appendMessage('tau_x', tauXBytes);
  t.appendMessage('mu', muBytes);
  const w = nonZeroChallenge(t, 'w');

  const Q = a.mulPublic(gens.baseG, w);
  const yInv = scalarInvert(y);
  const ipa = proveInnerProduct(a, t, Q, gens, N, powers(yInv, N), l, r);

  return {
    proof: concatBytes(aBytes, sBytes, t1Bytes, t2Bytes, tHatBytes, tauXBytes, muBytes, ...ipa),
    commitments: commitmentBytes.slice(0, count),
  };
}

/**
 * The inner-product argument (§3, protocol 2 with the recursion of eq. 20–26): proves knowledge of
 * a, b with P = ⟨a, G⟩ + ⟨b, H′⟩ + ⟨a, b⟩·Q, H′ᵢ = hFactors[i]·Hᵢ. Round k sends
 *   L = ⟨a_lo, G_hi⟩ + ⟨b_hi, H′_lo⟩ + ⟨a_lo, b_hi⟩·Q,  R = ⟨a_hi, G_lo⟩ + ⟨b_lo, H′_hi⟩ + ⟨a_hi, b_lo⟩·Q
 * and folds with u = challenge: a ← u·a_lo + u⁻¹·a_hi, b ← u⁻¹·b_lo + u·b_hi,
 * G ← u⁻¹·G_lo + u·G_hi, H′ ← u·H′_lo + u⁻¹·H′_hi. Returns the serialized L₀ R₀ … a b.
 */
function proveInnerProduct(
  a: PointArena,
  t: Transcript,
  Q: PointRef,
  gens: LoadedGenerators,
  size: number,
  hFactors: readonly Scalar[],
  aVec: readonly Scalar[],
  bVec: readonly Scalar[],
): Uint8Array[] {
  t.appendU64('ipa_n', size);
  let n = size;
  let av = aVec.slice();
  let bv = bVec.slice();
  // Current generator slots; the first round reads the shared generators in place.
  let G = Array.from({ length: n }, (_, i) => gens.g + i * POINT_RAW);
  let H = Array.from({ length: n }, (_, i) => gens.h + i * POINT_RAW);
  let hf: readonly Scalar[] = hFactors;
  const out: Uint8Array[] = [];
  while (n > 1) {
    const half = n / 2;
    const aLo = av.slice(0, half);
    const aHi = av.slice(half);
    const bLo = bv.slice(0, half);
    const bHi = bv.slice(half);
    const cL = innerProduct(aLo, bHi);
    const cR = innerProduct(aHi, bLo);
    const mark = a.mark;
    const lPoint = a.msmSecret(
      [...aLo, ...bHi.map((b, i) => (b * (hf[i] as Scalar)) % L), cL],
      [...G.slice(half), ...H.slice(0, half), Q],
    );
    const rPoint = a.msmSecret(
      [...aHi, ...bLo.map((b, i) => (b * (hf[half + i] as Scalar)) % L), cR],
      [...G.slice(0, half), ...H.slice(half), Q],
    );
    const lBytes = a.encode(lPoint);
    const rBytes = a.encode(rPoint);
    a.release(mark);
    out.push(lBytes, rBytes);
    t.appendMessage('L', lBytes);
    t.appendMessage('R', rBytes);
    const u = nonZeroChallenge(t, 'u');
    const uInv = scalarInvert(u);
    av = aLo.map((x, i) => (x * u + (aHi[i] as Scalar) * uInv) % L);
    bv = bLo.map((x, i) => (x * uInv + (bHi[i] as Scalar) * u) % L);
    if (half > 1) {
      // Fold the generators (public scalars: variable-time MSM). The final G, H are never needed.
      const newG = a.alloc(half);
      const newH = a.alloc(half);
      for (let i = 0; i < half; i++) {
        const m2 = a.mark;
        a.msmPublic([uInv, u], [G[i] as number, G[half + i] as number], newG + i * POINT_RAW);
        a.msmPublic(
          [(u * (hf[i] as Scalar)) % L, (uInv * (hf[half + i] as Scalar)) % L],
          [H[i] as number, H[half + i] as number],
          newH + i * POINT_RAW,
        );
        a.release(m2);
      }
      G = Array.from({ length: half }, (_, i) => newG + i * POINT_RAW);
      H = Array.from({ length: half }, (_, i) => newH + i * POINT_RAW);
    }
    hf = new Array<Scalar>(half).fill(1n);
    n = half;
  }
  out.push(scalarToBytes(av[0] as Scalar), scalarToBytes(bv[0] as Scalar));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------------------------

interface ParsedProof {
  n: number;
  m: number;
  count: number;
  rounds: number;
  commitments: Uint8Array[]; // padded
  context: Uint8Array;
  bytes: Uint8Array;
}

function parseItem(item: RangeProofItem): ParsedProof {
  assertBits(item.bits);
  if (!Array.isArray(item.commitments))
    throw new WeftError('INVALID_ARGUMENT', 'commitments must be an array');
  const count = item.commitments.length;
  const m = paddedAggregation(count);
  const commitments = item.commitments.map((c) => {
    if (!(c instanceof Uint8Array) || c.length !== 32) {
      throw new WeftError('INVALID_ARGUMENT', 'each commitment must be 32 bytes');
    }
    return c;
  });
  while (commitments.length < m) commitments.push(new Uint8Array(32));
  const rounds = Math.log2(item.bits * m);
  if (!(item.proof instanceof Uint8Array) || item.proof.length !== 32 * (2 * rounds + 9)) {
    throw new WeftError('INVALID_PROOF', `range proof must be ${32 * (2 * rounds + 9)} bytes`, {
      penalise: true,
    });
  }
  return {
    n: item.bits,
    m,
    count,
    rounds,
    commitments,
    context: item.context ?? new Uint8Array(0),
    bytes: item.proof,
  };
}

interface Accumulator {
  g: Scalar[];
  h: Scalar[];
  baseG: Scalar;
  baseH: Scalar;
  scalars: Scalar[];
  points: PointRef[];
}

/**
 * Adds weight·(the §6.2 verification equation of one proof) to the accumulator. Throws on any
 * malformed field (non-canonical point or scalar).
 */
function accumulateProof(a: PointArena, p: ParsedProof, weight: Scalar, acc: Accumulator): void {
  const field = (i: number): Uint8Array => p.bytes.subarray(32 * i, 32 * (i + 1));
  const N = p.n * p.m;
  const K = p.rounds;
  const t = createRangeTranscript(p.n, p.m, p.count, p.context, p.commitments);
  const V = p.commitments.map((c, j) => a.decode(c, `commitment #${j}`));
  const A = a.decode(field(0), 'A');
  const S = a.decode(field(1), 'S');
  const T1 = a.decode(field(2), 'T1');
  const T2 = a.decode(field(3), 'T2');
  // As dalek's validate_and_append_point: an honest prover's A, S, T1, T2 carry fresh blinding.
  for (const P of [A, S, T1, T2]) {
    if (a.isIdentity(P))
      throw new WeftError('INVALID_PROOF', 'identity point in range proof', { penalise: true });
  }
  const tHat = scalarFromBytes(field(4));
  const tauX = scalarFromBytes(field(5));
  const mu = scalarFromBytes(field(6));
  t.appendMessage('A', field(0));
  t.appendMessage('S', field(1));
  const y = nonZeroChallenge(t, 'y');
  const z = nonZeroChallenge(t, 'z');
  t.appendMessage('T1', field(2));
  t.appendMessage('T2', field(3));
  const x = nonZeroChallenge(t, 'x');
  t.appendMessage('t_hat', field(4));
  t.appendMessage('tau_x', field(5));
  t.appendMessage('mu', field(6));
  const w = nonZeroChallenge(t, 'w');
  t.appendU64('ipa_n', N);
  const Ls: PointRef[] = [];
  const Rs: PointRef[] = [];
  const u: Scalar[] = [];
  for (let k = 0; k < K; k++) {
    Ls.push(a.decode(field(7 + 2 * k), 'L'));
    Rs.push(a.decode(field(8 + 2 * k), 'R'));
    t.appendMessage('L', field(7 + 2 * k));
    t.appendMessage('R', field(8 + 2 * k));
    u.push(nonZeroChallenge(t, 'u'));
  }
  const aFinal = scalarFromBytes(field(7 + 2 * K));
  const bFinal = scalarFromBytes(field(8 + 2 * K));

  // sᵢ = Πₖ uₖ^(±1), + when bit (K−1−k) of i is set (round k splits on that bit); 1/sᵢ = s_{N−1−i}.
  const uInv = u.map((x) => scalarInvert(x));
  const s = new Array<Scalar>(N);
  let s0 = 1n;
  for (const v of uInv) s0 = (s0 * v) % L;
  s[0] = s0;
  const uSq = u.map((x) => (x * x) % L);
  for (let i = 1; i < N; i++) {
    const hi = 31 - Math.clz32(i);
    s[i] = ((s[i - (1 << hi)] as Scalar) * (uSq[K - 1 - hi] as Scalar)) % L;
  }

  const c = randomScalar();
  const zz = (z * z) % L;
  const yInv = scalarInvert(y);
  // δ(y, z) = (z − z²)·⟨1, yᴺ⟩ − Σⱼ z^(3+j)·⟨1, 2ⁿ⟩  (§4.3 eq. 75 generalising eq. 39)
  let sumY = 0n;
  let yp = 1n;
  for (let i = 0; i < N; i++) {
    sumY += yp;
    yp = (yp * y) % L;
  }
  const zPow = powers(z, p.m + 3);
  const twoN = (1n << BigInt(p.n)) - 1n;
  let delta = modOrder((z - zz) * (sumY % L));
  for (let j = 0; j < p.m; j++) delta = modOrder(delta - (zPow[3 + j] as Scalar) * twoN);

  const wc = (weight * c) % L;
  const minusZ = L - z;
  let yInvPow = 1n;
  const twoPow = Array.from({ length: p.n }, (_, i) => 1n << BigInt(i));
  for (let i = 0; i < N; i++) {
    const j = Math.floor(i / p.n);
    const gi = minusZ + L - ((aFinal * (s[i] as Scalar)) % L);
    acc.g[i] = ((acc.g[i] as Scalar) + weight * gi) % L;
    const zTwo = ((zPow[2 + j] as Scalar) * (twoPow[i % p.n] as bigint)) % L;
    const inner = zTwo + L - ((bFinal * (s[N - 1 - i] as Scalar)) % L);
    const hi = (z + yInvPow * inner) % L;
    acc.h[i] = ((acc.h[i] as Scalar) + weight * hi) % L;
    yInvPow = (yInvPow * yInv) % L;
  }
  acc.baseG =
    (acc.baseG + weight * modOrder(w * (tHat - ((aFinal * bFinal) % L))) + wc * modOrder(delta - tHat)) % L;
  acc.baseH = (acc.baseH + weight * modOrder(-mu) + wc * modOrder(-tauX)) % L;
  acc.scalars.push(weight % L, (weight * x) % L, (wc * x) % L, (((wc * x) % L) * x) % L);
  acc.points.push(A, S, T1, T2);
  for (let k = 0; k < K; k++) {
    acc.scalars.push(
      (weight * (uSq[k] as Scalar)) % L,
      (weight * (((uInv[k] as Scalar) * (uInv[k] as Scalar)) % L)) % L,
    );
    acc.points.push(Ls[k] as number, Rs[k] as number);
  }
  for (let j = 0; j < p.m; j++) {
    acc.scalars.push((wc * (zPow[2 + j] as Scalar)) % L);
    acc.points.push(V[j] as number);
  }
}

interface VerifyTables {
  count: number;
  /** Shifted tables (msm.ts `buildShiftedTable`) of G₀…G_{count−1}, H₀…H_{count−1} and (G, H). */
  g: PointRef;
  h: PointRef;
  bases: PointRef;
}

let verifyTables: VerifyTables | undefined;

/**
 * Builds the shifted tables of the first `count` generators of each vector: SHIFTED_WINDOWS cached
 * points per generator (≈ 4 KB), made once per process in the arena's persistent area, ≈ 50 µs per
 * generator. Returns tables valid only inside the current arena scope when the persistent area is
 * unavailable (the caller is nested in another arena computation).
 */
function getVerifyTables(a: PointArena, count: number): VerifyTables {
  if (verifyTables !== undefined && verifyTables.count >= count) return verifyTables;
  const target = Math.max(count, 2 * (verifyTables?.count ?? 0));
  ensureGenerators(target);
  const rows = (2 * target + 2) * SHIFTED_WINDOWS;
  const persistent = a.allocPersistent(rows);
  const base = persistent ?? a.alloc(rows);
  const tables: VerifyTables = {
    count: target,
    g: base,
    h: base + target * SHIFTED_WINDOWS * POINT_RAW,
    bases: base + 2 * target * SHIFTED_WINDOWS * POINT_RAW,
  };
  const mark = a.mark;
  const g = a.loadRaw(cache.g.subarray(0, target * POINT_RAW));
  const h = a.loadRaw(cache.h.subarray(0, target * POINT_RAW));
  const bases = a.loadRaw(cache.bases);
  const ref = (start: PointRef, n: number): PointRef[] =>
    Array.from({ length: n }, (_, i) => start + i * POINT_RAW);
  a.buildShiftedTable(ref(g, target), tables.g);
  a.buildShiftedTable(ref(h, target), tables.h);
  a.buildShiftedTable(ref(bases, 2), tables.bases);
  a.release(mark);
  if (persistent !== undefined) verifyTables = tables;
  return tables;
}

function verifyParsed(parsed: readonly ParsedProof[]): boolean {
  return withPointArena((a) => {
    let maxN = 1;
    for (const p of parsed) maxN = Math.max(maxN, p.n * p.m);
    const tables = getVerifyTables(a, maxN);
    const acc: Accumulator = {
      g: new Array<Scalar>(maxN).fill(0n),
      h: new Array<Scalar>(maxN).fill(0n),
      baseG: 0n,
      baseH: 0n,
      scalars: [],
      points: [],
    };
    try {
      parsed.forEach((p) => {
        accumulateProof(a, p, parsed.length === 1 ? 1n : randomWeight(), acc);
      });
    } catch (e: unknown) {
      if (e instanceof WeftError) return false;
      throw e;
    }
    // Fixed points (generators, G, H) through their precomputed tables; the proofs' own points
    // (V, A, S, T1, T2, L, R) through an ordinary MSM; the sum must be the identity.
    const fixed = a.msmPublicShifted([
      { table: tables.g, scalars: acc.g },
      { table: tables.h, scalars: acc.h },
      { table: tables.bases, scalars: [acc.baseG, acc.baseH] },
    ]);
    const own = a.msmPublic(acc.scalars, acc.points);
    a.addInto(own, own, fixed);
    return a.isIdentity(own);
  });
}

/**
 * Verifies an aggregated range proof for `commitments` (1…64 of them, 32 bytes each) with `bits`
 * bits per value. Returns false for any invalid or malformed proof; throws INVALID_ARGUMENT only for
 * unsupported parameters (bits, number of commitments).
 */
export function verifyRange(
  proof: Uint8Array,
  commitments: readonly Uint8Array[],
  bits: RangeBits,
  options: RangeProofOptions = {},
): boolean {
  const item: RangeProofItem = { proof, commitments, bits };
  if (options.context !== undefined) item.context = options.context;
  return batchVerifyRange([item]);
}

/**
 * Verifies many range proofs (any mix of n and m) with one multi-scalar multiplication: each proof's
 * equation is scaled by an independent 128-bit random weight and the sum is checked (a batch with an
 * invalid proof passes with probability ≤ 2^−128). True only if every proof is valid; use
 * `verifyRange` on each to find the culprit.
 */
export function batchVerifyRange(items: readonly RangeProofItem[]): boolean {
  if (items.length === 0) return true;
  const parsed: ParsedProof[] = [];
  for (const item of items) {
    try {
      parsed.push(parseItem(item));
    } catch (e: unknown) {
      if (e instanceof WeftError && e.code === 'INVALID_PROOF') return false;
      throw e;
    }
  }
  return verifyParsed(parsed);
}
