import { createEVM, type EVM } from '@ethereumjs/evm';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { Account, createZeroAddress } from '@ethereumjs/util';
import { bytesToHex } from '@weft/crypto/bytes';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChainCommon } from '../src/execution/evm-config.js';
import { fastOpcodes } from '../src/execution/fast-opcodes.js';
import { installSynchronousSteps, setSynchronousStepsEnabled } from '../src/execution/synchronous-steps.js';
import { arbProgram, assembleProgram, push32, SIMPLE_OPCODES } from './evm-programs.js';

/**
 * Differential test of the synchronous-step interpreter loop (a performance change) against
 * @ethereumjs/evm's own async loop: random programs over arithmetic, stack, memory, storage,
 * transient storage, logs, jumps, returns, reverts, invalid opcodes and gas exhaustion must end
 * with the same error, gas, refund, output, logs and storage on both.
 */
const CHAIN_ID = 7n;

async function createTestEvm(): Promise<EVM> {
  const common = createChainCommon(CHAIN_ID);
  return createEVM({ common, stateManager: new SimpleStateManager(), customOpcodes: fastOpcodes(common) });
}

async function outcome(evm: EVM, code: Uint8Array, gasLimit: bigint) {
  const address = createZeroAddress();
  await evm.stateManager.putAccount(address, new Account());
  await evm.stateManager.clearStorage(address);
  evm.stateManager.originalStorageCache.clear();
  evm.journal.cleanJournal();
  // runCode runs at the zero address.
  const result = await evm.runCode({ code, gasLimit });
  const storage: string[] = [];
  for (const key of [0n, 1n, 2n, 255n]) {
    storage.push(
      bytesToHex(await evm.stateManager.getStorage(address, Uint8Array.from(push32(key).slice(1)))),
    );
  }
  return {
    error: result.exceptionError?.error ?? null,
    gas: result.executionGasUsed,
    refund: result.gasRefund,
    output: bytesToHex(result.returnValue),
    logs: (result.logs ?? []).map(([a, topics, data]) => [
      bytesToHex(a),
      topics.map((t) => bytesToHex(t)),
      bytesToHex(data),
    ]),
    storage,
  };
}

describe('synchronous interpreter steps', () => {
  let evm: EVM;

  beforeAll(async () => {
    expect(await installSynchronousSteps()).toBe(true);
    evm = await createTestEvm();
  });

  afterEach(() => setSynchronousStepsEnabled(true));

  async function both(code: Uint8Array, gasLimit: bigint) {
    setSynchronousStepsEnabled(false);
    const library = await outcome(evm, code, gasLimit);
    setSynchronousStepsEnabled(true);
    const synchronous = await outcome(evm, code, gasLimit);
    return { library, synchronous };
  }

  it('ends every random program exactly as the library loop does', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbProgram(SIMPLE_OPCODES),
        fc.constantFrom(5_000n, 60_000n, 1_000_000n),
        async (program, gasLimit) => {
          const { library, synchronous } = await both(assembleProgram(program), gasLimit);
          expect(synchronous).toEqual(library);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('runs a loop with jumps, storage and a log to the same end', async () => {
    // i = 0; do { sstore(i, i * 3); i++ } while (i < 5); log1(0, 32, topic 7); return mem[0..32)
    const code = Uint8Array.from([
      0x60,
      0x00, // PUSH1 0              i
      0x5b, //       JUMPDEST (pc 2)
      0x80,
      0x60,
      0x03,
      0x02, // DUP1 PUSH1 3 MUL   i*3
      0x81,
      0x55, // DUP2 SSTORE          sstore(i, i*3)
      0x60,
      0x01,
      0x01, // PUSH1 1 ADD    i+1
      0x80,
      0x60,
      0x05,
      0x11, // DUP1 PUSH1 5 GT    5 > i
      0x60,
      0x02,
      0x57, // PUSH1 2 JUMPI
      0x60,
      0x00,
      0x52, // PUSH1 0 MSTORE  mem[0] = i
      0x60,
      0x07,
      0x60,
      0x20,
      0x60,
      0x00,
      0xa1, // LOG1(0, 32, 7)
      0x60,
      0x20,
      0x60,
      0x00,
      0xf3, // RETURN(0, 32)
    ]);
    const { library, synchronous } = await both(code, 1_000_000n);
    expect(library.error).toBeNull();
    expect(library.output).toBe(`0x${'00'.repeat(31)}05`);
    expect(library.storage.slice(0, 3)).toEqual(['0x', '0x03', '0x06']);
    expect(synchronous).toEqual(library);
  });

  it('fails like the library on invalid opcodes, bad jumps, underflow and running out of gas', async () => {
    for (const [code, error] of [
      [[0xfe], 'invalid opcode'],
      [[0x0c], 'invalid opcode'],
      [[0x60, 0x03, 0x56], 'invalid JUMP'],
      [[0x01], 'stack underflow'],
      [[0x5b, 0x60, 0x00, 0x56], 'out of gas'],
    ] as const) {
      const { library, synchronous } = await both(Uint8Array.from(code), 10_000n);
      expect(library.error?.startsWith(error)).toBe(true);
      expect(synchronous).toEqual(library);
    }
  });
});
