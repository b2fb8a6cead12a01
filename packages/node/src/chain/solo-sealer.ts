import type { Logger } from '../log.js';
import type { Chain } from './chain.js';

/**
 * Block production on a chain with a single sealer: a block on a short timer while transactions are
 * pending, none while idle. Multi-sealer chains use the consensus driver instead; both call the same
 * `Chain.buildBlock` / `Chain.commit` seam.
 *
 * One exception to "none while idle": a single empty block `TRAILING_BLOCK_MS` after the last block of a
 * burst. Ethereum clients learn of a receipt from the *next* block event: ethers v6 checks a receipt
 * once, then waits for the block number to change, taking the first number it polls as its baseline.
 * When the transaction's block is sealed between that check and the first poll (easy at a 100 ms seal
 * interval), no later block ever comes on an idle chain and `tx.wait()` hangs for ever (measured: 3 of 6
 * fresh-chain deploys). One trailing block per burst closes that window; an idle chain then stays silent.
 */
export const TRAILING_BLOCK_MS = 1_000;
export interface SoloSealerOptions {
  chain: Chain;
  /** 20-byte address of this node's consensus key, recorded as the block's sealer. */
  sealer: Uint8Array;
  onError?: (error: unknown) => void;
  /**
   * Receives one `debug` line per sealed block: transactions, build and commit milliseconds, what is
   * left pending. Without a logger, the environment variable WEFT_TIMING=1 prints the same to stderr.
   */
  log?: Logger;
}

export class SoloSealer {
  private readonly opts: SoloSealerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** Start of the last seal; an idle sealer waits a full interval for a first transaction's companions. */
  private lastSealStart = Number.MAX_SAFE_INTEGER / 2;
  private sealing: Promise<void> = Promise.resolve();
  private trailingTimer: NodeJS.Timeout | undefined;

  constructor(opts: SoloSealerOptions) {
    this.opts = opts;
  }

  /** Call when a transaction enters the pool; arms the seal timer if it isn't armed. */
  notePending(): void {
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    this.trailingTimer = undefined;
    if (this.stopped || this.timer !== undefined || this.running) return;
    // At most one block per seal interval; under load (the last block started more than an interval ago)
    // the next one starts at once, so the sealer never idles while transactions wait.
    const interval = this.opts.chain.settings.sealIntervalMs;
    const delay = Math.max(0, Math.min(interval, this.lastSealStart + interval - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sealing = this.sealOnce();
    }, delay);
  }

  private async sealOnce(trailing = false): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.lastSealStart = Date.now();
    let sealed = false;
    try {
      const { chain } = this.opts;
      if (trailing && chain.pool.size === 0) {
        await chain.commit(await chain.buildBlock(this.opts.sealer));
      } else if (chain.pool.size > 0) {
        const t0 = performance.now();
        const prepared = await chain.buildBlock(this.opts.sealer);
        const t1 = performance.now();
        // An empty result (all candidates invalid) is not sealed: no empty blocks.
        if (prepared.block.transactions.length > 0) {
          await chain.commit(prepared);
          sealed = true;
        }
        const t2 = performance.now();
        const fields = {
          number: prepared.block.header.number,
          txs: prepared.block.transactions.length,
          buildMs: Math.round(t1 - t0),
          commitMs: Math.round(t2 - t1),
          pending: chain.pool.size,
        };
        if (this.opts.log !== undefined) this.opts.log('debug', 'block sealed', fields);
        else if (process.env.WEFT_TIMING)
          process.stderr.write(
            `seal txs=${fields.txs} build=${fields.buildMs}ms commit=${fields.commitMs}ms pool=${fields.pending}\n`,
          );
      }
    } catch (error) {
      this.opts.onError?.(error);
    } finally {
      this.running = false;
      if (this.opts.chain.pool.size > 0) this.notePending();
      else if (sealed && !this.stopped) {
        this.trailingTimer = setTimeout(() => {
          this.trailingTimer = undefined;
          if (this.timer === undefined && !this.running) this.sealing = this.sealOnce(true);
        }, TRAILING_BLOCK_MS);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    this.trailingTimer = undefined;
    this.timer = undefined;
    await this.sealing;
  }
}
