import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToBloom, BLOOM_BYTES, bloomContains } from '../src/bloom.js';
import {
  decodeReceipt,
  encodeReceipt,
  type Log,
  logsBloom,
  type Receipt,
  receiptHash,
} from '../src/receipt.js';

/**
 * Receipts: the encoding is memoised per receipt object and the block bloom hashes each distinct
 * value once (performance changes); both must give exactly what the plain definitions give.
 */
const suite = getSuite('ecdsa');
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

// A small pool of addresses and topics, so that generated blocks repeat values as real ones do.
const arbLog = (addresses: Uint8Array[], topics: Uint8Array[]): fc.Arbitrary<Log> =>
  fc.record({
    address: fc.constantFrom(...addresses),
    topics: fc.array(fc.constantFrom(...topics), { maxLength: 4 }),
    data: fc.uint8Array({ maxLength: 64 }),
  });

const arbReceipts = fc
  .tuple(
    fc.array(bytes(20), { minLength: 1, maxLength: 3 }),
    fc.array(bytes(32), { minLength: 1, maxLength: 6 }),
  )
  .chain(([addresses, topics]) =>
    fc.array(
      fc
        .record({
          status: fc.constantFrom(0 as const, 1 as const),
          cumulativeGasUsed: fc.bigInt({ min: 0n, max: 2n ** 40n }),
          gasUsed: fc.bigInt({ min: 0n, max: 2n ** 40n }),
          contractAddress: fc.option(bytes(20), { nil: null }),
          logs: fc.array(arbLog(addresses, topics), { maxLength: 4 }),
          output: fc.uint8Array({ maxLength: 40 }),
          revertReason: fc.string({ maxLength: 20 }),
        })
        .map((r) => ({ ...r, revertReason: r.status === 1 ? null : r.revertReason })),
      { maxLength: 12 },
    ),
  );

/** The bloom as the Yellow Paper §4.3.1 defines it: every address and topic of every log, in turn. */
function referenceBloom(receipts: readonly Receipt[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  const hash = (d: Uint8Array) => suite.hash(d);
  for (const r of receipts) {
    for (const log of r.logs) {
      addToBloom(bloom, hash, log.address);
      for (const topic of log.topics) addToBloom(bloom, hash, topic);
    }
  }
  return bloom;
}

describe('receipts', () => {
  it('encodes the same bytes for the same receipt every time, and as a fresh copy does', () => {
    fc.assert(
      fc.property(arbReceipts, (receipts) => {
        for (const r of receipts) {
          const first = encodeReceipt(r);
          expect(encodeReceipt(r)).toEqual(first);
          // A structurally equal object is encoded from scratch.
          expect(encodeReceipt({ ...r, logs: [...r.logs] })).toEqual(first);
          const back = decodeReceipt(first);
          expect(encodeReceipt(back)).toEqual(first);
          expect(receiptHash(suite, r)).toEqual(suite.hash(first));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('computes the block bloom of the Yellow Paper, with every address and topic in it', () => {
    fc.assert(
      fc.property(arbReceipts, (receipts) => {
        const bloom = logsBloom(suite, receipts);
        expect(bloom).toEqual(referenceBloom(receipts));
        const hash = (d: Uint8Array) => suite.hash(d);
        for (const r of receipts) {
          for (const log of r.logs) {
            expect(bloomContains(bloom, hash, log.address)).toBe(true);
            for (const topic of log.topics) expect(bloomContains(bloom, hash, topic)).toBe(true);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('gives the empty bloom for no logs', () => {
    expect(logsBloom(suite, [])).toEqual(new Uint8Array(BLOOM_BYTES));
  });
});
