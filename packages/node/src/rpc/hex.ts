import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
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

export function parseData(value: unknown, what: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must be 0x-prefixed hex with an even number of digits`);
  }
  const bytes = hexToBytes(value);
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
