import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blocksOf,
  certificateProblems,
  certificateView,
  chainDifferences,
  headsOf,
  highest,
  lowest,
  nodeStatus,
  peersOf,
  sleep,
  waitForHeights,
} from './helpers/chain-checks.js';
import { startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';
import { createTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/**
 * Fault test (issue 3, item 8): a 2–2 partition of four sealers. Every connection runs through a TCP
 * relay the test controls (each node's `p2p.peers` lists only relays, one per peer), so cutting the relays
 * between {0, 1} and {2, 3} splits the network for real. Neither half is a quorum (q = 3 of 4,
 * docs/consensus.md §2): nothing may be committed while it lasts, and nothing may fork. The cut outlasts
 * the view-0 timeout, so both halves ask for view changes they cannot complete; healed, all four must
 * meet in a common view and go on with one chain.
 */

const SIDE = [0, 0, 1, 1];
/** Longer than the node's view-0 timeout (10 s, consensus-driver.ts) plus the height's start. */
const PARTITION_MS = 13_000;

let net: TestNetwork;
/** relays[i][j] carries node i's connections to node j. */
const relays: (TcpProxy | undefined)[][] = [];

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4, startAll: false });
  for (let i = 0; i < 4; i++) {
    relays[i] = [];
    for (let j = 0; j < 4; j++) {
      if (i === j) continue;
      (relays[i] as (TcpProxy | undefined)[])[j] = await createTcpProxy({
        host: '127.0.0.1',
        port: net.p2pPorts[j] as number,
      });
    }
    net.setPeers(
      i,
      (relays[i] as (TcpProxy | undefined)[]).flatMap((r) => (r ? [`127.0.0.1:${r.port}`] : [])),
    );
  }
  for (let i = 0; i < 4; i++) await net.start(i);
});

afterAll(async () => {
  await net?.close();
  await Promise.all(relays.flat().map((r) => r?.close()));
});

const crossing = () =>
  relays.flatMap((row, i) => row.filter((r, j): r is TcpProxy => r !== undefined && SIDE[i] !== SIDE[j]));

describe('a 2-2 partition', () => {
  it('commits nothing and forks nothing while cut, and resumes with one chain when healed', async () => {
    await waitForHeights(net.urls, 2n, 60_000, 'the first blocks on all four nodes');
    // Every connection goes through a relay: a node dials only relays, and each pair is connected.
    for (let i = 0; i < 4; i++) {
      const peers = await peersOf(net.urls[i] as string);
      expect(peers).toHaveLength(3);
      const relayPorts = new Set(relays[i]?.map((r) => r?.port));
      for (const p of peers.filter((x) => x.direction === 'outbound')) {
        expect(relayPorts.has(p.address.port)).toBe(true);
      }
    }
    expect(relays.flat().every((r) => r === undefined || r.accepted > 0)).toBe(true);

    for (const relay of crossing()) relay.cut();
    const cutAt = Date.now();
    // Each node keeps only its partner: no connection went around the relays.
    await waitFor('the halves to lose each other', async () => {
      const counts = await Promise.all(net.urls.map(async (url) => (await peersOf(url)).length));
      return counts.every((c) => c === 1);
    });
    // A height in flight may still finish where its commits had already arrived; then nothing more.
    await sleep(1_500);
    const frozen = highest(await headsOf(net.urls));
    // Sample the heads until the cut has lasted PARTITION_MS and every node has given up on its view (a
    // node that fetched the last block from its partner late started its view-0 clock late).
    const samples: bigint[] = [];
    for (;;) {
      samples.push(highest(await headsOf(net.urls)));
      const phases = (await Promise.all(net.urls.map(nodeStatus))).map((s) => s.consensus.phase);
      if (Date.now() - cutAt >= PARTITION_MS && phases.every((p) => p === 'viewChange')) break;
      expect(Date.now() - cutAt, `phases ${phases.join(',')}`).toBeLessThan(PARTITION_MS + 15_000);
      await sleep(500);
    }
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.every((h) => h === frozen)).toBe(true);
    expect(await chainDifferences(net.urls, lowest(await headsOf(net.urls)))).toEqual([]);

    for (const relay of crossing()) relay.heal();
    await waitForHeights(net.urls, frozen + 3n, 45_000, 'progress on all four after healing');
    const common = lowest(await headsOf(net.urls));
    expect(await chainDifferences(net.urls, common)).toEqual([]);
    expect(await certificateProblems(net.urls[0] as string, common)).toEqual([]);
    // The first block after the partition was decided in a later view, by all four together.
    const [first] = await blocksOf(net.urls[0] as string, frozen + 1n, frozen + 1n);
    expect(first).not.toBeNull();
    expect(certificateView(first as NonNullable<typeof first>)).toBeGreaterThanOrEqual(1);
  });
});
