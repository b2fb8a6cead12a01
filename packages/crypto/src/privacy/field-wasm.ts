/**
 * Fast arithmetic in GF(2^255 − 19) and on the twisted Edwards curve −x² + y² = 1 + d·x²·y²
 * (edwards25519, RFC 7748 §4.1 / RFC 8032 §5.1), compiled at load time to WebAssembly by
 * `field-wasm-asm.ts`. It exists because noble's BigInt arithmetic needs ≈ 2.9 µs per point addition
 * on the reference 2-core machine (measured), which puts a 64-bit Bulletproof verification (one
 * ≈ 150-term multi-scalar multiplication) at ≈ 24 ms against a 15 ms target.
 *
 * Representation (the "ref10" layout of Bernstein et al., "High-speed high-security signatures",
 * CHES 2011, §3.2 / SUPERCOP `crypto_sign/ed25519/ref10`): a field element is 10 signed limbs in radix
 * 2^25.5, limb i holding bits [⌈25.5·i⌉, ⌈25.5·(i+1)⌉), i.e. alternately 26 and 25 bits. Limbs live in
 * linear memory as 10 × i32 (40 bytes) and are widened to i64 in registers, where a full product
 * Σ fᵢ·gⱼ·{1, 2, 19, 38} of carried limbs stays below 2^61, so no 128-bit arithmetic is needed.
 * Every exported function carries its result (|limb| ≤ 2^25 + small), so any output may feed any
 * input; only the point formulas use carry-free additions internally (bounds at `fe_add_nc`).
 *
 * Points use extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x·y = T/Z (Hisil, Wong, Carter,
 * Dawson, "Twisted Edwards Curves Revisited", ASIACRYPT 2008, §3), 160 bytes: X, Y, Z, T. The
 * addition formulas for a = −1 are complete on edwards25519 (d is not a square), so adding the
 * identity or a point to itself needs no special case — the basis of the branch-free code below.
 * A "cached" point is (Y+X, Y−X, Z, 2d·T), the form an addend takes in HWCD's 8M addition.
 *
 * All kernels are straight-line or loop a public number of times: the instruction trace depends on
 * pointers and counts only, never on the values in memory (constant-time in the usual sense; JIT
 * tiers and caches are outside our control, as for any JavaScript cryptography).
 */
import { WeftError } from '../errors.js';
import { type FunctionBody, ModuleBuilder, Op } from './field-wasm-asm.js';

/** p = 2^255 − 19. */
export const FIELD_PRIME: bigint = 2n ** 255n - 19n;

export const FE_BYTES = 40;
export const POINT_BYTES = 160;
const LIMBS = 10;
/** Bit offset of each limb: ⌈25.5·i⌉. */
const LIMB_OFFSET = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230] as const;
const LIMB_BITS = [26, 25, 26, 25, 26, 25, 26, 25, 26, 25] as const;

// --- memory map (byte offsets) ------------------------------------------------------------------
const CONST_BASE = 64;
/** Field constants, written from their BigInt values at instantiation. */
export const FE_CONST = {
  ZERO: CONST_BASE,
  ONE: CONST_BASE + FE_BYTES,
  D: CONST_BASE + 2 * FE_BYTES,
  D2: CONST_BASE + 3 * FE_BYTES,
  SQRT_M1: CONST_BASE + 4 * FE_BYTES,
  INVSQRT_A_MINUS_D: CONST_BASE + 5 * FE_BYTES,
  ONE_MINUS_D_SQ: CONST_BASE + 6 * FE_BYTES,
  D_MINUS_ONE_SQ: CONST_BASE + 7 * FE_BYTES,
  SQRT_AD_MINUS_ONE: CONST_BASE + 8 * FE_BYTES,
  MINUS_ONE: CONST_BASE + 9 * FE_BYTES,
} as const;
/** The neutral element, extended (0 : 1 : 1 : 0) and cached (1, 1, 1, 0). */
export const IDENTITY_EXTENDED = 512;
export const IDENTITY_CACHED = IDENTITY_EXTENDED + POINT_BYTES;
/** Temporaries private to the wasm point functions. */
const WASM_TEMP = 1024;
const WASM_TEMP_CACHED = WASM_TEMP + 12 * FE_BYTES;
/** Field-element temporaries for the JavaScript layers (field-ristretto.ts). */
export const JS_SCRATCH = 2048;
export const JS_SCRATCH_SLOTS = 32;
/** A 96-byte buffer for byte input/output (with slack: `fe_frombytes` reads 8-byte words). */
export const IO_BUFFER = JS_SCRATCH + JS_SCRATCH_SLOTS * FE_BYTES;
/** First byte free for callers (msm.ts allocates arenas from here). */
export const HEAP_BASE = 8192;

const D_EDWARDS = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const CONSTANT_VALUES: Record<keyof typeof FE_CONST, bigint> = {
  ZERO: 0n,
  ONE: 1n,
  D: D_EDWARDS,
  D2: (2n * D_EDWARDS) % FIELD_PRIME,
  SQRT_M1: 19681161376707505956807079304988542015446066515923890162744021073123829784752n,
  INVSQRT_A_MINUS_D: 54469307008909316920995813868745141605393597292927456921205312896311721017578n,
  ONE_MINUS_D_SQ: 1159843021668779879193775521855586647937357759715417654439879720876111806838n,
  D_MINUS_ONE_SQ: 40440834346308536858101042469323190826248399146238708352240133220865137265952n,
  SQRT_AD_MINUS_ONE: 25063068953384623474111414158702152701244531502492656460079210482610430750235n,
  MINUS_ONE: FIELD_PRIME - 1n,
};

/**
 * The slice of the WebAssembly JS API we use. The repository compiles against ES2023 + Node types,
 * which do not declare the `WebAssembly` global, so it is typed here and read from `globalThis`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The functions exported by the kernel; all pointers are byte offsets into `memory`. */
export interface FieldKernel {
  readonly memory: WasmMemory;
  /** h = f·g */
  fe_mul(h: number, f: number, g: number): void;
  /** h = f² */
  fe_sq(h: number, f: number): void;
  /** h = f^(2^n), n ≥ 1 */
  fe_sqn(h: number, f: number, n: number): void;
  fe_add(h: number, f: number, g: number): void;
  fe_sub(h: number, f: number, g: number): void;
  /** h = f + g without carrying (inputs carried; for products only, see the bound at its definition). */
  fe_add_nc(h: number, f: number, g: number): void;
  fe_sub_nc(h: number, f: number, g: number): void;
  fe_neg(h: number, f: number): void;
  fe_copy(h: number, f: number): void;
  /** f = flag ? g : f, flag ∈ {0, 1}, branch-free. */
  fe_cmov(f: number, g: number, flag: number): void;
  /** Reads 32 little-endian bytes at s, ignoring bit 255 (not reduced: may be ≥ p). */
  fe_frombytes(h: number, s: number): void;
  /** Writes the canonical (fully reduced) 32-byte little-endian encoding of h at s. */
  fe_tobytes(s: number, h: number): void;
  /** r = p + q, q cached. */
  ge_add(r: number, p: number, q: number): void;
  /** r = p − q, q cached. */
  ge_sub(r: number, p: number, q: number): void;
  /** r = p + q, both extended. */
  ge_add_ext(r: number, p: number, q: number): void;
  /** r = 2p */
  ge_dbl(r: number, p: number): void;
  /** r = 2^n·p, n ≥ 1 */
  ge_dbln(r: number, p: number, n: number): void;
  /** c = cached(p) */
  ge_to_cached(c: number, p: number): void;
  /** r = p (160 bytes) */
  ge_copy(r: number, p: number): void;
  /**
   * out = digit·P in cached form from `table` = [1P, 2P, …, 8P] (cached), digit ∈ [−8, 8]; scans the
   * whole table with masks so the memory trace does not depend on the digit.
   */
  ge_lookup(out: number, table: number, digit: number): void;
}

type Arg = number | readonly [local: number, offset: number];

function pushArg(b: FunctionBody, a: Arg): void {
  if (typeof a === 'number') {
    b.i32(a);
  } else {
    b.get(a[0]);
    if (a[1] !== 0) b.i32(a[1]).op(Op.i32Add);
  }
}

function emitCall(b: FunctionBody, fn: number, ...args: Arg[]): void {
  for (const a of args) pushArg(b, a);
  b.call(fn);
}

function emitLoadLimbs(b: FunctionBody, ptr: number, into: readonly number[]): void {
  for (let i = 0; i < LIMBS; i++)
    b.get(ptr)
      .mem(Op.i64Load32S, 4 * i, 2)
      .set(into[i] as number);
}

function emitStoreLimbs(b: FunctionBody, ptr: number, from: readonly number[]): void {
  for (let i = 0; i < LIMBS; i++)
    b.get(ptr)
      .get(from[i] as number)
      .mem(Op.i64Store32, 4 * i, 2);
}

/**
 * ref10's rounding carry chain (fe_mul.c): each step moves round(hᵢ / 2^wᵢ) into the next limb, the
 * carry out of limb 9 re-enters limb 0 times 19 (2^255 ≡ 19 mod p). Output limbs are bounded by
 * 2^25 (26-bit positions) and 2^24 (25-bit positions) in absolute value, up to a tiny excess in h1/h5.
 */
function emitCarry(b: FunctionBody, h: readonly number[], carry: number): void {
  for (const i of [0, 4, 1, 5, 2, 6, 3, 7, 4, 8, 9, 0]) {
    const w = LIMB_BITS[i] as number;
    const hi = h[i] as number;
    b.get(hi)
      .i64(1n << BigInt(w - 1))
      .op(Op.i64Add)
      .i64(w)
      .op(Op.i64ShrS)
      .set(carry);
    const next = h[(i + 1) % LIMBS] as number;
    b.get(next).get(carry);
    if (i === 9) b.i64(19).op(Op.i64Mul);
    b.op(Op.i64Add).set(next);
    b.get(hi).get(carry).i64(w).op(Op.i64Shl).op(Op.i64Sub).set(hi);
  }
}

function newLocals(b: FunctionBody, n: number): number[] {
  return Array.from({ length: n }, () => b.local('i64'));
}

/**
 * Emits h = f·g (or f² when `square`), leaving the carried limbs in the locals `h`.
 * Limb weights: fᵢ·gⱼ lands in limb (i + j) mod 10, doubled when i and j are both odd (the weights
 * ⌈25.5i⌉ + ⌈25.5j⌉ exceed ⌈25.5(i+j)⌉ by one), times 19 when i + j ≥ 10 (2^255 ≡ 19).
 */
function emitMulCore(
  b: FunctionBody,
  f: readonly number[],
  g: readonly number[],
  h: readonly number[],
  carry: number,
  square: boolean,
): void {
  const variants = new Map<string, number>();
  const variant = (src: readonly number[], j: number, coef: number): number => {
    if (coef === 1) return src[j] as number;
    const key = `${j}:${coef}`;
    const existing = variants.get(key);
    if (existing !== undefined) return existing;
    const local = b.local('i64');
    b.get(src[j] as number)
      .i64(coef)
      .op(Op.i64Mul)
      .set(local);
    variants.set(key, local);
    return local;
  };
  // Precompute every scaled operand first so the product sums below are pure multiply-adds.
  const terms: Array<Array<[number, number]>> = [];
  for (let k = 0; k < LIMBS; k++) {
    const row: Array<[number, number]> = [];
    for (let i = 0; i < LIMBS; i++) {
      const j = (k - i + LIMBS) % LIMBS;
      if (square && j < i) continue;
      let coef = (i & 1) === 1 && (j & 1) === 1 ? 2 : 1;
      if (i + j >= LIMBS) coef *= 19;
      if (square && i !== j) coef *= 2;
      row.push([f[i] as number, variant(square ? f : g, j, coef)]);
    }
    terms.push(row);
  }
  for (let k = 0; k < LIMBS; k++) {
    const row = terms[k] as Array<[number, number]>;
    row.forEach(([x, y], idx) => {
      b.get(x).get(y).op(Op.i64Mul);
      if (idx > 0) b.op(Op.i64Add);
    });
    b.set(h[k] as number);
  }
  emitCarry(b, h, carry);
}

function buildKernelModule(): Uint8Array {
  const m = new ModuleBuilder(2);
  const I = 'i32' as const;
  const fn = {
    fe_mul: m.declare('fe_mul', [I, I, I], []),
    fe_sq: m.declare('fe_sq', [I, I], []),
    fe_sqn: m.declare('fe_sqn', [I, I, I], []),
    fe_add: m.declare('fe_add', [I, I, I], []),
    fe_sub: m.declare('fe_sub', [I, I, I], []),
    fe_add_nc: m.declare('fe_add_nc', [I, I, I], []),
    fe_sub_nc: m.declare('fe_sub_nc', [I, I, I], []),
    fe_neg: m.declare('fe_neg', [I, I], []),
    fe_copy: m.declare('fe_copy', [I, I], []),
    fe_cmov: m.declare('fe_cmov', [I, I, I], []),
    fe_frombytes: m.declare('fe_frombytes', [I, I], []),
    fe_tobytes: m.declare('fe_tobytes', [I, I], []),
    ge_add: m.declare('ge_add', [I, I, I], []),
    ge_sub: m.declare('ge_sub', [I, I, I], []),
    ge_add_ext: m.declare('ge_add_ext', [I, I, I], []),
    ge_dbl: m.declare('ge_dbl', [I, I], []),
    ge_dbl_xyz: m.declare('ge_dbl_xyz', [I, I], [], false),
    ge_dbln: m.declare('ge_dbln', [I, I, I], []),
    ge_to_cached: m.declare('ge_to_cached', [I, I], []),
    ge_copy: m.declare('ge_copy', [I, I], []),
    ge_lookup: m.declare('ge_lookup', [I, I, I], []),
  };

  m.define(fn.fe_mul, (b) => {
    const f = newLocals(b, LIMBS);
    const g = newLocals(b, LIMBS);
    const h = newLocals(b, LIMBS);
    const carry = b.local('i64');
    emitLoadLimbs(b, 1, f);
    emitLoadLimbs(b, 2, g);
    emitMulCore(b, f, g, h, carry, false);
    emitStoreLimbs(b, 0, h);
  });

  m.define(fn.fe_sq, (b) => {
    const f = newLocals(b, LIMBS);
    const h = newLocals(b, LIMBS);
    const carry = b.local('i64');
    emitLoadLimbs(b, 1, f);
    emitMulCore(b, f, f, h, carry, true);
    emitStoreLimbs(b, 0, h);
  });

  // Repeated squaring keeps the limbs in registers between iterations (inversion chains are ~250 of
  // these, the bulk of every square root and every point decoding).
  m.define(fn.fe_sqn, (b) => {
    const f = newLocals(b, LIMBS);
    const h = newLocals(b, LIMBS);
    const carry = b.local('i64');
    emitLoadLimbs(b, 1, f);
    b.begin(Op.loop);
    emitMulCore(b, f, f, h, carry, true);
    for (let i = 0; i < LIMBS; i++) b.get(h[i] as number).set(f[i] as number);
    b.get(2).i32(1).op(Op.i32Sub).tee(2).br(0, Op.brIf);
    b.op(Op.end);
    emitStoreLimbs(b, 0, f);
  });

  const defineLinear = (index: number, combine: 'add' | 'sub' | 'neg'): void => {
    m.define(index, (b) => {
      const f = newLocals(b, LIMBS);
      const g = newLocals(b, LIMBS);
      const carry = b.local('i64');
      emitLoadLimbs(b, 1, f);
      if (combine !== 'neg') emitLoadLimbs(b, 2, g);
      for (let i = 0; i < LIMBS; i++) {
        if (combine === 'neg') {
          b.i64(0)
            .get(f[i] as number)
            .op(Op.i64Sub);
        } else {
          b.get(f[i] as number)
            .get(g[i] as number)
            .op(combine === 'add' ? Op.i64Add : Op.i64Sub);
        }
        b.set(f[i] as number);
      }
      emitCarry(b, f, carry);
      emitStoreLimbs(b, 0, f);
    });
  };
  defineLinear(fn.fe_add, 'add');
  defineLinear(fn.fe_sub, 'sub');
  defineLinear(fn.fe_neg, 'neg');

  // Carry-free h = f ± g, for the point formulas only. Bound argument (ref10's, redone for i64):
  // a carried limb is at most 1.01·2^(w−1) in absolute value, i.e. ≤ 0.505·2^26 =: 0.505·U.
  // fe_mul sums 10 products with coefficients ≤ 38, so inputs bounded by β_f·U and β_g·U give
  // |hₖ| ≤ 380·β_f·β_g·2^52 < 2^63 whenever β_f·β_g < 5.4 (fe_sq: 6 terms × 76, β² < 4.5). The
  // formulas below only ever multiply sums of at most four carried values (β ≤ 2.02, product of the
  // two largest factors 3.06), and their products are carried again.
  const defineLinearNoCarry = (index: number, combine: 'add' | 'sub'): void => {
    m.define(index, (b) => {
      for (let i = 0; i < LIMBS; i++) {
        b.get(0);
        b.get(1).mem(Op.i32Load, 4 * i, 2);
        b.get(2).mem(Op.i32Load, 4 * i, 2);
        b.op(combine === 'add' ? Op.i32Add : Op.i32Sub);
        b.mem(Op.i32Store, 4 * i, 2);
      }
    });
  };
  defineLinearNoCarry(fn.fe_add_nc, 'add');
  defineLinearNoCarry(fn.fe_sub_nc, 'sub');

  const emitCopyWords = (b: FunctionBody, dst: number, src: number, words64: number): void => {
    for (let i = 0; i < words64; i++)
      b.get(dst)
        .get(src)
        .mem(Op.i64Load, 8 * i, 3)
        .mem(Op.i64Store, 8 * i, 3);
  };
  m.define(fn.fe_copy, (b) => emitCopyWords(b, 0, 1, FE_BYTES / 8));
  m.define(fn.ge_copy, (b) => emitCopyWords(b, 0, 1, POINT_BYTES / 8));

  // f ^= (f ^ g) & −flag, word by word.
  const emitCmovWords = (b: FunctionBody, dst: number, src: number, mask: number, words32: number): void => {
    for (let i = 0; i < words32; i++) {
      b.get(dst);
      b.get(dst).mem(Op.i32Load, 4 * i, 2);
      b.get(dst)
        .mem(Op.i32Load, 4 * i, 2)
        .get(src)
        .mem(Op.i32Load, 4 * i, 2)
        .op(Op.i32Xor);
      b.get(mask).op(Op.i32And).op(Op.i32Xor);
      b.mem(Op.i32Store, 4 * i, 2);
    }
  };
  m.define(fn.fe_cmov, (b) => {
    const mask = b.local('i32');
    b.i32(0).get(2).op(Op.i32Sub).set(mask);
    emitCmovWords(b, 0, 1, mask, LIMBS);
  });

  m.define(fn.fe_frombytes, (b) => {
    for (let i = 0; i < LIMBS; i++) {
      const off = LIMB_OFFSET[i] as number;
      b.get(0);
      b.get(1).mem(Op.i64Load, off >> 3, 0);
      b.i64(off & 7).op(Op.i64ShrU);
      b.i64((1n << BigInt(LIMB_BITS[i] as number)) - 1n).op(Op.i64And);
      b.mem(Op.i64Store32, 4 * i, 2);
    }
  });

  // ref10 fe_tobytes: after a carry, q = ⌊h / p⌋ ∈ {0, 1} is computed from the top down without
  // branches; h + 19q − 2^255·q is then the canonical representative in [0, p).
  m.define(fn.fe_tobytes, (b) => {
    const h = newLocals(b, LIMBS);
    const carry = b.local('i64');
    const q = b.local('i64');
    emitLoadLimbs(b, 1, h);
    emitCarry(b, h, carry);
    b.get(h[9] as number)
      .i64(19)
      .op(Op.i64Mul)
      .i64(1 << 24)
      .op(Op.i64Add)
      .i64(25)
      .op(Op.i64ShrS)
      .set(q);
    for (let i = 0; i < LIMBS; i++) {
      b.get(h[i] as number)
        .get(q)
        .op(Op.i64Add)
        .i64(LIMB_BITS[i] as number)
        .op(Op.i64ShrS)
        .set(q);
    }
    b.get(h[0] as number)
      .get(q)
      .i64(19)
      .op(Op.i64Mul)
      .op(Op.i64Add)
      .set(h[0] as number);
    for (let i = 0; i < LIMBS; i++) {
      const w = LIMB_BITS[i] as number;
      const hi = h[i] as number;
      b.get(hi).i64(w).op(Op.i64ShrS).set(carry);
      if (i < LIMBS - 1) {
        const next = h[i + 1] as number;
        b.get(next).get(carry).op(Op.i64Add).set(next);
      }
      b.get(hi).get(carry).i64(w).op(Op.i64Shl).op(Op.i64Sub).set(hi);
    }
    for (let w = 0; w < 4; w++) {
      b.get(0);
      let first = true;
      for (let i = 0; i < LIMBS; i++) {
        const off = LIMB_OFFSET[i] as number;
        const end = off + (LIMB_BITS[i] as number);
        if (end <= 64 * w || off >= 64 * (w + 1)) continue;
        const shift = off - 64 * w;
        b.get(h[i] as number);
        if (shift > 0) b.i64(shift).op(Op.i64Shl);
        else if (shift < 0) b.i64(-shift).op(Op.i64ShrU);
        if (!first) b.op(Op.i64Or);
        first = false;
      }
      b.mem(Op.i64Store, 8 * w, 0);
    }
  });

  const t = (k: number): number => WASM_TEMP + k * FE_BYTES;
  const X = 0;
  const Y = FE_BYTES;
  const Z = 2 * FE_BYTES;
  const T = 3 * FE_BYTES;

  // HWCD'08 §3.1 "add-2008-hwcd-3" for a = −1 with the addend cached: 8M.
  const defineAdd = (index: number, subtract: boolean): void => {
    m.define(index, (b) => {
      const r = 0;
      const p = 1;
      const q = 2;
      emitCall(b, fn.fe_add_nc, t(0), [p, Y], [p, X]);
      emitCall(b, fn.fe_sub_nc, t(1), [p, Y], [p, X]);
      // Subtracting q = adding −q, whose cached form swaps Y+X with Y−X and negates 2dT.
      emitCall(b, fn.fe_mul, t(2), t(1), [q, subtract ? 0 : Y]); // A = (Y1−X1)(Y2−X2)
      emitCall(b, fn.fe_mul, t(3), t(0), [q, subtract ? Y : 0]); // B = (Y1+X1)(Y2+X2)
      emitCall(b, fn.fe_mul, t(4), [p, T], [q, T]); // C = T1·2d·T2
      emitCall(b, fn.fe_mul, t(5), [p, Z], [q, Z]);
      emitCall(b, fn.fe_add_nc, t(5), t(5), t(5)); // D = 2·Z1·Z2
      emitCall(b, fn.fe_sub_nc, t(6), t(3), t(2)); // E = B − A
      emitCall(b, fn.fe_add_nc, t(7), t(3), t(2)); // H = B + A
      emitCall(b, subtract ? fn.fe_sub_nc : fn.fe_add_nc, t(8), t(5), t(4)); // G = D ± C
      emitCall(b, subtract ? fn.fe_add_nc : fn.fe_sub_nc, t(9), t(5), t(4)); // F = D ∓ C
      emitCall(b, fn.fe_mul, [r, X], t(6), t(9)); // X3 = E·F
      emitCall(b, fn.fe_mul, [r, Y], t(8), t(7)); // Y3 = G·H
      emitCall(b, fn.fe_mul, [r, Z], t(9), t(8)); // Z3 = F·G
      emitCall(b, fn.fe_mul, [r, T], t(6), t(7)); // T3 = E·H
    });
  };
  defineAdd(fn.ge_add, false);
  defineAdd(fn.ge_sub, true);

  m.define(fn.ge_to_cached, (b) => {
    emitCall(b, fn.fe_add, [0, 0], [1, Y], [1, X]);
    emitCall(b, fn.fe_sub, [0, Y], [1, Y], [1, X]);
    emitCall(b, fn.fe_copy, [0, Z], [1, Z]);
    emitCall(b, fn.fe_mul, [0, T], [1, T], FE_CONST.D2);
  });

  m.define(fn.ge_add_ext, (b) => {
    emitCall(b, fn.ge_to_cached, WASM_TEMP_CACHED, [2, 0]);
    emitCall(b, fn.ge_add, [0, 0], [1, 0], WASM_TEMP_CACHED);
  });

  // HWCD'08 §3.3 "dbl-2008-hwcd" (ref10 ge_p2_dbl + ge_p1p1_to_p3): 4M + 4S; T1 is not read.
  const defineDbl = (index: number, withT: boolean): void => {
    m.define(index, (b) => {
      const r = 0;
      const p = 1;
      emitCall(b, fn.fe_sq, t(0), [p, X]); // XX
      emitCall(b, fn.fe_sq, t(1), [p, Y]); // YY
      emitCall(b, fn.fe_sq, t(2), [p, Z]);
      emitCall(b, fn.fe_add_nc, t(2), t(2), t(2)); // B = 2·ZZ
      emitCall(b, fn.fe_add_nc, t(3), [p, X], [p, Y]);
      emitCall(b, fn.fe_sq, t(4), t(3)); // (X+Y)²
      emitCall(b, fn.fe_add_nc, t(5), t(1), t(0)); // Y' = YY + XX
      emitCall(b, fn.fe_sub_nc, t(6), t(1), t(0)); // Z' = YY − XX
      emitCall(b, fn.fe_sub_nc, t(7), t(4), t(5)); // X' = 2XY
      emitCall(b, fn.fe_sub_nc, t(8), t(2), t(6)); // T' = 2ZZ − Z'
      emitCall(b, fn.fe_mul, [r, X], t(7), t(8));
      emitCall(b, fn.fe_mul, [r, Y], t(5), t(6));
      emitCall(b, fn.fe_mul, [r, Z], t(6), t(8));
      if (withT) emitCall(b, fn.fe_mul, [r, T], t(7), t(5));
    });
  };
  defineDbl(fn.ge_dbl, true);
  // Doubling never reads T, so all but the last of a run of doublings can skip T = X'·Y' (3M + 4S;
  // ref10's ge_p2_dbl → ge_p1p1_to_p2).
  defineDbl(fn.ge_dbl_xyz, false);

  m.define(fn.ge_dbln, (b) => {
    // r = p; (n − 1) × T-less doublings; one full doubling.
    emitCall(b, fn.ge_copy, [0, 0], [1, 0]);
    b.begin(Op.block);
    b.get(2).i32(1).op(Op.i32Sub).tee(2).op(Op.i32Eqz).br(0, Op.brIf);
    b.begin(Op.loop);
    emitCall(b, fn.ge_dbl_xyz, [0, 0], [0, 0]);
    b.get(2).i32(1).op(Op.i32Sub).tee(2).br(0, Op.brIf);
    b.op(Op.end);
    b.op(Op.end);
    emitCall(b, fn.ge_dbl, [0, 0], [0, 0]);
  });

  m.define(fn.ge_lookup, (b) => {
    const out = 0;
    const table = 1;
    const digit = 2;
    const neg = b.local('i32');
    const abs = b.local('i32');
    const mask = b.local('i32');
    const j = b.local('i32');
    const entry = b.local('i32');
    const word = b.local('i32');
    // neg = digit < 0 as 0/1; |digit| = (digit ^ −neg) + neg — arithmetic, no branch.
    b.get(digit).i32(31).op(Op.i32ShrU).set(neg);
    b.get(digit).i32(0).get(neg).op(Op.i32Sub).op(Op.i32Xor).get(neg).op(Op.i32Add).set(abs);
    emitCall(b, fn.ge_copy, [out, 0], IDENTITY_CACHED);
    b.i32(1).set(j);
    b.get(table).set(entry);
    b.begin(Op.loop);
    b.i32(0).get(abs).get(j).op(Op.i32Eq).op(Op.i32Sub).set(mask);
    emitCmovWords(b, out, entry, mask, POINT_BYTES / 4);
    b.get(entry).i32(POINT_BYTES).op(Op.i32Add).set(entry);
    b.get(j).i32(1).op(Op.i32Add).tee(j).i32(9).op(Op.i32Ne).br(0, Op.brIf);
    b.op(Op.end);
    // Conditional negation: swap Y+X and Y−X under the mask, and select −2dT.
    b.i32(0).get(neg).op(Op.i32Sub).set(mask);
    for (let i = 0; i < LIMBS; i++) {
      // word = (a ^ b) & mask; a ^= word; b ^= word
      b.get(out)
        .mem(Op.i32Load, 4 * i, 2)
        .get(out)
        .mem(Op.i32Load, Y + 4 * i, 2)
        .op(Op.i32Xor);
      b.get(mask).op(Op.i32And).set(word);
      b.get(out)
        .get(out)
        .mem(Op.i32Load, 4 * i, 2)
        .get(word)
        .op(Op.i32Xor)
        .mem(Op.i32Store, 4 * i, 2);
      b.get(out)
        .get(out)
        .mem(Op.i32Load, Y + 4 * i, 2)
        .get(word)
        .op(Op.i32Xor)
        .mem(Op.i32Store, Y + 4 * i, 2);
    }
    emitCall(b, fn.fe_neg, t(0), [out, T]);
    emitCall(b, fn.fe_cmov, [out, T], t(0), [neg, 0]);
  });

  return m.encode();
}

function writeFieldElement(view: Int32Array, ptr: number, x: bigint): void {
  const v = ((x % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
  for (let i = 0; i < LIMBS; i++) {
    const off = BigInt(LIMB_OFFSET[i] as number);
    const mask = (1n << BigInt(LIMB_BITS[i] as number)) - 1n;
    view[(ptr >> 2) + i] = Number((v >> off) & mask);
  }
}

/** Loads a field element from its bigint value (any integer; reduced mod p). Tests and setup only. */
export function feFromBigint(kernel: FieldKernel, ptr: number, x: bigint): void {
  writeFieldElement(new Int32Array(kernel.memory.buffer), ptr, x);
}

/** The value of the field element at ptr in [0, p). Tests and setup only. */
export function feToBigint(kernel: FieldKernel, ptr: number): bigint {
  const view = new Int32Array(kernel.memory.buffer);
  let x = 0n;
  for (let i = 0; i < LIMBS; i++)
    x += BigInt(view[(ptr >> 2) + i] as number) << BigInt(LIMB_OFFSET[i] as number);
  return ((x % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
}

let kernel: FieldKernel | undefined;

/** The process-wide kernel instance, compiled on first use (≈ 1 ms). */
export function getFieldKernel(): FieldKernel {
  if (kernel !== undefined) return kernel;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) throw new WeftError('UNSUPPORTED', 'this runtime has no WebAssembly');
  let instance: { readonly exports: object };
  try {
    // Synchronous compilation: the module is ~20 KB and built once per process.
    instance = new wasm.Instance(new wasm.Module(buildKernelModule()), {});
  } catch (cause: unknown) {
    throw new WeftError('UNSUPPORTED', 'WebAssembly field kernel failed to compile', { cause });
  }
  const k = instance.exports as unknown as FieldKernel;
  const view = new Int32Array(k.memory.buffer);
  for (const [name, ptr] of Object.entries(FE_CONST)) {
    writeFieldElement(view, ptr, CONSTANT_VALUES[name as keyof typeof FE_CONST]);
  }
  // Identity: extended (0 : 1 : 1 : 0), cached (Y+X, Y−X, Z, 2dT) = (1, 1, 1, 0).
  writeFieldElement(view, IDENTITY_EXTENDED, 0n);
  writeFieldElement(view, IDENTITY_EXTENDED + FE_BYTES, 1n);
  writeFieldElement(view, IDENTITY_EXTENDED + 2 * FE_BYTES, 1n);
  writeFieldElement(view, IDENTITY_EXTENDED + 3 * FE_BYTES, 0n);
  for (let i = 0; i < 3; i++) writeFieldElement(view, IDENTITY_CACHED + i * FE_BYTES, 1n);
  writeFieldElement(view, IDENTITY_CACHED + 3 * FE_BYTES, 0n);
  kernel = k;
  return k;
}
