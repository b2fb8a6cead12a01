import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Account, Address } from '@ethereumjs/util';
import { bytesToHex, concatBytes, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { ClassicLevel } from 'classic-level';
import { encodeAbiParameters, encodeFunctionData, parseAbi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlockExecutor } from '../src/execution/executor.js';
import type { BlockContext } from '../src/execution/types.js';
import { auditStateEntries } from '../src/state/audit.js';
import { stateDiffToBatch } from '../src/state/committed.js';
import { createFlatStateManager } from '../src/state/flat-state-manager.js';
import { stateKeyPrefix } from '../src/state/layout.js';
import { address, CHAIN_ID, tx } from './fixtures/harness.js';
import { compileFixture } from './fixtures/solc.js';

/** The state through a real LevelDB: diff batches written with a block, reopened after a restart. */

const abi = parseAbi(['function transfer(address to, uint256 value) returns (bool)']);
const alice = address(1);
const bob = address(2);

type Db = ClassicLevel<Uint8Array, Uint8Array>;

function openDb(location: string): Db {
  return new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' });
}

function context(number: bigint): BlockContext {
  return {
    number,
    timestamp: 1_700_000_000n + number,
    coinbase: new Uint8Array(20),
    gasLimit: 30_000_000n,
    chainId: CHAIN_ID,
  };
}

async function stateEntries(db: Db): Promise<[Uint8Array, Uint8Array][]> {
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const [key, value] of db.iterator({
    gte: Uint8Array.of(stateKeyPrefix),
    lt: Uint8Array.of(stateKeyPrefix + 1),
  })) {
    out.push([key, value]);
  }
  return out;
}

describe('state persistence in classic-level', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weft-state-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each diff in the block batch, reopens to the same root and values', async () => {
    const suite = getSuite('ecdsa');
    const location = path.join(dir, 'chain');
    let db = openDb(location);
    await db.open();
    const state = await createFlatStateManager({ suite, db });
    const executor = await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: state });

    const genesis = await executor.applyGenesis([
      { address: alice, balance: 10n ** 18n },
      { address: address(9), balance: 1n, storage: [[Uint8Array.of(1), Uint8Array.of(2)]] },
    ]);
    // The node writes the state diff in the same batch as the block (here a stand-in block record).
    await db.batch([
      ...stateDiffToBatch(genesis.diff),
      { type: 'put', key: Uint8Array.of(0x62, 0), value: genesis.stateRoot },
    ]);
    state.applyCommitted(genesis.diff);

    const { Token } = compileFixture('Token.sol');
    const deployData = concatBytes(
      Token!.bytecode,
      hexToBytes(
        encodeAbiParameters([{ type: 'string' }, { type: 'string' }, { type: 'uint256' }], ['T', 'T', 1000n]),
      ),
    );
    const b1 = await executor.executeBlock(
      context(1n),
      [tx({ sender: alice, kind: 'legacy', nonce: 0n, data: deployData })],
      {
        mode: 'build',
      },
    );
    const token = b1.receipts[0]!.contractAddress!;
    await db.batch(stateDiffToBatch(b1.diff));
    state.applyCommitted(b1.diff);
    const transfer = hexToBytes(
      encodeFunctionData({ abi, functionName: 'transfer', args: [bytesToHex(bob) as `0x${string}`, 25n] }),
    );
    const b2 = await executor.executeBlock(
      context(2n),
      [tx({ sender: alice, to: token, kind: 'legacy', nonce: 1n, data: transfer })],
      { mode: 'build', parentStateRoot: b1.stateRoot },
    );
    expect(b2.receipts[0]!.status).toBe(1);
    await db.batch(stateDiffToBatch(b2.diff));
    state.applyCommitted(b2.diff);

    const root = state.committedStateRoot;
    const code = await executor.getCode(token);
    const balanceSlot = await executor.getStorageAt(token, new Uint8Array(32).fill(0));
    await db.close();

    // Restart: a new process would open the same directory.
    db = openDb(location);
    await db.open();
    const reopened = await createFlatStateManager({ suite, db });
    expect(bytesToHex(reopened.committedStateRoot)).toBe(bytesToHex(root));
    const again = await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: reopened });
    expect(await again.getCode(token)).toEqual(code);
    expect(await again.getStorageAt(token, new Uint8Array(32).fill(0))).toEqual(balanceSlot);
    expect(await again.getNonce(alice)).toBe(2n);
    expect(bytesToHex(await again.getStorageAt(address(9), Uint8Array.of(1)))).toBe(
      bytesToHex(new Uint8Array(31).fill(0)).concat('02'),
    );
    expect(bytesToHex((await db.get(Uint8Array.of(0x62, 0))) ?? new Uint8Array(0))).toBe(
      bytesToHex(genesis.stateRoot),
    );
    // The stored entries recompute to the same root from scratch.
    const audit = auditStateEntries(suite, await stateEntries(db));
    expect(audit.problems).toEqual([]);
    expect(bytesToHex(audit.stateRoot)).toBe(bytesToHex(root));
    expect(bytesToHex(audit.storedStateRoot!)).toBe(bytesToHex(root));
    // Execution continues on the reopened state: bob's balance of the token moves on.
    const b3 = await again.executeBlock(
      context(3n),
      [tx({ sender: alice, to: token, kind: 'legacy', nonce: 2n, data: transfer })],
      {
        mode: 'verify',
        parentStateRoot: root,
      },
    );
    expect(b3.receipts[0]!.status).toBe(1);
    await expect(
      again.executeBlock(context(3n), [], { mode: 'verify', parentStateRoot: b3.stateRoot }),
    ).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await db.close();
  });

  it('refuses a diff that was made on another state', async () => {
    const suite = getSuite('ecdsa');
    const db = openDb(path.join(dir, 'other'));
    await db.open();
    const state = await createFlatStateManager({ suite, db });
    // Two blocks built on the same parent: once the first is committed, the second no longer applies.
    const first = state.createView();
    await first.putAccount(new Address(bob), new Account(0n, 1n));
    const d1 = await first.computeDiff();
    const second = state.createView();
    await second.putAccount(new Address(alice), new Account(0n, 2n));
    const d2 = await second.computeDiff();
    state.applyCommitted(d1);
    expect(() => state.applyCommitted(d2)).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    await db.close();
  });

  it('reads in place where the store can, asynchronously where it cannot, the same values', async () => {
    const suite = getSuite('ecdsa');
    const location = path.join(dir, 'reads');
    const db = openDb(location);
    await db.open();
    const writer = await createFlatStateManager({ suite, db });
    const genesis = await (
      await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: writer })
    ).applyGenesis([
      { address: alice, balance: 7n },
      { address: address(9), balance: 1n, storage: [[Uint8Array.of(1), Uint8Array.of(2)]] },
    ]);
    await db.batch(stateDiffToBatch(genesis.diff));
    const calls = { sync: 0, async: 0 };
    const counted = {
      get: (key: Uint8Array) => {
        calls.async++;
        return db.get(key);
      },
      getSync: (key: Uint8Array) => {
        calls.sync++;
        return db.getSync(key);
      },
    };
    const asyncOnly = { get: counted.get };
    for (const reader of [counted, asyncOnly]) {
      const state = await createFlatStateManager({ suite, db: reader });
      const executor = await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: state });
      expect((await executor.getAccount(alice))?.balance).toBe(7n);
      expect(await executor.getAccount(bob)).toBeNull();
      expect(bytesToHex(await executor.getStorageAt(address(9), Uint8Array.of(1)))).toBe(
        bytesToHex(new Uint8Array(31).fill(0)).concat('02'),
      );
    }
    // The accumulator is read asynchronously when the state opens; everything after in place.
    expect(calls.sync).toBeGreaterThanOrEqual(3);
    expect(calls.async).toBeGreaterThanOrEqual(4);

    // A failing store is a STORAGE_ERROR that names no key or value, and nothing is cached from it.
    let failing = true;
    const flaky = {
      get: (key: Uint8Array) => db.get(key),
      getSync: (key: Uint8Array) => {
        if (failing) throw new Error('IO error: /secret/path/000123.ldb');
        return db.getSync(key);
      },
    };
    const state = await createFlatStateManager({ suite, db: flaky });
    const executor = await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: state });
    const error = await executor.getAccount(alice).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', message: 'state read failed' });
    failing = false;
    expect((await executor.getAccount(alice))?.balance).toBe(7n);
    await db.close();
  });
});
