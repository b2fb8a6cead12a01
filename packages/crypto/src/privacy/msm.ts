/**
 * Multi-scalar multiplication Σ sᵢ·Pᵢ over ristretto255 on the WebAssembly kernel, plus the small
 * point toolkit (decode, encode, add, hash-to-point) the range proofs, ring signatures and stealth
 * addresses are written in.
 *
 * Two algorithms, chosen by who knows the scalars:
 * - PUBLIC scalars (verification): variable time. Pippenger's bucket method with signed c-bit
 *   digits (Bernstein, Doumen, Lange, Oosterwijk, "Faster batch forgery identification",
 *   INDOCRYPT 2012, §4; buckets halved by the sign) for many terms, Straus–Shamir interleaving with
 *   radix-16 tables for a few.
 * - SECRET scalars (proving, signing): Straus–Shamir with signed radix-16 digits in [−8, 8], one
 *   table lookup that scans the whole table with masks (`ge_lookup`) and one addition per digit,
 *   zero digits included. The sequence of kernel calls depends only on the number of terms.
 *
 * Points live in a bump-allocated arena inside the kernel's memory; `withPointArena` releases
 * everything a computation allocated when it returns (JavaScript is single-threaded and every
 * computation here is synchronous, so a stack discipline is enough).
 */
import { sha3_512 } from '@noble/hashes/sha3.js';
import { assertBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import {
  ristrettoDecode,
  ristrettoEncode,
  ristrettoEquals,
  ristrettoFromUniformBytes,
  ristrettoIsIdentity,
} from './field-ristretto.js';
import {
  FE_BYTES,
  type FieldKernel,
  getFieldKernel,
  HEAP_BASE,
  IDENTITY_EXTENDED,
  POINT_BYTES,
} from './field-wasm.js';
import { CURVE_ORDER, type Scalar } from './group.js';

const PAGE = 65536;
const SCALAR_BITS = 253; // ℓ < 2^253

/** Window of the precomputed shifted tables: 26 windows of 10 bits cover 260 ≥ 253 + 2 bits. */
export const SHIFTED_WINDOW = 10;
export const SHIFTED_WINDOWS = 26;

/** A point in the arena: the byte offset of its 160-byte extended-coordinate slot. */
export type PointRef = number;

export class PointArena {
  readonly kernel: FieldKernel;
  /** Start of the temporary area; below it live persistent blocks (precomputed tables). */
  private base = HEAP_BASE;
  private top = HEAP_BASE;

  constructor(kernel: FieldKernel) {
    this.kernel = kernel;
  }

  get mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = Math.max(mark, this.base);
  }

  /**
   * Reserves `count` point slots that are never released (process-lifetime tables), or returns
   * undefined when temporaries are live (the block must sit below every temporary).
   */
  allocPersistent(count: number): PointRef | undefined {
    if (this.top !== this.base) return undefined;
    const ptr = this.alloc(count);
    this.base = this.top;
    return ptr;
  }

  /** Reserves `count` consecutive point slots and returns the first. */
  alloc(count = 1): PointRef {
    const ptr = this.top;
    const end = ptr + count * POINT_BYTES;
    const memory = this.kernel.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    }
    this.top = end;
    return ptr;
  }

  identity(): PointRef {
    const p = this.alloc();
    this.kernel.ge_copy(p, IDENTITY_EXTENDED);
    return p;
  }

  copy(src: PointRef): PointRef {
    const p = this.alloc();
    this.kernel.ge_copy(p, src);
    return p;
  }

  /**
   * Strict RFC 9496 decoding; throws `WeftError('INVALID_POINT')` for anything but a canonical
   * encoding of a group element. `what` names the field in the error (never its value).
   */
  decode(bytes: Uint8Array, what = 'point'): PointRef {
    assertBytes(bytes, 32, what);
    const p = this.alloc();
    if (!ristrettoDecode(this.kernel, p, bytes)) {
      throw new WeftError('INVALID_POINT', `${what} is not a canonical ristretto255 encoding`, {
        penalise: true,
      });
    }
    return p;
  }

  encode(p: PointRef): Uint8Array {
    return ristrettoEncode(this.kernel, p);
  }

  equals(p: PointRef, q: PointRef): boolean {
    return ristrettoEquals(this.kernel, p, q);
  }

  isIdentity(p: PointRef): boolean {
    return ristrettoIsIdentity(this.kernel, p);
  }

  /** r = p + q (all extended; r may alias p or q). */
  addInto(r: PointRef, p: PointRef, q: PointRef): void {
    this.kernel.ge_add_ext(r, p, q);
  }

  add(p: PointRef, q: PointRef): PointRef {
    const r = this.alloc();
    this.kernel.ge_add_ext(r, p, q);
    return r;
  }

  /** −p: (X, Y, Z, T) ↦ (−X, Y, Z, −T). */
  neg(p: PointRef): PointRef {
    const r = this.copy(p);
    this.kernel.fe_neg(r, r);
    this.kernel.fe_neg(r + 3 * FE_BYTES, r + 3 * FE_BYTES);
    return r;
  }

  sub(p: PointRef, q: PointRef): PointRef {
    return this.add(p, this.neg(q));
  }

  /** p = flag ? q : p for flag ∈ {0, 1}, without a branch on the flag. */
  cmov(p: PointRef, q: PointRef, flag: number): void {
    for (let i = 0; i < 4; i++) this.kernel.fe_cmov(p + i * FE_BYTES, q + i * FE_BYTES, flag);
  }

  /** RFC 9496 §4.3.4 one-way map of 64 uniform bytes (dalek `from_uniform_bytes`). */
  fromUniformBytes(bytes: Uint8Array): PointRef {
    assertBytes(bytes, 64, 'uniform bytes');
    const p = this.alloc();
    ristrettoFromUniformBytes(this.kernel, p, bytes);
    return p;
  }

  /** group.ts `hashToPoint`: the one-way map over SHA3-512(data) (WeDPR/dalek `hash_from_bytes`). */
  hashToPoint(data: Uint8Array): PointRef {
    return this.fromUniformBytes(sha3_512(data));
  }

  /** Copies `count` points out of the arena as raw limbs (see `loadRaw`). */
  exportRaw(p: PointRef, count = 1): Uint8Array {
    return new Uint8Array(this.kernel.memory.buffer, p, count * POINT_BYTES).slice();
  }

  /** Copies raw point limbs produced by `exportRaw` into fresh slots (a cache hit, no decoding). */
  loadRaw(raw: Uint8Array): PointRef {
    const count = raw.length / POINT_BYTES;
    const p = this.alloc(count);
    new Uint8Array(this.kernel.memory.buffer).set(raw, p);
    return p;
  }

  /**
   * Σ scalars[i]·points[i] for PUBLIC scalars (variable time). Writes to `out` when given (so a
   * caller can release the temporaries with `mark`/`release` and keep the result).
   */
  msmPublic(scalars: readonly Scalar[], points: ArrayLike<PointRef>, out: PointRef = this.alloc()): PointRef {
    checkTerms(scalars, points);
    const n = scalars.length;
    if (n === 0) {
      this.kernel.ge_copy(out, IDENTITY_EXTENDED);
      return out;
    }
    const c = pippengerWindow(n);
    if (c === 0) strausPublic(this, out, scalars, points);
    else pippenger(this, out, scalars, points, c);
    return out;
  }

  /** Σ scalars[i]·points[i] for SECRET scalars (fixed sequence of operations, masked lookups). */
  msmSecret(scalars: readonly Scalar[], points: ArrayLike<PointRef>, out: PointRef = this.alloc()): PointRef {
    checkTerms(scalars, points);
    strausSecret(this, out, scalars, points);
    return out;
  }

  /**
   * Writes the shifted copies 2^(c·k)·P (k < SHIFTED_WINDOWS, c = SHIFTED_WINDOW) of each point, in
   * cached form, to SHIFTED_WINDOWS consecutive slots per point starting at `out`.
   */
  buildShiftedTable(points: ArrayLike<PointRef>, out: PointRef): void {
    const k = this.kernel;
    const mark = this.mark;
    const tmp = this.alloc();
    for (let i = 0; i < points.length; i++) {
      k.ge_copy(tmp, points[i] as number);
      for (let w = 0; w < SHIFTED_WINDOWS; w++) {
        if (w > 0) k.ge_dbln(tmp, tmp, SHIFTED_WINDOW);
        k.ge_to_cached(out + (i * SHIFTED_WINDOWS + w) * POINT_BYTES, tmp);
      }
    }
    this.release(mark);
  }

  /**
   * Σ scalars·points for PUBLIC scalars over points with shifted tables (`buildShiftedTable`):
   * s·P = Σₖ dₖ·(2^(ck)·P), so every digit of every scalar goes into ONE set of 2^(c−1) buckets —
   * no doublings and one bucket summation instead of one per window (Pippenger with
   * precomputation; cf. Bernstein et al., INDOCRYPT 2012, §4, and Bootle et al.'s use in dalek).
   * Zero scalars are skipped.
   */
  msmPublicShifted(
    segments: readonly { table: PointRef; scalars: readonly Scalar[] }[],
    out: PointRef = this.alloc(),
  ): PointRef {
    for (const seg of segments) checkTerms(seg.scalars, { length: seg.scalars.length });
    shiftedPippenger(this, out, segments);
    return out;
  }

  mulPublic(p: PointRef, s: Scalar): PointRef {
    return this.msmPublic([s], [p]);
  }

  mulSecret(p: PointRef, s: Scalar): PointRef {
    return this.msmSecret([s], [p]);
  }
}

function checkTerms(scalars: readonly Scalar[], points: ArrayLike<PointRef>): void {
  if (scalars.length !== points.length) {
    throw new WeftError('INVALID_ARGUMENT', `MSM needs as many scalars (${scalars.length}) as points`);
  }
  for (const s of scalars) {
    if (typeof s !== 'bigint' || s < 0n || s >= CURVE_ORDER) {
      throw new WeftError('INVALID_SCALAR', 'MSM scalar must be a bigint in [0, ℓ)');
    }
  }
}

let arena: PointArena | undefined;

/**
 * Runs `fn` with the process-wide arena and frees whatever it allocated afterwards. Point refs must
 * not escape `fn` (export them with `encode` or `exportRaw`).
 */
export function withPointArena<T>(fn: (arena: PointArena) => T): T {
  arena ??= new PointArena(getFieldKernel());
  const mark = arena.mark;
  try {
    return fn(arena);
  } finally {
    arena.release(mark);
  }
}

// ---------------------------------------------------------------------------------------------
// Scalar recoding
// ---------------------------------------------------------------------------------------------

/** The scalar as 8 little-endian 32-bit words. */
function scalarWords(s: Scalar, out: Uint32Array): void {
  const hex = s.toString(16).padStart(64, '0');
  for (let i = 0; i < 8; i++) out[i] = Number.parseInt(hex.slice(56 - 8 * i, 64 - 8 * i), 16);
}

/**
 * Signed radix-2^c digits dⱼ ∈ [−2^(c−1), 2^(c−1)] with s = Σ dⱼ·2^(cj), written to
 * out[offset + j·stride] for j < windows. Needs windows·c ≥ 255 for s < 2^253: the top window then
 * holds at most c − 2 bits of s plus an incoming carry, below 2^(c−1), so no carry is lost. Arithmetic only (no data-dependent branch), so it is also
 * used for secret scalars with c = 4.
 */
function recodeSigned(
  words: Uint32Array,
  c: number,
  windows: number,
  out: Int8Array | Int16Array,
  offset: number,
  stride: number,
): void {
  const mask = (1 << c) - 1;
  const half = 1 << (c - 1);
  let carry = 0;
  for (let j = 0; j < windows; j++) {
    const bit = j * c;
    const w = bit >>> 5;
    const shift = bit & 31;
    let v = 0;
    if (w < 8) {
      v = (words[w] as number) >>> shift;
      if (shift + c > 32 && w + 1 < 8) v |= (words[w + 1] as number) << (32 - shift);
      v &= mask;
    }
    v += carry;
    carry = (v + half) >>> c;
    out[offset + j * stride] = v - (carry << c);
  }
}

// ---------------------------------------------------------------------------------------------
// Variable-time algorithms (public scalars)
// ---------------------------------------------------------------------------------------------

/** The Pippenger window minimising ⌈254/c⌉·(n + 2^c) point additions, or 0 when Straus is cheaper. */
function pippengerWindow(n: number): number {
  // Straus with width-5 NAF: 8 table operations + ≈ 253/6 ≈ 42 digit additions per term, 253 doublings.
  const straus = n * 50 + SCALAR_BITS;
  let best = 0;
  let bestCost = straus;
  for (let c = 2; c <= 16; c++) {
    const windows = Math.ceil((SCALAR_BITS + 2) / c);
    const cost = windows * (n + (1 << c)) + SCALAR_BITS;
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}

function pippenger(
  a: PointArena,
  out: PointRef,
  scalars: readonly Scalar[],
  points: ArrayLike<PointRef>,
  c: number,
): void {
  const k = a.kernel;
  const n = scalars.length;
  const windows = Math.ceil((SCALAR_BITS + 2) / c);
  const digits = new Int16Array(n * windows);
  const words = new Uint32Array(8);
  for (let i = 0; i < n; i++) {
    scalarWords(scalars[i] as Scalar, words);
    recodeSigned(words, c, windows, digits, i * windows, 1);
  }
  const cached = a.alloc(n);
  for (let i = 0; i < n; i++) k.ge_to_cached(cached + i * POINT_BYTES, points[i] as number);
  const bucketCount = 1 << (c - 1);
  const buckets = a.alloc(bucketCount);
  const filled = new Uint8Array(bucketCount);
  const running = a.alloc();
  const windowSum = a.alloc();
  k.ge_copy(out, IDENTITY_EXTENDED);
  let started = false;
  for (let w = windows - 1; w >= 0; w--) {
    if (started) k.ge_dbln(out, out, c);
    filled.fill(0);
    for (let i = 0; i < n; i++) {
      const d = digits[i * windows + w] as number;
      if (d === 0) continue;
      const b = (d > 0 ? d : -d) - 1;
      const bucket = buckets + b * POINT_BYTES;
      if (filled[b] === 0) {
        // First entry of the bucket: start from the identity so the cached addend can be used.
        k.ge_copy(bucket, IDENTITY_EXTENDED);
        filled[b] = 1;
      }
      if (d > 0) k.ge_add(bucket, bucket, cached + i * POINT_BYTES);
      else k.ge_sub(bucket, bucket, cached + i * POINT_BYTES);
    }
    // Σ_b (b+1)·bucket[b] by running sums, top bucket first.
    let haveRunning = false;
    let haveSum = false;
    for (let b = bucketCount - 1; b >= 0; b--) {
      if (filled[b] === 1) {
        if (haveRunning) k.ge_add_ext(running, running, buckets + b * POINT_BYTES);
        else k.ge_copy(running, buckets + b * POINT_BYTES);
        haveRunning = true;
      }
      if (haveRunning) {
        if (haveSum) k.ge_add_ext(windowSum, windowSum, running);
        else k.ge_copy(windowSum, running);
        haveSum = true;
      }
    }
    if (haveSum) {
      k.ge_add_ext(out, out, windowSum);
      started = true;
    }
  }
}

function shiftedPippenger(
  a: PointArena,
  out: PointRef,
  segments: readonly { table: PointRef; scalars: readonly Scalar[] }[],
): void {
  const k = a.kernel;
  const c = SHIFTED_WINDOW;
  const W = SHIFTED_WINDOWS;
  const bucketCount = 1 << (c - 1);
  const buckets = a.alloc(bucketCount);
  const filled = new Uint8Array(bucketCount);
  const words = new Uint32Array(8);
  const digits = new Int16Array(W);
  for (const { table, scalars } of segments) {
    for (let i = 0; i < scalars.length; i++) {
      const s = scalars[i] as Scalar;
      if (s === 0n) continue;
      scalarWords(s, words);
      recodeSigned(words, c, W, digits, 0, 1);
      const row = table + i * W * POINT_BYTES;
      for (let w = 0; w < W; w++) {
        const d = digits[w] as number;
        if (d === 0) continue;
        const b = (d > 0 ? d : -d) - 1;
        const bucket = buckets + b * POINT_BYTES;
        if (filled[b] === 0) {
          k.ge_copy(bucket, IDENTITY_EXTENDED);
          filled[b] = 1;
        }
        if (d > 0) k.ge_add(bucket, bucket, row + w * POINT_BYTES);
        else k.ge_sub(bucket, bucket, row + w * POINT_BYTES);
      }
    }
  }
  const running = a.alloc();
  k.ge_copy(out, IDENTITY_EXTENDED);
  let haveRunning = false;
  for (let b = bucketCount - 1; b >= 0; b--) {
    if (filled[b] === 1) {
      if (haveRunning) k.ge_add_ext(running, running, buckets + b * POINT_BYTES);
      else k.ge_copy(running, buckets + b * POINT_BYTES);
      haveRunning = true;
    }
    if (haveRunning) k.ge_add_ext(out, out, running);
  }
}

/** Builds [1P, 2P, …, 8P] in cached form at `table` (8 slots). */
function buildTable(k: FieldKernel, table: number, p: PointRef, tmp: PointRef): void {
  k.ge_to_cached(table, p);
  k.ge_copy(tmp, p);
  for (let j = 1; j < 8; j++) {
    k.ge_add(tmp, tmp, table);
    k.ge_to_cached(table + j * POINT_BYTES, tmp);
  }
}

/** Width of the NAF used by the variable-time Straus path: digits odd, |d| < 2^(w−1) = 16. */
const NAF_WIDTH = 5;
const NAF_LENGTH = 256;

/**
 * Width-w non-adjacent form (Solinas / Hankerson–Menezes–Vanstone Alg. 3.35): s = Σ dᵢ·2^i with every
 * non-zero dᵢ odd, |dᵢ| < 2^(w−1), and at least w − 1 zeros after each non-zero digit — ≈ 1/(w+1)
 * non-zero digits instead of radix-16's 15/16 per 4 bits. Variable time: public scalars only.
 * Returns 1 + the position of the highest non-zero digit (0 for s = 0).
 */
function recodeNaf(words: Uint32Array, out: Int8Array, offset: number): number {
  const w = NAF_WIDTH;
  const width = 1 << w;
  const half = width >> 1;
  const mask = width - 1;
  const bitAt = (pos: number): number => (pos >= 256 ? 0 : ((words[pos >>> 5] as number) >>> (pos & 31)) & 1);
  const bitsAt = (pos: number): number => {
    if (pos >= 256) return 0;
    const word = pos >>> 5;
    const shift = pos & 31;
    let v = (words[word] as number) >>> shift;
    if (shift + w > 32 && word + 1 < 8) v |= (words[word + 1] as number) << (32 - shift);
    return v & mask;
  };
  let carry = 0;
  let top = 0;
  let pos = 0;
  while (pos < NAF_LENGTH) {
    if (bitAt(pos) === carry) {
      pos++;
      continue;
    }
    // bit + carry is odd here, so the window value is odd.
    const window = carry + bitsAt(pos);
    let d: number;
    if (window < half) {
      d = window;
      carry = 0;
    } else {
      d = window - width;
      carry = 1;
    }
    out[offset + pos] = d;
    top = pos + 1;
    pos += w;
  }
  return top;
}

function strausPublic(
  a: PointArena,
  out: PointRef,
  scalars: readonly Scalar[],
  points: ArrayLike<PointRef>,
): void {
  const k = a.kernel;
  const n = scalars.length;
  const digits = new Int8Array(n * NAF_LENGTH);
  const words = new Uint32Array(8);
  const entries = 1 << (NAF_WIDTH - 2); // P, 3P, …, 15P
  const tables = a.alloc(entries * n);
  const tmp = a.alloc();
  const twice = a.alloc();
  let top = 0;
  for (let i = 0; i < n; i++) {
    scalarWords(scalars[i] as Scalar, words);
    top = Math.max(top, recodeNaf(words, digits, i * NAF_LENGTH));
    const table = tables + entries * i * POINT_BYTES;
    const p = points[i] as number;
    k.ge_to_cached(table, p);
    k.ge_dbl(tmp, p);
    k.ge_to_cached(twice, tmp);
    k.ge_copy(tmp, p);
    for (let j = 1; j < entries; j++) {
      k.ge_add(tmp, tmp, twice);
      k.ge_to_cached(table + j * POINT_BYTES, tmp);
    }
  }
  k.ge_copy(out, IDENTITY_EXTENDED);
  let pendingDoublings = 0;
  let started = false;
  for (let pos = top - 1; pos >= 0; pos--) {
    if (started) pendingDoublings++;
    for (let i = 0; i < n; i++) {
      const d = digits[i * NAF_LENGTH + pos] as number;
      if (d === 0) continue;
      if (pendingDoublings > 0) {
        k.ge_dbln(out, out, pendingDoublings);
        pendingDoublings = 0;
      }
      const entry = tables + (entries * i + ((d > 0 ? d : -d) >> 1)) * POINT_BYTES;
      if (d > 0) k.ge_add(out, out, entry);
      else k.ge_sub(out, out, entry);
      started = true;
    }
  }
  if (pendingDoublings > 0) k.ge_dbln(out, out, pendingDoublings);
}

// ---------------------------------------------------------------------------------------------
// Constant-sequence algorithm (secret scalars)
// ---------------------------------------------------------------------------------------------

function strausSecret(
  a: PointArena,
  out: PointRef,
  scalars: readonly Scalar[],
  points: ArrayLike<PointRef>,
): void {
  const k = a.kernel;
  const n = scalars.length;
  const windows = 64; // 4·64 = 256 ≥ 253 bits; the top digit absorbs the last carry (≤ 2).
  const digits = new Int8Array(n * windows);
  const words = new Uint32Array(8);
  const tables = a.alloc(8 * n);
  const tmp = a.alloc();
  const addend = a.alloc();
  for (let i = 0; i < n; i++) {
    scalarWords(scalars[i] as Scalar, words);
    recodeSigned(words, 4, windows, digits, i * windows, 1);
    buildTable(k, tables + 8 * i * POINT_BYTES, points[i] as number, tmp);
  }
  words.fill(0);
  k.ge_copy(out, IDENTITY_EXTENDED);
  for (let w = windows - 1; w >= 0; w--) {
    if (w !== windows - 1) k.ge_dbln(out, out, 4);
    for (let i = 0; i < n; i++) {
      k.ge_lookup(addend, tables + 8 * i * POINT_BYTES, digits[i * windows + w] as number);
      k.ge_add(out, out, addend);
    }
  }
  digits.fill(0);
}
