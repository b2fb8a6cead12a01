import { hash as nodeHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { assertBytes } from './bytes.js';
import { type FunctionBody, ModuleBuilder, Op } from './privacy/field-wasm-asm.js';

/**
 * The three 32-byte hashes a weft chain uses: Keccak-256 (the `ecdsa` chain hash and everything
 * Ethereum-facing), SM3 (the `sm` chain hash, GB/T 32905-2016) and SHA-256 (certificates, TLS,
 * interop).
 *
 * Implementation choice, measured on the 2-core reference machine (Node 20.20, ops/s,
 * 32-byte / 1 KiB inputs):
 *   SHA-256  node `crypto.hash` 1.63M / 784k, node `createHash` 858k / 567k, noble 1.11M / 167k
 *   SM3      node `crypto.hash` 1.09M / 331k, node `createHash` 692k / 282k
 *   Keccak   noble 251k / 36k, the WebAssembly kernel below ~2.0M / ~210k (see bench/RESULTS.md)
 * so SHA-256 and SM3 use OpenSSL through the one-shot `crypto.hash` (Node ≥ 20.12), which skips
 * the Hash object `createHash` allocates. Node's OpenSSL (3.0) has no Keccak-256: its `sha3-256`
 * uses the FIPS 202 padding byte 0x06 instead of Keccak's 0x01, which gives different digests.
 * Keccak-256 therefore runs in a Keccak-f[1600] kernel written here in WebAssembly (emitted at load
 * time, no toolchain), with @noble/hashes (audited, pure JS) as the reference the tests compare
 * it with and as the fallback where WebAssembly is unavailable.
 */

function digestToBytes(digest: Buffer): Uint8Array {
  // `crypto.hash` returns a Buffer that owns a fresh 32-byte ArrayBuffer (not the shared pool),
  // so a plain Uint8Array view over it is safe and avoids a copy.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

// ------------------------------------------------------------------ Keccak-f[1600] in WebAssembly

/** Keccak-256 absorbs r = 1600 - 2·256 = 1088 bits = 136 bytes per permutation (FIPS 202 §5.2). */
const KECCAK256_RATE = 136;
const KECCAK_ROUNDS = 24;
const LANES = 25;

/**
 * Round constants of ι (FIPS 202 §3.2.5, Algorithm 5 `rc(t)`): the LFSR x⁸ + x⁶ + x⁵ + x⁴ + 1
 * (feedback 0x71), one output bit per step; round i sets bit 2^j − 1 of its constant to rc(j + 7i).
 */
function keccakRoundConstants(): bigint[] {
  const constants: bigint[] = [];
  let lfsr = 0x01;
  for (let round = 0; round < KECCAK_ROUNDS; round++) {
    let rc = 0n;
    for (let j = 0; j < 7; j++) {
      if ((lfsr & 1) !== 0) rc |= 1n << BigInt((1 << j) - 1);
      lfsr = (lfsr & 0x80) !== 0 ? ((lfsr << 1) ^ 0x71) & 0xff : (lfsr << 1) & 0xff;
    }
    constants.push(rc);
  }
  return constants;
}

/**
 * ρ offsets (FIPS 202 §3.2.2, Algorithm 2): starting at (x, y) = (1, 0), lane t of the walk
 * (x, y) → (y, 2x + 3y mod 5) rotates by (t + 1)(t + 2)/2 mod 64. Indexed by lane x + 5y.
 */
function keccakRhoOffsets(): number[] {
  const offsets = new Array<number>(LANES).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    offsets[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
}

// Memory layout of the kernel: the 200-byte state (lane x + 5y at byte 8(x + 5y), little-endian as
// FIPS 202 §B.1 orders bytes into lanes), the 24 round constants, then the input buffer.
const STATE_OFFSET = 0;
const ROUND_CONSTANTS_OFFSET = 200;
const INPUT_OFFSET = 512;
const KERNEL_PAGES = 2;
/** Whole rate blocks that fit the input buffer: 960 × 136 = 130,560 bytes. */
const INPUT_BLOCKS = Math.floor((KERNEL_PAGES * 65536 - INPUT_OFFSET) / KECCAK256_RATE);
const INPUT_CAPACITY = INPUT_BLOCKS * KECCAK256_RATE;

const I64_ROTL = 0x89; // Core Spec §5.4.5 numeric instructions

/**
 * `absorb(ptr, blocks)`: XORs `blocks` consecutive 136-byte blocks at `ptr` into the state, running
 * Keccak-f[1600] (FIPS 202 §3.3, 24 rounds of θ ρ π χ ι, §3.2.1–3.2.5) after each. The 25 lanes
 * live in locals for the whole call; each round is straight-line code.
 */
function buildKeccakModule(): Uint8Array {
  const rho = keccakRhoOffsets();
  const builder = new ModuleBuilder(KERNEL_PAGES);
  const absorb = builder.declare('absorb', ['i32', 'i32'], []);
  builder.define(absorb, (f: FunctionBody) => {
    const ptr = 0;
    const blocks = 1;
    const a = Array.from({ length: LANES }, () => f.local('i64'));
    const b = Array.from({ length: LANES }, () => f.local('i64'));
    const c = Array.from({ length: 5 }, () => f.local('i64'));
    const d = Array.from({ length: 5 }, () => f.local('i64'));
    const round = f.local('i32');
    const lane = (i: number): number => a[i] as number;

    for (let i = 0; i < LANES; i++)
      f.i32(0)
        .mem(Op.i64Load, STATE_OFFSET + 8 * i, 3)
        .set(lane(i));
    f.begin(Op.block);
    f.get(blocks).op(Op.i32Eqz).br(0, Op.brIf);
    f.begin(Op.loop);
    // Absorb one block into the first r/64 = 17 lanes (FIPS 202 §4, SPONGE step 6).
    for (let i = 0; i < KECCAK256_RATE / 8; i++) {
      f.get(lane(i))
        .get(ptr)
        .mem(Op.i64Load, 8 * i, 0)
        .op(Op.i64Xor)
        .set(lane(i));
    }
    f.get(ptr).i32(KECCAK256_RATE).op(Op.i32Add).set(ptr);
    f.i32(0).set(round);
    f.begin(Op.loop);
    // θ: C[x] = ⊕_y A[x, y]; D[x] = C[x − 1] ⊕ rot(C[x + 1], 1); A[x, y] ⊕= D[x].
    for (let x = 0; x < 5; x++) {
      f.get(lane(x));
      for (let y = 1; y < 5; y++) f.get(lane(x + 5 * y)).op(Op.i64Xor);
      f.set(c[x] as number);
    }
    for (let x = 0; x < 5; x++) {
      f.get(c[(x + 4) % 5] as number)
        .get(c[(x + 1) % 5] as number)
        .i64(1)
        .op(I64_ROTL)
        .op(Op.i64Xor)
        .set(d[x] as number);
    }
    // ρ and π: B[y, 2x + 3y] = rot(A[x, y] ⊕ D[x], ρ[x, y]).
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        const target = y + 5 * ((2 * x + 3 * y) % 5);
        f.get(lane(x + 5 * y))
          .get(d[x] as number)
          .op(Op.i64Xor);
        const offset = rho[x + 5 * y] as number;
        if (offset !== 0) f.i64(offset).op(I64_ROTL);
        f.set(b[target] as number);
      }
    }
    // χ: A[x, y] = B[x, y] ⊕ (¬B[x + 1, y] ∧ B[x + 2, y]).
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        f.get(b[x + 5 * y] as number)
          .get(b[((x + 1) % 5) + 5 * y] as number)
          .i64(-1)
          .op(Op.i64Xor)
          .get(b[((x + 2) % 5) + 5 * y] as number)
          .op(Op.i64And)
          .op(Op.i64Xor)
          .set(lane(x + 5 * y));
      }
    }
    // ι: A[0, 0] ⊕= RC[round].
    f.get(lane(0))
      .get(round)
      .i32(3)
      .op(Op.i32Shl)
      .mem(Op.i64Load, ROUND_CONSTANTS_OFFSET, 3)
      .op(Op.i64Xor)
      .set(lane(0));
    f.get(round).i32(1).op(Op.i32Add).tee(round).i32(KECCAK_ROUNDS).op(Op.i32LtU).br(0, Op.brIf);
    f.op(Op.end);
    f.get(blocks).i32(1).op(Op.i32Sub).tee(blocks).br(0, Op.brIf);
    f.op(Op.end);
    f.op(Op.end);
    for (let i = 0; i < LANES; i++)
      f.i32(0)
        .get(lane(i))
        .mem(Op.i64Store, STATE_OFFSET + 8 * i, 3);
  });
  return builder.encode();
}

/**
 * The slice of the WebAssembly JS API used here (the repository's lib settings do not declare the
 * `WebAssembly` global, so it is typed locally and read from `globalThis`).
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

interface KeccakKernel {
  readonly memory: { readonly buffer: ArrayBuffer };
  absorb(ptr: number, blocks: number): void;
}

function createKeccakKernel(): ((data: Uint8Array) => Uint8Array) | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return undefined;
  let kernel: KeccakKernel;
  try {
    // Synchronous compilation: the module is ~6 KB and built once per process (well under 1 ms).
    kernel = new wasm.Instance(new wasm.Module(buildKeccakModule()), {}).exports as unknown as KeccakKernel;
  } catch {
    return undefined;
  }
  // The memory never grows, so this view stays valid.
  const memory = new Uint8Array(kernel.memory.buffer);
  const constants = new DataView(kernel.memory.buffer, ROUND_CONSTANTS_OFFSET, 8 * KECCAK_ROUNDS);
  keccakRoundConstants().forEach((rc, i) => {
    constants.setBigUint64(8 * i, rc, true);
  });
  const absorb = kernel.absorb;
  return (data: Uint8Array): Uint8Array => {
    memory.fill(0, STATE_OFFSET, STATE_OFFSET + 8 * LANES);
    let offset = 0;
    // Long inputs go through the buffer in whole-block chunks; the last chunk is always partial,
    // so the padding below has room.
    while (data.length - offset >= INPUT_CAPACITY) {
      memory.set(data.subarray(offset, offset + INPUT_CAPACITY), INPUT_OFFSET);
      absorb(INPUT_OFFSET, INPUT_BLOCKS);
      offset += INPUT_CAPACITY;
    }
    const rest = data.length - offset;
    const blocks = Math.floor(rest / KECCAK256_RATE) + 1;
    const end = INPUT_OFFSET + blocks * KECCAK256_RATE;
    memory.set(offset === 0 ? data : data.subarray(offset), INPUT_OFFSET);
    memory.fill(0, INPUT_OFFSET + rest, end);
    // Keccak's multi-rate padding pad10*1 with the original domain byte 0x01 (not FIPS 202's 0x06);
    // when one byte is left both bits land in it (0x81).
    memory[INPUT_OFFSET + rest] = 0x01;
    memory[end - 1] = (memory[end - 1] as number) | 0x80;
    absorb(INPUT_OFFSET, blocks);
    return memory.slice(STATE_OFFSET, STATE_OFFSET + 32);
  };
}

const keccakWasm = createKeccakKernel();

/** Which implementation `keccak256` runs: the WebAssembly kernel, or noble where it cannot load. */
export const keccak256Backend: 'wasm' | 'noble' = keccakWasm === undefined ? 'noble' : 'wasm';

/** Keccak-256 (the pre-FIPS 202 SHA-3 submission Ethereum uses): 32 bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'keccak256 input');
  return keccakWasm === undefined ? keccak_256(data) : keccakWasm(data);
}

/** SHA-256 (FIPS 180-4): 32 bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'sha256 input');
  return digestToBytes(nodeHash('sha256', data, 'buffer'));
}

/** SM3 (GB/T 32905-2016): 32 bytes. */
export function sm3(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'sm3 input');
  return digestToBytes(nodeHash('sm3', data, 'buffer'));
}
