/**
 * The prime-order group every privacy primitive of weft works in: ristretto255 (RFC 9496) on top of
 * `@noble/curves`, with scalars as `bigint`s always reduced modulo the group order ℓ.
 *
 * The two fixed bases and the scalar hash follow WeDPR-Lab-Crypto (`wedpr_l_crypto_zkp_utils`) so
 * that commitments and proofs are byte-compatible with WeDPR and FISCO BCOS's ZKP precompile:
 * - `BASE_G` is the ristretto255 generator (RFC 9496 §4.4);
 * - `BASE_H` is `RistrettoPoint::hash_from_bytes::<Sha3_512>(G.compress())`, i.e. the RFC 9496
 *   §4.3.4 one-way map applied to SHA3-512 of G's 32-byte encoding;
 * - `hashToScalar` is `Scalar::from_bytes_mod_order(Keccak-256(input))`: the 32-byte digest read as a
 *   little-endian integer and reduced mod ℓ.
 *
 * Points and scalars cross this module's boundary as exact-length `Uint8Array`s; decoding is strict
 * (non-canonical encodings are rejected, never silently reduced) because malleable encodings break the
 * binding of Fiat–Shamir transcripts and the uniqueness of key images.
 */
import { mulAddUnsafe, pippenger } from '@noble/curves/abstract/curve.js';
import { ristretto255, ristretto255_hasher as ristretto255Hasher } from '@noble/curves/ed25519.js';
import { keccak_256, sha3_512 } from '@noble/hashes/sha3.js';
import { assertBytes, concatBytes } from '../bytes.js';
import { WeftError } from '../errors.js';

const RistrettoPoint = ristretto255.Point;

/** A scalar of the ristretto255 group: an integer in [0, ℓ). */
export type Scalar = bigint;
/** A ristretto255 group element (noble's `RistrettoPoint`). */
export type Point = typeof ristretto255.Point.BASE;

/** ℓ = 2^252 + 27742317777372353535851937790883648493 (RFC 9496 §4.1, RFC 7748 §4.1). */
export const CURVE_ORDER: bigint = 2n ** 252n + 27742317777372353535851937790883648493n;
export const SCALAR_LENGTH = 32;
export const POINT_LENGTH = 32;

// noble's own notion of ℓ must match ours, or every range check below is wrong.
if (RistrettoPoint.Fn.ORDER !== CURVE_ORDER) {
  throw new WeftError('CONFIG_ERROR', 'noble ristretto255 scalar field does not have order ℓ');
}

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/** Reduces any integer (also negative) into [0, ℓ). */
export function modOrder(x: bigint): Scalar {
  const r = x % CURVE_ORDER;
  return r < 0n ? r + CURVE_ORDER : r;
}

/** True for a bigint in [0, ℓ), i.e. a canonical scalar. */
export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'bigint' && value >= 0n && value < CURVE_ORDER;
}

export function assertScalar(value: unknown, what = 'scalar'): asserts value is Scalar {
  if (!isScalar(value)) throw new WeftError('INVALID_SCALAR', `${what} must be a bigint in [0, ℓ)`);
}

export function scalarAdd(a: Scalar, b: Scalar): Scalar {
  return modOrder(a + b);
}
export function scalarSub(a: Scalar, b: Scalar): Scalar {
  return modOrder(a - b);
}
export function scalarMul(a: Scalar, b: Scalar): Scalar {
  return modOrder(a * b);
}
export function scalarNeg(a: Scalar): Scalar {
  return modOrder(-a);
}

/** Multiplicative inverse mod ℓ (Fermat: a^(ℓ-2)); throws INVALID_SCALAR for 0. */
export function scalarInvert(a: Scalar): Scalar {
  const r = modOrder(a);
  if (r === 0n) throw new WeftError('INVALID_SCALAR', 'zero has no inverse mod ℓ');
  return RistrettoPoint.Fn.inv(r);
}

function bytesToNumberLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i] as number);
  return x;
}

/** Decodes a canonical 32-byte little-endian scalar; values ≥ ℓ are rejected (INVALID_SCALAR). */
export function scalarFromBytes(b: Uint8Array): Scalar {
  assertBytes(b, SCALAR_LENGTH, 'scalar');
  const x = bytesToNumberLE(b);
  // Accepting x ≥ ℓ would give every scalar a second encoding (x + ℓ < 2^256), i.e. malleable proofs.
  if (x >= CURVE_ORDER) throw new WeftError('INVALID_SCALAR', 'scalar encoding is not reduced mod ℓ');
  return x;
}

/** Encodes a scalar as 32 bytes little-endian (dalek's `Scalar::to_bytes`). */
export function scalarToBytes(s: Scalar): Uint8Array {
  assertScalar(s);
  const out = new Uint8Array(SCALAR_LENGTH);
  let x = s;
  for (let i = 0; i < SCALAR_LENGTH; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Reads any number of bytes as a little-endian integer and reduces it mod ℓ. */
export function scalarFromBytesModOrder(b: Uint8Array): Scalar {
  assertBytes(b, undefined, 'bytes');
  return modOrder(bytesToNumberLE(b));
}

/**
 * A uniformly random scalar in [1, ℓ-1] from `crypto.getRandomValues`. 64 random bytes reduced mod
 * ℓ-1 have statistical distance < 2^-259 from uniform (the wide-reduction rule of RFC 9496 §4.4 and
 * RFC 9380 §5), so no rejection loop and no secret-dependent branching is needed.
 */
export function randomScalar(): Scalar {
  const wide = new Uint8Array(64);
  globalThis.crypto.getRandomValues(wide);
  return (bytesToNumberLE(wide) % (CURVE_ORDER - 1n)) + 1n;
}

/**
 * WeDPR's `hash_to_scalar`: `Scalar::from_bytes_mod_order(Keccak-256(parts[0] ‖ parts[1] ‖ …))`.
 * The digest is read LITTLE-endian (dalek convention), unlike Ethereum's big-endian uint256 view.
 */
export function hashToScalar(...parts: Uint8Array[]): Scalar {
  for (const p of parts) assertBytes(p, undefined, 'hash input');
  return modOrder(bytesToNumberLE(keccak_256(concatBytes(...parts))));
}

// ---------------------------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------------------------

export const BASE_G: Point = RistrettoPoint.BASE;
export const IDENTITY: Point = RistrettoPoint.ZERO;

export function isPoint(value: unknown): value is Point {
  return value instanceof RistrettoPoint;
}

export function assertPoint(value: unknown, what = 'point'): asserts value is Point {
  if (!isPoint(value)) throw new WeftError('INVALID_POINT', `${what} must be a ristretto255 point`);
}

/**
 * Strict RFC 9496 §4.3.1 decoding: rejects non-canonical field encodings (s ≥ p), negative s,
 * non-square cases, t negative and y = 0. Throws WeftError INVALID_POINT.
 */
export function pointFromBytes(b: Uint8Array): Point {
  assertBytes(b, POINT_LENGTH, 'point');
  try {
    return RistrettoPoint.fromBytes(b);
  } catch (cause: unknown) {
    throw new WeftError('INVALID_POINT', 'bytes are not a canonical ristretto255 encoding', { cause });
  }
}

/** RFC 9496 §4.3.2 encoding, 32 bytes. */
export function pointToBytes(p: Point): Uint8Array {
  assertPoint(p);
  return p.toBytes();
}

export function pointsEqual(a: Point, b: Point): boolean {
  return a.equals(b);
}

/**
 * RFC 9496 §4.3.4 element derivation ("one-way map") from exactly 64 uniform bytes; this is dalek's
 * `RistrettoPoint::from_uniform_bytes`.
 */
export function pointFromUniformBytes(b: Uint8Array): Point {
  assertBytes(b, 64, 'uniform bytes');
  const derive = ristretto255Hasher.deriveToCurve;
  if (derive === undefined) throw new WeftError('UNSUPPORTED', 'noble lacks ristretto255 deriveToCurve');
  return derive(b);
}

/** WeDPR's H rule (dalek `hash_from_bytes::<Sha3_512>`): the one-way map over SHA3-512(data). */
export function hashToPoint(data: Uint8Array): Point {
  assertBytes(data, undefined, 'hash input');
  return pointFromUniformBytes(sha3_512(data));
}

/** WeDPR's blinding base `BASEPOINT_G2` = hash_from_bytes::<Sha3_512>(G.compress()). */
export const BASE_H: Point = hashToPoint(BASE_G.toBytes());

/**
 * `s·P` for a SECRET scalar (witnesses, blindings, nonces, keys). noble's `multiply` is a
 * fixed-window ladder without scalar-dependent branches (as far as JS BigInt allows) but rejects
 * s = 0, and special-casing 0 would leak exactly the bit a voter or payer wants hidden ("is my
 * value zero?"). So the scalar is split with a fresh random mask ρ:
 *   s·P = (s + ρ)·P + (ℓ − ρ)·P,
 * where ℓ − ρ ∈ [1, ℓ−1] always and k = s + ρ mod ℓ is uniform and independent of s. The only
 * branch (k = 0, probability 2^-252) depends on k, which reveals nothing about s.
 */
export function mulSecret(p: Point, s: Scalar): Point {
  assertScalar(s);
  const rho = randomScalar();
  const k = modOrder(s + rho);
  const masked = p.multiply(CURVE_ORDER - rho);
  return k === 0n ? masked : p.multiply(k).add(masked);
}

/** `s·P` for a public scalar (verification): variable time, faster. */
export function mulPublic(p: Point, s: Scalar): Point {
  assertScalar(s);
  return p.multiplyUnsafe(s);
}

// Below this many terms Strauss–Shamir interleaving (one shared doubling chain, per-point wNAF
// tables) beats noble's Pippenger, whose bucket passes always walk all 253 scalar bits. Measured
// on this machine with full-size scalars: 64 terms 11.4 ms vs 14.2 ms, 128 terms 25.6 vs 23.2 ms.
const PIPPENGER_THRESHOLD = 128;

/**
 * Σ scalars[i]·points[i] for PUBLIC scalars (verification equations, batch verification). Variable
 * time: never pass secret scalars. Uses noble's Pippenger for large inputs, Strauss–Shamir for small.
 */
export function multiScalarMul(scalars: readonly Scalar[], points: readonly Point[]): Point {
  if (scalars.length !== points.length) {
    throw new WeftError('INVALID_ARGUMENT', `MSM needs as many scalars (${scalars.length}) as points`);
  }
  for (const s of scalars) assertScalar(s);
  for (const p of points) assertPoint(p);
  if (scalars.length === 0) return IDENTITY;
  if (scalars.length < PIPPENGER_THRESHOLD) {
    return mulAddUnsafe(RistrettoPoint, points as Point[], scalars as Scalar[]);
  }
  return pippenger(RistrettoPoint, points as Point[], scalars as Scalar[]);
}

/**
 * Returns `s ↦ s·base` backed by a precomputed signed fixed-window table (noble's `precompute`,
 * window 8: 32 windows × 128 points, built once, ≈ 100 ms). Same masking as `mulSecret`, so it is
 * safe for secret scalars, including 0. The table is attached to a private copy of `base`, so the
 * caller's point object is never mutated (noble keys its tables by object identity).
 */
export function createFixedBaseMul(base: Point): (s: Scalar) => Point {
  assertPoint(base);
  let own: Point;
  if (base.equals(BASE_G)) {
    own = BASE_G; // noble precomputes the ed25519 base point already
  } else {
    own = base.add(IDENTITY);
    own.precompute(8, false);
  }
  return (s: Scalar): Point => mulSecret(own, s);
}
