import { isWeftError } from '@weft/crypto/errors';
import type { Chain } from '../chain/chain.js';
import type { Logger } from '../log.js';
import type { P2pNode } from '../p2p/transport.js';
import { decodeTxBatch, encodeTxBatch, MSG_TX_GOSSIP } from './protocol.js';

/**
 * Transaction gossip. A transaction admitted through this node's RPC is sent once to every peer (the
 * sealers form a full mesh, so it reaches the leader, whoever that is, exactly once); a transaction
 * received by gossip is admitted but not forwarded again. Batched every few milliseconds.
 */
export interface TxGossipOptions {
  chain: Chain;
  p2p: P2pNode;
  log: Logger;
  flushMs?: number;
  maxBatch?: number;
}

/** Errors that mean "we have it already / it is stale", which honest peers produce in races. */
const BENIGN = new Set([
  'ALREADY_KNOWN',
  'REPLAYED_TRANSACTION',
  'NONCE_TOO_LOW',
  'TX_POOL_FULL',
  'INVALID_TRANSACTION',
  'SENDER_NOT_ALLOWED',
]);

export class TxGossip {
  private readonly opts: TxGossipOptions;
  private buffer: Uint8Array[] = [];
  private bufferBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: TxGossipOptions) {
    this.opts = opts;
    opts.p2p.on('message', (from, type, payload) => {
      if (type === MSG_TX_GOSSIP) void this.receive(from, payload);
    });
  }

  announce(raw: Uint8Array): void {
    this.buffer.push(raw);
    this.bufferBytes += raw.length;
    if (this.buffer.length >= (this.opts.maxBatch ?? 500) || this.bufferBytes > 4 * 1024 * 1024) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 5);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    this.opts.p2p.broadcast(MSG_TX_GOSSIP, encodeTxBatch(this.buffer));
    this.buffer = [];
    this.bufferBytes = 0;
  }

  private async receive(from: string, payload: Uint8Array): Promise<void> {
    let raws: Uint8Array[];
    try {
      raws = decodeTxBatch(payload);
    } catch {
      this.opts.p2p.penalise(from, 'medium', 'malformed transaction batch');
      return;
    }
    let bad = 0;
    // Signature recovery of the batch starts on the pool's worker threads; admission stays in order.
    const prefetched = raws.length < 2 ? [] : this.opts.chain.pool.prefetch(raws);
    try {
      for (const raw of raws) {
        try {
          await this.opts.chain.pool.addRaw(raw);
        } catch (error) {
          if (!isWeftError(error) || !BENIGN.has(error.code)) bad++;
        }
      }
    } finally {
      this.opts.chain.pool.releasePrefetched(prefetched);
    }
    // Malformed or badly signed transactions can only come from a faulty or hostile peer.
    if (bad > 0) this.opts.p2p.penalise(from, bad > 10 ? 'high' : 'low', 'invalid transactions in gossip');
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
