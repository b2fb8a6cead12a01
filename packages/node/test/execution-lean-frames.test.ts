import { createEVM, type EVM } from '@ethereumjs/evm';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { Account, Address } from '@ethereumjs/util';
import { bytesToHex } from '@weft/crypto/bytes';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChainCommon } from '../src/execution/evm-config.js';
import { fastOpcodes } from '../src/execution/fast-opcodes.js';
import { installLeanFrames, setLeanFramesEnabled } from '../src/execution/lean-frames.js';
import { installSynchronousSteps } from '../src/execution/synchronous-steps.js';
import { arbProgram, assembleProgram, FRAME_OPCODES, push32 } from './evm-programs.js';

/**
 * Differential test of the lean frame result and message call (`execution/lean-frames.ts`, performance
 * changes) against @ethereumjs/evm's own `runInterpreter` and `_executeCall`: random programs that open
 * frames — calls of every kind into other contracts and precompiles, creates, selfdestructs, reverts —
 * run from a transaction's top-level call must end with the same error, gas, refund, output, logs,
 * selfdestructs, created addresses, storage and balances either way.
 */
const CHAIN_ID = 7n;
const address = (n: number) => new Address(Uint8Array.from(push32(BigInt(n)).slice(13)));
const ENTRY = address(0xaaaa);
const CALLER = address(0xcccc);
// Every small address that is not a precompile holds a callee that stores, logs and answers
// according to its call data (first word: 0 return, 1 revert, 2 invalid opcode), so random calls land somewhere.
const CALLEE = Uint8Array.from([
  ...[0x60, 0x07, 0x60, 0x01, 0x55], // SSTORE(1, 7)
  ...[0x33, 0x60, 0x00, 0x52], // MSTORE(0, CALLER)
  ...[0x60, 0x09, 0x60, 0x20, 0x60, 0x00, 0xa1], // LOG1(0, 32, 9)
  ...[0x60, 0x00, 0x35], // CALLDATALOAD(0)
  ...[0x80, 0x60, 0x01, 0x14, 0x60, 0x20, 0x57], // DUP1 EQ 1 → JUMPI 0x20
  ...[0x60, 0x02, 0x14, 0x60, 0x26, 0x57], // EQ 2 → JUMPI 0x26
  ...[0x60, 0x20, 0x60, 0x00, 0xf3], // RETURN(0, 32)
  0x5b, // 0x20: JUMPDEST
  ...[0x60, 0x20, 0x60, 0x00, 0xfd], // REVERT(0, 32)
  0x5b, // 0x26: JUMPDEST
  0xfe,
]);
const CALLEES = Array.from({ length: 0xff - 0x12 + 1 }, (_, i) => 0x12 + i);

async function runEntry(code: Uint8Array, gasLimit: bigint, data: Uint8Array) {
  const common = createChainCommon(CHAIN_ID);
  const evm: EVM = await createEVM({
    common,
    stateManager: new SimpleStateManager(),
    customOpcodes: fastOpcodes(common),
  });
  const state = evm.stateManager;
  await state.putAccount(ENTRY, new Account(0n, 10n ** 18n));
  await state.putCode(ENTRY, code);
  await state.putAccount(CALLER, new Account(0n, 10n ** 18n));
  for (const n of CALLEES) {
    await state.putAccount(address(n), new Account(0n, 1000n));
    await state.putCode(address(n), CALLEE);
  }
  const result = await evm.runCall({ caller: CALLER, to: ENTRY, gasLimit, data, value: 1n });
  const exec = result.execResult;
  const storage: string[] = [];
  for (const who of [ENTRY, address(0x12), address(0x80)]) {
    for (const key of [0n, 1n, 2n]) {
      storage.push(bytesToHex(await state.getStorage(who, Uint8Array.from(push32(key).slice(1)))));
    }
  }
  const balances: string[] = [];
  for (const who of [ENTRY, CALLER, address(0x12), address(0x80)]) {
    balances.push(String((await state.getAccount(who))?.balance));
  }
  return {
    error: exec.exceptionError?.error ?? null,
    gas: exec.executionGasUsed,
    refund: exec.gasRefund,
    output: bytesToHex(exec.returnValue),
    logs: (exec.logs ?? []).map(([a, topics, d]) => [
      bytesToHex(a),
      topics.map((t) => bytesToHex(t)),
      bytesToHex(d),
    ]),
    selfdestruct: [...(exec.selfdestruct?.keys() ?? [])].sort(),
    created: [...(exec.createdAddresses ?? [])].sort(),
    storage,
    balances,
  };
}

describe('lean call-frame results', () => {
  beforeAll(async () => {
    expect(await installSynchronousSteps()).toBe(true);
    // Installed over the method it was written for (fails when @ethereumjs/evm changes it).
    expect(await installLeanFrames()).toBe(true);
  });

  afterEach(() => setLeanFramesEnabled(true));

  async function both(code: Uint8Array, gasLimit: bigint, data: Uint8Array) {
    setLeanFramesEnabled(false);
    const library = await runEntry(code, gasLimit, data);
    setLeanFramesEnabled(true);
    const lean = await runEntry(code, gasLimit, data);
    return { library, lean };
  }

  it('ends every random frame-opening program exactly as the library does', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbProgram(FRAME_OPCODES, 16),
        fc.constantFrom(30_000n, 300_000n),
        fc.constantFrom(new Uint8Array(0), Uint8Array.from(push32(1n).slice(1))),
        async (program, gasLimit, data) => {
          const { library, lean } = await both(assembleProgram(program), gasLimit, data);
          expect(lean).toEqual(library);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('calls a callee that stores, logs and returns, one that reverts, and one that fails', async () => {
    for (const word of [0n, 1n, 2n]) {
      // CALL(gas 100000, 0x12, value 0, in 0..32 = word, out 0..32) then RETURN(0, 32).
      const code = Uint8Array.from([
        ...push32(word),
        ...[0x60, 0x00, 0x52],
        ...[
          0x60, 0x20, 0x60, 0x00, 0x60, 0x20, 0x60, 0x00, 0x60, 0x00, 0x60, 0x12, 0x62, 0x01, 0x86, 0xa0,
          0xf1,
        ],
        ...[0x60, 0x40, 0x52, 0x60, 0x60, 0x60, 0x00, 0xf3],
      ]);
      const { library, lean } = await both(code, 300_000n, new Uint8Array(0));
      expect(library.error).toBeNull();
      // The callee's log survives only when it returned.
      expect(library.logs.length).toBe(word === 0n ? 1 : 0);
      expect(lean).toEqual(library);
    }
  });

  it('clears transient storage after each top-level call (EIP-1153), as the library does', async () => {
    // TLOAD(0) → MSTORE(0); TSTORE(0, 5); RETURN(0, 32): a second call must read 0 again.
    const code = Uint8Array.from([
      ...[0x60, 0x00, 0x5c, 0x60, 0x00, 0x52],
      ...[0x60, 0x05, 0x60, 0x00, 0x5d],
      ...[0x60, 0x20, 0x60, 0x00, 0xf3],
    ]);
    const twice = async () => {
      const common = createChainCommon(CHAIN_ID);
      const evm = await createEVM({ common, stateManager: new SimpleStateManager() });
      await evm.stateManager.putAccount(CALLER, new Account(0n, 10n ** 18n));
      await evm.stateManager.putCode(ENTRY, code);
      const outputs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { execResult } = await evm.runCall({ caller: CALLER, to: ENTRY, gasLimit: 100_000n });
        outputs.push(bytesToHex(execResult.returnValue));
      }
      return outputs;
    };
    setLeanFramesEnabled(false);
    const library = await twice();
    setLeanFramesEnabled(true);
    expect(library).toEqual([bytesToHex(new Uint8Array(32)), bytesToHex(new Uint8Array(32))]);
    expect(await twice()).toEqual(library);
  });

  it('moves value to an account without code, and refuses a call its caller cannot pay', async () => {
    const run = async (callerBalance: bigint) => {
      const common = createChainCommon(CHAIN_ID);
      const evm = await createEVM({ common, stateManager: new SimpleStateManager() });
      await evm.stateManager.putAccount(CALLER, new Account(0n, callerBalance));
      const { execResult } = await evm.runCall({ caller: CALLER, to: ENTRY, gasLimit: 50_000n, value: 100n });
      return {
        error: execResult.exceptionError?.error ?? null,
        gas: execResult.executionGasUsed,
        caller: (await evm.stateManager.getAccount(CALLER))?.balance,
        entry: (await evm.stateManager.getAccount(ENTRY))?.balance,
      };
    };
    for (const callerBalance of [1_000n, 99n]) {
      setLeanFramesEnabled(false);
      const library = await run(callerBalance);
      setLeanFramesEnabled(true);
      expect(library.error).toBe(callerBalance < 100n ? 'insufficient balance' : null);
      expect(await run(callerBalance)).toEqual(library);
    }
  });

  it('drops the logs of a top-level frame that reverts or fails, and keeps them when it returns', async () => {
    const log = [0x60, 0x09, 0x60, 0x20, 0x60, 0x00, 0xa1]; // LOG1(0, 32, 9)
    for (const [end, logs] of [
      [[0x60, 0x00, 0x60, 0x00, 0xf3], 1], // RETURN(0, 0)
      [[0x60, 0x00, 0x60, 0x00, 0xfd], 0], // REVERT(0, 0)
      [[0xfe], 0], // INVALID
    ] as const) {
      const { library, lean } = await both(Uint8Array.from([...log, ...end]), 100_000n, new Uint8Array(0));
      expect(library.logs.length).toBe(logs);
      expect(lean).toEqual(library);
    }
  });
});
