import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { getGovernanceSettings, getPermissions, propose, vote } from '../src/governance.js';
import { createSigner, sendNativeTransaction } from '../src/signer.js';
import { rpc, startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';

/**
 * Governance on a real 4-sealer PBFT chain: three of the four organisations pass a setting and a freeze;
 * every node must apply them from the same height, refuse the frozen account, and keep identical blocks.
 */
const suite = getSuite('ecdsa');
let net: TestNetwork;

function orgSigner(i: number) {
  const key = readFileSync(join(net.dir, 'net', 'orgs', `org${i}`, 'account.key'), 'utf8').trim();
  return createSigner(suite, hexToBytes(key));
}

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4 });
});

afterAll(async () => {
  await net?.close();
});

describe('governance on four sealers', () => {
  it('applies a passed setting and a freeze on every node from the same height', async () => {
    const clients = net.urls.map((u) => createClient(u));
    const c0 = clients[0]!;
    const before = (await getGovernanceSettings(c0)).settings.maxTxsPerBlock;
    expect(before).not.toBe(2);
    const proposed = await propose(c0, orgSigner(0), {
      action: { kind: 'setting', key: 'maxTxsPerBlock', value: 2n },
      description: 'small blocks',
    });
    await vote(clients[1]!, orgSigner(1), { id: proposed.proposalId, support: true });
    const decided = await vote(clients[2]!, orgSigner(2), { id: proposed.proposalId, support: true });
    const height = BigInt(decided.receipt.blockNumber);
    for (const c of clients) {
      await waitFor('the deciding block on every node', async () => (await c.blockNumber()) >= height);
      expect((await getGovernanceSettings(c, height)).settings.maxTxsPerBlock).toBe(before);
      expect((await getGovernanceSettings(c, height + 1n)).settings.maxTxsPerBlock).toBe(2);
    }
    // Load through every node: no node may commit a block of more than two transactions.
    const sender = suite.generateKeyPair();
    const signer = createSigner(suite, sender.privateKey);
    const info = await c0.chainInfo();
    const hashes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sendNativeTransaction(clients[i % 4]!, signer, info, {
          to: signer.address,
          data: new Uint8Array(0),
          gasLimit: 100_000n,
        }),
      ),
    );
    const receipts = await Promise.all(hashes.map((h) => c0.waitForReceipt(h)));
    const last = receipts.reduce((m, r) => (BigInt(r.blockNumber) > m ? BigInt(r.blockNumber) : m), 0n);
    for (const c of clients) {
      await waitFor('the load on every node', async () => (await c.blockNumber()) >= last);
      for (let n = height + 1n; n <= last; n++) {
        const count = await rpc<string>(c.url, 'eth_getBlockTransactionCountByNumber', [
          `0x${n.toString(16)}`,
        ]);
        expect(Number(count)).toBeLessThanOrEqual(2);
      }
    }
    const hashesAt = await Promise.all(
      net.urls.map(
        async (u) =>
          (await rpc<{ hash: string }>(u, 'eth_getBlockByNumber', [`0x${last.toString(16)}`, false])).hash,
      ),
    );
    expect(new Set(hashesAt).size).toBe(1);

    // Freeze the load account: three votes, then every node refuses it.
    const freeze = await propose(c0, orgSigner(0), {
      action: { kind: 'freeze-account', account: signer.address, frozen: true },
    });
    await vote(clients[1]!, orgSigner(1), { id: freeze.proposalId, support: true });
    const frozenAt = BigInt(
      (await vote(clients[3]!, orgSigner(3), { id: freeze.proposalId, support: true })).receipt.blockNumber,
    );
    for (const c of clients) {
      await waitFor('the freeze on every node', async () => (await c.blockNumber()) >= frozenAt);
      expect((await getPermissions(c)).frozenAccounts).toEqual([bytesToHex(signer.address)]);
      await expect(
        sendNativeTransaction(c, signer, info, {
          to: signer.address,
          data: new Uint8Array(0),
          gasLimit: 100_000n,
        }),
      ).rejects.toThrow(/frozen by the governance committee/);
    }
  });
});
