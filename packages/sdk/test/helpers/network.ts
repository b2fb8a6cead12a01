import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real node processes on loopback for integration tests: `weft init` writes the network, each node runs
 * as `node packages/sdk/bin/weft.js node --dir …` (the built CLI, exactly what users run).
 */
export const CLI = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * `count` consecutive free ports (node i uses base + i), below the kernel's ephemeral port range
 * (Linux: 32768 and up by default). A port in that range can be handed to any outgoing connection
 * while its node is down — even to a peer's reconnection attempt to that very port, which then
 * connects to itself (TCP simultaneous open) and holds it — and the restarted node could not listen
 * on its own port again.
 */
export async function freePortRange(count: number): Promise<number> {
  const low = 20000;
  const high = 32000 - count;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const ok = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weft ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw Object.assign(new Error(body.error.message), { rpcCode: body.error.code });
  return body.result as T;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestNetwork {
  dir: string;
  urls: string[];
  /** P2P listening port of node i (as `weft init` wrote it). */
  p2pPorts: number[];
  nodeDir(i: number): string;
  /** Rewrites node i's `config.json` `p2p.peers` ("host:port" strings); takes effect at its next start. */
  setPeers(i: number, peers: string[]): void;
  start(i: number): Promise<void>;
  /** Sends `signal` to node i and waits for it to exit. */
  stop(i: number, signal?: NodeJS.Signals): Promise<number | null>;
  logs(i: number): string;
  close(): Promise<void>;
}

export async function startTestNetwork(
  options: {
    nodes?: number;
    crypto?: 'ecdsa' | 'sm';
    settings?: Record<string, unknown>;
    startAll?: boolean;
  } = {},
): Promise<TestNetwork> {
  const nodes = options.nodes ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'weft-it-'));
  // RPC ports then P2P ports, one block: node i listens on rpcBase + i and p2pBase + i.
  const rpcBase = await freePortRange(2 * nodes);
  const p2pBase = rpcBase + nodes;
  const init = await runCli([
    'init',
    '--dir',
    join(dir, 'net'),
    '--nodes',
    String(nodes),
    '--crypto',
    options.crypto ?? 'ecdsa',
    '--rpc-port',
    String(rpcBase),
    '--p2p-port',
    String(p2pBase),
    '--json',
  ]);
  if (init.code !== 0) throw new Error(`weft init failed: ${init.stderr}`);
  const nodeDir = (i: number) => join(dir, 'net', `node${i}`);
  if (options.settings) {
    for (let i = 0; i < nodes; i++) {
      const file = join(nodeDir(i), 'genesis.json');
      const genesis = JSON.parse(readFileSync(file, 'utf8')) as { settings: Record<string, unknown> };
      genesis.settings = { ...genesis.settings, ...options.settings };
      writeFileSync(file, JSON.stringify(genesis, null, 2));
    }
  }
  const children = new Map<number, ChildProcess>();
  const logs = new Map<number, string>();
  const urls = Array.from({ length: nodes }, (_, i) => `http://127.0.0.1:${rpcBase + i}`);
  const network: TestNetwork = {
    dir,
    urls,
    p2pPorts: Array.from({ length: nodes }, (_, i) => p2pBase + i),
    nodeDir,
    setPeers(i, peers) {
      const file = join(nodeDir(i), 'config.json');
      const config = JSON.parse(readFileSync(file, 'utf8')) as { p2p: { peers: string[] } };
      config.p2p.peers = peers;
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    },
    async start(i) {
      const child = spawn(process.execPath, [CLI, 'node', '--dir', nodeDir(i)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const append = (d: Buffer) => logs.set(i, ((logs.get(i) ?? '') + d.toString()).slice(-200_000));
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      children.set(i, child);
      try {
        await waitFor(
          `node${i} RPC`,
          async () => {
            // A node that died on start will never answer: say so at once, with what it printed.
            if (child.exitCode !== null || child.signalCode !== null) throw new Error('exited');
            return (await rpc<string>(urls[i] as string, 'eth_blockNumber')) !== undefined;
          },
          60_000,
        );
      } catch (error) {
        const tail = (logs.get(i) ?? '').slice(-2_000);
        throw new Error(`node${i} did not start (${String(error)}); its output ends with:\n${tail}`);
      }
    },
    async stop(i, signal = 'SIGTERM') {
      const child = children.get(i);
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const code = await exited;
      children.delete(i);
      return code;
    },
    logs: (i) => logs.get(i) ?? '',
    async close() {
      await Promise.all([...children.keys()].map((i) => network.stop(i, 'SIGKILL')));
      // WEFT_IT_LOG_DIR=<dir> keeps every node's log of the run for a post-mortem.
      const keep = process.env.WEFT_IT_LOG_DIR;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const [i, text] of logs) writeFileSync(join(keep, `${basename(dir)}-node${i}.log`), text);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.startAll !== false) {
    try {
      for (let i = 0; i < nodes; i++) await network.start(i);
    } catch (error) {
      // The caller never gets the handle, so nothing else would stop the nodes already running.
      await network.close();
      throw error;
    }
  }
  return network;
}
