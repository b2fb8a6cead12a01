import fc from 'fast-check';

/**
 * Random EVM programs for differential tests of weft's EVM performance changes against
 * @ethereumjs/evm's own code: each instruction pushes up to three random operands (mostly small, so
 * that memory offsets, jumps and storage keys collide) and then runs one opcode.
 */

/** Arithmetic, stack, memory, storage, transient storage, logs, jumps, returns, reverts, invalid. */
export const SIMPLE_OPCODES = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x20, 0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3a,
  0x42, 0x43, 0x46, 0x47, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d,
  0x5e, 0x5f, 0x80, 0x81, 0x82, 0x90, 0x91, 0xa0, 0xa1, 0xa2, 0xf3, 0xfd, 0xfe, 0x0c, 0xef,
];

/** Plus what opens frames: CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2, SELFDESTRUCT, RETURNDATA*. */
export const FRAME_OPCODES = [...SIMPLE_OPCODES, 0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa, 0xff, 0x3d, 0x3e];

export interface Instruction {
  readonly operands: readonly bigint[];
  readonly opcode: number;
}

const arbOperand = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 300n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 32n, 2n ** 255n, 2n ** 256n - 1n) },
);

export function arbProgram(opcodes: readonly number[], maxLength = 24): fc.Arbitrary<Instruction[]> {
  return fc.array(
    fc.record({ operands: fc.array(arbOperand, { maxLength: 7 }), opcode: fc.constantFrom(...opcodes) }),
    { minLength: 1, maxLength },
  );
}

/** PUSH32 of a value as 32 big-endian bytes. */
export function push32(value: bigint): number[] {
  const out = [0x7f];
  for (let i = 31; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

export function assembleProgram(program: readonly Instruction[]): Uint8Array {
  const code: number[] = [];
  for (const { operands, opcode } of program) {
    for (const operand of operands) code.push(...push32(operand));
    code.push(opcode);
  }
  return Uint8Array.from(code);
}
