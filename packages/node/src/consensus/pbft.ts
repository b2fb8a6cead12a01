import { bytesToHex, equalBytes, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError, WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { faultTolerance, isQuorumSigned, leaderIndex, quorumSize } from './certificate.js';
import {
  type CodecLimits,
  type ConsensusMessage,
  decodeMessage,
  decodeMessageHeader,
  encodeCertificate,
  encodeMessage,
  HASH_LENGTH,
  MAX_VALIDATORS,
  type ProposalMessage,
  VALIDATOR_ID_LENGTH,
  type ViewChangeMessage,
  type ViewChangeVote,
  type VoteMessage,
  type VotePhase,
  viewChangeDigest,
  voteDigest,
} from './codec.js';
import type {
  ConsensusAction,
  ConsensusCrypto,
  ConsensusEvent,
  ConsensusLimits,
  ConsensusStatus,
  ConsensusTimeouts,
  PenaltySeverity,
  PreparedCertificate,
  ValidatorId,
  WalRecord,
} from './types.js';
import { VoteTable } from './votes.js';

/**
 * PBFT consensus as a pure state machine: `handle(event)` returns the actions the node must carry out, in
 * order. No I/O, no timers, no randomness, no clock: the same events always give the same actions, so any
 * run can be replayed from its inputs (the simulation tests rely on this).
 *
 * Contract with the node (docs/consensus.md has the whole protocol and the safety argument):
 * - Send a `tick` first and then every 50–100 ms; time comes only from ticks.
 * - Carry out actions in order. A `persist` record must be durable before any later action of the same
 *   batch is performed: that is what makes the write-ahead log prevent double-signing after a crash.
 *   Finish one batch before performing the next (a serial event queue): later batches re-send messages
 *   logged by earlier ones.
 * - Keep the WAL records of the height being decided and pass them back as `restored` on restart (with
 *   `height` = stored head + 1); records of lower heights may be deleted once their block is stored.
 * - Answer `buildProposal` with `proposalBuilt` and `checkProposal` with `proposalChecked` (late or
 *   duplicate answers are ignored). After `commit`, store the block with its certificate and send
 *   `blockPersisted`; blocks fetched by block sync after `behind` are reported the same way.
 * - Deliver peer messages as `message` with the sender's consensus key as authenticated by the transport;
 *   a node never delivers its own broadcasts back to itself (they are ignored if it does).
 * - Chain id and heights are u64 `bigint`s, views u32 numbers, validator ids 64-byte public keys.
 * - Events and actions are listed in `./types.ts`; `status()` is a read-only snapshot for RPC.
 *
 * Protocol (Castro & Liskov, OSDI '99): leader(h, v) = validators[(h + v) mod n] proposes a block; every
 * validator that checked it broadcasts a signed prepare; on 2f+1 prepares it logs its prepared certificate
 * and broadcasts a signed commit; 2f+1 commits of one view form the commit certificate and the block is
 * final. A validator whose view times out (or whose leader proposed an invalid block) broadcasts a signed
 * view change carrying its highest prepared certificate; the next leader proves 2f+1 view changes in its
 * proposal and must re-propose the block of the highest prepared certificate among them.
 */

export const DEFAULT_CONSENSUS_TIMEOUTS: ConsensusTimeouts = {
  proposalMs: 3_000,
  viewChangeBaseMs: 2_000,
  maxBackoffExponent: 5,
  resendMs: 1_000,
};

export const DEFAULT_CONSENSUS_LIMITS: ConsensusLimits = {
  maxBlockBytes: 32 * 1024 * 1024,
  maxFutureHeights: 16,
  maxFutureViews: 64,
  maxBufferedPerPeer: 64,
  maxBufferedBytesPerPeer: 64 * 1024 * 1024,
};

export interface ConsensusOptions {
  readonly chainId: bigint;
  /** Ordered sealer list for `height`. */
  readonly validators: readonly ValidatorId[];
  /** This node's consensus key; null (or a key not in `validators`) makes it an observer that never votes. */
  readonly self: ValidatorId | null;
  /** The next height to decide (stored head + 1). */
  readonly height: bigint;
  readonly crypto: ConsensusCrypto;
  readonly timeouts?: Partial<ConsensusTimeouts>;
  readonly limits?: Partial<ConsensusLimits>;
  /** WAL records persisted before a restart; only those of `height` are used. */
  readonly restored?: readonly WalRecord[];
}

export interface Consensus {
  handle(event: ConsensusEvent): ConsensusAction[];
  status(): ConsensusStatus;
}

export function createConsensus(options: ConsensusOptions): Consensus {
  return new PbftMachine(options);
}

/** Adapts a chain's `CryptoSuite` and this node's private key (null for an observer). */
export function consensusCryptoFromSuite(suite: CryptoSuite, privateKey: Uint8Array | null): ConsensusCrypto {
  return {
    signatureLength: suite.signatureLength,
    hash: (data) => suite.hash(data),
    verify: (digest, signature, signer) => suite.verify(digest, signature, signer),
    sign: (digest) => {
      if (privateKey === null)
        throw new WeftError('CONFIG_ERROR', 'an observer has no consensus key to sign with');
      return suite.sign(digest, privateKey);
    },
  };
}

type CandidateStatus = 'unchecked' | 'checking' | 'valid' | 'invalid';

/** Bytes someone claimed hash to `blockHash`; only the node's `checkProposal` can tell whether they do. */
interface Candidate {
  readonly block: Uint8Array;
  readonly blockHash: Uint8Array;
  status: CandidateStatus;
  /** Validator that sent the bytes; -1 for this node's own (built, or restored from its WAL). */
  readonly source: number;
  readonly origin: 'proposal' | 'viewChange' | 'self';
  readonly view: number;
}

interface StoredViewChange {
  readonly prepared: PreparedCertificate | null;
  readonly signature: Uint8Array;
}

interface OwnMessage {
  readonly hashHex: string;
  readonly bytes: Uint8Array;
}

/** Everything about the height being decided; replaced wholesale when the next height starts. */
class HeightState {
  view = 0;
  /** Highest view this node signed a view change for; it never votes in a lower view again. */
  viewChangeTarget = 0;
  committed = false;
  deadline: number | null = null;
  nextResend = 0;
  /** `${signer}:${view}`: lagging peers we already sent our proposal of that view. */
  readonly helped = new Set<string>();
  /** Views in which we kept the bytes of a leader's second, conflicting proposal. */
  readonly conflictingKept = new Set<number>();
  /** The first valid proposal seen in each view. */
  readonly proposals = new Map<number, { readonly hashHex: string; readonly blockHash: Uint8Array }>();
  readonly candidates = new Map<string, Candidate[]>();
  readonly prepares = new VoteTable();
  readonly commits = new VoteTable();
  /** Per signer, its view changes by requested view (a few of the highest only). */
  readonly viewChanges = new Map<number, Map<number, StoredViewChange>>();
  /** Messages this node signed, by `${kind}:${view}`: the record that stops it ever signing a conflicting one. */
  readonly mine = new Map<string, OwnMessage>();
  highestCommitVoteView = -1;
  /** Prepared certificates known at this height, one per view (2f+1 prepares make it unique per view). */
  readonly preparedByView = new Map<number, PreparedCertificate>();
  preparedLoggedView = -1;
  /** Views we asked the node to build a block for, with the justification fixed at that moment. */
  readonly builds = new Map<number, readonly ViewChangeVote[]>();
  /** `${view}:${hashHex}` pairs proven prepared (a verified certificate or our own 2f+1 prepares). */
  readonly preparedFacts = new Set<string>();
  /** `${signer}:${view}:${preparedKey}` view-change contents whose signature was verified. */
  readonly verifiedViewChanges = new Set<string>();
}

/** How many view changes per signer are kept; honest ones only ever move up, so a few suffice. */
const VIEW_CHANGES_KEPT_PER_SIGNER = 4;

const hexOf = (bytes: Uint8Array): string => bytesToHex(bytes);
const ownKey = (kind: ConsensusMessage['kind'], view: number): string => `${kind}:${view}`;
const preparedKey = (prepared: { view: number; blockHash: Uint8Array } | null): string =>
  prepared === null ? '-' : `${prepared.view}:${hexOf(prepared.blockHash)}`;

class PbftMachine implements Consensus {
  private readonly chainId: bigint;
  private readonly crypto: ConsensusCrypto;
  private readonly timeouts: ConsensusTimeouts;
  private readonly limits: ConsensusLimits;
  private readonly codecLimits: CodecLimits;
  private readonly selfKey: ValidatorId | null;

  private validators: readonly ValidatorId[] = [];
  private indexByKey = new Map<string, number>();
  private selfIndex = -1;
  private f = 0;
  private q = 1;

  private height: bigint;
  private s = new HeightState();
  private now = 0;
  private started = false;
  private out: ConsensusAction[] = [];
  /** Raw messages for heights above ours, per sending peer, in arrival order. */
  private readonly future = new Map<string, { readonly height: bigint; readonly bytes: Uint8Array }[]>();
  /** Highest height each peer was seen working on (transport-authenticated sender, unverified content). */
  private readonly peerHeights = new Map<string, bigint>();
  private lastBehind = 0n;

  constructor(options: ConsensusOptions) {
    if (typeof options.chainId !== 'bigint' || options.chainId < 0n || options.chainId >= 1n << 64n) {
      throw new WeftError('CONFIG_ERROR', 'consensus chainId must be a u64 bigint');
    }
    if (typeof options.height !== 'bigint' || options.height < 0n || options.height >= 1n << 64n) {
      throw new WeftError('CONFIG_ERROR', 'consensus height must be a u64 bigint');
    }
    const sigLength = options.crypto.signatureLength;
    if (!Number.isInteger(sigLength) || sigLength < 1 || sigLength > 255) {
      throw new WeftError('CONFIG_ERROR', 'consensus signatures must be 1 to 255 bytes long');
    }
    if (options.self !== null && options.self.length !== VALIDATOR_ID_LENGTH) {
      throw new WeftError('CONFIG_ERROR', `the consensus key must be ${VALIDATOR_ID_LENGTH} bytes`);
    }
    this.chainId = options.chainId;
    this.crypto = options.crypto;
    this.timeouts = { ...DEFAULT_CONSENSUS_TIMEOUTS, ...options.timeouts };
    this.limits = { ...DEFAULT_CONSENSUS_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries({ ...this.timeouts, ...this.limits })) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new WeftError('CONFIG_ERROR', `consensus setting ${name} must be a non-negative integer`);
      }
    }
    this.codecLimits = { signatureLength: sigLength, maxBlockBytes: this.limits.maxBlockBytes };
    this.selfKey = options.self;
    this.height = options.height;
    this.setValidators(options.validators);
    this.restore(options.restored ?? []);
  }

  handle(event: ConsensusEvent): ConsensusAction[] {
    this.out = [];
    switch (event.type) {
      case 'tick':
        this.onTick(event.now);
        break;
      case 'message':
        this.onMessage(event.from, event.bytes);
        break;
      case 'proposalBuilt':
        this.onProposalBuilt(event.height, event.view, event.block, event.blockHash);
        break;
      case 'proposalChecked':
        this.onProposalChecked(event.height, event.blockHash, event.valid);
        break;
      case 'blockPersisted':
        this.onBlockPersisted(event.height, event.validators);
        break;
    }
    return this.out;
  }

  status(): ConsensusStatus {
    const s = this.s;
    const prepared = this.highestPrepared(Number.POSITIVE_INFINITY);
    let phase: ConsensusStatus['phase'] = 'proposing';
    if (s.committed) phase = 'committed';
    else if (s.viewChangeTarget > s.view) phase = 'viewChange';
    else if (s.mine.has(ownKey('commit', s.view))) phase = 'committing';
    else if (s.proposals.has(s.view)) phase = 'preparing';
    return {
      height: this.height,
      view: s.view,
      viewChangeTarget: Math.max(s.view, s.viewChangeTarget),
      phase,
      leader: this.validators[leaderIndex(this.height, s.view, this.validators.length)] as ValidatorId,
      isValidator: this.selfIndex >= 0,
      validatorCount: this.validators.length,
      quorum: this.q,
      prepared: prepared === null ? null : { view: prepared.view, blockHash: prepared.blockHash },
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Setup, heights and WAL restore
  // -------------------------------------------------------------------------------------------------------

  private setValidators(validators: readonly ValidatorId[]): void {
    if (validators.length === 0 || validators.length > MAX_VALIDATORS) {
      throw new WeftError('CONFIG_ERROR', `a validator list needs 1 to ${MAX_VALIDATORS} entries`);
    }
    const indexByKey = new Map<string, number>();
    validators.forEach((key, i) => {
      if (!(key instanceof Uint8Array) || key.length !== VALIDATOR_ID_LENGTH) {
        throw new WeftError('CONFIG_ERROR', `validator ${i} is not a ${VALIDATOR_ID_LENGTH}-byte key`);
      }
      const keyHex = hexOf(key);
      if (indexByKey.has(keyHex)) throw new WeftError('CONFIG_ERROR', `validator ${i} is listed twice`);
      indexByKey.set(keyHex, i);
    });
    this.validators = validators.map((key) => key.slice());
    this.indexByKey = indexByKey;
    this.selfIndex = this.selfKey === null ? -1 : (indexByKey.get(hexOf(this.selfKey)) ?? -1);
    this.f = faultTolerance(validators.length);
    this.q = quorumSize(validators.length);
  }

  /** Rebuilds what this node signed at `height` from its WAL, so it re-sends rather than re-decides. */
  private restore(records: readonly WalRecord[]): void {
    const s = this.s;
    for (const record of records) {
      if (record.height !== this.height) continue;
      if (record.type === 'prepared') {
        this.notePrepared(record.certificate);
        s.preparedLoggedView = Math.max(s.preparedLoggedView, record.certificate.view);
        this.addCandidate(record.certificate.blockHash, record.block, -1, 'self', record.certificate.view);
        continue;
      }
      let message: ConsensusMessage;
      try {
        message = decodeMessage(record.message, this.codecLimits);
      } catch (error: unknown) {
        throw new WeftError('STORAGE_ERROR', 'a consensus WAL record does not decode', { cause: error });
      }
      if (
        message.chainId !== this.chainId ||
        message.height !== this.height ||
        message.signer !== this.selfIndex
      ) {
        throw new WeftError('CONFIG_ERROR', 'the consensus WAL was written by another key, chain or height');
      }
      s.mine.set(ownKey(message.kind, message.view), {
        hashHex: message.kind === 'viewChange' ? preparedKey(message.prepared) : hexOf(message.blockHash),
        bytes: record.message,
      });
      switch (message.kind) {
        case 'proposal':
          s.view = Math.max(s.view, message.view);
          s.proposals.set(message.view, { hashHex: hexOf(message.blockHash), blockHash: message.blockHash });
          this.addCandidate(message.blockHash, message.block, -1, 'self', message.view);
          break;
        case 'prepare':
        case 'commit': {
          s.view = Math.max(s.view, message.view);
          const table = message.kind === 'prepare' ? s.prepares : s.commits;
          table.add(message.view, this.selfIndex, {
            hashHex: hexOf(message.blockHash),
            blockHash: message.blockHash,
            signature: message.signature,
          });
          if (message.kind === 'commit')
            s.highestCommitVoteView = Math.max(s.highestCommitVoteView, message.view);
          break;
        }
        case 'viewChange':
          s.viewChangeTarget = Math.max(s.viewChangeTarget, message.view);
          this.storeViewChange(this.selfIndex, message.view, {
            prepared: message.prepared,
            signature: message.signature,
          });
          if (message.prepared !== null) {
            this.notePrepared(message.prepared);
            if (message.preparedBlock !== null) {
              this.addCandidate(
                message.prepared.blockHash,
                message.preparedBlock,
                -1,
                'self',
                message.prepared.view,
              );
            }
          }
          break;
      }
    }
  }

  private onBlockPersisted(height: bigint, validators: readonly ValidatorId[] | undefined): void {
    if (height < this.height) return;
    if (validators !== undefined) this.setValidators(validators);
    this.height = height + 1n;
    this.s = new HeightState();
    for (const [key, seen] of this.peerHeights) if (seen <= this.height) this.peerHeights.delete(key);
    if (this.started) this.startHeight();
  }

  /** Starts the timers of the current height, re-sends anything restored, and replays buffered messages. */
  private startHeight(): void {
    const s = this.s;
    s.deadline =
      this.now + (s.viewChangeTarget > s.view ? this.backoff(s.viewChangeTarget) : this.viewTimeout(s.view));
    s.nextResend = this.now + this.timeouts.resendMs;
    this.resend();
    const replay: { from: Uint8Array; bytes: Uint8Array }[] = [];
    for (const [key, queue] of this.future) {
      const keep = queue.filter((m) => m.height > this.height);
      for (const m of queue)
        if (m.height === this.height) replay.push({ from: hexToBytes(key), bytes: m.bytes });
      if (keep.length === 0) this.future.delete(key);
      else this.future.set(key, keep);
    }
    for (const m of replay) this.onMessage(m.from, m.bytes);
    this.progress();
  }

  // -------------------------------------------------------------------------------------------------------
  // Time
  // -------------------------------------------------------------------------------------------------------

  private onTick(now: number): void {
    if (!Number.isFinite(now)) throw new WeftError('INVALID_ARGUMENT', 'tick time must be a finite number');
    this.now = Math.max(this.now, now);
    if (!this.started) {
      this.started = true;
      this.startHeight();
      return;
    }
    const s = this.s;
    if (s.committed) return;
    if (s.deadline !== null && this.now >= s.deadline) this.onTimeout();
    if (this.now >= s.nextResend) {
      this.emitBehind('resend');
      this.resend();
      s.nextResend = this.now + this.timeouts.resendMs;
    }
  }

  /** The view did not decide in time: ask for the next one (PBFT §4.4) and, if peers are ahead, say so. */
  private onTimeout(): void {
    const s = this.s;
    this.emitBehind('timeout');
    if (this.selfIndex < 0) {
      s.deadline = this.now + this.timeouts.proposalMs;
      return;
    }
    this.signViewChange(Math.max(s.view, s.viewChangeTarget) + 1);
    this.progress();
  }

  /** View 0 gets `proposalMs`; a later view at least the back-off that brought us there. */
  private viewTimeout(view: number): number {
    return view === 0 ? this.timeouts.proposalMs : Math.max(this.timeouts.proposalMs, this.backoff(view));
  }

  /** Exponential back-off so that, once the network is timely again, some view lasts long enough to decide. */
  private backoff(view: number): number {
    const exponent = Math.min(Math.max(view - 1, 0), this.timeouts.maxBackoffExponent);
    return this.timeouts.viewChangeBaseMs * 2 ** exponent;
  }

  /** Re-broadcasts this node's latest messages of the height: links may drop them, and peers may restart. */
  private resend(): void {
    const s = this.s;
    const keys = [ownKey('proposal', s.view), ownKey('prepare', s.view)];
    if (s.highestCommitVoteView >= 0) keys.push(ownKey('commit', s.highestCommitVoteView));
    if (s.viewChangeTarget > s.view) keys.push(ownKey('viewChange', s.viewChangeTarget));
    for (const key of keys) {
      const own = s.mine.get(key);
      if (own !== undefined) this.emit({ type: 'broadcast', bytes: own.bytes });
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Incoming messages: cheap checks first, signatures last (each rejection says IGNORE or PENALISE)
  // -------------------------------------------------------------------------------------------------------

  private onMessage(from: ValidatorId, bytes: Uint8Array): void {
    if (!(from instanceof Uint8Array) || !(bytes instanceof Uint8Array)) return;
    const fromKey = hexOf(from);
    const sender = this.indexByKey.get(fromKey);
    // IGNORE: only the height's validators take part; observers and strangers have nothing to say here.
    if (sender === undefined || sender === this.selfIndex) return;
    let header: ReturnType<typeof decodeMessageHeader>;
    try {
      header = decodeMessageHeader(bytes);
    } catch {
      this.penalise(from, 'malformed consensus message', 'high');
      return;
    }
    // PENALISE (low): a peer configured for another chain is misconfigured rather than malicious.
    if (header.chainId !== this.chainId) {
      this.penalise(from, 'consensus message for another chain', 'low');
      return;
    }
    // IGNORE: old heights are decided; delays make these normal.
    if (header.height < this.height) return;
    if (header.height > this.height) {
      this.notePeerHeight(fromKey, header.height);
      this.bufferFuture(fromKey, header.height, bytes);
      return;
    }
    if (this.s.committed) return;
    // PENALISE: messages are sent directly by their signer, never relayed, so blame for the content is clear.
    if (header.signer !== sender) {
      this.penalise(from, 'consensus message signed for another validator', 'high');
      return;
    }
    let message: ConsensusMessage;
    try {
      message = decodeMessage(bytes, this.codecLimits);
    } catch (error: unknown) {
      if (!isWeftError(error)) throw error;
      this.penalise(from, 'malformed consensus message', 'high');
      return;
    }
    switch (message.kind) {
      case 'proposal':
        this.onProposal(from, message);
        break;
      case 'prepare':
      case 'commit':
        this.onVote(from, message);
        break;
      case 'viewChange':
        this.onViewChange(from, message);
        break;
    }
    this.progress();
  }

  private onVote(from: ValidatorId, m: VoteMessage): void {
    const s = this.s;
    // IGNORE: votes far beyond our view only cost memory; the sender's view change will bring us along.
    if (m.view > Math.max(s.view, s.viewChangeTarget) + this.limits.maxFutureViews) return;
    const table = m.kind === 'prepare' ? s.prepares : s.commits;
    const hashHex = hexOf(m.blockHash);
    const existing = table.get(m.view, m.signer);
    if (existing !== undefined && existing.hashHex === hashHex) return; // IGNORE: a resend
    const digest = voteDigest(this.crypto.hash, m.kind, this.chainId, this.height, m.view, m.blockHash);
    if (!this.crypto.verify(digest, m.signature, from)) {
      this.penalise(from, `bad ${m.kind} signature`, 'high');
      return;
    }
    // PENALISE: two valid signatures on different hashes for one (height, view, phase) prove equivocation.
    if (existing !== undefined) {
      this.penalise(from, `conflicting ${m.kind} votes`, 'high');
      return;
    }
    table.add(m.view, m.signer, { hashHex, blockHash: m.blockHash, signature: m.signature });
  }

  private onProposal(from: ValidatorId, m: ProposalMessage): void {
    const s = this.s;
    // PENALISE: only leader(h, v) may propose in view v.
    if (m.signer !== leaderIndex(this.height, m.view, this.validators.length)) {
      this.penalise(from, 'proposal from a validator that does not lead its view', 'high');
      return;
    }
    const hashHex = hexOf(m.blockHash);
    const known = s.proposals.get(m.view);
    if (known !== undefined && known.hashHex === hashHex) return; // IGNORE: a resend
    // IGNORE: a view we have left for good; whatever it decided reaches us as commits or by block sync.
    if (known === undefined && m.view < s.view) return;
    if (m.view > 0) {
      const problem = this.justificationProblem(m);
      if (problem !== null) {
        this.penalise(from, problem, 'high');
        return;
      }
    }
    const digest = voteDigest(this.crypto.hash, 'proposal', this.chainId, this.height, m.view, m.blockHash);
    if (!this.crypto.verify(digest, m.signature, from)) {
      this.penalise(from, 'bad proposal signature', 'high');
      return;
    }
    if (known !== undefined) {
      // PENALISE: two signed proposals for one (height, view). Keep the first; the bytes of the second
      // may still be the block others commit, so remember them (they are checked before any use).
      this.penalise(from, 'conflicting proposals', 'high');
      if (!s.conflictingKept.has(m.view)) {
        s.conflictingKept.add(m.view); // one per view, so an equivocator cannot fill our memory
        this.addCandidate(m.blockHash, m.block, m.signer, 'proposal', m.view);
      }
      return;
    }
    if (m.view > 0 && !this.isJustificationSigned(m.view, m.justification)) {
      this.penalise(from, 'proposal with a forged view-change justification', 'high');
      return;
    }
    s.proposals.set(m.view, { hashHex, blockHash: m.blockHash });
    // A justified proposal proves 2f+1 validators left the lower views: follow, unless we promised not to.
    if (m.view > s.view && m.view >= s.viewChangeTarget) this.enterView(m.view);
    this.addCandidate(m.blockHash, m.block, m.signer, 'proposal', m.view);
    this.scheduleCheck(hashHex);
  }

  /**
   * The structural new-view rules (PBFT §4.4), checked before any signature: at least 2f+1 view changes by
   * distinct validators of this height, every embedded prepared certificate at least 2f+1 strong, and the
   * proposed block equal to the one of the highest prepared certificate if there is one.
   */
  private justificationProblem(m: ProposalMessage): string | null {
    if (m.justification.length < this.q) return 'proposal justified by fewer than 2f+1 view changes';
    let highest: PreparedCertificate | null = null;
    for (const vote of m.justification) {
      if (vote.signer >= this.validators.length) return 'view change by an unknown validator';
      const prepared = vote.prepared;
      if (prepared === null) continue;
      if (prepared.signers.length < this.q) return 'prepared certificate below quorum';
      if (prepared.signers.some((i) => i >= this.validators.length))
        return 'prepared certificate by an unknown validator';
      if (highest === null || prepared.view > highest.view) highest = prepared;
      else if (prepared.view === highest.view && !equalBytes(prepared.blockHash, highest.blockHash)) {
        return 'conflicting prepared certificates in one view';
      }
    }
    if (highest !== null && !equalBytes(highest.blockHash, m.blockHash)) {
      return 'proposal ignores the highest prepared block';
    }
    return null;
  }

  private isJustificationSigned(view: number, justification: readonly ViewChangeVote[]): boolean {
    return justification.every((vote) =>
      this.isViewChangeSigned(vote.signer, view, vote.prepared, vote.signature),
    );
  }

  /** Verifies a view change's signature and its prepared certificate, remembering what was proven. */
  private isViewChangeSigned(
    signer: number,
    view: number,
    prepared: PreparedCertificate | null,
    signature: Uint8Array,
  ): boolean {
    const s = this.s;
    const key = `${signer}:${view}:${preparedKey(prepared)}`;
    if (s.verifiedViewChanges.has(key)) return true;
    const digest = viewChangeDigest(this.crypto.hash, this.chainId, this.height, view, prepared);
    if (!this.crypto.verify(digest, signature, this.validators[signer] as ValidatorId)) return false;
    if (prepared !== null && !this.isPreparedProven(prepared)) return false;
    s.verifiedViewChanges.add(key);
    return true;
  }

  private isPreparedProven(prepared: PreparedCertificate): boolean {
    const key = preparedKey(prepared);
    if (this.s.preparedFacts.has(key)) return true;
    if (prepared.signers.length < this.q) return false;
    const digest = voteDigest(
      this.crypto.hash,
      'prepare',
      this.chainId,
      this.height,
      prepared.view,
      prepared.blockHash,
    );
    if (!isQuorumSigned(this.crypto, digest, prepared, this.validators)) return false;
    // Any valid prepared certificate may be reported in our own view changes: it is a fact about the height.
    this.notePrepared(prepared);
    return true;
  }

  private onViewChange(from: ValidatorId, m: ViewChangeMessage): void {
    const s = this.s;
    if (m.view <= s.view) {
      // IGNORE, but help: the sender is behind our view; if we lead it, hand it our proposal (once per
      // peer and view, so small requests cannot make us send blocks without end).
      const own = s.mine.get(ownKey('proposal', s.view));
      const helpKey = `${m.signer}:${s.view}`;
      if (own !== undefined && !s.helped.has(helpKey)) {
        s.helped.add(helpKey);
        this.emit({ type: 'send', to: from, bytes: own.bytes });
      }
      return;
    }
    const existing = s.viewChanges.get(m.signer)?.get(m.view);
    if (existing !== undefined && preparedKey(existing.prepared) === preparedKey(m.prepared)) return; // a resend
    if (m.prepared !== null) {
      if (m.prepared.signers.length < this.q) {
        this.penalise(from, 'prepared certificate below quorum', 'high');
        return;
      }
      if (m.prepared.signers.some((i) => i >= this.validators.length)) {
        this.penalise(from, 'prepared certificate by an unknown validator', 'high');
        return;
      }
    }
    const digest = viewChangeDigest(this.crypto.hash, this.chainId, this.height, m.view, m.prepared);
    if (!this.crypto.verify(digest, m.signature, from)) {
      this.penalise(from, 'bad view-change signature', 'high');
      return;
    }
    if (existing !== undefined) {
      this.penalise(from, 'conflicting view changes', 'high');
      return;
    }
    if (m.prepared !== null && !this.isPreparedProven(m.prepared)) {
      this.penalise(from, 'forged prepared certificate', 'high');
      return;
    }
    s.verifiedViewChanges.add(`${m.signer}:${m.view}:${preparedKey(m.prepared)}`);
    this.storeViewChange(m.signer, m.view, { prepared: m.prepared, signature: m.signature });
    if (m.prepared !== null) {
      this.notePrepared(m.prepared);
      if (m.preparedBlock !== null) {
        this.addCandidate(m.prepared.blockHash, m.preparedBlock, m.signer, 'viewChange', m.view);
      }
    }
  }

  private storeViewChange(signer: number, view: number, vote: StoredViewChange): void {
    let votes = this.s.viewChanges.get(signer);
    if (votes === undefined) {
      votes = new Map();
      this.s.viewChanges.set(signer, votes);
    }
    votes.set(view, vote);
    if (votes.size > VIEW_CHANGES_KEPT_PER_SIGNER) votes.delete(Math.min(...votes.keys()));
  }

  // -------------------------------------------------------------------------------------------------------
  // Answers from the node
  // -------------------------------------------------------------------------------------------------------

  private onProposalBuilt(height: bigint, view: number, block: Uint8Array, blockHash: Uint8Array): void {
    const s = this.s;
    if (height !== this.height || s.committed) return;
    const justification = s.builds.get(view);
    if (justification === undefined) return; // not asked for (or asked at another height)
    s.builds.delete(view);
    if (!(blockHash instanceof Uint8Array) || blockHash.length !== HASH_LENGTH) {
      throw new WeftError('INVALID_ARGUMENT', `proposalBuilt needs a ${HASH_LENGTH}-byte blockHash`);
    }
    if (!(block instanceof Uint8Array) || block.length === 0 || block.length > this.limits.maxBlockBytes) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `a built block must be 1 to ${this.limits.maxBlockBytes} bytes`,
      );
    }
    if (!this.mayPropose(view)) return;
    const candidate = this.addCandidate(blockHash, block, -1, 'self', view);
    candidate.status = 'valid';
    this.signProposal(view, blockHash, block, justification);
    this.progress();
  }

  private onProposalChecked(height: bigint, blockHash: Uint8Array, valid: boolean): void {
    const s = this.s;
    if (height !== this.height || !(blockHash instanceof Uint8Array)) return;
    const hashHex = hexOf(blockHash);
    const candidates = s.candidates.get(hashHex) ?? [];
    const candidate = candidates.find((c) => c.status === 'checking');
    if (candidate === undefined) return;
    candidate.status = valid ? 'valid' : 'invalid';
    if (!valid) {
      const source = this.validators[candidate.source];
      if (candidate.source >= 0 && source !== undefined) {
        this.penalise(
          source,
          candidate.origin === 'proposal' ? 'invalid proposal' : 'invalid prepared block',
          'high',
        );
      }
      this.scheduleCheck(hashHex);
      // An invalid proposal in our view: change view now rather than wait for the timeout.
      const current = s.proposals.get(s.view);
      const stillPossible = candidates.some((c) => c.status !== 'invalid');
      if (!s.committed && current?.hashHex === hashHex && !stillPossible && this.canVote(s.view)) {
        this.signViewChange(s.view + 1);
      }
    }
    this.progress();
  }

  // -------------------------------------------------------------------------------------------------------
  // Progress: everything that follows from the current state, repeated until nothing changes
  // -------------------------------------------------------------------------------------------------------

  private progress(): void {
    if (!this.started) return;
    for (let rounds = 0; rounds < 16 && !this.s.committed; rounds++) {
      const changed =
        this.tryCommit() ||
        this.tryFollowViewChange() ||
        this.tryLead() ||
        this.tryPrepare() ||
        this.tryCommitVote();
      if (!changed) break;
    }
  }

  /** 2f+1 commits of one view for a block we checked: final. */
  private tryCommit(): boolean {
    const s = this.s;
    for (const { view, hashHex, blockHash } of s.commits.quorums(this.q)) {
      const block = this.validBlock(hashHex);
      if (block === undefined) {
        this.scheduleCheck(hashHex);
        continue;
      }
      const quorum = s.commits.signatures(view, hashHex, this.q);
      const certificate = encodeCertificate({
        chainId: this.chainId,
        height: this.height,
        view,
        blockHash,
        ...quorum,
      });
      s.committed = true;
      s.deadline = null;
      this.emit({ type: 'commit', height: this.height, view, block, blockHash, certificate });
      return true;
    }
    return false;
  }

  /**
   * f+1 validators asked for views above ours, so at least one honest validator did: join the lowest of
   * those views (PBFT §4.5.2), which keeps honest validators from drifting apart in view.
   */
  private tryFollowViewChange(): boolean {
    const s = this.s;
    if (this.selfIndex < 0) return false;
    const floor = Math.max(s.view, s.viewChangeTarget);
    const highest: number[] = [];
    for (const [signer, votes] of s.viewChanges) {
      if (signer === this.selfIndex) continue;
      const top = Math.max(...votes.keys());
      if (top > floor) highest.push(top);
    }
    if (highest.length < this.f + 1) return false;
    highest.sort((a, b) => b - a);
    this.signViewChange(highest[this.f] as number);
    return true;
  }

  /** As leader: build the view-0 block, or prove 2f+1 view changes and (re-)propose in the new view. */
  private tryLead(): boolean {
    const s = this.s;
    if (this.selfIndex < 0) return false;
    const view = Math.max(s.view, s.viewChangeTarget);
    if (leaderIndex(this.height, view, this.validators.length) !== this.selfIndex) return false;
    if (s.mine.has(ownKey('proposal', view)) || s.builds.has(view)) return false;
    if (view === 0) {
      this.requestBuild(0, []);
      return true;
    }
    const justification: ViewChangeVote[] = [];
    for (const [signer, votes] of [...s.viewChanges].sort(([a], [b]) => a - b)) {
      const vote = votes.get(view);
      if (vote !== undefined) justification.push({ signer, ...vote });
    }
    if (justification.length < this.q) return false;
    let highest: PreparedCertificate | null = null;
    for (const { prepared } of justification) {
      if (prepared !== null && (highest === null || prepared.view > highest.view)) highest = prepared;
    }
    if (highest === null) {
      this.requestBuild(view, justification);
      return true;
    }
    // Safety across views: the block of the highest prepared certificate is the only one we may propose.
    const hashHex = hexOf(highest.blockHash);
    const block = this.validBlock(hashHex);
    if (block === undefined) {
      this.scheduleCheck(hashHex);
      return false;
    }
    this.signProposal(view, highest.blockHash, block, justification);
    return true;
  }

  private requestBuild(view: number, justification: readonly ViewChangeVote[]): void {
    this.s.builds.set(view, justification);
    this.emit({ type: 'buildProposal', height: this.height, view });
  }

  private tryPrepare(): boolean {
    const s = this.s;
    if (!this.canVote(s.view) || s.mine.has(ownKey('prepare', s.view))) return false;
    const proposal = s.proposals.get(s.view);
    if (proposal === undefined) return false;
    if (this.validBlock(proposal.hashHex) === undefined) {
      this.scheduleCheck(proposal.hashHex); // e.g. our own proposal restored from the WAL
      return false;
    }
    this.signVote('prepare', s.view, proposal.blockHash);
    return true;
  }

  /** Prepared (2f+1 prepares for a block we checked) in our view: log the certificate, then vote commit. */
  private tryCommitVote(): boolean {
    const s = this.s;
    let changed = false;
    for (const { view, hashHex, blockHash } of s.prepares.quorums(this.q)) {
      if (!s.preparedByView.has(view)) {
        this.notePrepared({ view, blockHash, ...s.prepares.signatures(view, hashHex, this.q) });
      }
      if (!this.canVote(view) || s.mine.has(ownKey('commit', view))) continue;
      const block = this.validBlock(hashHex);
      if (block === undefined) {
        this.scheduleCheck(hashHex);
        continue;
      }
      if (s.preparedLoggedView < view) {
        const certificate: PreparedCertificate = {
          view,
          blockHash,
          ...s.prepares.signatures(view, hashHex, this.q),
        };
        this.emit({ type: 'persist', record: { type: 'prepared', height: this.height, certificate, block } });
        s.preparedLoggedView = view;
      }
      this.signVote('commit', view, blockHash);
      changed = true;
    }
    return changed;
  }

  // -------------------------------------------------------------------------------------------------------
  // Signing: every signature is logged before it leaves, and never twice for one (height, view, phase)
  // -------------------------------------------------------------------------------------------------------

  private canVote(view: number): boolean {
    const s = this.s;
    return this.selfIndex >= 0 && !s.committed && view === s.view && view >= s.viewChangeTarget;
  }

  private mayPropose(view: number): boolean {
    const s = this.s;
    return (
      this.selfIndex >= 0 &&
      leaderIndex(this.height, view, this.validators.length) === this.selfIndex &&
      view >= s.view &&
      view >= s.viewChangeTarget &&
      !s.mine.has(ownKey('proposal', view))
    );
  }

  private signVote(phase: 'prepare' | 'commit', view: number, blockHash: Uint8Array): void {
    const s = this.s;
    const hashHex = hexOf(blockHash);
    const existing = s.mine.get(ownKey(phase, view));
    if (existing !== undefined) return; // already signed this (height, view, phase): never sign another
    const signature = this.sign(
      voteDigest(this.crypto.hash, phase, this.chainId, this.height, view, blockHash),
    );
    const bytes = encodeMessage({
      kind: phase,
      chainId: this.chainId,
      height: this.height,
      view,
      signer: this.selfIndex,
      blockHash,
      signature,
    });
    this.logAndBroadcast(ownKey(phase, view), hashHex, bytes);
    (phase === 'prepare' ? s.prepares : s.commits).add(view, this.selfIndex, {
      hashHex,
      blockHash,
      signature,
    });
    if (phase === 'commit') s.highestCommitVoteView = Math.max(s.highestCommitVoteView, view);
  }

  private signProposal(
    view: number,
    blockHash: Uint8Array,
    block: Uint8Array,
    justification: readonly ViewChangeVote[],
  ): void {
    const s = this.s;
    if (!this.mayPropose(view)) return;
    const phase: VotePhase = 'proposal';
    const signature = this.sign(
      voteDigest(this.crypto.hash, phase, this.chainId, this.height, view, blockHash),
    );
    const bytes = encodeMessage({
      kind: 'proposal',
      chainId: this.chainId,
      height: this.height,
      view,
      signer: this.selfIndex,
      blockHash,
      block,
      justification,
      signature,
    });
    const hashHex = hexOf(blockHash);
    this.logAndBroadcast(ownKey('proposal', view), hashHex, bytes);
    s.proposals.set(view, { hashHex, blockHash });
    if (view > s.view) this.enterView(view);
  }

  private signViewChange(view: number): void {
    const s = this.s;
    if (this.selfIndex < 0 || view <= s.viewChangeTarget || view <= s.view) return;
    // A view change to `view` reports the highest prepared certificate of a lower view (§4.4).
    const prepared = this.highestPrepared(view);
    const signature = this.sign(
      viewChangeDigest(this.crypto.hash, this.chainId, this.height, view, prepared),
    );
    const preparedBlock = prepared === null ? null : this.attachableBlock(hexOf(prepared.blockHash));
    const bytes = encodeMessage({
      kind: 'viewChange',
      chainId: this.chainId,
      height: this.height,
      view,
      signer: this.selfIndex,
      prepared,
      preparedBlock: preparedBlock ?? null,
      signature,
    });
    this.logAndBroadcast(ownKey('viewChange', view), preparedKey(prepared), bytes);
    s.viewChangeTarget = view;
    this.storeViewChange(this.selfIndex, view, { prepared, signature });
    s.verifiedViewChanges.add(`${this.selfIndex}:${view}:${preparedKey(prepared)}`);
    s.deadline = this.now + this.backoff(view);
  }

  private sign(digest: Uint8Array): Uint8Array {
    const signature = this.crypto.sign(digest);
    if (!(signature instanceof Uint8Array) || signature.length !== this.crypto.signatureLength) {
      throw new WeftError(
        'INVALID_SIGNATURE',
        'the consensus signer returned a signature of the wrong length',
      );
    }
    return signature;
  }

  /** Write-ahead: the persist action precedes the broadcast in the same batch. */
  private logAndBroadcast(key: string, hashHex: string, bytes: Uint8Array): void {
    this.s.mine.set(key, { hashHex, bytes });
    this.emit({ type: 'persist', record: { type: 'signed', height: this.height, message: bytes } });
    this.emit({ type: 'broadcast', bytes });
  }

  private enterView(view: number): void {
    const s = this.s;
    s.view = view;
    s.deadline = this.now + this.viewTimeout(view);
    for (const votes of s.viewChanges.values()) for (const v of votes.keys()) if (v <= view) votes.delete(v);
    for (const [signer, votes] of s.viewChanges) if (votes.size === 0) s.viewChanges.delete(signer);
  }

  private notePrepared(certificate: PreparedCertificate): void {
    const s = this.s;
    if (!s.preparedByView.has(certificate.view)) s.preparedByView.set(certificate.view, certificate);
    s.preparedFacts.add(preparedKey(certificate));
  }

  private highestPrepared(belowView: number): PreparedCertificate | null {
    let highest: PreparedCertificate | null = null;
    for (const [view, certificate] of this.s.preparedByView) {
      if (view < belowView && (highest === null || view > highest.view)) highest = certificate;
    }
    return highest;
  }

  // -------------------------------------------------------------------------------------------------------
  // Candidate blocks and checks
  // -------------------------------------------------------------------------------------------------------

  private addCandidate(
    blockHash: Uint8Array,
    block: Uint8Array,
    source: number,
    origin: Candidate['origin'],
    view: number,
  ): Candidate {
    const hashHex = hexOf(blockHash);
    let list = this.s.candidates.get(hashHex);
    if (list === undefined) {
      list = [];
      this.s.candidates.set(hashHex, list);
    }
    const same = list.find((c) => equalBytes(c.block, block));
    if (same !== undefined) return same;
    const candidate: Candidate = { block, blockHash, status: 'unchecked', source, origin, view };
    // At most one set of bytes per sender and hash, so a liar cannot make us check without end.
    const bySameSource = list.findIndex((c) => c.source === source && c.status === 'unchecked');
    if (bySameSource >= 0 && source >= 0) list[bySameSource] = candidate;
    else if (list.length <= this.validators.length || source < 0) list.push(candidate);
    return candidate;
  }

  /** Bytes for `hashHex` that the node confirmed (or that we built); undefined if none yet. */
  private validBlock(hashHex: string): Uint8Array | undefined {
    return this.s.candidates.get(hashHex)?.find((c) => c.status === 'valid')?.block;
  }

  /** Bytes we may hand to the next leader: confirmed ones, or our own logged before a restart. */
  private attachableBlock(hashHex: string): Uint8Array | undefined {
    const list = this.s.candidates.get(hashHex) ?? [];
    return (
      list.find((c) => c.status === 'valid') ??
      list.find((c) => c.origin === 'self' && c.status !== 'invalid')
    )?.block;
  }

  /** Asks the node to check the next unchecked bytes for `hashHex`, one check in flight per hash. */
  private scheduleCheck(hashHex: string): void {
    const list = this.s.candidates.get(hashHex);
    if (list === undefined || list.some((c) => c.status === 'valid' || c.status === 'checking')) return;
    const next = list.find((c) => c.status === 'unchecked');
    if (next === undefined) return;
    next.status = 'checking';
    this.emit({
      type: 'checkProposal',
      height: this.height,
      view: next.view,
      block: next.block,
      blockHash: next.blockHash,
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Peers ahead of us, buffering, penalties
  // -------------------------------------------------------------------------------------------------------

  private notePeerHeight(fromKey: string, height: bigint): void {
    if ((this.peerHeights.get(fromKey) ?? 0n) >= height) return;
    this.peerHeights.set(fromKey, height);
    this.emitBehind('message');
  }

  /**
   * Asks the node to sync when validators have moved past our height; block sync verifies every certificate,
   * so a peer lying about its height costs one wasted request and nothing more.
   * - On a message: f+1 validators (so at least one honest) two or more heights ahead. One ahead is usual
   *   on a message: we are finishing the same block.
   * - On each resend interval while undecided: f+1 validators one or more heights ahead; the commits that
   *   would have let us decide should have arrived by now.
   * - On timeout: any validator ahead, the highest. The validators that decided may be fewer than f+1
   *   while the rest cannot decide without them, because they left the height.
   */
  private emitBehind(trigger: 'message' | 'resend' | 'timeout'): void {
    const ahead: bigint[] = [];
    for (const [key, height] of this.peerHeights) {
      if (height > this.height && this.indexByKey.has(key)) ahead.push(height);
    }
    ahead.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    if (trigger === 'timeout') {
      if (ahead[0] !== undefined) this.emit({ type: 'behind', height: ahead[0] });
      return;
    }
    const target = ahead[this.f];
    if (target === undefined) return;
    if (trigger === 'resend' || (target >= this.height + 2n && target > this.lastBehind)) {
      if (target > this.lastBehind) this.lastBehind = target;
      this.emit({ type: 'behind', height: target });
    }
  }

  private bufferFuture(fromKey: string, height: bigint, bytes: Uint8Array): void {
    if (height > this.height + BigInt(this.limits.maxFutureHeights)) return;
    let queue = this.future.get(fromKey);
    if (queue === undefined) {
      queue = [];
      this.future.set(fromKey, queue);
    }
    const buffered = queue.reduce((sum, m) => sum + m.bytes.length, 0);
    // IGNORE beyond the bounds: resends refill the buffer once we get there.
    if (queue.length >= this.limits.maxBufferedPerPeer) return;
    if (buffered + bytes.length > this.limits.maxBufferedBytesPerPeer) return;
    queue.push({ height, bytes: bytes.slice() });
  }

  private penalise(peer: ValidatorId, reason: string, severity: PenaltySeverity): void {
    this.emit({ type: 'penalise', peer, reason, severity });
  }

  private emit(action: ConsensusAction): void {
    this.out.push(action);
  }
}
