import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToKeyString, keyStringToBytes } from '../src/state/committed.js';

/**
 * The state's map keys (packages/node/src/state/committed.ts): one latin1 character per byte, made
 * through a reused scratch Buffer for short keys and by wrapping the key's own memory for long ones.
 * Both must give Node's latin1 string, for fresh arrays and views, and convert back to the same bytes.
 */
describe('bytesToKeyString', () => {
  it("equals Buffer's latin1 string on both sides of the short-key limit and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.nat({ max: 16 }), (bytes, offset) => {
        const expected = Buffer.from(bytes).toString('latin1');
        const host = new Uint8Array(offset + bytes.length + 2).fill(0x41);
        host.set(bytes, offset);
        const view = host.subarray(offset, offset + bytes.length);
        expect(bytesToKeyString(bytes)).toBe(expected);
        expect(bytesToKeyString(view)).toBe(expected);
        expect(keyStringToBytes(bytesToKeyString(view))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps distinct keys distinct (an address and an address ‖ slot never collide)', () => {
    const address = new Uint8Array(20).fill(0xab);
    const withSlot = new Uint8Array(52).fill(0xab);
    expect(bytesToKeyString(address)).not.toBe(bytesToKeyString(withSlot));
    expect(bytesToKeyString(Uint8Array.of(0, 255)).length).toBe(2);
  });
});
