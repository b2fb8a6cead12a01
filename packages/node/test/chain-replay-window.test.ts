import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type GenesisConfig } from '@weft/core/genesis';
import { randomWeftNonce, signLegacyTx, signWeftTx } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain/chain.js';

/**
 * The replay window of native transactions survives a restart: it is rebuilt at start-up from each
 * block's stored native-transaction index, and from the raw transactions for blocks stored before
 * that index existed.
 */
const suite = getSuite('ecdsa');
const CHAIN_ID = 4711n;
const sealer = suite.generateKeyPair();
const user = suite.generateKeyPair();
const userAddress = suite.addressFromPublicKey(user.publicKey);
// Sends the Ethereum-kind transaction (native ones move the account nonce too).
const other = suite.generateKeyPair();
const genesis: GenesisConfig = {
  chainId: CHAIN_ID,
  chainName: 'replay',
  suite: 'ecdsa',
  timestamp: 1_700_000_000_000n,
  nodes: [{ nodeId: sealer.publicKey, org: 'org0', role: 'sealer' }],
  settings: DEFAULT_SETTINGS,
  alloc: [
    { address: userAddress, balance: 10n ** 18n },
    { address: suite.addressFromPublicKey(other.publicKey), balance: 10n ** 18n },
  ],
};

function nativeTransfer(): Uint8Array {
  return signWeftTx(
    suite,
    {
      chainId: CHAIN_ID,
      nonce: randomWeftNonce(),
      blockLimit: 100n,
      to: new Uint8Array(20).fill(3),
      value: 1n,
      data: new Uint8Array(0),
      gasLimit: 50_000n,
    },
    user.privateKey,
  );
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-replay-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sealOne(chain: Chain, raws: readonly Uint8Array[]) {
  for (const raw of raws) await chain.pool.addRaw(raw);
  const prepared = await chain.buildBlock(suite.addressFromPublicKey(sealer.publicKey));
  await chain.commit(prepared);
  return prepared.block;
}

/** Whether the chain refuses `raw` as a replay of a committed transaction (else it is admitted, then dropped). */
async function refusesAsReplay(chain: Chain, raw: Uint8Array): Promise<boolean> {
  try {
    await chain.pool.addRaw(raw);
  } catch (error) {
    if (isWeftError(error) && error.code === 'REPLAYED_TRANSACTION') return true;
    throw error;
  }
  chain.pool.drop(chain.pool.select(100));
  return false;
}

describe('replay window across restarts', () => {
  it('refuses a committed native transaction again after a restart, with and without the stored index', async () => {
    const dataDir = join(dir, 'chain');
    const natives = [nativeTransfer(), nativeTransfer()];
    // An Ethereum-kind transaction in the same block: not part of the native window.
    const legacy = signLegacyTx(
      suite,
      {
        chainId: CHAIN_ID,
        nonce: 0n,
        gasPrice: 0n,
        gasLimit: 50_000n,
        to: new Uint8Array(20).fill(4),
        value: 1n,
        data: new Uint8Array(0),
      },
      other.privateKey,
    );
    let chain = await Chain.open({ dataDir, genesis, suite });
    const block = await sealOne(chain, [...natives, legacy]);
    expect(block.transactions).toHaveLength(3);
    expect(await refusesAsReplay(chain, natives[0] as Uint8Array)).toBe(true);
    // The index holds exactly the native transactions' hashes.
    const indexed = await chain.store.getNativeTxHashes(block.header.number);
    expect(indexed?.map(bytesToHex).sort()).toEqual(
      block.transactions
        .filter((tx) => tx.kind === 'weft')
        .map((tx) => bytesToHex(tx.hash))
        .sort(),
    );
    await chain.close();

    chain = await Chain.open({ dataDir, genesis, suite });
    for (const raw of natives) expect(await refusesAsReplay(chain, raw)).toBe(true);
    expect(await refusesAsReplay(chain, nativeTransfer())).toBe(false);
    // Make it a database from before the index: the window must come from the raw transactions.
    const indexKey = new Uint8Array(9);
    indexKey[0] = 'N'.charCodeAt(0);
    new DataView(indexKey.buffer).setBigUint64(1, block.header.number);
    await chain.store.db.del(indexKey);
    await chain.close();

    chain = await Chain.open({ dataDir, genesis, suite });
    expect(await chain.store.getNativeTxHashes(block.header.number)).toBeUndefined();
    for (const raw of natives) expect(await refusesAsReplay(chain, raw)).toBe(true);
    await chain.close();
  });
});
