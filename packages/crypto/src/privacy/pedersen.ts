/**
 * Pedersen commitments on ristretto255 in WeDPR's layout: C = value·G + blinding·H, with G the
 * ristretto255 generator and H = hash_from_bytes::<Sha3_512>(G) (see group.ts). Perfectly hiding,
 * computationally binding under the discrete-logarithm assumption: nobody knows log_G(H), because H
 * is the output of a hash (a "nothing-up-my-sleeve" base).
 */
import { WeftError } from '../errors.js';
import {
  assertPoint,
  assertScalar,
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  createFixedBaseMul,
  mulSecret,
  type Point,
  randomScalar,
  type Scalar,
} from './group.js';

export interface PedersenOpening {
  readonly value: Scalar;
  readonly blinding: Scalar;
}

export interface PedersenBases {
  /** Value base; WeDPR's `BASEPOINT_G1` (the ristretto255 generator) by default. */
  readonly valueBase?: Point;
  /** Blinding base; WeDPR's `BASEPOINT_G2` by default. */
  readonly blindingBase?: Point;
}

let mulByHCache: ((s: Scalar) => Point) | undefined;
/** `s·H` through a window table built on first use (~40 ms once, then ~0.3 ms per product). */
export function mulByH(s: Scalar): Point {
  mulByHCache ??= createFixedBaseMul(BASE_H);
  return mulByHCache(s);
}

/** `s·G` with noble's precomputed base-point table; safe for secret s (including 0). */
export function mulByG(s: Scalar): Point {
  return mulSecret(BASE_G, s);
}

/** `s·base` for a secret s, using the cached tables when `base` is G or H. */
export function mulBaseSecret(base: Point, s: Scalar): Point {
  if (base === BASE_G) return mulByG(s);
  if (base === BASE_H) return mulByH(s);
  return mulSecret(base, s);
}

/** Maps a non-negative integer amount (e.g. a u64 balance) to a scalar; rejects values ≥ ℓ. */
export function valueToScalar(value: bigint | number): Scalar {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new WeftError('INVALID_ARGUMENT', 'value must be a safe integer or a bigint');
  }
  const v = typeof value === 'number' ? BigInt(value) : value;
  if (v < 0n || v >= CURVE_ORDER) throw new WeftError('INVALID_SCALAR', 'value must lie in [0, ℓ)');
  return v;
}

/** C = value·valueBase + blinding·blindingBase. */
export function commit(value: Scalar, blinding: Scalar, bases: PedersenBases = {}): Point {
  assertScalar(value, 'value');
  assertScalar(blinding, 'blinding');
  const g = bases.valueBase ?? BASE_G;
  const h = bases.blindingBase ?? BASE_H;
  assertPoint(g, 'valueBase');
  assertPoint(h, 'blindingBase');
  return mulBaseSecret(g, value).add(mulBaseSecret(h, blinding));
}

/** Commits to `value` with a fresh uniformly random blinding factor. */
export function createCommitment(
  value: Scalar,
  bases: PedersenBases = {},
): { commitment: Point; opening: PedersenOpening } {
  const blinding = randomScalar();
  return { commitment: commit(value, blinding, bases), opening: { value, blinding } };
}

/** True iff `opening` opens `commitment` (a public check: both value and blinding are revealed). */
export function verifyOpening(
  commitment: Point,
  opening: PedersenOpening,
  bases: PedersenBases = {},
): boolean {
  return commit(opening.value, opening.blinding, bases).equals(commitment);
}

/** Homomorphism: commit(a, r) + commit(b, s) = commit(a + b, r + s). */
export function addCommitments(a: Point, b: Point): Point {
  return a.add(b);
}

/** Homomorphism: commit(a, r) − commit(b, s) = commit(a − b, r − s). */
export function subtractCommitments(a: Point, b: Point): Point {
  return a.subtract(b);
}
