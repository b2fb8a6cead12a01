/**
 * t-of-n distributed key generation for ElGamal (threshold decryption, threshold.ts), following
 * Gennaro–Jarecki–Krawczyk–Rabin, "Secure Distributed Key Generation for Discrete-Log Based
 * Cryptosystems", J. Cryptology 20(1), 2007 (GJKR), Fig. 2 ("DKG"):
 *
 *  Phase 1 — Pedersen VSS (Pedersen, CRYPTO '91): every dealer i picks f_i(z) = Σ a_ik z^k and a
 *    blinding polynomial f'_i(z) = Σ b_ik z^k of degree t−1, broadcasts C_ik = a_ik·G + b_ik·H and
 *    sends party j the pair (s_ij, s'_ij) = (f_i(j), f'_i(j)) privately. Party j checks
 *        s_ij·G + s'_ij·H = Σ_k j^k·C_ik                                   (GJKR step 1(b), eq. 4)
 *    and broadcasts a complaint against i if it fails. Dealer i answers each complaint by
 *    broadcasting the disputed share; i is disqualified if it does not answer, if an answer still
 *    fails eq. 4, or if more than t−1 parties complained (step 1(c)). The rest form QUAL.
 *  Phase 2 — Feldman extraction (Feldman, FOCS '87): each i ∈ QUAL broadcasts A_ik = a_ik·G. Party j
 *    checks s_ij·G = Σ_k j^k·A_ik (step 4(b), eq. 5). On failure j publishes (s_ij, s'_ij); since that
 *    pair satisfies eq. 4 but not eq. 5, everybody can see dealer i lied. Then f_i is reconstructed
 *    in public from t shares that satisfy eq. 4 (step 4(c)) and A_ik = a_ik·G recomputed.
 *  Result: joint public key Y = Σ_{i∈QUAL} A_i0; party j's secret share x_j = Σ_{i∈QUAL} s_ij; its
 *    public verification key Y_j = x_j·G = Σ_{i∈QUAL} Σ_k j^k·A_ik, computable by anybody.
 *
 * Why two phases instead of plain Joint-Feldman (Pedersen '91 DKG): publishing A_ik in phase 1 lets
 * a rushing dealer see the others' A_i0 before deciding whom to make complain, biasing Y (GJKR §3).
 * Pedersen commitments are perfectly hiding, so in GJKR nothing about the secrets is public until
 * QUAL is fixed.
 *
 * Security: the joint secret x = Σ_{i∈QUAL} f_i(0) stays hidden while at most t−1 parties are
 * corrupt, and any t honest parties can decrypt; needs n ≥ 2t − 1 for robustness (GJKR Thm. 2).
 * This module is the pure computation: transport, private channels (encrypt each share to its
 * recipient) and timeouts belong to the caller. Parties are numbered 1..n (the share of party j is
 * the polynomial evaluated at j; 0 is the secret and never a party index).
 */
import { WeftError } from '../errors.js';
import {
  assertPoint,
  assertScalar,
  BASE_G,
  BASE_H,
  IDENTITY,
  modOrder,
  multiScalarMul,
  type Point,
  randomScalar,
  type Scalar,
  scalarInvert,
} from './group.js';
import { mulByG, mulByH } from './pedersen.js';

export interface DkgParameters {
  /** t: the number of parties needed to decrypt; polynomials have degree t − 1. */
  readonly threshold: number;
  /** n: parties are 1..n. */
  readonly participants: number;
}

export function assertDkgParameters(p: DkgParameters): void {
  const { threshold: t, participants: n } = p;
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(n) || t < 1 || n < t || n > 10_000) {
    throw new WeftError('INVALID_ARGUMENT', 'DKG needs integers 1 ≤ t ≤ n ≤ 10000');
  }
}

function assertIndex(p: DkgParameters, index: number, what: string): void {
  if (!Number.isSafeInteger(index) || index < 1 || index > p.participants) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must be a party index in [1, ${p.participants}]`);
  }
}

/** The dealer's private state: its two polynomials. Never leaves the dealer. */
export interface DealerSecret {
  readonly dealer: number;
  readonly coefficients: readonly Scalar[];
  readonly blindingCoefficients: readonly Scalar[];
}

/** A share dealt by `dealer` to `recipient`: (f(j), f'(j)). Sent over a private channel. */
export interface DealtShare {
  readonly dealer: number;
  readonly recipient: number;
  readonly value: Scalar;
  readonly blinding: Scalar;
}

export interface Dealing {
  readonly secret: DealerSecret;
  /** Phase-1 broadcast: Pedersen commitments C_k = a_k·G + b_k·H, k = 0..t−1. */
  readonly commitments: readonly Point[];
  /** Private messages, one per party 1..n (the dealer keeps its own). */
  readonly shares: readonly DealtShare[];
}

/** Horner evaluation of Σ c_k x^k mod ℓ. */
function evaluatePolynomial(coefficients: readonly Scalar[], x: bigint): Scalar {
  let acc = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = modOrder(acc * x + (coefficients[k] as Scalar));
  return acc;
}

/** Phase 1 for dealer `dealer`: fresh polynomials, their Pedersen commitments and all n shares. */
export function createDealing(params: DkgParameters, dealer: number): Dealing {
  assertDkgParameters(params);
  assertIndex(params, dealer, 'dealer');
  const coefficients = Array.from({ length: params.threshold }, () => randomScalar());
  const blindingCoefficients = Array.from({ length: params.threshold }, () => randomScalar());
  const commitments = coefficients.map((a, k) => mulByG(a).add(mulByH(blindingCoefficients[k] as Scalar)));
  const shares: DealtShare[] = [];
  for (let j = 1; j <= params.participants; j++) {
    shares.push({
      dealer,
      recipient: j,
      value: evaluatePolynomial(coefficients, BigInt(j)),
      blinding: evaluatePolynomial(blindingCoefficients, BigInt(j)),
    });
  }
  return { secret: { dealer, coefficients, blindingCoefficients }, commitments, shares };
}

/** Σ_k j^k · commitments[k], the public evaluation of a committed polynomial at j. */
export function evaluateCommitments(commitments: readonly Point[], index: number): Point {
  const scalars: Scalar[] = [];
  let power = 1n;
  for (let k = 0; k < commitments.length; k++) {
    scalars.push(power);
    power = modOrder(power * BigInt(index));
  }
  return multiScalarMul(scalars, commitments);
}

function assertCommitments(params: DkgParameters, commitments: readonly Point[], what: string): void {
  if (!Array.isArray(commitments) || commitments.length !== params.threshold) {
    throw new WeftError('INVALID_MESSAGE', `${what} must hold exactly t = ${params.threshold} points`, {
      penalise: true,
    });
  }
  for (const c of commitments) assertPoint(c, what);
}

/** GJKR eq. (4): s·G + s'·H = Σ_k j^k·C_k. False (never throws) on malformed input. */
export function verifyShare(
  params: DkgParameters,
  commitments: readonly Point[],
  share: DealtShare,
): boolean {
  try {
    assertDkgParameters(params);
    assertCommitments(params, commitments, 'Pedersen commitments');
    assertIndex(params, share.recipient, 'recipient');
    assertScalar(share.value);
    assertScalar(share.blinding);
    const lhs = multiScalarMul([share.value, share.blinding], [BASE_G, BASE_H]);
    return lhs.equals(evaluateCommitments(commitments, share.recipient));
  } catch {
    return false;
  }
}

/** Party `complainer` accuses `dealer` of sending a share that fails eq. (4) (or none at all). */
export interface Complaint {
  readonly complainer: number;
  readonly dealer: number;
}

export interface ComplaintRound {
  /** Each dealer's phase-1 commitments, by dealer index; a dealer with none is disqualified. */
  readonly commitments: ReadonlyMap<number, readonly Point[]>;
  readonly complaints: readonly Complaint[];
  /** Shares the accused dealers broadcast in answer, keyed "dealer:complainer". */
  readonly answers: ReadonlyMap<string, DealtShare>;
}

export function answerKey(dealer: number, complainer: number): string {
  return `${dealer}:${complainer}`;
}

export interface QualificationResult {
  /** QUAL, ascending. */
  readonly qualified: number[];
  /** Disqualified dealers with the reason, for the audit log. */
  readonly disqualified: { dealer: number; reason: string }[];
  /** Shares made public by answered complaints (the complainer uses them instead). */
  readonly publicShares: DealtShare[];
}

/**
 * GJKR step 1(c)-(d): decides QUAL from the complaints and the dealers' answers.
 * A dealer is disqualified when it sent malformed commitments, when more than t − 1 parties complain
 * (more than t − 1 complaints mean some honest party was cheated: at most t − 1 parties are
 * corrupt), or when any complaint is left unanswered or answered with a share failing eq. (4).
 */
export function qualifyDealers(params: DkgParameters, round: ComplaintRound): QualificationResult {
  assertDkgParameters(params);
  const disqualified: { dealer: number; reason: string }[] = [];
  const publicShares: DealtShare[] = [];
  const qualified: number[] = [];
  for (let dealer = 1; dealer <= params.participants; dealer++) {
    const commitments = round.commitments.get(dealer);
    if (commitments === undefined) {
      disqualified.push({ dealer, reason: 'no commitments' });
      continue;
    }
    try {
      assertCommitments(params, commitments, 'Pedersen commitments');
    } catch {
      disqualified.push({ dealer, reason: 'malformed commitments' });
      continue;
    }
    const against = new Set(
      round.complaints
        .filter((c) => c.dealer === dealer && c.complainer !== dealer && c.complainer >= 1)
        .filter((c) => c.complainer <= params.participants)
        .map((c) => c.complainer),
    );
    if (against.size > params.threshold - 1) {
      disqualified.push({ dealer, reason: `${against.size} complaints (more than t − 1)` });
      continue;
    }
    let ok = true;
    for (const complainer of against) {
      const answer = round.answers.get(answerKey(dealer, complainer));
      if (
        answer === undefined ||
        answer.dealer !== dealer ||
        answer.recipient !== complainer ||
        !verifyShare(params, commitments, answer)
      ) {
        disqualified.push({
          dealer,
          reason: `complaint by party ${complainer} not answered with a valid share`,
        });
        ok = false;
        break;
      }
      publicShares.push(answer);
    }
    if (ok) qualified.push(dealer);
  }
  return { qualified, disqualified, publicShares };
}

/** Phase 2 broadcast of a qualified dealer: Feldman commitments A_k = a_k·G. */
export function createFeldmanCommitments(secret: DealerSecret): Point[] {
  return secret.coefficients.map((a) => mulByG(a));
}

/** GJKR eq. (5): s·G = Σ_k j^k·A_k. False on malformed input. */
export function verifyFeldmanShare(
  params: DkgParameters,
  feldman: readonly Point[],
  share: DealtShare,
): boolean {
  try {
    assertCommitments(params, feldman, 'Feldman commitments');
    assertIndex(params, share.recipient, 'recipient');
    assertScalar(share.value);
    return mulByG(share.value).equals(evaluateCommitments(feldman, share.recipient));
  } catch {
    return false;
  }
}

/**
 * GJKR step 4(c): a phase-2 complaint is valid (the dealer lied in phase 2) iff the published share
 * satisfies the dealer's Pedersen commitments (eq. 4) but not its Feldman commitments (eq. 5).
 */
export function isValidFeldmanComplaint(
  params: DkgParameters,
  pedersen: readonly Point[],
  feldman: readonly Point[],
  revealed: DealtShare,
): boolean {
  return verifyShare(params, pedersen, revealed) && !verifyFeldmanShare(params, feldman, revealed);
}

/** λ_j for interpolation at 0 over the index set: Π_{k≠j} k / (k − j) mod ℓ. */
export function lagrangeCoefficientAtZero(index: number, indices: readonly number[]): Scalar {
  let num = 1n;
  let den = 1n;
  const j = BigInt(index);
  for (const other of indices) {
    if (other === index) continue;
    const k = BigInt(other);
    num = modOrder(num * k);
    den = modOrder(den * (k - j));
  }
  return modOrder(num * scalarInvert(den));
}

export function assertDistinctIndices(params: DkgParameters, indices: readonly number[]): void {
  const seen = new Set<number>();
  for (const i of indices) {
    assertIndex(params, i, 'share index');
    if (seen.has(i)) throw new WeftError('INVALID_ARGUMENT', `share index ${i} appears twice`);
    seen.add(i);
  }
}

/**
 * Recovers a misbehaving qualified dealer's polynomial f_i from t public shares that satisfy its
 * Pedersen commitments (GJKR step 4(c)), and returns its true Feldman commitments a_k·G. Shares that
 * fail eq. (4) are ignored; throws DECRYPTION_FAILED if fewer than t good shares remain.
 */
export function reconstructFeldmanCommitments(
  params: DkgParameters,
  pedersen: readonly Point[],
  shares: readonly DealtShare[],
): Point[] {
  assertDkgParameters(params);
  const good = new Map<number, DealtShare>();
  for (const s of shares) {
    if (!good.has(s.recipient) && verifyShare(params, pedersen, s)) good.set(s.recipient, s);
  }
  if (good.size < params.threshold) {
    throw new WeftError(
      'DECRYPTION_FAILED',
      `need ${params.threshold} valid shares to reconstruct, have ${good.size}`,
    );
  }
  const chosen = [...good.values()].slice(0, params.threshold);
  const xs = chosen.map((s) => BigInt(s.recipient));
  // Lagrange basis polynomials in coefficient form: f(z) = Σ_j y_j · Π_{m≠j} (z − x_m)/(x_j − x_m).
  const coefficients = new Array<Scalar>(params.threshold).fill(0n);
  for (let j = 0; j < chosen.length; j++) {
    let basis: Scalar[] = [1n];
    let den = 1n;
    for (let m = 0; m < chosen.length; m++) {
      if (m === j) continue;
      const xm = xs[m] as bigint;
      const next = new Array<Scalar>(basis.length + 1).fill(0n);
      for (let k = 0; k < basis.length; k++) {
        next[k + 1] = modOrder((next[k + 1] as Scalar) + (basis[k] as Scalar));
        next[k] = modOrder((next[k] as Scalar) - xm * (basis[k] as Scalar));
      }
      basis = next;
      den = modOrder(den * ((xs[j] as bigint) - xm));
    }
    const factor = modOrder((chosen[j] as DealtShare).value * scalarInvert(den));
    for (let k = 0; k < basis.length; k++) {
      coefficients[k] = modOrder((coefficients[k] as Scalar) + factor * (basis[k] as Scalar));
    }
  }
  return coefficients.map((a) => mulByG(a));
}

/** Y = Σ_{i∈QUAL} A_i0. */
export function computeJointPublicKey(feldmanByDealer: ReadonlyMap<number, readonly Point[]>): Point {
  let y = IDENTITY;
  for (const commitments of feldmanByDealer.values()) {
    const a0 = commitments[0];
    if (a0 === undefined) throw new WeftError('INVALID_ARGUMENT', 'empty Feldman commitments');
    y = y.add(a0);
  }
  if (y.is0()) throw new WeftError('INVALID_KEY', 'joint public key is the identity');
  return y;
}

/** x_j = Σ_{i∈QUAL} s_ij: party j's share of the joint secret. */
export function combineShares(
  recipient: number,
  shares: readonly DealtShare[],
  qualified: readonly number[],
): Scalar {
  const q = new Set(qualified);
  const used = new Set<number>();
  let x = 0n;
  for (const s of shares) {
    if (s.recipient !== recipient) throw new WeftError('INVALID_ARGUMENT', 'share for another party');
    if (!q.has(s.dealer) || used.has(s.dealer)) continue;
    used.add(s.dealer);
    x = modOrder(x + s.value);
  }
  if (used.size !== q.size)
    throw new WeftError('INVALID_ARGUMENT', 'missing a share from a qualified dealer');
  return x;
}

/** Y_j = Σ_{i∈QUAL} Σ_k j^k·A_ik = x_j·G, party j's public verification key. */
export function computeVerificationKey(
  index: number,
  feldmanByDealer: ReadonlyMap<number, readonly Point[]>,
): Point {
  let y = IDENTITY;
  for (const commitments of feldmanByDealer.values()) y = y.add(evaluateCommitments(commitments, index));
  return y;
}

/** Recombines the joint secret from t shares (tests and key escrow only: defeats the threshold). */
export function recombineSecret(shares: readonly { index: number; value: Scalar }[]): Scalar {
  const indices = shares.map((s) => s.index);
  if (new Set(indices).size !== indices.length)
    throw new WeftError('INVALID_ARGUMENT', 'duplicate share index');
  let x = 0n;
  for (const s of shares) x = modOrder(x + s.value * lagrangeCoefficientAtZero(s.index, indices));
  return x;
}
