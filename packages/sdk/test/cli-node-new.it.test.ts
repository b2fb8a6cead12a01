import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { verifyNodeCertChain } from '@weft/node/p2p/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/network.js';

/**
 * `weft node new`: a node directory for an organisation joining a running chain (no node is started here;
 * governance-membership.it.test.ts runs one). For a known organisation the node is certified by it; for a new
 * one the chain CA first certifies the organisation (chain CA → org → node, docs/p2p.md) and a committee
 * account is written for it, as `weft init` does for the founding organisations.
 */
const suite = getSuite('ecdsa');
let root: string;
let net: string;

interface NodeNewJson {
  name: string;
  dir: string;
  nodeId: string;
  org: string;
  rpcUrl: string;
  p2p: string;
  newOrganisation?: { org: string; address: string; keyFile: string };
}

async function nodeNew(org: string): Promise<NodeNewJson> {
  const r = await runCli(['node', 'new', '--network', net, '--org', org, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as NodeNewJson;
}

const read = (...path: string[]) => readFileSync(join(...path), 'utf8');
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** What a node of the network trusts: its node certificate chains to the chain CA through `orgCrt`. */
async function chainOf(node: NodeNewJson): Promise<string> {
  const id = await verifyNodeCertChain({
    certPem: read(node.dir, 'tls', 'node.crt'),
    orgCertPem: read(node.dir, 'tls', 'org.crt'),
    caCertPem: read(net, 'ca', 'ca.crt'),
  });
  return bytesToHex(id);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'weft-node-new-'));
  net = join(root, 'net');
  const init = await runCli([
    'init',
    '--dir',
    net,
    '--nodes',
    '2',
    '--rpc-port',
    '41000',
    '--p2p-port',
    '42000',
    '--json',
  ]);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('weft node new', () => {
  it('makes a node of a known organisation, certified by it, dialling the existing nodes', async () => {
    const node = await nodeNew('org0');
    expect(node).toMatchObject({ name: 'node2', dir: join(net, 'node2'), org: 'org0' });
    expect(node.newOrganisation).toBeUndefined();
    expect(await chainOf(node)).toBe(node.nodeId);
    expect(read(node.dir, 'tls', 'org.crt')).toBe(read(net, 'orgs', 'org0', 'org.crt'));
    const config = JSON.parse(read(node.dir, 'config.json')) as {
      rpc: { port: number };
      p2p: { port: number; peers: string[] };
    };
    expect(config.rpc.port).toBe(41002);
    expect(config.p2p).toMatchObject({ port: 42002, peers: ['127.0.0.1:42000', '127.0.0.1:42001'] });
    expect(read(node.dir, 'genesis.json')).toBe(read(net, 'genesis.json'));
    // The consensus key is the node id, kept private.
    const key = read(node.dir, 'node.key').trim();
    expect(bytesToHex(suite.publicKeyFromPrivate(hexToBytes(key)))).toBe(node.nodeId);
    expect(modeOf(join(node.dir, 'node.key'))).toBe(0o600);
  });

  it('certifies a new organisation with the chain CA and gives it a committee account', async () => {
    const node = await nodeNew('acme-bank');
    const orgDir = join(net, 'orgs', 'acme-bank');
    expect(node.newOrganisation).toEqual({
      org: 'acme-bank',
      address: node.newOrganisation?.address,
      keyFile: join(orgDir, 'account.key'),
    });
    expect(await chainOf(node)).toBe(node.nodeId);
    const orgCert = new X509Certificate(read(orgDir, 'org.crt'));
    expect(orgCert.subject).toMatch(/^O=acme-bank$/m);
    expect(orgCert.checkIssued(new X509Certificate(read(net, 'ca', 'ca.crt')))).toBe(true);
    expect(read(node.dir, 'tls', 'org.crt')).toBe(read(orgDir, 'org.crt'));
    // The account key belongs to the address printed and to account.json; secrets are 0600.
    const accountKey = hexToBytes(read(orgDir, 'account.key').trim());
    const address = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivate(accountKey)));
    expect(node.newOrganisation?.address).toBe(address);
    expect(JSON.parse(read(orgDir, 'account.json'))).toEqual({ org: 'acme-bank', address });
    expect(modeOf(join(orgDir, 'account.key'))).toBe(0o600);
    expect(modeOf(join(orgDir, 'org.key'))).toBe(0o600);
    // A second node of the now-known organisation is certified by the same organisation certificate.
    const second = await nodeNew('acme-bank');
    expect(second.newOrganisation).toBeUndefined();
    expect(read(second.dir, 'tls', 'org.crt')).toBe(read(orgDir, 'org.crt'));
  });

  it('refuses unsafe organisation names, and new organisations without the chain CA key, writing nothing', async () => {
    const before = readdirSync(net).sort();
    const orgsBefore = readdirSync(join(net, 'orgs')).sort();
    for (const bad of ['../escape', '.hidden', 'a/b', 'x'.repeat(65), '']) {
      const r = await runCli(['node', 'new', '--network', net, '--org', bad]);
      expect(r.code, bad).toBe(2);
    }
    renameSync(join(net, 'ca', 'ca.key'), join(root, 'ca.key'));
    try {
      const r = await runCli(['node', 'new', '--network', net, '--org', 'newco']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/newco is not an organisation of this network.*no ca\.key/);
    } finally {
      renameSync(join(root, 'ca.key'), join(net, 'ca', 'ca.key'));
    }
    expect(readdirSync(net).sort()).toEqual(before);
    expect(readdirSync(join(net, 'orgs')).sort()).toEqual(orgsBefore);
    expect(existsSync(join(root, 'escape'))).toBe(false);
  });
});
