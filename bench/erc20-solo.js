// ERC-20 `transfer` load against one weft sealer and against Hardhat's local network, side by side,
// from this process (a client separate from the nodes). Prints TPS, submit-to-final latency and the
// node's CPU time per transaction for both, and the ratio; the last line is one JSON object.
//
//   node bench/erc20-solo.js [--seconds 30] [--senders 200] [--skip-hardhat] [--profile DIR]
//                            [--batch 100] [--window 3000] [--streams 4] [--node-arg=--some-v8-flag …]
//                            [--block-txs N] [--seal-ms MS]
// (--batch: transactions per JSON-RPC batch; --window: most transactions in flight; --streams:
// concurrent request streams; --block-txs / --seal-ms: weft's maxTxsPerBlock / sealIntervalMs.)
//
// Both chains get the same load: the same contract, legacy EIP-155 transfers signed in advance, sent
// by the same client in JSON-RPC batches with the same window, finality learnt the same way (polling
// blocks). Hardhat runs with request logging off and automine (one block per transaction, its fastest
// mode). CPU per transaction (user + system time of the node process / final transactions) is
// reported next to TPS because it moves less when other work shares the machine; TPS does. The
// main thread's share bounds throughput (the rest is decode workers, LevelDB and GC threads).
// `--profile DIR` runs the weft node under `--cpu-prof` and leaves the profile in DIR.
import { parseArgs } from 'node:util';
import { bytesToHex } from '../packages/crypto/dist/bytes.js';
import {
  addressOf,
  deterministicKeys,
  processCpuMs,
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
    profile: { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    batch: { type: 'string', default: '100' },
    window: { type: 'string', default: '3000' },
    streams: { type: 'string', default: '4' },
    'block-txs': { type: 'string' },
    'seal-ms': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const senderCount = Number(values.senders);

async function measure(name, url, chainId, pid, deployer, senders, maxTps) {
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
  const cpuBefore = processCpuMs(pid);
  const mainBefore = processCpuMs(pid, { mainThreadOnly: true });
  const clientBefore = processCpuMs(process.pid);
  const result = await runLoad({
    url,
    txs,
    durationMs: seconds * 1000,
    batchSize: Number(values.batch),
    window: Number(values.window),
    concurrency: Number(values.streams),
    onProgress: (p) =>
      process.stderr.write(`[${name}] ${p.seconds.toFixed(0)} s: ${p.done} final, ${p.inFlight} in flight\n`),
  });
  const cpuAfter = processCpuMs(pid);
  const mainAfter = processCpuMs(pid, { mainThreadOnly: true });
  const clientAfter = processCpuMs(process.pid);
  const perTx = (before, after) =>
    before === null || after === null || result.final === 0
      ? null
      : Math.round(((after - before) * 1000) / result.final);
  return {
    ...result,
    cpuUsPerTx: perTx(cpuBefore, cpuAfter),
    mainCpuUsPerTx: perTx(mainBefore, mainAfter),
    clientCpuUsPerTx: perTx(clientBefore, clientAfter),
  };
}

const deployer = deterministicKeys(1, 'deployer')[0];
const senders = deterministicKeys(senderCount, 'sender');
const results = {};

const nodeArgs = [
  ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []),
  ...values['node-arg'],
];
// Chain settings to try other values than the genesis defaults (maxTxsPerBlock, sealIntervalMs).
const settings = {
  ...(values['block-txs'] ? { maxTxsPerBlock: Number(values['block-txs']) } : {}),
  ...(values['seal-ms'] ? { sealIntervalMs: Number(values['seal-ms']) } : {}),
};
const weft = await startWeftNetwork({
  nodes: 1,
  nodeArgs,
  ...(Object.keys(settings).length > 0 ? { settings } : {}),
});
try {
  results.weft = await measure(
    'weft',
    weft.urls[0],
    20200n,
    weft.children[0].pid,
    deployer,
    senders,
    Number(values['max-tps']),
  );
} finally {
  await weft.stop();
}
if (!values['skip-hardhat']) {
  const hh = await startHardhat({ accounts: [deployer, ...senders].map((k) => bytesToHex(k)) });
  try {
    results.hardhat = await measure(
      'hardhat',
      hh.url,
      31337n,
      hh.child.pid,
      deployer,
      senders,
      Number(values['max-tps']),
    );
  } finally {
    await hh.stop();
  }
}

const row = (name, r) =>
  `${name.padEnd(8)} ${r.tps.toFixed(0).padStart(6)} TPS  p50 ${String(r.p50Ms).padStart(5)} ms  p99 ${String(r.p99Ms).padStart(5)} ms  cpu ${String(r.cpuUsPerTx ?? '-').padStart(4)} µs/tx (main thread ${String(r.mainCpuUsPerTx ?? '-').padStart(4)}, client ${String(r.clientCpuUsPerTx ?? '-').padStart(4)})  final ${r.final}/${r.sent}  rejected ${r.rejected}  over ${r.seconds.toFixed(1)} s`;
console.log('ERC-20 transfer, one sealer, load from a separate process');
for (const [name, r] of Object.entries(results)) console.log(row(name, r));
const summary = {
  bench: 'erc20-solo',
  seconds,
  senders: senderCount,
  weftTps: Math.round(results.weft.tps),
  weftP50Ms: results.weft.p50Ms,
  weftP99Ms: results.weft.p99Ms,
  weftCpuUsPerTx: results.weft.cpuUsPerTx,
  weftMainThreadCpuUsPerTx: results.weft.mainCpuUsPerTx,
  weftClientCpuUsPerTx: results.weft.clientCpuUsPerTx,
  weftRejected: results.weft.rejected,
  ...(results.hardhat
    ? {
        hardhatTps: Math.round(results.hardhat.tps),
        hardhatP50Ms: results.hardhat.p50Ms,
        hardhatP99Ms: results.hardhat.p99Ms,
        hardhatCpuUsPerTx: results.hardhat.cpuUsPerTx,
        hardhatMainThreadCpuUsPerTx: results.hardhat.mainCpuUsPerTx,
        ratio: Number((results.weft.tps / results.hardhat.tps).toFixed(2)),
      }
    : {}),
};
if (summary.ratio !== undefined) console.log(`weft / hardhat = ${summary.ratio}×`);
console.log(JSON.stringify(summary));
