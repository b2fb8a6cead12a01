import { isWeftError, WeftError } from '@weft/crypto/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  createMessageTypeRegistry,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FRAME_VERSION,
  type Frame,
  type FrameDecoder,
  MessageType,
} from '../src/p2p/frame.js';

const registry = createMessageTypeRegistry([
  { type: 16, name: 'test.small', maxPayloadBytes: 64 },
  { type: 17, name: 'test.medium', maxPayloadBytes: 1024 },
  { type: 200, name: 'test.block', maxPayloadBytes: 4096 },
]);
const knownTypes = registry.list().map((spec) => spec.type);

function decoder(maxFrameBytes = 1 << 20): FrameDecoder {
  return createFrameDecoder({ maxFrameBytes, payloadLimit: (type) => registry.get(type)?.maxPayloadBytes });
}

function header(length: number, version: number, type: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(bytes.buffer).setUint32(0, length, false);
  bytes[4] = version;
  bytes[5] = type;
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, point));
    last = point;
  }
  return chunks;
}

function rejectionReason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(isWeftError(error, 'INVALID_MESSAGE')).toBe(true);
    expect((error as WeftError).penalise).toBe(true);
    return (error as WeftError).details?.reason;
  }
  throw new Error('expected a WeftError');
}

const frameArb = fc.constantFrom(...knownTypes.filter((t) => t >= 16)).chain((type) =>
  fc.record({
    type: fc.constant(type),
    payload: fc.uint8Array({ maxLength: registry.get(type)?.maxPayloadBytes ?? 0 }),
  }),
);

describe('encodeFrame', () => {
  it('lays out length ‖ version ‖ type ‖ payload, big-endian length counting version and type', () => {
    const frame = encodeFrame(16, Uint8Array.of(0xaa, 0xbb));
    expect(Buffer.from(frame).toString('hex')).toBe(`00000004${'01'}10aabb`);
    expect(FRAME_VERSION).toBe(1);
    expect(Buffer.from(encodeFrame(MessageType.ping, new Uint8Array(0))).toString('hex')).toBe(
      '000000020101',
    );
  });

  it('rejects a type outside 0..255 and a non-byte payload', () => {
    expect(() => encodeFrame(256, new Uint8Array(0))).toThrow(WeftError);
    expect(() => encodeFrame(-1, new Uint8Array(0))).toThrow(WeftError);
    expect(() => encodeFrame(1.5, new Uint8Array(0))).toThrow(WeftError);
    expect(() => encodeFrame(16, [1, 2] as unknown as Uint8Array)).toThrow(WeftError);
  });
});

describe('createFrameDecoder', () => {
  it('decodes coalesced frames, empty payloads and a byte-at-a-time stream alike', () => {
    const frames = [
      { type: 16, payload: Uint8Array.of(1, 2, 3) },
      { type: 17, payload: new Uint8Array(0) },
      { type: 200, payload: new Uint8Array(4096).fill(7) },
    ];
    const stream = concat(frames.map((f) => encodeFrame(f.type, f.payload)));
    expect(decoder().push(stream)).toEqual(frames);

    const slow = decoder();
    const out: Frame[] = [];
    for (const byte of stream) out.push(...slow.push(Uint8Array.of(byte)));
    expect(out).toEqual(frames);
    expect(slow.bufferedBytes).toBe(0);
  });

  it('returns payloads that are copies, not views of the caller’s buffer', () => {
    const stream = encodeFrame(16, Uint8Array.of(9, 9));
    const [frame] = decoder().push(stream);
    stream.fill(0);
    expect(frame?.payload).toEqual(Uint8Array.of(9, 9));
  });

  it('property: any split of a valid stream decodes to the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const stream = concat(frames.map((f) => encodeFrame(f.type, f.payload)));
          const d = decoder();
          const decoded = splitAt(stream, cuts).flatMap((chunk) => d.push(chunk));
          expect(decoded).toEqual(frames);
          expect(d.bufferedBytes).toBe(0);
          expect(d.failed).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random bytes, in any split, never throw anything but a penalising WeftError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (bytes, cuts, withValidPrefix) => {
          // Half of the cases start with a valid frame so that the header parser is exercised mid-stream.
          const stream = withValidPrefix ? concat([encodeFrame(16, Uint8Array.of(1)), bytes]) : bytes;
          const d = decoder(2048);
          for (const chunk of splitAt(stream, cuts)) {
            try {
              for (const frame of d.push(chunk)) {
                expect(registry.get(frame.type)).toBeDefined();
                expect(frame.payload.length).toBeLessThanOrEqual(
                  registry.get(frame.type)?.maxPayloadBytes ?? -1,
                );
              }
            } catch (error) {
              expect(isWeftError(error, 'INVALID_MESSAGE')).toBe(true);
              expect((error as WeftError).penalise).toBe(true);
              expect(d.failed).toBe(true);
              return;
            }
          }
          expect(d.bufferedBytes).toBeLessThanOrEqual(2048);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects an oversize frame from its header alone, before buffering any payload', () => {
    const d = decoder(1024);
    expect(rejectionReason(() => d.push(header(100_000_000, FRAME_VERSION, 200)))).toBe('frame-too-large');
    expect(d.bufferedBytes).toBe(0);
    expect(d.failed).toBe(true);
    // Exactly at the cap is fine; one byte over is not.
    expect(decoder(FRAME_HEADER_BYTES + 64).push(encodeFrame(16, new Uint8Array(64)))).toHaveLength(1);
    expect(rejectionReason(() => decoder(FRAME_HEADER_BYTES + 63).push(header(66, 1, 16)))).toBe(
      'frame-too-large',
    );
  });

  it('enforces each type’s own payload cap from the header', () => {
    expect(rejectionReason(() => decoder().push(header(2 + 65, FRAME_VERSION, 16)))).toBe(
      'payload-too-large',
    );
    expect(decoder().push(encodeFrame(16, new Uint8Array(64)))).toHaveLength(1);
    // PING and PONG are capped at 8 bytes.
    expect(rejectionReason(() => decoder().push(header(2 + 9, FRAME_VERSION, MessageType.ping)))).toBe(
      'payload-too-large',
    );
  });

  it('rejects unknown versions, unknown types and lengths too short for a header', () => {
    expect(rejectionReason(() => decoder().push(header(2, 2, 16)))).toBe('unsupported-version');
    expect(rejectionReason(() => decoder().push(header(2, 0, 16)))).toBe('unsupported-version');
    expect(rejectionReason(() => decoder().push(header(2, FRAME_VERSION, 99)))).toBe('unknown-type');
    expect(rejectionReason(() => decoder().push(header(2, FRAME_VERSION, 0)))).toBe('unknown-type');
    expect(rejectionReason(() => decoder().push(header(1, FRAME_VERSION, 16)))).toBe('frame-too-short');
    expect(rejectionReason(() => decoder().push(header(0, FRAME_VERSION, 16)))).toBe('frame-too-short');
  });

  it('keeps failing after the first violation', () => {
    const d = decoder();
    rejectionReason(() => d.push(header(2, 9, 16)));
    expect(rejectionReason(() => d.push(encodeFrame(16, new Uint8Array(1))))).toBe('decoder-failed');
  });

  it('delivers frames that precede a bad header in earlier chunks', () => {
    const d = decoder();
    expect(d.push(encodeFrame(16, Uint8Array.of(5)))).toHaveLength(1);
    expect(rejectionReason(() => d.push(header(2, FRAME_VERSION, 42)))).toBe('unknown-type');
  });

  it('validates its own options', () => {
    expect(() => createFrameDecoder({ maxFrameBytes: 3, payloadLimit: () => 0 })).toThrow(WeftError);
    expect(() => createFrameDecoder({ maxFrameBytes: 1.5, payloadLimit: () => 0 })).toThrow(WeftError);
  });
});

describe('createMessageTypeRegistry', () => {
  it('reserves types 0–15 for the transport and refuses duplicates and bad caps', () => {
    const r = createMessageTypeRegistry();
    expect(r.get(MessageType.ping)?.name).toBe('p2p.ping');
    expect(() => r.register({ type: 3, name: 'mine', maxPayloadBytes: 10 })).toThrow(WeftError);
    expect(() => r.register({ type: 256, name: 'big', maxPayloadBytes: 10 })).toThrow(WeftError);
    expect(() => r.register({ type: 20, name: '', maxPayloadBytes: 10 })).toThrow(WeftError);
    expect(() => r.register({ type: 20, name: 'neg', maxPayloadBytes: -1 })).toThrow(WeftError);
    r.register({ type: 20, name: 'consensus', maxPayloadBytes: 10 });
    expect(() => r.register({ type: 20, name: 'again', maxPayloadBytes: 10 })).toThrow(/already registered/);
    expect(r.get(20)).toEqual({ type: 20, name: 'consensus', maxPayloadBytes: 10 });
    expect(r.get(21)).toBeUndefined();
  });
});
