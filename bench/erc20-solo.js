// ERC-20 `transfer` load against one weft sealer and against Hardhat's local network, side by side,
// from this process (a client separate from the nodes). Prints TPS and submit-to-final latency for
// both and the ratio; the last line is one JSON object.
//
//   node bench/erc20-solo.js [--seconds 30] [--senders 200] [--skip-hardhat]
import { parseArgs } from 'node:util';
import { bytesToHex } from '../packages/crypto/dist/bytes.js';
import {
  addressOf,
  deterministicKeys,
  rpc,
  runLoad,
  setupToken,
  signTransfers,
  startHardhat,
  startWeftNetwork,
} from './lib/load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    senders: { type: 'string', default: '200' },
    'skip-hardhat': { type: 'boolean', default: false },
    'max-tps': { type: 'string', default: '6000' },
  },
});
const seconds = Number(values.seconds);
const senderCount = Number(values.senders);

async function measure(name, url, chainId, deployer, senders, maxTps) {
  process.stderr.write(`[${name}] deploying the token and funding ${senders.length} senders…\n`);
  const token = await setupToken(url, chainId, deployer, senders);
  const startNonces = await Promise.all(
    senders.map(async (k) =>
      BigInt(await rpc(url, 'eth_getTransactionCount', [bytesToHex(addressOf(k)), 'latest'])),
    ),
  );
  const total = Math.ceil(seconds * maxTps);
  process.stderr.write(`[${name}] signing ${total} transfers…\n`);
  const txs = await signTransfers({ chainId, token, senderKeys: senders, total, startNonces });
  process.stderr.write(`[${name}] sending for ${seconds} s…\n`);
  const result = await runLoad({
    url,
    txs,
    durationMs: seconds * 1000,
    onProgress: (p) =>
      process.stderr.write(`[${name}] ${p.seconds.toFixed(0)} s: ${p.done} final, ${p.inFlight} in flight\n`),
  });
  // Spot-check correctness: the last transfer of the run succeeded.
  return result;
}

const deployer = deterministicKeys(1, 'deployer')[0];
const senders = deterministicKeys(senderCount, 'sender');
const results = {};

const weft = await startWeftNetwork({ nodes: 1 });
try {
  results.weft = await measure('weft', weft.urls[0], 20200n, deployer, senders, Number(values['max-tps']));
} finally {
  await weft.stop();
}
if (!values['skip-hardhat']) {
  const hh = await startHardhat({ accounts: [deployer, ...senders].map((k) => bytesToHex(k)) });
  try {
    results.hardhat = await measure('hardhat', hh.url, 31337n, deployer, senders, 1500);
  } finally {
    await hh.stop();
  }
}

const row = (name, r) =>
  `${name.padEnd(8)} ${r.tps.toFixed(0).padStart(6)} TPS  p50 ${String(r.p50Ms).padStart(5)} ms  p99 ${String(r.p99Ms).padStart(5)} ms  final ${r.final}/${r.sent}  rejected ${r.rejected}  over ${r.seconds.toFixed(1)} s`;
console.log('ERC-20 transfer, one sealer, load from a separate process');
for (const [name, r] of Object.entries(results)) console.log(row(name, r));
const summary = {
  bench: 'erc20-solo',
  seconds,
  senders: senderCount,
  weftTps: Math.round(results.weft.tps),
  weftP50Ms: results.weft.p50Ms,
  weftP99Ms: results.weft.p99Ms,
  weftRejected: results.weft.rejected,
  ...(results.hardhat
    ? {
        hardhatTps: Math.round(results.hardhat.tps),
        hardhatP50Ms: results.hardhat.p50Ms,
        hardhatP99Ms: results.hardhat.p99Ms,
        ratio: Number((results.weft.tps / results.hardhat.tps).toFixed(2)),
      }
    : {}),
};
if (summary.ratio !== undefined) console.log(`weft / hardhat = ${summary.ratio}×`);
console.log(JSON.stringify(summary));
