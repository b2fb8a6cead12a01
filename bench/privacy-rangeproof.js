// Cost of aggregated Bulletproofs (n = 64 bits, m = 1…16 values) and CLSAG ring signatures
// (rings of 11 and 16, plain and RingCT), plus the WebAssembly curve kernel they run on, against
// noble's BigInt arithmetic (the peer) for the same 147-term multi-scalar multiplication that one
// 64-bit range proof verification needs.
//
//   npx tsc -b packages/crypto && node bench/privacy-rangeproof.js [--time-ms 1500] [--batch 8]
//
// Each figure is the MEDIAN of repeated runs for --time-ms after a warm-up (the machine is shared,
// so medians move less than means). Prints a table, then as its last line one JSON object of
// figures (ms per operation, bytes).
import os from 'node:os';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { ristretto255 } from '@noble/curves/ed25519.js';
import {
  batchVerifyRange,
  proveRange,
  rangeProofLength,
  verifyRange,
} from '../packages/crypto/dist/privacy/bulletproofs.js';
import { BASE_G, BASE_H, CURVE_ORDER, randomScalar } from '../packages/crypto/dist/privacy/group.js';
import { withPointArena } from '../packages/crypto/dist/privacy/msm.js';
import {
  ringPublicKey,
  ringSignatureLength,
  signRing,
  verifyRing,
} from '../packages/crypto/dist/privacy/ring.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TIME_MS = arg('--time-ms', 1500);
const BATCH = arg('--batch', 8);

/** Median ms per call of `fn` over repeated runs for TIME_MS (at least 3 runs) after a warm-up. */
function timeMs(fn) {
  fn();
  const samples = [];
  const end = performance.now() + TIME_MS;
  while (samples.length < 3 || performance.now() < end) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const figures = {};
const rows = [];
const round2 = (x) => Math.round(x * 100) / 100;

// --- range proofs ---------------------------------------------------------------------------
const context = new TextEncoder().encode('bench');
for (const m of [1, 2, 4, 8, 16]) {
  const values = Array.from({ length: m }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n) % 2n ** 64n);
  const blindings = values.map(() => randomScalar());
  let result = proveRange(values, blindings, 64, { context });
  const prove = timeMs(() => {
    result = proveRange(values, blindings, 64, { context });
  });
  const verify = timeMs(() => {
    if (!verifyRange(result.proof, result.commitments, 64, { context }))
      throw new Error('range proof rejected');
  });
  const items = Array.from({ length: BATCH }, () => {
    const r = proveRange(values, blindings, 64, { context });
    return { proof: r.proof, commitments: r.commitments, bits: 64, context };
  });
  const batch = timeMs(() => {
    if (!batchVerifyRange(items)) throw new Error('batch rejected');
  });
  const bytes = rangeProofLength(64, m);
  rows.push({ label: `range proof n=64 m=${m}`, prove, verify, batch: batch / BATCH, bytes });
  figures[`range_n64_m${m}_prove_ms`] = round2(prove);
  figures[`range_n64_m${m}_verify_ms`] = round2(verify);
  figures[`range_n64_m${m}_batch${BATCH}_per_proof_ms`] = round2(batch / BATCH);
  figures[`range_n64_m${m}_bytes`] = bytes;
}

// --- ring signatures ------------------------------------------------------------------------
const message = new TextEncoder().encode('bench message');
for (const n of [11, 16]) {
  const secrets = Array.from({ length: n }, () => randomScalar());
  const ring = secrets.map(ringPublicKey);
  const pi = 3;
  let sig = signRing(message, ring, pi, secrets[pi]);
  const sign = timeMs(() => {
    sig = signRing(message, ring, pi, secrets[pi]);
  });
  const verify = timeMs(() => {
    if (!verifyRing(message, ring, sig)) throw new Error('ring signature rejected');
  });
  rows.push({ label: `CLSAG ring=${n}`, prove: sign, verify, bytes: ringSignatureLength(n, false) });
  figures[`clsag_ring${n}_sign_ms`] = round2(sign);
  figures[`clsag_ring${n}_verify_ms`] = round2(verify);
  figures[`clsag_ring${n}_bytes`] = ringSignatureLength(n, false);

  // RingCT: commitments to 100 with a pseudo-output of the same amount.
  const gammas = secrets.map(() => randomScalar());
  const commitments = gammas.map((g) => BASE_G.multiply(100n).add(BASE_H.multiply(g)).toBytes());
  const offsetGamma = randomScalar();
  const commitmentOffset = BASE_G.multiply(100n).add(BASE_H.multiply(offsetGamma)).toBytes();
  const z = (((gammas[pi] - offsetGamma) % CURVE_ORDER) + CURVE_ORDER) % CURVE_ORDER;
  const opts = { commitments, commitmentOffset };
  let sigCt = signRing(message, ring, pi, secrets[pi], { ...opts, commitmentSecret: z });
  const signCt = timeMs(() => {
    sigCt = signRing(message, ring, pi, secrets[pi], { ...opts, commitmentSecret: z });
  });
  const verifyCt = timeMs(() => {
    if (!verifyRing(message, ring, sigCt, opts)) throw new Error('RingCT signature rejected');
  });
  rows.push({
    label: `CLSAG+commit ring=${n}`,
    prove: signCt,
    verify: verifyCt,
    bytes: ringSignatureLength(n, true),
  });
  figures[`clsag_ct_ring${n}_sign_ms`] = round2(signCt);
  figures[`clsag_ct_ring${n}_verify_ms`] = round2(verifyCt);
}

// --- kernel vs noble (peer) on the verification MSM of one 64-bit proof ------------------------
{
  const N = 147;
  const scalars = Array.from({ length: N }, () => randomScalar());
  const points = Array.from({ length: N }, (_, i) =>
    ristretto255.Point.BASE.multiply(BigInt(i) * 7919n + 3n),
  );
  const encodings = points.map((p) => p.toBytes());
  const ours = timeMs(() =>
    withPointArena((a) => {
      const refs = encodings.map((e) => a.decode(e));
      a.msmPublic(scalars, refs);
    }),
  );
  const noble = timeMs(() => {
    const decoded = encodings.map((e) => ristretto255.Point.fromBytes(e));
    pippenger(ristretto255.Point, decoded, scalars);
  });
  rows.push({ label: `MSM ${N} terms + decode: wasm`, verify: ours });
  rows.push({ label: `MSM ${N} terms + decode: noble (peer)`, verify: noble });
  figures.msm147_wasm_ms = round2(ours);
  figures.msm147_noble_ms = round2(noble);
  figures.msm147_speedup_vs_noble = round2(noble / ours);
}

const fmt = (x) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const width = Math.max(...rows.map((r) => r.label.length));
console.log(
  `range proofs & ring signatures — ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, Node ${process.version}`,
);
console.log(
  `${'operation'.padEnd(width)}  ${'prove/sign ms'.padStart(13)}  ${'verify ms'.padStart(9)}  ` +
    `${`batch/${BATCH} ms/proof`.padStart(17)}  ${'bytes'.padStart(6)}`,
);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(width)}  ${fmt(r.prove).padStart(13)}  ${fmt(r.verify).padStart(9)}  ` +
      `${fmt(r.batch).padStart(17)}  ${(r.bytes === undefined ? '—' : String(r.bytes)).padStart(6)}`,
  );
}
console.log(
  'targets: 64-bit prove ≤ 100 ms, verify ≤ 15 ms; 16 aggregated verify ≤ 80 ms; ring of 11 verify ≤ 25 ms',
);
console.log(
  JSON.stringify({ bench: 'privacy-rangeproof', unit: 'ms', timeMs: TIME_MS, batch: BATCH, ...figures }),
);
