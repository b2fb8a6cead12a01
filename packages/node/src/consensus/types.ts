/**
 * The public contract of the PBFT state machine (`./pbft.ts`): what the node feeds in (events), what it must
 * carry out (actions), what it must keep durable (WAL records) and what the machine needs from the chain's
 * crypto suite. Everything here is plain data so a run can be recorded and replayed byte for byte.
 */

/** A validator's 64-byte consensus public key (x ‖ y, as `CryptoSuite.publicKeyFromPrivate` returns it). */
export type ValidatorId = Uint8Array;

/**
 * Hashing and signing injected by the node. `CryptoSuite` already satisfies every member except `sign`,
 * which closes over this node's private key (see `consensusCryptoFromSuite` in `./pbft.ts`).
 */
export interface ConsensusCrypto {
  /** Exact length of every signature `sign` produces (65 for `ecdsa`, 128 for `sm`). */
  readonly signatureLength: number;
  /** The chain hash, 32 bytes. */
  hash(data: Uint8Array): Uint8Array;
  /** Signs a 32-byte digest with this node's consensus key. Never called on an observer. */
  sign(digest: Uint8Array): Uint8Array;
  /** True iff `signature` is `signer`'s valid signature over `digest`; never throws. */
  verify(digest: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean;
}

/** What a certificate verifier needs: a `CryptoSuite` fits as is. */
export type CertificateCrypto = Pick<ConsensusCrypto, 'signatureLength' | 'hash' | 'verify'>;

/** Votes over a block hash by a quorum of validators, identified by index into the height's validator list. */
export interface QuorumSignatures {
  /** Validator indices, strictly ascending. */
  readonly signers: readonly number[];
  /** `signatures[i]` is by `signers[i]`. */
  readonly signatures: readonly Uint8Array[];
}

/** 2f+1 prepare votes for `blockHash` in `view` (of the height given by context). */
export interface PreparedCertificate extends QuorumSignatures {
  readonly view: number;
  readonly blockHash: Uint8Array;
}

/**
 * The proof of finality stored with a block: ≥ 2f+1 distinct validators' commit signatures over
 * `commitDigest(chainId, height, view, blockHash)` (see `./codec.ts`).
 */
export interface CommitCertificate extends QuorumSignatures {
  readonly chainId: bigint;
  readonly height: bigint;
  readonly view: number;
  readonly blockHash: Uint8Array;
}

/**
 * Write-ahead-log records. The node must make each `persist` record durable before it performs any later
 * action of the same batch, keep the records of the height it is deciding, and may delete records of
 * heights below it once the block at that height is stored. `encodeWalRecord` / `decodeWalRecord`
 * (`./codec.ts`) give them a byte form.
 */
export type WalRecord =
  /** A consensus message this node signed (proposal, prepare, commit or view change), as sent. */
  | { readonly type: 'signed'; readonly height: bigint; readonly message: Uint8Array }
  /** This node saw 2f+1 prepares for `block` and is about to vote commit (its PBFT "lock"). */
  | {
      readonly type: 'prepared';
      readonly height: bigint;
      readonly certificate: PreparedCertificate;
      readonly block: Uint8Array;
    };

export type ConsensusEvent =
  /** The node's clock, monotonic milliseconds; send one every 50–100 ms, and one first of all. */
  | { readonly type: 'tick'; readonly now: number }
  /** Raw, untrusted bytes from an authenticated peer whose consensus key is `from`. */
  | { readonly type: 'message'; readonly from: ValidatorId; readonly bytes: Uint8Array }
  /** Answer to `buildProposal`: a block built on the parent at `height − 1` and executed. */
  | {
      readonly type: 'proposalBuilt';
      readonly height: bigint;
      readonly view: number;
      readonly block: Uint8Array;
      readonly blockHash: Uint8Array;
    }
  /**
   * Answer to `checkProposal`. `valid` means: `block` decodes, its header hash IS `blockHash`, its parent is
   * the block stored at `height − 1`, and executing it reproduces its state root. The node keys any execution
   * cache by the hash it computed, never by the claimed one.
   */
  | {
      readonly type: 'proposalChecked';
      readonly height: bigint;
      readonly view: number;
      readonly blockHash: Uint8Array;
      readonly valid: boolean;
    }
  /**
   * The block at `height` is durably stored (committed by us or fetched by block sync with a verified
   * certificate); decide `height + 1` next. `validators` is the list for `height + 1` if it changed.
   */
  | {
      readonly type: 'blockPersisted';
      readonly height: bigint;
      readonly validators?: readonly ValidatorId[];
    };

export type PenaltySeverity = 'low' | 'high';

export type ConsensusAction =
  /** Make `record` durable BEFORE performing any later action of this batch. */
  | { readonly type: 'persist'; readonly record: WalRecord }
  /** Send to every peer (validators and observers). */
  | { readonly type: 'broadcast'; readonly bytes: Uint8Array }
  | { readonly type: 'send'; readonly to: ValidatorId; readonly bytes: Uint8Array }
  /** We lead (height, view): build a block on the stored parent, execute it, answer `proposalBuilt`. */
  | { readonly type: 'buildProposal'; readonly height: bigint; readonly view: number }
  /** Decode, check and execute a proposed block; answer `proposalChecked`. */
  | {
      readonly type: 'checkProposal';
      readonly height: bigint;
      readonly view: number;
      readonly block: Uint8Array;
      readonly blockHash: Uint8Array;
    }
  /** Final: store `block` with `certificate` (encoded `CommitCertificate`), then send `blockPersisted`. */
  | {
      readonly type: 'commit';
      readonly height: bigint;
      readonly view: number;
      readonly block: Uint8Array;
      readonly blockHash: Uint8Array;
      readonly certificate: Uint8Array;
    }
  /** f+1 validators are already working on `height`: fetch blocks up to `height − 1` by block sync. */
  | { readonly type: 'behind'; readonly height: bigint }
  /** `peer` sent something malformed or provably wrong. `reason` is a fixed phrase, never peer data. */
  | {
      readonly type: 'penalise';
      readonly peer: ValidatorId;
      readonly reason: string;
      readonly severity: PenaltySeverity;
    };

export interface ConsensusTimeouts {
  /** How long view 0 of a height may take to commit before this node asks for a view change. */
  readonly proposalMs: number;
  /** Time allowed for view change to view 1; doubles for each further view (exponential back-off). */
  readonly viewChangeBaseMs: number;
  /** Back-off stops doubling after this many doublings. */
  readonly maxBackoffExponent: number;
  /** Own messages of the current height are re-broadcast this often while it is undecided (lossy links). */
  readonly resendMs: number;
}

export interface ConsensusLimits {
  /** Largest block accepted in a proposal or view change. */
  readonly maxBlockBytes: number;
  /** Messages for heights up to current + this are buffered; higher ones only count towards `behind`. */
  readonly maxFutureHeights: number;
  /** Votes for views up to current + this are kept; higher ones are dropped. */
  readonly maxFutureViews: number;
  /** Buffered future-height messages per peer. */
  readonly maxBufferedPerPeer: number;
  /** Total bytes of buffered future-height messages per peer. */
  readonly maxBufferedBytesPerPeer: number;
}

export type ConsensusPhase = 'proposing' | 'preparing' | 'committing' | 'viewChange' | 'committed';

/** A read-only snapshot for RPC (`weft_consensusStatus`) and dashboards. */
export interface ConsensusStatus {
  readonly height: bigint;
  readonly view: number;
  /** Highest view this node asked to change to (equals `view` when not changing view). */
  readonly viewChangeTarget: number;
  readonly phase: ConsensusPhase;
  readonly leader: ValidatorId;
  readonly isValidator: boolean;
  readonly validatorCount: number;
  readonly quorum: number;
  /** View and hash of this node's highest prepared certificate at this height, if any. */
  readonly prepared: { readonly view: number; readonly blockHash: Uint8Array } | null;
}
