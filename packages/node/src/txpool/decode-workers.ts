import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { decodeTransaction, type Transaction } from '@weft/core/tx';
import type { SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';

/**
 * Transaction decoding (RLP, signing hash, signature recovery: ~80 µs of CPU per Ethereum
 * transaction, most of it the secp256k1 recovery) on worker threads, so that the node's main thread
 * — which also runs the EVM, the RPC server and commits — spends its time on what only it can do.
 *
 * The workers only ever speed things up; they never decide anything:
 * - a batch is decoded in one message each way (structured clone costs ~3 µs per transaction on the
 *   receiving side, measured), so the pool asks for whole JSON-RPC batches at once;
 * - only successful decodes are used: a transaction the worker could not decode is decoded again on
 *   the main thread, so the error a client sees is exactly the one it saw before (same code,
 *   message and cause);
 * - if a worker cannot start or dies, every pending request resolves to "not decoded" and the pool
 *   decodes inline; later requests do too.
 *
 * This file is also the worker's entry point (see the bottom): one module, two roles.
 */

/** What a worker answers per raw transaction: the decoded transaction, or null when it failed. */
type WorkerAnswer = readonly (Transaction | null)[];

interface WorkerRequest {
  readonly id: number;
  readonly raws: readonly Uint8Array[];
}

interface WorkerReply {
  readonly id: number;
  readonly txs: WorkerAnswer;
}

interface DecoderWorkerData {
  readonly role: 'weft-tx-decoder';
  readonly suite: SuiteName;
}

export interface TxDecodeWorkersOptions {
  readonly suite: SuiteName;
  /** Worker threads to run; default `defaultDecodeThreads()`; 0 runs none. */
  readonly threads?: number;
  /**
   * The compiled worker module; default this very file when it runs as JavaScript. When the node
   * runs from TypeScript sources (unit tests), there is no default and decoding stays inline.
   */
  readonly workerUrl?: URL;
}

interface Pending {
  readonly resolve: (txs: WorkerAnswer | null) => void;
  readonly size: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * A batch a worker has not answered after this long is decoded inline instead: a stuck worker may
 * slow admission down but never stop it.
 */
const ANSWER_TIMEOUT_MS = 10_000;

interface DecoderThread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Raw transactions sent and not answered yet: the least-loaded thread gets the next batch. */
  load: number;
}

/**
 * One fewer than the cores (the main thread keeps one), between 1 and 4; the environment variable
 * WEFT_DECODE_THREADS overrides it (0 turns the workers off), for benchmarks and small machines.
 */
export function defaultDecodeThreads(): number {
  const configured = process.env.WEFT_DECODE_THREADS;
  if (configured !== undefined && /^[0-9]+$/.test(configured)) return Math.min(16, Number(configured));
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class TxDecodeWorkers {
  private readonly threads: DecoderThread[] = [];
  private nextId = 0;
  private closed = false;

  private constructor() {}

  /**
   * Starts the workers, or returns null when there is no compiled worker module to run (sources run
   * by vitest) or no thread could start; callers then decode inline.
   */
  static create(options: TxDecodeWorkersOptions): TxDecodeWorkers | null {
    const url = options.workerUrl ?? (import.meta.url.endsWith('.js') ? new URL(import.meta.url) : undefined);
    if (url === undefined) return null;
    const count = options.threads ?? defaultDecodeThreads();
    if (count === 0) return null;
    const pool = new TxDecodeWorkers();
    for (let i = 0; i < count; i++) {
      try {
        pool.startThread(url, options.suite);
      } catch {
        break;
      }
    }
    return pool.threads.length > 0 ? pool : null;
  }

  private startThread(url: URL, suite: SuiteName): void {
    const data: DecoderWorkerData = { role: 'weft-tx-decoder', suite };
    const worker = new Worker(fileURLToPath(url), { workerData: data });
    // A decoder never keeps the process alive; the node closes it explicitly anyway.
    worker.unref();
    const thread: DecoderThread = { worker, pending: new Map(), load: 0 };
    worker.on('message', (reply: WorkerReply) => {
      const pending = thread.pending.get(reply.id);
      if (pending === undefined) return;
      thread.pending.delete(reply.id);
      thread.load -= pending.size;
      clearTimeout(pending.timer);
      pending.resolve(reply.txs);
    });
    const fail = () => {
      // Whatever was asked of this thread is decoded inline; the thread is not used again.
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      settleAll(thread);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.threads.push(thread);
  }

  /** True while at least one worker is running. */
  get isRunning(): boolean {
    return !this.closed && this.threads.length > 0;
  }

  /**
   * Decodes a batch on the least-loaded worker. Resolves (never rejects) with one entry per raw
   * transaction — the transaction, or null where the worker failed — or with null when no worker
   * can take the batch.
   */
  decode(raws: readonly Uint8Array[]): Promise<WorkerAnswer | null> {
    let best: DecoderThread | undefined;
    for (const t of this.threads) if (best === undefined || t.load < best.load) best = t;
    if (this.closed || best === undefined || raws.length === 0) return Promise.resolve(null);
    const thread = best;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const settle = (txs: WorkerAnswer | null) => {
        if (thread.pending.delete(id)) thread.load -= raws.length;
        resolve(txs);
      };
      const timer = setTimeout(() => settle(null), ANSWER_TIMEOUT_MS);
      timer.unref();
      thread.pending.set(id, { resolve: settle, size: raws.length, timer });
      thread.load += raws.length;
      const request: WorkerRequest = { id, raws };
      try {
        thread.worker.postMessage(request);
      } catch {
        clearTimeout(timer);
        settle(null);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const t of threads) settleAll(t);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

/** Resolves everything a thread still owes with "not decoded" (the pool then decodes inline). */
function settleAll(thread: DecoderThread): void {
  const pending = [...thread.pending.values()];
  thread.pending.clear();
  thread.load = 0;
  for (const p of pending) {
    clearTimeout(p.timer);
    p.resolve(null);
  }
}

// ------------------------------------------------------------------ the worker's side

function isDecoderWorkerData(value: unknown): value is DecoderWorkerData {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { role?: unknown }).role === 'weft-tx-decoder' &&
    typeof (value as { suite?: unknown }).suite === 'string'
  );
}

if (!isMainThread && parentPort !== null && isDecoderWorkerData(workerData)) {
  const port = parentPort;
  const suite = getSuite(workerData.suite);
  port.on('message', (request: WorkerRequest) => {
    const txs = request.raws.map((raw) => {
      try {
        // The pool checks the size limit of the moment before it uses a decoded transaction.
        return decodeTransaction(suite, raw, Number.MAX_SAFE_INTEGER);
      } catch {
        return null;
      }
    });
    const reply: WorkerReply = { id: request.id, txs };
    port.postMessage(reply);
  });
}
