import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../src/errors.js';
import { createDlogTable, solveDlog } from '../src/privacy/dlog.js';
import {
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  mulPublic,
  pointFromBytes,
  pointToBytes,
} from '../src/privacy/group.js';

function notFound(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e: unknown) {
    return isWeftError(e, 'NOT_FOUND');
  }
}

describe('baby-step giant-step discrete log', () => {
  const table = createDlogTable({ bound: 100_000n });

  it('recovers every m in a small range, including both ends', () => {
    for (const m of [0n, 1n, 2n, 316n, 317n, 99_999n]) expect(solveDlog(table, mulPublic(BASE_G, m))).toBe(m);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 99_999n }), (m) => {
        expect(solveDlog(table, mulPublic(BASE_G, m))).toBe(m);
      }),
      { numRuns: 30 },
    );
  });

  it('reports NOT_FOUND at and beyond the bound, for negatives and for unrelated points', () => {
    expect(notFound(() => solveDlog(table, mulPublic(BASE_G, 100_000n)))).toBe(true);
    expect(notFound(() => solveDlog(table, mulPublic(BASE_G, CURVE_ORDER - 1n)))).toBe(true);
    expect(notFound(() => solveDlog(table, BASE_H))).toBe(true);
  });

  it('works for points whose Edwards representative carries torsion (decoded from bytes)', () => {
    // Decoding picks its own Edwards representative; the table keys on 4·P to be independent of it.
    for (const m of [5n, 77_777n]) {
      const decoded = pointFromBytes(pointToBytes(mulPublic(BASE_G, m)));
      expect(solveDlog(table, decoded)).toBe(m);
    }
  });

  it('accepts unbalanced tables and tiny bounds', () => {
    const lopsided = createDlogTable({ bound: 5000n, babySteps: 7 });
    expect(solveDlog(lopsided, mulPublic(BASE_G, 4999n))).toBe(4999n);
    const one = createDlogTable({ bound: 1n });
    expect(solveDlog(one, mulPublic(BASE_G, 0n))).toBe(0n);
    expect(notFound(() => solveDlog(one, BASE_G))).toBe(true);
    expect(() => createDlogTable({ bound: 0n })).toThrow();
    expect(() => createDlogTable({ bound: 10n, babySteps: 0 })).toThrow();
  });
});
