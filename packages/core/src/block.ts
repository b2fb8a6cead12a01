import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { BLOOM_BYTES } from './bloom.js';
import { merkleRoot } from './merkle.js';
import { type RlpItem, rlpBytes, rlpDecode, rlpEncode, rlpList, rlpUint, uintToRlp } from './rlp.js';
import { decodeTransaction, type Transaction } from './tx.js';

/**
 * Block header. The block hash is `suite.hash(rlp(headerFields))`; the consensus certificate is kept
 * beside the header (it signs the hash, so it cannot be inside it). Timestamps are milliseconds since the
 * Unix epoch, since a consortium chain seals several blocks a second; the EVM's TIMESTAMP and the
 * Ethereum RPC see seconds. `extraData` is at most 32 bytes; the genesis block carries the hash of the
 * genesis configuration there, so two chains with different genesis files never share block 0.
 */
export interface BlockHeader {
  readonly parentHash: Uint8Array;
  readonly number: bigint;
  readonly timestamp: bigint;
  /** 20-byte address of the sealer (node) that proposed the block. */
  readonly sealer: Uint8Array;
  readonly transactionsRoot: Uint8Array;
  readonly receiptsRoot: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly logsBloom: Uint8Array;
  readonly gasLimit: bigint;
  readonly gasUsed: bigint;
  readonly extraData: Uint8Array;
}

export interface Block {
  readonly header: BlockHeader;
  readonly hash: Uint8Array;
  readonly transactions: readonly Transaction[];
  /** Commit certificate (consensus-specific bytes); empty for genesis and single-sealer chains. */
  readonly certificate: Uint8Array;
}

export const MAX_EXTRA_DATA = 32;

function headerFields(h: BlockHeader): RlpItem[] {
  return [
    h.parentHash,
    uintToRlp(h.number),
    uintToRlp(h.timestamp),
    h.sealer,
    h.transactionsRoot,
    h.receiptsRoot,
    h.stateRoot,
    h.logsBloom,
    uintToRlp(h.gasLimit),
    uintToRlp(h.gasUsed),
    h.extraData,
  ];
}

export function encodeHeader(header: BlockHeader): Uint8Array {
  return rlpEncode(headerFields(header));
}

export function headerHash(suite: CryptoSuite, header: BlockHeader): Uint8Array {
  return suite.hash(encodeHeader(header));
}

function decodeHeaderFields(item: RlpItem | undefined): BlockHeader {
  const f = rlpList(item, 'block header', 11);
  const extraData = rlpBytes(f[10], 'extraData');
  if (extraData.length > MAX_EXTRA_DATA) {
    throw new WeftError('INVALID_ENCODING', `extraData is longer than ${MAX_EXTRA_DATA} bytes`, {
      penalise: true,
    });
  }
  return {
    parentHash: rlpBytes(f[0], 'parentHash', 32),
    number: rlpUint(f[1], 'number', 8),
    timestamp: rlpUint(f[2], 'timestamp', 8),
    sealer: rlpBytes(f[3], 'sealer', 20),
    transactionsRoot: rlpBytes(f[4], 'transactionsRoot', 32),
    receiptsRoot: rlpBytes(f[5], 'receiptsRoot', 32),
    stateRoot: rlpBytes(f[6], 'stateRoot', 32),
    logsBloom: rlpBytes(f[7], 'logsBloom', BLOOM_BYTES),
    gasLimit: rlpUint(f[8], 'gasLimit', 8),
    gasUsed: rlpUint(f[9], 'gasUsed', 8),
    extraData,
  };
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  return decodeHeaderFields(rlpDecode(bytes, 'block header'));
}

export function transactionsRoot(suite: CryptoSuite, txs: readonly Pick<Transaction, 'hash'>[]): Uint8Array {
  return merkleRoot(
    (d) => suite.hash(d),
    txs.map((tx) => tx.hash),
  );
}

export function createBlock(
  suite: CryptoSuite,
  header: BlockHeader,
  transactions: readonly Transaction[],
  certificate: Uint8Array = new Uint8Array(0),
): Block {
  return { header, hash: headerHash(suite, header), transactions, certificate };
}

export function withCertificate(block: Block, certificate: Uint8Array): Block {
  return { ...block, certificate };
}

/** `rlp([headerFields, [rawTx…], certificate])`. */
export function encodeBlock(block: Block): Uint8Array {
  return rlpEncode([
    headerFields(block.header),
    block.transactions.map((tx) => tx.raw),
    block.certificate,
  ] as RlpItem[]);
}

export interface DecodeBlockOptions {
  /** Transactions already verified (e.g. by the pool), by hash hex, to skip signature recovery. */
  known?: (hashHex: string) => Transaction | undefined;
  maxTxBytes?: number;
}

/**
 * Decodes a block from untrusted bytes: strict encoding, every transaction decoded with its signature
 * checked, and the transactions root recomputed. It does NOT execute the block or check its parent.
 */
/**
 * The raw transactions of an encoded block, without decoding them (no signature recovery): for a
 * caller that decodes them elsewhere first (block sync recovers senders on worker threads) and
 * then hands them to `decodeBlock` through `known`. Malformed blocks throw as `decodeBlock` does.
 */
export function encodedBlockTransactions(bytes: Uint8Array): Uint8Array[] {
  const f = rlpList(rlpDecode(bytes, 'block'), 'block', 3);
  return rlpList(f[1], 'block transactions').map((item, i) => rlpBytes(item, `transaction ${i}`));
}

export function decodeBlock(suite: CryptoSuite, bytes: Uint8Array, options: DecodeBlockOptions = {}): Block {
  const f = rlpList(rlpDecode(bytes, 'block'), 'block', 3);
  const header = decodeHeaderFields(f[0]);
  const transactions = rlpList(f[1], 'block transactions').map((item, i) => {
    const raw = rlpBytes(item, `transaction ${i}`);
    const known = options.known?.(bytesToHex(suite.hash(raw)));
    return known ?? decodeTransaction(suite, raw, options.maxTxBytes);
  });
  const certificate = rlpBytes(f[2], 'certificate');
  const root = transactionsRoot(suite, transactions);
  if (bytesToHex(root) !== bytesToHex(header.transactionsRoot)) {
    throw new WeftError('INVALID_BLOCK', 'transactions root does not match the transactions', {
      penalise: true,
    });
  }
  return createBlock(suite, header, transactions, certificate);
}
