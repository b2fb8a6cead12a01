import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, bytesToLatin1, hexToBytes } from '../src/bytes.js';

/**
 * `bytesToHex` converts short arrays through a reused scratch Buffer and long ones by wrapping their
 * own memory (packages/crypto/src/bytes.ts); both must give Node's own lowercase hex, for fresh arrays
 * and for views at any offset into a larger buffer, and a short value must never show bytes left in
 * the scratch space by a longer one before it.
 */
describe('bytesToHex', () => {
  it('equals Buffer hex for every length across the short/long boundary, fresh and as views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 16 }), (bytes, offset) => {
        const expected = `0x${Buffer.from(bytes).toString('hex')}`;
        expect(bytesToHex(bytes)).toBe(expected);
        const host = new Uint8Array(offset + bytes.length + 3).fill(0xee);
        host.set(bytes, offset);
        expect(bytesToHex(host.subarray(offset, offset + bytes.length))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips through hexToBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expect(hexToBytes(bytesToHex(bytes))).toEqual(bytes);
      }),
    );
  });

  it('a short value after a longer one shows only its own bytes', () => {
    expect(bytesToHex(new Uint8Array(64).fill(0xff))).toBe(`0x${'ff'.repeat(64)}`);
    expect(bytesToHex(Uint8Array.of(1, 2))).toBe('0x0102');
    expect(bytesToLatin1(new Uint8Array(64).fill(0x41))).toBe('A'.repeat(64));
    expect(bytesToLatin1(Uint8Array.of(0x42))).toBe('B');
  });

  it('gives fixed cases: empty, every byte value, lowercase', () => {
    expect(bytesToHex(new Uint8Array(0))).toBe('0x');
    expect(bytesToHex(Uint8Array.of(0, 1, 0x0f, 0x10, 0xab, 0xff))).toBe('0x00010f10abff');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let start = 0; start < 256; start += 32) {
      expect(bytesToHex(all.subarray(start, start + 32))).toBe(
        `0x${Buffer.from(all.subarray(start, start + 32)).toString('hex')}`,
      );
    }
  });
});
