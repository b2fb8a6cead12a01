import { encodeHeader } from '@weft/core/block';
import { bloomContains } from '@weft/core/bloom';
import type { Log } from '@weft/core/receipt';
import { bytesToHex, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { Chain } from '../chain/chain.js';
import { formatLog } from './format.js';
import { parseAddress, parseHash, parseQuantity } from './hex.js';

/**
 * Log filters (eth_getLogs, eth_newFilter, `logs` subscriptions). A topic position is null (anything),
 * one topic, or a list of alternatives, as in the execution-apis spec. Queries are capped in block span
 * so that one request cannot make the node read its whole history.
 */
export const MAX_LOG_BLOCK_RANGE = 10_000n;
export const MAX_LOG_RESULTS = 20_000;

export interface FilterCriteria {
  fromBlock: bigint;
  toBlock: bigint | null;
  blockHash: Uint8Array | null;
  addresses: Uint8Array[];
  topics: (Uint8Array[] | null)[];
}

export interface LogMatch {
  log: Log;
  json: Record<string, unknown>;
}

async function blockParam(chain: Chain, value: unknown, fallback: bigint): Promise<bigint> {
  if (
    value === undefined ||
    value === null ||
    value === 'latest' ||
    value === 'pending' ||
    value === 'safe' ||
    value === 'finalized'
  ) {
    return fallback;
  }
  if (value === 'earliest') return 0n;
  return parseQuantity(value, 'block number', 2n ** 63n);
}

export async function parseFilterCriteria(chain: Chain, value: unknown): Promise<FilterCriteria> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WeftError('INVALID_ARGUMENT', 'filter must be an object');
  }
  const o = value as Record<string, unknown>;
  const addresses =
    o.address === undefined || o.address === null
      ? []
      : Array.isArray(o.address)
        ? o.address.map((a) => parseAddress(a))
        : [parseAddress(o.address)];
  if (o.topics !== undefined && o.topics !== null && !Array.isArray(o.topics)) {
    throw new WeftError('INVALID_ARGUMENT', 'topics must be an array');
  }
  const rawTopics = (o.topics ?? []) as unknown[];
  if (rawTopics.length > 4) throw new WeftError('INVALID_ARGUMENT', 'at most 4 topic positions');
  const topics = rawTopics.map((t) =>
    t === null ? null : Array.isArray(t) ? t.map((x) => parseHash(x, 'topic')) : [parseHash(t, 'topic')],
  );
  if (o.blockHash !== undefined && o.blockHash !== null) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined) {
      throw new WeftError('INVALID_ARGUMENT', 'blockHash cannot be combined with fromBlock/toBlock');
    }
    return {
      fromBlock: 0n,
      toBlock: null,
      blockHash: parseHash(o.blockHash, 'blockHash'),
      addresses,
      topics,
    };
  }
  const head = chain.head.number;
  const fromBlock = await blockParam(chain, o.fromBlock, head);
  const toIsLatest =
    o.toBlock === undefined || o.toBlock === null || o.toBlock === 'latest' || o.toBlock === 'pending';
  const toBlock = toIsLatest ? null : await blockParam(chain, o.toBlock, head);
  return { fromBlock, toBlock, blockHash: null, addresses, topics };
}

function matches(log: Log, c: FilterCriteria): boolean {
  if (c.addresses.length > 0 && !c.addresses.some((a) => equalBytes(a, log.address))) return false;
  for (let i = 0; i < c.topics.length; i++) {
    const wanted = c.topics[i];
    if (wanted === null || wanted === undefined) continue;
    const topic = log.topics[i];
    if (topic === undefined || !wanted.some((w) => equalBytes(w, topic))) return false;
  }
  return true;
}

function bloomMayMatch(chain: Chain, bloom: Uint8Array, c: FilterCriteria): boolean {
  const hash = (d: Uint8Array) => chain.suite.hash(d);
  if (c.addresses.length > 0 && !c.addresses.some((a) => bloomContains(bloom, hash, a))) return false;
  for (const wanted of c.topics) {
    if (wanted && wanted.length > 0 && !wanted.some((t) => bloomContains(bloom, hash, t))) return false;
  }
  return true;
}

/** Logs of one committed block that match the criteria, with their positions. */
export async function blockLogs(chain: Chain, number: bigint, c: FilterCriteria): Promise<LogMatch[]> {
  const header = await chain.store.getHeader(number);
  if (!header || !bloomMayMatch(chain, header.logsBloom, c)) return [];
  const blockHash = chain.suite.hash(encodeHeader(header));
  const receipts = await chain.store.getReceipts(number);
  const txHashes = await chain.store.getTxHashes(number);
  const out: LogMatch[] = [];
  let logIndex = 0;
  receipts.forEach((receipt, index) => {
    for (const log of receipt.logs) {
      if (matches(log, c)) {
        const txHash = txHashes[index] as Uint8Array;
        out.push({ log, json: formatLog(log, { blockHash, blockNumber: number, index, txHash, logIndex }) });
      }
      logIndex++;
    }
  });
  return out;
}

export async function queryLogs(chain: Chain, c: FilterCriteria): Promise<LogMatch[]> {
  if (c.blockHash) {
    const n = await chain.store.getNumberByHash(c.blockHash);
    if (n === undefined) throw new WeftError('NOT_FOUND', `block ${bytesToHex(c.blockHash)} not found`);
    return blockLogs(chain, n, c);
  }
  const head = chain.head.number;
  const to = c.toBlock === null || c.toBlock > head ? head : c.toBlock;
  if (c.fromBlock > to) return [];
  if (to - c.fromBlock + 1n > MAX_LOG_BLOCK_RANGE) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      `block range too large (${to - c.fromBlock + 1n} blocks); query at most ${MAX_LOG_BLOCK_RANGE} blocks at a time`,
    );
  }
  const out: LogMatch[] = [];
  for (let n = c.fromBlock; n <= to; n++) {
    out.push(...(await blockLogs(chain, n, c)));
    if (out.length > MAX_LOG_RESULTS) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `more than ${MAX_LOG_RESULTS} logs match; narrow the block range`,
      );
    }
  }
  return out;
}
