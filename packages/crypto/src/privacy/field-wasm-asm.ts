/**
 * A minimal WebAssembly 1.0 binary writer, just enough to emit the straight-line field and curve
 * kernels of `field-wasm.ts` without an external toolchain (no wat2wasm, no emscripten).
 *
 * The format follows the WebAssembly Core Specification 1.0, §5 "Binary Format": a module is the
 * magic `\0asm`, version 1, then sections (type 1, function 3, memory 5, export 7, code 10), each a
 * section id and its LEB128-prefixed payload. Only the value types i32 and i64 are used.
 */
import { WeftError } from '../errors.js';

export type ValueType = 'i32' | 'i64';

const VALUE_TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e };

/** Opcodes used by the kernels (Core Spec §5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i64Load32S: 0x34,
  i64Load32U: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Store8: 0x3a,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32GeS: 0x4e,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
} as const;

const BLOCK_TYPE_EMPTY = 0x40;

function pushUleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function pushSleb(out: number[], value: bigint): void {
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBitSet = (byte & 0x40) !== 0;
    if ((v === 0n && !signBitSet) || (v === -1n && signBitSet)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** The body of one function: its extra locals and its instruction bytes. */
export class FunctionBody {
  readonly bytes: number[] = [];
  private readonly localTypes: ValueType[] = [];

  constructor(private readonly paramCount: number) {}

  /** Declares a new local and returns its index (parameters come first). */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  op(code: number): this {
    this.bytes.push(code);
    return this;
  }

  get(index: number): this {
    this.bytes.push(Op.localGet);
    pushUleb(this.bytes, index);
    return this;
  }

  set(index: number): this {
    this.bytes.push(Op.localSet);
    pushUleb(this.bytes, index);
    return this;
  }

  tee(index: number): this {
    this.bytes.push(Op.localTee);
    pushUleb(this.bytes, index);
    return this;
  }

  i32(value: number): this {
    this.bytes.push(Op.i32Const);
    pushSleb(this.bytes, BigInt(value | 0));
    return this;
  }

  i64(value: bigint | number): this {
    this.bytes.push(Op.i64Const);
    pushSleb(this.bytes, BigInt.asIntN(64, BigInt(value)));
    return this;
  }

  /** A load or store with its memarg (alignment exponent, constant byte offset). */
  mem(code: number, offset: number, alignLog2: number): this {
    this.bytes.push(code);
    pushUleb(this.bytes, alignLog2);
    pushUleb(this.bytes, offset);
    return this;
  }

  call(functionIndex: number): this {
    this.bytes.push(Op.call);
    pushUleb(this.bytes, functionIndex);
    return this;
  }

  /** Starts a block/loop/if with an empty block type. */
  begin(code: typeof Op.block | typeof Op.loop | typeof Op.if): this {
    this.bytes.push(code, BLOCK_TYPE_EMPTY);
    return this;
  }

  br(depth: number, code: typeof Op.br | typeof Op.brIf = Op.br): this {
    this.bytes.push(code);
    pushUleb(this.bytes, depth);
    return this;
  }

  /** Encodes the locals declaration followed by the instructions and the final `end`. */
  encode(): number[] {
    const out: number[] = [];
    // Runs of equal types compress into (count, type) pairs (§5.5.13).
    const runs: Array<[number, ValueType]> = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    pushUleb(out, runs.length);
    for (const [count, type] of runs) {
      pushUleb(out, count);
      out.push(VALUE_TYPE_CODE[type]);
    }
    for (const b of this.bytes) out.push(b);
    out.push(Op.end);
    return out;
  }
}

interface FunctionDecl {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  readonly exported: boolean;
  body: FunctionBody | undefined;
}

/**
 * Builds a module with one exported memory (`memory`) and functions declared up front (so that
 * bodies can `call` functions defined later) and defined afterwards.
 */
export class ModuleBuilder {
  private readonly functions: FunctionDecl[] = [];

  constructor(private readonly initialMemoryPages: number) {}

  /** Declares a function and returns its index. */
  declare(
    name: string,
    params: readonly ValueType[],
    results: readonly ValueType[],
    exported = true,
  ): number {
    this.functions.push({ name, params, results, exported, body: undefined });
    return this.functions.length - 1;
  }

  /** Creates the body of a declared function; `build` emits its instructions. */
  define(index: number, build: (body: FunctionBody) => void): void {
    const decl = this.functions[index];
    if (decl === undefined) throw new WeftError('INVALID_ARGUMENT', `no function #${index}`);
    const body = new FunctionBody(decl.params.length);
    build(body);
    decl.body = body;
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, payload: number[]): void => {
      out.push(id);
      pushUleb(out, payload.length);
      for (const b of payload) out.push(b);
    };

    // Type section: one function type per function (duplicates are legal and keep this simple).
    const types: number[] = [];
    pushUleb(types, this.functions.length);
    for (const f of this.functions) {
      types.push(0x60);
      pushUleb(types, f.params.length);
      for (const p of f.params) types.push(VALUE_TYPE_CODE[p]);
      pushUleb(types, f.results.length);
      for (const r of f.results) types.push(VALUE_TYPE_CODE[r]);
    }
    section(1, types);

    const funcs: number[] = [];
    pushUleb(funcs, this.functions.length);
    for (let i = 0; i < this.functions.length; i++) pushUleb(funcs, i);
    section(3, funcs);

    const memory: number[] = [1, 0x00];
    pushUleb(memory, this.initialMemoryPages);
    section(5, memory);

    const exports: number[] = [];
    const exported = this.functions.map((f, i) => [f, i] as const).filter(([f]) => f.exported);
    pushUleb(exports, exported.length + 1);
    const pushName = (name: string): void => {
      const bytes = new TextEncoder().encode(name);
      pushUleb(exports, bytes.length);
      for (const b of bytes) exports.push(b);
    };
    pushName('memory');
    exports.push(0x02, 0x00);
    for (const [f, i] of exported) {
      pushName(f.name);
      exports.push(0x00);
      pushUleb(exports, i);
    }
    section(7, exports);

    const code: number[] = [];
    pushUleb(code, this.functions.length);
    for (const f of this.functions) {
      if (f.body === undefined) throw new WeftError('INVALID_ARGUMENT', `function ${f.name} has no body`);
      const encoded = f.body.encode();
      pushUleb(code, encoded.length);
      for (const b of encoded) code.push(b);
    }
    section(10, code);
    return Uint8Array.from(out);
  }
}
