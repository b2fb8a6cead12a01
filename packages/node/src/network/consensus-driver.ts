import { type Block, decodeBlock, encodeBlock, encodedBlockTransactions } from '@weft/core/block';
import type { Transaction } from '@weft/core/tx';
import { bytesToHex, equalBytes, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError, WeftError } from '@weft/crypto/errors';
import type { Chain, PreparedBlock } from '../chain/chain.js';
import { verifyCommitCertificate } from '../consensus/certificate.js';
import { decodeWalRecord, encodeWalRecord } from '../consensus/codec.js';
import { type Consensus, consensusCryptoFromSuite, createConsensus } from '../consensus/pbft.js';
import type {
  ConsensusAction,
  ConsensusEvent,
  ConsensusStatus,
  ConsensusTimeouts,
  ValidatorId,
  WalRecord,
} from '../consensus/types.js';
import type { Logger } from '../log.js';
import type { P2pNode } from '../p2p/transport.js';
import {
  decodeBlockList,
  decodeStatus,
  decodeSyncRequest,
  encodeBlockList,
  encodeStatus,
  encodeSyncRequest,
  MAX_BLOCK_BYTES,
  MAX_SYNC_BLOCKS,
  MSG_CONSENSUS,
  MSG_STATUS,
  MSG_SYNC_REQUEST,
  MSG_SYNC_RESPONSE,
  SYNC_RESPONSE_SOFT_BYTES,
  type SyncRequest,
} from './protocol.js';

/**
 * Runs the PBFT state machine (`consensus/pbft.ts`) against the real world: ticks it, feeds it peers'
 * messages, carries out its actions in order (WAL writes are fsynced before anything after them), builds
 * and checks blocks with the chain, commits decided blocks with their certificates, and keeps the node in
 * step with the others by block sync. Every event — consensus or sync — goes through one serial queue,
 * so the chain's head only ever moves from here.
 */
export interface ConsensusDriverOptions {
  chain: Chain;
  p2p: P2pNode;
  /** This node's consensus key pair; the private key is null for an observer without a sealer role. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  /** The ordered sealer list in force at a height. */
  validatorsAt: (height: bigint) => readonly ValidatorId[];
  log: Logger;
  /** Called after each stored block, before the next height starts (membership may have changed). */
  onMembershipChange?: (nextHeight: bigint) => void;
  timeouts?: Partial<ConsensusTimeouts>;
  /** How long an idle leader waits for transactions before proposing an empty block. */
  emptyBlockMs?: number;
  tickMs?: number;
}

type DriverEvent =
  | ConsensusEvent
  | { readonly type: 'synced'; readonly prepared: PreparedBlock; readonly done: (ok: boolean) => void };

interface SyncedBatch {
  readonly blocks: readonly Uint8Array[];
  readonly decoded: readonly Promise<Map<string, Transaction>>[];
}

interface PeerStatus {
  height: bigint;
  seenAt: number;
}

const SYNC_TIMEOUT_MS = 5_000;
/**
 * A peer that claimed to be ahead and then sent nothing usable (no answer, no blocks, a bad block) is not
 * asked again for this long while someone else is ahead: otherwise one peer announcing a huge height and
 * never answering would hold every lagging node's block sync hostage.
 */
const PASSED_OVER_MS = 15_000;
/**
 * One block behind a peer is normal while a height finishes. Still one behind after this long, we missed
 * the commits of a block the others decided (a byzantine sealer can withhold its commit from us) — and they
 * may be waiting for us, when we lead the next height — so we fetch it.
 */
const ONE_BEHIND_GRACE_MS = 2_000;

/**
 * A height includes building and executing a block on the leader and executing it again on every
 * follower, on machines that may be busy; a view change that fires while an honest leader is still
 * working costs more than it saves, so the defaults are generous (the machine's own are tighter).
 */
const DRIVER_TIMEOUTS: Partial<ConsensusTimeouts> = { proposalMs: 10_000, viewChangeBaseMs: 4_000 };

export class ConsensusDriver {
  private readonly opts: ConsensusDriverOptions;
  private readonly chain: Chain;
  private machine: Consensus | undefined;
  private readonly queue: DriverEvent[] = [];
  private draining = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private walSequence = 0;
  /** Executed blocks of the height being decided, by the hash this node computed. */
  private readonly prepared = new Map<string, PreparedBlock>();
  private readonly peerStatus = new Map<string, PeerStatus>();
  private syncing: Promise<void> | undefined;
  private syncWaiter: ((blocks: Uint8Array[] | null) => void) | undefined;
  private syncPeer: string | undefined;
  /** Peers whose last sync answer was useless, until when they are passed over (ms since the epoch). */
  private readonly passedOver = new Map<string, number>();
  /** Since when the best peer has been exactly one block ahead of our head. */
  private oneBehind: { head: bigint; since: number } | undefined;
  private lastCommitAt = Date.now();
  /** Where the current height's time went on this node (for the debug log line of each decided block). */
  private heightTiming: { executeMs?: number; executedAt?: number; role?: 'built' | 'checked' } = {};
  private readonly sealerAddress: Uint8Array;

  constructor(opts: ConsensusDriverOptions) {
    this.opts = opts;
    this.chain = opts.chain;
    this.sealerAddress = opts.chain.suite.addressFromPublicKey(opts.publicKey);
  }

  async start(): Promise<void> {
    const { chain, p2p } = this.opts;
    const height = chain.head.number + 1n;
    const limits = { signatureLength: chain.suite.signatureLength, maxBlockBytes: MAX_BLOCK_BYTES };
    const restored: WalRecord[] = [];
    for (const entry of await chain.store.readWal(height)) {
      restored.push(decodeWalRecord(entry.record, limits));
      this.walSequence = Math.max(this.walSequence, entry.sequence + 1);
    }
    // `self` is always our key: the machine votes only while that key is in the height's validator list, so a
    // node promoted from observer to sealer by governance starts voting at the height the change applies.
    this.machine = createConsensus({
      chainId: chain.chainId,
      validators: this.opts.validatorsAt(height),
      self: this.opts.publicKey,
      height,
      crypto: consensusCryptoFromSuite(chain.suite, this.opts.privateKey),
      timeouts: { ...DRIVER_TIMEOUTS, ...this.opts.timeouts },
      limits: { maxBlockBytes: MAX_BLOCK_BYTES },
      restored,
    });
    if (restored.length > 0)
      this.opts.log('info', 'consensus restored from the write-ahead log', {
        height,
        records: restored.length,
      });
    p2p.on('message', (from, type, payload) => this.onMessage(from, type, payload));
    p2p.on('peer', (event) => {
      if (event.kind === 'connected') p2p.send(event.peer.id, MSG_STATUS, this.statusBytes());
      else this.peerStatus.delete(event.id);
    });
    this.enqueue({ type: 'tick', now: performance.now() });
    this.tickTimer = setInterval(() => {
      if (!this.queue.some((e) => e.type === 'tick')) this.enqueue({ type: 'tick', now: performance.now() });
    }, this.opts.tickMs ?? 50);
    this.statusTimer = setInterval(() => {
      p2p.broadcast(MSG_STATUS, this.statusBytes());
      this.maybeSync();
    }, 1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.syncWaiter?.(null);
    await this.syncing;
    while (this.draining) await new Promise((r) => setTimeout(r, 10));
  }

  status(): (ConsensusStatus & { syncing: boolean; peersAhead: number }) | undefined {
    const s = this.machine?.status();
    if (!s) return undefined;
    const head = this.chain.head.number;
    return {
      ...s,
      syncing: this.syncing !== undefined,
      peersAhead: [...this.peerStatus.values()].filter((p) => p.height > head).length,
    };
  }

  private statusBytes(): Uint8Array {
    return encodeStatus({ height: this.chain.head.number, headHash: this.chain.headHash });
  }

  private onMessage(from: string, type: number, payload: Uint8Array): void {
    if (this.stopped) return;
    try {
      if (type === MSG_CONSENSUS) {
        this.enqueue({ type: 'message', from: hexToBytes(from), bytes: payload });
      } else if (type === MSG_STATUS) {
        const status = decodeStatus(payload);
        this.peerStatus.set(from, { height: status.height, seenAt: Date.now() });
        this.maybeSync();
      } else if (type === MSG_SYNC_REQUEST) {
        // Decoded here, not inside the async server: a malformed request must be penalised by the catch
        // below, never become an unhandled rejection (which ends the process).
        const request = decodeSyncRequest(payload);
        this.serveSync(from, request).catch((error: unknown) => {
          this.opts.log('warn', 'serving a sync request failed', {
            peer: from.slice(0, 16),
            error: isWeftError(error) ? error.code : 'ERROR',
          });
        });
      } else if (type === MSG_SYNC_RESPONSE) {
        if (from !== this.syncPeer || !this.syncWaiter) return;
        this.syncWaiter(decodeBlockList(payload, 'sync response'));
      }
    } catch (error) {
      this.opts.p2p.penalise(from, 'medium', 'malformed message');
      this.opts.log('warn', 'malformed message from a peer', {
        peer: from.slice(0, 16),
        type,
        error: isWeftError(error) ? error.code : 'ERROR',
      });
    }
  }

  private enqueue(event: DriverEvent): void {
    if (this.stopped) {
      if (event.type === 'synced') event.done(false);
      return;
    }
    this.queue.push(event);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const event = this.queue.shift() as DriverEvent;
        if (event.type === 'synced') {
          await this.commitSynced(event.prepared, event.done);
          continue;
        }
        const actions = (this.machine as Consensus).handle(event);
        for (const action of actions) await this.perform(action);
      }
    } catch (error) {
      this.opts.log('error', 'consensus driver failed', { error: String(error) });
    } finally {
      this.draining = false;
    }
  }

  private async perform(action: ConsensusAction): Promise<void> {
    const { p2p, chain } = this.opts;
    switch (action.type) {
      case 'persist':
        await chain.store.appendWal(action.record.height, this.walSequence++, encodeWalRecord(action.record));
        return;
      case 'broadcast':
        p2p.broadcast(MSG_CONSENSUS, action.bytes);
        return;
      case 'send':
        p2p.send(action.to, MSG_CONSENSUS, action.bytes);
        return;
      case 'buildProposal':
        void this.build(action.height, action.view);
        return;
      case 'checkProposal':
        void this.check(action.height, action.view, action.block, action.blockHash);
        return;
      case 'commit':
        await this.commitDecided(action.height, action.block, action.blockHash, action.certificate);
        return;
      case 'behind':
        this.maybeSync(action.height);
        return;
      case 'penalise':
        p2p.penalise(action.peer, action.severity === 'high' ? 'high' : 'low', action.reason);
        this.opts.log('warn', 'peer penalised by consensus', {
          peer: bytesToHex(action.peer).slice(0, 18),
          reason: action.reason,
        });
        return;
    }
  }

  private async build(height: bigint, view: number): Promise<void> {
    const { chain } = this.opts;
    const started = Date.now();
    const emptyBlockMs = this.opts.emptyBlockMs ?? 1_000;
    // Wait for transactions (an idle chain makes an empty block now and then, so that every height is
    // decided and leaders rotate), then give a trickle one seal interval to batch up. Under load — a
    // quarter of a block or more already pending — the block is built at once: the pool filled while
    // the previous height was being decided, and waiting would only add to every transaction's latency.
    while (!this.stopped && chain.pool.size === 0 && Date.now() - started < emptyBlockMs) await sleep(10);
    const interval = chain.settings.sealIntervalMs;
    const wait = this.lastCommitAt + interval - Date.now();
    if (chain.pool.size < chain.settings.maxTxsPerBlock / 4 && wait > 0) await sleep(wait);
    if (this.stopped || chain.head.number + 1n !== height) return;
    try {
      const buildStarted = performance.now();
      const prepared = await chain.buildBlock(this.sealerAddress);
      this.heightTiming = {
        executeMs: Math.round(performance.now() - buildStarted),
        executedAt: performance.now(),
        role: 'built',
      };
      if (chain.head.number + 1n !== height) return;
      const bytes = encodeBlock(prepared.block);
      this.prepared.set(bytesToHex(prepared.block.hash), prepared);
      this.enqueue({ type: 'proposalBuilt', height, view, block: bytes, blockHash: prepared.block.hash });
    } catch (error) {
      this.opts.log('error', 'building a block failed', { height, error: String(error) });
    }
  }

  /** Decodes a block, taking already decoded transactions (the pool's, or `decoded`) instead of recovering them again. */
  private decode(bytes: Uint8Array, decoded?: ReadonlyMap<string, Transaction>): Block {
    const { chain } = this.opts;
    return decodeBlock(chain.suite, bytes, {
      known: (h) => chain.pool.get(h) ?? decoded?.get(h),
      maxTxBytes: chain.settings.maxTxBytes,
    });
  }

  private async check(
    height: bigint,
    view: number,
    bytes: Uint8Array,
    claimedHash: Uint8Array,
  ): Promise<void> {
    let valid = false;
    try {
      const block = this.decode(bytes);
      const hashHex = bytesToHex(block.hash);
      if (!equalBytes(block.hash, claimedHash))
        throw new WeftError('INVALID_BLOCK', 'header hash differs from the claimed hash');
      if (block.header.number !== height)
        throw new WeftError('INVALID_BLOCK', 'block number differs from the height');
      if (!this.prepared.has(hashHex)) {
        const checkStarted = performance.now();
        this.prepared.set(hashHex, await this.opts.chain.verifyBlock(block));
        this.heightTiming = {
          executeMs: Math.round(performance.now() - checkStarted),
          executedAt: performance.now(),
          role: 'checked',
        };
      }
      valid = true;
    } catch (error) {
      this.opts.log('warn', 'proposal rejected', {
        height,
        view,
        error: isWeftError(error) ? error.message : String(error),
      });
    }
    this.enqueue({ type: 'proposalChecked', height, view, blockHash: claimedHash, valid });
  }

  private async commitDecided(
    height: bigint,
    bytes: Uint8Array,
    blockHash: Uint8Array,
    certificate: Uint8Array,
  ): Promise<void> {
    const { chain } = this.opts;
    if (chain.head.number >= height) {
      // Block sync stored it first.
      this.afterCommit(height);
      return;
    }
    let prepared = this.prepared.get(bytesToHex(blockHash));
    if (!prepared) {
      // Decided from the WAL after a restart, or checked before a crash: execute it now.
      const block = this.decode(bytes);
      if (!equalBytes(block.hash, blockHash))
        throw new WeftError('INVALID_BLOCK', 'decided block does not match its hash');
      prepared = await chain.verifyBlock(block);
    }
    const commitStarted = performance.now();
    await chain.commit(prepared, certificate, await chain.store.walDeletionOps(height + 1n));
    const { executeMs, executedAt, role } = this.heightTiming;
    this.opts.log('debug', 'height decided', {
      height,
      txs: prepared.block.transactions.length,
      heightMs: Date.now() - this.lastCommitAt,
      ...(role === undefined ? {} : { [role === 'built' ? 'buildMs' : 'checkMs']: executeMs }),
      ...(executedAt === undefined ? {} : { votesMs: Math.round(commitStarted - executedAt) }),
      commitMs: Math.round(performance.now() - commitStarted),
    });
    this.heightTiming = {};
    this.afterCommit(height);
  }

  /** The `blockPersisted` event for `height`, with the next height's sealers when governance changed them. */
  private persistedEvent(height: bigint): ConsensusEvent {
    const next = this.opts.validatorsAt(height + 1n);
    const current = this.opts.validatorsAt(height);
    const same =
      next.length === current.length && next.every((v, i) => equalBytes(v, current[i] as Uint8Array));
    this.opts.onMembershipChange?.(height + 1n);
    return same ? { type: 'blockPersisted', height } : { type: 'blockPersisted', height, validators: next };
  }

  private afterCommit(height: bigint): void {
    this.prepared.clear();
    this.lastCommitAt = Date.now();
    this.queue.unshift(this.persistedEvent(height));
    this.opts.p2p.broadcast(MSG_STATUS, this.statusBytes());
  }

  private async commitSynced(prepared: PreparedBlock, done: (ok: boolean) => void): Promise<void> {
    const { chain } = this.opts;
    const height = prepared.block.header.number;
    if (height !== chain.head.number + 1n) {
      done(false);
      return;
    }
    try {
      await chain.commit(prepared, prepared.block.certificate, await chain.store.walDeletionOps(height + 1n));
      this.prepared.clear();
      this.lastCommitAt = Date.now();
      const actions = (this.machine as Consensus).handle(this.persistedEvent(height));
      for (const action of actions) await this.perform(action);
      done(true);
    } catch (error) {
      this.opts.log('warn', 'synced block could not be committed', { height, error: String(error) });
      done(false);
    }
  }

  // --- block sync

  private maybeSync(targetHeight?: bigint): void {
    if (this.stopped || this.syncing) return;
    const head = this.chain.head.number;
    const now = Date.now();
    let best: [string, PeerStatus] | undefined;
    for (const entry of this.peerStatus) {
      if (now - entry[1].seenAt > 10_000) continue;
      if ((this.passedOver.get(entry[0]) ?? 0) > now) continue;
      if (!best || entry[1].height > best[1].height) best = entry;
    }
    if (!best || best[1].height <= head) {
      this.oneBehind = undefined;
      return;
    }
    // Two ahead, or consensus saying we are behind, means we missed blocks; one ahead only after a grace.
    if (targetHeight === undefined && best[1].height < head + 2n) {
      if (this.oneBehind?.head !== head) this.oneBehind = { head, since: now };
      if (now - this.oneBehind.since < ONE_BEHIND_GRACE_MS) return;
    }
    const peer = best[0];
    this.syncing = this.runSync(peer, best[1].height)
      .catch((error: unknown) => {
        // A failed sync is retried on the next status; it must not become an unhandled rejection.
        this.opts.log('warn', 'block sync failed', { peer: peer.slice(0, 16), error: String(error) });
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /**
   * Fetches blocks from `peer` up to `target` and applies them in order. The work is pipelined so that a
   * catching-up node's main thread only executes: the next range is requested as soon as a response
   * arrives, and each received block's signatures are recovered on the decode workers while the blocks
   * before it execute.
   */
  private async runSync(peer: string, target: bigint): Promise<void> {
    const { chain, log } = this.opts;
    const started = Date.now();
    const startHead = chain.head.number;
    let applied = 0;
    log('info', 'block sync started', { peer: peer.slice(0, 16), from: startHead + 1n, to: target });
    let from = startHead + 1n;
    let next: Promise<SyncedBatch | null> | undefined = this.requestBlocks(peer, from, target);
    while (next !== undefined && !this.stopped && chain.head.number < target) {
      const batch = await next;
      next = undefined;
      if (!batch || batch.blocks.length === 0) {
        // It said it was ahead; an honest peer that is answers with at least one block.
        if (!this.stopped && chain.head.number < from) this.passOver(peer);
        break;
      }
      const after = from + BigInt(batch.blocks.length);
      if (after <= target) next = this.requestBlocks(peer, after, target);
      for (const [i, bytes] of batch.blocks.entries()) {
        if (this.stopped) break;
        const waitStart = performance.now();
        const decoded = (await batch.decoded[i]) ?? new Map<string, Transaction>();
        const verifyStart = performance.now();
        const prepared = await this.verifySynced(peer, bytes, decoded);
        const commitStart = performance.now();
        if (!prepared) {
          // Unless consensus stored the block meanwhile (a race, nobody's fault), the peer sent a bad one.
          if (chain.head.number < from + BigInt(i)) this.passOver(peer);
          await next?.catch(() => null);
          return;
        }
        const ok = await new Promise<boolean>((done) => this.enqueue({ type: 'synced', prepared, done }));
        if (ok) applied++;
        log('debug', 'synced block applied', {
          height: prepared.block.header.number,
          txs: prepared.block.transactions.length,
          decodeWaitMs: (verifyStart - waitStart).toFixed(1),
          verifyMs: (commitStart - verifyStart).toFixed(1),
          commitMs: (performance.now() - commitStart).toFixed(1),
        });
      }
      from = after;
    }
    // A request still in flight (we stopped, or consensus caught us up) is awaited so its waiter is cleared.
    await next?.catch(() => null);
    const seconds = (Date.now() - started) / 1000;
    if (applied > 0)
      log('info', 'block sync done', {
        blocks: applied,
        head: chain.head.number,
        seconds: seconds.toFixed(1),
      });
  }

  /**
   * Asks `peer` for blocks from `from` (at most MAX_SYNC_BLOCKS, not past `target`). Resolves with the
   * encoded blocks and, per block, its transactions decoded on the workers (started as soon as the answer
   * arrives); null when the peer does not answer in time or cannot be reached. One request at a time.
   */
  private requestBlocks(peer: string, from: bigint, target: bigint): Promise<SyncedBatch | null> {
    const { p2p } = this.opts;
    const count = Number(
      target - from + 1n < BigInt(MAX_SYNC_BLOCKS) ? target - from + 1n : BigInt(MAX_SYNC_BLOCKS),
    );
    const asked = performance.now();
    return new Promise<SyncedBatch | null>((resolve) => {
      const finish = (blocks: Uint8Array[] | null) => {
        clearTimeout(timer);
        this.opts.log('debug', 'sync response', {
          from,
          blocks: blocks?.length ?? null,
          bytes: blocks?.reduce((sum, b) => sum + b.length, 0) ?? 0,
          ms: (performance.now() - asked).toFixed(1),
        });
        if (this.syncWaiter === waiter) {
          this.syncWaiter = undefined;
          this.syncPeer = undefined;
        }
        resolve(
          blocks === null ? null : { blocks, decoded: blocks.map((b) => this.decodeSyncedOffThread(b)) },
        );
      };
      const waiter = (blocks: Uint8Array[] | null) => finish(blocks);
      const timer = setTimeout(() => finish(null), SYNC_TIMEOUT_MS);
      this.syncWaiter = waiter;
      this.syncPeer = peer;
      if (!p2p.send(peer, MSG_SYNC_REQUEST, encodeSyncRequest({ from, count }))) finish(null);
    });
  }

  /** A synced block's transactions decoded on the workers, by hash (empty when the block is malformed). */
  private decodeSyncedOffThread(bytes: Uint8Array): Promise<Map<string, Transaction>> {
    let raws: Uint8Array[];
    try {
      raws = encodedBlockTransactions(bytes);
    } catch {
      // verifySynced decodes it again and says what is wrong with it.
      return Promise.resolve(new Map());
    }
    return this.opts.chain.pool.decodeOffThread(raws);
  }

  private passOver(peer: string): void {
    this.passedOver.set(peer, Date.now() + PASSED_OVER_MS);
    this.opts.log('info', 'block sync peer passed over', {
      peer: peer.slice(0, 16),
      seconds: PASSED_OVER_MS / 1000,
    });
  }

  /**
   * Checks a block from a peer: strict decoding (its transactions' signatures already recovered on the
   * workers where possible), its commit certificate against the sealer list, execution.
   */
  private async verifySynced(
    peer: string,
    bytes: Uint8Array,
    decoded: ReadonlyMap<string, Transaction>,
  ): Promise<PreparedBlock | undefined> {
    const { chain, p2p, log } = this.opts;
    try {
      const block = this.decode(bytes, decoded);
      const height = block.header.number;
      if (height !== chain.head.number + 1n)
        throw new WeftError('INVALID_BLOCK', 'out-of-order block in a sync response', { penalise: true });
      const ok = verifyCommitCertificate(block.certificate, {
        chainId: chain.chainId,
        height,
        blockHash: block.hash,
        validators: this.opts.validatorsAt(height),
        crypto: chain.suite,
      });
      if (!ok)
        throw new WeftError('INVALID_BLOCK', 'block has no valid commit certificate', { penalise: true });
      return await chain.verifyBlock(block);
    } catch (error) {
      // A block that does not extend our head may just be a race with consensus; anything else is the peer's fault.
      const penalise =
        isWeftError(error) && error.penalise && !/out-of-order|parent hash/.test(error.message);
      if (penalise) p2p.penalise(peer, 'high', 'invalid block in sync response');
      log('warn', 'sync response rejected', {
        peer: peer.slice(0, 16),
        error: isWeftError(error) ? error.message : String(error),
      });
      return undefined;
    }
  }

  private async serveSync(from: string, request: SyncRequest): Promise<void> {
    const { chain, p2p } = this.opts;
    const blocks: Uint8Array[] = [];
    let size = 0;
    for (let n = request.from; n < request.from + BigInt(request.count) && n <= chain.head.number; n++) {
      const bytes = await chain.store.getEncodedBlock(n);
      if (!bytes) break;
      // Stay under the frame limit: a soft target, and never two big blocks in one response.
      if (blocks.length > 0 && size + bytes.length > SYNC_RESPONSE_SOFT_BYTES) break;
      blocks.push(bytes);
      size += bytes.length;
    }
    p2p.send(from, MSG_SYNC_RESPONSE, encodeBlockList(blocks));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
