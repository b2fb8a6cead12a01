import { ristretto255 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../src/errors.js';
import { CURVE_ORDER } from '../src/privacy/group.js';
import { SHIFTED_WINDOWS, withPointArena } from '../src/privacy/msm.js';

const Point = ristretto255.Point;
const L = CURVE_ORDER;

/** Scalars biased to the recoding edges: 0, 1, ℓ−1, powers of two, runs of 8s (signed-digit carries). */
const scalar = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: L - 1n }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0n,
      1n,
      2n,
      L - 1n,
      L - 2n,
      2n ** 252n,
      2n ** 252n - 1n,
      0x8888888888888888888888888888888888888888888888888888888888888n,
      (2n ** 253n - 1n) % L,
    ),
  },
);

function expected(scalars: bigint[], points: (typeof Point.BASE)[]): Uint8Array {
  let acc = Point.ZERO;
  scalars.forEach((s, i) => {
    if (s !== 0n) acc = acc.add((points[i] as typeof Point.BASE).multiply(s));
  });
  return acc.toBytes();
}

describe('multi-scalar multiplication equals noble', () => {
  it('public and secret MSMs, 0–12 terms (Straus paths)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(scalar, fc.bigInt({ min: 1n, max: L - 1n })), { maxLength: 12 }),
        (terms) => {
          const scalars = terms.map(([s]) => s);
          const points = terms.map(([, x]) => Point.BASE.multiply(x));
          withPointArena((a) => {
            const refs = points.map((p) => a.decode(p.toBytes()));
            expect(a.encode(a.msmPublic(scalars, refs))).toEqual(expected(scalars, points));
            expect(a.encode(a.msmSecret(scalars, refs))).toEqual(expected(scalars, points));
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('public MSM on 20–140 terms (Straus below ~100, Pippenger above), with repeated and identity points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 140 }),
        fc.array(scalar, { minLength: 140, maxLength: 140 }),
        (n, all) => {
          const scalars = all.slice(0, n);
          // A few distinct points repeated, plus the identity: buckets see cancellations and repeats.
          const distinct = [Point.ZERO, Point.BASE, Point.BASE.multiply(7n), Point.BASE.multiply(L - 7n)];
          const points = scalars.map((_, i) => distinct[i % distinct.length] as typeof Point.BASE);
          withPointArena((a) => {
            const refs = points.map((p) => a.decode(p.toBytes()));
            expect(a.encode(a.msmPublic(scalars, refs))).toEqual(expected(scalars, points));
          });
        },
      ),
      { numRuns: 15 },
    );
  });

  it('a large MSM (600 terms, Pippenger window 8) with distinct points', () => {
    const n = 600;
    const scalars = Array.from(
      { length: n },
      (_, i) => (BigInt(i + 1) * 0x1234567890abcdef1234567890abcdefn) % L,
    );
    let p = Point.BASE.multiply(31337n);
    const points: (typeof Point.BASE)[] = [];
    for (let i = 0; i < n; i++) {
      points.push(p);
      p = p.add(Point.BASE);
    }
    // Σ sᵢ·(P + i·B) = (Σ sᵢ)·P + (Σ i·sᵢ)·B — a closed form noble computes with two multiplications.
    let sum = 0n;
    let weighted = 0n;
    scalars.forEach((s, i) => {
      sum += s;
      weighted += BigInt(i) * s;
    });
    const want = Point.BASE.multiply(31337n)
      .multiply(sum % L)
      .add(Point.BASE.multiply(weighted % L));
    withPointArena((a) => {
      const refs = points.map((q) => a.decode(q.toBytes()));
      expect(a.encode(a.msmPublic(scalars, refs))).toEqual(want.toBytes());
    });
  });

  it('shifted-table MSM (fixed bases) equals noble, across segments and with zero scalars', () => {
    fc.assert(
      fc.property(
        fc.array(scalar, { minLength: 1, maxLength: 20 }),
        fc.array(scalar, { minLength: 1, maxLength: 5 }),
        (s1, s2) => {
          const p1 = s1.map((_, i) => Point.BASE.multiply(BigInt(i) * 1000003n + 11n));
          const p2 = s2.map((_, i) => Point.BASE.multiply(BigInt(i) * 999983n + 5n).negate());
          withPointArena((a) => {
            const t1 = a.alloc(p1.length * SHIFTED_WINDOWS);
            const t2 = a.alloc(p2.length * SHIFTED_WINDOWS);
            a.buildShiftedTable(
              p1.map((p) => a.decode(p.toBytes())),
              t1,
            );
            a.buildShiftedTable(
              p2.map((p) => a.decode(p.toBytes())),
              t2,
            );
            const got = a.msmPublicShifted([
              { table: t1, scalars: s1 },
              { table: t2, scalars: s2 },
            ]);
            expect(a.encode(got)).toEqual(expected([...s1, ...s2], [...p1, ...p2]));
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('persistent blocks survive release and are refused while temporaries are live', () => {
    withPointArena((a) => {
      const before = a.mark;
      const block = a.allocPersistent(2);
      expect(block).toBe(before);
      a.kernel.ge_copy(block as number, a.decode(Point.BASE.toBytes()));
      a.alloc(3);
      expect(a.allocPersistent(1)).toBeUndefined();
      a.release(0); // cannot release below the persistent block
      expect(a.mark).toBe((block as number) + 2 * 160);
      expect(a.encode(block as number)).toEqual(Point.BASE.toBytes());
    });
  });

  it('rejects scalars outside [0, ℓ) and mismatched lengths', () => {
    withPointArena((a) => {
      const b = a.decode(Point.BASE.toBytes());
      for (const bad of [L, -1n, 2n ** 256n]) {
        try {
          a.msmPublic([bad], [b]);
          expect.unreachable();
        } catch (e) {
          expect(isWeftError(e, 'INVALID_SCALAR')).toBe(true);
        }
        expect(() => a.msmSecret([bad], [b])).toThrow();
      }
      expect(() => a.msmPublic([1n, 2n], [b])).toThrow(/as many scalars/);
    });
  });

  it('arenas release their allocations and nest', () => {
    const before = withPointArena((a) => a.mark); // after the persistent block of the test above
    withPointArena((a) => {
      a.alloc(1000);
      const inner = withPointArena((b) => {
        b.alloc(10);
        return b.mark;
      });
      expect(a.mark).toBeLessThan(inner);
    });
    expect(withPointArena((a) => a.mark)).toBe(before);
  });
});
