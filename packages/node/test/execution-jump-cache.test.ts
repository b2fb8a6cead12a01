import { Address, bigIntToUnpaddedBytes, generateAddress } from '@ethereumjs/util';
import { hexToBytes } from '@weft/crypto/bytes';
import { beforeAll, describe, expect, it } from 'vitest';
import { installJumpAnalysisCache } from '../src/execution/jump-analysis-cache.js';
import type { ExecutableTransaction } from '../src/execution/types.js';
import { isStateOwnedCode } from '../src/state/flat-state-manager.js';
import { address, createHarness, type Harness, tx } from './fixtures/harness.js';

/**
 * The memoised jump analysis (a performance change) must keep the Yellow Paper's rule exactly
 * (§9.4.3): a JUMPDEST byte inside PUSH data is not a jump destination, however many times the same
 * code runs, from the committed state or from code deployed in the same block.
 */

// 0x00 PUSH1 0; CALLDATALOAD; PUSH1 0x0b; JUMPI          — non-zero calldata: jump to 0x0b
// 0x06 PUSH1 0x12; JUMP                                  — else jump to 0x12: a 0x5b INSIDE push data
// 0x09 STOP; STOP
// 0x0b JUMPDEST; PUSH1 42; PUSH1 0; SSTORE               — slot 0 = 42
// 0x11 PUSH2 0x5b00; POP; STOP                           — byte 0x12 is 0x5b, but it is push data
const RUNTIME = hexToBytes('0x600035600b57601256' + '0000' + '5b602a600055' + '615b005000');
// Init code returning RUNTIME: CODECOPY(0, 12, len) RETURN(0, len).
const INIT = hexToBytes(
  `0x6016600c60003960166000f3${'600035600b57601256' + '0000' + '5b602a600055' + '615b005000'}`,
);

const alice = address(1);
const AT_GENESIS = address(0x7001);
const SAME_CODE = address(0x7002);
const GO = hexToBytes(`0x${'00'.repeat(31)}01`);

describe('memoised jump analysis', () => {
  let h: Harness;
  let nonce = 0n;
  let block = 1n;

  function call(to: Uint8Array | null, data: Uint8Array): ExecutableTransaction {
    return tx({ sender: alice, kind: 'legacy', nonce: nonce++, to, data, gasLimit: 200_000n });
  }

  async function run(txs: ExecutableTransaction[]) {
    const result = await h.executor.executeBlock(h.context(block++), txs, { mode: 'verify' });
    h.commit(result.diff);
    return result;
  }

  beforeAll(async () => {
    h = await createHarness();
    const genesis = await h.executor.applyGenesis([
      { address: alice, balance: 10n ** 18n },
      { address: AT_GENESIS, balance: 0n, code: RUNTIME },
      { address: SAME_CODE, balance: 0n, code: RUNTIME },
    ]);
    h.commit(genesis.diff);
  });

  it('is installed on the EVM this package runs', async () => {
    expect(await installJumpAnalysisCache()).toBe(true);
    const code = await h.state.createView().getCode(new Address(AT_GENESIS));
    expect(code).toEqual(RUNTIME);
    expect(isStateOwnedCode(code)).toBe(true);
    expect(isStateOwnedCode(RUNTIME)).toBe(false);
  });

  it('refuses a jump into PUSH data every time, and allows the real JUMPDEST every time', async () => {
    for (let round = 0; round < 3; round++) {
      const result = await run([
        call(AT_GENESIS, GO),
        call(AT_GENESIS, new Uint8Array(0)),
        call(SAME_CODE, new Uint8Array(0)),
        call(SAME_CODE, GO),
        call(AT_GENESIS, new Uint8Array(0)),
      ]);
      expect(result.receipts.map((r) => r.status)).toEqual([1, 0, 0, 1, 0]);
      // An invalid jump is an exceptional halt: all the gas is gone (Yellow Paper §9.4.2).
      expect(result.receipts[1]?.gasUsed).toBe(200_000n);
    }
    const view = h.state.createView();
    expect(await view.getStorage(new Address(AT_GENESIS), new Uint8Array(32))).toEqual(Uint8Array.of(42));
  });

  it('applies the same rule to code deployed earlier in the same block', async () => {
    const creator = nonce;
    const predicted = generateAddress(alice, bigIntToUnpaddedBytes(creator));
    const result = await run([
      call(null, INIT),
      call(predicted, new Uint8Array(0)),
      call(predicted, GO),
      call(predicted, new Uint8Array(0)),
    ]);
    expect(result.receipts[0]?.contractAddress).toEqual(predicted);
    expect(result.receipts.map((r) => r.status)).toEqual([1, 0, 1, 0]);
    // And from the committed state in the next block.
    const again = await run([call(predicted, GO), call(predicted, new Uint8Array(0))]);
    expect(again.receipts.map((r) => r.status)).toEqual([1, 0]);
  });
});
