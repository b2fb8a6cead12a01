import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import {
  chainDifferences,
  headOf,
  headsOf,
  highest,
  lowest,
  waitForHeights,
} from './helpers/chain-checks.js';
import { receiptBlockHashes, startNativeLoad } from './helpers/load.js';
import { startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';

/**
 * Fault test (issue 3, item 8): `kill -9` a sealer of a 4-sealer network while clients keep sending native
 * transactions to the other three, then restart it. The restarted node must catch up by block sync and
 * agree with the others on every block hash and every state root; every transaction whose receipt any
 * node reported must be in the same block on all four (a reported receipt is final: SYSTEM.md,
 * "certainty of assets"; docs/consensus.md §7).
 */

const VICTIM = 2;

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4 });
});

afterAll(async () => {
  await net?.close();
});

describe('a sealer killed under load', () => {
  it('restarts, catches up, and every node holds the same blocks, state roots and reported transactions', async () => {
    await waitForHeights(net.urls, 1n, 60_000, 'the first block on all four nodes');
    const live = net.urls.filter((_, i) => i !== VICTIM);
    const info = await createClient(live[0] as string).chainInfo();
    const load = startNativeLoad({
      urls: live,
      info,
      workers: 4,
      batch: 10,
      receiptTimeoutMs: 60_000,
      pollMs: 50,
    });
    try {
      await waitFor('transactions final before the crash', async () => load.final.size >= 150, 60_000);
      const beforeCrash = new Map(load.final);
      await net.stop(VICTIM, 'SIGKILL');
      const crashedAt = highest(await headsOf(live));
      // The survivors are a quorum (3 of 4): the load goes on, past the dead node's turns as leader.
      await waitForHeights(live, crashedAt + 4n, 45_000, 'blocks under load without the victim');
      const whileDown = load.final.size;
      expect(whileDown).toBeGreaterThan(beforeCrash.size);

      await net.start(VICTIM);
      // It catches up while the load keeps running.
      await waitFor(
        'the restarted sealer to catch up under load',
        async () => (await headOf(net.urls[VICTIM] as string)) >= highest(await headsOf(live)) - 1n,
        45_000,
      );
      // And takes part again: the heights keep moving with it on board.
      const rejoined = await headOf(net.urls[VICTIM] as string);
      await waitForHeights(net.urls, rejoined + 2n, 30_000, 'two more heights with all four');
      expect(load.final.size).toBeGreaterThan(whileDown);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);

    const common = lowest(await headsOf(net.urls));
    expect(await chainDifferences(net.urls, common)).toEqual([]);
    // Every reported receipt is on every node, in the block it was reported in.
    const reported = [...load.final].filter(([, f]) => BigInt(f.blockNumber) <= common);
    expect(reported.length).toBeGreaterThanOrEqual(150);
    for (const url of net.urls) {
      const found = await receiptBlockHashes(
        url,
        reported.map(([hash]) => hash),
      );
      const wrong = reported.filter(([hash, f]) => found.get(hash) !== f.blockHash);
      expect(wrong.length, `${url}: ${wrong.length} reported transactions missing or moved`).toBe(0);
    }
    expect(net.logs(VICTIM)).toMatch(/block sync done/);
  });
});
