import { rlpBytes, rlpDecode, rlpEncode, rlpList, rlpUint, uintToRlp } from '@weft/core/rlp';
import type { MessageTypeSpec } from '../p2p/frame.js';

/**
 * Application messages between weft nodes (on the P2P frame layer of docs/p2p.md). Every payload is
 * RLP with a fixed shape, decoded strictly; a malformed payload costs the sender penalty points.
 */
export const MSG_CONSENSUS = 16;
export const MSG_TX_GOSSIP = 17;
export const MSG_STATUS = 18;
export const MSG_SYNC_REQUEST = 19;
export const MSG_SYNC_RESPONSE = 20;

/** Largest block a node proposes or serves; below the 16 MiB frame limit with room for the envelope. */
export const MAX_BLOCK_BYTES = 12 * 1024 * 1024;
export const MAX_SYNC_BLOCKS = 64;
/** A sync response stops adding blocks past this size (at least one block is always sent). */
export const SYNC_RESPONSE_SOFT_BYTES = 4 * 1024 * 1024;

export const MESSAGE_TYPES: readonly MessageTypeSpec[] = [
  { type: MSG_CONSENSUS, name: 'consensus', maxPayloadBytes: 16 * 1024 * 1024 - 1024 },
  { type: MSG_TX_GOSSIP, name: 'tx.gossip', maxPayloadBytes: 8 * 1024 * 1024 },
  { type: MSG_STATUS, name: 'status', maxPayloadBytes: 128 },
  { type: MSG_SYNC_REQUEST, name: 'sync.request', maxPayloadBytes: 64 },
  { type: MSG_SYNC_RESPONSE, name: 'sync.response', maxPayloadBytes: 16 * 1024 * 1024 - 1024 },
];

export interface StatusMessage {
  height: bigint;
  headHash: Uint8Array;
}

export function encodeStatus(m: StatusMessage): Uint8Array {
  return rlpEncode([uintToRlp(m.height), m.headHash]);
}

export function decodeStatus(bytes: Uint8Array): StatusMessage {
  const f = rlpList(rlpDecode(bytes, 'status'), 'status', 2);
  return { height: rlpUint(f[0], 'height', 8), headHash: rlpBytes(f[1], 'headHash', 32) };
}

export interface SyncRequest {
  from: bigint;
  count: number;
}

export function encodeSyncRequest(m: SyncRequest): Uint8Array {
  return rlpEncode([uintToRlp(m.from), uintToRlp(BigInt(m.count))]);
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const f = rlpList(rlpDecode(bytes, 'sync request'), 'sync request', 2);
  const count = Number(rlpUint(f[1], 'count', 2));
  return { from: rlpUint(f[0], 'from', 8), count: Math.min(count, MAX_SYNC_BLOCKS) };
}

export function encodeBlockList(blocks: readonly Uint8Array[]): Uint8Array {
  return rlpEncode([...blocks]);
}

export function decodeBlockList(bytes: Uint8Array, what: string): Uint8Array[] {
  return rlpList(rlpDecode(bytes, what), what).map((b, i) => rlpBytes(b, `${what}[${i}]`));
}

/** Transaction gossip: a list of raw transactions. */
export function encodeTxBatch(raws: readonly Uint8Array[]): Uint8Array {
  return rlpEncode([...raws]);
}

export function decodeTxBatch(bytes: Uint8Array): Uint8Array[] {
  return decodeBlockList(bytes, 'transaction batch');
}
