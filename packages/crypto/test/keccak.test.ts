import { keccak_256 as nobleKeccak256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { keccak256, keccak256Backend } from '../src/hash.js';

/**
 * The WebAssembly Keccak-f[1600] kernel behind `keccak256` (packages/crypto/src/hash.ts): published
 * digests, and equality with @noble/hashes (the audited reference) on arbitrary input and on every
 * length where the padding or the kernel's chunking changes shape.
 */
const hex = (bytes: Uint8Array): string => bytesToHex(bytes).slice(2);
const RATE = 136;
/** The kernel's input buffer (960 blocks of 136 bytes); longer inputs go through it in chunks. */
const CHUNK = 960 * RATE;

function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('keccak256 (WebAssembly kernel)', () => {
  it('runs the WebAssembly kernel on this runtime (not the noble fallback)', () => {
    expect(keccak256Backend).toBe('wasm');
  });

  it.each([
    ['', 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'],
    ['abc', '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45'],
    // keccak256("Transfer(address,address,uint256)"): the ERC-20 Transfer event topic (EIP-20).
    ['Transfer(address,address,uint256)', 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'],
    // The function selector of transfer(address,uint256) is the first 4 bytes: a9059cbb.
    ['transfer(address,uint256)', 'a9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b'],
  ])('hashes %j to the published digest', (input, digest) => {
    expect(hex(keccak256(utf8ToBytes(input)))).toBe(digest);
  });

  it('derives the Ethereum address of private key 1 from its 64-byte public key', () => {
    // secp256k1 generator G (SEC 2 v2 §2.4.1) is the public key of private key 1; its address is
    // the well-known 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf.
    const g = hexToBytes(
      '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798' +
        '483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8',
    );
    expect(hex(keccak256(g).slice(12))).toBe('7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  });

  it('agrees with @noble/hashes at every padding edge (one byte left, exact blocks, multi-block)', () => {
    for (let length = 0; length <= 3 * RATE + 2; length++) {
      const data = patterned(length, length);
      expect(hex(keccak256(data)), `length ${length}`).toBe(hex(nobleKeccak256(data)));
    }
  });

  it('agrees with @noble/hashes around the chunk boundaries of long inputs', () => {
    for (const length of [
      CHUNK - RATE - 1,
      CHUNK - 1,
      CHUNK,
      CHUNK + 1,
      2 * CHUNK,
      2 * CHUNK + 137,
      300_000,
    ]) {
      const data = patterned(length, length);
      expect(hex(keccak256(data)), `length ${length}`).toBe(hex(nobleKeccak256(data)));
    }
  });

  it('agrees with @noble/hashes on arbitrary input, including subarrays at odd offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat({ max: 7 }), (data, cut) => {
        const view = data.subarray(Math.min(cut, data.length));
        expect(hex(keccak256(view))).toBe(hex(nobleKeccak256(view)));
      }),
      { numRuns: 500 },
    );
  });

  it('returns a fresh array each time and leaves the input untouched', () => {
    const data = patterned(200, 7);
    const copy = data.slice();
    const first = keccak256(data);
    const second = keccak256(utf8ToBytes('something else'));
    expect(data).toEqual(copy);
    expect(hex(first)).toBe(hex(nobleKeccak256(data)));
    expect(first).not.toBe(second);
    expect(first.buffer).not.toBe(second.buffer);
  });
});
