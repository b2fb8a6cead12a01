import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { getSuite } from '@weft/crypto/suites';
import { createChainCa, createNodeCert, createOrgCert } from '@weft/node/p2p/ca';
import { encodeFrame, MessageType } from '@weft/node/p2p/frame';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainDifferences,
  headsOf,
  highest,
  lowest,
  peersOf,
  waitForHeights,
} from './helpers/chain-checks.js';
import { startTestNetwork, type TestNetwork } from './helpers/network.js';

/**
 * Fault test (issue 3, item 8): foreign bytes on the P2P port of a running 4-sealer network. Whatever
 * arrives — random bytes, an HTTP request, silence, a TLS client with no certificate, with one from another
 * CA, or with a certificate from this chain's own CA for a node that is not a member — the connection is
 * closed without a single application frame being exchanged (docs/p2p.md: TLS 1.3 with client
 * certificates, chain shape, admission), and the chain goes on committing with its peers untouched.
 */

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 4 });
});

afterAll(async () => {
  await net?.close();
});

interface ProbeResult {
  /** The node closed the connection before the probe gave up. */
  closedByNode: boolean;
  /** TLS only: the handshake completed on the client side. */
  handshook: boolean;
  /** Application bytes the node sent (TLS: decrypted payload; raw TCP: anything). */
  bytesReceived: number;
}

const PROBE_TIMEOUT_MS = 25_000;

/** Opens a plain TCP connection, writes `payload` (if any), and waits for the node to close it. */
function rawProbe(port: number, payload: Uint8Array | null): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let bytesReceived = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedByNode: false, handshook: false, bytesReceived });
    }, PROBE_TIMEOUT_MS);
    socket.on('data', (d: Buffer) => {
      bytesReceived += d.length;
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      if (payload) socket.write(payload);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByNode: true, handshook: false, bytesReceived });
    });
  });
}

/** A TLS 1.3 client (optionally with a certificate) that sends a valid weft PING once its handshake is done. */
function tlsProbe(port: number, identity: { cert: string; key: string } | null): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      ...(identity ?? {}),
    });
    let handshook = false;
    let bytesReceived = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedByNode: false, handshook, bytesReceived });
    }, PROBE_TIMEOUT_MS);
    socket.on('secureConnect', () => {
      handshook = true;
      // An accepted peer would answer this PING with a PONG (and send its own PING first).
      socket.write(encodeFrame(MessageType.ping, randomBytes(8)));
    });
    socket.on('data', (d: Buffer) => {
      bytesReceived += d.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByNode: true, handshook, bytesReceived });
    });
  });
}

describe('foreign bytes on the P2P port', () => {
  it('closes every stranger without a frame and keeps committing with its peers', async () => {
    await waitForHeights(net.urls, 1n, 60_000, 'the first block on all four nodes');
    const port = net.p2pPorts[0] as number;
    const before = highest(await headsOf(net.urls));

    // Identities: one from a foreign CA, and one this chain's CA issued for a node that is not a member.
    const foreignCa = await createChainCa({ chainName: 'elsewhere' });
    const foreignOrg = await createOrgCert(foreignCa, { orgName: 'intruders' });
    const stranger = getSuite('ecdsa').generateKeyPair().publicKey;
    const foreignNode = await createNodeCert(foreignOrg, {
      nodeName: 'intruder',
      consensusPublicKey: stranger,
    });
    const chainCa = {
      certPem: readFileSync(join(net.dir, 'net', 'ca', 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(net.dir, 'net', 'ca', 'ca.key'), 'utf8'),
    };
    const rogueOrg = await createOrgCert(chainCa, { orgName: 'rogue' });
    const rogueNode = await createNodeCert(rogueOrg, { nodeName: 'rogue', consensusPublicKey: stranger });

    const [random, http, silent, noCert, foreign, notAdmitted, ...flood] = await Promise.all([
      rawProbe(port, randomBytes(4096)),
      rawProbe(port, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: node\r\n\r\n')),
      rawProbe(port, null),
      tlsProbe(port, null),
      tlsProbe(port, { cert: `${foreignNode.certPem}${foreignOrg.certPem}`, key: foreignNode.keyPem }),
      tlsProbe(port, { cert: `${rogueNode.certPem}${rogueOrg.certPem}`, key: rogueNode.keyPem }),
      ...Array.from({ length: 20 }, () => rawProbe(port, randomBytes(64 + Math.floor(Math.random() * 2000)))),
    ]);
    for (const probe of [random, http, silent, ...flood]) expect(probe?.closedByNode).toBe(true);
    for (const probe of [noCert, foreign, notAdmitted]) {
      expect(probe?.closedByNode).toBe(true);
      expect(probe?.bytesReceived).toBe(0);
    }
    // The member-CA certificate passes TLS itself; the node id check refuses it right after.
    expect(notAdmitted?.handshook).toBe(true);
    expect(net.logs(0)).toMatch(/p2p connection refused .*reason=peer node id is not admitted/);
    expect(net.logs(0)).toMatch(/p2p TLS handshake failed/);

    // The chain went on: more blocks on all four, one chain, every node still meshed with the other three.
    await waitForHeights(net.urls, before + 2n, 30_000, 'blocks after the probes');
    expect(await chainDifferences(net.urls, lowest(await headsOf(net.urls)))).toEqual([]);
    for (const url of net.urls) expect(await peersOf(url)).toHaveLength(3);
  });
});
