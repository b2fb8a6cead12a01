/**
 * ristretto255 (RFC 9496) on top of the WebAssembly field kernel: strict decoding (§4.3.1),
 * encoding (§4.3.2), equality (§4.3.3) and the one-way map from 64 uniform bytes (§4.3.4). Points are
 * pointers to 160-byte extended-coordinate slots in the kernel's memory; the owning layer (msm.ts)
 * allocates them. Proven equal to noble's `ristretto255` (the reference used by group.ts) by the
 * property tests in test/privacy-field.test.ts.
 *
 * Scratch usage is fixed per routine so that nested calls never overwrite each other's temporaries:
 * slots 0–11 map/decode/encode, 12–15 a point temporary, 16–18 inputs, 19 comparisons, 20–27
 * SQRT_RATIO_M1, 28–31 exponentiation chains.
 */
import { FE_BYTES, FE_CONST, type FieldKernel, IO_BUFFER, JS_SCRATCH } from './field-wasm.js';

const slot = (i: number): number => JS_SCRATCH + i * FE_BYTES;
const OUT_BYTES = IO_BUFFER;
const IN_BYTES = IO_BUFFER + 64;
const TMP_POINT = slot(12);
const X = 0;
const Y = FE_BYTES;
const Z = 2 * FE_BYTES;
const T = 3 * FE_BYTES;

function bytesView(k: FieldKernel): Uint8Array {
  return new Uint8Array(k.memory.buffer);
}

/** f^((p−5)/8) = f^(2^252 − 3), ref10's addition chain (fe_pow22523.c). */
export function fePow22523(k: FieldKernel, out: number, z: number): void {
  const t0 = slot(28);
  const t1 = slot(29);
  const t2 = slot(30);
  k.fe_sq(t0, z); // z^2
  k.fe_sqn(t1, t0, 2); // z^8
  k.fe_mul(t1, z, t1); // z^9
  k.fe_mul(t0, t0, t1); // z^11
  k.fe_sq(t0, t0); // z^22
  k.fe_mul(t0, t1, t0); // z^(2^5 − 1)
  k.fe_sqn(t1, t0, 5);
  k.fe_mul(t0, t1, t0); // 2^10 − 1
  k.fe_sqn(t1, t0, 10);
  k.fe_mul(t1, t1, t0); // 2^20 − 1
  k.fe_sqn(t2, t1, 20);
  k.fe_mul(t1, t2, t1); // 2^40 − 1
  k.fe_sqn(t1, t1, 10);
  k.fe_mul(t0, t1, t0); // 2^50 − 1
  k.fe_sqn(t1, t0, 50);
  k.fe_mul(t1, t1, t0); // 2^100 − 1
  k.fe_sqn(t2, t1, 100);
  k.fe_mul(t1, t2, t1); // 2^200 − 1
  k.fe_sqn(t1, t1, 50);
  k.fe_mul(t0, t1, t0); // 2^250 − 1
  k.fe_sqn(t0, t0, 2); // 2^252 − 4
  k.fe_mul(out, t0, z); // 2^252 − 3
}

/** f^(p−2) = f^(2^255 − 21) = 1/f (0 ↦ 0), ref10's chain (fe_invert.c). */
export function feInvert(k: FieldKernel, out: number, z: number): void {
  const t0 = slot(28);
  const t1 = slot(29);
  const t2 = slot(30);
  const t3 = slot(31);
  k.fe_sq(t0, z); // 2
  k.fe_sqn(t1, t0, 2); // 8
  k.fe_mul(t1, z, t1); // 9
  k.fe_mul(t0, t0, t1); // 11
  k.fe_sq(t2, t0); // 22
  k.fe_mul(t1, t1, t2); // 2^5 − 1
  k.fe_sqn(t2, t1, 5);
  k.fe_mul(t1, t2, t1); // 2^10 − 1
  k.fe_sqn(t2, t1, 10);
  k.fe_mul(t2, t2, t1); // 2^20 − 1
  k.fe_sqn(t3, t2, 20);
  k.fe_mul(t2, t3, t2); // 2^40 − 1
  k.fe_sqn(t2, t2, 10);
  k.fe_mul(t1, t2, t1); // 2^50 − 1
  k.fe_sqn(t2, t1, 50);
  k.fe_mul(t2, t2, t1); // 2^100 − 1
  k.fe_sqn(t3, t2, 100);
  k.fe_mul(t2, t3, t2); // 2^200 − 1
  k.fe_sqn(t2, t2, 50);
  k.fe_mul(t1, t2, t1); // 2^250 − 1
  k.fe_sqn(t1, t1, 5); // 2^255 − 32
  k.fe_mul(out, t1, t0); // 2^255 − 21
}

/** 1 when the canonical encoding of f is odd ("negative", RFC 9496 §4.1 IS_NEGATIVE), else 0. */
export function feIsNegative(k: FieldKernel, f: number): number {
  k.fe_tobytes(OUT_BYTES, f);
  return (bytesView(k)[OUT_BYTES] as number) & 1;
}

/** 1 when f ≡ 0 (mod p), else 0; branch-free over the encoding. */
export function feIsZero(k: FieldKernel, f: number): number {
  k.fe_tobytes(OUT_BYTES, f);
  const mem = bytesView(k);
  let acc = 0;
  for (let i = 0; i < 32; i++) acc |= mem[OUT_BYTES + i] as number;
  return ((acc - 1) >>> 31) & 1;
}

/** 1 when f ≡ g (mod p), else 0. */
export function feEquals(k: FieldKernel, f: number, g: number): number {
  const d = slot(19);
  k.fe_sub(d, f, g);
  return feIsZero(k, d);
}

/** f = |f|: the non-negative one of ±f (RFC 9496 §4.1 CT_ABS). */
function feAbs(k: FieldKernel, f: number): void {
  const neg = slot(19);
  const isNeg = feIsNegative(k, f);
  k.fe_neg(neg, f);
  k.fe_cmov(f, neg, isNeg);
}

/**
 * RFC 9496 §4.2 SQRT_RATIO_M1(u, v): writes the non-negative square root of u/v, or of SQRT_M1·u/v
 * when u/v is not a square, to `out`; returns 1 when u/v was a square (or u = 0).
 */
export function sqrtRatioM1(k: FieldKernel, out: number, u: number, v: number): number {
  const v3 = slot(20);
  const v7 = slot(21);
  const r = slot(22);
  const check = slot(23);
  const tmp = slot(24);
  const uNeg = slot(25);
  const rPrime = slot(26);
  k.fe_sq(v3, v);
  k.fe_mul(v3, v3, v); // v³
  k.fe_sq(v7, v3);
  k.fe_mul(v7, v7, v); // v⁷
  k.fe_mul(tmp, u, v7);
  fePow22523(k, tmp, tmp); // (u·v⁷)^((p−5)/8)
  k.fe_mul(r, u, v3);
  k.fe_mul(r, r, tmp);
  k.fe_sq(check, r);
  k.fe_mul(check, check, v); // v·r²
  k.fe_neg(uNeg, u);
  const correctSign = feEquals(k, check, u);
  const flippedSign = feEquals(k, check, uNeg);
  k.fe_mul(tmp, uNeg, FE_CONST.SQRT_M1);
  const flippedSignI = feEquals(k, check, tmp);
  k.fe_mul(rPrime, r, FE_CONST.SQRT_M1);
  k.fe_cmov(r, rPrime, flippedSign | flippedSignI);
  feAbs(k, r);
  k.fe_copy(out, r);
  return correctSign | flippedSign;
}

/**
 * RFC 9496 §4.3.1 DECODE into the point at `out`. Returns false (and leaves `out` unspecified) for
 * every non-canonical or invalid encoding: s ≥ p, s negative, u₂²·v not square, t negative, y = 0.
 * `bytes` is public data (a proof or signature on the wire), so early returns leak nothing.
 */
export function ristrettoDecode(k: FieldKernel, out: number, bytes: Uint8Array): boolean {
  const mem = bytesView(k);
  mem.set(bytes.subarray(0, 32), IN_BYTES);
  const s = slot(0);
  k.fe_frombytes(s, IN_BYTES);
  k.fe_tobytes(OUT_BYTES, s);
  let same = 0;
  for (let i = 0; i < 32; i++) same |= (mem[OUT_BYTES + i] as number) ^ (bytes[i] as number);
  if (same !== 0 || ((bytes[0] as number) & 1) === 1) return false;
  const ss = slot(1);
  const u1 = slot(2);
  const u2 = slot(3);
  const u2sq = slot(4);
  const v = slot(5);
  const inv = slot(6);
  const tmp = slot(7);
  k.fe_sq(ss, s);
  k.fe_sub(u1, FE_CONST.ONE, ss); // 1 + a·s², a = −1
  k.fe_add(u2, FE_CONST.ONE, ss); // 1 − a·s²
  k.fe_sq(u2sq, u2);
  k.fe_sq(tmp, u1);
  k.fe_mul(tmp, tmp, FE_CONST.D);
  k.fe_neg(v, tmp);
  k.fe_sub(v, v, u2sq); // v = a·d·u1² − u2²
  k.fe_mul(tmp, v, u2sq);
  const wasSquare = sqrtRatioM1(k, inv, FE_CONST.ONE, tmp);
  const denX = slot(8);
  const denY = slot(9);
  k.fe_mul(denX, inv, u2);
  k.fe_mul(denY, inv, denX);
  k.fe_mul(denY, denY, v);
  k.fe_add(tmp, s, s);
  k.fe_mul(out + X, tmp, denX);
  feAbs(k, out + X);
  k.fe_mul(out + Y, u1, denY);
  k.fe_copy(out + Z, FE_CONST.ONE);
  k.fe_mul(out + T, out + X, out + Y);
  if (wasSquare === 0 || feIsNegative(k, out + T) === 1 || feIsZero(k, out + Y) === 1) return false;
  return true;
}

/** RFC 9496 §4.3.2 ENCODE of the point at p; returns a fresh 32-byte array. */
export function ristrettoEncode(k: FieldKernel, p: number): Uint8Array {
  const u1 = slot(0);
  const u2 = slot(1);
  const tmp = slot(2);
  const inv = slot(3);
  const den1 = slot(4);
  const den2 = slot(5);
  const zInv = slot(6);
  const x = slot(7);
  const y = slot(8);
  const iy0 = slot(9);
  const ix0 = slot(10);
  const ench = slot(11);
  k.fe_add(tmp, p + Z, p + Y);
  k.fe_sub(u1, p + Z, p + Y);
  k.fe_mul(u1, u1, tmp); // (Z+Y)(Z−Y)
  k.fe_mul(u2, p + X, p + Y);
  k.fe_sq(tmp, u2);
  k.fe_mul(tmp, tmp, u1);
  sqrtRatioM1(k, inv, FE_CONST.ONE, tmp);
  k.fe_mul(den1, inv, u1);
  k.fe_mul(den2, inv, u2);
  k.fe_mul(zInv, den1, den2);
  k.fe_mul(zInv, zInv, p + T);
  k.fe_mul(ix0, p + X, FE_CONST.SQRT_M1);
  k.fe_mul(iy0, p + Y, FE_CONST.SQRT_M1);
  k.fe_mul(ench, den1, FE_CONST.INVSQRT_A_MINUS_D);
  k.fe_mul(tmp, p + T, zInv);
  const rotate = feIsNegative(k, tmp);
  k.fe_copy(x, p + X);
  k.fe_copy(y, p + Y);
  k.fe_cmov(x, iy0, rotate);
  k.fe_cmov(y, ix0, rotate);
  k.fe_cmov(den2, ench, rotate); // den_inv
  k.fe_mul(tmp, x, zInv);
  const flip = feIsNegative(k, tmp);
  k.fe_neg(tmp, y);
  k.fe_cmov(y, tmp, flip);
  k.fe_sub(tmp, p + Z, y);
  k.fe_mul(tmp, tmp, den2);
  feAbs(k, tmp);
  k.fe_tobytes(OUT_BYTES, tmp);
  return bytesView(k).slice(OUT_BYTES, OUT_BYTES + 32);
}

/** RFC 9496 §4.3.3: (X1·Y2 = Y1·X2) ∨ (Y1·Y2 = X1·X2). */
export function ristrettoEquals(k: FieldKernel, p: number, q: number): boolean {
  const a = slot(0);
  const b = slot(1);
  k.fe_mul(a, p + X, q + Y);
  k.fe_mul(b, p + Y, q + X);
  const first = feEquals(k, a, b);
  k.fe_mul(a, p + Y, q + Y);
  k.fe_mul(b, p + X, q + X);
  return (first | feEquals(k, a, b)) === 1;
}

/** True for the identity class of ristretto255 (X = 0 or Y = 0 in extended coordinates). */
export function ristrettoIsIdentity(k: FieldKernel, p: number): boolean {
  return (feIsZero(k, p + X) | feIsZero(k, p + Y)) === 1;
}

/** RFC 9496 §4.3.4 MAP(t) into the point at `out`. */
function ristrettoMap(k: FieldKernel, out: number, t: number): void {
  const r = slot(0);
  const u = slot(1);
  const v = slot(2);
  const s = slot(3);
  const sPrime = slot(4);
  const c = slot(5);
  const n = slot(6);
  const tmp = slot(7);
  const w0 = slot(8);
  const w1 = slot(9);
  const w2 = slot(10);
  const w3 = slot(11);
  k.fe_sq(r, t);
  k.fe_mul(r, r, FE_CONST.SQRT_M1);
  k.fe_add(u, r, FE_CONST.ONE);
  k.fe_mul(u, u, FE_CONST.ONE_MINUS_D_SQ);
  k.fe_mul(tmp, r, FE_CONST.D);
  k.fe_sub(v, FE_CONST.MINUS_ONE, tmp);
  k.fe_add(tmp, r, FE_CONST.D);
  k.fe_mul(v, v, tmp); // (−1 − r·d)(r + d)
  const wasSquare = sqrtRatioM1(k, s, u, v);
  k.fe_mul(sPrime, s, t);
  feAbs(k, sPrime);
  k.fe_neg(sPrime, sPrime);
  k.fe_cmov(s, sPrime, 1 - wasSquare);
  k.fe_copy(c, r);
  k.fe_cmov(c, FE_CONST.MINUS_ONE, wasSquare);
  k.fe_sub(tmp, r, FE_CONST.ONE);
  k.fe_mul(n, c, tmp);
  k.fe_mul(n, n, FE_CONST.D_MINUS_ONE_SQ);
  k.fe_sub(n, n, v);
  k.fe_add(w0, s, s);
  k.fe_mul(w0, w0, v);
  k.fe_mul(w1, n, FE_CONST.SQRT_AD_MINUS_ONE);
  k.fe_sq(tmp, s);
  k.fe_sub(w2, FE_CONST.ONE, tmp);
  k.fe_add(w3, FE_CONST.ONE, tmp);
  k.fe_mul(out + X, w0, w3);
  k.fe_mul(out + Y, w2, w1);
  k.fe_mul(out + Z, w1, w3);
  k.fe_mul(out + T, w0, w2);
}

/**
 * RFC 9496 §4.3.4 one-way map: each 32-byte half with bit 255 masked is a field element (not
 * necessarily reduced, as the RFC allows), mapped by MAP; the point is the sum of both images.
 */
export function ristrettoFromUniformBytes(k: FieldKernel, out: number, bytes: Uint8Array): void {
  const t = slot(16);
  const mem = bytesView(k);
  mem.set(bytes.subarray(0, 32), IN_BYTES);
  k.fe_frombytes(t, IN_BYTES);
  ristrettoMap(k, out, t);
  mem.set(bytes.subarray(32, 64), IN_BYTES);
  k.fe_frombytes(t, IN_BYTES);
  ristrettoMap(k, TMP_POINT, t);
  k.ge_add_ext(out, out, TMP_POINT);
}
