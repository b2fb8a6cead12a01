import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestNetwork, type TestNetwork } from './helpers/network.js';

/**
 * A node that cannot finish starting must stop what it already started and exit with an error. The RPC
 * port is taken last, after the P2P listener, the peer connections and consensus are running: a node
 * that failed there used to print the error and run on (its sockets kept the process alive) with its
 * database closed under consensus.
 */

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4, startAll: false });
});

afterAll(async () => {
  await net?.close();
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('a node whose RPC port is taken', () => {
  it('exits with an error that names the port, leaving its P2P port free', async () => {
    const rpcPort = Number(new URL(net.urls[0] as string).port);
    const squatter = await listen(rpcPort);
    try {
      const result = await runCli(['node', '--dir', net.nodeDir(0)], { timeoutMs: 30_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot listen for RPC on 127.0.0.1:${rpcPort}: is the port in use?`);
      expect(result.stderr).not.toMatch(/Database is not open|consensus driver failed/);
    } finally {
      await close(squatter);
    }
    // Its P2P listener was closed on the way out, so the port can be taken again at once.
    await close(await listen(net.p2pPorts[0] as number));
  });
});
