import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '@weft/crypto/bytes';
import type { SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import { leaderIndex, quorumSize, verifyCommitCertificate } from '../src/consensus/certificate.js';
import {
  type ConsensusMessage,
  commitDigest,
  decodeMessage,
  encodeCertificate,
  encodeMessage,
  type ViewChangeVote,
  viewChangeDigest,
  voteDigest,
} from '../src/consensus/codec.js';
import { type Consensus, createConsensus } from '../src/consensus/pbft.js';
import type {
  ConsensusAction,
  ConsensusCrypto,
  ConsensusEvent,
  ConsensusTimeouts,
  PreparedCertificate,
  ValidatorId,
  WalRecord,
} from '../src/consensus/types.js';

/**
 * A deterministic discrete-event simulation of a weft consortium around the PBFT state machine: simulated
 * time, a lossy/duplicating/reordering/partitionable network, crashes with WAL restarts, block sync, and
 * byzantine validators. Every random choice comes from one seeded generator, so a run replays exactly from
 * its seed. Safety violations (two blocks final at one height, an invalid certificate, an honest validator
 * signing two different messages for one (height, view, phase)) are collected in `violations`.
 */

export const SIM_CHAIN_ID = 1337n;

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness (sfc32, from PractRand's small fast chaotic generator)
// ---------------------------------------------------------------------------------------------------------

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Crypto: an ideal signature scheme (fast) or real secp256k1
// ---------------------------------------------------------------------------------------------------------

export interface SimKey {
  readonly id: ValidatorId;
  sign(digest: Uint8Array): Uint8Array;
}

export interface SimCrypto {
  readonly signatureLength: number;
  hash(data: Uint8Array): Uint8Array;
  verify(digest: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean;
  createKey(index: number): SimKey;
}

/**
 * Ideal signatures for speed: sig = sha256(secret ‖ digest), verified by looking the secret up. Unforgeable
 * inside the simulation because adversary code only ever holds its own key object.
 */
export function createIdealCrypto(seed: number): SimCrypto {
  const secrets = new Map<string, Uint8Array>();
  return {
    signatureLength: 32,
    hash: (data) => sha256(data),
    verify(digest, signature, signer) {
      const secret = secrets.get(bytesToHex(signer));
      return secret !== undefined && equalBytes(sha256(concatBytes(secret, digest)), signature);
    },
    createKey(index) {
      const secret = sha256(utf8ToBytes(`weft-sim-key:${seed}:${index}`));
      const id = concatBytes(
        sha256(concatBytes(secret, Uint8Array.of(1))),
        sha256(concatBytes(secret, Uint8Array.of(2))),
      );
      secrets.set(bytesToHex(id), secret);
      return { id, sign: (digest) => sha256(concatBytes(secret, digest)) };
    },
  };
}

/** A chain suite (`ecdsa`: secp256k1 + Keccak-256, `sm`: SM2 + SM3) with keys derived from the seed. */
export function createSuiteCrypto(name: SuiteName, seed: number): SimCrypto {
  const suite = getSuite(name);
  return {
    signatureLength: suite.signatureLength,
    hash: (data) => suite.hash(data),
    verify: (digest, signature, signer) => suite.verify(digest, signature, signer),
    createKey(index) {
      const privateKey = sha256(utf8ToBytes(`weft-sim-${name}:${seed}:${index}`));
      const id = suite.publicKeyFromPrivate(privateKey);
      return { id, sign: (digest) => suite.sign(digest, privateKey) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Simulated blocks: height ‖ parent ‖ proposer ‖ view ‖ nonce; hash = sha256(bytes)
// ---------------------------------------------------------------------------------------------------------

export const GENESIS_HASH = new Uint8Array(32);

export function encodeSimBlock(
  height: bigint,
  parent: Uint8Array,
  proposer: number,
  view: number,
  nonce: number,
): Uint8Array {
  const out = new Uint8Array(8 + 32 + 2 + 4 + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, height);
  out.set(parent, 8);
  dv.setUint16(40, proposer);
  dv.setUint32(42, view);
  dv.setUint32(46, nonce);
  return out;
}

function decodeSimBlock(block: Uint8Array): { height: bigint; parent: Uint8Array } | null {
  if (block.length !== 50) return null;
  return { height: new DataView(block.buffer, block.byteOffset).getBigUint64(0), parent: block.slice(8, 40) };
}

// ---------------------------------------------------------------------------------------------------------
// Scenario description
// ---------------------------------------------------------------------------------------------------------

export type ByzantineBehaviour =
  /** As leader, send one proposal to half the peers and a different one to the rest. */
  | 'equivocate'
  /** Send conflicting prepares/commits to different peers (and both to one). */
  | 'doubleVote'
  /** Also send copies of its messages with a corrupted signature. */
  | 'badSignatures'
  /** Send random bytes and truncated/mutated messages. */
  | 'garbage'
  /** Send view changes with forged or under-quorum prepared certificates, and forged new-view proposals. */
  | 'forgeCertificates'
  /** As leader, propose blocks that do not extend the chain. */
  | 'invalidBlocks'
  /** Send nothing at all. */
  | 'silent';

export const ALL_BEHAVIOURS: readonly ByzantineBehaviour[] = [
  'equivocate',
  'doubleVote',
  'badSignatures',
  'garbage',
  'forgeCertificates',
  'invalidBlocks',
];

export interface NetworkConditions {
  readonly loss: number;
  readonly duplicate: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** Between `fromMs` and `toMs`, nodes in different groups cannot reach each other. */
export interface Partition {
  readonly fromMs: number;
  readonly toMs: number;
  readonly groups: readonly (readonly number[])[];
}

export interface Crash {
  readonly node: number;
  readonly atMs: number;
  readonly downMs: number;
  /** Crash in the middle of the node's next batch of actions, after this many actions were carried out. */
  readonly afterActions?: number;
}

export interface SimOptions {
  readonly seed: number;
  readonly validators: number;
  readonly observers?: number;
  readonly byzantine?: Readonly<Record<number, readonly ByzantineBehaviour[]>>;
  /** Validators that never start. */
  readonly dead?: readonly number[];
  readonly network?: Partial<NetworkConditions>;
  readonly partitions?: readonly Partition[];
  readonly crashes?: readonly Crash[];
  readonly timeouts?: Partial<ConsensusTimeouts>;
  /** `ideal` (default) is fast; `ecdsa` and `sm` sign with the chain suites. */
  readonly crypto?: 'ideal' | SuiteName;
  readonly tickMs?: number;
  /** How long a leader's node takes to build a block (its seal time); default 100 ms. */
  readonly buildDelayMs?: number;
}

export interface Penalty {
  readonly by: number;
  readonly peer: number;
  readonly reason: string;
  readonly severity: 'low' | 'high';
}

interface StoredBlock {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly block: Uint8Array;
  readonly certificate: Uint8Array;
}

interface SimNode {
  readonly index: number;
  readonly key: SimKey;
  readonly behaviours: ReadonlySet<ByzantineBehaviour>;
  machine: Consensus | null;
  epoch: number;
  up: boolean;
  /** Committed blocks, heights 1, 2, … */
  readonly chain: StoredBlock[];
  /** The durable write-ahead log. */
  wal: WalRecord[];
  syncing: boolean;
  crashAfterActions: number | null;
  downMs: number;
  restarts: number;
}

type SimEvent =
  | { readonly kind: 'tick'; readonly node: number; readonly epoch: number }
  | { readonly kind: 'deliver'; readonly to: number; readonly from: number; readonly bytes: Uint8Array }
  | { readonly kind: 'input'; readonly node: number; readonly epoch: number; readonly event: ConsensusEvent }
  | { readonly kind: 'store'; readonly node: number; readonly epoch: number; readonly block: StoredBlock }
  | {
      readonly kind: 'synced';
      readonly node: number;
      readonly epoch: number;
      readonly source: number;
      readonly blocks: readonly StoredBlock[];
    }
  | {
      readonly kind: 'crash';
      readonly node: number;
      readonly downMs: number;
      readonly afterActions: number | null;
    }
  | { readonly kind: 'restart'; readonly node: number };

interface Queued {
  readonly at: number;
  readonly seq: number;
  readonly event: SimEvent;
}

/** Binary min-heap on (time, insertion order): ties resolve deterministically. */
class EventQueue {
  private readonly heap: Queued[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, event: SimEvent): void {
    this.heap.push({ at, seq: this.seq++, event });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peekTime(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): Queued | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as Queued;
    const b = this.heap[j] as Queued;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i] as Queued;
    this.heap[i] = this.heap[j] as Queued;
    this.heap[j] = t;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------------------

export const SIM_TIMEOUTS: ConsensusTimeouts = {
  proposalMs: 1_000,
  viewChangeBaseMs: 1_000,
  maxBackoffExponent: 4,
  resendMs: 500,
};

export class Simulation {
  readonly seed: number;
  readonly n: number;
  readonly crypto: SimCrypto;
  readonly nodes: SimNode[] = [];
  readonly validators: ValidatorId[];
  /** Safety violations found; a correct protocol leaves this empty whatever the network does. */
  readonly violations: string[] = [];
  readonly penalties: Penalty[] = [];
  /** The one block hash (hex) final at each height, as first seen. */
  readonly decided = new Map<bigint, string>();
  messagesDelivered = 0;
  /** Blocks with forged or under-quorum certificates that a byzantine sync source served and nodes refused. */
  forgedSyncBlocksRejected = 0;
  now = 0;

  private readonly rng: Rng;
  private readonly queue = new EventQueue();
  private readonly options: SimOptions;
  private network: NetworkConditions;
  private readonly tickMs: number;
  private readonly keyIndex = new Map<string, number>();
  private readonly signedBy = new Map<string, string>();
  private nonce = 0;

  constructor(options: SimOptions) {
    this.options = options;
    this.seed = options.seed;
    this.n = options.validators;
    this.rng = new Rng(options.seed);
    this.crypto =
      options.crypto === undefined || options.crypto === 'ideal'
        ? createIdealCrypto(options.seed)
        : createSuiteCrypto(options.crypto, options.seed);
    this.network = { loss: 0, duplicate: 0, minDelayMs: 1, maxDelayMs: 20, ...options.network };
    this.tickMs = options.tickMs ?? 50;
    const total = options.validators + (options.observers ?? 0);
    for (let i = 0; i < total; i++) {
      const key = this.crypto.createKey(i);
      this.keyIndex.set(bytesToHex(key.id), i);
      this.nodes.push({
        index: i,
        key,
        behaviours: new Set(options.byzantine?.[i] ?? []),
        machine: null,
        epoch: 0,
        up: false,
        chain: [],
        wal: [],
        syncing: false,
        crashAfterActions: null,
        downMs: 0,
        restarts: 0,
      });
    }
    this.validators = this.nodes.slice(0, options.validators).map((node) => node.key.id);
    const dead = new Set(options.dead ?? []);
    for (const node of this.nodes) if (!dead.has(node.index)) this.start(node);
    for (const crash of options.crashes ?? []) {
      this.queue.push(crash.atMs, {
        kind: 'crash',
        node: crash.node,
        downMs: crash.downMs,
        afterActions: crash.afterActions ?? null,
      });
    }
  }

  isHonest(index: number): boolean {
    const node = this.nodes[index];
    return node !== undefined && node.behaviours.size === 0 && !(this.options.dead ?? []).includes(index);
  }

  /** Lowest committed height over honest nodes (validators and observers). */
  minHonestHeight(): bigint {
    let min: bigint | null = null;
    for (const node of this.nodes) {
      if (!this.isHonest(node.index)) continue;
      const h = BigInt(node.chain.length);
      if (min === null || h < min) min = h;
    }
    return min ?? 0n;
  }

  maxHeight(): bigint {
    return this.nodes.reduce(
      (max, node) => (BigInt(node.chain.length) > max ? BigInt(node.chain.length) : max),
      0n,
    );
  }

  /** Changes link behaviour from now on (e.g. a lossy network becoming good again). */
  setNetwork(conditions: Partial<NetworkConditions>): void {
    this.network = { ...this.network, ...conditions };
  }

  /** Processes events up to simulated time `untilMs`. */
  run(untilMs: number): void {
    while (this.queue.peekTime() <= untilMs) {
      const item = this.queue.pop() as Queued;
      this.now = item.at;
      this.dispatch(item.event);
    }
    this.now = untilMs;
  }

  /** Runs until `done()` holds (checked every 100 ms of simulated time) or `maxMs` passes; true if it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    while (this.now < maxMs) {
      if (done()) return true;
      this.run(Math.min(maxMs, this.now + 100));
    }
    return done();
  }

  // -------------------------------------------------------------------------------------------------------

  private start(node: SimNode): void {
    node.epoch++;
    node.up = true;
    node.syncing = false;
    const isValidator = node.index < this.n;
    const sign = node.key.sign;
    const crypto: ConsensusCrypto = {
      signatureLength: this.crypto.signatureLength,
      hash: (data) => this.crypto.hash(data),
      verify: (digest, signature, signer) => this.crypto.verify(digest, signature, signer),
      sign,
    };
    node.machine = createConsensus({
      chainId: SIM_CHAIN_ID,
      validators: this.validators,
      self: isValidator ? node.key.id : null,
      height: BigInt(node.chain.length + 1),
      crypto,
      timeouts: { ...SIM_TIMEOUTS, ...this.options.timeouts },
      restored: node.wal,
    });
    this.queue.push(this.now + this.rng.int(this.tickMs), {
      kind: 'tick',
      node: node.index,
      epoch: node.epoch,
    });
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'tick': {
        const node = this.nodes[event.node] as SimNode;
        if (!node.up || node.epoch !== event.epoch) return;
        this.queue.push(this.now + this.tickMs, event);
        this.feed(node, { type: 'tick', now: this.now });
        this.adversaryTick(node);
        return;
      }
      case 'deliver': {
        const node = this.nodes[event.to] as SimNode;
        if (!node.up || this.isCut(event.from, event.to)) return;
        this.messagesDelivered++;
        this.feed(node, {
          type: 'message',
          from: (this.nodes[event.from] as SimNode).key.id,
          bytes: event.bytes,
        });
        return;
      }
      case 'input': {
        const node = this.nodes[event.node] as SimNode;
        if (!node.up || node.epoch !== event.epoch) return;
        this.feed(node, event.event);
        return;
      }
      case 'store': {
        const node = this.nodes[event.node] as SimNode;
        if (!node.up || node.epoch !== event.epoch) return;
        this.storeBlock(node, event.block);
        return;
      }
      case 'synced': {
        const node = this.nodes[event.node] as SimNode;
        node.syncing = false;
        if (!node.up || node.epoch !== event.epoch) return;
        for (const block of event.blocks) {
          if (BigInt(node.chain.length) + 1n !== block.height) continue;
          // Block sync trusts nothing but the certificate and the parent link.
          const ok = verifyCommitCertificate(block.certificate, {
            chainId: SIM_CHAIN_ID,
            height: block.height,
            blockHash: block.hash,
            validators: this.validators,
            crypto: this.crypto,
          });
          const parsed = decodeSimBlock(block.block);
          const head = node.chain.at(-1)?.hash ?? GENESIS_HASH;
          if (!ok || parsed === null || !equalBytes(parsed.parent, head)) {
            if (this.isHonest(event.source)) {
              this.violations.push(
                `node ${node.index} was offered an unverifiable block ${block.height} by sync`,
              );
            } else {
              this.forgedSyncBlocksRejected++;
            }
            return;
          }
          this.storeBlock(node, block);
        }
        return;
      }
      case 'crash': {
        const node = this.nodes[event.node] as SimNode;
        if (!node.up) return;
        node.downMs = event.downMs;
        if (event.afterActions === null) this.crash(node);
        else node.crashAfterActions = event.afterActions;
        return;
      }
      case 'restart': {
        const node = this.nodes[event.node] as SimNode;
        node.restarts++;
        this.start(node);
        return;
      }
    }
  }

  private crash(node: SimNode): void {
    node.up = false;
    node.machine = null;
    node.crashAfterActions = null;
    node.epoch++;
    this.queue.push(this.now + node.downMs, { kind: 'restart', node: node.index });
  }

  private feed(node: SimNode, event: ConsensusEvent): void {
    const machine = node.machine;
    if (machine === null) return;
    this.perform(node, machine.handle(event));
  }

  private perform(node: SimNode, actions: readonly ConsensusAction[]): void {
    let done = 0;
    for (const action of actions) {
      if (node.crashAfterActions !== null && done >= node.crashAfterActions) {
        this.crash(node);
        return;
      }
      done++;
      this.performOne(node, action);
      if (!node.up) return;
    }
    if (node.crashAfterActions !== null && actions.length > 0) this.crash(node);
  }

  private performOne(node: SimNode, action: ConsensusAction): void {
    const epoch = node.epoch;
    switch (action.type) {
      case 'persist':
        node.wal.push(action.record);
        return;
      case 'broadcast':
        this.recordSigned(node, action.bytes);
        if (node.behaviours.size > 0) this.adversaryBroadcast(node, action.bytes);
        else
          for (const peer of this.nodes)
            if (peer.index !== node.index) this.send(node.index, peer.index, action.bytes);
        return;
      case 'send': {
        this.recordSigned(node, action.bytes);
        const to = this.keyIndex.get(bytesToHex(action.to));
        if (to !== undefined && !node.behaviours.has('silent')) this.send(node.index, to, action.bytes);
        return;
      }
      case 'buildProposal': {
        const head = node.chain.at(-1)?.hash ?? GENESIS_HASH;
        const parent = node.behaviours.has('invalidBlocks') ? this.rng.bytes(32) : head;
        const block = encodeSimBlock(action.height, parent, node.index, action.view, this.nonce++);
        const event: ConsensusEvent = {
          type: 'proposalBuilt',
          height: action.height,
          view: action.view,
          block,
          blockHash: this.crypto.hash(block),
        };
        const delay = (this.options.buildDelayMs ?? 100) + this.rng.int(8);
        this.queue.push(this.now + delay, { kind: 'input', node: node.index, epoch, event });
        return;
      }
      case 'checkProposal': {
        const parsed = decodeSimBlock(action.block);
        const head = node.chain.at(-1)?.hash ?? GENESIS_HASH;
        const valid =
          parsed !== null &&
          equalBytes(this.crypto.hash(action.block), action.blockHash) &&
          parsed.height === action.height &&
          BigInt(node.chain.length) + 1n === action.height &&
          equalBytes(parsed.parent, head);
        const event: ConsensusEvent = {
          type: 'proposalChecked',
          height: action.height,
          view: action.view,
          blockHash: action.blockHash,
          valid,
        };
        this.queue.push(this.now + 2 + this.rng.int(8), { kind: 'input', node: node.index, epoch, event });
        return;
      }
      case 'commit': {
        const ok = verifyCommitCertificate(action.certificate, {
          chainId: SIM_CHAIN_ID,
          height: action.height,
          blockHash: action.blockHash,
          validators: this.validators,
          crypto: this.crypto,
        });
        if (!ok)
          this.violations.push(`node ${node.index} committed height ${action.height} with a bad certificate`);
        if (!equalBytes(this.crypto.hash(action.block), action.blockHash)) {
          this.violations.push(`node ${node.index} committed bytes that do not hash to the block hash`);
        }
        const block: StoredBlock = {
          height: action.height,
          hash: action.blockHash,
          block: action.block,
          certificate: action.certificate,
        };
        this.queue.push(this.now + 1 + this.rng.int(5), { kind: 'store', node: node.index, epoch, block });
        return;
      }
      case 'behind':
        this.startSync(node, action.height);
        return;
      case 'penalise': {
        const peer = this.keyIndex.get(bytesToHex(action.peer)) ?? -1;
        this.penalties.push({ by: node.index, peer, reason: action.reason, severity: action.severity });
        return;
      }
    }
  }

  private storeBlock(node: SimNode, block: StoredBlock): void {
    const hashHex = bytesToHex(block.hash);
    if (this.isHonest(node.index)) {
      const decided = this.decided.get(block.height);
      if (decided === undefined) this.decided.set(block.height, hashHex);
      else if (decided !== hashHex) {
        this.violations.push(`FORK at height ${block.height}: node ${node.index} stored a different block`);
      }
    }
    if (BigInt(node.chain.length) + 1n !== block.height) return; // already stored (sync and commit raced)
    node.chain.push(block);
    node.wal = node.wal.filter((record) => record.height > block.height);
    this.feed(node, { type: 'blockPersisted', height: block.height });
  }

  /**
   * Block sync from a random peer with a longer chain. A byzantine peer with `forgeCertificates` serves a
   * chain of its own instead, with certificates that are forged or below quorum; the syncing node must
   * refuse it (`forgedSyncBlocksRejected`).
   */
  private startSync(node: SimNode, height: bigint): void {
    if (node.syncing) return;
    const sources = this.nodes.filter(
      (peer) =>
        peer.index !== node.index &&
        peer.up &&
        !this.isCut(peer.index, node.index) &&
        peer.chain.length > node.chain.length,
    );
    const source = sources[this.rng.int(sources.length)];
    if (source === undefined) return;
    const until = Math.min(source.chain.length, Number(height) - 1);
    let blocks = source.chain.slice(node.chain.length, until);
    if (blocks.length === 0) return;
    if (source.behaviours.has('forgeCertificates')) blocks = this.forgedChain(source, node, blocks.length);
    node.syncing = true;
    this.queue.push(this.now + 20 + this.rng.int(30), {
      kind: 'synced',
      node: node.index,
      epoch: node.epoch,
      source: source.index,
      blocks,
    });
  }

  private forgedChain(liar: SimNode, victim: SimNode, count: number): StoredBlock[] {
    const blocks: StoredBlock[] = [];
    let parent = victim.chain.at(-1)?.hash ?? GENESIS_HASH;
    const q = quorumSize(this.n);
    for (let i = 0; i < count; i++) {
      const height = BigInt(victim.chain.length + 1 + i);
      const block = encodeSimBlock(height, parent, liar.index, 0, this.nonce++);
      const hash = this.crypto.hash(block);
      const own = liar.key.sign(commitDigest(this.crypto.hash, SIM_CHAIN_ID, height, 0, hash));
      // Either only the liar's genuine signature (below quorum), or a quorum of made-up ones.
      const underQuorum = this.rng.chance(0.5);
      const signers = underQuorum ? [liar.index] : Array.from({ length: q }, (_, k) => k);
      const signatures = signers.map((k) =>
        k === liar.index ? own : this.rng.bytes(this.crypto.signatureLength),
      );
      const certificate = encodeCertificate({
        chainId: SIM_CHAIN_ID,
        height,
        view: 0,
        blockHash: hash,
        signers,
        signatures,
      });
      blocks.push({ height, hash, block, certificate });
      parent = hash;
    }
    return blocks;
  }

  private isCut(a: number, b: number): boolean {
    for (const p of this.options.partitions ?? []) {
      if (this.now < p.fromMs || this.now >= p.toMs) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga !== gb) return true;
    }
    return false;
  }

  private send(from: number, to: number, bytes: Uint8Array): void {
    if (this.isCut(from, to) || this.rng.chance(this.network.loss)) return;
    const copies = this.rng.chance(this.network.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const span = this.network.maxDelayMs - this.network.minDelayMs;
      const delay = this.network.minDelayMs + this.rng.int(span + 1);
      this.queue.push(this.now + delay, { kind: 'deliver', to, from, bytes });
    }
  }

  /** The double-signing check: an honest validator never signs two contents for one (height, view, phase). */
  private recordSigned(node: SimNode, bytes: Uint8Array): void {
    if (!this.isHonest(node.index)) return;
    let message: ConsensusMessage;
    try {
      message = decodeMessage(bytes, {
        signatureLength: this.crypto.signatureLength,
        maxBlockBytes: 1 << 20,
      });
    } catch {
      this.violations.push(`honest node ${node.index} sent an undecodable message`);
      return;
    }
    const content =
      message.kind === 'viewChange'
        ? message.prepared === null
          ? '-'
          : `${message.prepared.view}:${bytesToHex(message.prepared.blockHash)}`
        : bytesToHex(message.blockHash);
    const key = `${message.signer}:${message.height}:${message.kind}:${message.view}`;
    const before = this.signedBy.get(key);
    if (before === undefined) this.signedBy.set(key, content);
    else if (before !== content) this.violations.push(`node ${node.index} double-signed ${key}`);
  }

  // -------------------------------------------------------------------------------------------------------
  // Byzantine behaviour: rewrite what a byzantine node sends, and inject attacks on its ticks
  // -------------------------------------------------------------------------------------------------------

  private peers(node: SimNode): SimNode[] {
    return this.nodes.filter((peer) => peer.index !== node.index);
  }

  private adversaryBroadcast(node: SimNode, bytes: Uint8Array): void {
    const b = node.behaviours;
    if (b.has('silent')) return;
    const message = decodeMessage(bytes, {
      signatureLength: this.crypto.signatureLength,
      maxBlockBytes: 1 << 20,
    });
    const peers = this.peers(node);
    let sent = false;
    if (b.has('equivocate') && message.kind === 'proposal') {
      const other = this.conflictingProposal(node, message);
      peers.forEach((peer, i) => {
        this.send(node.index, peer.index, i % 2 === 0 ? bytes : other);
      });
      sent = true;
    } else if (b.has('doubleVote') && (message.kind === 'prepare' || message.kind === 'commit')) {
      const other = this.signed(node, { ...message, blockHash: this.rng.bytes(32) });
      peers.forEach((peer, i) => {
        this.send(node.index, peer.index, i % 2 === 0 ? bytes : other);
        if (i === 0) this.send(node.index, peer.index, other);
      });
      sent = true;
    }
    if (!sent) for (const peer of peers) this.send(node.index, peer.index, bytes);
    if (b.has('badSignatures') && this.rng.chance(0.5)) {
      const corrupt = bytes.slice();
      const at = corrupt.length - 1 - this.rng.int(this.crypto.signatureLength);
      corrupt[at] = (corrupt[at] as number) ^ 0x01;
      for (const peer of peers) this.send(node.index, peer.index, corrupt);
    }
  }

  private adversaryTick(node: SimNode): void {
    const b = node.behaviours;
    const machine = node.machine;
    if (machine === null || b.has('silent') || !this.rng.chance(0.1)) return;
    const status = machine.status();
    const peers = this.peers(node);
    const target = peers[this.rng.int(peers.length)] as SimNode;
    if (b.has('garbage')) {
      const real = node.wal.at(-1);
      let bytes = this.rng.bytes(this.rng.int(120));
      if (real?.type === 'signed' && this.rng.chance(0.5)) {
        bytes = real.message.slice(0, this.rng.int(real.message.length));
      }
      this.send(node.index, target.index, bytes);
    }
    if (b.has('forgeCertificates')) {
      const view = status.viewChangeTarget + 1 + this.rng.int(2);
      const q = quorumSize(this.n);
      const forged = (count: number): PreparedCertificate => ({
        view: 0,
        blockHash: this.rng.bytes(32),
        signers: Array.from({ length: count }, (_, i) => i),
        signatures: Array.from({ length: count }, () => this.rng.bytes(this.crypto.signatureLength)),
      });
      const prepared = forged(this.rng.chance(0.5) ? q : Math.max(1, q - 1));
      const vc = this.signed(node, {
        kind: 'viewChange',
        chainId: SIM_CHAIN_ID,
        height: status.height,
        view,
        signer: node.index,
        prepared,
        preparedBlock: null,
        signature: new Uint8Array(0),
      });
      this.send(node.index, target.index, vc);
      // A new-view proposal for a view this node would lead, justified by forged or too few view changes.
      const leads = leaderIndex(status.height, view, this.n) === node.index;
      if (leads) this.send(node.index, target.index, this.forgedProposal(node, status.height, view));
    }
  }

  private conflictingProposal(
    node: SimNode,
    message: Extract<ConsensusMessage, { kind: 'proposal' }>,
  ): Uint8Array {
    const head = node.chain.at(-1)?.hash ?? GENESIS_HASH;
    const block = encodeSimBlock(message.height, head, node.index, message.view, this.nonce++);
    return this.signed(node, { ...message, block, blockHash: this.crypto.hash(block) });
  }

  private forgedProposal(node: SimNode, height: bigint, view: number): Uint8Array {
    const head = node.chain.at(-1)?.hash ?? GENESIS_HASH;
    const block = encodeSimBlock(height, head, node.index, view, this.nonce++);
    const q = quorumSize(this.n);
    const count = this.rng.chance(0.5) ? q : Math.max(1, q - 1);
    const justification: ViewChangeVote[] = [];
    for (let signer = 0; signer < count; signer++) {
      const digest = viewChangeDigest(this.crypto.hash, SIM_CHAIN_ID, height, view, null);
      justification.push({
        signer,
        prepared: null,
        signature:
          signer === node.index ? node.key.sign(digest) : this.rng.bytes(this.crypto.signatureLength),
      });
    }
    return this.signed(node, {
      kind: 'proposal',
      chainId: SIM_CHAIN_ID,
      height,
      view,
      signer: node.index,
      block,
      blockHash: this.crypto.hash(block),
      justification,
      signature: new Uint8Array(0),
    });
  }

  /** Signs `message` with `node`'s own key (the only key an adversary has) and encodes it. */
  private signed(node: SimNode, message: ConsensusMessage): Uint8Array {
    const digest =
      message.kind === 'viewChange'
        ? viewChangeDigest(this.crypto.hash, message.chainId, message.height, message.view, message.prepared)
        : voteDigest(
            this.crypto.hash,
            message.kind,
            message.chainId,
            message.height,
            message.view,
            message.blockHash,
          );
    return encodeMessage({ ...message, signature: node.key.sign(digest) });
  }
}

export function createSimulation(options: SimOptions): Simulation {
  return new Simulation(options);
}
