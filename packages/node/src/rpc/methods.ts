import { keccak_256 } from '@noble/hashes/sha3.js';
import { type Block, encodeHeader } from '@weft/core/block';
import { createMerkleProof } from '@weft/core/merkle';
import { encodeReceipt, receiptHash } from '@weft/core/receipt';
import type { Transaction } from '@weft/core/tx';
import { bigintToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { Chain } from '../chain/chain.js';
import type { CallRequest } from '../execution/types.js';
import { membersAt } from '../governance/members.js';
import { type FilterCriteria, type LogMatch, parseFilterCriteria, queryLogs } from './filters.js';
import { formatBlock, formatHeader, formatReceipt, formatTransaction } from './format.js';
import { registerGovernanceMethods } from './governance.js';
import { data, parseAddress, parseData, parseHash, parseQuantity, quantity } from './hex.js';

/**
 * The JSON-RPC methods: the `eth_*` / `net_*` / `web3_*` subset that ethers v6, viem, Hardhat and Foundry
 * use, answering as Ethereum clients expect, and the `weft_*` namespace for what Ethereum lacks.
 */
export interface RpcNode {
  readonly chain: Chain;
  readonly clientVersion: string;
  /** Admits a raw transaction (pool + gossip); rejects with the reason. */
  submitTransaction(raw: Uint8Array): Promise<Transaction>;
  nodeStatus(): Record<string, unknown>;
  peers(): unknown[];
}

/** A JSON-RPC error with its code (execution-apis / EIP-1474). */
export class RpcError extends WeftError {
  readonly rpcCode: number;
  readonly rpcData: unknown;
  constructor(rpcCode: number, message: string, rpcData?: unknown) {
    super('RPC_ERROR', message);
    this.rpcCode = rpcCode;
    this.rpcData = rpcData;
  }
}

export type RpcHandler = (params: unknown[]) => Promise<unknown> | unknown;

function param(params: unknown[], index: number, name: string): unknown {
  if (index >= params.length || params[index] === undefined) {
    throw new WeftError('INVALID_ARGUMENT', `missing parameter ${index + 1} (${name})`);
  }
  return params[index];
}

/** Block tags: weft keeps only the latest world state (flat store), but every block and receipt. */
async function resolveBlockNumber(chain: Chain, tag: unknown): Promise<bigint | null> {
  if (
    tag === undefined ||
    tag === null ||
    tag === 'latest' ||
    tag === 'pending' ||
    tag === 'safe' ||
    tag === 'finalized'
  ) {
    return chain.head.number;
  }
  if (tag === 'earliest') return 0n;
  if (typeof tag === 'object' && tag !== null) {
    const o = tag as Record<string, unknown>;
    if (o.blockHash !== undefined) {
      const n = await chain.store.getNumberByHash(parseHash(o.blockHash, 'blockHash'));
      if (n === undefined) throw new RpcError(-32001, 'block not found');
      return n;
    }
    if (o.blockNumber !== undefined) return resolveBlockNumber(chain, o.blockNumber);
  }
  const n = parseQuantity(tag, 'block number', 2n ** 63n);
  return n > chain.head.number ? null : n;
}

/** State queries can only be answered at the head: say so clearly instead of answering wrongly. */
async function assertStateAtHead(chain: Chain, tag: unknown): Promise<void> {
  const n = await resolveBlockNumber(chain, tag);
  if (n === null) throw new RpcError(-32001, 'block not found');
  if (n !== chain.head.number) {
    throw new RpcError(-32000, `historical state is not kept: query 'latest' (block ${chain.head.number})`);
  }
}

interface ParsedCall extends CallRequest {
  readonly gas?: bigint;
}

function parseCall(value: unknown): ParsedCall {
  if (typeof value !== 'object' || value === null)
    throw new WeftError('INVALID_ARGUMENT', 'call object expected');
  const o = value as Record<string, unknown>;
  const input = o.input ?? o.data;
  return {
    from: o.from === undefined || o.from === null ? new Uint8Array(20) : parseAddress(o.from, 'from'),
    to: o.to === undefined || o.to === null ? null : parseAddress(o.to, 'to'),
    data: input === undefined || input === null ? new Uint8Array(0) : parseData(input, 'data'),
    value: o.value === undefined || o.value === null ? 0n : parseQuantity(o.value, 'value'),
    ...(o.gas === undefined || o.gas === null ? {} : { gas: parseQuantity(o.gas, 'gas', 2n ** 63n) }),
  };
}

function revertError(output: Uint8Array, reason: string | null): RpcError {
  // Geth's shape: code 3, "execution reverted: <reason>", data = the revert bytes; ethers and viem decode it.
  return new RpcError(3, reason ? `execution reverted: ${reason}` : 'execution reverted', data(output));
}

export function createRpcMethods(node: RpcNode): Map<string, RpcHandler> {
  const { chain } = node;
  const suite = chain.suite;
  const m = new Map<string, RpcHandler>();

  const blockAt = async (tag: unknown): Promise<Block | null> => {
    const n = await resolveBlockNumber(chain, tag);
    if (n === null) return null;
    return (await chain.store.getBlock(n)) ?? null;
  };
  const blockByHash = async (hash: unknown): Promise<Block | null> => {
    const n = await chain.store.getNumberByHash(parseHash(hash, 'block hash'));
    return n === undefined ? null : ((await chain.store.getBlock(n)) ?? null);
  };
  const receiptJson = async (hash: Uint8Array) => {
    const found = await chain.store.getTransaction(hash);
    if (!found) return null;
    const receipts = await chain.store.getReceipts(found.blockNumber);
    const receipt = receipts[found.index];
    const header = await chain.store.getHeader(found.blockNumber);
    if (!receipt || !header) return null;
    let firstLogIndex = 0;
    for (let i = 0; i < found.index; i++) firstLogIndex += receipts[i]?.logs.length ?? 0;
    const blockHash = suite.hash(encodeHeader(header));
    return formatReceipt(
      suite,
      found.tx,
      receipt,
      { blockHash, blockNumber: found.blockNumber, index: found.index },
      firstLogIndex,
    );
  };
  const nodesNow = () =>
    membersAt(chain.governance, chain.genesis, chain.head.number + 1n).map((n) => ({
      ...n,
      nodeId: data(n.nodeId),
    }));
  const pendingContext = () => ({
    number: chain.head.number + 1n,
    timestamp: BigInt(Date.now()) / 1000n,
    coinbase: new Uint8Array(20),
    gasLimit: chain.settings.blockGasLimit,
    chainId: chain.chainId,
  });

  // --- web3 / net
  m.set('web3_clientVersion', () => node.clientVersion);
  m.set('web3_sha3', (p) => data(keccak_256(parseData(param(p, 0, 'data'), 'data'))));
  m.set('net_version', () => chain.chainId.toString());
  m.set('net_listening', () => true);
  m.set('net_peerCount', () => quantity(node.peers().length));

  // --- chain
  m.set('eth_chainId', () => quantity(chain.chainId));
  m.set('eth_blockNumber', () => quantity(chain.head.number));
  m.set('eth_syncing', () => false);
  m.set('eth_mining', () => false);
  m.set('eth_hashrate', () => '0x0');
  m.set('eth_accounts', () => []);
  m.set('eth_coinbase', () => data(new Uint8Array(20)));
  // A consortium chain charges no fees: every price is zero.
  m.set('eth_gasPrice', () => '0x0');
  m.set('eth_maxPriorityFeePerGas', () => '0x0');
  m.set('eth_blobBaseFee', () => '0x0');
  m.set('eth_feeHistory', async (p) => {
    const count = Number(
      parseQuantity(
        typeof p[0] === 'number' ? quantity(p[0]) : param(p, 0, 'blockCount'),
        'blockCount',
        1024n,
      ),
    );
    const newest = (await resolveBlockNumber(chain, p[1] ?? 'latest')) ?? chain.head.number;
    const blocks = Math.min(count, Number(newest) + 1);
    const oldest = newest - BigInt(blocks) + 1n;
    const ratios: number[] = [];
    for (let n = oldest; n <= newest; n++) {
      const h = await chain.store.getHeader(n);
      ratios.push(h && h.gasLimit > 0n ? Number(h.gasUsed) / Number(h.gasLimit) : 0);
    }
    const percentiles = Array.isArray(p[2]) ? p[2] : [];
    return {
      oldestBlock: quantity(oldest),
      baseFeePerGas: new Array(blocks + 1).fill('0x0'),
      gasUsedRatio: ratios,
      ...(percentiles.length ? { reward: ratios.map(() => percentiles.map(() => '0x0')) } : {}),
    };
  });

  // --- state (latest only)
  m.set('eth_getBalance', async (p) => {
    const address = parseAddress(param(p, 0, 'address'));
    await assertStateAtHead(chain, p[1]);
    return quantity((await chain.executor.getAccount(address))?.balance ?? 0n);
  });
  m.set('eth_getTransactionCount', async (p) => {
    const address = parseAddress(param(p, 0, 'address'));
    if (p[1] === 'pending')
      return quantity(await chain.pool.pendingNonce(address, chain.executor.getNonce(address)));
    await assertStateAtHead(chain, p[1]);
    return quantity(await chain.executor.getNonce(address));
  });
  m.set('eth_getCode', async (p) => {
    const address = parseAddress(param(p, 0, 'address'));
    await assertStateAtHead(chain, p[1]);
    return data(await chain.executor.getCode(address));
  });
  m.set('eth_getStorageAt', async (p) => {
    const address = parseAddress(param(p, 0, 'address'));
    const slot = bigintToBytes(parseQuantity(param(p, 1, 'slot'), 'slot'), 32);
    await assertStateAtHead(chain, p[2]);
    return data(await chain.executor.getStorageAt(address, slot));
  });
  m.set('eth_call', async (p) => {
    const request = parseCall(param(p, 0, 'call'));
    await assertStateAtHead(chain, p[1]);
    const result = await chain.executor.call(pendingContext(), request);
    if (result.status !== 1) throw revertError(result.output, result.revertReason);
    return data(result.output);
  });
  m.set('eth_estimateGas', async (p) => {
    const request = parseCall(param(p, 0, 'call'));
    const probe = await chain.executor.call(pendingContext(), request);
    if (probe.status !== 1) throw revertError(probe.output, probe.revertReason);
    return quantity(await chain.executor.estimateGas(pendingContext(), request));
  });

  // --- transactions
  const send = async (p: unknown[]) => {
    const raw = parseData(param(p, 0, 'raw transaction'), 'raw transaction');
    const tx = await node.submitTransaction(raw);
    return data(tx.hash);
  };
  m.set('eth_sendRawTransaction', send);
  m.set('weft_sendRawTransaction', send);
  m.set('eth_sendTransaction', () => {
    throw new RpcError(
      -32601,
      'eth_sendTransaction is not supported: nodes hold no user keys; sign locally and use eth_sendRawTransaction',
    );
  });
  m.set('eth_getTransactionByHash', async (p) => {
    const hash = parseHash(param(p, 0, 'transaction hash'));
    const found = await chain.store.getTransaction(hash);
    if (found) {
      const header = await chain.store.getHeader(found.blockNumber);
      const blockHash = header ? suite.hash(encodeHeader(header)) : new Uint8Array(32);
      return formatTransaction(found.tx, { blockHash, blockNumber: found.blockNumber, index: found.index });
    }
    const pending = chain.pool.get(data(hash));
    return pending ? formatTransaction(pending, null) : null;
  });
  m.set('eth_getTransactionReceipt', async (p) => receiptJson(parseHash(param(p, 0, 'transaction hash'))));

  // --- blocks
  // Without full transactions a block is answered from its header and stored hashes: decoding (and so
  // recovering every sender of) a large block just to list hashes would cost milliseconds per call.
  const blockJson = async (n: bigint | null | undefined, full: boolean) => {
    if (n === null || n === undefined) return null;
    if (full) {
      const block = await chain.store.getBlock(n);
      return block ? formatBlock(block, true) : null;
    }
    const header = await chain.store.getHeader(n);
    if (!header) return null;
    const encodedHeader = encodeHeader(header);
    const raws = await chain.store.getRawTransactions(n);
    const certificate = await chain.store.getCertificate(n);
    return {
      ...formatHeader(header, suite.hash(encodedHeader)),
      size: quantity(encodedHeader.length + certificate.length + raws.reduce((a, r) => a + r.length, 0)),
      transactions: (await chain.store.getTxHashes(n)).map(data),
      certificate: data(certificate),
    };
  };
  m.set('eth_getBlockByNumber', async (p) =>
    blockJson(await resolveBlockNumber(chain, param(p, 0, 'block')), p[1] === true),
  );
  m.set('eth_getBlockByHash', async (p) =>
    blockJson(
      await chain.store.getNumberByHash(parseHash(param(p, 0, 'block hash'), 'block hash')),
      p[1] === true,
    ),
  );
  m.set('eth_getBlockTransactionCountByNumber', async (p) => {
    const n = await resolveBlockNumber(chain, param(p, 0, 'block'));
    return n === null ? null : quantity((await chain.store.getTxHashes(n)).length);
  });
  m.set('eth_getBlockTransactionCountByHash', async (p) => {
    const n = await chain.store.getNumberByHash(parseHash(param(p, 0, 'block hash')));
    return n === undefined ? null : quantity((await chain.store.getTxHashes(n)).length);
  });
  const txAt = (block: Block | null, indexParam: unknown) => {
    if (!block) return null;
    const index = Number(parseQuantity(indexParam, 'index', 1n << 32n));
    const tx = block.transactions[index];
    return tx
      ? formatTransaction(tx, { blockHash: block.hash, blockNumber: block.header.number, index })
      : null;
  };
  m.set('eth_getTransactionByBlockNumberAndIndex', async (p) =>
    txAt(await blockAt(param(p, 0, 'block')), param(p, 1, 'index')),
  );
  m.set('eth_getTransactionByBlockHashAndIndex', async (p) =>
    txAt(await blockByHash(param(p, 0, 'block hash')), param(p, 1, 'index')),
  );
  m.set('eth_getUncleCountByBlockNumber', () => '0x0');
  m.set('eth_getUncleCountByBlockHash', () => '0x0');
  m.set('eth_getUncleByBlockNumberAndIndex', () => null);

  // --- logs and polling filters
  m.set('eth_getLogs', async (p) => {
    const criteria = await parseFilterCriteria(chain, param(p, 0, 'filter'));
    return (await queryLogs(chain, criteria)).map((x: LogMatch) => x.json);
  });
  const filters = new Map<
    string,
    { kind: 'logs' | 'blocks' | 'pending'; criteria?: FilterCriteria; next: bigint; touched: number }
  >();
  let filterSeq = 0;
  const newFilter = (kind: 'logs' | 'blocks' | 'pending', criteria?: FilterCriteria) => {
    const now = Date.now();
    // Filters that nobody polled for five minutes are dropped (as geth does), which bounds memory.
    for (const [id, f] of filters) if (now - f.touched > 5 * 60_000) filters.delete(id);
    if (filters.size >= 10_000) throw new RpcError(-32005, 'too many filters: uninstall some first');
    const id = quantity(++filterSeq);
    filters.set(id, { kind, ...(criteria ? { criteria } : {}), next: chain.head.number + 1n, touched: now });
    return id;
  };
  m.set('eth_newFilter', async (p) =>
    newFilter('logs', await parseFilterCriteria(chain, param(p, 0, 'filter'))),
  );
  m.set('eth_newBlockFilter', () => newFilter('blocks'));
  m.set('eth_newPendingTransactionFilter', () => newFilter('pending'));
  m.set('eth_uninstallFilter', (p) => filters.delete(String(param(p, 0, 'filter id'))));
  m.set('eth_getFilterChanges', async (p) => {
    const f = filters.get(String(param(p, 0, 'filter id')));
    if (!f) throw new RpcError(-32000, 'filter not found');
    f.touched = Date.now();
    const head = chain.head.number;
    const from = f.next;
    f.next = head + 1n;
    if (f.kind === 'pending' || from > head) return [];
    if (f.kind === 'blocks') {
      const out: string[] = [];
      for (let n = from; n <= head; n++) {
        const h = await chain.store.getHeader(n);
        if (h) out.push(data(suite.hash(encodeHeader(h))));
      }
      return out;
    }
    const c = f.criteria as FilterCriteria;
    if (c.blockHash) return [];
    const to = c.toBlock === null ? head : c.toBlock < head ? c.toBlock : head;
    const start = c.fromBlock > from ? c.fromBlock : from;
    if (start > to) return [];
    return (await queryLogs(chain, { ...c, fromBlock: start, toBlock: to })).map((x) => x.json);
  });
  m.set('eth_getFilterLogs', async (p) => {
    const f = filters.get(String(param(p, 0, 'filter id')));
    if (!f || f.kind !== 'logs') throw new RpcError(-32000, 'filter not found');
    f.touched = Date.now();
    return (await queryLogs(chain, f.criteria as FilterCriteria)).map((x) => x.json);
  });

  // --- weft
  m.set('weft_chainInfo', async () => ({
    chainId: quantity(chain.chainId),
    chainName: chain.genesis.chainName,
    suite: suite.name,
    genesisHash: data(
      suite.hash(
        encodeHeader(
          (await chain.store.getHeader(0n)) as NonNullable<Awaited<ReturnType<typeof chain.store.getHeader>>>,
        ),
      ),
    ),
    settings: {
      blockGasLimit: quantity(chain.settings.blockGasLimit),
      txGasLimit: quantity(chain.settings.txGasLimit),
      maxTxsPerBlock: chain.settings.maxTxsPerBlock,
      sealIntervalMs: chain.settings.sealIntervalMs,
      blockLimitWindow: chain.settings.blockLimitWindow,
      maxTxBytes: chain.settings.maxTxBytes,
    },
    // Membership now (genesis plus every change the committee voted), not the genesis list.
    nodes: nodesNow(),
  }));
  m.set('weft_nodeStatus', () => node.nodeStatus());
  m.set('weft_peers', () => node.peers());
  m.set('weft_getBlockHeader', async (p) => {
    const n = await resolveBlockNumber(chain, param(p, 0, 'block'));
    if (n === null) return null;
    const h = await chain.store.getHeader(n);
    if (!h) return null;
    const encoded = encodeHeader(h);
    return {
      ...formatHeader(h, suite.hash(encoded)),
      encoded: data(encoded),
      certificate: data(await chain.store.getCertificate(n)),
    };
  });
  const proofOf = async (p: unknown[], which: 'transaction' | 'receipt') => {
    const hash = parseHash(param(p, 0, 'transaction hash'));
    const loc = await chain.store.getTxLocation(hash);
    if (!loc) return null;
    const header = await chain.store.getHeader(loc.blockNumber);
    if (!header) return null;
    const hashFn = (d: Uint8Array) => suite.hash(d);
    let leaves: Uint8Array[];
    let item: Uint8Array;
    let extra: Record<string, unknown>;
    if (which === 'transaction') {
      leaves = await chain.store.getTxHashes(loc.blockNumber);
      item = hash;
      extra = { transaction: data(loc.raw) };
    } else {
      const receipts = await chain.store.getReceipts(loc.blockNumber);
      leaves = receipts.map((r) => receiptHash(suite, r));
      item = leaves[loc.index] as Uint8Array;
      extra = { receipt: data(encodeReceipt(receipts[loc.index] as (typeof receipts)[number])) };
    }
    const proof = createMerkleProof(hashFn, leaves, loc.index);
    const encodedHeader = encodeHeader(header);
    return {
      blockNumber: quantity(loc.blockNumber),
      blockHash: data(suite.hash(encodedHeader)),
      header: data(encodedHeader),
      root: data(which === 'transaction' ? header.transactionsRoot : header.receiptsRoot),
      leaf: data(item),
      index: proof.index,
      leafCount: proof.leafCount,
      siblings: proof.siblings.map(data),
      ...extra,
    };
  };
  m.set('weft_getTransactionProof', (p) => proofOf(p, 'transaction'));
  m.set('weft_getReceiptProof', (p) => proofOf(p, 'receipt'));
  m.set('weft_getPendingCount', () => chain.pool.size);
  registerGovernanceMethods(m, chain);
  return m;
}
