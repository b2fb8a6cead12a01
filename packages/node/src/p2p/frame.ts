import { assertBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * The weft peer-to-peer wire format, carried inside mutual TLS 1.3:
 *
 *   frame = length:u32be ‖ version:u8 ‖ type:u8 ‖ payload
 *
 * `length` counts the bytes after itself (2 + payload length), so the whole frame is 4 + length
 * bytes. Limits are checked from the 6-byte header alone — the frame size against the connection's
 * cap, the version, the type, and the payload against that type's own cap — before any payload byte
 * is kept, so a peer cannot make us buffer more than it is allowed to send. Every failure is a
 * `WeftError('INVALID_MESSAGE', { penalise: true })`: the stream cannot be resynchronised after a
 * bad header, so the connection must be closed. See docs/p2p.md.
 */

export const FRAME_VERSION = 1;
export const LENGTH_PREFIX_BYTES = 4;
export const FRAME_HEADER_BYTES = LENGTH_PREFIX_BYTES + 2;
/** Default cap on a whole frame (header included): a full block must fit. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Types 0–15 belong to the transport itself; callers register 16–255. */
export const FIRST_APPLICATION_TYPE = 16;
export const MAX_MESSAGE_TYPE = 255;

/** Transport control messages (reserved types). */
export const MessageType = {
  /** Keepalive probe; payload: 8 opaque bytes echoed in the PONG. */
  ping: 1,
  pong: 2,
} as const;

export interface Frame {
  readonly type: number;
  /** A fresh copy owned by the receiver. */
  readonly payload: Uint8Array;
}

/** Why a stream was rejected; kept in `WeftError.details.reason` for logs and scoring. */
export type FrameErrorReason =
  | 'frame-too-short'
  | 'frame-too-large'
  | 'unsupported-version'
  | 'unknown-type'
  | 'payload-too-large'
  | 'decoder-failed';

export interface MessageTypeSpec {
  /** 16–255 for callers. */
  readonly type: number;
  /** For logs and metrics only (`consensus.prepare`, `tx.gossip`, `sync.blocks`). */
  readonly name: string;
  /** Largest payload a peer may send with this type; frames above it are rejected unread. */
  readonly maxPayloadBytes: number;
}

/**
 * The set of message types a node understands. Consensus, transaction gossip and block sync each
 * register theirs at start-up; a type that was never registered is a protocol error.
 */
export interface MessageTypeRegistry {
  register(spec: MessageTypeSpec): void;
  get(type: number): MessageTypeSpec | undefined;
  list(): MessageTypeSpec[];
}

export function createMessageTypeRegistry(specs: readonly MessageTypeSpec[] = []): MessageTypeRegistry {
  const byType = new Map<number, MessageTypeSpec>();
  const add = (spec: MessageTypeSpec, reserved: boolean): void => {
    const { type, name, maxPayloadBytes } = spec;
    const low = reserved ? 0 : FIRST_APPLICATION_TYPE;
    if (!Number.isInteger(type) || type < low || type > MAX_MESSAGE_TYPE) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `message type must be an integer in ${low}..${MAX_MESSAGE_TYPE}`,
        {
          details: { type },
        },
      );
    }
    if (typeof name !== 'string' || name.length === 0) {
      throw new WeftError('INVALID_ARGUMENT', 'message type needs a name', { details: { type } });
    }
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 0 || maxPayloadBytes > 0xffff_fffd) {
      throw new WeftError('INVALID_ARGUMENT', 'maxPayloadBytes must be a non-negative 32-bit integer', {
        details: { type, name },
      });
    }
    const existing = byType.get(type);
    if (existing !== undefined) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        `message type ${type} is already registered as ${existing.name}`,
        {
          details: { type },
        },
      );
    }
    byType.set(type, Object.freeze({ type, name, maxPayloadBytes }));
  };
  add({ type: MessageType.ping, name: 'p2p.ping', maxPayloadBytes: 8 }, true);
  add({ type: MessageType.pong, name: 'p2p.pong', maxPayloadBytes: 8 }, true);
  for (const spec of specs) add(spec, false);
  return {
    register: (spec) => add(spec, false),
    get: (type) => byType.get(type),
    list: () => [...byType.values()],
  };
}

/** Encodes one frame. Throws INVALID_ARGUMENT for a type outside 0–255 or a payload too long for u32. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  assertBytes(payload, undefined, 'frame payload');
  if (!Number.isInteger(type) || type < 0 || type > MAX_MESSAGE_TYPE) {
    throw new WeftError('INVALID_ARGUMENT', 'frame type must be an integer in 0..255', { details: { type } });
  }
  const length = 2 + payload.length;
  if (length > 0xffff_ffff) {
    throw new WeftError('INVALID_ARGUMENT', 'frame payload does not fit a u32 length');
  }
  const frame = new Uint8Array(LENGTH_PREFIX_BYTES + length);
  new DataView(frame.buffer).setUint32(0, length, false);
  frame[4] = FRAME_VERSION;
  frame[5] = type;
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface FrameDecoderOptions {
  /** Cap on a whole frame, header included. Default `DEFAULT_MAX_FRAME_BYTES`. */
  maxFrameBytes?: number;
  /** Payload cap of a known type, `undefined` for an unknown one (usually `registry.get(t)?.maxPayloadBytes`). */
  payloadLimit(type: number): number | undefined;
}

export interface FrameDecoder {
  /**
   * Feeds bytes as they arrive (any split, any coalescing) and returns the frames they complete.
   * Throws `WeftError('INVALID_MESSAGE', { penalise: true })` on the first violation; the decoder is
   * then failed for good and every later `push` throws too.
   */
  push(chunk: Uint8Array): Frame[];
  /** Bytes held for an incomplete frame: never more than the frame's own validated size. */
  readonly bufferedBytes: number;
  readonly failed: boolean;
}

export function createFrameDecoder(options: FrameDecoderOptions): FrameDecoder {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < FRAME_HEADER_BYTES || maxFrameBytes > 2 ** 32 + 3) {
    throw new WeftError('INVALID_ARGUMENT', 'maxFrameBytes must be an integer of at least 6', {
      details: { maxFrameBytes },
    });
  }
  const { payloadLimit } = options;

  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const headerView = new DataView(header.buffer);
  let headerFill = 0;
  // Set once a header has been accepted: the payload still owed, gathered as views of the chunks.
  let payloadLength = -1;
  let frameType = 0;
  let parts: Uint8Array[] = [];
  let partsBytes = 0;
  let failure: WeftError | undefined;

  const fail = (reason: FrameErrorReason, message: string, details: Record<string, unknown> = {}): never => {
    failure = new WeftError('INVALID_MESSAGE', message, { penalise: true, details: { reason, ...details } });
    parts = [];
    partsBytes = 0;
    headerFill = 0;
    payloadLength = -1;
    throw failure;
  };

  const acceptHeader = (): void => {
    const length = headerView.getUint32(0, false);
    const version = header[4] as number;
    const type = header[5] as number;
    // Cheapest checks first, and every one before a payload byte is buffered.
    if (length < 2) fail('frame-too-short', 'frame length must cover version and type', { length });
    if (LENGTH_PREFIX_BYTES + length > maxFrameBytes) {
      fail('frame-too-large', 'frame exceeds the maximum frame size', { length, maxFrameBytes });
    }
    if (version !== FRAME_VERSION) fail('unsupported-version', 'unsupported frame version', { version });
    const limit = payloadLimit(type);
    if (limit === undefined) fail('unknown-type', 'unknown message type', { type });
    if (length - 2 > (limit as number)) {
      fail('payload-too-large', 'payload exceeds the limit of its message type', { type, length, limit });
    }
    frameType = type;
    payloadLength = length - 2;
  };

  const takeFrame = (): Frame => {
    let payload: Uint8Array;
    if (parts.length === 1) {
      payload = (parts[0] as Uint8Array).slice();
    } else {
      payload = new Uint8Array(payloadLength);
      let offset = 0;
      for (const part of parts) {
        payload.set(part, offset);
        offset += part.length;
      }
    }
    const frame: Frame = { type: frameType, payload };
    parts = [];
    partsBytes = 0;
    payloadLength = -1;
    headerFill = 0;
    return frame;
  };

  return {
    push(chunk: Uint8Array): Frame[] {
      if (failure !== undefined) {
        throw new WeftError('INVALID_MESSAGE', 'frame stream already failed', {
          penalise: true,
          details: { reason: 'decoder-failed' satisfies FrameErrorReason },
          cause: failure,
        });
      }
      assertBytes(chunk, undefined, 'chunk');
      const frames: Frame[] = [];
      let at = 0;
      while (at < chunk.length) {
        if (payloadLength < 0) {
          const take = Math.min(FRAME_HEADER_BYTES - headerFill, chunk.length - at);
          header.set(chunk.subarray(at, at + take), headerFill);
          headerFill += take;
          at += take;
          if (headerFill < FRAME_HEADER_BYTES) break;
          acceptHeader();
        }
        const take = Math.min(payloadLength - partsBytes, chunk.length - at);
        if (take > 0) {
          parts.push(chunk.subarray(at, at + take));
          partsBytes += take;
          at += take;
        }
        if (partsBytes < payloadLength) break;
        frames.push(takeFrame());
      }
      return frames;
    },
    get bufferedBytes() {
      return (payloadLength < 0 ? headerFill : FRAME_HEADER_BYTES) + partsBytes;
    },
    get failed() {
      return failure !== undefined;
    },
  };
}
