import { decode, encode, type Input, type NestedUint8Array } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * Strict RLP helpers. Every decoder of untrusted bytes goes through these so that a malformed or
 * non-canonical encoding is always a `WeftError('INVALID_ENCODING', …, { penalise: true })` and never a
 * raw library exception. Canonical integers follow the Ethereum Yellow Paper, Appendix B: no leading
 * zero bytes, zero is the empty string.
 */
export type RlpItem = Uint8Array | NestedUint8Array;

export function rlpEncode(input: Input): Uint8Array {
  return encode(input);
}

export function rlpDecode(bytes: Uint8Array, what: string): RlpItem {
  try {
    return decode(bytes);
  } catch (cause) {
    throw new WeftError('INVALID_ENCODING', `${what} is not valid RLP`, { penalise: true, cause });
  }
}

export function rlpList(item: RlpItem | undefined, what: string, length?: number): RlpItem[] {
  if (!Array.isArray(item))
    throw new WeftError('INVALID_ENCODING', `${what} must be an RLP list`, { penalise: true });
  if (length !== undefined && item.length !== length) {
    throw new WeftError('INVALID_ENCODING', `${what} must have ${length} fields, got ${item.length}`, {
      penalise: true,
    });
  }
  return item;
}

export function rlpBytes(item: RlpItem | undefined, what: string, length?: number): Uint8Array {
  if (!(item instanceof Uint8Array)) {
    throw new WeftError('INVALID_ENCODING', `${what} must be an RLP string`, { penalise: true });
  }
  if (length !== undefined && item.length !== length) {
    throw new WeftError('INVALID_ENCODING', `${what} must be ${length} bytes, got ${item.length}`, {
      penalise: true,
    });
  }
  return item;
}

/** Canonical unsigned integer of at most `maxBytes` bytes (default 32, a uint256). */
export function rlpUint(item: RlpItem | undefined, what: string, maxBytes = 32): bigint {
  const bytes = rlpBytes(item, what);
  if (bytes.length > maxBytes) {
    throw new WeftError('INVALID_ENCODING', `${what} does not fit in ${maxBytes} bytes`, { penalise: true });
  }
  if (bytes.length > 0 && bytes[0] === 0) {
    throw new WeftError('INVALID_ENCODING', `${what} has a leading zero byte (non-canonical integer)`, {
      penalise: true,
    });
  }
  return bytesToBigint(bytes);
}

/** An address field: 20 bytes, or empty for "none" (contract creation). */
export function rlpOptionalAddress(item: RlpItem | undefined, what: string): Uint8Array | null {
  const bytes = rlpBytes(item, what);
  if (bytes.length === 0) return null;
  if (bytes.length !== 20) {
    throw new WeftError('INVALID_ENCODING', `${what} must be 20 bytes or empty, got ${bytes.length}`, {
      penalise: true,
    });
  }
  return bytes;
}

/** Minimal big-endian bytes of an unsigned integer, as RLP wants it. */
export function uintToRlp(value: bigint): Uint8Array {
  return bigintToBytes(value);
}
