import { type Block, type BlockHeader, createBlock, decodeHeader, encodeHeader } from '@weft/core/block';
import { decodeReceipt, encodeReceipt, type Receipt } from '@weft/core/receipt';
import { type RlpItem, rlpBytes, rlpDecode, rlpEncode, rlpList } from '@weft/core/rlp';
import { decodeTransaction, type Transaction } from '@weft/core/tx';
import { bytesToHex, concatBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { ClassicLevel } from 'classic-level';

/**
 * Durable chain storage on LevelDB (classic-level). One database per node holds blocks, transactions,
 * receipts, the world state (keys under prefix 0x73 's', laid out by state/) and the consensus WAL
 * (prefix 0x77 'w'). A committed block — header, certificate, transactions, receipts, state changes and
 * the new head — is written in ONE batch with `sync: true`, so after `kill -9` the node either has the
 * whole block or none of it, and nothing reported final is ever lost.
 *
 * Key layout (numbers are 8-byte big-endian):
 *   'H' ‖ number → header          'C' ‖ number → certificate     'T' ‖ number → tx hashes (32 each)
 *   'R' ‖ number → rlp([receipt…])  'h' ‖ blockHash → number        't' ‖ txHash → number ‖ index(4) ‖ raw tx
 *   'N' ‖ number → hashes of the block's native (0x57) transactions (32 each; absent before this key existed)
 *   'm' "head" → number
 */
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** abstract-level's private batch method, which classic-level implements (see `writeDurably`). */
interface PrivateBatch {
  _batch(ops: readonly BatchOp[], options: { sync: boolean }): Promise<void>;
}

export interface KeyValueReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
}

export interface TxLocation {
  blockNumber: bigint;
  index: number;
  raw: Uint8Array;
}

const enc = new TextEncoder();
const HEAD_KEY = enc.encode('mhead');

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

function readU64(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

/** A stored concatenation of 32-byte hashes, as views of it. */
function splitHashes(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 32) out.push(bytes.subarray(i, i + 32));
  return out;
}

function key(prefix: string, body: Uint8Array): Uint8Array {
  return concatBytes(enc.encode(prefix), body);
}

export class ChainStore implements KeyValueReader {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  readonly suite: CryptoSuite;
  private readonly headerCache = new Map<bigint, BlockHeader>();

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>, suite: CryptoSuite) {
    this.db = db;
    this.suite = suite;
  }

  static async open(path: string, suite: CryptoSuite): Promise<ChainStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (cause) {
      throw new WeftError(
        'STORAGE_ERROR',
        `cannot open the database at ${path}: is another node process using this directory?`,
        { cause },
      );
    }
    return new ChainStore(db, suite);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async get(k: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.db.get(k)) ?? undefined;
  }

  getSync(k: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(k) ?? undefined;
  }

  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return (await this.db.getMany(keys)).map((v) => v ?? undefined);
  }

  /**
   * Writes ops atomically and durably (fsync) before resolving.
   *
   * The batch goes straight to classic-level's `_batch` (abstract-level's private API, the one every
   * implementation provides) instead of the public `batch`, which clones every operation with an
   * object spread and looks its encodings up one by one before calling that same method: 14 ms of
   * main-thread time for a 2,000-operation batch against 3.4 ms, measured here, and a block of 1,000
   * transfers writes about that many. What the public method checked is checked here: the database
   * is open and every key and value is a Uint8Array (the binding would store anything else as empty).
   */
  async writeDurably(ops: BatchOp[]): Promise<void> {
    if (this.db.status !== 'open') {
      throw new WeftError('STORAGE_ERROR', `the database is ${this.db.status}: cannot write`);
    }
    for (const op of ops) {
      if (!(op.key instanceof Uint8Array) || (op.type === 'put' && !(op.value instanceof Uint8Array))) {
        throw new WeftError('STORAGE_ERROR', 'a batch operation has a key or value that is not bytes');
      }
    }
    const direct = (this.db as unknown as Partial<PrivateBatch>)._batch;
    if (typeof direct === 'function') await direct.call(this.db, ops, { sync: true });
    else await this.db.batch(ops, { sync: true });
  }

  async headNumber(): Promise<bigint | undefined> {
    const v = await this.get(HEAD_KEY);
    return v === undefined ? undefined : readU64(v);
  }

  /** The batch operations that store a block; append state and WAL ops and write them together. */
  blockOps(block: Block, receipts: readonly Receipt[]): BatchOp[] {
    const n = u64(block.header.number);
    const ops: BatchOp[] = [
      { type: 'put', key: key('H', n), value: encodeHeader(block.header) },
      { type: 'put', key: key('C', n), value: block.certificate },
      { type: 'put', key: key('T', n), value: concatBytes(...block.transactions.map((tx) => tx.hash)) },
      { type: 'put', key: key('R', n), value: rlpEncode(receipts.map(encodeReceipt)) },
      {
        type: 'put',
        key: key('N', n),
        value: concatBytes(...block.transactions.filter((tx) => tx.kind === 'weft').map((tx) => tx.hash)),
      },
      { type: 'put', key: key('h', block.hash), value: n },
      { type: 'put', key: HEAD_KEY, value: n },
    ];
    block.transactions.forEach((tx, i) => {
      const index = new Uint8Array(4);
      new DataView(index.buffer).setUint32(0, i);
      ops.push({ type: 'put', key: key('t', tx.hash), value: concatBytes(n, index, tx.raw) });
    });
    return ops;
  }

  async getHeader(number: bigint): Promise<BlockHeader | undefined> {
    const cached = this.headerCache.get(number);
    if (cached) return cached;
    const bytes = await this.get(key('H', u64(number)));
    if (bytes === undefined) return undefined;
    const header = decodeHeader(bytes);
    if (this.headerCache.size > 4096) this.headerCache.clear();
    this.headerCache.set(number, header);
    return header;
  }

  async getNumberByHash(hash: Uint8Array): Promise<bigint | undefined> {
    if (hash.length !== 32) return undefined;
    const v = await this.get(key('h', hash));
    return v === undefined ? undefined : readU64(v);
  }

  async getCertificate(number: bigint): Promise<Uint8Array> {
    return (await this.get(key('C', u64(number)))) ?? new Uint8Array(0);
  }

  async getTxHashes(number: bigint): Promise<Uint8Array[]> {
    const v = await this.get(key('T', u64(number)));
    return v === undefined ? [] : splitHashes(v);
  }

  async getTxLocation(hash: Uint8Array): Promise<TxLocation | undefined> {
    if (hash.length !== 32) return undefined;
    const v = await this.get(key('t', hash));
    if (v === undefined) return undefined;
    return {
      blockNumber: readU64(v),
      index: new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(8),
      raw: v.subarray(12),
    };
  }

  async getTransaction(hash: Uint8Array): Promise<(TxLocation & { tx: Transaction }) | undefined> {
    const loc = await this.getTxLocation(hash);
    if (loc === undefined) return undefined;
    return { ...loc, tx: decodeTransaction(this.suite, loc.raw, Number.MAX_SAFE_INTEGER) };
  }

  async getReceipts(number: bigint): Promise<Receipt[]> {
    const v = await this.get(key('R', u64(number)));
    if (v === undefined) return [];
    return rlpList(rlpDecode(v, 'stored receipts'), 'stored receipts').map((r, i) =>
      decodeReceipt(rlpBytes(r, `stored receipt ${i}`)),
    );
  }

  /** Full block with decoded (sender-recovered) transactions. */
  async getBlock(number: bigint): Promise<Block | undefined> {
    const header = await this.getHeader(number);
    if (header === undefined) return undefined;
    const hashes = await this.getTxHashes(number);
    const raws = await this.getMany(hashes.map((h) => key('t', h)));
    const transactions = raws.map((v, i) => {
      if (v === undefined) {
        throw new WeftError('STORAGE_ERROR', `transaction ${bytesToHex(hashes[i] as Uint8Array)} is missing`);
      }
      return decodeTransaction(this.suite, v.subarray(12), Number.MAX_SAFE_INTEGER);
    });
    return createBlock(this.suite, header, transactions, await this.getCertificate(number));
  }

  /** A block as block sync sends it: `rlp([headerFields, [rawTx…], certificate])`, with no decoding. */
  async getEncodedBlock(number: bigint): Promise<Uint8Array | undefined> {
    const n = u64(number);
    const header = await this.get(key('H', n));
    if (header === undefined) return undefined;
    const raws = await this.getRawTransactions(number);
    return rlpEncode([
      rlpDecode(header, 'stored header'),
      raws,
      await this.getCertificate(number),
    ] as RlpItem[]);
  }

  // --- consensus write-ahead log ('w' ‖ height ‖ sequence → record)

  /** Appends a WAL record durably (fsync) before resolving. */
  async appendWal(height: bigint, sequence: number, record: Uint8Array): Promise<void> {
    const seq = new Uint8Array(4);
    new DataView(seq.buffer).setUint32(0, sequence);
    await this.db.put(key('w', concatBytes(u64(height), seq)), record, { sync: true });
  }

  /** WAL records at or above `fromHeight`, in write order. */
  async readWal(fromHeight: bigint): Promise<{ height: bigint; sequence: number; record: Uint8Array }[]> {
    const out: { height: bigint; sequence: number; record: Uint8Array }[] = [];
    for await (const [k, v] of this.db.iterator({ gte: key('w', u64(fromHeight)), lt: enc.encode('x') })) {
      out.push({
        height: readU64(k, 1),
        sequence: new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(9),
        record: v,
      });
    }
    return out;
  }

  /** Batch operations deleting the WAL below `height` (written with the block that makes it obsolete). */
  async walDeletionOps(belowHeight: bigint): Promise<BatchOp[]> {
    const ops: BatchOp[] = [];
    for await (const k of this.db.keys({ gte: key('w', u64(0n)), lt: key('w', u64(belowHeight)) })) {
      ops.push({ type: 'del', key: k });
    }
    return ops;
  }

  /** Raw transactions of a block, without decoding (for block sync and proofs). */
  /**
   * The hashes of a block's native transactions (the replay window is made of them), or undefined for a
   * block stored before this index existed (then `getRawTransactions` tells).
   */
  async getNativeTxHashes(number: bigint): Promise<Uint8Array[] | undefined> {
    const v = await this.get(key('N', u64(number)));
    if (v === undefined) return undefined;
    if (v.length % 32 !== 0)
      throw new WeftError('STORAGE_ERROR', `block ${number} has a malformed native index`);
    return splitHashes(v);
  }

  async getRawTransactions(number: bigint): Promise<Uint8Array[]> {
    const hashes = await this.getTxHashes(number);
    const raws = await this.getMany(hashes.map((h) => key('t', h)));
    return raws.map((v) => {
      if (v === undefined) throw new WeftError('STORAGE_ERROR', `block ${number} has a missing transaction`);
      return v.subarray(12);
    });
  }
}

export { readU64, u64 };
