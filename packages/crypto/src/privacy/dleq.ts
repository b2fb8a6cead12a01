/**
 * Chaum–Pedersen proof of discrete-log equality (Chaum & Pedersen, "Wallet databases with observers",
 * CRYPTO '92, §3.2) with weft's domain-separated transcript: the prover knows x with
 * X = x·B1 and Y = x·B2. It proves correct decryption (B1 = G, X = public key, B2 = c2, Y = x·c2) and
 * correct partial decryption by a trustee in threshold ElGamal.
 *
 *   nonce a; A1 = a·B1; A2 = a·B2; e = challenge(label, context, B1, X, B2, Y, A1, A2); z = a + e·x
 *   verify: z·B1 = A1 + e·X and z·B2 = A2 + e·Y
 *
 * Encoding: A1 ‖ A2 ‖ z (96 bytes). Special soundness: two accepting transcripts with the same
 * (A1, A2) and different e give x = (z − z')/(e − e').
 */
import { concatBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import {
  assertPoint,
  assertScalar,
  CURVE_ORDER,
  modOrder,
  type Point,
  pointFromBytes,
  pointToBytes,
  randomScalar,
  type Scalar,
  scalarFromBytes,
  scalarToBytes,
} from './group.js';
import { mulBaseSecret } from './pedersen.js';
import type { LinearCheck } from './sigma.js';
import { challengeScalar } from './transcript.js';

export interface DleqProof {
  readonly a1: Point;
  readonly a2: Point;
  readonly z: Scalar;
}

export const DLEQ_PROOF_LENGTH = 96;

export interface DleqStatement {
  readonly base1: Point;
  readonly point1: Point;
  readonly base2: Point;
  readonly point2: Point;
}

function dleqChallenge(label: string, context: Uint8Array, st: DleqStatement, a1: Point, a2: Point): Scalar {
  return challengeScalar(label, [
    context,
    st.base1.toBytes(),
    st.point1.toBytes(),
    st.base2.toBytes(),
    st.point2.toBytes(),
    a1.toBytes(),
    a2.toBytes(),
  ]);
}

/** Proves log_{base1}(x·base1) = log_{base2}(x·base2); returns the statement points too. */
export function proveDleq(
  secret: Scalar,
  base1: Point,
  base2: Point,
  label: string,
  context: Uint8Array,
): { statement: DleqStatement; proof: DleqProof } {
  assertScalar(secret, 'secret');
  assertPoint(base1, 'base1');
  assertPoint(base2, 'base2');
  const statement = {
    base1,
    point1: mulBaseSecret(base1, secret),
    base2,
    point2: mulBaseSecret(base2, secret),
  };
  const a = randomScalar();
  const a1 = mulBaseSecret(base1, a);
  const a2 = mulBaseSecret(base2, a);
  const e = dleqChallenge(label, context, statement, a1, a2);
  return { statement, proof: { a1, a2, z: modOrder(a + e * secret) } };
}

/** z·B1 − e·X − A1 = 0 and z·B2 − e·Y − A2 = 0. */
export function dleqChecks(
  statement: DleqStatement,
  proof: DleqProof,
  label: string,
  context: Uint8Array,
): LinearCheck[] {
  for (const p of [
    statement.base1,
    statement.point1,
    statement.base2,
    statement.point2,
    proof.a1,
    proof.a2,
  ]) {
    assertPoint(p);
  }
  assertScalar(proof.z);
  const e = dleqChallenge(label, context, statement, proof.a1, proof.a2);
  const minusE = modOrder(-e);
  const minusOne = CURVE_ORDER - 1n;
  return [
    { scalars: [proof.z, minusE, minusOne], points: [statement.base1, statement.point1, proof.a1] },
    { scalars: [proof.z, minusE, minusOne], points: [statement.base2, statement.point2, proof.a2] },
  ];
}

export function dleqProofToBytes(proof: DleqProof): Uint8Array {
  return concatBytes(pointToBytes(proof.a1), pointToBytes(proof.a2), scalarToBytes(proof.z));
}

export function dleqProofFromBytes(bytes: Uint8Array): DleqProof {
  if (!(bytes instanceof Uint8Array) || bytes.length !== DLEQ_PROOF_LENGTH) {
    throw new WeftError('INVALID_PROOF', `DLEQ proof must be ${DLEQ_PROOF_LENGTH} bytes`, { penalise: true });
  }
  try {
    return {
      a1: pointFromBytes(bytes.subarray(0, 32)),
      a2: pointFromBytes(bytes.subarray(32, 64)),
      z: scalarFromBytes(bytes.subarray(64, 96)),
    };
  } catch (cause: unknown) {
    throw new WeftError('INVALID_PROOF', 'DLEQ proof contains a non-canonical point or scalar', {
      cause,
      penalise: true,
    });
  }
}
