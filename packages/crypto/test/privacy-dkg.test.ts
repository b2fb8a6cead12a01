import { describe, expect, it } from 'vitest';
import {
  answerKey,
  type Complaint,
  combineShares,
  computeJointPublicKey,
  computeVerificationKey,
  createDealing,
  createFeldmanCommitments,
  type Dealing,
  type DealtShare,
  type DkgParameters,
  isValidFeldmanComplaint,
  lagrangeCoefficientAtZero,
  qualifyDealers,
  recombineSecret,
  reconstructFeldmanCommitments,
  verifyFeldmanShare,
  verifyShare,
} from '../src/privacy/dkg.js';
import { createDlogTable, solveDlog } from '../src/privacy/dlog.js';
import { encrypt, sumCiphertexts } from '../src/privacy/elgamal.js';
import {
  BASE_G,
  CURVE_ORDER,
  mulPublic,
  type Point,
  randomScalar,
  type Scalar,
} from '../src/privacy/group.js';
import {
  combinePartialDecryptions,
  createPartialDecryption,
  type PartialDecryption,
  partialDecryptionFromBytes,
  partialDecryptionToBytes,
  verifyPartialDecryption,
} from '../src/privacy/threshold.js';

const params: DkgParameters = { threshold: 3, participants: 5 };
const ctx = new TextEncoder().encode('tally/round-1');
const table = createDlogTable({ bound: 10_000n });

interface DkgOutcome {
  qualified: number[];
  publicKey: Point;
  secretShares: Map<number, Scalar>;
  verificationKeys: Map<number, Point>;
  dealings: Map<number, Dealing>;
}

/**
 * Runs GJKR for 5 parties. `corrupt` lets a test tamper with what one dealer sends:
 * - phase1Share: the share it privately sends to party `victim` (before any complaint);
 * - answer: the share it broadcasts to answer a complaint (undefined = stays silent);
 * - feldman: its phase-2 Feldman commitments.
 */
function runDkg(
  corrupt: { dealer?: number; victims?: number[]; answerHonestly?: boolean; badFeldman?: boolean } = {},
): DkgOutcome & { disqualified: number[] } {
  const dealings = new Map<number, Dealing>();
  for (let i = 1; i <= params.participants; i++) dealings.set(i, createDealing(params, i));

  // Private delivery, with the corrupt dealer sending garbage to its victims.
  const received = new Map<number, DealtShare[]>();
  for (let j = 1; j <= params.participants; j++) received.set(j, []);
  for (const [i, d] of dealings) {
    for (const s of d.shares) {
      const tampered =
        i === corrupt.dealer && (corrupt.victims ?? []).includes(s.recipient)
          ? { ...s, value: (s.value + 1n) % CURVE_ORDER }
          : s;
      received.get(s.recipient)?.push(tampered);
    }
  }

  // Phase 1: verify, complain, answer.
  const complaints: Complaint[] = [];
  for (const [j, shares] of received) {
    for (const s of shares) {
      const commitments = dealings.get(s.dealer)?.commitments ?? [];
      if (!verifyShare(params, commitments, s)) complaints.push({ complainer: j, dealer: s.dealer });
    }
  }
  const answers = new Map<string, DealtShare>();
  for (const c of complaints) {
    const honest = dealings.get(c.dealer)?.shares.find((s) => s.recipient === c.complainer);
    if (honest === undefined) continue;
    if (c.dealer === corrupt.dealer && corrupt.answerHonestly === false) continue; // silent
    answers.set(answerKey(c.dealer, c.complainer), honest);
  }
  const commitments = new Map([...dealings].map(([i, d]) => [i, d.commitments] as const));
  const q = qualifyDealers(params, { commitments, complaints, answers });

  // Complainers adopt the publicly answered shares.
  for (const s of q.publicShares) {
    const list = received.get(s.recipient) ?? [];
    received.set(s.recipient, [...list.filter((x) => x.dealer !== s.dealer), s]);
  }

  // Phase 2: Feldman commitments, with optional lying dealer, and public reconstruction.
  const feldman = new Map<number, Point[]>();
  for (const i of q.qualified) {
    const d = dealings.get(i) as Dealing;
    let a = createFeldmanCommitments(d.secret);
    if (corrupt.badFeldman === true && i === corrupt.dealer) a = [a[0]?.add(BASE_G) as Point, ...a.slice(1)];
    feldman.set(i, a);
  }
  for (const i of q.qualified) {
    const a = feldman.get(i) as Point[];
    const pedersen = dealings.get(i)?.commitments ?? [];
    const exposing = [...received.values()]
      .map((list) => list.find((s) => s.dealer === i) as DealtShare)
      .filter((s) => !verifyFeldmanShare(params, a, s));
    if (exposing.length > 0) {
      expect(exposing.every((s) => isValidFeldmanComplaint(params, pedersen, a, s))).toBe(true);
      // Everyone reveals their share of dealer i; its true Feldman commitments are recomputed.
      const revealed = [...received.values()].map((list) => list.find((s) => s.dealer === i) as DealtShare);
      feldman.set(i, reconstructFeldmanCommitments(params, pedersen, revealed));
    }
  }

  const publicKey = computeJointPublicKey(feldman);
  const secretShares = new Map<number, Scalar>();
  const verificationKeys = new Map<number, Point>();
  for (let j = 1; j <= params.participants; j++) {
    secretShares.set(j, combineShares(j, received.get(j) ?? [], q.qualified));
    verificationKeys.set(j, computeVerificationKey(j, feldman));
  }
  return {
    qualified: q.qualified,
    disqualified: q.disqualified.map((d) => d.dealer),
    publicKey,
    secretShares,
    verificationKeys,
    dealings,
  };
}

function jointSecret(outcome: DkgOutcome): Scalar {
  let x = 0n;
  for (const i of outcome.qualified)
    x = (x + (outcome.dealings.get(i)?.secret.coefficients[0] ?? 0n)) % CURVE_ORDER;
  return x;
}

function expectConsistent(outcome: DkgOutcome): void {
  const x = jointSecret(outcome);
  expect(mulPublic(BASE_G, x).equals(outcome.publicKey)).toBe(true);
  for (const [j, xj] of outcome.secretShares) {
    expect(mulPublic(BASE_G, xj).equals(outcome.verificationKeys.get(j) as Point)).toBe(true);
  }
  // Any t shares recombine to the joint secret.
  for (const subset of [
    [1, 2, 3],
    [2, 4, 5],
    [1, 3, 5],
  ]) {
    const shares = subset.map((index) => ({ index, value: outcome.secretShares.get(index) as Scalar }));
    expect(recombineSecret(shares)).toBe(x);
  }
  // t − 1 shares do not (with overwhelming probability).
  const two = [1, 2].map((index) => ({ index, value: outcome.secretShares.get(index) as Scalar }));
  expect(recombineSecret(two)).not.toBe(x);
}

describe('GJKR distributed key generation', () => {
  it('with all dealers honest: QUAL is everyone and keys are consistent', () => {
    const outcome = runDkg();
    expect(outcome.qualified).toEqual([1, 2, 3, 4, 5]);
    expectConsistent(outcome);
  });

  it('a dealer who sends a bad share but answers the complaint correctly stays qualified', () => {
    const outcome = runDkg({ dealer: 2, victims: [4], answerHonestly: true });
    expect(outcome.qualified).toEqual([1, 2, 3, 4, 5]);
    expectConsistent(outcome);
  });

  it('a dealer who does not answer a complaint is disqualified; the key is built without it', () => {
    const outcome = runDkg({ dealer: 3, victims: [1], answerHonestly: false });
    expect(outcome.qualified).toEqual([1, 2, 4, 5]);
    expect(outcome.disqualified).toEqual([3]);
    expectConsistent(outcome);
  });

  it('a dealer with more than t − 1 complaints is disqualified even if it answers', () => {
    const outcome = runDkg({ dealer: 5, victims: [1, 2, 3], answerHonestly: true });
    expect(outcome.disqualified).toEqual([5]);
    expectConsistent(outcome);
  });

  it('a dealer who lies in phase 2 is exposed and its contribution reconstructed publicly', () => {
    const outcome = runDkg({ dealer: 1, badFeldman: true });
    expect(outcome.qualified).toEqual([1, 2, 3, 4, 5]);
    expectConsistent(outcome);
  });

  it('a dealer that answers with a share that still fails eq. (4) is disqualified', () => {
    const d = createDealing(params, 1);
    const commitments = new Map<number, Point[]>();
    for (let i = 1; i <= 5; i++) commitments.set(i, [...createDealing(params, i).commitments]);
    commitments.set(1, [...d.commitments]);
    const bogus = { ...(d.shares[1] as DealtShare), blinding: 5n };
    const q = qualifyDealers(params, {
      commitments,
      complaints: [{ complainer: 2, dealer: 1 }],
      answers: new Map([[answerKey(1, 2), bogus]]),
    });
    expect(q.qualified).toEqual([2, 3, 4, 5]);
    const missing = qualifyDealers(params, {
      commitments: new Map([...commitments].filter(([i]) => i !== 4)),
      complaints: [],
      answers: new Map(),
    });
    expect(missing.disqualified.map((x) => x.dealer)).toEqual([4]);
  });

  it('rejects malformed parameters and shares', () => {
    expect(() => createDealing({ threshold: 0, participants: 3 }, 1)).toThrow();
    expect(() => createDealing({ threshold: 4, participants: 3 }, 1)).toThrow();
    expect(() => createDealing(params, 6)).toThrow();
    const d = createDealing(params, 1);
    const s = d.shares[0] as DealtShare;
    expect(verifyShare(params, d.commitments, s)).toBe(true);
    expect(verifyShare(params, d.commitments.slice(1), s)).toBe(false);
    expect(verifyShare(params, d.commitments, { ...s, recipient: 2 })).toBe(false);
    expect(verifyShare(params, d.commitments, { ...s, recipient: 0 })).toBe(false);
  });

  it('Lagrange coefficients at 0 interpolate constants and lines', () => {
    const idx = [2, 5, 7];
    let sum = 0n;
    for (const i of idx) sum += lagrangeCoefficientAtZero(i, idx);
    expect(sum % CURVE_ORDER).toBe(1n);
    // f(z) = 9 + 4z: Σ λ_i f(i) = f(0) = 9.
    let f0 = 0n;
    for (const i of idx) f0 += lagrangeCoefficientAtZero(i, idx) * (9n + 4n * BigInt(i));
    expect(f0 % CURVE_ORDER).toBe(9n);
  });
});

describe('threshold decryption', () => {
  const outcome = runDkg({ dealer: 3, victims: [1], answerHonestly: false });
  const ballots = [1n, 0n, 1n, 1n, 0n, 1n].map((v) => encrypt(outcome.publicKey, v).ciphertext);
  const tally = sumCiphertexts(ballots);
  const partials = new Map<number, PartialDecryption>();
  for (const [j, xj] of outcome.secretShares) partials.set(j, createPartialDecryption(tally, j, xj, ctx));

  it('each partial verifies against its trustee key only', () => {
    for (const [j, p] of partials) {
      expect(verifyPartialDecryption(tally, p, outcome.verificationKeys.get(j) as Point, ctx)).toBe(true);
      const otherKey = outcome.verificationKeys.get((j % 5) + 1) as Point;
      expect(verifyPartialDecryption(tally, p, otherKey, ctx)).toBe(false);
      expect(
        verifyPartialDecryption(tally, p, outcome.verificationKeys.get(j) as Point, new Uint8Array()),
      ).toBe(false);
      expect(
        verifyPartialDecryption(ballots[0] as never, p, outcome.verificationKeys.get(j) as Point, ctx),
      ).toBe(false);
      // Claiming another trustee's index breaks the proof (the index is in the transcript).
      expect(verifyPartialDecryption(tally, { ...p, index: (j % 5) + 1 }, otherKey, ctx)).toBe(false);
    }
  });

  it('any t valid partials decrypt the tally', () => {
    for (const subset of [
      [1, 2, 3],
      [3, 4, 5],
      [5, 1, 4],
      [1, 2, 3, 4, 5],
    ]) {
      const r = combinePartialDecryptions(
        tally,
        subset.map((j) => partials.get(j) as PartialDecryption),
        outcome.verificationKeys,
        params.threshold,
        ctx,
      );
      expect(r.used.length).toBe(params.threshold);
      expect(solveDlog(table, r.plaintextPoint)).toBe(4n);
    }
  });

  it('rejects bad partials and still decrypts with enough good ones', () => {
    const lying = {
      ...(partials.get(2) as PartialDecryption),
      share: (partials.get(2) as PartialDecryption).share.add(BASE_G),
    };
    const forgedProof = createPartialDecryption(tally, 4, randomScalar(), ctx);
    const r = combinePartialDecryptions(
      tally,
      [
        lying,
        forgedProof,
        partials.get(1),
        partials.get(1),
        partials.get(3),
        partials.get(5),
      ] as PartialDecryption[],
      outcome.verificationKeys,
      params.threshold,
      ctx,
    );
    expect(r.rejected).toEqual([2, 4, 1]);
    expect(r.used).toEqual([1, 3, 5]);
    expect(solveDlog(table, r.plaintextPoint)).toBe(4n);
  });

  it('fails with DECRYPTION_FAILED when fewer than t valid partials remain', () => {
    let code: unknown;
    try {
      combinePartialDecryptions(
        tally,
        [partials.get(1), partials.get(2)] as PartialDecryption[],
        outcome.verificationKeys,
        params.threshold,
        ctx,
      );
    } catch (e: unknown) {
      code = (e as { code?: unknown }).code;
    }
    expect(code).toBe('DECRYPTION_FAILED');
  });

  it('round-trips partial decryptions through bytes', () => {
    const p = partials.get(5) as PartialDecryption;
    const bytes = partialDecryptionToBytes(p);
    const back = partialDecryptionFromBytes(bytes);
    expect(back.index).toBe(5);
    expect(verifyPartialDecryption(tally, back, outcome.verificationKeys.get(5) as Point, ctx)).toBe(true);
    for (let i = 0; i < bytes.length; i += 4) {
      const bad = bytes.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      let ok = false;
      try {
        ok = verifyPartialDecryption(
          tally,
          partialDecryptionFromBytes(bad),
          outcome.verificationKeys.get(5) as Point,
          ctx,
        );
      } catch {
        ok = false;
      }
      expect(ok, `byte ${i}`).toBe(false);
    }
  });
});
