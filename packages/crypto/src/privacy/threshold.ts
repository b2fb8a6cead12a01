/**
 * Verifiable threshold decryption of exponential ElGamal under a DKG key (dkg.ts): any t of the n
 * trustees decrypt together, nobody alone can (Desmedt–Frankel, "Threshold cryptosystems", CRYPTO
 * '89; with Chaum–Pedersen proofs per share as in Cramer–Gennaro–Schoenmakers '97 §2.4 and Helios).
 *
 *   trustee j (secret share x_j, public verification key Y_j = x_j·G) publishes
 *       D_j = x_j·c2   and   a DLEQ proof that log_G(Y_j) = log_{c2}(D_j)
 *   anyone verifies each D_j, takes any t valid ones (index set S) and computes
 *       m·G = c1 − Σ_{j∈S} λ_j·D_j,   λ_j = Π_{k∈S, k≠j} k/(k − j)   (Lagrange at 0)
 *   then m by a bounded discrete log (dlog.ts).
 *
 * A wrong D_j (a lying or broken trustee) is rejected by its proof and simply not used, so the result
 * is correct as long as t honest trustees answer. The DLEQ transcript binds the caller's context
 * (election id, tally round) and the trustee index, so shares cannot be replayed across ciphertexts.
 */
import { concatBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import { lagrangeCoefficientAtZero } from './dkg.js';
import { type DleqProof, dleqChecks, dleqProofFromBytes, dleqProofToBytes, proveDleq } from './dleq.js';
import type { Ciphertext } from './elgamal.js';
import {
  assertPoint,
  assertScalar,
  BASE_G,
  multiScalarMul,
  type Point,
  pointFromBytes,
  pointToBytes,
  type Scalar,
} from './group.js';

export interface PartialDecryption {
  /** Trustee index j ∈ [1, n]. */
  readonly index: number;
  /** D_j = x_j·c2. */
  readonly share: Point;
  readonly proof: DleqProof;
}

const PARTIAL_LABEL = 'threshold/partial-decryption';
export const PARTIAL_DECRYPTION_LENGTH = 4 + 32 + 96;

function indexBytes(index: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, index, false);
  return b;
}

function bindContext(context: Uint8Array, index: number): Uint8Array {
  return concatBytes(indexBytes(index), context);
}

function assertTrusteeIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 1 || index > 0xffff_ffff) {
    throw new WeftError('INVALID_ARGUMENT', 'trustee index must be a positive integer');
  }
}

export function createPartialDecryption(
  ct: Ciphertext,
  index: number,
  secretShare: Scalar,
  context: Uint8Array,
): PartialDecryption {
  assertTrusteeIndex(index);
  assertScalar(secretShare, 'secret share');
  assertPoint(ct.c2, 'ciphertext c2');
  const { statement, proof } = proveDleq(
    secretShare,
    BASE_G,
    ct.c2,
    PARTIAL_LABEL,
    bindContext(context, index),
  );
  return { index, share: statement.point2, proof };
}

/** True iff D_j is x_j·c2 for the x_j behind `verificationKey` (never throws). */
export function verifyPartialDecryption(
  ct: Ciphertext,
  partial: PartialDecryption,
  verificationKey: Point,
  context: Uint8Array,
): boolean {
  try {
    assertTrusteeIndex(partial.index);
    assertPoint(ct.c1);
    assertPoint(verificationKey);
    const checks = dleqChecks(
      { base1: BASE_G, point1: verificationKey, base2: ct.c2, point2: partial.share },
      partial.proof,
      PARTIAL_LABEL,
      bindContext(context, partial.index),
    );
    return checks.every((c) => multiScalarMul(c.scalars, c.points).is0());
  } catch {
    return false;
  }
}

export interface CombinedDecryption {
  /** m·G. */
  readonly plaintextPoint: Point;
  /** Trustee indices whose shares were used (the first t valid ones, ascending input order). */
  readonly used: number[];
  /** Trustee indices whose shares were rejected (bad proof, unknown index or duplicate). */
  readonly rejected: number[];
}

/**
 * Verifies every partial decryption, drops the invalid ones and combines t valid ones.
 * Throws WeftError DECRYPTION_FAILED when fewer than t valid partials are available.
 */
export function combinePartialDecryptions(
  ct: Ciphertext,
  partials: readonly PartialDecryption[],
  verificationKeys: ReadonlyMap<number, Point>,
  threshold: number,
  context: Uint8Array,
): CombinedDecryption {
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new WeftError('INVALID_ARGUMENT', 'threshold must be a positive integer');
  }
  const valid: PartialDecryption[] = [];
  const rejected: number[] = [];
  const seen = new Set<number>();
  for (const p of partials) {
    const key = verificationKeys.get(p.index);
    if (seen.has(p.index) || key === undefined || !verifyPartialDecryption(ct, p, key, context)) {
      rejected.push(p.index);
      continue;
    }
    seen.add(p.index);
    valid.push(p);
  }
  if (valid.length < threshold) {
    throw new WeftError(
      'DECRYPTION_FAILED',
      `need ${threshold} valid partial decryptions, have ${valid.length}`,
      {
        details: { valid: valid.length, rejected },
      },
    );
  }
  const chosen = valid.slice(0, threshold);
  const indices = chosen.map((p) => p.index);
  const lambdas = indices.map((i) => lagrangeCoefficientAtZero(i, indices));
  const combined = multiScalarMul(
    lambdas,
    chosen.map((p) => p.share),
  );
  return { plaintextPoint: ct.c1.subtract(combined), used: indices, rejected };
}

export function partialDecryptionToBytes(p: PartialDecryption): Uint8Array {
  return concatBytes(indexBytes(p.index), pointToBytes(p.share), dleqProofToBytes(p.proof));
}

export function partialDecryptionFromBytes(bytes: Uint8Array): PartialDecryption {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PARTIAL_DECRYPTION_LENGTH) {
    throw new WeftError('INVALID_ENCODING', `partial decryption must be ${PARTIAL_DECRYPTION_LENGTH} bytes`, {
      penalise: true,
    });
  }
  const index = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  assertTrusteeIndex(index);
  return {
    index,
    share: pointFromBytes(bytes.subarray(4, 36)),
    proof: dleqProofFromBytes(bytes.subarray(36)),
  };
}
