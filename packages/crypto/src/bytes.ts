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

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Up to this many bytes (hashes, addresses, keys) are converted pair by pair rather than by a Buffer. */
const SHORT_HEX_BYTES = 48;

export function bytesToHex(bytes: Uint8Array): string {
  // Most values here are small arrays that V8 keeps on its heap; `bytes.buffer` would first move their
  // bytes into an ArrayBuffer of their own (~3× slower for 32 bytes, measured, and more for the GC).
  if (bytes.length <= SHORT_HEX_BYTES) {
    let hex = '0x';
    for (let i = 0; i < bytes.length; i++) hex += HEX_PAIRS[bytes[i] as number];
    return hex;
  }
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
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
