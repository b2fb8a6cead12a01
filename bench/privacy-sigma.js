// Cost of the privacy toolkit's sigma proofs, ElGamal proofs, DKG and threshold decryption:
// prove, verify, batch verify (per proof, one MSM for the whole batch) and encoded size.
//
//   npx tsc -b packages/crypto && node bench/privacy-sigma.js [--time-ms 500] [--batch 64]
//
// Prints a table, then as its last line one JSON object of figures (µs per operation, bytes).
import os from 'node:os';
import { batchVerify } from '../packages/crypto/dist/privacy/batch.js';
import { createDealing, verifyShare } from '../packages/crypto/dist/privacy/dkg.js';
import { createDlogTable, solveDlog } from '../packages/crypto/dist/privacy/dlog.js';
import {
  decryptToPoint,
  encrypt,
  encryptionChecks,
  encryptionProofToBytes,
  generateElGamalKeyPair,
  proveEncryption,
  proveRange,
  rangeChecks,
  rangeProofToBytes,
  verifyEncryption,
  verifyRange,
} from '../packages/crypto/dist/privacy/elgamal.js';
import { BASE_G, BASE_H, mulPublic, randomScalar } from '../packages/crypto/dist/privacy/group.js';
import { commit } from '../packages/crypto/dist/privacy/pedersen.js';
import {
  arithmeticProofToBytes,
  eitherEqualityProofToBytes,
  equalityProofToBytes,
  formatProofToBytes,
  knowledgeProofToBytes,
  proveEitherEquality,
  proveEquality,
  proveFormat,
  proveKnowledge,
  proveProduct,
  proveSum,
  verifyEitherEquality,
  verifyEquality,
  verifyFormat,
  verifyKnowledge,
  verifyProduct,
  verifySum,
} from '../packages/crypto/dist/privacy/sigma.js';
import {
  combinePartialDecryptions,
  createPartialDecryption,
  verifyPartialDecryption,
} from '../packages/crypto/dist/privacy/threshold.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TIME_MS = arg('--time-ms', 500);
const BATCH = arg('--batch', 64);

/** Mean µs per call of `fn`, run repeatedly for TIME_MS after one warm-up call. */
function timeUs(fn) {
  fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < TIME_MS || n < 3) {
    fn();
    n++;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / n;
}

const rows = [];
const figures = {};
function row(key, label, { prove, verify, batch, bytes }) {
  const r = { label, prove, verify, batch, bytes };
  rows.push(r);
  if (prove !== undefined) figures[`${key}_prove_us`] = Math.round(prove);
  if (verify !== undefined) figures[`${key}_verify_us`] = Math.round(verify);
  if (batch !== undefined) figures[`${key}_batch_verify_per_proof_us`] = Math.round(batch);
  if (bytes !== undefined) figures[`${key}_bytes`] = bytes;
}

/** Builds BATCH statements with `make` and returns µs per proof for one batchVerify of all. */
function batchPerProof(make) {
  const statements = Array.from({ length: BATCH }, make);
  if (!batchVerify(statements)) throw new Error('benchmark batch did not verify');
  return timeUs(() => batchVerify(statements)) / BATCH;
}

const opening = (v) => ({ value: v, blinding: randomScalar() });
const ctx = new TextEncoder().encode('bench');

// --- WeDPR-compatible sigma proofs -----------------------------------------------------------
{
  const o = opening(123456n);
  const c = commit(o.value, o.blinding);
  const proof = proveKnowledge(o);
  row('knowledge', 'knowledge proof', {
    prove: timeUs(() => proveKnowledge(o)),
    verify: timeUs(() => verifyKnowledge(c, proof)),
    batch: batchPerProof(() => {
      const x = opening(randomScalar());
      return { kind: 'knowledge', commitment: commit(x.value, x.blinding), proof: proveKnowledge(x) };
    }),
    bytes: knowledgeProofToBytes(proof).length,
  });
}
{
  const b2 = mulPublic(BASE_G, randomScalar());
  const options = { c2Base: b2 };
  const o = opening(99n);
  const c1 = commit(o.value, o.blinding);
  const c2 = mulPublic(b2, o.blinding);
  const proof = proveFormat(o, options);
  row('format', 'format proof', {
    prove: timeUs(() => proveFormat(o, options)),
    verify: timeUs(() => verifyFormat(c1, c2, proof, options)),
    batch: batchPerProof(() => {
      const x = opening(7n);
      return {
        kind: 'format',
        c1: commit(x.value, x.blinding),
        c2: mulPublic(b2, x.blinding),
        proof: proveFormat(x, options),
        options,
      };
    }),
    bytes: formatProofToBytes(proof).length,
  });
}
for (const kind of ['sum', 'product']) {
  const prove = kind === 'sum' ? proveSum : proveProduct;
  const verify = kind === 'sum' ? verifySum : verifyProduct;
  const make = () => {
    const o1 = opening(30n);
    const o2 = opening(10n);
    const r3 = randomScalar();
    return {
      kind,
      c1: commit(o1.value, o1.blinding),
      c2: commit(o2.value, o2.blinding),
      c3: commit(kind === 'sum' ? 40n : 300n, r3),
      proof: prove(o1, o2, r3),
      o1,
      o2,
      r3,
    };
  };
  const s = make();
  row(kind, `${kind} proof`, {
    prove: timeUs(() => prove(s.o1, s.o2, s.r3)),
    verify: timeUs(() => verify(s.c1, s.c2, s.c3, s.proof)),
    batch: batchPerProof(make),
    bytes: arithmeticProofToBytes(s.proof).length,
  });
}
{
  const make = () => {
    const x = randomScalar();
    return {
      kind: 'equality',
      c1: mulPublic(BASE_G, x),
      c2: mulPublic(BASE_H, x),
      proof: proveEquality(x),
      x,
    };
  };
  const s = make();
  row('equality', 'equality proof', {
    prove: timeUs(() => proveEquality(s.x)),
    verify: timeUs(() => verifyEquality(s.c1, s.c2, s.proof)),
    batch: batchPerProof(make),
    bytes: equalityProofToBytes(s.proof).length,
  });
}
{
  const o1 = opening(100n);
  const o2 = opening(100n);
  const r3 = randomScalar();
  const c1 = commit(o1.value, o1.blinding);
  const c2 = commit(o2.value, o2.blinding);
  const c3 = mulPublic(BASE_H, r3);
  const proof = proveEitherEquality(o1, o2, r3);
  row('either_equality', 'either-equality proof (not batchable)', {
    prove: timeUs(() => proveEitherEquality(o1, o2, r3)),
    verify: timeUs(() => verifyEitherEquality(c1, c2, c3, proof)),
    bytes: eitherEqualityProofToBytes(proof).length,
  });
}

// --- ElGamal -----------------------------------------------------------------------------------
const kp = generateElGamalKeyPair();
{
  const { ciphertext, randomness } = encrypt(kp.publicKey, 5n);
  const proof = proveEncryption(kp.publicKey, ciphertext, 5n, randomness, ctx);
  row('elgamal_encryption', 'ElGamal encrypt + proof of (m, r)', {
    prove: timeUs(() => {
      const e = encrypt(kp.publicKey, 5n);
      proveEncryption(kp.publicKey, e.ciphertext, 5n, e.randomness, ctx);
    }),
    verify: timeUs(() => verifyEncryption(kp.publicKey, ciphertext, proof, ctx)),
    batch: batchPerProof(() => {
      const e = encrypt(kp.publicKey, 3n);
      const p = proveEncryption(kp.publicKey, e.ciphertext, 3n, e.randomness, ctx);
      return { kind: 'linear', checks: encryptionChecks(kp.publicKey, e.ciphertext, p, ctx) };
    }),
    bytes: encryptionProofToBytes(proof).length,
  });
}
for (const max of [1, 4]) {
  const { ciphertext, randomness } = encrypt(kp.publicKey, 1n);
  const proof = proveRange(kp.publicKey, ciphertext, 1n, randomness, max, ctx);
  row(
    `elgamal_range_${max}`,
    max === 1 ? 'ElGamal 0/1 proof (CDS94)' : `ElGamal range proof m ∈ [0, ${max}]`,
    {
      prove: timeUs(() => proveRange(kp.publicKey, ciphertext, 1n, randomness, max, ctx)),
      verify: timeUs(() => verifyRange(kp.publicKey, ciphertext, proof, max, ctx)),
      batch: batchPerProof(() => {
        const e = encrypt(kp.publicKey, 1n);
        const p = proveRange(kp.publicKey, e.ciphertext, 1n, e.randomness, max, ctx);
        return { kind: 'linear', checks: rangeChecks(kp.publicKey, e.ciphertext, p, max, ctx) };
      }),
      bytes: rangeProofToBytes(proof).length,
    },
  );
}

// --- DKG and threshold decryption (3-of-5) -----------------------------------------------------
const params = { threshold: 3, participants: 5 };
{
  const dealing = createDealing(params, 1);
  row('dkg_dealing', 'DKG dealing (t=3, n=5) / share check', {
    prove: timeUs(() => createDealing(params, 1)),
    verify: timeUs(() => verifyShare(params, dealing.commitments, dealing.shares[2])),
  });
}
{
  const shares = [1, 2, 3].map((j) => ({ j, x: randomScalar() }));
  const keys = new Map(shares.map(({ j, x }) => [j, mulPublic(BASE_G, x)]));
  const { ciphertext } = encrypt(kp.publicKey, 7n);
  const partials = shares.map(({ j, x }) => createPartialDecryption(ciphertext, j, x, ctx));
  row('partial_decryption', 'partial decryption + DLEQ', {
    prove: timeUs(() => createPartialDecryption(ciphertext, 1, shares[0].x, ctx)),
    verify: timeUs(() => verifyPartialDecryption(ciphertext, partials[0], keys.get(1), ctx)),
    bytes: 4 + 32 + 96,
  });
  figures.threshold_combine_3_us = Math.round(
    timeUs(() => combinePartialDecryptions(ciphertext, partials, keys, 3, ctx)),
  );
}

// --- discrete log ------------------------------------------------------------------------------
{
  const t0 = performance.now();
  const table = createDlogTable({ bound: 2n ** 32n });
  figures.dlog_table_2_32_build_ms = Math.round(performance.now() - t0);
  const worst = mulPublic(BASE_G, 2n ** 32n - 1n);
  const t1 = performance.now();
  solveDlog(table, worst);
  figures.dlog_2_32_worst_case_ms = Math.round(performance.now() - t1);
  const small = decryptToPoint(kp.secretKey, encrypt(kp.publicKey, 1000n).ciphertext);
  figures.dlog_2_32_m_1000_us = Math.round(timeUs(() => solveDlog(table, small)));
}

const fmt = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const width = Math.max(...rows.map((r) => r.label.length));
console.log(
  `privacy toolkit — ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, Node ${process.version}`,
);
console.log(
  `${'operation'.padEnd(width)}  ${'prove µs'.padStart(9)}  ${'verify µs'.padStart(9)}  ` +
    `${`batch/${BATCH} µs`.padStart(12)}  ${'bytes'.padStart(6)}`,
);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(width)}  ${fmt(r.prove).padStart(9)}  ${fmt(r.verify).padStart(9)}  ` +
      `${fmt(r.batch).padStart(12)}  ${fmt(r.bytes).padStart(6)}`,
  );
}
console.log(
  `threshold combine (3 partials, verified): ${fmt(figures.threshold_combine_3_us)} µs; ` +
    `dlog table 2^32: build ${figures.dlog_table_2_32_build_ms} ms, worst lookup ${figures.dlog_2_32_worst_case_ms} ms`,
);
console.log(
  JSON.stringify({ bench: 'privacy-sigma', unit: 'µs', timeMs: TIME_MS, batch: BATCH, ...figures }),
);
