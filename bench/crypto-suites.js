// Throughput of the two chain crypto suites (`ecdsa`, `sm`): hashes, sign, verify, recoverSigner,
// next to peers measured in the same run (@noble/curves secp256k1 in pure JS, sm-crypto-v2).
//
//   npx tsc -b packages/crypto && node bench/crypto-suites.js [--time-ms 1000]
//
// Prints a table, then as its last line one JSON object of figures (ops/s and ratios).
// --time-ms is the total measuring time per operation (default 1000), split into rounds.
import os from 'node:os';
import { secp256k1 as nobleSecp256k1 } from '@noble/curves/secp256k1.js';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { createEcdsaSuite, getDefaultEcdsaBackendName } from '../packages/crypto/dist/ecdsa.js';
import { keccak256, sha256, sm3 } from '../packages/crypto/dist/hash.js';
import { createSmSuite } from '../packages/crypto/dist/sm2.js';

const timeArg = process.argv.indexOf('--time-ms');
const TIME_MS = timeArg > 0 ? Number(process.argv[timeArg + 1]) : 1000;

/** Runs `fn` in batches for about `budgetMs` (after a short warm-up); returns ops/s. */
function measure(fn, budgetMs) {
  const warmUntil = performance.now() + Math.min(50, budgetMs / 4);
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < budgetMs / 20) batch *= 2;
  }
  return (ops * 1000) / elapsed;
}

// The machine is shared, so every operation is measured in ROUNDS short rounds, interleaved with
// all the others, and the best round counts: background load can only slow a round down, and
// interleaving exposes an operation and its peer to the same load.
const ROUNDS = 5;
const cases = [];
function record(key, label, fn) {
  cases.push({ key, label, fn, best: 0 });
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const random = (length) => crypto.getRandomValues(new Uint8Array(length));

// --- hashes -------------------------------------------------------------------------------------
const small = random(32);
const large = random(1024);
for (const [name, hash] of [
  ['keccak256', keccak256],
  ['sm3', sm3],
  ['sha256', sha256],
]) {
  record(`${name}_32B`, `${name} 32 B`, () => hash(small));
  record(`${name}_1KiB`, `${name} 1 KiB`, () => hash(large));
}

// --- ecdsa ---------------------------------------------------------------------------------------
{
  const suite = createEcdsaSuite();
  const { privateKey, publicKey } = suite.generateKeyPair();
  const digest = random(32);
  const signature = suite.sign(digest, privateKey);
  const sec1 = new Uint8Array([4, ...publicKey]);
  record('ecdsa_sign', `ecdsa sign (${getDefaultEcdsaBackendName()})`, () => suite.sign(digest, privateKey));
  record('ecdsa_verify', 'ecdsa verify', () => suite.verify(digest, signature, publicKey));
  record('ecdsa_recover', 'ecdsa recoverSigner', () => suite.recoverSigner(digest, signature));
  const rs = signature.subarray(0, 64);
  record('peer_noble_secp256k1_verify', 'peer: noble secp256k1 verify', () =>
    nobleSecp256k1.verify(rs, digest, sec1, { prehash: false }),
  );
}

// --- sm --------------------------------------------------------------------------------------------
{
  const suite = createSmSuite();
  const uncached = createSmSuite({ publicKeyCacheSize: 0 });
  const { privateKey, publicKey } = suite.generateKeyPair();
  const digest = random(32);
  const signature = suite.sign(digest, privateKey);
  record('sm_sign', 'sm sign', () => suite.sign(digest, privateKey));
  // A key seen for the first time (no cached table): the cost of a new sender.
  record('sm_verify_new_key', 'sm verify, new key', () => uncached.verify(digest, signature, publicKey));
  record('sm_recover_new_key', 'sm recoverSigner, new key', () => uncached.recoverSigner(digest, signature));
  // A key seen before (sealers, busy accounts): its wNAF table is cached.
  record('sm_verify_known_key', 'sm verify, known key', () => suite.verify(digest, signature, publicKey));
  record('sm_recover_known_key', 'sm recoverSigner, known key', () => suite.recoverSigner(digest, signature));
  const rsHex = hex(signature.subarray(0, 64));
  const publicHex = `04${hex(publicKey)}`;
  const privateHex = hex(privateKey);
  record('peer_sm_crypto_v2_sign', 'peer: sm-crypto-v2 sign', () =>
    smCrypto.doSignature(digest, privateHex, { hash: true, publicKey: publicHex }),
  );
  record('peer_sm_crypto_v2_verify', 'peer: sm-crypto-v2 verify', () =>
    smCrypto.doVerifySignature(digest, rsHex, publicHex, { hash: true }),
  );
}

for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) c.best = Math.max(c.best, measure(c.fn, TIME_MS / ROUNDS));
}
const figures = {};
const rows = [];
for (const c of cases) {
  figures[c.key] = Math.round(c.best);
  rows.push([c.label, c.best]);
}

figures.ratio_ecdsa_verify_vs_noble = +(figures.ecdsa_verify / figures.peer_noble_secp256k1_verify).toFixed(
  2,
);
figures.ratio_sm_verify_new_key_vs_sm_crypto_v2 = +(
  figures.sm_verify_new_key / figures.peer_sm_crypto_v2_verify
).toFixed(2);
figures.ratio_sm_verify_known_key_vs_sm_crypto_v2 = +(
  figures.sm_verify_known_key / figures.peer_sm_crypto_v2_verify
).toFixed(2);
figures.ratio_sm_sign_vs_sm_crypto_v2 = +(figures.sm_sign / figures.peer_sm_crypto_v2_sign).toFixed(2);

const width = Math.max(...rows.map(([label]) => label.length));
console.log(`crypto suites — ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, Node ${process.version}`);
console.log(`${'operation'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'µs/op'.padStart(9)}`);
for (const [label, opsPerSecond] of rows) {
  const ops = Math.round(opsPerSecond).toLocaleString('en-US');
  console.log(`${label.padEnd(width)}  ${ops.padStart(12)}  ${(1e6 / opsPerSecond).toFixed(1).padStart(9)}`);
}
console.log(
  `ratios: ecdsa verify ${figures.ratio_ecdsa_verify_vs_noble}× noble; sm verify ` +
    `${figures.ratio_sm_verify_new_key_vs_sm_crypto_v2}× (new key) / ` +
    `${figures.ratio_sm_verify_known_key_vs_sm_crypto_v2}× (known key) sm-crypto-v2`,
);
console.log(JSON.stringify({ bench: 'crypto-suites', unit: 'ops/s', timeMs: TIME_MS, ...figures }));
