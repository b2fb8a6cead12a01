import { encode as rlpEncode } from '@ethereumjs/rlp';
import { KECCAK256_NULL } from '@ethereumjs/util';
import { isWeftError } from '@weft/crypto/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountKey,
  accumulatorKey,
  codeKey,
  decodeAccountRecord,
  decodeStorageHeader,
  encodeAccountRecord,
  encodeStorageHeader,
  parseStorageKey,
  stateKeyKind,
  stateKeyPrefix,
  storageHeaderKey,
  storageKey,
  trimStorageValue,
} from '../src/state/layout.js';
import { LTHASH_BYTES } from '../src/state/lthash.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const recordArb = fc.record({
  nonce: fc.bigInt(0n, 2n ** 64n - 1n),
  balance: fc.bigInt(0n, 2n ** 256n - 1n),
  codeHash: fc.oneof(fc.constant(KECCAK256_NULL), bytes(32)),
  storageDigest: fc.oneof(fc.constant(new Uint8Array(0)), bytes(32)),
});

describe('state layout', () => {
  it('round-trips account records, and encodes "no code" as an empty string', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const encoded = encodeAccountRecord(record);
        expect(decodeAccountRecord(encoded)).toEqual(record);
      }),
    );
    const empty = encodeAccountRecord({
      nonce: 0n,
      balance: 0n,
      codeHash: KECCAK256_NULL,
      storageDigest: new Uint8Array(0),
    });
    expect([...empty]).toEqual([0xc4, 0x80, 0x80, 0x80, 0x80]);
  });

  it('rejects non-canonical or malformed account records', () => {
    const bad = [
      rlpEncode([Uint8Array.of(0, 1), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]), // leading zero
      rlpEncode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]), // 3 fields
      rlpEncode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(31), new Uint8Array(0)]), // short code hash
      rlpEncode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(5)]), // short digest
      Uint8Array.of(0xc5, 0x80), // truncated
    ];
    for (const record of bad) {
      let caught: unknown;
      try {
        decodeAccountRecord(record);
      } catch (error) {
        caught = error;
      }
      expect(isWeftError(caught, 'STORAGE_ERROR')).toBe(true);
    }
  });

  it('round-trips storage headers and storage keys', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 2n ** 64n - 1n),
        fc.option(bytes(LTHASH_BYTES), { nil: null }),
        bytes(20),
        bytes(32),
        (incarnation, accumulator, address, slot) => {
          expect(decodeStorageHeader(encodeStorageHeader({ incarnation, accumulator }))).toEqual({
            incarnation,
            accumulator,
          });
          const key = storageKey(address, incarnation, slot);
          expect(stateKeyKind(key)).toBe('storage');
          const parsed = parseStorageKey(key);
          expect(parsed.incarnation).toBe(incarnation);
          expect(parsed.address).toEqual(address);
          expect(parsed.slot).toEqual(slot);
        },
      ),
      { numRuns: 50 },
    );
    expect(() => decodeStorageHeader(new Uint8Array(9))).toThrow(
      expect.objectContaining({ code: 'STORAGE_ERROR' }),
    );
  });

  it('puts every key under the state prefix and tells the kinds apart', () => {
    const a = new Uint8Array(20).fill(1);
    expect(stateKeyPrefix).toBe(0x73);
    expect(stateKeyKind(accountKey(a))).toBe('account');
    expect(stateKeyKind(storageHeaderKey(a))).toBe('storageHeader');
    expect(stateKeyKind(codeKey(new Uint8Array(32)))).toBe('code');
    expect(stateKeyKind(accumulatorKey)).toBe('accumulator');
    expect(stateKeyKind(Uint8Array.of(0x62, 0x61))).toBeNull();
    expect(stateKeyKind(Uint8Array.of(0x73, 0x61, 1))).toBeNull();
  });

  it('keeps storage values minimal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (value) => {
        const trimmed = trimStorageValue(value);
        expect(trimmed.length === 0 || trimmed[0] !== 0).toBe(true);
        expect(BigInt(`0x0${Buffer.from(trimmed).toString('hex')}`)).toBe(
          BigInt(`0x0${Buffer.from(value).toString('hex')}`),
        );
      }),
    );
    expect(() => trimStorageValue(new Uint8Array(33))).toThrow(
      expect.objectContaining({ code: 'INVALID_LENGTH' }),
    );
  });
});
