// Four sealers on this machine: ERC-20 `transfer` load from this process (separate from the nodes),
// sustained, with TPS and submit-to-final latency; then the catch-up speed of a sealer that missed
// ≥ 10,000 transactions. The last line is one JSON object.
// Catch-up runs once per gap in `--catchup-txs` (10,000 then 30,000): a restarted node pays a fixed
// start (process start-up, then V8 compiling the EVM while the first blocks run) before replaying at
// its steady rate, and the two gaps show both.
//
//   node bench/pbft.js [--seconds 60] [--senders 200] [--catchup-txs 10000,30000] [--skip-catchup]
//                      [--window 3000] [--rate TPS] [--warmup 10] [--block-txs N]
//                      [--paced-rate 1000] [--skip-paced]
//                      [--profile DIR] [--node-arg=--some-v8-flag …]
//
// The load is closed-loop (at most `--window` transactions in flight, as fast as the chain takes
// them): that measures the most the chain sustains, and the latency then is mostly queueing behind
// the window. `--rate` paces the load at that many transactions per second, to measure the chain's
// own submit-to-final latency at an offered load it can carry. The first `--warmup` seconds of the
// same load are not measured: freshly started node processes run the EVM unoptimised until V8's JIT
// has compiled it, and a backlog built then would be counted against the steady state.
// After the closed-loop run (unless --rate made it paced already, or --skip-paced), a second run of
// the same length is paced at `--paced-rate` (1,000 tx/s, the throughput target): the latency there
// is the chain's own at that load.
//
// `--profile DIR` runs every node under `--cpu-prof` and leaves one profile per node process in DIR.
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
  sleep,
  startNodeProcess,
  startWeftNetwork,
  waitForRpc,
} from './lib/load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    senders: { type: 'string', default: '200' },
    'catchup-txs': { type: 'string', default: '10000,30000' },
    'skip-catchup': { type: 'boolean', default: false },
    'max-tps': { type: 'string', default: '3000' },
    profile: { type: 'string' },
    window: { type: 'string', default: '3000' },
    rate: { type: 'string' },
    warmup: { type: 'string', default: '10' },
    'block-txs': { type: 'string' },
    'paced-rate': { type: 'string', default: '1000' },
    'skip-paced': { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const seconds = Number(values.seconds);

/** Transfers are signed round-robin over the senders and sent in order: `sent` of them used these nonces. */
function advanceNonces(nonces, sent) {
  for (let i = 0; i < nonces.length; i++)
    nonces[i] += BigInt(Math.floor(sent / nonces.length) + (i < sent % nonces.length ? 1 : 0));
}
const log = (m) => process.stderr.write(`[pbft] ${m}\n`);

const nodeArgs = [
  ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []),
  ...values['node-arg'],
];
// `--block-txs`: another maxTxsPerBlock than the genesis default, written into every node's genesis.
const settings = values['block-txs'] ? { maxTxsPerBlock: Number(values['block-txs']) } : undefined;
const net = await startWeftNetwork({ nodes: 4, nodeArgs, ...(settings ? { settings } : {}) });
const summary = {
  bench: 'pbft',
  nodes: 4,
  seconds,
  window: Number(values.window),
  rate: values.rate === undefined ? null : Number(values.rate),
  warmupSeconds: Number(values.warmup),
  maxTxsPerBlock: settings?.maxTxsPerBlock ?? null,
};
/**
 * Stops node3, sends `missed` transfers while it is down, restarts it and times how long it takes to
 * reach the head: from process start (its start-up included) and from its RPC answering (replay).
 */
async function catchUp({ url, token, senders }, missed) {
  log(`stopping node3 for a gap of ${missed} transactions…`);
  net.children[3].kill('SIGTERM');
  await new Promise((r) => net.children[3].once('exit', r));
  const before = BigInt(await rpc(url, 'eth_blockNumber'));
  const startNonces = await Promise.all(
    senders.map(async (k) =>
      BigInt(await rpc(url, 'eth_getTransactionCount', [bytesToHex(addressOf(k)), 'latest'])),
    ),
  );
  const more = await signTransfers({
    chainId: 20200n,
    token,
    senderKeys: senders,
    total: missed,
    startNonces,
  });
  log(`sending ${missed} transfers while node3 is down…`);
  const r2 = await runLoad({ url, txs: more, durationMs: 600_000 });
  const after = BigInt(await rpc(url, 'eth_blockNumber'));
  let txCount = 0;
  for (let n = before + 1n; n <= after; n++)
    txCount += (await rpc(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).transactions.length;
  log(
    `node3 missed ${after - before} blocks with ${txCount} transactions (${r2.final} final); restarting it…`,
  );
  const t0 = Date.now();
  const restarted = startNodeProcess(net.nodeDir(3), nodeArgs);
  net.children[3] = restarted;
  // A restarted node that exits (its port taken meanwhile, say) fails the run now, not after a minute.
  const exited = new Promise((_, reject) =>
    restarted.once('exit', (code) => reject(new Error(`node3 exited while restarting (code ${code})`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForRpc(net.urls[3]), exited]);
  const startSeconds = (Date.now() - t0) / 1000;
  for (;;) {
    const h = BigInt(await rpc(net.urls[3], 'eth_blockNumber'));
    if (h >= after) break;
    await sleep(50);
  }
  const secondsCatchup = (Date.now() - t0) / 1000;
  const rate = txCount / secondsCatchup;
  const [a, b] = await Promise.all(
    [net.urls[0], net.urls[3]].map((u) => rpc(u, 'eth_getBlockByNumber', [`0x${after.toString(16)}`, false])),
  );
  const replayRate = txCount / (secondsCatchup - startSeconds);
  console.log(
    `catch-up: ${txCount} transactions in ${after - before} blocks replayed in ${secondsCatchup.toFixed(1)} s (incl. process start) = ${rate.toFixed(0)} tx/s; process start to RPC ${startSeconds.toFixed(1)} s, then ${replayRate.toFixed(0)} tx/s; same state root: ${a.stateRoot === b.stateRoot}`,
  );
  return {
    txs: txCount,
    seconds: Number(secondsCatchup.toFixed(2)),
    txPerSec: Math.round(rate),
    startSeconds: Number(startSeconds.toFixed(2)),
    replayTxPerSec: Math.round(replayRate),
    sameRoot: a.stateRoot === b.stateRoot,
  };
}

try {
  const url = net.urls[0];
  const deployer = deterministicKeys(1, 'deployer')[0];
  const senders = deterministicKeys(Number(values.senders), 'sender');
  log('deploying the token and funding senders…');
  const token = await setupToken(url, 20200n, deployer, senders);
  const nonces = senders.map(() => 0n);
  const warmupSeconds = Number(values.warmup);
  const total = Math.ceil((warmupSeconds + seconds) * Number(values.rate ?? values['max-tps']));
  log(`signing ${total} transfers…`);
  const txs = await signTransfers({
    chainId: 20200n,
    token,
    senderKeys: senders,
    total,
    startNonces: nonces,
  });
  const loadOptions = {
    url,
    window: Number(values.window),
    ...(values.rate === undefined ? {} : { rate: Number(values.rate) }),
    onProgress: (p) => log(`${p.seconds.toFixed(0)} s: ${p.done} final, ${p.inFlight} in flight`),
  };
  let warmupSent = 0;
  if (warmupSeconds > 0) {
    log(`warm-up: ${warmupSeconds} s of the same load, not measured…`);
    const w = await runLoad({ ...loadOptions, txs, durationMs: warmupSeconds * 1000 });
    warmupSent = w.sent;
  }
  log(`load for ${seconds} s against 4 sealers…`);
  const pids = net.children.map((c) => c.pid);
  const cpuBefore = pids.map((pid) => processCpuMs(pid));
  const mainBefore = pids.map((pid) => processCpuMs(pid, { mainThreadOnly: true }));
  const clientBefore = processCpuMs(process.pid);
  const r = await runLoad({ ...loadOptions, txs: txs.slice(warmupSent), durationMs: seconds * 1000 });
  // CPU per final transaction: each node's process and main thread, and this (client) process.
  const perTx = (before, after) =>
    before === null || after === null || r.final === 0
      ? null
      : Math.round(((after - before) * 1000) / r.final);
  const nodeCpu = pids.map((pid, i) => perTx(cpuBefore[i], processCpuMs(pid)));
  const nodeMainCpu = pids.map((pid, i) => perTx(mainBefore[i], processCpuMs(pid, { mainThreadOnly: true })));
  const clientCpu = perTx(clientBefore, processCpuMs(process.pid));
  advanceNonces(nonces, warmupSent + r.sent);
  console.log(
    `4 sealers, ERC-20 transfer: ${r.tps.toFixed(0)} TPS, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, final ${r.final}/${r.sent}, rejected ${r.rejected}, over ${r.seconds.toFixed(1)} s`,
  );
  console.log(
    `CPU µs per transaction — node process: ${nodeCpu.join(' / ')}; main thread: ${nodeMainCpu.join(' / ')}; client: ${clientCpu}`,
  );
  Object.assign(summary, {
    nodeCpuUsPerTx: nodeCpu,
    nodeMainCpuUsPerTx: nodeMainCpu,
    clientCpuUsPerTx: clientCpu,
    tps: Math.round(r.tps),
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    final: r.final,
    sent: r.sent,
    rejected: r.rejected,
  });
  // Same state everywhere.
  const head = BigInt(await rpc(net.urls[3], 'eth_blockNumber'));
  const roots = await Promise.all(
    net.urls.map((u) =>
      rpc(u, 'eth_getBlockByNumber', [`0x${head.toString(16)}`, false]).then((b) => b?.stateRoot),
    ),
  );
  summary.sameStateRoot = roots.every((x) => x === roots[0]);
  console.log(`state root at block ${head} equal on all 4 nodes: ${summary.sameStateRoot}`);

  if (values.rate === undefined && !values['skip-paced']) {
    const pacedRate = Number(values['paced-rate']);
    const pacedTotal = Math.ceil(seconds * pacedRate);
    log(`signing ${pacedTotal} transfers for ${seconds} s paced at ${pacedRate} tx/s…`);
    const paced = await signTransfers({
      chainId: 20200n,
      token,
      senderKeys: senders,
      total: pacedTotal,
      startNonces: nonces,
    });
    const p = await runLoad({
      url,
      txs: paced,
      durationMs: seconds * 1000,
      window: Number(values.window),
      rate: pacedRate,
      onProgress: loadOptions.onProgress,
    });
    advanceNonces(nonces, p.sent);
    console.log(
      `paced at ${pacedRate} tx/s: ${p.tps.toFixed(0)} TPS, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, final ${p.final}/${p.sent}, rejected ${p.rejected}, over ${p.seconds.toFixed(1)} s`,
    );
    Object.assign(summary, {
      pacedRate,
      pacedTps: Math.round(p.tps),
      pacedP50Ms: p.p50Ms,
      pacedP99Ms: p.p99Ms,
      pacedFinal: p.final,
      pacedSent: p.sent,
    });
  }

  if (!values['skip-catchup']) {
    summary.catchup = [];
    for (const missed of values['catchup-txs'].split(',').map(Number)) {
      summary.catchup.push(await catchUp({ url, token, senders }, missed));
    }
  }
} finally {
  await net.stop();
}
console.log(JSON.stringify(summary));
