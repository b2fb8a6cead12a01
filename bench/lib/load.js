// Shared pieces of the chain benchmarks: spawning weft networks and Hardhat, a JSON-RPC client with
// batching, pre-signed ERC-20 transfer load, and latency/throughput accounting. The load generator
// always runs in this (the benchmark's) process, separate from the node processes it measures.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signLegacyTx } from '../../packages/core/dist/tx.js';
import { bytesToHex, hexToBytes } from '../../packages/crypto/dist/bytes.js';
import { getSuite } from '../../packages/crypto/dist/suites.js';
import { compileSolidity } from '../../packages/sdk/dist/compile.js';
import { encodeCall, encodeDeploy } from '../../packages/sdk/dist/contract.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEFT_CLI = join(ROOT, 'packages/sdk/bin/weft.js');
const suite = getSuite('ecdsa');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The first of `count` consecutive free ports below the kernel's ephemeral port range (Linux: 32768
 * and up by default). A node's port in that range can be handed to an outgoing connection while the
 * node is down — even to a peer's reconnection attempt to that very port, which connects to itself
 * (TCP simultaneous open) and holds it — and the restarted node then cannot listen again (seen once:
 * EADDRINUSE when the catch-up run restarted node3).
 */
export async function freePortRange(count) {
  const low = 20000;
  const high = 32000 - count;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const free = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports between ${low} and ${high + count}`);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

let id = 0;

/**
 * POSTs a JSON body, retrying once when a kept-alive socket turns out to be closed: the server drops
 * idle connections after 5 s, and when this process was busy (signing the load) undici only learns
 * of the close when it reuses the socket. Re-sending is safe here: reads are idempotent and a
 * re-sent raw transaction is refused as already known.
 */
async function postJson(url, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return await res.json();
    } catch (error) {
      const code = error?.cause?.code;
      if (attempt > 0 || (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET')) throw error;
    }
  }
}

export async function rpc(url, method, params = []) {
  const body = await postJson(url, JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }));
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function rpcBatch(url, calls) {
  const body = await postJson(
    url,
    JSON.stringify(calls.map(([method, params]) => ({ jsonrpc: '2.0', id: ++id, method, params }))),
  );
  return Array.isArray(body) ? body : [body];
}

export async function waitForRpc(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await rpc(url, 'eth_blockNumber');
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      // Polled often: the catch-up benchmark times a restarted node's start by its first answer.
      await sleep(50);
    }
  }
}

export function runCli(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEFT_CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`weft ${args.join(' ')} failed: ${err}`)),
    );
  });
}

/** Writes a fresh network into a temp dir and starts every node as its own process. */
export async function startWeftNetwork({ nodes = 1, settings, nodeArgs = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  // RPC ports then P2P ports, one block: node i listens on rpcPort + i and p2pPort + i.
  const rpcPort = await freePortRange(2 * nodes);
  const p2pPort = rpcPort + nodes;
  await runCli([
    'init',
    '--dir',
    join(dir, 'net'),
    '--nodes',
    String(nodes),
    '--rpc-port',
    String(rpcPort),
    '--p2p-port',
    String(p2pPort),
    '--json',
  ]);
  if (settings) {
    for (let i = 0; i < nodes; i++) {
      const file = join(dir, 'net', `node${i}`, 'genesis.json');
      const g = JSON.parse(readFileSync(file, 'utf8'));
      g.settings = { ...g.settings, ...settings };
      writeFileSync(file, JSON.stringify(g, null, 2));
    }
  }
  const children = [];
  for (let i = 0; i < nodes; i++) {
    children.push(startNodeProcess(join(dir, 'net', `node${i}`), nodeArgs));
  }
  const urls = Array.from({ length: nodes }, (_, i) => `http://127.0.0.1:${rpcPort + i}`);
  // A node that exits while starting (a port taken after freePortRange looked) fails the run at once:
  // its port might otherwise answer for it, from some other process.
  const exitedEarly = Promise.race(
    children.map(
      (child, i) =>
        new Promise((_, reject) =>
          child.once('exit', (code) => reject(new Error(`node${i} exited while starting (code ${code})`))),
        ),
    ),
  );
  exitedEarly.catch(() => {});
  try {
    for (const url of urls) await Promise.race([waitForRpc(url), exitedEarly]);
  } catch (error) {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    throw error;
  }
  return {
    dir,
    urls,
    children,
    nodeDir: (i) => join(dir, 'net', `node${i}`),
    async stop() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.all(
        children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startNodeProcess(nodeDir, extraArgs = []) {
  const child = spawn(
    process.execPath,
    // WEFT_BENCH_LOG_LEVEL=debug shows each node's per-height timing (stderr).
    [
      ...extraArgs,
      WEFT_CLI,
      'node',
      '--dir',
      nodeDir,
      '--log-level',
      process.env.WEFT_BENCH_LOG_LEVEL ?? 'warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      process.stderr.write(`node ${nodeDir} exited: code ${code} signal ${signal}\n`);
  });
  return child;
}

/**
 * Hardhat 2's local network (`hardhat node`, EDR), request logging off, with the given funded
 * accounts, mining a block every `miningIntervalMs` (weft's default seal interval).
 */
export async function startHardhat({ accounts, miningIntervalMs = 100 }) {
  // Hardhat refuses to run from a project that cannot resolve its own installation (HH12), so the
  // throw-away project lives inside the repository (bench/out/ is git-ignored).
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'bench/out/hardhat-'));
  const port = await freePort();
  // Interval mining, like weft's sealer (a block every 100 ms with what is pending, FIFO): automine
  // (one block per transaction) refuses a nonce gap, which concurrent JSON-RPC batches produce.
  const config = `module.exports = { solidity: '0.8.24', networks: { hardhat: {
    chainId: 31337, loggingEnabled: false, initialBaseFeePerGas: 0, blockGasLimit: 3000000000,
    mining: { auto: false, interval: ${miningIntervalMs}, mempool: { order: 'fifo' } },
    accounts: ${JSON.stringify(accounts.map((k) => ({ privateKey: k, balance: '1000000000000000000000000' })))}
  } } };\n`;
  writeFileSync(join(dir, 'hardhat.config.cjs'), config);
  const cli = join(ROOT, 'node_modules/hardhat/internal/cli/cli.js');
  const child = spawn(
    process.execPath,
    [
      cli,
      'node',
      '--port',
      String(port),
      '--hostname',
      '127.0.0.1',
      '--config',
      join(dir, 'hardhat.config.cjs'),
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`hardhat node exited with code ${code}`))),
  );
  try {
    await Promise.race([waitForRpc(url, 120_000), exited]);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  exited.catch(() => undefined);
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time (user + system, ms) a process — or only its main thread — has used so far, from
 * /proc (Linux; null elsewhere). CPU per transaction is steadier than TPS on a machine shared with
 * other work, and the main thread's share is what bounds a node's throughput.
 */
export function processCpuMs(pid, { mainThreadOnly = false } = {}) {
  try {
    // /proc/<pid>/task/<pid> is the main thread alone (a node's JavaScript thread).
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

// USER_HZ: 100 on every Linux architecture Node supports.
const CLOCK_TICKS_PER_SECOND = 100;

export function deterministicKeys(count, seed) {
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(suite.hash(new TextEncoder().encode(`${seed}/${i}`)));
  return keys;
}

export function addressOf(key) {
  return suite.addressFromPublicKey(suite.publicKeyFromPrivate(key));
}

let compiled;
export async function weftToken() {
  compiled ??= (
    await compileSolidity({ files: [join(ROOT, 'contracts/WeftToken.sol')], contractName: 'WeftToken' })
  ).contracts.WeftToken;
  return compiled;
}

/** Sends raw transactions in JSON-RPC batches; returns per-tx errors (null when admitted). */
export async function sendRaw(url, raws, batchSize = 200) {
  const errors = [];
  for (let i = 0; i < raws.length; i += batchSize) {
    const chunk = raws.slice(i, i + batchSize);
    const answers = await rpcBatch(
      url,
      chunk.map((r) => ['eth_sendRawTransaction', [bytesToHex(r)]]),
    );
    for (const a of answers) errors.push(a.error ? a.error.message : null);
  }
  return errors;
}

export async function waitReceipt(url, hash, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash}`);
    await sleep(50);
  }
}

/**
 * Deploys the token from `deployer` and gives each sender a balance; returns the token address.
 * Uses legacy EIP-155 transactions so that weft and Hardhat see the very same kind of load.
 */
export async function setupToken(url, chainId, deployerKey, senderKeys) {
  const token = await weftToken();
  let nonce = BigInt(
    await rpc(url, 'eth_getTransactionCount', [bytesToHex(addressOf(deployerKey)), 'latest']),
  );
  const deploy = signLegacyTx(
    suite,
    {
      chainId,
      nonce: nonce++,
      gasPrice: 0n,
      gasLimit: 3_000_000n,
      to: null,
      value: 0n,
      data: encodeDeploy(token.abi, token.bytecode, ['Bench', 'BEN', 10n ** 30n]),
    },
    deployerKey,
  );
  const [err] = await sendRaw(url, [deploy]);
  if (err) throw new Error(`deploy failed: ${err}`);
  const receipt = await waitReceipt(url, bytesToHex(suite.hash(deploy)));
  const address = hexToBytes(receipt.contractAddress);
  const funding = senderKeys.map((k) =>
    signLegacyTx(
      suite,
      {
        chainId,
        nonce: nonce++,
        gasPrice: 0n,
        gasLimit: 100_000n,
        to: address,
        value: 0n,
        data: encodeCall(token.abi, 'transfer', [bytesToHex(addressOf(k)), 10n ** 24n]),
      },
      deployerKey,
    ),
  );
  const errors = await sendRaw(url, funding);
  if (errors.some((e) => e)) throw new Error(`funding failed: ${errors.find((e) => e)}`);
  await waitReceipt(url, bytesToHex(suite.hash(funding[funding.length - 1])));
  return address;
}

/** Pre-signs `total` transfers round-robin over the senders (so each sender's nonces go out in order). */
export async function signTransfers({ chainId, token, senderKeys, total, startNonces }) {
  const { abi } = await weftToken();
  const recipients = deterministicKeys(64, 'recipient').map((k) => bytesToHex(addressOf(k)));
  const nonces = [...startNonces];
  const out = [];
  for (let i = 0; i < total; i++) {
    const s = i % senderKeys.length;
    const data = encodeCall(abi, 'transfer', [recipients[i % recipients.length], 1n]);
    const raw = signLegacyTx(
      suite,
      { chainId, nonce: nonces[s]++, gasPrice: 0n, gasLimit: 100_000n, to: token, value: 0n, data },
      senderKeys[s],
    );
    out.push({ raw, hash: bytesToHex(suite.hash(raw)) });
    // Let the event loop breathe so kept-alive sockets notice a server-side close.
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  return out;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Closed-loop load: keeps up to `window` transactions in flight, sends in batches, and learns that a
 * transaction is final when a committed block containing it appears (polled block by block).
 * With `rate` (transactions per second) the load is also paced: no more than `rate × elapsed` are
 * sent, so the latency measured is the chain's at that offered load rather than time spent queueing
 * behind a full window.
 */
export async function runLoad({
  url,
  txs,
  durationMs,
  window = 6000,
  batchSize = 100,
  concurrency = 4,
  rate,
  onProgress,
}) {
  const sentAt = new Map();
  const latencies = [];
  let next = 0;
  let done = 0;
  let rejected = 0;
  let firstRejection = null;
  const start = Date.now();
  const deadline = start + durationMs;
  let head = BigInt(await rpc(url, 'eth_blockNumber'));
  let stop = false;
  let lastProgress = start;
  let pollerFailure = null;

  const poller = (async () => {
    while (!stop) {
      const now = BigInt(await rpc(url, 'eth_blockNumber'));
      if (now > head) {
        const numbers = [];
        for (let n = head + 1n; n <= now; n++) numbers.push(n);
        for (let i = 0; i < numbers.length; i += 50) {
          const answers = await rpcBatch(
            url,
            numbers.slice(i, i + 50).map((n) => ['eth_getBlockByNumber', [`0x${n.toString(16)}`, false]]),
          );
          const seenAt = Date.now();
          for (const a of answers) {
            for (const h of a.result?.transactions ?? []) {
              const t = sentAt.get(h);
              if (t !== undefined) {
                latencies.push(seenAt - t);
                sentAt.delete(h);
                done++;
              }
            }
          }
        }
        head = now;
      }
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        onProgress?.({ seconds: (Date.now() - start) / 1000, done, inFlight: sentAt.size });
      }
      await sleep(20);
    }
  })().catch((error) => {
    // Surface the poller's failure after the senders stop, instead of as an unhandled rejection.
    pollerFailure = error;
    stop = true;
  });

  // Several request streams, so the node always has work queued while one answer is on its way back.
  const sender = async () => {
    while (!stop && Date.now() < deadline && next < txs.length) {
      if (sentAt.size >= window) {
        await sleep(5);
        continue;
      }
      if (rate !== undefined && next + batchSize > (rate * (Date.now() - start)) / 1000) {
        await sleep(5);
        continue;
      }
      const chunk = txs.slice(next, next + batchSize);
      next += chunk.length;
      const t = Date.now();
      for (const tx of chunk) sentAt.set(tx.hash, t);
      const errors = await sendRaw(
        url,
        chunk.map((x) => x.raw),
        batchSize,
      );
      errors.forEach((e, i) => {
        if (e) {
          rejected++;
          firstRejection ??= e;
          sentAt.delete(chunk[i].hash);
        }
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, sender));
  } catch (error) {
    stop = true;
    await poller;
    throw error;
  }
  const sendEnd = Date.now();
  // Let what is in flight finish (bounded).
  const drainDeadline = Date.now() + 30_000;
  while (!stop && sentAt.size > 0 && Date.now() < drainDeadline) await sleep(20);
  stop = true;
  await poller;
  if (pollerFailure !== null) throw pollerFailure;
  const end = Date.now();
  latencies.sort((a, b) => a - b);
  return {
    sent: next,
    final: done,
    rejected,
    firstRejection,
    lost: sentAt.size,
    seconds: (end - start) / 1000,
    sendSeconds: (sendEnd - start) / 1000,
    tps: done / ((end - start) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
  };
}
