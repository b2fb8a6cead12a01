import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@weft/crypto/bytes';
import { leaderIndex } from '@weft/node/consensus/certificate';
import { MSG_CONSENSUS, MSG_STATUS, MSG_SYNC_REQUEST, MSG_TX_GOSSIP } from '@weft/node/network/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByzantineSealer } from './helpers/byzantine.js';
import {
  blocksOf,
  certificateProblems,
  chainDifferences,
  headsOf,
  highest,
  lowest,
  peersOf,
  waitForHeights,
} from './helpers/chain-checks.js';
import { startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';

/**
 * Fault test (issue 3, item 8): one byzantine sealer of four (f = 1). The harness takes node3's identity
 * and, instead of running node3, talks to the three honest nodes through the bare transport with messages
 * made by the real codec and signed with node3's real key: two valid conflicting proposals when it leads,
 * conflicting votes, bad signatures, view changes with forged and under-quorum prepared certificates, a
 * sync response with a forged commit certificate, and garbage frames.
 *
 * PBFT's claims under test (docs/consensus.md §7–8): no fork (two honest nodes never commit different
 * blocks), no stall (the honest three are a quorum, so heights keep coming through the byzantine node's
 * turns as leader), and every provable offence is penalised until the transport bans the offender.
 *
 * Penalties add up per honest node (high = 40 points, a ban at 100, docs/p2p.md), so each offence is aimed
 * at a node that can still hear it: node0 gets the equivocations (its third one bans the liar there),
 * node1 the forged signatures, node2 the under-quorum certificate and the sync lie; garbage frames last.
 */

const BYZANTINE = 3;
const HONEST = [0, 1, 2];

let net: TestNetwork;
let byzantine: ByzantineSealer | undefined;
let shadowDir: string;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4, startAll: false });
  shadowDir = mkdtempSync(join(tmpdir(), 'weft-byzantine-'));
  for (const i of HONEST) await net.start(i);
  byzantine = await ByzantineSealer.start({
    nodeDir: net.nodeDir(BYZANTINE),
    dataDir: shadowDir,
    peers: HONEST.map((i) => ({ host: '127.0.0.1', port: net.p2pPorts[i] as number })),
    listenPort: net.p2pPorts[BYZANTINE] as number,
  });
});

afterAll(async () => {
  await byzantine?.close();
  await net?.close();
  rmSync(shadowDir, { recursive: true, force: true });
});

const honestUrls = () => HONEST.map((i) => net.urls[i] as string);
const honestLogs = () => HONEST.map((i) => net.logs(i)).join('\n');

/** Waits until some honest node's log shows `pattern` (a fixed penalty phrase, never peer data). */
const waitForLog = (what: string, pattern: RegExp, nodes = HONEST) =>
  waitFor(what, async () => nodes.some((i) => pattern.test(net.logs(i))), 20_000);

describe('a byzantine sealer among four', () => {
  it('cannot fork or stall the honest three, and they penalise and ban it', async () => {
    const bad = byzantine as ByzantineSealer;
    await waitFor('the byzantine sealer to be connected to all three', async () =>
      HONEST.every((i) => bad.connectedTo(i)),
    );
    // weft_peers shows the impostor as node3, with a clean score so far.
    for (const url of honestUrls()) {
      const peers = await peersOf(url);
      expect(peers.map((p) => p.id)).toContain(bad.idOf(BYZANTINE));
    }
    const startHeight = highest(await headsOf(honestUrls()));

    // 1. Its turn to lead: two valid blocks, A to node0 and B to node1 and node2, then B to node0 too
    //    (provable equivocation there). It votes for A towards node0 and for B towards the others, so B
    //    can gather a quorum (node1, node2 and the liar) while node0 must fetch B by block sync.
    const turn = await bad.waitForTurn(30_000);
    const [a, b] = await bad.buildValidBlocks(2);
    if (!a || !b) throw new Error('no blocks');
    expect(bytesToHex(a.hash)).not.toBe(bytesToHex(b.hash));
    bad.send(0, MSG_CONSENSUS, bad.proposal(turn, 0, a));
    bad.send(1, MSG_CONSENSUS, bad.proposal(turn, 0, b));
    bad.send(2, MSG_CONSENSUS, bad.proposal(turn, 0, b));
    bad.send(0, MSG_CONSENSUS, bad.proposal(turn, 0, b));
    for (const kind of ['prepare', 'commit'] as const) {
      bad.send(0, MSG_CONSENSUS, bad.vote(kind, turn, 0, a.hash));
      bad.send(1, MSG_CONSENSUS, bad.vote(kind, turn, 0, b.hash));
      bad.send(2, MSG_CONSENSUS, bad.vote(kind, turn, 0, b.hash));
    }
    await waitForHeights(honestUrls(), turn, 30_000, 'the byzantine turn to be decided on all honest nodes');
    await waitForLog('node0 to catch the two proposals', /conflicting proposals/, [0]);
    expect(await chainDifferences(honestUrls(), turn)).toEqual([]);
    // What got decided is one of the liar's two blocks (B: the one a quorum prepared), on every node.
    const [decided] = await blocksOf(net.urls[0] as string, turn, turn);
    expect([bytesToHex(a.hash), bytesToHex(b.hash)]).toContain(decided?.hash);

    // 1b. Its next turn: the same split, but node0 never sees B at all, and the liar tells node0 it is far
    //     ahead without ever answering a sync request. node0 must still get B (from an honest node), or
    //     node1 and node2 wait forever for node0, the leader of the next height.
    const turn2 = await bad.waitForTurn(40_000);
    const [a2, b2] = await bad.buildValidBlocks(2);
    if (!a2 || !b2) throw new Error('no blocks');
    bad.send(0, MSG_CONSENSUS, bad.proposal(turn2, 0, a2));
    bad.send(1, MSG_CONSENSUS, bad.proposal(turn2, 0, b2));
    bad.send(2, MSG_CONSENSUS, bad.proposal(turn2, 0, b2));
    for (const kind of ['prepare', 'commit'] as const) {
      bad.send(0, MSG_CONSENSUS, bad.vote(kind, turn2, 0, a2.hash));
      bad.send(1, MSG_CONSENSUS, bad.vote(kind, turn2, 0, b2.hash));
      bad.send(2, MSG_CONSENSUS, bad.vote(kind, turn2, 0, b2.hash));
    }
    const silentLie = setInterval(() => bad.claimHeight(0, bad.honestHeight() + 1000n), 300);
    try {
      await waitForHeights(honestUrls(), turn2 + 1n, 40_000, 'the heights after the silent lie');
    } finally {
      clearInterval(silentLie);
    }
    expect(await chainDifferences(honestUrls(), turn2 + 1n)).toEqual([]);
    const [decided2] = await blocksOf(net.urls[0] as string, turn2, turn2);
    expect([bytesToHex(a2.hash), bytesToHex(b2.hash)]).toContain(decided2?.hash);

    // 2. Votes and view changes for the height after next: the honest nodes buffer them and judge them
    //    when they get there, so no race with a fast height can make them moot.
    const target = bad.honestHeight() + 1n;
    const y = randomBytes(32);
    const z = randomBytes(32);
    bad.send(0, MSG_CONSENSUS, bad.vote('prepare', target, 0, y));
    bad.send(0, MSG_CONSENSUS, bad.vote('prepare', target, 0, z));
    bad.send(0, MSG_CONSENSUS, bad.vote('commit', target, 0, y));
    bad.send(0, MSG_CONSENSUS, bad.vote('commit', target, 0, z));
    bad.send(1, MSG_CONSENSUS, bad.vote('prepare', target, 0, y, { forgeSignature: true }));
    bad.send(1, MSG_CONSENSUS, bad.viewChange(target, 1, bad.forgedPreparedCertificate(0, y, [0, 1, 2])));
    bad.send(2, MSG_CONSENSUS, bad.viewChange(target, 1, bad.forgedPreparedCertificate(0, z, [1])));
    await waitForLog('node0 to catch the double prepare', /conflicting prepare votes/, [0]);
    await waitForLog('node0 to catch the double commit', /conflicting commit votes/, [0]);
    await waitForLog('node1 to catch the forged signature', /bad prepare signature/, [1]);
    await waitForLog('node1 to catch the forged prepared certificate', /forged prepared certificate/, [1]);
    await waitForLog('node2 to catch the under-quorum certificate', /prepared certificate below quorum/, [2]);

    // 3. A lie to node2: "I am far ahead". When it asks for blocks, it gets a valid block whose commit
    //    certificate is forged; block sync must verify the certificate and refuse it.
    bad.serveSync = async () => [await bad.blockWithForgedCertificate()];
    const lie = setInterval(() => bad.claimHeight(2, bad.honestHeight() + 20n), 300);
    try {
      await waitForLog('node2 to refuse the forged commit certificate', /no valid commit certificate/, [2]);
    } finally {
      clearInterval(lie);
    }
    expect(bad.syncRequestsFrom.get(bad.idOf(2))).toBeGreaterThanOrEqual(1);

    // 4. Garbage: malformed payloads of every message type, then a frame of a type nobody registered
    //    (a protocol violation: an immediate ban).
    for (const i of HONEST) {
      bad.send(i, MSG_SYNC_REQUEST, randomBytes(40));
      bad.send(i, MSG_STATUS, randomBytes(60));
      bad.send(i, MSG_TX_GOSSIP, randomBytes(300));
      bad.send(i, MSG_CONSENSUS, randomBytes(200));
    }
    bad.p2p.registerMessageType({ type: 99, name: 'garbage', maxPayloadBytes: 1024 });
    for (const i of HONEST) bad.p2p.send(bad.idOf(i), 99, randomBytes(100));
    await waitFor('every honest node to ban the impostor', async () => {
      const lists = await Promise.all(honestUrls().map(peersOf));
      return lists.every((peers) => !peers.some((p) => p.id === bad.idOf(BYZANTINE)));
    });
    expect(HONEST.every((i) => /p2p peer banned/.test(net.logs(i)))).toBe(true);

    // No stall: banned, it is a dead leader; heights keep coming through its turns (view changes).
    const afterBan = highest(await headsOf(honestUrls()));
    await waitForHeights(honestUrls(), afterBan + 4n, 45_000, 'a full rotation after the ban');
    const end = lowest(await headsOf(honestUrls()));
    const itsTurns = await blocksOf(net.urls[0] as string, startHeight + 1n, end);
    expect(
      itsTurns.filter((block) => block && leaderIndex(BigInt(block.number), 0, 4) === BYZANTINE).length,
    ).toBeGreaterThanOrEqual(2);
    // No fork: every height has one block on all honest nodes, each with a valid commit certificate.
    expect(await chainDifferences(honestUrls(), end)).toEqual([]);
    expect(await certificateProblems(net.urls[0] as string, end)).toEqual([]);
    // The honest nodes still know each other.
    for (const i of HONEST) {
      const peers = await peersOf(net.urls[i] as string);
      expect(peers.map((p) => p.id).sort()).toEqual(
        HONEST.filter((j) => j !== i)
          .map((j) => bad.idOf(j))
          .sort(),
      );
    }
    expect(honestLogs()).toMatch(/peer penalised by consensus/);
  });
});
