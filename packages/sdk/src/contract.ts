/**
 * Contract ABI helpers: thin, bytes-in/bytes-out wrappers over viem's ABI coder (Solidity ABI
 * specification, https://docs.soliditylang.org/en/latest/abi-spec.html), plus `parseCliArgs`,
 * which turns command-line strings into typed ABI values with errors that name the parameter.
 *
 * Functions may be named by plain name (`transfer`) or, to pick one of several overloads, by
 * signature (`transfer(address,uint256)`). Argument values follow viem's conventions (bigint for
 * integers, `0x` hex for addresses and bytes); `Uint8Array` is also accepted wherever bytes go.
 * Every failure is a `WeftError` carrying viem's error as its `cause`.
 */
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import {
  type Abi,
  type AbiFunction,
  type AbiParameter,
  BaseError,
  decodeErrorResult,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  decodeEventLog as viemDecodeEventLog,
} from 'viem';

export type { Abi } from 'viem';

type AbiConstructor = Extract<Abi[number], { type: 'constructor' }>;

/** Creation transaction data: `bytecode ‖ abi.encode(constructorArgs)`. */
export function encodeDeploy(abi: Abi, bytecode: Uint8Array, args: readonly unknown[] = []): Uint8Array {
  if (!(bytecode instanceof Uint8Array) || bytecode.length === 0) {
    throw new WeftError('INVALID_ARGUMENT', 'bytecode must be a non-empty Uint8Array');
  }
  const ctor = findConstructor(abi);
  assertArgCount('constructor', ctor.inputs, args);
  return viemCall('cannot encode constructor arguments', () =>
    hexToBytes(
      encodeDeployData({
        abi: [ctor],
        bytecode: bytesToHex(bytecode) as Hex,
        ...(ctor.inputs.length === 0 ? {} : { args: toViemValues(args) }),
      }),
    ),
  );
}

/** Call data: 4-byte selector ‖ abi.encode(args). */
export function encodeCall(abi: Abi, fn: string, args: readonly unknown[] = []): Uint8Array {
  const item = findFunction(abi, fn, args.length);
  assertArgCount(item.name, item.inputs, args);
  return viemCall(`cannot encode arguments of ${item.name}`, () =>
    hexToBytes(encodeFunctionData({ abi: [item], functionName: item.name, args: toViemValues(args) })),
  );
}

/**
 * Decodes a call's return data. As in viem: a function with one output yields that value, with
 * several outputs an array, with none `undefined`.
 */
export function decodeResult(abi: Abi, fn: string, data: Uint8Array): unknown {
  const item = findFunction(abi, fn);
  assertIsBytes(data, 'return data');
  return viemCall(`cannot decode the result of ${item.name}`, () =>
    decodeFunctionResult({ abi: [item], functionName: item.name, data: bytesToHex(data) as Hex }),
  );
}

export type RevertReason =
  /** No data: `revert()`, `require(cond)` without a message, or a failure such as out of gas. */
  | { readonly kind: 'empty'; readonly message: string }
  /** `Error(string)`, from `require(cond, "message")` and `revert("message")`. */
  | { readonly kind: 'error'; readonly message: string }
  /** `Panic(uint256)`, inserted by the compiler for assert failures, overflow, bad indices… */
  | { readonly kind: 'panic'; readonly code: bigint; readonly message: string }
  /** A custom error declared in the given ABI. */
  | {
      readonly kind: 'custom';
      readonly name: string;
      readonly args: readonly unknown[];
      readonly message: string;
    }
  /** Data that matches neither the built-in errors nor the ABI. */
  | { readonly kind: 'unknown'; readonly data: Uint8Array; readonly message: string };

/**
 * Panic codes from the Solidity documentation, "Panic via assert and Error via require"
 * (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require).
 */
const PANIC_REASONS: ReadonlyMap<bigint, string> = new Map([
  [0x00n, 'generic compiler-inserted panic'],
  [0x01n, 'assertion failed'],
  [0x11n, 'arithmetic overflow or underflow'],
  [0x12n, 'division or modulo by zero'],
  [0x21n, 'value out of range for enum conversion'],
  [0x22n, 'incorrectly encoded storage byte array'],
  [0x31n, 'pop() on an empty array'],
  [0x32n, 'array index out of bounds'],
  [0x41n, 'out of memory (allocation too large)'],
  [0x51n, 'call to a zero-initialized internal function'],
]);

/** Explains the data returned by a reverted call; never throws. */
export function decodeRevert(data: Uint8Array, abi: Abi = []): RevertReason {
  assertIsBytes(data, 'revert data');
  if (data.length === 0) return { kind: 'empty', message: 'execution reverted without a reason' };
  let decoded: { errorName: string; args: readonly unknown[] | undefined };
  try {
    // viem adds the built-in Error(string) and Panic(uint256) to the ABI it is given.
    decoded = decodeErrorResult({ abi, data: bytesToHex(data) as Hex });
  } catch {
    const selector = bytesToHex(data.subarray(0, 4));
    return { kind: 'unknown', data, message: `execution reverted with unrecognised error ${selector}` };
  }
  const args = decoded.args ?? [];
  // A custom error that happens to be called Error/Panic has different inputs; check the types.
  if (decoded.errorName === 'Error' && typeof args[0] === 'string' && args.length === 1) {
    return { kind: 'error', message: args[0] };
  }
  if (decoded.errorName === 'Panic' && typeof args[0] === 'bigint' && args.length === 1) {
    const code = args[0];
    const reason = PANIC_REASONS.get(code) ?? 'unknown panic code';
    return { kind: 'panic', code, message: `panic 0x${code.toString(16).padStart(2, '0')}: ${reason}` };
  }
  const shown = args.map((a) => formatValue(a)).join(', ');
  return { kind: 'custom', name: decoded.errorName, args, message: `${decoded.errorName}(${shown})` };
}

export interface EventLogInput {
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
}

export interface DecodedEventLog {
  readonly eventName: string;
  /** Arguments by name when every parameter is named, otherwise by position. */
  readonly args: Readonly<Record<string, unknown>> | readonly unknown[];
}

/**
 * Decodes a log against the ABI's events (topic 0 is the event selector). Throws NOT_FOUND if no
 * event in the ABI has that selector, INVALID_ENCODING if the topics or data do not fit it.
 */
export function decodeEventLog(abi: Abi, log: EventLogInput): DecodedEventLog {
  if (!Array.isArray(log.topics) || log.topics.length === 0) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      'log has no topics (anonymous events cannot be decoded by selector)',
    );
  }
  const topics = log.topics.map((t, i) => {
    assertIsBytes(t, `topic ${i}`);
    if (t.length !== 32)
      throw new WeftError('INVALID_LENGTH', `topic ${i} must be 32 bytes, got ${t.length}`);
    return bytesToHex(t) as Hex;
  }) as [Hex, ...Hex[]];
  assertIsBytes(log.data, 'log data');
  try {
    const decoded = viemDecodeEventLog({ abi, topics, data: bytesToHex(log.data) as Hex, strict: true });
    return { eventName: decoded.eventName ?? '', args: decoded.args ?? [] };
  } catch (err) {
    if (err instanceof BaseError && err.name === 'AbiEventSignatureNotFoundError') {
      throw new WeftError('NOT_FOUND', `no event in the ABI has selector ${topics[0]}`, { cause: err });
    }
    throw new WeftError('INVALID_ENCODING', `cannot decode event log: ${shortMessage(err)}`, { cause: err });
  }
}

/**
 * Converts command-line strings to the typed values `encodeCall`/`encodeDeploy` expect, for the
 * function `fn` (a name or a signature) or, with `fn = 'constructor'`, the constructor.
 * - `uintN`/`intN`: decimal or `0x` hex (with a leading `-` for negative `intN`), range-checked;
 * - `bool`: `true` or `false`; `address`: 40 hex digits, EIP-55 checksum enforced if mixed-case;
 * - `bytes`/`bytesN`: `0x` hex (exactly N bytes for `bytesN`); `string`: taken as is;
 * - arrays `T[]`/`T[k]` and tuples: JSON (`["0x…", "12"]`; tuples as JSON arrays or objects).
 */
export function parseCliArgs(abi: Abi, fn: string, stringArgs: readonly string[]): unknown[] {
  const inputs =
    fn === 'constructor' ? findConstructor(abi).inputs : findFunction(abi, fn, stringArgs.length).inputs;
  assertArgCount(fn, inputs, stringArgs);
  return inputs.map((param, i) => {
    const raw = stringArgs[i];
    const where = `argument ${i + 1} (${param.name ? `${param.name}: ` : ''}${param.type})`;
    if (typeof raw !== 'string') throw new WeftError('INVALID_ARGUMENT', `${where}: expected a string`);
    if (isArrayType(param.type) || param.type === 'tuple') {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new WeftError('INVALID_ARGUMENT', `${where}: expected JSON, got ${quote(raw)}`);
      }
      return parseValue(param, json, where);
    }
    return parseValue(param, raw, where);
  });
}

// ---------------------------------------------------------------------------------------------
// ABI lookup

function findConstructor(abi: Abi): AbiConstructor {
  const ctor = abi.find((item): item is AbiConstructor => item.type === 'constructor');
  // A contract without an explicit constructor has an implicit one with no inputs.
  return ctor ?? { type: 'constructor', inputs: [], stateMutability: 'nonpayable' };
}

/** Finds a function by name or signature; among overloads of a name, the one with `argCount` inputs. */
function findFunction(abi: Abi, fn: string, argCount?: number): AbiFunction {
  if (typeof fn !== 'string' || fn.length === 0) {
    throw new WeftError('INVALID_ARGUMENT', 'function name must be a non-empty string');
  }
  const functions = abi.filter((item): item is AbiFunction => item.type === 'function');
  if (fn.includes('(')) {
    const wanted = fn.replace(/\s+/g, '');
    const found = functions.find((f) => signatureOf(f) === wanted);
    if (found === undefined) throw new WeftError('NOT_FOUND', `no function ${fn} in the ABI`);
    return found;
  }
  const named = functions.filter((f) => f.name === fn);
  if (named.length === 0) throw new WeftError('NOT_FOUND', `no function named ${fn} in the ABI`);
  if (named.length === 1) return named[0]!;
  const byArity = argCount === undefined ? [] : named.filter((f) => f.inputs.length === argCount);
  if (byArity.length === 1) return byArity[0]!;
  throw new WeftError(
    'INVALID_ARGUMENT',
    `${fn} is overloaded; name it by signature: ${named.map((f) => signatureOf(f)).join(', ')}`,
  );
}

/** Canonical signature, as hashed for selectors (ABI spec, "Function Selector"). */
function signatureOf(f: AbiFunction): string {
  return `${f.name}(${f.inputs.map(canonicalType).join(',')})`;
}

function canonicalType(param: AbiParameter): string {
  if (param.type.startsWith('tuple')) {
    const components = 'components' in param ? param.components : [];
    return `(${components.map(canonicalType).join(',')})${param.type.slice('tuple'.length)}`;
  }
  return param.type.replace(/^(u?int)(?=$|\[)/, '$1256');
}

function describeParams(inputs: readonly AbiParameter[]): string {
  return inputs.map((p) => (p.name ? `${p.type} ${p.name}` : p.type)).join(', ');
}

function assertArgCount(fn: string, inputs: readonly AbiParameter[], args: readonly unknown[]): void {
  if (!Array.isArray(args)) throw new WeftError('INVALID_ARGUMENT', `arguments of ${fn} must be an array`);
  if (args.length !== inputs.length) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      `${fn} expects ${inputs.length} argument${inputs.length === 1 ? '' : 's'} (${describeParams(inputs)}), got ${args.length}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// CLI value parsing

const INT_TYPE = /^(u?)int(\d*)$/;
const BYTES_N_TYPE = /^bytes(\d+)$/;
const DECIMAL = /^-?[0-9]+$/;
const HEX_INT = /^-?0[xX][0-9a-fA-F]+$/;
const HEX_BYTES = /^0[xX]([0-9a-fA-F]{2})*$/;

function isArrayType(type: string): boolean {
  return type.endsWith(']');
}

/** Parses one JSON or CLI value for `param`; `where` names it in errors. */
function parseValue(param: AbiParameter, value: unknown, where: string): unknown {
  const { type } = param;
  if (isArrayType(type)) {
    const open = type.lastIndexOf('[');
    const sizeText = type.slice(open + 1, -1);
    const element = { ...param, type: type.slice(0, open) } as AbiParameter;
    if (!Array.isArray(value)) throw new WeftError('INVALID_ARGUMENT', `${where}: expected a JSON array`);
    if (sizeText !== '' && value.length !== Number(sizeText)) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `${where}: expected exactly ${sizeText} elements, got ${value.length}`,
      );
    }
    return value.map((v, i) => parseValue(element, v, `${where} element [${i}]`));
  }
  if (type === 'tuple') return parseTuple(param, value, where);

  const int = INT_TYPE.exec(type);
  if (int !== null) return parseInteger(value, int[1] === '' ? 'int' : 'uint', Number(int[2] || 256), where);
  if (type === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new WeftError('INVALID_ARGUMENT', `${where}: expected true or false, got ${quote(value)}`);
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw new WeftError('INVALID_ARGUMENT', `${where}: expected a string`);
    return value;
  }
  if (type === 'address') {
    if (typeof value !== 'string' || !/^0[xX][0-9a-fA-F]{40}$/.test(value)) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `${where}: expected a 0x-prefixed 20-byte hex address, got ${quote(value)}`,
      );
    }
    // EIP-55: a mixed-case address carries a checksum that must match; all-lower/upper carries none.
    const body = value.slice(2);
    const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
    if (mixed && !isAddress(value, { strict: true })) {
      throw new WeftError('INVALID_ARGUMENT', `${where}: address checksum (EIP-55) does not match`);
    }
    return getAddress(`0x${body.toLowerCase()}`);
  }
  if (type === 'bytes') return parseHexBytes(value, undefined, where);
  const bytesN = BYTES_N_TYPE.exec(type);
  if (bytesN !== null) {
    const n = Number(bytesN[1]);
    if (n < 1 || n > 32) throw new WeftError('UNSUPPORTED', `${where}: invalid ABI type ${type}`);
    return parseHexBytes(value, n, where);
  }
  // `function` (bytes24) and fixed-point types are not supported by viem's coder either.
  throw new WeftError('UNSUPPORTED', `${where}: ABI type ${type} is not supported`);
}

function parseInteger(value: unknown, kind: 'int' | 'uint', bits: number, where: string): bigint {
  const type = `${kind}${bits}`;
  if (bits < 8 || bits > 256 || bits % 8 !== 0) {
    throw new WeftError('UNSUPPORTED', `${where}: invalid ABI type ${type}`);
  }
  let n: bigint;
  if (typeof value === 'number') {
    // JSON numbers are doubles: above 2^53 they have already lost digits, so demand a string.
    if (!Number.isSafeInteger(value)) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `${where}: ${value} is not an exact integer; quote large numbers`,
      );
    }
    n = BigInt(value);
  } else if (typeof value === 'string' && (DECIMAL.test(value) || HEX_INT.test(value))) {
    const negative = value.startsWith('-');
    const magnitude = BigInt(negative ? value.slice(1) : value);
    n = negative ? -magnitude : magnitude;
  } else {
    throw new WeftError(
      'INVALID_ARGUMENT',
      `${where}: expected a decimal or 0x-hex integer, got ${quote(value)}`,
    );
  }
  const min = kind === 'uint' ? 0n : -(1n << BigInt(bits - 1));
  const max = kind === 'uint' ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  if (n < min || n > max) {
    throw new WeftError('INVALID_ARGUMENT', `${where}: ${n} is out of range for ${type} [${min}, ${max}]`);
  }
  return n;
}

function parseHexBytes(value: unknown, length: number | undefined, where: string): Hex {
  if (typeof value !== 'string' || !HEX_BYTES.test(value)) {
    throw new WeftError('INVALID_ARGUMENT', `${where}: expected 0x-prefixed hex bytes, got ${quote(value)}`);
  }
  const byteLength = (value.length - 2) / 2;
  if (length !== undefined && byteLength !== length) {
    throw new WeftError('INVALID_ARGUMENT', `${where}: expected exactly ${length} bytes, got ${byteLength}`);
  }
  return `0x${value.slice(2).toLowerCase()}`;
}

function parseTuple(param: AbiParameter, value: unknown, where: string): unknown {
  const components = 'components' in param ? param.components : [];
  const allNamed = components.every((c) => c.name !== undefined && c.name !== '');
  let values: unknown[];
  if (Array.isArray(value)) {
    if (value.length !== components.length) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `${where}: expected ${components.length} tuple fields, got ${value.length}`,
      );
    }
    values = value;
  } else if (typeof value === 'object' && value !== null && allNamed) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!components.some((c) => c.name === key)) {
        throw new WeftError('INVALID_ARGUMENT', `${where}: unknown tuple field ${quote(key)}`);
      }
    }
    values = components.map((c) => {
      if (!Object.hasOwn(record, c.name as string)) {
        throw new WeftError('INVALID_ARGUMENT', `${where}: missing tuple field ${quote(c.name)}`);
      }
      return record[c.name as string];
    });
  } else {
    throw new WeftError('INVALID_ARGUMENT', `${where}: expected a JSON array${allNamed ? ' or object' : ''}`);
  }
  const parsed = components.map((c, i) => parseValue(c, values[i], `${where} field ${c.name || i}`));
  if (!allNamed) return parsed;
  return Object.fromEntries(components.map((c, i) => [c.name as string, parsed[i]]));
}

// ---------------------------------------------------------------------------------------------
// glue

/** viem takes bytes as hex strings; let callers pass Uint8Array anywhere, at any depth. */
function toViemValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(toViemValue);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toViemValue(v)]));
  }
  return value;
}

function toViemValues(args: readonly unknown[]): readonly unknown[] {
  return args.map(toViemValue);
}

function viemCall<T>(context: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof WeftError) throw err;
    throw new WeftError('INVALID_ARGUMENT', `${context}: ${shortMessage(err)}`, { cause: err });
  }
}

function shortMessage(err: unknown): string {
  if (err instanceof BaseError) return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}

function assertIsBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new WeftError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
}

/** Renders a CLI value for an error message, cut short so a pasted blob cannot flood the terminal. */
function quote(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatValue(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}
