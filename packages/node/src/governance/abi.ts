import { keccak_256 } from '@noble/hashes/sha3.js';
import { bigintToBytes, bytesToHex, hexToBytes, utf8ToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * Just enough of the Solidity contract ABI (https://docs.soliditylang.org/en/latest/abi-spec.html) for
 * the node to call its own system contracts and decode their events, without a client library in the
 * node package. Supported: uint<N>, int<N>, address, bool, bytes<N>, bytes, string, T[] and tuples.
 *
 * Decoded values are JSON-friendly: integers as bigint, addresses and bytes as lowercase 0x-hex,
 * tuples as objects keyed by component name.
 */
export interface AbiParameter {
  readonly type: string;
  readonly name?: string;
  readonly indexed?: boolean;
  readonly components?: readonly AbiParameter[];
}

export interface AbiItem {
  readonly type: string;
  readonly name?: string;
  readonly inputs?: readonly AbiParameter[];
  readonly outputs?: readonly AbiParameter[];
}

export type AbiValue = bigint | boolean | string | AbiValue[] | { [name: string]: AbiValue };

const WORD = 32;

function malformed(what: string): WeftError {
  return new WeftError('INVALID_ENCODING', `ABI: ${what}`);
}

/** `(uint256,address[])`-style canonical type, as used in selectors and event topics. */
export function canonicalType(p: AbiParameter): string {
  if (p.type.startsWith('tuple')) {
    return `(${(p.components ?? []).map(canonicalType).join(',')})${p.type.slice(5)}`;
  }
  return p.type;
}

export function signatureOf(item: AbiItem): string {
  return `${item.name ?? ''}(${(item.inputs ?? []).map(canonicalType).join(',')})`;
}

/** The 4-byte function selector: the first bytes of keccak256 of the signature (ABI spec, "Function Selector"). */
export function selectorOf(item: AbiItem): Uint8Array {
  return keccak_256(utf8ToBytes(signatureOf(item))).slice(0, 4);
}

/** An event's topic 0: keccak256 of its signature. */
export function eventTopicOf(item: AbiItem): Uint8Array {
  return keccak_256(utf8ToBytes(signatureOf(item)));
}

export function findAbiItem(abi: readonly AbiItem[], type: string, name: string): AbiItem {
  const item = abi.find((x) => x.type === type && x.name === name);
  if (!item) throw new WeftError('INVALID_ARGUMENT', `the ABI has no ${type} named ${name}`);
  return item;
}

interface ArrayType {
  readonly inner: AbiParameter;
  /** null for T[] (dynamic length). */
  readonly length: number | null;
}

function arrayType(p: AbiParameter): ArrayType | null {
  const match = /^(.*)\[(\d*)\]$/.exec(p.type);
  if (!match) return null;
  return {
    inner: { ...p, type: match[1] as string },
    length: match[2] === '' ? null : Number(match[2]),
  };
}

function isDynamic(p: AbiParameter): boolean {
  if (p.type === 'bytes' || p.type === 'string') return true;
  const array = arrayType(p);
  if (array) return array.length === null || isDynamic(array.inner);
  if (p.type === 'tuple') return (p.components ?? []).some(isDynamic);
  return false;
}

/** Words a static type takes in the head. */
function headWords(p: AbiParameter): number {
  if (isDynamic(p)) return 1;
  const array = arrayType(p);
  if (array) return (array.length as number) * headWords(array.inner);
  if (p.type === 'tuple') return (p.components ?? []).reduce((n, c) => n + headWords(c), 0);
  return 1;
}

// ------------------------------------------------------------------ encoding

function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return hexToBytes(value, what);
  throw new WeftError('INVALID_ARGUMENT', `${what} must be bytes or 0x-hex`);
}

function word(n: bigint): Uint8Array {
  return bigintToBytes(n, WORD);
}

function encodeStatic(p: AbiParameter, value: unknown): Uint8Array {
  const t = p.type;
  if (t.startsWith('uint') || t.startsWith('int')) {
    if (typeof value !== 'bigint' && typeof value !== 'number') {
      throw new WeftError('INVALID_ARGUMENT', `${p.name ?? t} must be an integer`);
    }
    const n = BigInt(value);
    const bits = BigInt(t.replace(/^u?int/, '') || '256');
    const signed = t.startsWith('int');
    const min = signed ? -(1n << (bits - 1n)) : 0n;
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (n < min || n > max)
      throw new WeftError('INVALID_ARGUMENT', `${p.name ?? t} is out of range for ${t}`);
    return word(n < 0n ? (1n << 256n) + n : n);
  }
  if (t === 'address') {
    const bytes = toBytes(value, p.name ?? 'address');
    if (bytes.length !== 20) throw new WeftError('INVALID_LENGTH', `${p.name ?? 'address'} must be 20 bytes`);
    const out = new Uint8Array(WORD);
    out.set(bytes, 12);
    return out;
  }
  if (t === 'bool') {
    if (typeof value !== 'boolean')
      throw new WeftError('INVALID_ARGUMENT', `${p.name ?? t} must be a boolean`);
    return word(value ? 1n : 0n);
  }
  const fixed = /^bytes(\d+)$/.exec(t);
  if (fixed) {
    const bytes = toBytes(value, p.name ?? t);
    if (bytes.length !== Number(fixed[1])) {
      throw new WeftError('INVALID_LENGTH', `${p.name ?? t} must be ${fixed[1]} bytes`);
    }
    const out = new Uint8Array(WORD);
    out.set(bytes);
    return out;
  }
  throw new WeftError('UNSUPPORTED', `ABI type ${t} is not supported here`);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeOne(p: AbiParameter, value: unknown): Uint8Array {
  if (p.type === 'bytes' || p.type === 'string') {
    const bytes = p.type === 'string' ? utf8ToBytes(String(value)) : toBytes(value, p.name ?? 'bytes');
    const padded = new Uint8Array(Math.ceil(bytes.length / WORD) * WORD);
    padded.set(bytes);
    return concat([word(BigInt(bytes.length)), padded]);
  }
  const array = arrayType(p);
  if (array) {
    if (!Array.isArray(value))
      throw new WeftError('INVALID_ARGUMENT', `${p.name ?? p.type} must be an array`);
    if (array.length !== null && value.length !== array.length) {
      throw new WeftError('INVALID_LENGTH', `${p.name ?? p.type} must have ${array.length} elements`);
    }
    const body = encodeParameters(
      value.map(() => array.inner),
      value,
    );
    return array.length === null ? concat([word(BigInt(value.length)), body]) : body;
  }
  if (p.type === 'tuple') {
    const components = p.components ?? [];
    const values = Array.isArray(value)
      ? value
      : components.map((c) => (value as Record<string, unknown>)[c.name ?? '']);
    return encodeParameters(components, values);
  }
  return encodeStatic(p, value);
}

/** Head/tail encoding of a parameter list (ABI spec, "Formal Specification of the Encoding"). */
export function encodeParameters(params: readonly AbiParameter[], values: readonly unknown[]): Uint8Array {
  if (params.length !== values.length) {
    throw new WeftError('INVALID_ARGUMENT', `expected ${params.length} values, got ${values.length}`);
  }
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = params.reduce((n, p) => n + headWords(p) * WORD, 0);
  params.forEach((p, i) => {
    const encoded = encodeOne(p, values[i]);
    if (isDynamic(p)) {
      heads.push(word(BigInt(tailOffset)));
      tails.push(encoded);
      tailOffset += encoded.length;
    } else {
      heads.push(encoded);
    }
  });
  return concat([...heads, ...tails]);
}

export function encodeFunctionCall(item: AbiItem, args: readonly unknown[]): Uint8Array {
  return concat([selectorOf(item), encodeParameters(item.inputs ?? [], args)]);
}

// ------------------------------------------------------------------ decoding

function readWord(data: Uint8Array, offset: number): Uint8Array {
  if (offset < 0 || offset + WORD > data.length) throw malformed('data ends early');
  return data.subarray(offset, offset + WORD);
}

function readUint(data: Uint8Array, offset: number): bigint {
  let n = 0n;
  for (const b of readWord(data, offset)) n = (n << 8n) | BigInt(b);
  return n;
}

function readSize(data: Uint8Array, offset: number): number {
  const n = readUint(data, offset);
  if (n > BigInt(data.length)) throw malformed('offset or length beyond the data');
  return Number(n);
}

function decodeStatic(p: AbiParameter, data: Uint8Array, offset: number): AbiValue {
  const t = p.type;
  if (t.startsWith('uint')) return readUint(data, offset);
  if (t.startsWith('int')) {
    const n = readUint(data, offset);
    return n >= 1n << 255n ? n - (1n << 256n) : n;
  }
  if (t === 'address') return bytesToHex(readWord(data, offset).subarray(12));
  if (t === 'bool') return readUint(data, offset) !== 0n;
  const fixed = /^bytes(\d+)$/.exec(t);
  if (fixed) return bytesToHex(readWord(data, offset).subarray(0, Number(fixed[1])));
  throw new WeftError('UNSUPPORTED', `ABI type ${t} is not supported here`);
}

/** Decodes the value of `p` whose encoding starts at `start` (its own head, or its tail for dynamic types). */
function decodeAt(p: AbiParameter, data: Uint8Array, start: number): AbiValue {
  if (p.type === 'bytes' || p.type === 'string') {
    const length = readSize(data, start);
    if (start + WORD + length > data.length) throw malformed('bytes run past the data');
    const bytes = data.subarray(start + WORD, start + WORD + length);
    return p.type === 'string' ? new TextDecoder().decode(bytes) : bytesToHex(bytes);
  }
  const array = arrayType(p);
  if (array) {
    const length = array.length ?? readSize(data, start);
    const base = array.length === null ? start + WORD : start;
    return decodeList(
      Array.from({ length }, () => array.inner),
      data,
      base,
    );
  }
  if (p.type === 'tuple') {
    const components = p.components ?? [];
    const values = decodeList(components, data, start);
    return Object.fromEntries(components.map((c, i) => [c.name ?? String(i), values[i] as AbiValue]));
  }
  return decodeStatic(p, data, start);
}

function decodeList(params: readonly AbiParameter[], data: Uint8Array, base: number): AbiValue[] {
  const out: AbiValue[] = [];
  let head = base;
  for (const p of params) {
    if (isDynamic(p)) {
      out.push(decodeAt(p, data, base + readSize(data, head)));
      head += WORD;
    } else {
      out.push(decodeAt(p, data, head));
      head += headWords(p) * WORD;
    }
  }
  return out;
}

export function decodeParameters(params: readonly AbiParameter[], data: Uint8Array): AbiValue[] {
  return decodeList(params, data, 0);
}

export interface DecodedLog {
  readonly event: string;
  readonly args: Record<string, AbiValue>;
}

/** Decodes a log of one of `abi`'s events; null when topic 0 matches none of them. */
export function decodeEventLog(
  abi: readonly AbiItem[],
  topics: readonly Uint8Array[],
  data: Uint8Array,
): DecodedLog | null {
  const topic0 = topics[0];
  if (!topic0) return null;
  const topic0Hex = bytesToHex(topic0);
  const item = abi.find((x) => x.type === 'event' && bytesToHex(eventTopicOf(x)) === topic0Hex);
  if (!item) return null;
  const inputs = item.inputs ?? [];
  const indexed = inputs.filter((p) => p.indexed === true);
  const plain = decodeParameters(
    inputs.filter((p) => p.indexed !== true),
    data,
  );
  const args: Record<string, AbiValue> = {};
  let t = 1;
  let d = 0;
  for (const p of inputs) {
    if (p.indexed === true) {
      const topic = topics[t++];
      if (!topic) throw malformed(`log lacks the topic of ${p.name ?? 'an indexed argument'}`);
      // Indexed dynamic values are stored as their hash (ABI spec, "Events").
      args[p.name ?? ''] = isDynamic(p) ? bytesToHex(topic) : decodeStatic(p, topic, 0);
    } else {
      args[p.name ?? ''] = plain[d++] as AbiValue;
    }
  }
  if (indexed.length !== topics.length - 1) throw malformed('topic count does not match the event');
  return { event: item.name ?? '', args };
}
