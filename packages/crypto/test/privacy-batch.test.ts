import { describe, expect, it } from 'vitest';
import {
  batchVerify,
  batchVerifyChecks,
  findInvalidStatements,
  randomBatchWeight,
  type SigmaStatement,
} from '../src/privacy/batch.js';
import {
  encrypt,
  encryptionChecks,
  generateElGamalKeyPair,
  proveEncryption,
} from '../src/privacy/elgamal.js';
import { BASE_G, BASE_H, CURVE_ORDER, mulPublic, randomScalar, type Scalar } from '../src/privacy/group.js';
import { commit, type PedersenOpening } from '../src/privacy/pedersen.js';
import {
  type KnowledgeProof,
  proveEitherEquality,
  proveEquality,
  proveFormat,
  proveKnowledge,
  proveProduct,
  proveSum,
} from '../src/privacy/sigma.js';

const opening = (value: Scalar): PedersenOpening => ({ value, blinding: randomScalar() });
const ctx = new Uint8Array([1, 2, 3]);

function knowledgeStatement(value: Scalar): SigmaStatement & { kind: 'knowledge' } {
  const o = opening(value);
  return { kind: 'knowledge', commitment: commit(o.value, o.blinding), proof: proveKnowledge(o) };
}

function mixedBatch(): SigmaStatement[] {
  const out: SigmaStatement[] = [];
  for (let i = 0; i < 3; i++) out.push(knowledgeStatement(BigInt(i * 1000)));
  const o = opening(7n);
  const b2 = mulPublic(BASE_G, randomScalar());
  out.push({
    kind: 'format',
    c1: commit(o.value, o.blinding),
    c2: mulPublic(b2, o.blinding),
    proof: proveFormat(o, { c2Base: b2, context: ctx }),
    options: { c2Base: b2, context: ctx },
  });
  const o1 = opening(6n);
  const o2 = opening(7n);
  const r3 = randomScalar();
  const c1 = commit(o1.value, o1.blinding);
  const c2 = commit(o2.value, o2.blinding);
  out.push({ kind: 'sum', c1, c2, c3: commit(13n, r3), proof: proveSum(o1, o2, r3) });
  out.push({ kind: 'product', c1, c2, c3: commit(42n, r3), proof: proveProduct(o1, o2, r3) });
  const x = randomScalar();
  out.push({ kind: 'equality', c1: mulPublic(BASE_G, x), c2: mulPublic(BASE_H, x), proof: proveEquality(x) });
  const z = randomScalar();
  out.push({
    kind: 'either-equality',
    c1: commit(0n, o1.blinding),
    c2,
    c3: mulPublic(BASE_H, z),
    proof: proveEitherEquality({ value: 0n, blinding: o1.blinding }, o2, z),
  });
  const kp = generateElGamalKeyPair();
  const { ciphertext, randomness } = encrypt(kp.publicKey, 5n);
  const encProof = proveEncryption(kp.publicKey, ciphertext, 5n, randomness, ctx);
  out.push({ kind: 'linear', checks: encryptionChecks(kp.publicKey, ciphertext, encProof, ctx) });
  return out;
}

describe('batch verification', () => {
  const batch = mixedBatch();

  it('accepts a batch of valid proofs of every kind', () => {
    expect(batchVerify(batch)).toBe(true);
    expect(findInvalidStatements(batch)).toEqual([]);
    expect(batchVerify([])).toBe(true);
  });

  it('rejects the batch when any single proof is corrupted, and locates it', () => {
    for (let i = 0; i < batch.length; i++) {
      const bad = batch.slice();
      const st = bad[i] as SigmaStatement;
      switch (st.kind) {
        case 'linear':
          bad[i] = { kind: 'linear', checks: [{ scalars: [1n], points: [BASE_G] }, ...st.checks] };
          break;
        case 'either-equality':
          bad[i] = { ...st, proof: { ...st.proof, m1: (st.proof.m1 + 1n) % CURVE_ORDER } };
          break;
        case 'format':
          bad[i] = { ...st, proof: { ...st.proof, m2: (st.proof.m2 + 1n) % CURVE_ORDER } };
          break;
        case 'equality':
          bad[i] = { ...st, proof: { ...st.proof, m1: (st.proof.m1 + 1n) % CURVE_ORDER } };
          break;
        default:
          bad[i] = { ...st, proof: { ...st.proof, m1: (st.proof.m1 + 1n) % CURVE_ORDER } } as SigmaStatement;
      }
      expect(batchVerify(bad), `statement ${i} (${st.kind})`).toBe(false);
      expect(findInvalidStatements(bad)).toEqual([i]);
    }
  });

  it('needs independent random weights: errors that cancel pass with equal weights only', () => {
    // Two invalid knowledge proofs whose responses are shifted by +δ and −δ: each equation is off by
    // ±δ·G, so the unweighted sum vanishes. This is the attack random weights exist to stop.
    const a = knowledgeStatement(11n);
    const b = knowledgeStatement(22n);
    const delta = 12345n;
    const shift = (p: KnowledgeProof, d: bigint): KnowledgeProof => ({
      ...p,
      m1: (((p.m1 + d) % CURVE_ORDER) + CURVE_ORDER) % CURVE_ORDER,
    });
    const forged: SigmaStatement[] = [
      { ...a, proof: shift(a.proof, delta) },
      { ...b, proof: shift(b.proof, -delta) },
    ];
    expect(findInvalidStatements(forged)).toEqual([0, 1]);
    expect(batchVerify(forged, { randomWeight: () => 1n })).toBe(true);
    expect(batchVerify(forged)).toBe(false);
  });

  it('draws 128-bit weights that are non-zero and do not repeat', () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const w = randomBatchWeight();
      expect(w >= 1n && w <= 2n ** 128n).toBe(true);
      seen.add(w);
    }
    expect(seen.size).toBe(200);
    expect(batchVerifyChecks([{ scalars: [1n], points: [BASE_G] }], { randomWeight: () => 0n })).toBe(false);
  });

  it('returns false (never throws) on malformed statements', () => {
    const st = knowledgeStatement(1n);
    expect(batchVerify([{ ...st, commitment: 'x' as never }])).toBe(false);
    expect(batchVerify([{ kind: 'linear', checks: [{ scalars: [1n, 2n], points: [BASE_G] }] }])).toBe(false);
  });
});
