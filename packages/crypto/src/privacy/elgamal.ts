/**
 * Additive ("exponential", "lifted") ElGamal on ristretto255 (ElGamal, IEEE Trans. IT 1985; lifted
 * variant as in Cramer–Gennaro–Schoenmakers, EUROCRYPT '97, §2.2):
 *
 *   key pair   x ∈ [1, ℓ−1], PK = x·G
 *   Enc(m; r)  = (c1, c2) = (m·G + r·PK, r·G)
 *   Dec        m·G = c1 − x·c2, then m by a bounded discrete log (dlog.ts)
 *
 * Homomorphic: Enc(a; r) + Enc(b; s) = Enc(a + b; r + s), so encrypted votes and balances add up
 * without decryption. IND-CPA under DDH in ristretto255; NOT IND-CCA (ciphertexts are malleable by
 * design), which is why each ciphertext that enters the chain carries a proof of knowledge of its
 * plaintext and randomness (this prevents copying and mauling someone else's ciphertext).
 *
 * Proofs here (all with weft's domain-separated transcript, transcript.ts, bound to a caller context):
 * - encryption proof: knows (m, r) with c1 = m·G + r·PK, c2 = r·G;
 * - range proof: m ∈ {0, 1, …, k} by a (k+1)-way disjunction of Chaum–Pedersen proofs (Cramer–
 *   Damgård–Schoenmakers, "Proofs of partial knowledge", CRYPTO '94; the ballot proof of CGS97 §2.3);
 *   k = 1 is the 0/1 ("bit") proof used for yes/no ballots;
 * - decryption proof: DLEQ showing m·G = c1 − x·c2 for the x behind PK (dleq.ts).
 *
 * Encodings: ciphertext c1 ‖ c2 (64 bytes); encryption proof A1 ‖ A2 ‖ z1 ‖ z2 (128 bytes); range
 * proof for {0..k}: for j = 0..k, A_j ‖ B_j ‖ z_j, then e_0 ‖ … ‖ e_{k−1} (e_k is implied), i.e.
 * 96(k+1) + 32k bytes.
 */
import { concatBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import { type DleqProof, dleqChecks, proveDleq } from './dleq.js';
import { type DlogTable, solveDlog } from './dlog.js';
import {
  assertPoint,
  assertScalar,
  BASE_G,
  CURVE_ORDER,
  IDENTITY,
  modOrder,
  mulPublic,
  mulSecret,
  multiScalarMul,
  type Point,
  pointFromBytes,
  pointToBytes,
  randomScalar,
  SCALAR_LENGTH,
  type Scalar,
  scalarFromBytes,
  scalarToBytes,
} from './group.js';
import { mulByG } from './pedersen.js';
import type { LinearCheck } from './sigma.js';
import { challengeScalar } from './transcript.js';

export interface ElGamalKeyPair {
  readonly secretKey: Scalar;
  readonly publicKey: Point;
}

export interface Ciphertext {
  /** m·G + r·PK */
  readonly c1: Point;
  /** r·G */
  readonly c2: Point;
}

export const CIPHERTEXT_LENGTH = 64;
const MINUS_ONE: Scalar = CURVE_ORDER - 1n;

export function generateElGamalKeyPair(): ElGamalKeyPair {
  const secretKey = randomScalar();
  return { secretKey, publicKey: mulByG(secretKey) };
}

/** Rejects the identity: "encrypting" to it publishes m·G in the clear. */
export function assertElGamalPublicKey(publicKey: Point): void {
  assertPoint(publicKey, 'public key');
  if (publicKey.is0()) throw new WeftError('INVALID_KEY', 'ElGamal public key is the identity');
}

/** Encrypts m under PK with fresh (or given) randomness; returns the randomness for proofs. */
export function encrypt(
  publicKey: Point,
  message: Scalar,
  randomness: Scalar = randomScalar(),
): { ciphertext: Ciphertext; randomness: Scalar } {
  assertElGamalPublicKey(publicKey);
  assertScalar(message, 'message');
  assertScalar(randomness, 'randomness');
  const c1 = mulByG(message).add(mulSecret(publicKey, randomness));
  const c2 = mulByG(randomness);
  return { ciphertext: { c1, c2 }, randomness };
}

/** The identity ciphertext Enc(0; 0), the neutral element of `addCiphertexts`. */
export const ZERO_CIPHERTEXT: Ciphertext = { c1: IDENTITY, c2: IDENTITY };

export function addCiphertexts(a: Ciphertext, b: Ciphertext): Ciphertext {
  return { c1: a.c1.add(b.c1), c2: a.c2.add(b.c2) };
}

export function subtractCiphertexts(a: Ciphertext, b: Ciphertext): Ciphertext {
  return { c1: a.c1.subtract(b.c1), c2: a.c2.subtract(b.c2) };
}

export function sumCiphertexts(list: readonly Ciphertext[]): Ciphertext {
  return list.reduce(addCiphertexts, ZERO_CIPHERTEXT);
}

/** k·Enc(m; r) = Enc(k·m; k·r) for a public factor k. */
export function scaleCiphertext(ct: Ciphertext, factor: Scalar): Ciphertext {
  return { c1: mulPublic(ct.c1, factor), c2: mulPublic(ct.c2, factor) };
}

/** Adds a public plaintext: Enc(m; r) + m'·G = Enc(m + m'; r). */
export function addPlaintext(ct: Ciphertext, plaintext: Scalar): Ciphertext {
  return { c1: ct.c1.add(mulPublic(BASE_G, plaintext)), c2: ct.c2 };
}

/** m·G = c1 − x·c2. */
export function decryptToPoint(secretKey: Scalar, ct: Ciphertext): Point {
  assertScalar(secretKey, 'secret key');
  return ct.c1.subtract(mulSecret(ct.c2, secretKey));
}

/** Full decryption of a small plaintext (m within the table's bound); throws NOT_FOUND otherwise. */
export function decrypt(secretKey: Scalar, ct: Ciphertext, table: DlogTable): bigint {
  return solveDlog(table, decryptToPoint(secretKey, ct));
}

export function ciphertextToBytes(ct: Ciphertext): Uint8Array {
  return concatBytes(pointToBytes(ct.c1), pointToBytes(ct.c2));
}

export function ciphertextFromBytes(bytes: Uint8Array): Ciphertext {
  if (!(bytes instanceof Uint8Array) || bytes.length !== CIPHERTEXT_LENGTH) {
    throw new WeftError('INVALID_ENCODING', `ciphertext must be ${CIPHERTEXT_LENGTH} bytes`, {
      penalise: true,
    });
  }
  return { c1: pointFromBytes(bytes.subarray(0, 32)), c2: pointFromBytes(bytes.subarray(32, 64)) };
}

function assertCiphertext(ct: Ciphertext): void {
  assertPoint(ct.c1, 'ciphertext c1');
  assertPoint(ct.c2, 'ciphertext c2');
}

function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

function allHold(checks: readonly LinearCheck[]): boolean {
  for (const c of checks) if (!multiScalarMul(c.scalars, c.points).is0()) return false;
  return true;
}

/** Statement bytes shared by the ElGamal proofs: context, PK, c1, c2. */
function statementParts(context: Uint8Array, publicKey: Point, ct: Ciphertext): Uint8Array[] {
  return [context, publicKey.toBytes(), ct.c1.toBytes(), ct.c2.toBytes()];
}

// ---------------------------------------------------------------------------------------------
// Proof of correct encryption: knowledge of (m, r).
// ---------------------------------------------------------------------------------------------

export interface EncryptionProof {
  readonly a1: Point;
  readonly a2: Point;
  readonly z1: Scalar;
  readonly z2: Scalar;
}

const ENCRYPTION_LABEL = 'elgamal/encryption';

export function proveEncryption(
  publicKey: Point,
  ct: Ciphertext,
  message: Scalar,
  randomness: Scalar,
  context: Uint8Array,
): EncryptionProof {
  assertElGamalPublicKey(publicKey);
  assertCiphertext(ct);
  assertScalar(message, 'message');
  assertScalar(randomness, 'randomness');
  const a = randomScalar();
  const b = randomScalar();
  const a1 = mulByG(a).add(mulSecret(publicKey, b));
  const a2 = mulByG(b);
  const e = challengeScalar(ENCRYPTION_LABEL, [
    ...statementParts(context, publicKey, ct),
    a1.toBytes(),
    a2.toBytes(),
  ]);
  return { a1, a2, z1: modOrder(a + e * message), z2: modOrder(b + e * randomness) };
}

/** z1·G + z2·PK − e·c1 − A1 = 0 and z2·G − e·c2 − A2 = 0. */
export function encryptionChecks(
  publicKey: Point,
  ct: Ciphertext,
  proof: EncryptionProof,
  context: Uint8Array,
): LinearCheck[] {
  assertElGamalPublicKey(publicKey);
  assertCiphertext(ct);
  assertPoint(proof.a1);
  assertPoint(proof.a2);
  assertScalar(proof.z1);
  assertScalar(proof.z2);
  const e = challengeScalar(ENCRYPTION_LABEL, [
    ...statementParts(context, publicKey, ct),
    proof.a1.toBytes(),
    proof.a2.toBytes(),
  ]);
  const minusE = modOrder(-e);
  return [
    { scalars: [proof.z1, proof.z2, minusE, MINUS_ONE], points: [BASE_G, publicKey, ct.c1, proof.a1] },
    { scalars: [proof.z2, minusE, MINUS_ONE], points: [BASE_G, ct.c2, proof.a2] },
  ];
}

export function verifyEncryption(
  publicKey: Point,
  ct: Ciphertext,
  proof: EncryptionProof,
  context: Uint8Array,
): boolean {
  return safely(() => allHold(encryptionChecks(publicKey, ct, proof, context)));
}

export function encryptionProofToBytes(proof: EncryptionProof): Uint8Array {
  return concatBytes(
    pointToBytes(proof.a1),
    pointToBytes(proof.a2),
    scalarToBytes(proof.z1),
    scalarToBytes(proof.z2),
  );
}

export function encryptionProofFromBytes(bytes: Uint8Array): EncryptionProof {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 128) {
    throw new WeftError('INVALID_PROOF', 'encryption proof must be 128 bytes', { penalise: true });
  }
  return decodeOrReject(() => ({
    a1: pointFromBytes(bytes.subarray(0, 32)),
    a2: pointFromBytes(bytes.subarray(32, 64)),
    z1: scalarFromBytes(bytes.subarray(64, 96)),
    z2: scalarFromBytes(bytes.subarray(96, 128)),
  }));
}

function decodeOrReject<T>(f: () => T): T {
  try {
    return f();
  } catch (cause: unknown) {
    throw new WeftError('INVALID_PROOF', 'proof contains a non-canonical point or scalar', {
      cause,
      penalise: true,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Range proof m ∈ {0..k}: (k+1)-way disjunctive Chaum–Pedersen (CDS94).
// Branch j claims (c2, c1 − j·G) = (r·G, r·PK) for some r.
// ---------------------------------------------------------------------------------------------

export interface RangeProof {
  /** Largest allowed plaintext k; the proof shows m ∈ {0, …, k}. */
  readonly max: number;
  readonly a: readonly Point[];
  readonly b: readonly Point[];
  readonly z: readonly Scalar[];
  /** Challenge shares e_0..e_k (e_k is recomputed from the transcript when decoding). */
  readonly e: readonly Scalar[];
}

/** Disjunctions grow linearly; beyond this use a Bulletproofs range proof instead. */
export const MAX_RANGE_BRANCHES = 256;
const RANGE_LABEL = 'elgamal/range';

function assertRangeMax(max: number): void {
  if (!Number.isSafeInteger(max) || max < 1 || max + 1 > MAX_RANGE_BRANCHES) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      `range bound must be an integer in [1, ${MAX_RANGE_BRANCHES - 1}]`,
    );
  }
}

function rangeChallenge(
  publicKey: Point,
  ct: Ciphertext,
  max: number,
  a: readonly Point[],
  b: readonly Point[],
  context: Uint8Array,
): Scalar {
  const maxBytes = new Uint8Array(4);
  new DataView(maxBytes.buffer).setUint32(0, max, false);
  const parts = [...statementParts(context, publicKey, ct), maxBytes];
  for (let j = 0; j <= max; j++) parts.push((a[j] as Point).toBytes(), (b[j] as Point).toBytes());
  return challengeScalar(RANGE_LABEL, parts);
}

/** 1n when j = m else 0n, from the 32-byte encodings without an early exit. */
function equalityBit(j: Scalar, m: Scalar): Scalar {
  const x = scalarToBytes(j);
  const y = scalarToBytes(m);
  let diff = 0;
  for (let i = 0; i < SCALAR_LENGTH; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return BigInt(((diff - 1) >>> 8) & 1);
}

/**
 * Proves that `ct` = Enc(m; r) with m ∈ {0..max}. Every branch runs the same operations: the real
 * branch (j = m) is selected by multiplying with a 0/1 scalar, never by an `if` on m, and all secret
 * multiplications are masked (group.ts `mulSecret`), so the code path does not reveal m.
 */
export function proveRange(
  publicKey: Point,
  ct: Ciphertext,
  message: Scalar,
  randomness: Scalar,
  max: number,
  context: Uint8Array,
): RangeProof {
  assertRangeMax(max);
  assertElGamalPublicKey(publicKey);
  assertCiphertext(ct);
  assertScalar(message, 'message');
  assertScalar(randomness, 'randomness');
  if (message > BigInt(max)) throw new WeftError('INVALID_ARGUMENT', 'message is outside the proven range');
  const n = max + 1;
  const a: Point[] = [];
  const b: Point[] = [];
  const alpha: Scalar[] = [];
  const beta: Scalar[] = [];
  const real: Scalar[] = [];
  for (let j = 0; j < n; j++) {
    const s = equalityBit(BigInt(j), message);
    // Real branch: alpha = w (fresh nonce), beta = 0. Simulated: alpha = z_j, beta = e_j (random).
    const w = randomScalar();
    const zSim = randomScalar();
    const eSim = randomScalar();
    const al = modOrder(s * w + (1n - s) * zSim);
    const be = modOrder((1n - s) * eSim);
    const shifted = ct.c1.subtract(mulPublic(BASE_G, BigInt(j)));
    a.push(mulByG(al).subtract(mulSecret(ct.c2, be)));
    b.push(mulSecret(publicKey, al).subtract(mulSecret(shifted, be)));
    alpha.push(al);
    beta.push(be);
    real.push(s);
  }
  const e = rangeChallenge(publicKey, ct, max, a, b, context);
  let simulatedSum = 0n;
  for (const be of beta) simulatedSum += be;
  const eReal = modOrder(e - simulatedSum);
  const eShares: Scalar[] = [];
  const z: Scalar[] = [];
  for (let j = 0; j < n; j++) {
    const s = real[j] as Scalar;
    const ej = modOrder((beta[j] as Scalar) + s * eReal);
    eShares.push(ej);
    z.push(modOrder((alpha[j] as Scalar) + s * eReal * randomness));
  }
  return { max, a, b, z, e: eShares };
}

/**
 * Linear checks of a range proof; the challenge-sum condition Σ e_j = e is checked here directly
 * (it is a hash comparison), the 2(k+1) group equations are returned for (batch) evaluation:
 *   z_j·G − e_j·c2 − A_j = 0,   z_j·PK − e_j·c1 + (e_j·j)·G − B_j = 0.
 * Throws INVALID_PROOF when the challenge shares do not add up.
 */
export function rangeChecks(
  publicKey: Point,
  ct: Ciphertext,
  proof: RangeProof,
  max: number,
  context: Uint8Array,
): LinearCheck[] {
  assertRangeMax(max);
  assertElGamalPublicKey(publicKey);
  assertCiphertext(ct);
  const n = max + 1;
  if (proof.max !== max || proof.a.length !== n || proof.b.length !== n || proof.z.length !== n) {
    throw new WeftError('INVALID_PROOF', 'range proof has the wrong number of branches', { penalise: true });
  }
  if (proof.e.length !== n) throw new WeftError('INVALID_PROOF', 'range proof challenge shares missing');
  for (let j = 0; j < n; j++) {
    assertPoint(proof.a[j]);
    assertPoint(proof.b[j]);
    assertScalar(proof.z[j]);
    assertScalar(proof.e[j]);
  }
  const e = rangeChallenge(publicKey, ct, max, proof.a, proof.b, context);
  let sum = 0n;
  for (const ej of proof.e) sum += ej;
  if (modOrder(sum) !== e)
    throw new WeftError('INVALID_PROOF', 'range proof challenge shares do not sum to e');
  const checks: LinearCheck[] = [];
  for (let j = 0; j < n; j++) {
    const ej = proof.e[j] as Scalar;
    const zj = proof.z[j] as Scalar;
    const minusE = modOrder(-ej);
    checks.push({ scalars: [zj, minusE, MINUS_ONE], points: [BASE_G, ct.c2, proof.a[j] as Point] });
    checks.push({
      scalars: [zj, minusE, modOrder(ej * BigInt(j)), MINUS_ONE],
      points: [publicKey, ct.c1, BASE_G, proof.b[j] as Point],
    });
  }
  return checks;
}

export function verifyRange(
  publicKey: Point,
  ct: Ciphertext,
  proof: RangeProof,
  max: number,
  context: Uint8Array,
): boolean {
  return safely(() => allHold(rangeChecks(publicKey, ct, proof, max, context)));
}

/** 0/1 proof: the ballot proof for yes/no choices. */
export function proveBinary(
  publicKey: Point,
  ct: Ciphertext,
  bit: Scalar,
  randomness: Scalar,
  context: Uint8Array,
): RangeProof {
  return proveRange(publicKey, ct, bit, randomness, 1, context);
}

export function verifyBinary(
  publicKey: Point,
  ct: Ciphertext,
  proof: RangeProof,
  context: Uint8Array,
): boolean {
  return verifyRange(publicKey, ct, proof, 1, context);
}

export function rangeProofLength(max: number): number {
  assertRangeMax(max);
  return 96 * (max + 1) + 32 * max;
}

export function rangeProofToBytes(proof: RangeProof): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let j = 0; j <= proof.max; j++) {
    parts.push(
      pointToBytes(proof.a[j] as Point),
      pointToBytes(proof.b[j] as Point),
      scalarToBytes(proof.z[j] as Scalar),
    );
  }
  for (let j = 0; j < proof.max; j++) parts.push(scalarToBytes(proof.e[j] as Scalar));
  return concatBytes(...parts);
}

/**
 * Decodes a range proof for the bound `max`; the last challenge share is recomputed as
 * e_k = e − Σ_{j<k} e_j from the statement, which is why the statement is needed here.
 */
export function rangeProofFromBytes(
  bytes: Uint8Array,
  max: number,
  publicKey: Point,
  ct: Ciphertext,
  context: Uint8Array,
): RangeProof {
  const expected = rangeProofLength(max);
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    throw new WeftError('INVALID_PROOF', `range proof for max ${max} must be ${expected} bytes`, {
      penalise: true,
    });
  }
  return decodeOrReject(() => {
    const a: Point[] = [];
    const b: Point[] = [];
    const z: Scalar[] = [];
    let off = 0;
    for (let j = 0; j <= max; j++) {
      a.push(pointFromBytes(bytes.subarray(off, off + 32)));
      b.push(pointFromBytes(bytes.subarray(off + 32, off + 64)));
      z.push(scalarFromBytes(bytes.subarray(off + 64, off + 96)));
      off += 96;
    }
    const e: Scalar[] = [];
    let sum = 0n;
    for (let j = 0; j < max; j++) {
      const ej = scalarFromBytes(bytes.subarray(off, off + 32));
      e.push(ej);
      sum += ej;
      off += 32;
    }
    e.push(modOrder(rangeChallenge(publicKey, ct, max, a, b, context) - sum));
    return { max, a, b, z, e };
  });
}

// ---------------------------------------------------------------------------------------------
// Verifiable decryption by the key holder.
// ---------------------------------------------------------------------------------------------

const DECRYPTION_LABEL = 'elgamal/decryption';

export interface DecryptionProof {
  /** x·c2, so that m·G = c1 − share. */
  readonly share: Point;
  readonly proof: DleqProof;
}

/** Decrypts to m·G and proves it: log_G(PK) = log_{c2}(c1 − m·G). */
export function proveDecryption(
  secretKey: Scalar,
  ct: Ciphertext,
  context: Uint8Array,
): { plaintextPoint: Point; proof: DecryptionProof } {
  assertCiphertext(ct);
  const { statement, proof } = proveDleq(secretKey, BASE_G, ct.c2, DECRYPTION_LABEL, context);
  return { plaintextPoint: ct.c1.subtract(statement.point2), proof: { share: statement.point2, proof } };
}

export function decryptionChecks(
  publicKey: Point,
  ct: Ciphertext,
  plaintextPoint: Point,
  proof: DecryptionProof,
  context: Uint8Array,
): LinearCheck[] {
  assertElGamalPublicKey(publicKey);
  assertCiphertext(ct);
  assertPoint(plaintextPoint);
  if (!ct.c1.subtract(proof.share).equals(plaintextPoint)) {
    throw new WeftError('INVALID_PROOF', 'decryption share does not match the claimed plaintext');
  }
  return dleqChecks(
    { base1: BASE_G, point1: publicKey, base2: ct.c2, point2: proof.share },
    proof.proof,
    DECRYPTION_LABEL,
    context,
  );
}

export function verifyDecryption(
  publicKey: Point,
  ct: Ciphertext,
  plaintextPoint: Point,
  proof: DecryptionProof,
  context: Uint8Array,
): boolean {
  return safely(() => allHold(decryptionChecks(publicKey, ct, plaintextPoint, proof, context)));
}
