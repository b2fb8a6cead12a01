import { createEVM, type EVM, type ExecResult } from '@ethereumjs/evm';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { Account, createZeroAddress } from '@ethereumjs/util';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChainCommon } from '../src/execution/evm-config.js';
import { fastOpcodes } from '../src/execution/fast-opcodes.js';
import { createFlatStateManager, type FlatStateManager } from '../src/state/flat-state-manager.js';
import { MemoryDb } from './fixtures/harness.js';

/**
 * Differential test of weft's MSTORE / MLOAD / KECCAK256 / SLOAD / SSTORE (a performance change)
 * against @ethereumjs/evm's own handlers: random programs must return the same memory, use the same
 * gas (cold and warm slots, EIP-2929; SSTORE's EIP-2200 cases), earn the same refund (EIP-3529),
 * leave the same storage and fail the same way on both EVMs.
 */
const CHAIN_ID = 7n;

type Op =
  | { kind: 'mstore'; offset: bigint; word: bigint }
  | { kind: 'mload'; offset: bigint; to: number }
  | { kind: 'sha3'; offset: bigint; length: bigint; to: number }
  | { kind: 'sstore'; key: bigint; word: bigint }
  | { kind: 'sload'; key: bigint; to: number }
  | { kind: 'log'; offset: bigint; length: bigint; topics: bigint[] }
  | { kind: 'revert'; offset: bigint; length: bigint };

function push(value: bigint): number[] {
  // PUSH32 with the value as 32 big-endian bytes.
  const out = [0x7f];
  for (let i = 31; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

/**
 * Assembles the ops; every result is stored at `to`, and the program returns memory [0, 640) (unless
 * it reverted before).
 */
function assemble(ops: readonly Op[]): Uint8Array {
  const code: number[] = [];
  for (const op of ops) {
    if (op.kind === 'mstore') code.push(...push(op.word), ...push(op.offset), 0x52);
    else if (op.kind === 'mload') code.push(...push(op.offset), 0x51, ...push(BigInt(op.to)), 0x52);
    else if (op.kind === 'sha3')
      code.push(...push(op.length), ...push(op.offset), 0x20, ...push(BigInt(op.to)), 0x52);
    else if (op.kind === 'sstore') code.push(...push(op.word), ...push(op.key), 0x55);
    else if (op.kind === 'log') {
      for (const topic of op.topics.toReversed()) code.push(...push(topic));
      code.push(...push(op.length), ...push(op.offset), 0xa0 + op.topics.length);
    } else if (op.kind === 'revert') code.push(...push(op.length), ...push(op.offset), 0xfd);
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
// Stored words include the committed values of the weft-state test (key + 7), so that programs also
// restore slots to their original values (EIP-2200's refunds).
const arbStoredWord = fc.oneof(arbWord, fc.constantFrom(0n, 7n, 8n, 2n ** 255n + 7n));
// A few keys, so that loads hit stored, overwritten, cleared and never-written slots.
const arbKey = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 255n, 2n ** 256n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
);
const arbOpThatContinues: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('mstore' as const), offset: arbOffset, word: arbWord }),
  fc.record({ kind: fc.constant('mload' as const), offset: arbOffset, to: arbTo }),
  fc.record({
    kind: fc.constant('sha3' as const),
    offset: arbOffset,
    length: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.constant(0n), fc.constant(2n ** 40n)),
    to: arbTo,
  }),
  fc.record({ kind: fc.constant('sstore' as const), key: arbKey, word: arbStoredWord }),
  fc.record({ kind: fc.constant('sload' as const), key: arbKey, to: arbTo }),
  fc.record({
    kind: fc.constant('log' as const),
    offset: arbOffset,
    length: fc.oneof(
      { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 100n }) },
      { weight: 1, arbitrary: fc.constant(2n ** 40n) },
    ),
    topics: fc.array(arbWord, { maxLength: 4 }),
  }),
);
// Now and then a program reverts part way (RETURN's twin, and it undoes storage, logs and refunds).
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: arbOpThatContinues },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('revert' as const),
      offset: arbOffset,
      length: fc.bigInt({ min: 0n, max: 100n }),
    }),
  },
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
  readonly refund: bigint;
  readonly output: string;
  readonly logs: readonly string[];
  readonly storage?: readonly string[];
}

function outcomeOf(result: ExecResult): Outcome {
  return {
    error: result.exceptionError?.error ?? null,
    gas: result.executionGasUsed,
    refund: result.gasRefund ?? 0n,
    output: bytesToHex(result.returnValue),
    logs: (result.logs ?? []).map((log) =>
      log.map((part) => (Array.isArray(part) ? part.map(bytesToHex) : bytesToHex(part))).join('/'),
    ),
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
      // Tight, with room for a few cold writes, and loose (the EIP-2200 sentry and out-of-gas too).
      fc.constantFrom(8_000n, 30_000n, 1_000_000n),
      async (ops, gasLimit) => {
        const code = assemble(ops);
        expect(await run(true, code, gasLimit)).toEqual(await run(false, code, gasLimit));
      },
    ),
    { numRuns },
  );
}

/**
 * How many programs fail (out of gas, revert) and how many succeed: both kinds must be exercised.
 * (Refunds are compared on every program; the EIP-3529 test below checks each SSTORE case by value.)
 */
const seen = { succeeded: 0, failed: 0 };
function count(outcome: Outcome): Outcome {
  if (outcome.error === null) seen.succeeded++;
  else seen.failed++;
  return outcome;
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

/**
 * A committed weft state in which the zero address (the account `runCode` runs as) holds `slots`, in a
 * store that answers reads in place as LevelDB does.
 */
async function weftStateWith(slots: readonly [key: bigint, value: bigint][]) {
  const db = new SyncMemoryDb();
  const setup = await createFlatStateManager({ suite: getSuite('ecdsa'), db });
  await setup.putAccount(createZeroAddress(), new Account(1n));
  for (const [key, value] of slots) await setup.putStorage(createZeroAddress(), word(key), word(value));
  const genesis = await setup.computeDiff();
  db.write(genesis);
  setup.applyCommitted(genesis);
  return setup;
}

async function runOnWeftState(
  setup: FlatStateManager,
  fastOps: boolean,
  opts: { code: Uint8Array; gasLimit: bigint; isStatic?: boolean },
): Promise<ExecResult> {
  const common = createChainCommon(CHAIN_ID);
  const evm = await createEVM({
    common,
    stateManager: setup.createView(),
    ...(fastOps ? { customOpcodes: fastOpcodes(common) } : {}),
  });
  return evm.runCode(opts);
}

/**
 * EIP-3529's test cases ("With reduced refunds"): code, gas used and refund with slot 0 warm, and the
 * slot's original value. Two SSTOREs (three for the last two) to slot 0 each.
 */
const EIP3529_CASES: readonly [code: string, usedGas: bigint, refund: bigint, original: bigint][] = [
  ['0x60006000556000600055', 212n, 0n, 0n],
  ['0x60006000556001600055', 20112n, 0n, 0n],
  ['0x60016000556000600055', 20112n, 19900n, 0n],
  ['0x60016000556002600055', 20112n, 0n, 0n],
  ['0x60016000556001600055', 20112n, 0n, 0n],
  ['0x60006000556000600055', 3012n, 4800n, 1n],
  ['0x60006000556001600055', 3012n, 2800n, 1n],
  ['0x60006000556002600055', 3012n, 0n, 1n],
  ['0x60026000556000600055', 3012n, 4800n, 1n],
  ['0x60026000556003600055', 3012n, 0n, 1n],
  ['0x60026000556001600055', 3012n, 2800n, 1n],
  ['0x60026000556002600055', 3012n, 0n, 1n],
  ['0x60016000556000600055', 3012n, 4800n, 1n],
  ['0x60016000556002600055', 3012n, 0n, 1n],
  ['0x60016000556001600055', 212n, 0n, 1n],
  ['0x600160005560006000556001600055', 40118n, 19900n, 0n],
  ['0x600060005560016000556000600055', 5918n, 7600n, 1n],
];
// PUSH1 0 SLOAD POP: warms slot 0 for 3 + 2100 (cold SLOAD) + 2 gas.
const WARM_SLOT_0 = [0x60, 0x00, 0x54, 0x50];

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
    // Committed slots of the zero address (the code's account); programs then read them, overwrite
    // them, restore them and read never-written slots.
    const setup = await weftStateWith([0n, 1n, 2n ** 255n].map((key) => [key, key + 7n]));
    let peeked = 0;
    const keys = [0n, 1n, 2n ** 255n, 2n ** 256n - 1n].map(word);
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
      const outcome = outcomeOf(await evm.runCode({ code, gasLimit }));
      const storage = await Promise.all(
        keys.map(async (key) => bytesToHex(await state.getStorage(createZeroAddress(), key))),
      );
      return count({ ...outcome, storage });
    };
    await expectSameOnRandomPrograms(run, 200);
    expect(peeked).toBeGreaterThan(50);
    expect(seen.succeeded).toBeGreaterThan(20);
    expect(seen.failed).toBeGreaterThan(20);
  });

  it("charges and refunds SSTORE as EIP-3529's test cases say, warm and cold", async () => {
    for (const [hex, usedGas, refund, original] of EIP3529_CASES) {
      const setup = await weftStateWith(original === 0n ? [] : [[0n, original]]);
      const cases = [
        // Slot 0 warmed first, as the table assumes.
        { code: Uint8Array.from([...WARM_SLOT_0, ...hexToBytes(hex)]), gas: usedGas + 2105n },
        // Cold: the first SSTORE pays the cold surcharge once (EIP-2929).
        { code: hexToBytes(hex), gas: usedGas + 2100n },
      ];
      for (const { code, gas } of cases) {
        for (const fastOps of [true, false]) {
          const result = await runOnWeftState(setup, fastOps, { code, gasLimit: 100_000n });
          expect({ hex, fastOps, gas: result.executionGasUsed, refund: result.gasRefund }).toEqual({
            hex,
            fastOps,
            gas,
            refund,
          });
        }
      }
    }
  });

  it('fails SSTORE like the library: no more than the stipend left (EIP-2200), or a static call', async () => {
    const setup = await weftStateWith([[0n, 1n]]);
    // Slot 0 warm, then a no-op SSTORE of its value (100 gas), after 2105 + 6 gas.
    const code = Uint8Array.from([...WARM_SLOT_0, 0x60, 0x01, 0x60, 0x00, 0x55]);
    for (const fastOps of [true, false]) {
      const run = (gasLimit: bigint, isStatic = false) =>
        runOnWeftState(setup, fastOps, { code, gasLimit, isStatic });
      expect((await run(2111n + 2300n)).exceptionError?.error).toBe('out of gas');
      const enough = await run(2111n + 2301n);
      expect(enough.exceptionError).toBeUndefined();
      expect(enough.executionGasUsed).toBe(2211n);
      expect((await run(100_000n, true)).exceptionError?.error).toBe('static state change');
    }
  });

  it('charges RETURN and REVERT the memory the library charges, up to the word boundary', async () => {
    // RETURN / REVERT of [offset, offset + length) with the end just past, at and before a word boundary.
    for (const op of [0xf3, 0xfd]) {
      for (const [offset, length] of <[number, number][]>[
        [0, 33],
        [31, 2],
        [0, 32],
        [32, 0],
        [1, 31],
        [2 ** 20, 1],
      ]) {
        const code = Uint8Array.from([...push(BigInt(length)), ...push(BigInt(offset)), op]);
        expect(await outcome(fast, code, 100_000n)).toEqual(await outcome(reference, code, 100_000n));
      }
    }
  });

  it('fails like the library on a stack underflow', async () => {
    // PUSH1 1 then MSTORE / KECCAK256 (two operands), a bare MLOAD (one operand), and LOG2 with its
    // offset and length but one topic short (PUSH1 7, PUSH1 0, PUSH1 0).
    for (const code of [
      [0x60, 0x01, 0x52],
      [0x60, 0x01, 0x20],
      [0x51],
      [0x52],
      [0x60, 0x07, 0x60, 0x00, 0x60, 0x00, 0xa2],
      [0x60, 0x00, 0xa0],
    ]) {
      const program = Uint8Array.from(code);
      const expected = await outcome(reference, program, 100_000n);
      expect(expected.error).toBe('stack underflow');
      expect(await outcome(fast, program, 100_000n)).toEqual(expected);
    }
  });

  it('keeps the base fee and dynamic gas of the opcodes it replaces', () => {
    const ops = fastOpcodes(createChainCommon(CHAIN_ID));
    expect(ops.map((o) => ('opcodeName' in o ? [o.opcode, o.opcodeName, o.baseFee] : null))).toEqual([
      [0xf3, 'RETURN', 0],
      [0xfd, 'REVERT', 0],
      [0xa0, 'LOG', 375],
      [0xa1, 'LOG', 375],
      [0xa2, 'LOG', 375],
      [0xa3, 'LOG', 375],
      [0xa4, 'LOG', 375],
      [0x52, 'MSTORE', 3],
      [0x51, 'MLOAD', 3],
      [0x20, 'KECCAK256', 30],
      [0x54, 'SLOAD', 0],
      [0x55, 'SSTORE', 0],
    ]);
    for (const o of ops) expect('gasFunction' in o && typeof o.gasFunction === 'function').toBe(true);
  });
});
