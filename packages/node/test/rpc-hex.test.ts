import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseData } from '../src/rpc/hex.js';

/**
 * `parseData` decodes in one pass (a performance change): it must accept exactly the strings the
 * execution-apis DATA pattern /^0x([0-9a-fA-F]{2})*$/ accepts and decode them as before.
 */
function reference(value: unknown, length?: number): Uint8Array | 'refused' {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) return 'refused';
  const bytes = hexToBytes(value);
  return length !== undefined && bytes.length !== length ? 'refused' : bytes;
}

function actual(value: unknown, length?: number): Uint8Array | 'refused' {
  try {
    return parseData(value, 'data', length);
  } catch (error) {
    if (isWeftError(error, 'INVALID_ARGUMENT')) return 'refused';
    throw error;
  }
}

const hexChars = '0123456789abcdefABCDEFxXg \u00e9\u0660';
const arbAlmostHex = fc
  .array(fc.constantFrom(...hexChars.split('')), { maxLength: 20 })
  .map((cs) => `0x${cs.join('')}`);

describe('parseData', () => {
  it('decodes every well-formed DATA string as hexToBytes does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, upper) => {
        const text = upper ? `0x${bytesToHex(bytes).slice(2).toUpperCase()}` : bytesToHex(bytes);
        expect(actual(text)).toEqual(bytes);
        expect(actual(text, bytes.length)).toEqual(bytes);
        expect(actual(text, bytes.length + 1)).toBe('refused');
      }),
    );
  });

  it('refuses exactly what the DATA pattern refuses', () => {
    fc.assert(
      fc.property(fc.oneof(arbAlmostHex, fc.string({ maxLength: 12 })), (text) => {
        expect(actual(text)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
    for (const value of ['', '0', '0x0', '0X00', 'x00', '00', '0x 0', '0x0g', ' 0x00', 7, null, ['0x00']]) {
      expect(actual(value)).toBe('refused');
    }
    expect(actual('0x')).toEqual(new Uint8Array(0));
  });
});
