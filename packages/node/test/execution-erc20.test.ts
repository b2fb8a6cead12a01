import { bytesToHex, concatBytes, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import {
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  parseAbi,
  toHex,
} from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { address, createHarness, type Harness, tx } from './fixtures/harness.js';
import { compileFixture } from './fixtures/solc.js';

const tokenAbi = parseAbi([
  'constructor(string name_, string symbol_, uint256 supply)',
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);

const alice = address(1);
const bob = address(2);
const carol = address(3);
const SUPPLY = 1_000_000n;

function hex(bytes: Uint8Array): `0x${string}` {
  return bytesToHex(bytes) as `0x${string}`;
}

function call(functionName: 'transfer' | 'approve', args: readonly [Uint8Array, bigint]): Uint8Array {
  return hexToBytes(encodeFunctionData({ abi: tokenAbi, functionName, args: [hex(args[0]), args[1]] }));
}

function deployData(): Uint8Array {
  const { Token } = compileFixture('Token.sol');
  const args = encodeAbiParameters(
    [{ type: 'string' }, { type: 'string' }, { type: 'uint256' }],
    ['Weft Token', 'WFT', SUPPLY],
  );
  return concatBytes(Token!.bytecode, hexToBytes(args));
}

async function balanceOf(h: Harness, token: Uint8Array, who: Uint8Array): Promise<bigint> {
  const result = await h.executor.call(h.context(100n), {
    to: token,
    data: hexToBytes(encodeFunctionData({ abi: tokenAbi, functionName: 'balanceOf', args: [hex(who)] })),
  });
  expect(result.status).toBe(1);
  return decodeFunctionResult({ abi: tokenAbi, functionName: 'balanceOf', data: hex(result.output) });
}

describe('ERC-20 on the flat state', () => {
  let h: Harness;
  let token: Uint8Array;

  beforeAll(async () => {
    h = await createHarness('ecdsa');
    const genesis = await h.executor.applyGenesis([
      { address: alice, balance: 10n ** 18n },
      { address: bob, balance: 0n },
    ]);
    h.commit(genesis.diff);
    const deploy = tx({ sender: alice, kind: 'legacy', nonce: 0n, data: deployData() });
    const block = await h.executor.executeBlock(h.context(1n), [deploy], { mode: 'build' });
    expect(block.invalid).toEqual([]);
    const receipt = block.receipts[0]!;
    expect(receipt.status).toBe(1);
    expect(receipt.contractAddress).not.toBeNull();
    token = receipt.contractAddress!;
    // The constructor's Transfer(0 → alice, supply) event.
    expect(receipt.logs).toHaveLength(1);
    expect(bytesToHex(receipt.logs[0]!.address)).toBe(bytesToHex(token));
    h.commit(block.diff);
  });

  it('deploys at the CREATE address of the sender and nonce 0', async () => {
    // CREATE address = keccak256(rlp([sender, nonce]))[12:] (Yellow Paper §7), here nonce 0 → 0x80.
    const rlp = concatBytes(Uint8Array.of(0xd6, 0x94), alice, Uint8Array.of(0x80));
    expect(bytesToHex(token)).toBe(bytesToHex(hexToBytes(keccak256(rlp)).subarray(12)));
    expect((await h.executor.getCode(token)).length).toBeGreaterThan(0);
    expect(await h.executor.getNonce(alice)).toBe(1n);
    expect(await balanceOf(h, token, alice)).toBe(SUPPLY);
  });

  it('transfers, emits Transfer logs and meters gas', async () => {
    const txs = [
      tx({ sender: alice, to: token, kind: 'legacy', nonce: 1n, data: call('transfer', [bob, 100n]) }),
      tx({ sender: alice, to: token, kind: 'eip1559', nonce: 2n, data: call('transfer', [carol, 50n]) }),
      tx({ sender: bob, to: token, kind: 'weft', nonce: 987654321n, data: call('transfer', [carol, 30n]) }),
    ];
    const block = await h.executor.executeBlock(h.context(2n), txs, { mode: 'build' });
    expect(block.included).toHaveLength(3);
    expect(block.receipts.map((r) => r.status)).toEqual([1, 1, 1]);
    let cumulative = 0n;
    for (const receipt of block.receipts) {
      // Intrinsic 21000 + calldata, plus at least one SSTORE: more than 21k, well under 100k.
      expect(receipt.gasUsed).toBeGreaterThan(30_000n);
      expect(receipt.gasUsed).toBeLessThan(100_000n);
      cumulative += receipt.gasUsed;
      expect(receipt.cumulativeGasUsed).toBe(cumulative);
      expect(receipt.logs).toHaveLength(1);
      const log = receipt.logs[0]!;
      expect(bytesToHex(log.topics[0]!)).toBe(keccak256(toHex('Transfer(address,address,uint256)')));
    }
    expect(block.gasUsed).toBe(cumulative);
    const first = block.receipts[0]!.logs[0]!;
    expect(bytesToHex(first.topics[1]!.subarray(12))).toBe(bytesToHex(alice));
    expect(bytesToHex(first.topics[2]!.subarray(12))).toBe(bytesToHex(bob));
    expect(bytesToHex(first.data)).toBe(
      bytesToHex(hexToBytes(encodeAbiParameters([{ type: 'uint256' }], [100n]))),
    );
    // Nothing is visible before the node commits the block.
    expect(await balanceOf(h, token, carol)).toBe(0n);
    h.commit(block.diff);
    expect(await balanceOf(h, token, alice)).toBe(SUPPLY - 150n);
    expect(await balanceOf(h, token, bob)).toBe(70n);
    expect(await balanceOf(h, token, carol)).toBe(80n);
    // A native transaction's random nonce is not compared, but the account nonce still counts up.
    expect(await h.executor.getNonce(bob)).toBe(1n);
    expect(await h.executor.getNonce(alice)).toBe(3n);
    expect(bytesToHex(h.state.committedStateRoot)).toBe(bytesToHex(block.stateRoot));
  });

  it('includes a reverted transfer with its reason; only the nonce changes', async () => {
    const before = h.state.committedStateRoot;
    const overdraw = tx({
      sender: bob,
      to: token,
      kind: 'legacy',
      nonce: 1n,
      data: call('transfer', [carol, 1_000n]),
    });
    const block = await h.executor.executeBlock(h.context(3n), [overdraw], { mode: 'verify' });
    const receipt = block.receipts[0]!;
    expect(receipt.status).toBe(0);
    expect(receipt.revertReason).toBe('insufficient balance');
    expect(receipt.logs).toEqual([]);
    // The whole diff is the sender's account record (nonce) and the accumulator.
    expect(block.diff.changed).toEqual({ accounts: 1, slots: 0, codes: 0 });
    h.commit(block.diff);
    expect(bytesToHex(h.state.committedStateRoot)).not.toBe(bytesToHex(before));
    expect(await h.executor.getNonce(bob)).toBe(2n);
    expect(await balanceOf(h, token, bob)).toBe(70n);
  });

  it('fails a transfer that runs out of gas, charging the whole limit', async () => {
    const starved = tx({
      sender: alice,
      to: token,
      kind: 'legacy',
      nonce: 3n,
      gasLimit: 30_000n,
      data: call('transfer', [bob, 1n]),
    });
    const block = await h.executor.executeBlock(h.context(4n), [starved], { mode: 'verify' });
    const receipt = block.receipts[0]!;
    expect(receipt.status).toBe(0);
    expect(receipt.revertReason).toBe('out of gas');
    expect(receipt.gasUsed).toBe(30_000n);
    h.commit(block.diff);
    expect(await balanceOf(h, token, bob)).toBe(70n);
    expect(await h.executor.getNonce(alice)).toBe(4n);
  });

  it('rejects wrong nonces: dropped when building, the whole block when verifying', async () => {
    const stale = tx({
      sender: alice,
      to: token,
      kind: 'legacy',
      nonce: 0n,
      data: call('transfer', [bob, 1n]),
    });
    const ahead = tx({
      sender: alice,
      to: token,
      kind: 'eip2930',
      nonce: 9n,
      data: call('transfer', [bob, 1n]),
    });
    const good = tx({
      sender: alice,
      to: token,
      kind: 'legacy',
      nonce: 4n,
      data: call('transfer', [bob, 1n]),
    });
    const built = await h.executor.executeBlock(h.context(5n), [stale, good, ahead], { mode: 'build' });
    expect(built.included).toEqual([good]);
    expect(built.invalid.map((i) => i.error.code)).toEqual(['NONCE_TOO_LOW', 'INVALID_TRANSACTION']);
    expect(built.invalid[0]!.error.details).toEqual({ expected: '4', actual: '0' });

    const rootBefore = h.state.committedStateRoot;
    const rejected = await h.executor.executeBlock(h.context(5n), [good, stale], { mode: 'verify' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isWeftError(rejected, 'INVALID_BLOCK')).toBe(true);
    // Verification failed: the committed state is untouched, and the same block of valid txs still runs.
    expect(h.state.committedStateRoot).toEqual(rootBefore);
    const again = await h.executor.executeBlock(h.context(5n), [good], { mode: 'verify' });
    expect(again.stateRoot).toEqual(built.stateRoot);
  });

  it('rejects a transaction whose gas limit is below its intrinsic gas', async () => {
    const cheap = tx({
      sender: alice,
      to: token,
      kind: 'legacy',
      nonce: 4n,
      gasLimit: 21_000n,
      data: call('transfer', [bob, 1n]),
    });
    const built = await h.executor.executeBlock(h.context(5n), [cheap], { mode: 'build' });
    expect(built.included).toEqual([]);
    expect(built.invalid[0]!.error.code).toBe('INVALID_TRANSACTION');
  });

  it('stops a block at its gas limit and defers the rest', async () => {
    const txs = [4n, 5n, 6n].map((nonce) =>
      tx({
        sender: alice,
        to: token,
        kind: 'legacy',
        nonce,
        gasLimit: 29_990_000n,
        data: call('transfer', [bob, 1n]),
      }),
    );
    const built = await h.executor.executeBlock(h.context(5n), txs, { mode: 'build' });
    // Yellow Paper §6: a transaction fits when its gas limit is at most the block gas limit minus the
    // gas used so far. The first uses ~35k of the 30M, so the second's 29.99M limit no longer fits.
    expect(built.included).toEqual([txs[0]]);
    expect(built.deferred).toEqual([txs[1], txs[2]]);
    await expect(h.executor.executeBlock(h.context(5n), txs, { mode: 'verify' })).rejects.toMatchObject({
      code: 'INVALID_BLOCK',
    });
  });

  it('answers eth_call and eth_estimateGas without changing the state', async () => {
    const root = h.state.committedStateRoot;
    const data = call('transfer', [carol, 5n]);
    const result = await h.executor.call(h.context(5n), { from: alice, to: token, data });
    expect(result.status).toBe(1);
    expect(result.logs).toHaveLength(1);
    const estimate = await h.executor.estimateGas(h.context(5n), { from: alice, to: token, data });
    expect(estimate).toBeGreaterThanOrEqual(result.gasUsed);
    const withEstimate = tx({
      sender: alice,
      to: token,
      kind: 'legacy',
      nonce: 4n,
      gasLimit: estimate,
      data,
    });
    const block = await h.executor.executeBlock(h.context(5n), [withEstimate], { mode: 'build' });
    expect(block.receipts[0]!.status).toBe(1);
    const failing = await h.executor.call(h.context(5n), {
      from: bob,
      to: token,
      data: call('transfer', [carol, 10n ** 9n]),
    });
    expect(failing.status).toBe(0);
    expect(failing.revertReason).toBe('insufficient balance');
    expect(h.state.committedStateRoot).toEqual(root);
    await expect(
      h.executor.estimateGas(h.context(5n), {
        from: bob,
        to: token,
        data: call('transfer', [carol, 10n ** 9n]),
      }),
    ).rejects.toMatchObject({ code: 'EXECUTION_ERROR' });
  });
});
