import { createEVM, type EVM, type ExecResult } from '@ethereumjs/evm';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { Account, createZeroAddress } from '@ethereumjs/util';
import { bytesToHex } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChainCommon } from '../src/execution/evm-config.js';
import { fastOpcodes } from '../src/execution/fast-opcodes.js';
import { createFlatStateManager } from '../src/state/flat-state-manager.js';
import { MemoryDb } from './fixtures/harness.js';

/**
 * Differential test of weft's MSTORE / MLOAD / KECCAK256 / SLOAD (a performance change) against
 * @ethereumjs/evm's own handlers: random programs must return the same memory, use the same gas
 * (cold and warm slots, EIP-2929) and fail the same way on both EVMs.
 */
const CHAIN_ID = 7n;

type Op =
  | { kind: 'mstore'; offset: bigint; word: bigint }
  | { kind: 'mload'; offset: bigint; to: number }
  | { kind: 'sha3'; offset: bigint; length: bigint; to: number }
  | { kind: 'sstore'; key: bigint; word: bigint }
  | { kind: 'sload'; key: bigint; to: number };

function push(value: bigint): number[] {
  // PUSH32 with the value as 32 big-endian bytes.
  const out = [0x7f];
  for (let i = 31; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** Assembles the ops; every result is stored at `to`, and the program returns memory [0, 640). */
function assemble(ops: readonly Op[]): Uint8Array {
  const code: number[] = [];
  for (const op of ops) {
    if (op.kind === 'mstore') code.push(...push(op.word), ...push(op.offset), 0x52);
    else if (op.kind === 'mload') code.push(...push(op.offset), 0x51, ...push(BigInt(op.to)), 0x52);
    else if (op.kind === 'sha3')
      code.push(...push(op.length), ...push(op.offset), 0x20, ...push(BigInt(op.to)), 0x52);
    else if (op.kind === 'sstore') code.push(...push(op.word), ...push(op.key), 0x55);
    else code.push(...push(op.key), 0x54, ...push(BigInt(op.to)), 0x52);
  }
  code.push(...push(640n), ...push(0n), 0xf3);
  return Uint8Array.from(code);
}

// Mostly small offsets (overlapping, unaligned), sometimes offsets that make memory unaffordable.
const arbOffset = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 600n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 32n, 2n ** 64n - 1n, 2n ** 255n, 2n ** 256n - 1n) },
);
const arbWord = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  fc.constantFrom(0n, 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 192n, 2n ** 256n - 1n),
);
const arbTo = fc.integer({ min: 0, max: 600 });
// A few keys, so that loads hit stored, overwritten, cleared and never-written slots.
const arbKey = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 255n, 2n ** 256n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
);
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('mstore' as const), offset: arbOffset, word: arbWord }),
  fc.record({ kind: fc.constant('mload' as const), offset: arbOffset, to: arbTo }),
  fc.record({
    kind: fc.constant('sha3' as const),
    offset: arbOffset,
    length: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.constant(0n), fc.constant(2n ** 40n)),
    to: arbTo,
  }),
  fc.record({ kind: fc.constant('sstore' as const), key: arbKey, word: arbWord }),
  fc.record({ kind: fc.constant('sload' as const), key: arbKey, to: arbTo }),
);

async function evmWith(fast: boolean): Promise<EVM> {
  const common = createChainCommon(CHAIN_ID);
  return createEVM({
    common,
    stateManager: new SimpleStateManager(),
    ...(fast ? { customOpcodes: fastOpcodes(common) } : {}),
  });
}

/** Both EVMs start every program from an empty state. */
async function resetState(evm: EVM): Promise<void> {
  const address = createZeroAddress();
  await evm.stateManager.putAccount(address, new Account());
  await evm.stateManager.clearStorage(address);
  evm.stateManager.originalStorageCache.clear();
  evm.journal.cleanJournal();
}

interface Outcome {
  readonly error: string | null;
  readonly gas: bigint;
  readonly output: string;
}

function outcomeOf(result: ExecResult): Outcome {
  return {
    error: result.exceptionError?.error ?? null,
    gas: result.executionGasUsed,
    output: bytesToHex(result.returnValue),
  };
}

/** Random programs (with a tight and a loose gas limit) end the same with weft's opcodes as without. */
async function expectSameOnRandomPrograms(
  run: (fastOps: boolean, code: Uint8Array, gasLimit: bigint) => Promise<Outcome>,
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(arbOp, { minLength: 1, maxLength: 12 }),
      fc.constantFrom(30_000n, 1_000_000n),
      async (ops, gasLimit) => {
        const code = assemble(ops);
        expect(await run(true, code, gasLimit)).toEqual(await run(false, code, gasLimit));
      },
    ),
    { numRuns },
  );
}

/** The test store, answering reads in place as well (as classic-level's `getSync`). */
class SyncMemoryDb extends MemoryDb {
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(bytesToHex(key));
  }
}

function word(value: bigint): Uint8Array {
  return Uint8Array.from(push(value).slice(1));
}

describe('fast memory opcodes', () => {
  let reference: EVM;
  let fast: EVM;

  beforeAll(async () => {
    reference = await evmWith(false);
    fast = await evmWith(true);
  });

  async function outcome(evm: EVM, code: Uint8Array, gasLimit: bigint): Promise<Outcome> {
    await resetState(evm);
    return outcomeOf(await evm.runCode({ code, gasLimit }));
  }

  it('behaves exactly like the library on random programs (memory, gas, failures)', async () => {
    await expectSameOnRandomPrograms(
      (fastOps, code, gasLimit) => outcome(fastOps ? fast : reference, code, gasLimit),
      300,
    );
  });

  it('stores, loads and hashes known values', async () => {
    // MSTORE 0x..01 at 0, MLOAD it back to 32, KECCAK256 of the empty range to 64.
    const code = assemble([
      { kind: 'mstore', offset: 0n, word: 1n },
      { kind: 'mload', offset: 0n, to: 32 },
      { kind: 'sha3', offset: 2n ** 255n, length: 0n, to: 64 },
    ]);
    const result = await outcome(fast, code, 100_000n);
    expect(result.error).toBeNull();
    const word = (i: number) => result.output.slice(2 + 64 * i, 2 + 64 * (i + 1));
    expect(word(0)).toBe(`${'00'.repeat(31)}01`);
    expect(word(1)).toBe(`${'00'.repeat(31)}01`);
    // keccak256("") (the empty-code hash of the Yellow Paper).
    expect(word(2)).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('loads from the weft state without waiting, with the library values and gas', async () => {
    // Committed slots of the zero address (the code's account), in a store that answers in place as
    // LevelDB does; programs then read them, overwrite them and read never-written slots.
    const suite = getSuite('ecdsa');
    const db = new SyncMemoryDb();
    const setup = await createFlatStateManager({ suite, db });
    await setup.putAccount(createZeroAddress(), new Account(1n));
    for (const key of [0n, 1n, 2n ** 255n]) {
      await setup.putStorage(createZeroAddress(), word(key), word(key + 7n));
    }
    const genesis = await setup.computeDiff();
    db.write(genesis);
    setup.applyCommitted(genesis);
    let peeked = 0;
    const run = async (fastOps: boolean, code: Uint8Array, gasLimit: bigint) => {
      const state = setup.createView();
      const peek = state.peekStorage.bind(state);
      state.peekStorage = (address, slot) => {
        const value = peek(address, slot);
        if (value !== undefined && fastOps) peeked++;
        return value;
      };
      const common = createChainCommon(CHAIN_ID);
      const evm = await createEVM({
        common,
        stateManager: state,
        ...(fastOps ? { customOpcodes: fastOpcodes(common) } : {}),
      });
      return outcomeOf(await evm.runCode({ code, gasLimit }));
    };
    await expectSameOnRandomPrograms(run, 100);
    expect(peeked).toBeGreaterThan(50);
  });

  it('fails like the library on a stack underflow', async () => {
    // PUSH1 1 then MSTORE / KECCAK256 (two operands), and a bare MLOAD (one operand).
    for (const code of [[0x60, 0x01, 0x52], [0x60, 0x01, 0x20], [0x51], [0x52]]) {
      const program = Uint8Array.from(code);
      const expected = await outcome(reference, program, 100_000n);
      expect(expected.error).toBe('stack underflow');
      expect(await outcome(fast, program, 100_000n)).toEqual(expected);
    }
  });

  it('keeps the base fee and dynamic gas of the opcodes it replaces', () => {
    const ops = fastOpcodes(createChainCommon(CHAIN_ID));
    expect(ops.map((o) => ('opcodeName' in o ? [o.opcode, o.opcodeName, o.baseFee] : null))).toEqual([
      [0x52, 'MSTORE', 3],
      [0x51, 'MLOAD', 3],
      [0x20, 'KECCAK256', 30],
      [0x54, 'SLOAD', 0],
    ]);
    for (const o of ops) expect('gasFunction' in o && typeof o.gasFunction === 'function').toBe(true);
  });
});
