/**
 * Zero-knowledge proofs over Pedersen commitments, wire-compatible with WeDPR-Lab-Crypto's
 * `wedpr_l_crypto_zkp_discrete_logarithm_proof` (the proofs FISCO BCOS's `ZkpPrecompiled` verifies):
 *
 * | proof            | statement                                                    | bytes |
 * |------------------|--------------------------------------------------------------|-------|
 * | knowledge        | knows (v, r) with C = v·G + r·H                              |   96  |
 * | format           | knows (v, r) with C1 = v·B1 + r·H and C2 = r·B2              |  128  |
 * | sum              | value(C1) + value(C2) = value(C3)                            |  256  |
 * | product          | value(C1) · value(C2) = value(C3)                            |  256  |
 * | equality         | knows x with C1 = x·B1 and C2 = x·B2 (Chaum–Pedersen DLEQ)   |   96  |
 * | either-equality  | value(C1) = value(C2)  OR  value(C1) = value(C3)             |  256  |
 *
 * Encodings are WeDPR's `Serialize` impls (crates `wedpr_l_crypto_zkp_utils`): points are 32-byte
 * RFC 9496 encodings, scalars 32-byte little-endian, concatenated in struct order:
 *   knowledge  t1 ‖ m1 ‖ m2              format  t1 ‖ t2 ‖ m1 ‖ m2
 *   sum/product t1 ‖ t2 ‖ t3 ‖ m1 ‖ … ‖ m5   equality m1 ‖ t1 ‖ t2
 *   either-equality check1 ‖ check2 ‖ m1 ‖ … ‖ m6
 * The Fiat–Shamir challenge is WeDPR's `hash_to_scalar`: Keccak-256 of the concatenated point
 * encodings (order per proof, below), read little-endian and reduced mod ℓ. Responses are
 * m = nonce − challenge·witness, and the verifier recomputes t = m·base + … + challenge·C.
 *
 * Differences from WeDPR, all in the direction of rejecting more:
 * - decoding demands the exact length (WeDPR ignores trailing bytes) and canonical scalars < ℓ
 *   (WeDPR reduces mod ℓ, so the same proof has up to 16 encodings — harmless for soundness, but a
 *   malleable proof encoding is a malleable transaction hash);
 * - an optional `context` is appended to the transcript. WeDPR's transcript binds no context at all,
 *   so a WeDPR proof can be lifted from one transaction into another with the same commitments. With
 *   `context` empty (the default) proofs are byte-for-byte WeDPR's; with a context they are not
 *   WeDPR-verifiable, but cannot be replayed elsewhere. Use a context whenever interop is not needed.
 *
 * Side channels: no proving path branches on a secret. The one proof with a secret choice (which side
 * of the either-equality OR is true) computes both sides with the same operations and selects by
 * arithmetic with a 0/1 scalar; secret scalar multiplications go through `mulSecret`, which also
 * hides whether a scalar is zero. JavaScript BigInt arithmetic itself is not constant-time, so this
 * removes the large, obvious leaks (different code paths), not every timing difference.
 */
import { assertBytes, concatBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import {
  assertPoint,
  assertScalar,
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  hashToScalar,
  modOrder,
  mulSecret,
  multiScalarMul,
  POINT_LENGTH,
  type Point,
  pointFromBytes,
  pointToBytes,
  randomScalar,
  SCALAR_LENGTH,
  type Scalar,
  scalarFromBytes,
  scalarToBytes,
} from './group.js';
import { commit, mulBaseSecret, type PedersenOpening } from './pedersen.js';

/** Σ scalars[i]·points[i] = identity: one verification equation in the form batching needs. */
export interface LinearCheck {
  readonly scalars: readonly Scalar[];
  readonly points: readonly Point[];
}

/** Evaluates one linear check with a single (variable-time, public-input) multi-scalar product. */
export function linearCheckHolds(check: LinearCheck): boolean {
  return multiScalarMul(check.scalars, check.points).is0();
}

const MINUS_ONE: Scalar = CURVE_ORDER - 1n;
const EMPTY = new Uint8Array(0);

function challenge(points: readonly Point[], context: Uint8Array | undefined): Scalar {
  const parts: Uint8Array[] = points.map((p) => p.toBytes());
  if (context !== undefined && context.length > 0) {
    assertBytes(context, undefined, 'context');
    parts.push(context);
  }
  return hashToScalar(...parts);
}

function contextOf(options: { readonly context?: Uint8Array }): Uint8Array {
  const c = options.context ?? EMPTY;
  assertBytes(c, undefined, 'context');
  return c;
}

function sub(a: Scalar, b: Scalar): Scalar {
  return modOrder(a - b);
}
function mul(a: Scalar, b: Scalar): Scalar {
  return modOrder(a * b);
}

// ---------------------------------------------------------------------------------------------
// Byte codec shared by all proofs
// ---------------------------------------------------------------------------------------------

type Field = 'point' | 'scalar';

function encodeFields(values: readonly (Point | Scalar)[]): Uint8Array {
  return concatBytes(...values.map((v) => (typeof v === 'bigint' ? scalarToBytes(v) : pointToBytes(v))));
}

function decodeFields(bytes: Uint8Array, layout: readonly Field[], what: string): (Point | Scalar)[] {
  assertBytes(bytes, undefined, what);
  const expected = layout.reduce((n, f) => n + (f === 'point' ? POINT_LENGTH : SCALAR_LENGTH), 0);
  if (bytes.length !== expected) {
    throw new WeftError('INVALID_PROOF', `${what} must be ${expected} bytes, got ${bytes.length}`, {
      penalise: true,
    });
  }
  const out: (Point | Scalar)[] = [];
  let offset = 0;
  try {
    for (const f of layout) {
      const chunk = bytes.subarray(offset, offset + 32);
      out.push(f === 'point' ? pointFromBytes(chunk) : scalarFromBytes(chunk));
      offset += 32;
    }
  } catch (cause: unknown) {
    throw new WeftError('INVALID_PROOF', `${what} contains a non-canonical point or scalar`, {
      cause,
      penalise: true,
    });
  }
  return out;
}

function pointAt(fields: readonly (Point | Scalar)[], i: number): Point {
  const v = fields[i];
  if (v === undefined || typeof v === 'bigint') throw new WeftError('INVALID_PROOF', 'bad proof layout');
  return v;
}
function scalarAt(fields: readonly (Point | Scalar)[], i: number): Scalar {
  const v = fields[i];
  if (typeof v !== 'bigint') throw new WeftError('INVALID_PROOF', 'bad proof layout');
  return v;
}

function checksHold(checks: readonly LinearCheck[]): boolean {
  for (const c of checks) if (!linearCheckHolds(c)) return false;
  return true;
}

/** Runs a verifier, mapping malformed inputs (wrong types, non-canonical values) to `false`. */
function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Knowledge proof: C = v·G + r·H, prover knows (v, r). Transcript: t1 ‖ C ‖ G ‖ H.
// ---------------------------------------------------------------------------------------------

export interface KnowledgeProof {
  readonly t1: Point;
  readonly m1: Scalar;
  readonly m2: Scalar;
}

export interface CommitmentProofOptions {
  readonly valueBase?: Point;
  readonly blindingBase?: Point;
  /** Extra transcript bytes; empty (the default) keeps the proof WeDPR-compatible. */
  readonly context?: Uint8Array;
}

export function proveKnowledge(
  opening: PedersenOpening,
  options: CommitmentProofOptions = {},
): KnowledgeProof {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  assertScalar(opening.value, 'value');
  assertScalar(opening.blinding, 'blinding');
  const a = randomScalar();
  const b = randomScalar();
  const t1 = mulBaseSecret(g, a).add(mulBaseSecret(h, b));
  const c = commit(opening.value, opening.blinding, { valueBase: g, blindingBase: h });
  const e = challenge([t1, c, g, h], contextOf(options));
  return { t1, m1: sub(a, mul(e, opening.value)), m2: sub(b, mul(e, opening.blinding)) };
}

/** The verification equation c·C + m1·G + m2·H − t1 = 0 (for batching). */
export function knowledgeChecks(
  commitment: Point,
  proof: KnowledgeProof,
  options: CommitmentProofOptions = {},
): LinearCheck[] {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  assertPoint(commitment, 'commitment');
  const e = challenge([proof.t1, commitment, g, h], contextOf(options));
  return [{ scalars: [e, proof.m1, proof.m2, MINUS_ONE], points: [commitment, g, h, proof.t1] }];
}

export function verifyKnowledge(
  commitment: Point,
  proof: KnowledgeProof,
  options: CommitmentProofOptions = {},
): boolean {
  return safely(() => checksHold(knowledgeChecks(commitment, proof, options)));
}

export function knowledgeProofToBytes(proof: KnowledgeProof): Uint8Array {
  return encodeFields([proof.t1, proof.m1, proof.m2]);
}

export function knowledgeProofFromBytes(bytes: Uint8Array): KnowledgeProof {
  const f = decodeFields(bytes, ['point', 'scalar', 'scalar'], 'knowledge proof');
  return { t1: pointAt(f, 0), m1: scalarAt(f, 1), m2: scalarAt(f, 2) };
}

// ---------------------------------------------------------------------------------------------
// Format proof: C1 = v·B1 + r·H, C2 = r·B2 (same r). Transcript: t1 ‖ t2 ‖ C1 ‖ C2 ‖ B1 ‖ B2 ‖ H.
// With B1 = G, H = PK, B2 = G this is a proof that (C1, C2) is a well-formed exponential-ElGamal
// ciphertext whose plaintext and randomness the prover knows.
// ---------------------------------------------------------------------------------------------

export interface FormatProof {
  readonly t1: Point;
  readonly t2: Point;
  readonly m1: Scalar;
  readonly m2: Scalar;
}

export interface FormatProofOptions {
  /** B1; the ristretto255 generator by default. */
  readonly c1Base?: Point;
  /** B2: the base of the second point (required: WeDPR has no default for it). */
  readonly c2Base: Point;
  /** H; WeDPR's blinding base by default. */
  readonly blindingBase?: Point;
  readonly context?: Uint8Array;
}

export function proveFormat(opening: PedersenOpening, options: FormatProofOptions): FormatProof {
  const b1 = options.c1Base ?? BASE_G;
  const b2 = options.c2Base;
  const h = options.blindingBase ?? BASE_H;
  assertPoint(b2, 'c2Base');
  assertScalar(opening.value, 'value');
  assertScalar(opening.blinding, 'blinding');
  const a = randomScalar();
  const b = randomScalar();
  const t1 = mulBaseSecret(b1, a).add(mulBaseSecret(h, b));
  const t2 = mulBaseSecret(b2, b);
  const c1 = commit(opening.value, opening.blinding, { valueBase: b1, blindingBase: h });
  const c2 = mulBaseSecret(b2, opening.blinding);
  const e = challenge([t1, t2, c1, c2, b1, b2, h], contextOf(options));
  return { t1, t2, m1: sub(a, mul(e, opening.value)), m2: sub(b, mul(e, opening.blinding)) };
}

export function formatChecks(
  c1: Point,
  c2: Point,
  proof: FormatProof,
  options: FormatProofOptions,
): LinearCheck[] {
  const b1 = options.c1Base ?? BASE_G;
  const b2 = options.c2Base;
  const h = options.blindingBase ?? BASE_H;
  assertPoint(c1, 'c1');
  assertPoint(c2, 'c2');
  assertPoint(b2, 'c2Base');
  const e = challenge([proof.t1, proof.t2, c1, c2, b1, b2, h], contextOf(options));
  return [
    { scalars: [e, proof.m1, proof.m2, MINUS_ONE], points: [c1, b1, h, proof.t1] },
    { scalars: [e, proof.m2, MINUS_ONE], points: [c2, b2, proof.t2] },
  ];
}

export function verifyFormat(c1: Point, c2: Point, proof: FormatProof, options: FormatProofOptions): boolean {
  return safely(() => checksHold(formatChecks(c1, c2, proof, options)));
}

export function formatProofToBytes(proof: FormatProof): Uint8Array {
  return encodeFields([proof.t1, proof.t2, proof.m1, proof.m2]);
}

export function formatProofFromBytes(bytes: Uint8Array): FormatProof {
  const f = decodeFields(bytes, ['point', 'point', 'scalar', 'scalar'], 'format proof');
  return { t1: pointAt(f, 0), t2: pointAt(f, 1), m1: scalarAt(f, 2), m2: scalarAt(f, 3) };
}

// ---------------------------------------------------------------------------------------------
// Arithmetic proofs (sum and product), WeDPR's `ArithmeticProof`.
// Transcript: t1 ‖ t2 ‖ t3 ‖ C1 ‖ C2 ‖ C3 ‖ G  (WeDPR hashes the value base only, not H).
// ---------------------------------------------------------------------------------------------

export interface ArithmeticProof {
  readonly t1: Point;
  readonly t2: Point;
  readonly t3: Point;
  readonly m1: Scalar;
  readonly m2: Scalar;
  readonly m3: Scalar;
  readonly m4: Scalar;
  readonly m5: Scalar;
}

export function arithmeticProofToBytes(proof: ArithmeticProof): Uint8Array {
  const { t1, t2, t3, m1, m2, m3, m4, m5 } = proof;
  return encodeFields([t1, t2, t3, m1, m2, m3, m4, m5]);
}

export function arithmeticProofFromBytes(bytes: Uint8Array): ArithmeticProof {
  const f = decodeFields(
    bytes,
    ['point', 'point', 'point', 'scalar', 'scalar', 'scalar', 'scalar', 'scalar'],
    'arithmetic proof',
  );
  return {
    t1: pointAt(f, 0),
    t2: pointAt(f, 1),
    t3: pointAt(f, 2),
    m1: scalarAt(f, 3),
    m2: scalarAt(f, 4),
    m3: scalarAt(f, 5),
    m4: scalarAt(f, 6),
    m5: scalarAt(f, 7),
  };
}

function assertOpening(o: PedersenOpening, what: string): void {
  assertScalar(o.value, `${what}.value`);
  assertScalar(o.blinding, `${what}.blinding`);
}

/**
 * Proves value(C1) + value(C2) = value(C3) for C_i = v_i·G + r_i·H, where v3 = v1 + v2 (mod ℓ) and
 * C3 carries blinding `blinding3`. Same statement and wire format as WeDPR's `prove_sum_relationship`.
 */
export function proveSum(
  o1: PedersenOpening,
  o2: PedersenOpening,
  blinding3: Scalar,
  options: CommitmentProofOptions = {},
): ArithmeticProof {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  assertOpening(o1, 'first opening');
  assertOpening(o2, 'second opening');
  assertScalar(blinding3, 'blinding3');
  const bases = { valueBase: g, blindingBase: h };
  const c1 = commit(o1.value, o1.blinding, bases);
  const c2 = commit(o2.value, o2.blinding, bases);
  const c3 = commit(modOrder(o1.value + o2.value), blinding3, bases);
  const [a, b, c, d, e] = [randomScalar(), randomScalar(), randomScalar(), randomScalar(), randomScalar()];
  const t1 = mulBaseSecret(g, a).add(mulBaseSecret(h, b));
  const t2 = mulBaseSecret(g, c).add(mulBaseSecret(h, d));
  const t3 = mulBaseSecret(g, modOrder(a + c)).add(mulBaseSecret(h, e));
  const x = challenge([t1, t2, t3, c1, c2, c3, g], contextOf(options));
  return {
    t1,
    t2,
    t3,
    m1: sub(a, mul(x, o1.value)),
    m2: sub(b, mul(x, o1.blinding)),
    m3: sub(c, mul(x, o2.value)),
    m4: sub(d, mul(x, o2.blinding)),
    m5: sub(e, mul(x, blinding3)),
  };
}

export function sumChecks(
  c1: Point,
  c2: Point,
  c3: Point,
  proof: ArithmeticProof,
  options: CommitmentProofOptions = {},
): LinearCheck[] {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  for (const [p, n] of [
    [c1, 'c1'],
    [c2, 'c2'],
    [c3, 'c3'],
  ] as const)
    assertPoint(p, n);
  const x = challenge([proof.t1, proof.t2, proof.t3, c1, c2, c3, g], contextOf(options));
  return [
    { scalars: [proof.m1, proof.m2, x, MINUS_ONE], points: [g, h, c1, proof.t1] },
    { scalars: [proof.m3, proof.m4, x, MINUS_ONE], points: [g, h, c2, proof.t2] },
    { scalars: [modOrder(proof.m1 + proof.m3), proof.m5, x, MINUS_ONE], points: [g, h, c3, proof.t3] },
  ];
}

export function verifySum(
  c1: Point,
  c2: Point,
  c3: Point,
  proof: ArithmeticProof,
  options: CommitmentProofOptions = {},
): boolean {
  return safely(() => checksHold(sumChecks(c1, c2, c3, proof, options)));
}

/**
 * Proves value(C1) · value(C2) = value(C3), WeDPR's `prove_product_relationship`. The third equation
 * is quadratic in the challenge x: t3 = m1·m3·G + m5·H + x²·C3 + x·m3·C1 + x·m1·C2.
 */
export function proveProduct(
  o1: PedersenOpening,
  o2: PedersenOpening,
  blinding3: Scalar,
  options: CommitmentProofOptions = {},
): ArithmeticProof {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  assertOpening(o1, 'first opening');
  assertOpening(o2, 'second opening');
  assertScalar(blinding3, 'blinding3');
  const bases = { valueBase: g, blindingBase: h };
  const v1 = o1.value;
  const v2 = o2.value;
  const r1 = o1.blinding;
  const r2 = o2.blinding;
  const c1 = commit(v1, r1, bases);
  const c2 = commit(v2, r2, bases);
  const c3 = commit(mul(v1, v2), blinding3, bases);
  const [a, b, c, d, e] = [randomScalar(), randomScalar(), randomScalar(), randomScalar(), randomScalar()];
  const t1 = mulBaseSecret(g, a).add(mulBaseSecret(h, b));
  const t2 = mulBaseSecret(g, c).add(mulBaseSecret(h, d));
  const t3 = mulBaseSecret(g, mul(a, c)).add(mulBaseSecret(h, e));
  const x = challenge([t1, t2, t3, c1, c2, c3, g], contextOf(options));
  // m5 = e + x²·(v1·r2 − r3 + v2·r1) − x·(a·r2 + c·r1), exactly WeDPR's response.
  const m5 = modOrder(e + mul(mul(x, x), v1 * r2 - blinding3 + v2 * r1) - mul(x, a * r2 + c * r1));
  return {
    t1,
    t2,
    t3,
    m1: sub(a, mul(x, v1)),
    m2: sub(b, mul(x, r1)),
    m3: sub(c, mul(x, v2)),
    m4: sub(d, mul(x, r2)),
    m5,
  };
}

export function productChecks(
  c1: Point,
  c2: Point,
  c3: Point,
  proof: ArithmeticProof,
  options: CommitmentProofOptions = {},
): LinearCheck[] {
  const g = options.valueBase ?? BASE_G;
  const h = options.blindingBase ?? BASE_H;
  for (const [p, n] of [
    [c1, 'c1'],
    [c2, 'c2'],
    [c3, 'c3'],
  ] as const)
    assertPoint(p, n);
  const x = challenge([proof.t1, proof.t2, proof.t3, c1, c2, c3, g], contextOf(options));
  return [
    { scalars: [proof.m1, proof.m2, x, MINUS_ONE], points: [g, h, c1, proof.t1] },
    { scalars: [proof.m3, proof.m4, x, MINUS_ONE], points: [g, h, c2, proof.t2] },
    {
      scalars: [mul(proof.m1, proof.m3), proof.m5, mul(x, x), mul(x, proof.m3), mul(x, proof.m1), MINUS_ONE],
      points: [g, h, c3, c1, c2, proof.t3],
    },
  ];
}

export function verifyProduct(
  c1: Point,
  c2: Point,
  c3: Point,
  proof: ArithmeticProof,
  options: CommitmentProofOptions = {},
): boolean {
  return safely(() => checksHold(productChecks(c1, c2, c3, proof, options)));
}

// ---------------------------------------------------------------------------------------------
// Equality proof (Chaum–Pedersen DLEQ): C1 = x·B1, C2 = x·B2.
// Transcript: t1 ‖ t2 ‖ C1 ‖ C2 ‖ B1 ‖ B2. Encoding m1 ‖ t1 ‖ t2.
// ---------------------------------------------------------------------------------------------

export interface EqualityProof {
  readonly m1: Scalar;
  readonly t1: Point;
  readonly t2: Point;
}

export interface EqualityProofOptions {
  /** B1; the generator by default. */
  readonly base1?: Point;
  /** B2; WeDPR's blinding base by default. */
  readonly base2?: Point;
  readonly context?: Uint8Array;
}

export function proveEquality(secret: Scalar, options: EqualityProofOptions = {}): EqualityProof {
  const b1 = options.base1 ?? BASE_G;
  const b2 = options.base2 ?? BASE_H;
  assertScalar(secret, 'secret');
  const a = randomScalar();
  const t1 = mulBaseSecret(b1, a);
  const t2 = mulBaseSecret(b2, a);
  const c1 = mulBaseSecret(b1, secret);
  const c2 = mulBaseSecret(b2, secret);
  const e = challenge([t1, t2, c1, c2, b1, b2], contextOf(options));
  return { m1: sub(a, mul(e, secret)), t1, t2 };
}

export function equalityChecks(
  c1: Point,
  c2: Point,
  proof: EqualityProof,
  options: EqualityProofOptions = {},
): LinearCheck[] {
  const b1 = options.base1 ?? BASE_G;
  const b2 = options.base2 ?? BASE_H;
  assertPoint(c1, 'c1');
  assertPoint(c2, 'c2');
  const e = challenge([proof.t1, proof.t2, c1, c2, b1, b2], contextOf(options));
  return [
    { scalars: [proof.m1, e, MINUS_ONE], points: [b1, c1, proof.t1] },
    { scalars: [proof.m1, e, MINUS_ONE], points: [b2, c2, proof.t2] },
  ];
}

export function verifyEquality(
  c1: Point,
  c2: Point,
  proof: EqualityProof,
  options: EqualityProofOptions = {},
): boolean {
  return safely(() => checksHold(equalityChecks(c1, c2, proof, options)));
}

export function equalityProofToBytes(proof: EqualityProof): Uint8Array {
  return encodeFields([proof.m1, proof.t1, proof.t2]);
}

export function equalityProofFromBytes(bytes: Uint8Array): EqualityProof {
  const f = decodeFields(bytes, ['scalar', 'point', 'point'], 'equality proof');
  return { m1: scalarAt(f, 0), t1: pointAt(f, 1), t2: pointAt(f, 2) };
}

// ---------------------------------------------------------------------------------------------
// Either-equality proof, WeDPR's `BalanceProof`: value(C1) = value(C2) OR value(C1) = value(C3).
// WeDPR uses it with C3 = r3·H, a commitment to 0, for "C1 carries either C2's value or nothing".
// NOTE: the proof does not show that C3 commits to 0; the verifier must know that independently
// (e.g. because it chose C3, or C3 = r3·H comes with a knowledge proof of r3 w.r.t. H alone).
// Transcript: t1 ‖ t2 ‖ t3 ‖ t4 ‖ C1 ‖ C2 ‖ C3 ‖ G ‖ H; the check is hash = check1 + check2.
// ---------------------------------------------------------------------------------------------

export interface EitherEqualityProof {
  readonly check1: Scalar;
  readonly check2: Scalar;
  readonly m1: Scalar;
  readonly m2: Scalar;
  readonly m3: Scalar;
  readonly m4: Scalar;
  readonly m5: Scalar;
  readonly m6: Scalar;
}

/** 1n when a = b, else 0n, computed over the 32-byte encodings without an early exit. */
function scalarEqualityBit(a: Scalar, b: Scalar): Scalar {
  const x = scalarToBytes(a);
  const y = scalarToBytes(b);
  let diff = 0;
  for (let i = 0; i < SCALAR_LENGTH; i++) diff |= (x[i] as number) ^ (y[i] as number);
  // (diff - 1) >>> 8 is 0xffffff (bit 0 set) iff diff == 0, for diff in [0, 255].
  return BigInt(((diff - 1) >>> 8) & 1);
}

/**
 * Proves value(C1) ∈ {value(C2), 0} where C1 = v1·G + r1·H, C2 = v2·G + r2·H, C3 = r3·H.
 * Requires v1 = v2 or v1 = 0 (throws INVALID_ARGUMENT otherwise: there is nothing true to prove).
 * Both branches of WeDPR's prover are folded into one formula selected by s ∈ {0, 1}.
 */
export function proveEitherEquality(
  o1: PedersenOpening,
  o2: PedersenOpening,
  blinding3: Scalar,
  options: { readonly context?: Uint8Array } = {},
): EitherEqualityProof {
  assertOpening(o1, 'first opening');
  assertOpening(o2, 'second opening');
  assertScalar(blinding3, 'blinding3');
  const s = scalarEqualityBit(o1.value, o2.value); // 1: C1 ≡ C2 is the true side
  const z = scalarEqualityBit(o1.value, 0n);
  if ((s | z) === 0n) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      'either-equality witness: first value equals neither the second nor 0',
    );
  }
  const ns = 1n - s;
  const g = BASE_G;
  const h = BASE_H;
  const c1 = commit(o1.value, o1.blinding);
  const c2 = commit(o2.value, o2.blinding);
  const c3 = mulBaseSecret(h, blinding3);
  const [a, b, c, d, e, f, w] = [
    randomScalar(),
    randomScalar(),
    randomScalar(),
    randomScalar(),
    randomScalar(),
    randomScalar(),
    randomScalar(),
  ];
  // The simulated side gets w·(its statement point) folded into its commitments; the real side 0.
  const u1 = mul(ns, w);
  const u2 = mul(s, w);
  const aG = mulBaseSecret(g, a);
  const dG = mulBaseSecret(g, d);
  const t1 = mulSecret(c2, u1).add(aG).add(mulBaseSecret(h, b));
  const t2 = mulSecret(c1, u1).add(aG).add(mulBaseSecret(h, c));
  const t3 = mulSecret(c3, u2).add(dG).add(mulBaseSecret(h, e));
  const t4 = mulSecret(c1, u2).add(dG).add(mulBaseSecret(h, f));
  const k = sub(challenge([t1, t2, t3, t4, c1, c2, c3, g, h], contextOf(options)), w);
  const k1 = mul(s, k); // challenge share answered for real on side 1 (0 when simulated)
  const k2 = mul(ns, k);
  return {
    check1: modOrder(k1 + mul(ns, w)),
    check2: modOrder(mul(s, w) + k2),
    m1: sub(a, mul(k1, o2.value)),
    m2: sub(b, mul(k1, o2.blinding)),
    m3: sub(c, mul(k1, o1.blinding)),
    m4: sub(d, mul(k2, o1.value)),
    m5: sub(e, mul(k2, blinding3)),
    m6: sub(f, mul(k2, o1.blinding)),
  };
}

export function verifyEitherEquality(
  c1: Point,
  c2: Point,
  c3: Point,
  proof: EitherEqualityProof,
  options: { readonly context?: Uint8Array } = {},
): boolean {
  return safely(() => {
    assertPoint(c1, 'c1');
    assertPoint(c2, 'c2');
    assertPoint(c3, 'c3');
    const { check1, check2, m1, m2, m3, m4, m5, m6 } = proof;
    for (const x of [check1, check2, m1, m2, m3, m4, m5, m6]) assertScalar(x);
    const g = BASE_G;
    const h = BASE_H;
    const t1 = multiScalarMul([check1, m1, m2], [c2, g, h]);
    const t2 = multiScalarMul([check1, m1, m3], [c1, g, h]);
    const t3 = multiScalarMul([check2, m4, m5], [c3, g, h]);
    const t4 = multiScalarMul([check2, m4, m6], [c1, g, h]);
    const e = challenge([t1, t2, t3, t4, c1, c2, c3, g, h], contextOf(options));
    return e === modOrder(check1 + check2);
  });
}

export function eitherEqualityProofToBytes(proof: EitherEqualityProof): Uint8Array {
  const { check1, check2, m1, m2, m3, m4, m5, m6 } = proof;
  return encodeFields([check1, check2, m1, m2, m3, m4, m5, m6]);
}

export function eitherEqualityProofFromBytes(bytes: Uint8Array): EitherEqualityProof {
  const f = decodeFields(bytes, new Array<Field>(8).fill('scalar'), 'either-equality proof');
  return {
    check1: scalarAt(f, 0),
    check2: scalarAt(f, 1),
    m1: scalarAt(f, 2),
    m2: scalarAt(f, 3),
    m3: scalarAt(f, 4),
    m4: scalarAt(f, 5),
    m5: scalarAt(f, 6),
    m6: scalarAt(f, 7),
  };
}

/** WeDPR's `aggregate_ristretto_point` (FISCO `aggregatePoint`): the group sum of two encodings. */
export function aggregatePoints(a: Uint8Array, b: Uint8Array): Uint8Array {
  return pointToBytes(pointFromBytes(a).add(pointFromBytes(b)));
}
