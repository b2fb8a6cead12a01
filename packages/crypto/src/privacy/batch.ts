/**
 * Batch verification of many sigma proofs with ONE multi-scalar multiplication.
 *
 * Every proof's verification reduces to linear checks Σ_j s_j·P_j = O (see `LinearCheck`). The batch
 * verifier draws an independent random weight w_i for every check and tests Σ_i w_i·(Σ_j s_ij·P_ij) = O
 * (Bellare–Garay–Rabin, "Fast batch verification for modular exponentiation and digital signatures",
 * EUROCRYPT 1998, the small-exponents test). Equal point objects (G, H, a shared public key) are merged
 * first, so a batch of n knowledge proofs costs one MSM over ~2n + 2 points instead of n MSMs of 4.
 *
 * Why 128-bit weights and not WeDPR's 8-bit ones: if some check is off by a non-zero group element E_i,
 * the batch still passes only when Σ w_i·E_i = O. ristretto255 has prime order, so for any fixed
 * choice of the other weights exactly one value of w_i makes the sum vanish: the false-accept
 * probability is 1/(number of possible weights). With 8-bit weights that is 1/256 per attempt — a
 * forger simply resubmits an invalid proof until some verifier (say, the block proposer) accepts it,
 * about 256 tries; with two bad proofs it can also pick errors that cancel for a weight pair with
 * probability ~1/256. With 128-bit weights it is 2^-128, the security level of the curve itself.
 * Weights are never derived from the proofs, so a prover cannot predict them.
 */
import { WeftError } from '../errors.js';
import { CURVE_ORDER, modOrder, multiScalarMul, type Point, type Scalar } from './group.js';
import {
  type ArithmeticProof,
  type CommitmentProofOptions,
  type EitherEqualityProof,
  type EqualityProof,
  type EqualityProofOptions,
  equalityChecks,
  type FormatProof,
  type FormatProofOptions,
  formatChecks,
  type KnowledgeProof,
  knowledgeChecks,
  type LinearCheck,
  productChecks,
  sumChecks,
  verifyEitherEquality,
} from './sigma.js';

/** One statement-and-proof to verify, tagged by proof kind. */
export type SigmaStatement =
  | {
      readonly kind: 'knowledge';
      readonly commitment: Point;
      readonly proof: KnowledgeProof;
      readonly options?: CommitmentProofOptions;
    }
  | {
      readonly kind: 'format';
      readonly c1: Point;
      readonly c2: Point;
      readonly proof: FormatProof;
      readonly options: FormatProofOptions;
    }
  | {
      readonly kind: 'sum' | 'product';
      readonly c1: Point;
      readonly c2: Point;
      readonly c3: Point;
      readonly proof: ArithmeticProof;
      readonly options?: CommitmentProofOptions;
    }
  | {
      readonly kind: 'equality';
      readonly c1: Point;
      readonly c2: Point;
      readonly proof: EqualityProof;
      readonly options?: EqualityProofOptions;
    }
  | {
      // Its check is a hash equality, not a linear relation, so it is verified on its own.
      readonly kind: 'either-equality';
      readonly c1: Point;
      readonly c2: Point;
      readonly c3: Point;
      readonly proof: EitherEqualityProof;
      readonly options?: { readonly context?: Uint8Array };
    }
  | {
      // Any other proof that exposes its verification equations (ElGamal, DLEQ, …).
      readonly kind: 'linear';
      readonly checks: readonly LinearCheck[];
    };

/** The linear checks of a statement, or `undefined` for proofs that cannot be batched. */
export function statementChecks(statement: SigmaStatement): readonly LinearCheck[] | undefined {
  switch (statement.kind) {
    case 'knowledge':
      return knowledgeChecks(statement.commitment, statement.proof, statement.options);
    case 'format':
      return formatChecks(statement.c1, statement.c2, statement.proof, statement.options);
    case 'sum':
      return sumChecks(statement.c1, statement.c2, statement.c3, statement.proof, statement.options);
    case 'product':
      return productChecks(statement.c1, statement.c2, statement.c3, statement.proof, statement.options);
    case 'equality':
      return equalityChecks(statement.c1, statement.c2, statement.proof, statement.options);
    case 'either-equality':
      return undefined;
    case 'linear':
      return statement.checks;
  }
}

const WEIGHT_BYTES = 16;

/** A uniformly random weight in [1, 2^128] from the platform CSPRNG. */
export function randomBatchWeight(): Scalar {
  const b = new Uint8Array(WEIGHT_BYTES);
  globalThis.crypto.getRandomValues(b);
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x + 1n;
}

export interface BatchOptions {
  /** Source of weights; tests may inject one. Must return values of at least 128 bits of entropy. */
  readonly randomWeight?: () => Scalar;
}

/**
 * Folds weighted checks into one (scalars, points) list, merging repeated point objects so shared
 * bases are multiplied once.
 */
export function combineChecks(
  checks: readonly LinearCheck[],
  options: BatchOptions = {},
): { scalars: Scalar[]; points: Point[] } {
  const weight = options.randomWeight ?? randomBatchWeight;
  const merged = new Map<Point, Scalar>();
  for (const check of checks) {
    if (check.scalars.length !== check.points.length) {
      throw new WeftError('INVALID_ARGUMENT', 'linear check with mismatched scalars and points');
    }
    const w = weight();
    if (w <= 0n || w >= CURVE_ORDER) throw new WeftError('INVALID_ARGUMENT', 'batch weight out of range');
    for (let j = 0; j < check.points.length; j++) {
      const p = check.points[j] as Point;
      const s = check.scalars[j] as Scalar;
      merged.set(p, modOrder((merged.get(p) ?? 0n) + w * s));
    }
  }
  const scalars: Scalar[] = [];
  const points: Point[] = [];
  for (const [p, s] of merged) {
    if (s === 0n) continue;
    scalars.push(s);
    points.push(p);
  }
  return { scalars, points };
}

/** True iff every check holds (with probability ≥ 1 − 2^-128 over the weights). */
export function batchVerifyChecks(checks: readonly LinearCheck[], options: BatchOptions = {}): boolean {
  try {
    const { scalars, points } = combineChecks(checks, options);
    return multiScalarMul(scalars, points).is0();
  } catch {
    return false;
  }
}

/**
 * Verifies all statements at once: one MSM for every batchable proof, plus individual verification
 * of either-equality proofs. Returns false if any proof is invalid or malformed.
 */
export function batchVerify(statements: readonly SigmaStatement[], options: BatchOptions = {}): boolean {
  const checks: LinearCheck[] = [];
  try {
    for (const st of statements) {
      const cs = statementChecks(st);
      if (cs === undefined) {
        if (st.kind !== 'either-equality') return false;
        if (!verifyEitherEquality(st.c1, st.c2, st.c3, st.proof, st.options)) return false;
      } else {
        checks.push(...cs);
      }
    }
  } catch {
    return false;
  }
  return checks.length === 0 || batchVerifyChecks(checks, options);
}

/**
 * After a failed batch, finds the offending statements by verifying each on its own (binary
 * splitting would save work for huge batches with few failures; proofs on chain come in blocks of
 * a few hundred, where the linear scan is simpler and its cost is only paid on attack).
 */
export function findInvalidStatements(statements: readonly SigmaStatement[]): number[] {
  const bad: number[] = [];
  statements.forEach((st, i) => {
    if (!batchVerify([st])) bad.push(i);
  });
  return bad;
}
