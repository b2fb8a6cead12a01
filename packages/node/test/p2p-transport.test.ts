import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { isWeftError } from '@weft/crypto/errors';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertifiedKey,
  createChainCa,
  createNodeCert,
  createOrgCert,
  nodeIdToHex,
} from '../src/p2p/ca.js';
import { encodeFrame, FRAME_VERSION, MessageType } from '../src/p2p/frame.js';
import {
  type CreateP2pNodeOptions,
  createP2pNode,
  type NodeIdHex,
  type P2pLogger,
  type P2pNode,
  type PeerAddress,
  type PenaltyEvent,
} from '../src/p2p/transport.js';

// Real sockets on loopback, ephemeral ports. No assertion looks at a clock: timeouts below only
// bound how long we wait for something that must happen.

const GOSSIP = { type: 16, name: 'test.gossip', maxPayloadBytes: 64 * 1024 };
const BLOCK = { type: 17, name: 'test.block', maxPayloadBytes: 256 * 1024 };

interface Identity {
  name: string;
  id: Uint8Array;
  hex: NodeIdHex;
  cert: CertifiedKey;
  orgPem: string;
}

let caPem: string;
let honest: Identity[] = [];
let foreign: Identity; // certified by another chain's CA
let intruder: Identity; // our CA, but never admitted

beforeAll(async () => {
  const ca = await createChainCa({ chainName: 'p2p-test' });
  caPem = ca.certPem;
  const orgA = await createOrgCert(ca, { orgName: 'Org A' });
  const orgB = await createOrgCert(ca, { orgName: 'Org B' });
  const issue = async (org: CertifiedKey, name: string): Promise<Identity> => {
    const id = Uint8Array.from(randomBytes(64));
    const cert = await createNodeCert(org, { nodeName: name, consensusPublicKey: id });
    return { name, id, hex: nodeIdToHex(id), cert, orgPem: org.certPem };
  };
  honest = [
    await issue(orgA, 'a'),
    await issue(orgA, 'b'),
    await issue(orgB, 'c'),
    await issue(orgB, 'd'),
    await issue(orgB, 'e'),
  ];
  intruder = await issue(orgB, 'intruder');
  const otherCa = await createChainCa({ chainName: 'another-chain' });
  foreign = await issue(await createOrgCert(otherCa, { orgName: 'Org A' }), 'foreign');
});

// ---- fixtures ---------------------------------------------------------------------------------

interface LogLine {
  level: 'debug' | 'info' | 'warn';
  message: string;
  fields: Record<string, unknown>;
}

interface TestNode {
  node: P2pNode;
  identity: Identity;
  logs: LogLine[];
  received: { from: NodeIdHex; type: number; payload: Uint8Array }[];
  penalties: PenaltyEvent[];
}

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function captureLogger(logs: LogLine[]): P2pLogger {
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logs.push({ level, message, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn') };
}

async function startNode(
  identity: Identity,
  options: Partial<CreateP2pNodeOptions> & { admitted?: Set<NodeIdHex> } = {},
  trustCaPem = caPem,
): Promise<TestNode> {
  const logs: LogLine[] = [];
  const admitted = options.admitted ?? new Set(honest.map((h) => h.hex));
  const node = await createP2pNode({
    listenHost: '127.0.0.1',
    listenPort: 0,
    tls: {
      certPem: identity.cert.certPem,
      keyPem: identity.cert.keyPem,
      caPem: trustCaPem,
      chainPem: identity.orgPem,
    },
    selfId: identity.id,
    isAdmitted: (id) => admitted.has(nodeIdToHex(id)),
    messageTypes: [GOSSIP, BLOCK],
    logger: captureLogger(logs),
    ...options,
    timeouts: { dialBackoffMinMs: 50, dialBackoffMaxMs: 500, ...options.timeouts },
  });
  cleanups.push(() => node.close());
  const test: TestNode = { node, identity, logs, received: [], penalties: [] };
  node.on('message', (from, type, payload) => test.received.push({ from, type, payload }));
  node.on('penalty', (event) => test.penalties.push(event));
  return test;
}

/** Polls until `condition` holds; fails the test with `what` if it never does. */
async function eventually(what: string, condition: () => boolean, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/** A raw TLS client holding a real certificate: the peer that misbehaves after authenticating. */
async function rawTlsPeer(identity: Identity, to: PeerAddress, trustCaPem = caPem): Promise<tls.TLSSocket> {
  const socket = tls.connect({
    host: to.host,
    port: to.port,
    cert: identity.cert.certPem + identity.orgPem,
    key: identity.cert.keyPem,
    ca: trustCaPem,
    minVersion: 'TLSv1.3',
    checkServerIdentity: () => undefined,
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('close', () => reject(new Error('raw TLS peer closed during handshake')));
  });
  cleanups.push(() => socket.destroy());
  return socket;
}

/** Resolves with the first bytes the node sends us: proof that it accepted our certificate. */
function firstData(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('close', () => reject(new Error('closed before any data')));
  });
}

// ---- tests ------------------------------------------------------------------------------------

describe('p2p transport', () => {
  it('connects three nodes that dial each other, keeps one connection per pair, and delivers messages', async () => {
    const [ia, ib, ic] = honest as [Identity, Identity, Identity];
    const a = await startNode(ia);
    const b = await startNode(ib, { peers: [a.node.address()] });
    // c dials both; a and b dial c back, so every pair has been dialled from both ends.
    const c = await startNode(ic, { peers: [a.node.address(), b.node.address()] });
    a.node.addPeerAddress(c.node.address());
    a.node.addPeerAddress(b.node.address());
    b.node.addPeerAddress(c.node.address());
    const all = [a, b, c];

    const meshIsConsistent = (): boolean =>
      all.every((x) =>
        all.every((y) => {
          if (x === y) return true;
          const xy = x.node.peers().find((p) => p.id === y.identity.hex);
          const yx = y.node.peers().find((p) => p.id === x.identity.hex);
          // Both ends hold the same single connection: one sees it outbound, the other inbound.
          return xy !== undefined && yx !== undefined && xy.direction !== yx.direction;
        }),
      );
    await eventually('a consistent full mesh', meshIsConsistent);
    for (const x of all) expect(x.node.peers()).toHaveLength(2);
    // The survivor of each pair is the connection dialled by the smaller node id.
    for (const x of all) {
      for (const peer of x.node.peers()) {
        const dialler = peer.direction === 'outbound' ? x.identity.hex : peer.id;
        expect(dialler).toBe([x.identity.hex, peer.id].sort()[0]);
      }
    }

    expect(a.node.send(ib.hex, GOSSIP.type, Uint8Array.of(1, 2, 3))).toBe(true);
    expect(c.node.send(ia.id, BLOCK.type, new Uint8Array(200_000).fill(9))).toBe(true);
    expect(b.node.broadcast(GOSSIP.type, Uint8Array.of(42))).toBe(2);
    expect(a.node.broadcast(GOSSIP.type, Uint8Array.of(7), { except: [ic.hex] })).toBe(1);

    await eventually('all messages delivered', () => a.received.length === 2 && b.received.length === 2);
    await eventually('c got b’s broadcast', () => c.received.length === 1);
    expect(b.received).toContainEqual({ from: ia.hex, type: GOSSIP.type, payload: Uint8Array.of(1, 2, 3) });
    expect(b.received).toContainEqual({ from: ia.hex, type: GOSSIP.type, payload: Uint8Array.of(7) });
    expect(a.received).toContainEqual({ from: ib.hex, type: GOSSIP.type, payload: Uint8Array.of(42) });
    const block = a.received.find((m) => m.type === BLOCK.type);
    expect(block?.from).toBe(ic.hex);
    expect(block?.payload).toEqual(new Uint8Array(200_000).fill(9));
    expect(c.received).toEqual([{ from: ib.hex, type: GOSSIP.type, payload: Uint8Array.of(42) }]);

    const info = a.node.peers().find((p) => p.id === ic.hex);
    expect(info?.bytesIn).toBeGreaterThan(200_000);
    expect(info?.messagesIn).toBeGreaterThanOrEqual(1);
    expect(info?.score).toBe(0);
    expect(a.logs.some((l) => l.message === 'p2p peer connected')).toBe(true);
  });

  it('refuses to send what the peer would reject, and reports an absent peer', async () => {
    const a = await startNode(honest[0] as Identity);
    expect(() => a.node.send((honest[1] as Identity).hex, 99, new Uint8Array(1))).toThrow(/registered/);
    expect(() => a.node.send((honest[1] as Identity).hex, MessageType.ping, new Uint8Array(1))).toThrow(
      /registered/,
    );
    expect(() => a.node.broadcast(GOSSIP.type, new Uint8Array(GOSSIP.maxPayloadBytes + 1))).toThrow(
      /too large/,
    );
    expect(a.node.send((honest[1] as Identity).hex, GOSSIP.type, new Uint8Array(1))).toBe(false);
    a.node.registerMessageType({ type: 99, name: 'late', maxPayloadBytes: 4 });
    expect(a.node.send((honest[1] as Identity).hex, 99, new Uint8Array(4))).toBe(false);
  });

  it('refuses a peer whose certificate comes from another CA, and keeps serving real peers', async () => {
    const [ia, ib] = honest as [Identity, Identity];
    const a = await startNode(ia);
    const b = await startNode(ib, { peers: [a.node.address()] });
    // The foreign node trusts its own CA and is (wrongly) on a's admission list: TLS must still refuse it.
    const admitted = new Set([...honest.map((h) => h.hex), foreign.hex]);
    const a2 = await startNode(ia, { admitted });
    const f = await startNode(foreign, { peers: [a2.node.address()], admitted }, caPem);
    await eventually('the handshake failure is logged', () =>
      a2.logs.some((l) => l.level === 'warn' && l.message === 'p2p TLS handshake failed'),
    );
    // And as a client: a2 dialling the foreign node rejects the server certificate it is shown.
    a2.node.addPeerAddress(f.node.address());
    await eventually('the outbound rejection is logged', () =>
      a2.logs.some((l) => l.message === 'p2p TLS handshake failed' && l.fields.direction === 'outbound'),
    );
    expect(a2.node.peers()).toHaveLength(0);
    expect(f.node.peers()).toHaveLength(0);
    await eventually('a and b still talk', () => a.node.peers().length === 1);
    b.node.send(ia.hex, GOSSIP.type, Uint8Array.of(1));
    await eventually('message after refusal', () => a.received.length === 1);
  });

  it('refuses a peer whose node id is not admitted, in both directions, and re-checks admission at runtime', async () => {
    const [ia, ib] = honest as [Identity, Identity];
    const admitted = new Set(honest.map((h) => h.hex));
    const a = await startNode(ia, { admitted });
    // The intruder has a genuine certificate of this chain and admits everyone, but a does not admit it.
    const intruderNode = await startNode(intruder, {
      peers: [a.node.address()],
      admitted: new Set([...honest.map((h) => h.hex), intruder.hex]),
    });
    await eventually('a logs the refusal', () =>
      a.logs.some(
        (l) => l.message === 'p2p connection refused' && l.fields.reason === 'peer node id is not admitted',
      ),
    );
    expect(a.node.peers()).toHaveLength(0);
    // The intruder never hears a's first frame, so it never considers a a peer either.
    expect(intruderNode.node.peers()).toHaveLength(0);

    // a dials a node that does not admit a: refused from the other side.
    const b = await startNode(ib, { admitted: new Set([ib.hex]) });
    a.node.addPeerAddress(b.node.address());
    await eventually('b logs the refusal', () =>
      b.logs.some((l) => l.message === 'p2p connection refused' && l.fields.id === ia.hex),
    );
    expect(a.node.peers()).toHaveLength(0);

    // Membership changes: b admits a, a's dialler gets through; then a stops admitting b.
    const b2 = await startNode(ib, { admitted });
    a.node.addPeerAddress(b2.node.address());
    await eventually('a and b2 connect', () => a.node.peers().length === 1 && b2.node.peers().length === 1);
    admitted.delete(ib.hex);
    expect(a.node.recheckAdmission()).toBe(1);
    await eventually('b2 is dropped', () => a.node.peers().length === 0 && b2.node.peers().length === 0);
  });

  it('survives plain-TCP garbage, HTTP, cert-less TLS, half-open and slowloris handshakes', async () => {
    const [ia, ib] = honest as [Identity, Identity];
    const a = await startNode(ia, { timeouts: { handshakeMs: 1000 } });
    const b = await startNode(ib, { peers: [a.node.address()] });
    await eventually('a and b connect', () => a.node.peers().length === 1);
    const { port } = a.node.address();

    const tcp = (): net.Socket => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      return socket;
    };
    const garbage = tcp();
    garbage.write(randomBytes(4096));
    const http = tcp();
    http.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const halfOpen = tcp(); // connects and says nothing
    const slowloris = tcp();
    const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), randomBytes(512)]);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < hello.length && !slowloris.destroyed) slowloris.write(hello.subarray(sent, ++sent));
    }, 20);
    cleanups.push(() => clearInterval(drip));
    const certless = tls.connect({
      host: '127.0.0.1',
      port,
      ca: caPem,
      checkServerIdentity: () => undefined,
    });
    certless.on('error', () => {});
    cleanups.push(() => certless.destroy());

    await Promise.all([closed(garbage), closed(http), closed(halfOpen), closed(slowloris), closed(certless)]);
    expect(a.logs.some((l) => l.message === 'p2p TLS handshake failed')).toBe(true);

    b.node.send(ia.hex, GOSSIP.type, Uint8Array.of(5));
    a.node.send(ib.hex, GOSSIP.type, Uint8Array.of(6));
    await eventually('real peers still talk', () => a.received.length === 1 && b.received.length === 1);
    expect(a.node.peers().map((p) => p.id)).toEqual([ib.hex]);
  });

  it('bans and disconnects an authenticated peer that sends an oversize frame, before reading it', async () => {
    const a = await startNode(honest[0] as Identity, { limits: { maxFrameBytes: 64 * 1024 } });
    const mallory = honest[3] as Identity; // admitted: the attack comes from inside the consortium
    const socket = await rawTlsPeer(mallory, a.node.address());
    await firstData(socket);
    const header = Buffer.alloc(6);
    header.writeUInt32BE(1024 * 1024, 0);
    header[4] = FRAME_VERSION;
    header[5] = BLOCK.type;
    socket.write(header);
    await closed(socket);
    expect(a.penalties).toContainEqual(
      expect.objectContaining({
        id: mallory.hex,
        severity: 'fatal',
        banned: true,
        reason: 'protocol violation: frame-too-large',
      }),
    );
    expect(a.node.bans().map((ban) => ban.id)).toEqual([mallory.hex]);
    expect(a.node.peers()).toHaveLength(0);
    // While banned, mallory cannot come back even with a valid certificate.
    const again = await rawTlsPeer(mallory, a.node.address());
    await expect(firstData(again)).rejects.toThrow(/closed/);
    expect(a.logs.some((l) => l.fields.reason === 'peer is banned')).toBe(true);
  });

  it('bans a peer that sends an unknown message type or frame version', async () => {
    const a = await startNode(honest[0] as Identity);
    for (const [identity, frame, reason] of [
      [honest[3], encodeFrame(77, Uint8Array.of(1)), 'unknown-type'],
      [honest[4], Uint8Array.from([0, 0, 0, 3, 9, GOSSIP.type, 1]), 'unsupported-version'],
    ] as const) {
      const socket = await rawTlsPeer(identity as Identity, a.node.address());
      await firstData(socket);
      socket.write(frame);
      await closed(socket);
      expect(a.penalties.at(-1)).toMatchObject({
        id: (identity as Identity).hex,
        reason: `protocol violation: ${reason}`,
      });
    }
    expect(a.node.bans()).toHaveLength(2);
  });

  it('drops messages over the rate limit, penalises, and bans a flooding peer', async () => {
    const [ia, ib] = honest as [Identity, Identity];
    const a = await startNode(ia, { limits: { messagesPerSecond: 20 } });
    const b = await startNode(ib, { peers: [a.node.address()] });
    await eventually('connected', () => a.node.peers().length === 1 && b.node.peers().length === 1);
    const disconnected = new Promise<string>((resolve) =>
      b.node.on('peer', (event) => {
        if (event.kind === 'disconnected') resolve(event.id);
      }),
    );
    for (let i = 0; i < 400; i++) b.node.send(ia.hex, GOSSIP.type, Uint8Array.of(i & 0xff));
    expect(await disconnected).toBe(ia.hex);
    expect(a.received.length).toBeLessThan(400);
    expect(a.penalties.filter((p) => p.reason === 'rate limit exceeded').length).toBeGreaterThan(50);
    expect(a.penalties.at(-1)).toMatchObject({ id: ib.hex, banned: true });
    expect(a.node.bans().map((ban) => ban.id)).toEqual([ib.hex]);
    // Every message delivered before the ban was in order and unaltered.
    a.received.forEach((m, i) => {
      expect(m.payload).toEqual(Uint8Array.of(i & 0xff));
    });
  });

  it('drops a peer that goes silent, and accepts penalties from the application', async () => {
    const a = await startNode(honest[0] as Identity, {
      timeouts: { pingIntervalMs: 200, idleTimeoutMs: 1500 },
    });
    const quiet = honest[1] as Identity;
    const socket = await rawTlsPeer(quiet, a.node.address());
    await firstData(socket);
    socket.write(encodeFrame(MessageType.ping, new Uint8Array(8))); // becomes a peer, then never answers
    await eventually('quiet peer established', () => a.node.peers().length === 1);
    a.node.penalise(quiet.hex, 'high', 'sent an invalid block');
    expect(a.node.peers()[0]?.score).toBeGreaterThanOrEqual(39);
    expect(a.node.bans()).toHaveLength(0);
    await closed(socket);
    await eventually('a logs the idle timeout', () =>
      a.logs.some((l) => l.message === 'p2p peer disconnected' && l.fields.reason === 'idle timeout'),
    );
    expect(a.node.peers()).toHaveLength(0);
    expect(() => a.node.penalise('not hex', 'low', 'x')).toThrow();
  });

  it('answers PING with PONG and rejects a node whose certificate is not its own', async () => {
    const a = await startNode(honest[0] as Identity);
    const socket = await rawTlsPeer(honest[1] as Identity, a.node.address());
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(encodeFrame(MessageType.ping, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)));
    const pong = Buffer.from(encodeFrame(MessageType.pong, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))).toString(
      'hex',
    );
    await eventually('pong received', () => Buffer.concat(chunks).toString('hex').includes(pong));

    const [ia, ib] = honest as [Identity, Identity];
    const error = await createP2pNode({
      listenHost: '127.0.0.1',
      listenPort: 0,
      tls: { certPem: ia.cert.certPem, keyPem: ia.cert.keyPem, caPem },
      selfId: ib.id,
      isAdmitted: () => true,
    }).catch((e: unknown) => e);
    expect(isWeftError(error, 'CONFIG_ERROR')).toBe(true);
  });

  it('refuses peers beyond maxPeers', async () => {
    const [ia, ib, ic] = honest as [Identity, Identity, Identity];
    const a = await startNode(ia, { limits: { maxPeers: 1 } });
    const b = await startNode(ib, { peers: [a.node.address()] });
    await eventually('b connected', () => a.node.peers().length === 1 && b.node.peers().length === 1);
    await startNode(ic, { peers: [a.node.address()] });
    await eventually('c refused', () => a.logs.some((l) => l.fields.reason === 'too many peers'));
    expect(a.node.peers().map((p) => p.id)).toEqual([ib.hex]);
  });

  it('skips its own address and closes cleanly with connections in flight', async () => {
    const a = await startNode(honest[0] as Identity);
    a.node.addPeerAddress(a.node.address());
    const half = net.connect(a.node.address());
    half.on('error', () => {});
    await new Promise((resolve) => half.once('connect', resolve));
    await eventually('self-dial recognised', () =>
      a.logs.some((l) => l.message === 'p2p dialled itself; address skipped'),
    );
    await a.node.close();
    await closed(half);
    expect(a.node.peers()).toHaveLength(0);
  });
});
