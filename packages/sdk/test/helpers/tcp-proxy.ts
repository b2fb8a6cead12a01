import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on loopback that a test controls: it forwards bytes both ways between whoever connects and a
 * fixed target, and can be cut (every relayed connection is reset and new ones are dropped at once) and
 * healed. Put one between every pair of nodes and a network partition is a matter of cutting the right ones.
 */
export interface TcpProxy {
  /** The port to connect to instead of the target. */
  readonly port: number;
  /** Connections accepted so far (cut or not). */
  readonly accepted: number;
  readonly isCut: boolean;
  /** Resets every relayed connection and refuses new ones until `heal`. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let isCut = false;
  const server = createServer((client) => {
    accepted++;
    client.on('error', () => {});
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => {});
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get isCut() {
      return isCut;
    },
    cut() {
      isCut = true;
      for (const [client, upstream] of pairs) {
        // A reset, not a polite FIN: what a broken link looks like to both ends.
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    heal() {
      isCut = false;
    },
    close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
