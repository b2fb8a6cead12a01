import { WeftError } from './errors.js';

/** Byte helpers shared by every package. Cryptographic APIs take and return `Uint8Array` only. */

export function assertBytes(value: unknown, length?: number, what = 'value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
  }
  if (length !== undefined && value.length !== length) {
    throw new WeftError('INVALID_LENGTH', `${what} must be ${length} bytes, got ${value.length}`);
  }
}

const HEX_RE = /^(0x)?[0-9a-fA-F]*$/;

export function hexToBytes(hex: string, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new WeftError('INVALID_HEX', `${what} is not a hex string`);
  }
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0) throw new WeftError('INVALID_HEX', `${what} has an odd number of hex digits`);
  return Uint8Array.from(Buffer.from(body, 'hex'));
}

/**
 * Short arrays (hashes, addresses, state keys) are copied into this reused Buffer and converted from
 * there. Most such values are small arrays that V8 keeps on its own heap, and wrapping one in a Buffer
 * (`bytes.buffer`) first moves its bytes into an ArrayBuffer of their own: 2 – 3× slower per call,
 * measured, and more work for the garbage collector.
 */
const SHORT_TEXT_BYTES = 64;
const textScratch = Buffer.allocUnsafeSlow(SHORT_TEXT_BYTES);

function bytesToText(bytes: Uint8Array, encoding: 'hex' | 'latin1'): string {
  if (bytes.length <= SHORT_TEXT_BYTES) {
    textScratch.set(bytes);
    return textScratch.toString(encoding, 0, bytes.length);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}

export function bytesToHex(bytes: Uint8Array): string {
  return `0x${bytesToText(bytes, 'hex')}`;
}

/** One character per byte (latin1): a compact string key for bytes (Map keys), not for display. */
export function bytesToLatin1(bytes: Uint8Array): string {
  return bytesToText(bytes, 'latin1');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Big-endian unsigned integer to bytes; `length` pads on the left and rejects overflow. */
export function bigintToBytes(value: bigint, length?: number): Uint8Array {
  if (value < 0n) throw new WeftError('INVALID_ARGUMENT', 'negative integers have no byte encoding');
  let hex = value === 0n ? '' : value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const raw = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (length === undefined) return raw;
  if (raw.length > length) throw new WeftError('INVALID_LENGTH', `integer does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
