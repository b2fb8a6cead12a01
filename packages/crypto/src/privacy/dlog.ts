/**
 * Bounded discrete logarithms: recover m ∈ [0, bound) from M = m·G by Shanks' baby-step giant-step
 * (Shanks 1971; Menezes–van Oorschot–Vanstone, Handbook of Applied Cryptography, Alg. 3.56). Used to
 * finish exponential-ElGamal decryption, whose plaintexts (tallies, balances) are small.
 *
 * Cost: the table holds s = ⌈√bound⌉ baby steps (built once, reusable across calls and ciphertexts);
 * a lookup takes at most ⌈bound/s⌉ giant steps. Bound 2^32 → 65,536 entries (~1 s to build here), a
 * worst-case lookup of 65,536 giant steps.
 *
 * Keys: ristretto255 points have 4 Edwards representatives (differing by 4-torsion), so the table
 * cannot key on Edwards coordinates of arbitrary representatives, and encoding every baby step
 * (an inverse square root each) would dominate the build. Multiplying a representative by 4 kills
 * the torsion and yields one canonical Edwards point per group element; its affine x coordinate
 * (unique within the prime-order subgroup, since −P has x negated and the point (x, −y) is not in
 * the subgroup) is the key. Affine normalisation is batched (Montgomery's trick, one inversion per
 * batch). Hits are confirmed with a full group comparison, so truncated keys can never return a
 * wrong m.
 */
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { WeftError } from '../errors.js';
import { assertPoint, BASE_G, mulPublic, type Point } from './group.js';

export interface DlogTable {
  /** Exclusive upper bound of recoverable logarithms. */
  readonly bound: bigint;
  /** Number of baby steps s. */
  readonly babySteps: number;
  /** Low 48 bits of the canonical x of j·(4G) → j. */
  readonly table: ReadonlyMap<number, number>;
  /** Entries whose 48-bit key collided with an earlier one: full x → j. */
  readonly overflow: ReadonlyMap<bigint, number>;
}

export interface DlogTableOptions {
  /** Exclusive bound on m; default 2^32. */
  readonly bound?: bigint | number;
  /** Baby steps; default ⌈√bound⌉ (balanced). More baby steps = bigger table, faster lookups. */
  readonly babySteps?: number;
}

/** Largest table we agree to build (memory: ~100 bytes per entry in a JS Map). */
export const MAX_BABY_STEPS = 1 << 22;
/** Plaintexts of exponential ElGamal are amounts and counts; nothing near this is ever solvable. */
export const MAX_BOUND = 2n ** 64n;
const KEY_MASK = (1n << 48n) - 1n;
const BATCH = 1024;

const EdPoint = ed25519.Point;
type Ed = InstanceType<typeof EdPoint>;
const G4: Ed = EdPoint.BASE.double().double();

function isqrtCeil(n: bigint): bigint {
  if (n <= 1n) return n;
  let x = BigInt(Math.ceil(Math.sqrt(Number(n))));
  while (x * x < n) x++;
  while ((x - 1n) * (x - 1n) >= n) x--;
  return x;
}

/** 4·(Edwards representative of p): a canonical Edwards point for the ristretto element. */
function canonicalEdwards(p: Point): Ed {
  const { x, y } = p.toAffine();
  return EdPoint.fromAffine({ x, y }).double().double();
}

export function createDlogTable(options: DlogTableOptions = {}): DlogTable {
  const bound = BigInt(options.bound ?? 2n ** 32n);
  if (bound < 1n || bound > MAX_BOUND)
    throw new WeftError('INVALID_ARGUMENT', 'dlog bound must be in [1, 2^64]');
  const steps = options.babySteps ?? Number(isqrtCeil(bound));
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > MAX_BABY_STEPS) {
    throw new WeftError('INVALID_ARGUMENT', `baby steps must be an integer in [1, ${MAX_BABY_STEPS}]`);
  }
  const table = new Map<number, number>();
  const overflow = new Map<bigint, number>();
  let current: Ed = EdPoint.ZERO;
  for (let start = 0; start < steps; start += BATCH) {
    const count = Math.min(BATCH, steps - start);
    const batch: Ed[] = [];
    for (let i = 0; i < count; i++) {
      batch.push(current);
      current = current.add(G4);
    }
    const affine = normalizeZ(EdPoint, batch);
    for (let i = 0; i < count; i++) {
      const x = (affine[i] as Ed).X;
      const key = Number(x & KEY_MASK);
      if (table.has(key)) overflow.set(x, start + i);
      else table.set(key, start + i);
    }
  }
  return { bound, babySteps: steps, table, overflow };
}

/**
 * Returns m ∈ [0, bound) with point = m·G, or throws WeftError NOT_FOUND when there is none.
 * Variable time in m: use only on values that are public once decrypted (tallies, audited amounts).
 */
export function solveDlog(t: DlogTable, point: Point): bigint {
  assertPoint(point);
  const s = BigInt(t.babySteps);
  const giantSteps = (t.bound + s - 1n) / s;
  const giant: Ed = G4.multiply(s);
  let current = canonicalEdwards(point);
  for (let i = 0n; i < giantSteps; i += BigInt(BATCH)) {
    const count = Number(giantSteps - i < BigInt(BATCH) ? giantSteps - i : BigInt(BATCH));
    const batch: Ed[] = [];
    for (let k = 0; k < count; k++) {
      batch.push(current);
      current = current.subtract(giant);
    }
    const affine = normalizeZ(EdPoint, batch);
    for (let k = 0; k < count; k++) {
      const x = (affine[k] as Ed).X;
      const candidates = [t.table.get(Number(x & KEY_MASK)), t.overflow.get(x)];
      for (const j of candidates) {
        if (j === undefined) continue;
        const m = (i + BigInt(k)) * s + BigInt(j);
        if (m < t.bound && mulPublic(BASE_G, m).equals(point)) return m;
      }
    }
  }
  throw new WeftError('NOT_FOUND', 'discrete logarithm is not within the table bound');
}
