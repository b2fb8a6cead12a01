import type { Block, BlockHeader } from '@weft/core/block';
import { encodeBlock } from '@weft/core/block';
import type { Log, Receipt } from '@weft/core/receipt';
import { logsBloom } from '@weft/core/receipt';
import { EIP1559_TX_TYPE, EIP2930_TX_TYPE, type Transaction, WEFT_TX_TYPE } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import { data, quantity } from './hex.js';

/** Ethereum JSON shapes (execution-apis) for weft's blocks, transactions, receipts and logs. */

const ZERO_8 = '0x0000000000000000';
const ZERO_32 = `0x${'00'.repeat(32)}`;
/** keccak256(rlp([])): the uncles hash of a block without uncles. */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';

export interface TxPosition {
  blockHash: Uint8Array;
  blockNumber: bigint;
  index: number;
}

export function txTypeNumber(tx: Transaction): number {
  switch (tx.kind) {
    case 'legacy':
      return 0;
    case 'eip2930':
      return EIP2930_TX_TYPE;
    case 'eip1559':
      return EIP1559_TX_TYPE;
    default:
      return WEFT_TX_TYPE;
  }
}

export function formatTransaction(tx: Transaction, position: TxPosition | null): Record<string, unknown> {
  const sig = tx.signature;
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  // ecdsa signatures carry the recovery id at byte 64; SM2 signatures carry the public key there and
  // have no recovery id, so report 0.
  const recoveryId = sig.length === 65 ? (sig[64] as number) : 0;
  const v = tx.kind === 'legacy' ? tx.chainId * 2n + 35n + BigInt(recoveryId) : BigInt(recoveryId);
  const out: Record<string, unknown> = {
    hash: data(tx.hash),
    type: quantity(txTypeNumber(tx)),
    chainId: quantity(tx.chainId),
    nonce: quantity(tx.nonce),
    from: data(tx.sender),
    to: tx.to === null ? null : data(tx.to),
    value: quantity(tx.value),
    gas: quantity(tx.gasLimit),
    gasPrice: quantity(tx.gasPrice),
    input: data(tx.data),
    v: quantity(v),
    r: data(r),
    s: data(s),
    blockHash: position ? data(position.blockHash) : null,
    blockNumber: position ? quantity(position.blockNumber) : null,
    transactionIndex: position ? quantity(position.index) : null,
  };
  if (tx.kind !== 'legacy') {
    out.yParity = quantity(recoveryId);
    out.accessList = tx.accessList.map(([address, keys]) => ({
      address: data(address),
      storageKeys: keys.map(data),
    }));
  }
  if (tx.maxFeePerGas !== null) out.maxFeePerGas = quantity(tx.maxFeePerGas);
  if (tx.maxPriorityFeePerGas !== null) out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas);
  if (tx.blockLimit !== null) out.blockLimit = quantity(tx.blockLimit);
  if (tx.kind === 'weft') out.signature = data(tx.signature);
  return out;
}

export function formatHeader(header: BlockHeader, hash: Uint8Array): Record<string, unknown> {
  return {
    number: quantity(header.number),
    hash: data(hash),
    parentHash: data(header.parentHash),
    nonce: ZERO_8,
    sha3Uncles: EMPTY_UNCLES,
    logsBloom: data(header.logsBloom),
    transactionsRoot: data(header.transactionsRoot),
    stateRoot: data(header.stateRoot),
    receiptsRoot: data(header.receiptsRoot),
    miner: data(header.sealer),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: data(header.extraData),
    gasLimit: quantity(header.gasLimit),
    gasUsed: quantity(header.gasUsed),
    // Ethereum clients expect seconds; weft keeps milliseconds in the header (see docs/protocol.md).
    timestamp: quantity(header.timestamp / 1000n),
    timestampMs: quantity(header.timestamp),
    baseFeePerGas: '0x0',
    mixHash: ZERO_32,
    uncles: [],
  };
}

export function formatBlock(block: Block, fullTransactions: boolean): Record<string, unknown> {
  return {
    ...formatHeader(block.header, block.hash),
    size: quantity(encodeBlock(block).length),
    transactions: block.transactions.map((tx, index) =>
      fullTransactions
        ? formatTransaction(tx, { blockHash: block.hash, blockNumber: block.header.number, index })
        : data(tx.hash),
    ),
    certificate: data(block.certificate),
  };
}

export interface LogPosition extends TxPosition {
  txHash: Uint8Array;
  logIndex: number;
}

export function formatLog(log: Log, pos: LogPosition): Record<string, unknown> {
  return {
    address: data(log.address),
    topics: log.topics.map(data),
    data: data(log.data),
    blockHash: data(pos.blockHash),
    blockNumber: quantity(pos.blockNumber),
    transactionHash: data(pos.txHash),
    transactionIndex: quantity(pos.index),
    logIndex: quantity(pos.logIndex),
    removed: false,
  };
}

export function formatReceipt(
  suite: CryptoSuite,
  tx: Transaction,
  receipt: Receipt,
  pos: TxPosition,
  firstLogIndex: number,
): Record<string, unknown> {
  return {
    transactionHash: data(tx.hash),
    transactionIndex: quantity(pos.index),
    blockHash: data(pos.blockHash),
    blockNumber: quantity(pos.blockNumber),
    from: data(tx.sender),
    to: tx.to === null ? null : data(tx.to),
    cumulativeGasUsed: quantity(receipt.cumulativeGasUsed),
    gasUsed: quantity(receipt.gasUsed),
    effectiveGasPrice: '0x0',
    contractAddress: receipt.contractAddress === null ? null : data(receipt.contractAddress),
    logs: receipt.logs.map((log, i) =>
      formatLog(log, { ...pos, txHash: tx.hash, logIndex: firstLogIndex + i }),
    ),
    logsBloom: data(logsBloom(suite, [receipt])),
    status: quantity(receipt.status),
    type: quantity(txTypeNumber(tx)),
    output: data(receipt.output),
    revertReason: receipt.revertReason,
  };
}

export function hexKey(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}
