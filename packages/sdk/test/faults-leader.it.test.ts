import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blocksOf,
  certificateProblems,
  certificateView,
  chainDifferences,
  chainIdentity,
  headOf,
  headsOf,
  highest,
  indexOfNode,
  lowest,
  nodeStatus,
  waitForHeights,
} from './helpers/chain-checks.js';
import { startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';

/**
 * Fault test (issue 3, item 8): kill the PBFT leader of a 4-sealer network with SIGKILL. The other three
 * (a quorum, q = 3 of n = 4) must change view past it and keep committing; restarted, it must catch up by
 * block sync to the very same chain. leader(h, v) = validators[(h + v) mod n] (docs/consensus.md §2), so
 * the dead node is the view-0 leader of every fourth height: each of those needs a view change.
 */

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4 });
});

afterAll(async () => {
  await net?.close();
});

describe('killing the leader', () => {
  it('the other three change view and keep committing; the restarted leader catches up to the same chain', async () => {
    await waitForHeights(net.urls, 2n, 60_000, 'the first blocks on all four nodes');
    const statuses = await Promise.all(net.urls.map(nodeStatus));
    expect(statuses.every((s) => s.consensus.algorithm === 'pbft' && s.consensus.sealers === 4)).toBe(true);
    // Ask the node furthest ahead who leads the height it is deciding.
    const ahead = statuses.reduce((a, b) => (BigInt(b.blockNumber) > BigInt(a.blockNumber) ? b : a));
    const leader = indexOfNode(statuses, ahead.consensus.leader);
    expect(leader).toBeGreaterThanOrEqual(0);
    await net.stop(leader, 'SIGKILL');
    const survivors = net.urls.filter((_, i) => i !== leader);
    const killedAt = highest(await headsOf(survivors));

    // Blocks resume within seconds: view 0 of the dead leader's height times out (the node's driver
    // gives view 0 ten seconds, consensus-driver.ts DRIVER_TIMEOUTS) and view 1 has a live leader.
    await waitForHeights(survivors, killedAt + 1n, 20_000, 'a new block after the leader died');
    // Go past a whole rotation: one of the next four heights is led by the dead node at view 0.
    const target = killedAt + 4n;
    await waitForHeights(survivors, target, 45_000, 'a full leader rotation without the dead node');
    const identity = await chainIdentity(survivors[0] as string);
    const suite = getSuite(identity.suite as 'ecdsa' | 'sm');
    const deadAddress = bytesToHex(suite.addressFromPublicKey(hexToBytes(statuses[leader]?.nodeId ?? '')));
    const after = await blocksOf(survivors[0] as string, killedAt + 1n, target);
    const itsTurns = after.filter((b) => b !== null && BigInt(b.number) % 4n === BigInt(leader));
    expect(itsTurns.length).toBe(1);
    for (const block of itsTurns) {
      // Decided in a later view, proposed by someone else.
      expect(certificateView(block as NonNullable<typeof block>)).toBeGreaterThanOrEqual(1);
      expect(block?.miner).not.toBe(deadAddress);
    }
    expect(await chainDifferences(survivors, target)).toEqual([]);

    // Restarted, it syncs the blocks it missed and rejoins consensus.
    await net.start(leader);
    const othersHead = highest(await headsOf(survivors));
    await waitFor(
      'the restarted node to catch up',
      async () => (await headOf(net.urls[leader] as string)) > othersHead,
      45_000,
    );
    const common = lowest(await headsOf(net.urls));
    expect(common).toBeGreaterThan(othersHead);
    const restarted = await nodeStatus(net.urls[leader] as string);
    expect(restarted.consensus.sealers).toBe(4);
    expect(await chainDifferences(net.urls, common)).toEqual([]);
    expect(await certificateProblems(net.urls[leader] as string, common)).toEqual([]);
    expect(net.logs(leader)).toMatch(/block sync (started|done)/);
  });
});
