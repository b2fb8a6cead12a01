import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { verifyCommitCertificate } from '@weft/node/consensus/certificate';
import { decodeCertificate } from '@weft/node/consensus/codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import type { ProposalJson } from '../src/governance.js';
import {
  blocksOf,
  chainDifferences,
  headOf,
  headsOf,
  highest,
  lowest,
  type PeerJson,
  peersOf,
  waitForHeights,
} from './helpers/chain-checks.js';
import { receiptBlockHashes, startNativeLoad } from './helpers/load.js';
import {
  CLI,
  freePort,
  rpc,
  runCli,
  startTestNetwork,
  type TestNetwork,
  waitFor,
} from './helpers/network.js';

/**
 * Governance issue, membership test: on a real 4-sealer PBFT chain, an organisation brings a fifth node in
 * the way an operator would — `weft node new`, start it, `weft node add` and `weft gov vote` until the
 * committee's thresholds pass (docs/governance.md, "Proposals and votes") — then it is promoted to sealer,
 * carries the quorum while an original sealer is down (n = 5, f = 1, q = 4: docs/consensus.md §2), is
 * demoted and removed, and can no longer connect. A background load of native transfers against node0 runs
 * throughout; at the end every node holds the same blocks and state roots and every transfer the load was
 * told is final is in the same block on every node (SYSTEM.md: consistency, certainty of assets).
 */

const suite = getSuite('ecdsa');
const STOPPED = 3;

let net: TestNetwork;
let joiner: JoiningNode | undefined;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4 });
});

afterAll(async () => {
  await joiner?.stop();
  await net?.close();
});

/** The fifth node, run as its operator would: `weft node --dir D/node4`, outside the test network's helper. */
interface JoiningNode {
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

async function startJoiningNode(dir: string, url: string): Promise<JoiningNode> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'node', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (d: Buffer) => {
    log = (log + d.toString()).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const node: JoiningNode = {
    url,
    logs: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitFor('node4 RPC', async () => {
      if (child.exitCode !== null) throw new Error(`exited: ${log.slice(-2_000)}`);
      return (await rpc<string>(url, 'eth_blockNumber')) !== undefined;
    });
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}

const orgKey = (org: number) => join(net.dir, 'net', 'orgs', `org${org}`, 'account.key');

/** One `weft … --json` command against node0, signed by an organisation's committee account. */
async function weft<T>(args: string[], org?: number): Promise<T> {
  const url = net.urls[0] as string;
  const r = await runCli([
    ...args,
    '--rpc',
    url,
    '--json',
    ...(org === undefined ? [] : ['--key-file', orgKey(org)]),
  ]);
  if (r.code !== 0) throw new Error(`weft ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface ProposalResult {
  proposal: ProposalJson;
  transactionHash: string;
}

/**
 * Proposes with `proposer`, then votes yes with `voters` in turn. Before the last vote the proposal has the
 * weight of two of four members (50 % < the 67 % participation rate), so it must still be open and
 * `stillOld` must hold; the last vote executes it. Returns the block the proposal executed in.
 */
async function passProposal(
  proposeArgs: string[],
  proposer: number,
  voters: [number, number],
  stillOld: () => Promise<void>,
): Promise<bigint> {
  const proposed = await weft<ProposalResult>(proposeArgs, proposer);
  const id = String(proposed.proposal.id);
  expect(proposed.proposal.status).toBe('open');
  const second = await weft<ProposalResult>(['gov', 'vote', id, 'yes'], voters[0]);
  expect(second.proposal.status).toBe('open');
  expect(second.proposal.forWeight).toBe(2);
  await stillOld();
  const third = await weft<ProposalResult>(['gov', 'vote', id, 'yes'], voters[1]);
  expect(third.proposal.status).toBe('executed');
  expect(third.proposal.closedAt).not.toBeNull();
  return BigInt(third.proposal.closedAt as number);
}

interface ConsensusJson {
  isValidator: boolean;
  sealers: number;
  quorum: number;
}

const consensusOf = (url: string) => rpc<ConsensusJson>(url, 'weft_consensusStatus');
const roleOf = async (url: string) => (await rpc<{ role: string }>(url, 'weft_nodeStatus')).role;
const lists = (peers: readonly PeerJson[], id: string) => peers.some((p) => `0x${p.id}` === id);

/** Refusals of `id` logged by the original nodes (transport.ts: "peer node id is not admitted"). */
function refusalsOf(id: string): number {
  const needle = `id=${id.slice(2)}`;
  let count = 0;
  for (let i = 0; i < 4; i++) {
    for (const line of net.logs(i).split('\n')) {
      if (line.includes('peer node id is not admitted') && line.includes(needle)) count++;
    }
  }
  return count;
}

/** JSON-RPC batch of one method over many parameter lists, answers in order. */
async function batch<T>(url: string, method: string, params: unknown[][]): Promise<T[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params.map((p, id) => ({ jsonrpc: '2.0', id, method, params: p }))),
  });
  const answers = (await res.json()) as { id: number; result: T }[];
  const byId = new Map(answers.map((a) => [a.id, a.result]));
  return params.map((_, id) => byId.get(id) as T);
}

const quantity = (n: bigint) => `0x${n.toString(16)}`;

/**
 * The signers (node ids) of the commit certificates of blocks `from..to` of one node, after checking each
 * certificate the way a client would: against the sealers governance says were in force at that height
 * (docs/consensus.md §5, docs/governance.md "membershipAt"). Throws on the first that does not verify.
 */
async function certificateSigners(url: string, from: bigint, to: bigint): Promise<Map<bigint, string[]>> {
  const chainId = (await createClient(url).chainInfo()).chainId;
  const heights = Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));
  const blocks = await blocksOf(url, from, to);
  const memberships = await batch<{ sealers: { nodeId: string }[] }>(
    url,
    'weft_govMembership',
    heights.map((h) => [quantity(h)]),
  );
  const out = new Map<bigint, string[]>();
  heights.forEach((height, i) => {
    const block = blocks[i];
    const sealers = (memberships[i]?.sealers ?? []).map((s) => s.nodeId);
    if (!block) throw new Error(`no block ${height} on ${url}`);
    const certificate = hexToBytes(block.certificate);
    const ok = verifyCommitCertificate(certificate, {
      chainId,
      height,
      blockHash: hexToBytes(block.hash),
      validators: sealers.map((s) => hexToBytes(s)),
      crypto: suite,
    });
    if (!ok)
      throw new Error(
        `the certificate of block ${height} does not verify under its ${sealers.length} sealers`,
      );
    out.set(
      height,
      decodeCertificate(certificate).signers.map((index) => sealers[index] ?? '?'),
    );
  });
  return out;
}

describe('a new node joins a running 4-sealer chain by committee vote, and leaves again', () => {
  it('observer, sealer (carrying the quorum with a sealer down), observer, removed — under load, without a fork', async () => {
    const urls = net.urls;
    await waitForHeights(urls, 1n, 60_000, 'the first block on all four nodes');
    const info = await createClient(urls[0] as string).chainInfo();
    // Background load against node0: native transfers, each batch awaited; records where each landed.
    const load = startNativeLoad({
      urls: [urls[0] as string],
      info,
      workers: 2,
      batch: 5,
      receiptTimeoutMs: 90_000,
      pollMs: 100,
    });
    // A proposal that only two of the four organisations support stays open, whatever happens meanwhile.
    const stranger = bytesToHex(suite.generateKeyPair().publicKey);
    const standing = await weft<ProposalResult>(
      ['node', 'add', stranger, '--role', 'sealer', '--org', 'org3'],
      3,
    );
    const standingId = String(standing.proposal.id);
    expect((await weft<ProposalResult>(['gov', 'vote', standingId, 'yes'], 2)).proposal.status).toBe('open');
    try {
      // --- The joining organisation's operator makes a node directory and starts the node.
      const rpcPort = await freePort();
      const p2pPort = await freePort();
      const created = await weft<{ nodeId: string; dir: string; rpcUrl: string }>([
        'node',
        'new',
        '--network',
        join(net.dir, 'net'),
        '--org',
        'org0',
        '--rpc-port',
        String(rpcPort),
        '--p2p-port',
        String(p2pPort),
      ]);
      const id = created.nodeId;
      expect(created.dir).toBe(join(net.dir, 'net', 'node4'));
      joiner = await startJoiningNode(created.dir, created.rpcUrl);
      const url4 = joiner.url;

      // Not a member: every peer refuses it, so it has no peers and learns no blocks.
      await waitFor('the original nodes to refuse node4', async () => refusalsOf(id) >= 2, 30_000);
      const notConnected = async () => {
        expect(await peersOf(url4)).toEqual([]);
        for (const u of urls) expect(lists(await peersOf(u), id)).toBe(false);
        expect(await headOf(url4)).toBe(0n);
        expect(await roleOf(url4)).toBe('none');
      };
      await notConnected();

      // --- Admission as observer: org0 proposes, org1 votes (2 of 4: below the threshold), org2 passes it.
      const admittedAt = await passProposal(
        ['node', 'add', id, '--role', 'observer', '--org', 'org0'],
        0,
        [1, 2],
        async () => {
          await notConnected();
          const m = await rpc<{ observers: unknown[] }>(urls[0] as string, 'weft_govMembership');
          expect(m.observers).toEqual([]);
        },
      );
      await waitForHeights(urls, admittedAt + 1n, 30_000, 'the admission on every node');
      await waitFor(
        'node4 to connect to all four',
        async () =>
          (await peersOf(url4)).length === 4 &&
          (await Promise.all(urls.map(peersOf))).every((p) => lists(p, id)),
        45_000,
      );
      await waitFor(
        'node4 to sync to the head',
        async () => (await headOf(url4)) >= highest(await headsOf(urls)) - 1n,
        45_000,
      );
      expect(await roleOf(url4)).toBe('observer');
      expect(await consensusOf(url4)).toMatchObject({ isValidator: false, sealers: 4, quorum: 3 });
      expect(await rpc(urls[0] as string, 'weft_observers')).toEqual([
        { nodeId: id, org: 'org0', address: expect.any(String), connected: true },
      ]);
      expect(await chainDifferences([...urls, url4], await headOf(url4))).toEqual([]);

      // --- Promotion to sealer: five sealers, quorum four, on every node.
      const promotedAt = await passProposal(['node', 'role', id, 'sealer'], 1, [2, 3], async () => {
        expect(await roleOf(url4)).toBe('observer');
      });
      const all = [...urls, url4];
      await waitForHeights(all, promotedAt + 1n, 30_000, 'the promotion on all five nodes');
      for (const u of all) expect(await consensusOf(u)).toMatchObject({ sealers: 5, quorum: 4 });
      expect(await roleOf(url4)).toBe('sealer');
      expect(await consensusOf(url4)).toMatchObject({ isValidator: true });
      const sealerList = await rpc<{ nodeId: string }[]>(urls[0] as string, 'weft_sealers');
      expect(sealerList.find((s) => s.nodeId === id)).toMatchObject({ org: 'org0', connected: true });
      const promotedHead = highest(await headsOf(all));
      await waitForHeights(all, promotedHead + 2n, 45_000, 'blocks decided by five sealers');

      // One original sealer down: the other three and node4 are exactly a quorum, so node4 must sign.
      await net.stop(STOPPED);
      const live = all.filter((_, i) => i !== STOPPED);
      const downAt = highest(await headsOf(live));
      await waitForHeights(live, downAt + 3n, 60_000, 'blocks with a sealer down');
      const whileDown = await certificateSigners(urls[0] as string, downAt + 2n, downAt + 3n);
      for (const [h, signers] of whileDown) expect(signers, `signers of block ${h}`).toContain(id);
      await net.start(STOPPED);
      await waitFor(
        `node${STOPPED} to catch up`,
        async () => (await headOf(urls[STOPPED] as string)) >= highest(await headsOf(live)) - 1n,
        45_000,
      );

      // --- Demotion back to observer: four sealers, quorum three.
      const demotedAt = await passProposal(['node', 'role', id, 'observer'], 2, [3, 0], async () => {
        expect(await consensusOf(url4)).toMatchObject({ isValidator: true, sealers: 5 });
      });
      await waitForHeights(all, demotedAt + 1n, 45_000, 'the demotion on all five nodes');
      for (const u of all) expect(await consensusOf(u)).toMatchObject({ sealers: 4, quorum: 3 });
      expect(await roleOf(url4)).toBe('observer');
      expect(await consensusOf(url4)).toMatchObject({ isValidator: false });

      // --- Removal: the others drop node4 and refuse it from then on; the chain goes on without it.
      const removedAt = await passProposal(['node', 'remove', id], 3, [0, 1], async () => {
        expect(lists(await peersOf(urls[0] as string), id)).toBe(true);
      });
      await waitForHeights(urls, removedAt + 1n, 45_000, 'the removal on the original nodes');
      const refusedBefore = refusalsOf(id);
      await waitFor(
        'node4 to be disconnected',
        async () =>
          (await peersOf(url4)).length === 0 &&
          (await Promise.all(urls.map(peersOf))).every((p) => !lists(p, id)),
        30_000,
      );
      // It keeps dialling (its own config lists the others) and is refused every time.
      await waitFor('node4 to be refused again', async () => refusalsOf(id) > refusedBefore, 30_000);
      const removedHead = highest(await headsOf(urls));
      await waitForHeights(
        urls,
        removedHead + 3n,
        45_000,
        'blocks decided by four sealers after the removal',
      );
      for (const u of urls) expect(await consensusOf(u)).toMatchObject({ sealers: 4, quorum: 3 });
      expect(await peersOf(url4)).toEqual([]);
      // Cut off, node4 stops at most one block after its removal while the others go on.
      const stuckAt = await headOf(url4);
      expect(stuckAt).toBeLessThanOrEqual(removedAt + 1n);
      expect(highest(await headsOf(urls))).toBeGreaterThan(stuckAt + 2n);
      expect(await chainDifferences([...urls, url4], stuckAt)).toEqual([]);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.final.size).toBeGreaterThan(50);

    // No fork, and every block proven final by its own height's sealers: four, then five, then four.
    const common = lowest(await headsOf(urls));
    expect(await chainDifferences(urls, common)).toEqual([]);
    const signers = await certificateSigners(urls[0] as string, 1n, common);
    const sizes = new Set([...signers.values()].map((s) => s.length));
    expect([...sizes].sort()).toEqual([3, 4]);
    // The standing proposal never passed: still open with two votes, and the stranger never became a member.
    const stillOpen = await weft<ProposalJson>(['gov', 'show', standingId]);
    expect(stillOpen).toMatchObject({ status: 'open', forWeight: 2, closedAt: null });
    const finalMembership = await weft<{ sealers: { nodeId: string }[]; observers: unknown[] }>([
      'node',
      'list',
    ]);
    expect(finalMembership.sealers.map((s) => s.nodeId)).not.toContain(stranger);
    expect(finalMembership.sealers).toHaveLength(4);
    expect(finalMembership.observers).toEqual([]);
    // Every transfer the load saw final is in the same block on every original node.
    for (const url of urls) {
      const found = await receiptBlockHashes(url, [...load.final.keys()]);
      const wrong = [...load.final].filter(([hash, landed]) => found.get(hash) !== landed.blockHash);
      expect(wrong.length, `${url}: transfers missing or in another block`).toBe(0);
    }
  });
});
