import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * Ethereum JSON-RPC value encodings (execution-apis "base types"): QUANTITY is 0x-hex without leading
 * zeros ("0x0" for zero); DATA is 0x-hex with two digits per byte. Parsers reject anything else with
 * INVALID_ARGUMENT, which the server turns into -32602 "invalid params".
 */
export function quantity(n: bigint | number): string {
  return `0x${n.toString(16)}`;
}

export function data(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

export function parseQuantity(value: unknown, what: string, max = 2n ** 256n - 1n): bigint {
  if (typeof value !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(value)) {
    // Some clients send leading zeros ("0x01"); accept them but nothing that isn't hex.
    if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
      throw new WeftError('INVALID_ARGUMENT', `${what} must be a hex quantity like "0x1a"`);
    }
  }
  const n = BigInt(value);
  if (n > max) throw new WeftError('INVALID_ARGUMENT', `${what} is too large`);
  return n;
}

/** Value of each ASCII hex digit, -1 for every other character code below 128. */
const HEX_DIGIT_VALUES: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let d = 0; d < 10; d++) table[48 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[65 + d] = 10 + d;
    table[97 + d] = 10 + d;
  }
  return table;
})();

function hexDigit(code: number): number {
  return code < 128 ? (HEX_DIGIT_VALUES[code] as number) : -1;
}

/**
 * DATA: "0x" and two hex digits per byte, nothing else (/^0x([0-9a-fA-F]{2})*$/). Checked and decoded
 * in one pass: every raw transaction submitted goes through here.
 */
export function parseData(value: unknown, what: string, length?: number): Uint8Array {
  const invalid = () =>
    new WeftError('INVALID_ARGUMENT', `${what} must be 0x-prefixed hex with an even number of digits`);
  if (
    typeof value !== 'string' ||
    value.length % 2 !== 0 ||
    value.charCodeAt(0) !== 48 /* 0 */ ||
    value.charCodeAt(1) !== 120 /* x */
  ) {
    throw invalid();
  }
  const bytes = new Uint8Array((value.length - 2) / 2);
  for (let i = 0, j = 2; i < bytes.length; i++, j += 2) {
    const high = hexDigit(value.charCodeAt(j));
    const low = hexDigit(value.charCodeAt(j + 1));
    if (high < 0 || low < 0) throw invalid();
    bytes[i] = (high << 4) | low;
  }
  if (length !== undefined && bytes.length !== length) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must be ${length} bytes`);
  }
  return bytes;
}

export function parseAddress(value: unknown, what = 'address'): Uint8Array {
  return parseData(value, what, 20);
}

export function parseHash(value: unknown, what = 'hash'): Uint8Array {
  return parseData(value, what, 32);
}
