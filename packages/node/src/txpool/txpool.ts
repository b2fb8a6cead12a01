import type { SystemSettings } from '@weft/core/genesis';
import { decodeTransaction, type Transaction } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { TxDecodeWorkers } from './decode-workers.js';
import { assertTxRules } from './validation.js';

/**
 * The transaction pool: validates before admitting, bounds its memory, drops duplicates, and says why a
 * transaction was refused (every refusal is a `WeftError` whose message tells the sender what to do).
 *
 * Native transactions are independent of one another (random nonces) and are offered to the sealer in
 * arrival order. Ethereum transactions are offered per sender in nonce order, starting from the sender's
 * account nonce, so a wallet can keep many transactions in flight.
 */
export interface TxPoolOptions {
  suite: CryptoSuite;
  chainId: bigint;
  settings: () => SystemSettings;
  /** Number of the next block (head + 1). */
  nextBlockNumber: () => bigint;
  /** The account nonce in the committed state. */
  accountNonce: (address: Uint8Array) => Promise<bigint>;
  /** True when the transaction hash is already in a committed block inside the replay window. */
  isCommitted: (hash: Uint8Array) => Promise<boolean>;
  /** Returns a reason when the sender may not transact (e.g. a frozen account), else null. */
  senderRefusal?: (sender: Uint8Array) => string | null;
  /** Returns a reason when governance refuses the transaction (frozen contract, deploy right, method ACL). */
  txRefusal?: (tx: Transaction) => string | null;
  /** How far beyond the account nonce an Ethereum transaction may be queued. */
  maxNonceGap?: number;
  /** Total raw bytes the pool keeps at most. */
  maxBytes?: number;
  /**
   * Worker threads that decode batches announced with `prefetch` (signature recovery off the main
   * thread); default one fewer than the cores, 0 decodes everything inline. See decode-workers.ts.
   */
  decodeThreads?: number;
  /** Decode workers to use instead of starting the default ones (tests, a shared set); null: none. */
  decodeWorkers?: TxDecodeWorkers | null;
}

/** At most this many prefetched decodes wait for their `addRaw` (a bound, not a tuning knob). */
const MAX_PREFETCHED = 20_000;

interface Entry {
  tx: Transaction;
  hashHex: string;
  senderHex: string;
  arrival: number;
}

export class TxPool {
  private readonly opts: TxPoolOptions;
  private readonly byHash = new Map<string, Entry>();
  /** Ethereum transactions by sender, then nonce. */
  private readonly bySender = new Map<string, Map<bigint, Entry>>();
  private bytes = 0;
  private arrivals = 0;
  /** Decodes started by `prefetch`, by transaction hash, until `addRaw` takes them. */
  private readonly prefetched = new Map<string, Promise<Transaction | null>>();
  /** Started on the first `prefetch`; null when workers are disabled or cannot run here. */
  private decodeWorkers: TxDecodeWorkers | null | undefined;
  private ownsDecodeWorkers = false;

  constructor(opts: TxPoolOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.byHash.size;
  }

  get(hashHex: string): Transaction | undefined {
    return this.byHash.get(hashHex)?.tx;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** The nonce a wallet should use next: after the account nonce and the contiguous pending run. */
  async pendingNonce(address: Uint8Array, accountNonce: Promise<bigint>): Promise<bigint> {
    let next = await accountNonce;
    const queue = this.bySender.get(bytesToHex(address));
    while (queue?.has(next)) next += 1n;
    return next;
  }

  /** Decodes, validates and admits raw bytes. Resolves with the transaction; rejects with the reason. */
  async addRaw(raw: Uint8Array): Promise<Transaction> {
    const settings = this.opts.settings();
    if (raw.length > settings.maxTxBytes) {
      throw new WeftError(
        'TX_TOO_LARGE',
        `transaction is ${raw.length} bytes; the limit is ${settings.maxTxBytes}`,
        {
          penalise: true,
        },
      );
    }
    const hashHex = bytesToHex(this.opts.suite.hash(raw));
    const known = this.byHash.get(hashHex);
    if (known) throw new WeftError('ALREADY_KNOWN', `transaction ${hashHex} is already pending`);
    const early = this.prefetched.get(hashHex);
    if (early !== undefined) this.prefetched.delete(hashHex);
    // A worker's decode is used only when it succeeded; anything else is decoded here, so a refusal
    // is exactly what inline decoding would have said.
    const tx =
      (early === undefined ? null : await early) ??
      decodeTransaction(this.opts.suite, raw, settings.maxTxBytes);
    await this.add(tx);
    return tx;
  }

  /**
   * Starts decoding raw transactions that `addRaw` will be asked to admit shortly (a JSON-RPC batch,
   * a gossip message) on the decode workers, so their signatures are recovered off the main thread
   * while the node goes on with other work. Purely an optimisation: nothing is admitted or refused
   * here, and `addRaw` decodes inline whatever was not prefetched. Returns the keys to pass to
   * `releasePrefetched` once the batch has been handled (drops decodes nobody asked for).
   */
  prefetch(raws: readonly Uint8Array[]): string[] {
    const workers = this.runningDecodeWorkers();
    if (workers === null) return [];
    const maxTxBytes = this.opts.settings().maxTxBytes;
    const keys = new Set<string>();
    const batch: Uint8Array[] = [];
    for (const raw of raws) {
      if (this.prefetched.size + batch.length >= MAX_PREFETCHED) break;
      if (raw.length === 0 || raw.length > maxTxBytes) continue;
      const hashHex = bytesToHex(this.opts.suite.hash(raw));
      if (this.byHash.has(hashHex) || this.prefetched.has(hashHex) || keys.has(hashHex)) continue;
      keys.add(hashHex);
      batch.push(raw);
    }
    if (batch.length === 0) return [];
    const decoded = workers.decode(batch);
    let i = 0;
    for (const key of keys) {
      const index = i++;
      this.prefetched.set(
        key,
        decoded.then((txs) => txs?.[index] ?? null),
      );
    }
    return [...keys];
  }

  /**
   * Decodes raw transactions on the decode workers (signatures recovered off the main thread) for a
   * caller other than admission — block sync. Resolves with the transactions that decoded within
   * the current size limit, by hash; the caller decodes anything missing itself, so a failure here
   * only costs speed. Nothing is admitted.
   */
  async decodeOffThread(raws: readonly Uint8Array[]): Promise<Map<string, Transaction>> {
    const decoded = new Map<string, Transaction>();
    const workers = this.runningDecodeWorkers();
    if (workers === null || raws.length === 0) return decoded;
    const maxTxBytes = this.opts.settings().maxTxBytes;
    for (const tx of (await workers.decode(raws)) ?? []) {
      if (tx !== null && tx.raw.length <= maxTxBytes) decoded.set(bytesToHex(tx.hash), tx);
    }
    return decoded;
  }

  /**
   * Starts the decode workers now rather than on first use. A worker takes ~0.1 s to boot (a new
   * isolate loading the crypto); a node calls this as it starts so that the boot overlaps the rest of
   * its start-up instead of delaying the first synced block or the first batch of transactions.
   */
  startDecodeWorkers(): void {
    this.runningDecodeWorkers();
  }

  /** The decode workers (started on first use), or null when there are none. */
  private runningDecodeWorkers(): TxDecodeWorkers | null {
    if (this.decodeWorkers === undefined && this.opts.decodeWorkers !== undefined) {
      this.decodeWorkers = this.opts.decodeWorkers;
    }
    if (this.decodeWorkers === undefined) {
      const threads = this.opts.decodeThreads;
      this.ownsDecodeWorkers = true;
      this.decodeWorkers =
        threads === 0
          ? null
          : TxDecodeWorkers.create({
              suite: this.opts.suite.name,
              ...(threads === undefined ? {} : { threads }),
            });
    }
    const workers = this.decodeWorkers;
    return workers === null || !workers.isRunning ? null : workers;
  }

  /** Forgets prefetched decodes that `addRaw` did not take (see `prefetch`). */
  releasePrefetched(keys: readonly string[]): void {
    for (const key of keys) this.prefetched.delete(key);
  }

  /** Stops the decode workers this pool started; `addRaw` keeps working (inline). */
  async close(): Promise<void> {
    this.prefetched.clear();
    const workers = this.decodeWorkers;
    this.decodeWorkers = null;
    if (this.ownsDecodeWorkers) await workers?.close();
  }

  /** Admits an already decoded (signature-checked) transaction. */
  async add(tx: Transaction): Promise<void> {
    const settings = this.opts.settings();
    const hashHex = bytesToHex(tx.hash);
    if (this.byHash.has(hashHex))
      throw new WeftError('ALREADY_KNOWN', `transaction ${hashHex} is already pending`);
    assertTxRules(tx, { chainId: this.opts.chainId, settings, blockNumber: this.opts.nextBlockNumber() });
    const refusal = this.opts.senderRefusal?.(tx.sender);
    if (refusal) throw new WeftError('SENDER_NOT_ALLOWED', refusal);
    const txRefusal = this.opts.txRefusal?.(tx);
    if (txRefusal) throw new WeftError('SENDER_NOT_ALLOWED', txRefusal);
    if (
      this.byHash.size >= settings.txPoolLimit ||
      this.bytes + tx.raw.length > (this.opts.maxBytes ?? 256 * 1024 * 1024)
    ) {
      throw new WeftError('TX_POOL_FULL', 'the transaction pool is full; retry after the next block');
    }
    const senderHex = bytesToHex(tx.sender);
    if (tx.kind === 'weft') {
      if (await this.opts.isCommitted(tx.hash)) {
        throw new WeftError('REPLAYED_TRANSACTION', `transaction ${hashHex} is already on chain`);
      }
    } else {
      const accountNonce = await this.opts.accountNonce(tx.sender);
      if (tx.nonce < accountNonce) {
        throw new WeftError(
          'NONCE_TOO_LOW',
          `nonce too low: the account's next nonce is ${accountNonce}, the transaction has ${tx.nonce}`,
        );
      }
      const gap = BigInt(this.opts.maxNonceGap ?? 4096);
      if (tx.nonce >= accountNonce + gap) {
        throw new WeftError(
          'INVALID_TRANSACTION',
          `nonce ${tx.nonce} is more than ${gap} ahead of the account's next nonce ${accountNonce}`,
        );
      }
      const queue = this.bySender.get(senderHex);
      if (queue?.has(tx.nonce)) {
        throw new WeftError(
          'ALREADY_KNOWN',
          `a transaction from this account with nonce ${tx.nonce} is already pending`,
        );
      }
    }
    // Re-check after the awaits: another call may have admitted the same transaction meanwhile.
    if (this.byHash.has(hashHex))
      throw new WeftError('ALREADY_KNOWN', `transaction ${hashHex} is already pending`);
    const entry: Entry = { tx, hashHex, senderHex, arrival: this.arrivals++ };
    if (tx.kind !== 'weft') {
      let queue = this.bySender.get(senderHex);
      if (!queue) {
        queue = new Map();
        this.bySender.set(senderHex, queue);
      }
      if (queue.has(tx.nonce)) {
        throw new WeftError(
          'ALREADY_KNOWN',
          `a transaction from this account with nonce ${tx.nonce} is already pending`,
        );
      }
      queue.set(tx.nonce, entry);
    }
    this.byHash.set(hashHex, entry);
    this.bytes += tx.raw.length;
  }

  /**
   * Candidates for the next block in a fair order: arrival order, except that an Ethereum transaction is
   * offered only after the sender's lower nonces. The executor still checks every nonce.
   */
  select(max: number): Transaction[] {
    const out: Transaction[] = [];
    const nextNonce = new Map<string, bigint>();
    const lowest = (senderHex: string): bigint => {
      const known = nextNonce.get(senderHex);
      if (known !== undefined) return known;
      let min: bigint | undefined;
      for (const n of this.bySender.get(senderHex)?.keys() ?? []) if (min === undefined || n < min) min = n;
      return min ?? 0n;
    };
    for (const entry of this.byHash.values()) {
      if (out.length >= max) break;
      const { tx } = entry;
      if (tx.kind === 'weft') {
        out.push(tx);
        continue;
      }
      let expected = lowest(entry.senderHex);
      if (tx.nonce !== expected) continue;
      // Take this sender's contiguous run now, so a burst from one wallet goes into one block.
      const queue = this.bySender.get(entry.senderHex) as Map<bigint, Entry>;
      for (
        let next = queue.get(expected);
        next !== undefined && out.length < max;
        next = queue.get(expected)
      ) {
        out.push(next.tx);
        expected += 1n;
      }
      nextNonce.set(entry.senderHex, expected);
    }
    return out;
  }

  private removeEntry(entry: Entry): void {
    this.byHash.delete(entry.hashHex);
    this.bytes -= entry.tx.raw.length;
    if (entry.tx.kind !== 'weft') {
      const queue = this.bySender.get(entry.senderHex);
      queue?.delete(entry.tx.nonce);
      if (queue?.size === 0) this.bySender.delete(entry.senderHex);
    }
  }

  remove(hashHex: string): void {
    const entry = this.byHash.get(hashHex);
    if (entry) this.removeEntry(entry);
  }

  /**
   * After a block is committed: drop what it included, Ethereum transactions whose nonce is now used, and
   * native transactions that expired (blockLimit reached).
   */
  onBlockCommitted(included: readonly Transaction[], nextBlockNumber: bigint): void {
    const usedNonce = new Map<string, bigint>();
    for (const tx of included) {
      this.remove(bytesToHex(tx.hash));
      if (tx.kind !== 'weft') {
        const s = bytesToHex(tx.sender);
        const prev = usedNonce.get(s);
        if (prev === undefined || tx.nonce > prev) usedNonce.set(s, tx.nonce);
      }
    }
    for (const [senderHex, nonce] of usedNonce) {
      const queue = this.bySender.get(senderHex);
      if (!queue) continue;
      for (const [n, entry] of queue) if (n <= nonce) this.removeEntry(entry);
    }
    for (const entry of this.byHash.values()) {
      const limit = entry.tx.blockLimit;
      if (limit !== null && limit <= nextBlockNumber) this.removeEntry(entry);
    }
  }

  /** Removes transactions that can never be included (found invalid while building a block). */
  drop(txs: readonly Transaction[]): void {
    for (const tx of txs) this.remove(bytesToHex(tx.hash));
  }
}
