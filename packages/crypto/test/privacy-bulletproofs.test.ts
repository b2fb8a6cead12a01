import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8ToBytes } from '../src/bytes.js';
import { isWeftError } from '../src/errors.js';
import {
  batchVerifyRange,
  commitValue,
  paddedAggregation,
  proveRange,
  type RangeBits,
  type RangeProofItem,
  rangeProofGenerators,
  rangeProofLength,
  verifyRange,
} from '../src/privacy/bulletproofs.js';
import {
  BASE_G,
  CURVE_ORDER,
  hashToPoint,
  pointFromBytes,
  randomScalar,
  scalarToBytes,
} from '../src/privacy/group.js';
import { withPointArena } from '../src/privacy/msm.js';
import { commit } from '../src/privacy/pedersen.js';

const ctx = utf8ToBytes('chain-7/tx-42');

function prove(
  values: bigint[],
  bits: RangeBits,
  context = ctx,
): { proof: Uint8Array; commitments: Uint8Array[] } {
  return proveRange(
    values,
    values.map(() => randomScalar()),
    bits,
    { context },
  );
}

/** V + k·G: the commitment to v + k under the same blinding. */
function shiftCommitment(v: Uint8Array, k: bigint): Uint8Array {
  const shift = BASE_G.multiply(((k % CURVE_ORDER) + CURVE_ORDER) % CURVE_ORDER);
  return pointFromBytes(v).add(shift).toBytes();
}

describe('Bulletproofs range proofs: completeness and size', () => {
  it('proves and verifies n = 8, 16, 32, 64 bits, including 0 and 2^n − 1', () => {
    for (const bits of [8, 16, 32, 64] as const) {
      const max = (1n << BigInt(bits)) - 1n;
      const { proof, commitments } = prove([0n, max], bits);
      expect(proof.length).toBe(rangeProofLength(bits, 2));
      expect(verifyRange(proof, commitments, bits, { context: ctx })).toBe(true);
    }
  });

  it('has the paper size 2·log2(n·m) + 4 points + 5 scalars (672 bytes for one 64-bit value)', () => {
    expect(rangeProofLength(64, 1)).toBe(672);
    expect(rangeProofLength(64, 16)).toBe(32 * (2 * 10 + 4 + 5));
    expect(rangeProofLength(8, 1)).toBe(32 * (2 * 3 + 9));
    const { proof } = prove([5n], 64);
    expect(proof.length).toBe(672);
  });

  it('pads m to a power of two with identity commitments (3 values prove like 4)', () => {
    expect([1, 2, 3, 4, 5, 9, 33, 64].map(paddedAggregation)).toEqual([1, 2, 4, 4, 8, 16, 64, 64]);
    const { proof, commitments } = prove([1n, 2n, 3n], 16);
    expect(commitments).toHaveLength(3);
    expect(proof.length).toBe(rangeProofLength(16, 4));
    expect(verifyRange(proof, commitments, 16, { context: ctx })).toBe(true);
    // The verifier pads itself: adding the identity explicitly is a different statement (m differs).
    expect(verifyRange(proof, [...commitments, new Uint8Array(32)], 16, { context: ctx })).toBe(false);
  });

  it('aggregates up to 64 values (n = 8, m = 64)', () => {
    const values = Array.from({ length: 64 }, (_, i) => BigInt((i * 37) % 256));
    const { proof, commitments } = prove(values, 8);
    expect(verifyRange(proof, commitments, 8, { context: ctx })).toBe(true);
  });

  it('commitments are WeDPR/pedersen.ts commitments v·G + γ·H', () => {
    const gamma = randomScalar();
    const { commitments } = proveRange([1234n], [gamma], 32);
    expect(commitments[0]).toEqual(commit(1234n, gamma).toBytes());
    expect(commitValue(1234n, gamma)).toEqual(commit(1234n, gamma).toBytes());
  });

  it('random values verify (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 255n }), { minLength: 1, maxLength: 4 }), (values) => {
        const { proof, commitments } = prove(values, 8);
        expect(verifyRange(proof, commitments, 8, { context: ctx })).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('derives the generators by the documented hash-to-point rule', () => {
    const { g, h } = rangeProofGenerators(3);
    const u32 = (i: number): Uint8Array => new Uint8Array([i, 0, 0, 0]);
    expect(g[0]).toEqual(hashToPoint(concatBytes(utf8ToBytes('weft/bulletproofs/v1/G'), u32(0))).toBytes());
    expect(h[2]).toEqual(hashToPoint(concatBytes(utf8ToBytes('weft/bulletproofs/v1/H'), u32(2))).toBytes());
    const all = [...g, ...h].map((p) => Buffer.from(p).toString('hex'));
    expect(new Set(all).size).toBe(6);
  });
});

describe('Bulletproofs range proofs: soundness', () => {
  const single = prove([200n], 8);

  it('every changed byte of the proof makes it fail', () => {
    const { proof, commitments } = single;
    for (let i = 0; i < proof.length; i++) {
      const bad = proof.slice();
      bad[i] = (bad[i] as number) ^ (1 << (i % 8));
      expect(verifyRange(bad, commitments, 8, { context: ctx }), `byte ${i}`).toBe(false);
    }
  });

  it('random byte mutations of an aggregated proof fail (property)', () => {
    const { proof, commitments } = prove([3n, 70000n], 32);
    fc.assert(
      fc.property(fc.nat(proof.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = proof.slice();
        bad[i] = (bad[i] as number) ^ x;
        expect(verifyRange(bad, commitments, 32, { context: ctx })).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('a changed commitment, order, context, bit width or count fails', () => {
    const { proof, commitments } = prove([10n, 20n], 16);
    const ok = (c: Uint8Array[], bits: RangeBits = 16, context = ctx): boolean =>
      verifyRange(proof, c, bits, { context });
    expect(ok(commitments)).toBe(true);
    const [c0, c1] = commitments as [Uint8Array, Uint8Array];
    expect(ok([shiftCommitment(c0, 1n), c1])).toBe(false);
    expect(ok([c0, shiftCommitment(c1, -1n)])).toBe(false);
    expect(ok([c1, c0])).toBe(false);
    expect(ok(commitments, 16, utf8ToBytes('chain-7/tx-43'))).toBe(false);
    expect(verifyRange(proof, commitments, 16)).toBe(false); // no context
    expect(ok([c0])).toBe(false);
    expect(ok(commitments, 8)).toBe(false);
    expect(ok(commitments, 32)).toBe(false);
  });

  it('the prover refuses v ≥ 2^n and v < 0, and names only the index', () => {
    for (const [v, bits] of [
      [256n, 8],
      [2n ** 64n, 64],
      [-1n, 32],
    ] as const) {
      try {
        proveRange([1n, v], [randomScalar(), randomScalar()], bits);
        expect.unreachable();
      } catch (e) {
        expect(isWeftError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toContain('value #1');
        expect((e as Error).message).not.toContain(v.toString());
      }
    }
  });

  it('a proof does not transfer to out-of-range openings of the same blinding (v + 2^n, −1)', () => {
    const { proof, commitments } = prove([255n], 8);
    const c = commitments[0] as Uint8Array;
    expect(verifyRange(proof, [c], 8, { context: ctx })).toBe(true);
    // 255 + 1 = 256 = 2^8 and 255 − 256 = −1: both out of range; neither commitment may verify.
    expect(verifyRange(proof, [shiftCommitment(c, 1n)], 8, { context: ctx })).toBe(false);
    expect(verifyRange(proof, [shiftCommitment(c, -256n)], 8, { context: ctx })).toBe(false);
    expect(verifyRange(proof, [shiftCommitment(c, 256n)], 8, { context: ctx })).toBe(false);
  });

  it('rejects malformed encodings: lengths, non-canonical scalars and points, identity A', () => {
    const { proof, commitments } = single;
    const v = (p: Uint8Array): boolean => verifyRange(p, commitments, 8, { context: ctx });
    expect(v(proof.subarray(0, proof.length - 1))).toBe(false);
    expect(v(concatBytes(proof, new Uint8Array(32)))).toBe(false);
    // t̂ (field 4) replaced by t̂ + ℓ: same value mod ℓ, non-canonical encoding.
    const tHat = proof.subarray(4 * 32, 5 * 32);
    let t = 0n;
    for (let i = 31; i >= 0; i--) t = (t << 8n) | BigInt(tHat[i] as number);
    const nonCanonical = proof.slice();
    const bigger = t + CURVE_ORDER;
    if (bigger < 2n ** 256n) {
      for (let i = 0; i < 32; i++) nonCanonical[4 * 32 + i] = Number((bigger >> BigInt(8 * i)) & 0xffn);
      expect(v(nonCanonical)).toBe(false);
    }
    const badPoint = proof.slice();
    badPoint.fill(0xff, 32, 64); // S: not a field element
    expect(v(badPoint)).toBe(false);
    const identityA = proof.slice();
    identityA.fill(0, 0, 32);
    expect(v(identityA)).toBe(false);
    expect(verifyRange(proof, [new Uint8Array(32).fill(0xff)], 8, { context: ctx })).toBe(false);
    expect(() => verifyRange(proof, [], 8)).toThrow(/1…64 values/);
    expect(() => verifyRange(proof, commitments, 12 as RangeBits)).toThrow(/n = 8, 16, 32 or 64/);
    expect(scalarToBytes(0n)).toHaveLength(32);
  });
});

describe('Bulletproofs verification inside another arena computation', () => {
  it('falls back to temporary tables when the persistent area is busy, with the same result', () => {
    // 64 values × 16 bits = 1024 generators: more than any earlier test made persistent tables for.
    const values = Array.from({ length: 64 }, (_, i) => BigInt(i * 1000));
    const { proof, commitments } = prove(values, 16);
    const bad = proof.slice();
    bad[100] = (bad[100] as number) ^ 1;
    withPointArena((a) => {
      a.alloc(5); // a live temporary: tables cannot be made persistent now
      expect(verifyRange(proof, commitments, 16, { context: ctx })).toBe(true);
      expect(verifyRange(bad, commitments, 16, { context: ctx })).toBe(false);
    });
    expect(verifyRange(proof, commitments, 16, { context: ctx })).toBe(true);
  });
});

describe('Bulletproofs batch verification', () => {
  it('accepts a batch of valid proofs of mixed n and m, rejects a batch with one bad proof', () => {
    const items: RangeProofItem[] = [
      { ...prove([1n], 64), bits: 64, context: ctx },
      { ...prove([1n, 2n, 3n], 8), bits: 8, context: ctx },
      { ...prove([65535n, 0n], 16), bits: 16, context: ctx },
      { ...prove([7n], 32), bits: 32, context: ctx },
    ];
    expect(batchVerifyRange(items)).toBe(true);
    expect(batchVerifyRange([])).toBe(true);
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as RangeProofItem;
      const broken = it.proof.slice();
      broken[broken.length - 40] = (broken[broken.length - 40] as number) ^ 4;
      const bad = items.map((x, j) => (j === i ? { ...x, proof: broken } : x));
      expect(batchVerifyRange(bad)).toBe(false);
      // A proof moved to another item's commitments fails too.
      const swapped = items.map((x, j) => (j === i ? { ...x, context: utf8ToBytes('other') } : x));
      expect(batchVerifyRange(swapped)).toBe(false);
    }
  });
});
