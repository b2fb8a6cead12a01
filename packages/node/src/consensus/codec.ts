import { assertBytes, utf8ToBytes } from '@weft/crypto/bytes';
import { WeftError, type WeftErrorCode } from '@weft/crypto/errors';
import type { CommitCertificate, PreparedCertificate, QuorumSignatures, WalRecord } from './types.js';

/**
 * The consensus wire format, version 1. Binary, big-endian, every length exact and every count bounded;
 * a decoder accepts exactly one encoding per message (canonical), so a message's bytes identify it.
 *
 *   header   = version:u8(=1) kind:u8 chainId:u64 height:u64 view:u32 signer:u16          (24 bytes)
 *   proposal = header blockHash:32 blockLen:u32 block justCount:u16 vcEntry*justCount sig
 *   prepare  = header blockHash:32 sig
 *   commit   = header blockHash:32 sig
 *   viewChange = header vcBody blockLen:u32 block sig        (view = the view asked for; block = the
 *                                                             prepared block, blockLen 0 when none)
 *   vcEntry  = signer:u16 vcBody sig                          (a view change for the proposal's height/view)
 *   vcBody   = 0x00 | 0x01 preparedView:u32 preparedHash:32 quorum
 *   quorum   = count:u16 (index:u16 sig)*count                (indices strictly ascending)
 *
 * `sig` is always exactly `signatureLength` bytes of the chain's suite. What is signed is a 32-byte digest
 * that does not depend on this layout (`voteDigest`, `viewChangeDigest`), so certificates stay verifiable
 * from the validator list alone.
 */
export const CONSENSUS_WIRE_VERSION = 1;
export const HASH_LENGTH = 32;
export const VALIDATOR_ID_LENGTH = 64;
/** Validator indices are u16 on the wire; a consortium far smaller than this is expected. */
export const MAX_VALIDATORS = 1024;
const HEADER_LENGTH = 24;
const MAX_U32 = 0xffff_ffff;
const MAX_U64 = (1n << 64n) - 1n;

export type MessageKind = 'proposal' | 'prepare' | 'commit' | 'viewChange';
const KIND_CODES: Record<MessageKind, number> = { proposal: 1, prepare: 2, commit: 3, viewChange: 4 };
const KINDS_BY_CODE: ReadonlyMap<number, MessageKind> = new Map(
  Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as MessageKind]),
);

export interface MessageHeader {
  readonly kind: MessageKind;
  readonly chainId: bigint;
  readonly height: bigint;
  readonly view: number;
  /** Index of the signer in the validator list of `height`. */
  readonly signer: number;
}

/** A view change signed by `signer`, embedded in a proposal's justification (height and view from the proposal). */
export interface ViewChangeVote {
  readonly signer: number;
  readonly prepared: PreparedCertificate | null;
  readonly signature: Uint8Array;
}

export interface ProposalMessage extends MessageHeader {
  readonly kind: 'proposal';
  readonly blockHash: Uint8Array;
  readonly block: Uint8Array;
  /** Empty in view 0; in view v > 0, at least 2f+1 view changes to v (PBFT's new-view certificate). */
  readonly justification: readonly ViewChangeVote[];
  readonly signature: Uint8Array;
}

export interface VoteMessage extends MessageHeader {
  readonly kind: 'prepare' | 'commit';
  readonly blockHash: Uint8Array;
  readonly signature: Uint8Array;
}

export interface ViewChangeMessage extends MessageHeader {
  readonly kind: 'viewChange';
  readonly prepared: PreparedCertificate | null;
  /** The prepared block, so the next leader can re-propose it; not covered by the signature. */
  readonly preparedBlock: Uint8Array | null;
  readonly signature: Uint8Array;
}

export type ConsensusMessage = ProposalMessage | VoteMessage | ViewChangeMessage;

export interface CodecLimits {
  readonly signatureLength: number;
  readonly maxBlockBytes: number;
}

// ---------------------------------------------------------------------------------------------------------
// Digests: what validators sign. Fixed-length preimages under one domain tag; the phase byte separates them.
// ---------------------------------------------------------------------------------------------------------

const DOMAIN_TAG = utf8ToBytes('WEFT-PBFT-V1');
export type VotePhase = 'proposal' | 'prepare' | 'commit';
const VOTE_PREIMAGE_LENGTH = 12 + 1 + 8 + 8 + 4 + HASH_LENGTH;
const VIEW_CHANGE_PREIMAGE_LENGTH = 12 + 1 + 8 + 8 + 4 + 1 + 4 + HASH_LENGTH;
const PHASE_CODES: Record<VotePhase | 'viewChange', number> = {
  proposal: 1,
  prepare: 2,
  commit: 3,
  viewChange: 4,
};

/**
 * hash("WEFT-PBFT-V1" ‖ phase:u8 ‖ chainId:u64 ‖ height:u64 ‖ view:u32 ‖ blockHash:32), phase 1 = proposal,
 * 2 = prepare, 3 = commit. Binding the chain id stops a vote being replayed on another chain; binding the
 * view keeps each certificate inside one view, which the safety argument (docs/consensus.md) relies on.
 */
export function voteDigest(
  hash: (data: Uint8Array) => Uint8Array,
  phase: VotePhase,
  chainId: bigint,
  height: bigint,
  view: number,
  blockHash: Uint8Array,
): Uint8Array {
  assertBytes(blockHash, HASH_LENGTH, 'blockHash');
  const w = new ByteWriter(VOTE_PREIMAGE_LENGTH);
  w.bytes(DOMAIN_TAG).u8(PHASE_CODES[phase]).u64(chainId).u64(height).u32(view).bytes(blockHash);
  return hash(w.finish());
}

/** The commit digest a `CommitCertificate` signs: `voteDigest('commit', …)`. */
export function commitDigest(
  hash: (data: Uint8Array) => Uint8Array,
  chainId: bigint,
  height: bigint,
  view: number,
  blockHash: Uint8Array,
): Uint8Array {
  return voteDigest(hash, 'commit', chainId, height, view, blockHash);
}

/**
 * hash("WEFT-PBFT-V1" ‖ 4 ‖ chainId:u64 ‖ height:u64 ‖ newView:u32 ‖ flag:u8 ‖ preparedView:u32 ‖
 * preparedHash:32); flag 0 with zero view and hash when the sender has no prepared certificate. The
 * certificate's own prepare signatures prove it, so only its (view, hash) is signed here.
 */
export function viewChangeDigest(
  hash: (data: Uint8Array) => Uint8Array,
  chainId: bigint,
  height: bigint,
  view: number,
  prepared: { readonly view: number; readonly blockHash: Uint8Array } | null,
): Uint8Array {
  const w = new ByteWriter(VIEW_CHANGE_PREIMAGE_LENGTH);
  w.bytes(DOMAIN_TAG).u8(PHASE_CODES.viewChange).u64(chainId).u64(height).u32(view);
  if (prepared === null) w.u8(0).u32(0).bytes(new Uint8Array(HASH_LENGTH));
  else {
    assertBytes(prepared.blockHash, HASH_LENGTH, 'prepared blockHash');
    w.u8(1).u32(prepared.view).bytes(prepared.blockHash);
  }
  return hash(w.finish());
}

// ---------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------

export function encodeMessage(message: ConsensusMessage): Uint8Array {
  const blockLength =
    message.kind === 'proposal'
      ? message.block.length
      : message.kind === 'viewChange'
        ? (message.preparedBlock?.length ?? 0)
        : 0;
  const w = new ByteWriter(256 + blockLength);
  w.u8(CONSENSUS_WIRE_VERSION)
    .u8(KIND_CODES[message.kind])
    .u64(message.chainId)
    .u64(message.height)
    .u32(message.view)
    .u16(message.signer);
  switch (message.kind) {
    case 'proposal':
      w.hash(message.blockHash).u32(message.block.length).bytes(message.block);
      w.u16(message.justification.length);
      for (const vote of message.justification) {
        w.u16(vote.signer);
        writeViewChangeBody(w, vote.prepared);
        w.signature(vote.signature);
      }
      break;
    case 'prepare':
    case 'commit':
      w.hash(message.blockHash);
      break;
    case 'viewChange': {
      writeViewChangeBody(w, message.prepared);
      const block = message.preparedBlock ?? new Uint8Array(0);
      w.u32(block.length).bytes(block);
      break;
    }
  }
  w.signature(message.signature);
  return w.finish();
}

/**
 * Reads only the fixed 24-byte header: enough to route a message (drop old heights, buffer future ones)
 * before paying for a full decode. Throws `INVALID_MESSAGE` (penalise) on a short or unknown header.
 */
export function decodeMessageHeader(bytes: Uint8Array): MessageHeader {
  const r: ByteReader = new ByteReader(bytes, 'consensus message');
  if (bytes.length < HEADER_LENGTH) r.fail('is shorter than its header');
  return readHeader(r);
}

/** Strict full decode; throws `INVALID_MESSAGE` (penalise) on anything but the one canonical encoding. */
export function decodeMessage(bytes: Uint8Array, limits: CodecLimits): ConsensusMessage {
  const r: ByteReader = new ByteReader(bytes, 'consensus message');
  const header = readHeader(r);
  let message: ConsensusMessage;
  switch (header.kind) {
    case 'proposal': {
      const blockHash = r.bytes(HASH_LENGTH, 'blockHash');
      const block = readBlock(r, limits);
      if (block.length === 0) r.fail('carries an empty block');
      const count = r.u16('justification count');
      // View 0 needs no justification; a later view needs one (its size is checked against the quorum later).
      if ((header.view === 0) !== (count === 0)) r.fail('has a justification that does not match its view');
      if (count > MAX_VALIDATORS) r.fail('has too many view changes');
      const justification: ViewChangeVote[] = [];
      let previous = -1;
      for (let i = 0; i < count; i++) {
        const signer = r.u16('view change signer');
        if (signer <= previous) r.fail('lists view changes out of order');
        previous = signer;
        const prepared = readViewChangeBody(r, limits);
        if (prepared !== null && prepared.view >= header.view)
          r.fail('embeds a prepared view not below its view');
        justification.push({ signer, prepared, signature: r.bytes(limits.signatureLength, 'signature') });
      }
      message = { ...header, kind: 'proposal', blockHash, block, justification, signature: noSignature };
      break;
    }
    case 'prepare':
    case 'commit':
      message = {
        ...header,
        kind: header.kind,
        blockHash: r.bytes(HASH_LENGTH, 'blockHash'),
        signature: noSignature,
      };
      break;
    case 'viewChange': {
      if (header.view === 0) r.fail('asks for view 0');
      const prepared = readViewChangeBody(r, limits);
      if (prepared !== null && prepared.view >= header.view)
        r.fail('carries a prepared view not below its view');
      const block = readBlock(r, limits);
      if (prepared === null && block.length > 0) r.fail('carries a block without a prepared certificate');
      message = {
        ...header,
        kind: 'viewChange',
        prepared,
        preparedBlock: block.length === 0 ? null : block,
        signature: noSignature,
      };
      break;
    }
  }
  const signature = r.bytes(limits.signatureLength, 'signature');
  r.end();
  return { ...message, signature };
}

const noSignature = new Uint8Array(0);

function readHeader(r: ByteReader): MessageHeader {
  const version = r.u8('version');
  if (version !== CONSENSUS_WIRE_VERSION) r.fail(`has unsupported version ${version}`);
  const code = r.u8('kind');
  const kind = KINDS_BY_CODE.get(code);
  if (kind === undefined) r.fail(`has unknown kind ${code}`);
  return {
    kind,
    chainId: r.u64('chainId'),
    height: r.u64('height'),
    view: r.u32('view'),
    signer: r.u16('signer'),
  };
}

function readBlock(r: ByteReader, limits: CodecLimits): Uint8Array {
  const length = r.u32('block length');
  if (length > limits.maxBlockBytes)
    r.fail(`carries a ${length}-byte block; the limit is ${limits.maxBlockBytes}`);
  return r.bytes(length, 'block');
}

function writeViewChangeBody(w: ByteWriter, prepared: PreparedCertificate | null): void {
  if (prepared === null) {
    w.u8(0);
    return;
  }
  w.u8(1).u32(prepared.view).hash(prepared.blockHash);
  writeQuorum(w, prepared);
}

function readViewChangeBody(r: ByteReader, limits: CodecLimits): PreparedCertificate | null {
  const flag = r.u8('prepared flag');
  if (flag === 0) return null;
  if (flag !== 1) r.fail('has a prepared flag other than 0 or 1');
  const view = r.u32('prepared view');
  const blockHash = r.bytes(HASH_LENGTH, 'prepared blockHash');
  return { view, blockHash, ...readQuorum(r, limits.signatureLength) };
}

function writeQuorum(w: ByteWriter, quorum: QuorumSignatures): void {
  if (quorum.signers.length !== quorum.signatures.length) {
    throw new WeftError('INVALID_ARGUMENT', 'a quorum needs one signature per signer');
  }
  w.u16(quorum.signers.length);
  let previous = -1;
  quorum.signers.forEach((signer, i) => {
    if (signer <= previous)
      throw new WeftError('INVALID_ARGUMENT', 'quorum signers must be strictly ascending');
    previous = signer;
    w.u16(signer).signature(quorum.signatures[i] as Uint8Array);
  });
}

function readQuorum(r: ByteReader, signatureLength: number): QuorumSignatures {
  const count = r.u16('signature count');
  if (count === 0 || count > MAX_VALIDATORS) r.fail(`has ${count} signatures in a quorum`);
  const signers: number[] = [];
  const signatures: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const signer = r.u16('signer index');
    if (signers.length > 0 && signer <= (signers[signers.length - 1] as number)) {
      r.fail('lists quorum signers out of order');
    }
    signers.push(signer);
    signatures.push(r.bytes(signatureLength, 'signature'));
  }
  return { signers, signatures };
}

// ---------------------------------------------------------------------------------------------------------
// Commit certificates (stored with the block; clients verify them with `verifyCommitCertificate`)
// ---------------------------------------------------------------------------------------------------------

/**
 *   certificate = version:u8(=1) chainId:u64 height:u64 view:u32 blockHash:32 sigLen:u8 quorum
 * The signature length travels with it so a certificate decodes without knowing the chain's suite.
 */
export function encodeCertificate(certificate: CommitCertificate): Uint8Array {
  const signatureLength = certificate.signatures[0]?.length ?? 0;
  if (signatureLength === 0 || signatureLength > 255) {
    throw new WeftError('INVALID_ARGUMENT', 'a certificate needs signatures of 1 to 255 bytes');
  }
  const w = new ByteWriter();
  w.u8(CONSENSUS_WIRE_VERSION)
    .u64(certificate.chainId)
    .u64(certificate.height)
    .u32(certificate.view)
    .hash(certificate.blockHash)
    .u8(signatureLength);
  for (const signature of certificate.signatures)
    assertBytes(signature, signatureLength, 'certificate signature');
  writeQuorum(w, certificate);
  return w.finish();
}

export function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  assertBytes(bytes, undefined, 'certificate');
  const r: ByteReader = new ByteReader(bytes, 'commit certificate', 'INVALID_PROOF');
  const version = r.u8('version');
  if (version !== CONSENSUS_WIRE_VERSION) r.fail(`has unsupported version ${version}`);
  const chainId = r.u64('chainId');
  const height = r.u64('height');
  const view = r.u32('view');
  const blockHash = r.bytes(HASH_LENGTH, 'blockHash');
  const signatureLength = r.u8('signature length');
  if (signatureLength === 0) r.fail('has zero-length signatures');
  const quorum = readQuorum(r, signatureLength);
  r.end();
  return { chainId, height, view, blockHash, ...quorum };
}

// ---------------------------------------------------------------------------------------------------------
// WAL records
// ---------------------------------------------------------------------------------------------------------

/**
 *   signed   = version:u8 0x01 height:u64 messageLen:u32 message
 *   prepared = version:u8 0x02 height:u64 view:u32 blockHash:32 quorum blockLen:u32 block
 */
export function encodeWalRecord(record: WalRecord): Uint8Array {
  const w = new ByteWriter(64 + (record.type === 'signed' ? record.message.length : record.block.length));
  w.u8(CONSENSUS_WIRE_VERSION);
  if (record.type === 'signed') {
    w.u8(1).u64(record.height).u32(record.message.length).bytes(record.message);
  } else {
    w.u8(2).u64(record.height).u32(record.certificate.view).hash(record.certificate.blockHash);
    writeQuorum(w, record.certificate);
    w.u32(record.block.length).bytes(record.block);
  }
  return w.finish();
}

/** Decodes a WAL record this node wrote; throws `STORAGE_ERROR` on corruption. */
export function decodeWalRecord(bytes: Uint8Array, limits: CodecLimits): WalRecord {
  const r: ByteReader = new ByteReader(bytes, 'consensus WAL record', 'STORAGE_ERROR');
  const version = r.u8('version');
  if (version !== CONSENSUS_WIRE_VERSION) r.fail(`has unsupported version ${version}`);
  const type = r.u8('type');
  const height = r.u64('height');
  let record: WalRecord;
  if (type === 1) {
    const length = r.u32('message length');
    record = { type: 'signed', height, message: r.bytes(length, 'message') };
  } else if (type === 2) {
    const view = r.u32('view');
    const blockHash = r.bytes(HASH_LENGTH, 'blockHash');
    const quorum = readQuorum(r, limits.signatureLength);
    const block = readBlock(r, limits);
    record = { type: 'prepared', height, certificate: { view, blockHash, ...quorum }, block };
  } else {
    r.fail(`has unknown type ${type}`);
  }
  r.end();
  return record;
}

// ---------------------------------------------------------------------------------------------------------
// Byte reader / writer
// ---------------------------------------------------------------------------------------------------------

/** Appends into one growing buffer; a size hint avoids regrowing around large blocks. */
class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(sizeHint = 128) {
    this.buffer = new Uint8Array(sizeHint);
    this.view = new DataView(this.buffer.buffer);
  }

  u8(value: number): this {
    this.checkUint(value, 1, 0xff);
    this.reserve(1).view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.checkUint(value, 2, 0xffff);
    this.reserve(2).view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.checkUint(value, 4, MAX_U32);
    this.reserve(4).view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
      throw new WeftError('INVALID_ARGUMENT', 'a u64 field is out of range');
    }
    this.reserve(8).view.setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  hash(value: Uint8Array): this {
    assertBytes(value, HASH_LENGTH, 'hash');
    return this.bytes(value);
  }

  signature(value: Uint8Array): this {
    assertBytes(value, undefined, 'signature');
    if (value.length === 0) throw new WeftError('INVALID_ARGUMENT', 'a signature cannot be empty');
    return this.bytes(value);
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length).buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  finish(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }

  private reserve(size: number): this {
    if (this.length + size <= this.buffer.length) return this;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
    return this;
  }

  private checkUint(value: number, size: 1 | 2 | 4, max: number): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new WeftError('INVALID_ARGUMENT', `a ${size * 8}-bit field is out of range`);
    }
  }
}

/** Strict reader: every read is bounds-checked; `end` rejects trailing bytes. Messages say what, never show bytes. */
class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly what: string,
    private readonly code: WeftErrorCode = 'INVALID_MESSAGE',
  ) {
    assertBytes(input, undefined, what);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  fail(problem: string): never {
    throw new WeftError(this.code, `${this.what} ${problem}`, { penalise: this.code !== 'STORAGE_ERROR' });
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const value = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return value;
  }

  /** A copy, so later changes to the caller's buffer cannot alter what consensus stored. */
  bytes(length: number, field: string): Uint8Array {
    this.need(length, field);
    const out = this.input.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  end(): void {
    if (this.offset !== this.input.length) this.fail(`has ${this.input.length - this.offset} trailing bytes`);
  }

  private need(length: number, field: string): void {
    if (this.input.length - this.offset < length) this.fail(`is truncated in ${field}`);
  }
}
