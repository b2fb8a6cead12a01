import { hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { verifyCommitCertificate } from '@weft/node/consensus/certificate';
import { decodeCertificate } from '@weft/node/consensus/codec';
import { rpc, waitFor } from './network.js';

/**
 * Cross-node checks for the fault tests: what each node reports over JSON-RPC, compared across nodes.
 * The consistency property (SYSTEM.md: every honest node sees the same blocks and the same state root)
 * is checked block by block, and every block's commit certificate is verified the way any client would
 * (docs/consensus.md §5).
 */

export interface BlockJson {
  number: string;
  hash: string;
  parentHash: string;
  stateRoot: string;
  miner: string;
  transactions: string[];
  certificate: string;
}

export interface NodeStatusJson {
  name: string;
  nodeId: string;
  blockNumber: string;
  blockHash: string;
  stateRoot: string;
  consensus: {
    algorithm: string;
    height: string;
    view: number;
    phase: string;
    leader: string;
    sealers: number;
    quorum: number;
    syncing: boolean;
  };
}

export interface PeerJson {
  id: string;
  address: { host: string; port: number };
  direction: 'inbound' | 'outbound';
  score: number;
}

export const nodeStatus = (url: string): Promise<NodeStatusJson> =>
  rpc<NodeStatusJson>(url, 'weft_nodeStatus');

export const peersOf = (url: string): Promise<PeerJson[]> => rpc<PeerJson[]>(url, 'weft_peers');

export async function headOf(url: string): Promise<bigint> {
  return BigInt(await rpc<string>(url, 'eth_blockNumber'));
}

export async function headsOf(urls: readonly string[]): Promise<bigint[]> {
  return Promise.all(urls.map(headOf));
}

/** Waits until every node's head is at least `height`; returns the heads. */
export function waitForHeights(
  urls: readonly string[],
  height: bigint,
  timeoutMs: number,
  what = `height ${height} on ${urls.length} nodes`,
): Promise<bigint[]> {
  return waitFor(
    what,
    async () => {
      const heads = await headsOf(urls);
      return heads.every((h) => h >= height) ? heads : undefined;
    },
    timeoutMs,
  );
}

/** Blocks `from..to` of one node in one JSON-RPC batch (the server allows 1,000 calls per batch). */
export async function blocksOf(url: string, from: bigint, to: bigint): Promise<(BlockJson | null)[]> {
  const out: (BlockJson | null)[] = [];
  for (let start = from; start <= to; start += 500n) {
    const end = start + 499n < to ? start + 499n : to;
    const calls = [];
    for (let n = start; n <= end; n++) {
      calls.push({
        jsonrpc: '2.0',
        id: Number(n),
        method: 'eth_getBlockByNumber',
        params: [`0x${n.toString(16)}`, false],
      });
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(calls),
    });
    const answers = (await res.json()) as { id: number; result?: BlockJson | null }[];
    const byId = new Map(answers.map((a) => [a.id, a.result ?? null]));
    for (let n = start; n <= end; n++) out.push(byId.get(Number(n)) ?? null);
  }
  return out;
}

/**
 * Every height in `from..upTo` where the nodes disagree on the block hash or the state root (or a node
 * lacks the block), as readable lines; empty means one chain.
 */
export async function chainDifferences(urls: readonly string[], upTo: bigint, from = 0n): Promise<string[]> {
  const chains = await Promise.all(urls.map((url) => blocksOf(url, from, upTo)));
  const problems: string[] = [];
  for (let i = 0; i <= Number(upTo - from); i++) {
    const height = from + BigInt(i);
    const blocks = chains.map((c) => c[i] ?? null);
    if (blocks.some((b) => b === null)) {
      problems.push(
        `height ${height}: missing on nodes ${blocks.flatMap((b, n) => (b ? [] : [n])).join(',')}`,
      );
      continue;
    }
    const hashes = new Set(blocks.map((b) => b?.hash));
    const roots = new Set(blocks.map((b) => b?.stateRoot));
    if (hashes.size > 1) problems.push(`height ${height}: hashes ${[...hashes].join(' ')}`);
    if (roots.size > 1) problems.push(`height ${height}: state roots ${[...roots].join(' ')}`);
  }
  return problems;
}

export interface ChainIdentity {
  chainId: bigint;
  suite: string;
  /** The ordered sealer list (consensus public keys). */
  validators: Uint8Array[];
}

export async function chainIdentity(url: string): Promise<ChainIdentity> {
  const info = await rpc<{ chainId: string; suite: string; nodes: { nodeId: string; role: string }[] }>(
    url,
    'weft_chainInfo',
  );
  return {
    chainId: BigInt(info.chainId),
    suite: info.suite,
    validators: info.nodes.filter((n) => n.role === 'sealer').map((n) => hexToBytes(n.nodeId)),
  };
}

/** The view a block was decided in, read from its commit certificate. */
export function certificateView(block: BlockJson): number {
  return decodeCertificate(hexToBytes(block.certificate)).view;
}

/**
 * Heights in `from..upTo` (from ≥ 1: genesis has no certificate) whose stored commit certificate does not
 * prove the block final under the chain's sealer list — the genesis list: these tests never change it.
 */
export async function certificateProblems(url: string, upTo: bigint, from = 1n): Promise<string[]> {
  const identity = await chainIdentity(url);
  const suite = getSuite(identity.suite as 'ecdsa' | 'sm');
  const blocks = await blocksOf(url, from, upTo);
  const problems: string[] = [];
  blocks.forEach((block, i) => {
    const height = from + BigInt(i);
    if (!block) {
      problems.push(`height ${height}: no block`);
      return;
    }
    const ok = verifyCommitCertificate(hexToBytes(block.certificate), {
      chainId: identity.chainId,
      height,
      blockHash: hexToBytes(block.hash),
      validators: identity.validators,
      crypto: suite,
    });
    if (!ok) problems.push(`height ${height}: certificate does not verify`);
  });
  return problems;
}

/** Index of the node whose node id is `nodeIdHex` among `statuses`. */
export function indexOfNode(statuses: readonly NodeStatusJson[], nodeIdHex: string): number {
  return statuses.findIndex((s) => s.nodeId.toLowerCase() === nodeIdHex.toLowerCase());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Largest of some block heights (Math.max does not take bigints). */
export function highest(values: readonly bigint[]): bigint {
  let best = values[0] ?? 0n;
  for (const v of values) if (v > best) best = v;
  return best;
}

/** Smallest of some block heights. */
export function lowest(values: readonly bigint[]): bigint {
  let best = values[0] ?? 0n;
  for (const v of values) if (v < best) best = v;
  return best;
}
