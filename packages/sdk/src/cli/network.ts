import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_COMMITTEE_RATES,
  DEFAULT_SETTINGS,
  type GenesisConfig,
  genesisToJson,
} from '@weft/core/genesis';
import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite, KeyPair, SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import type { CertifiedKey } from '@weft/node/p2p/ca';
import { createClient } from '../client.js';
import { createOutput, type Output, usageError } from './io.js';

export interface InitOptions {
  dir: string;
  nodes: number;
  /** How many of the last nodes follow the chain as observers (serve RPC, never vote). */
  observers: number;
  crypto: SuiteName;
  chainId: bigint;
  rpcPort: number;
  p2pPort: number;
  host: string;
}

export interface InitResult {
  dir: string;
  chainId: string;
  suite: SuiteName;
  nodes: { name: string; dir: string; nodeId: string; rpcUrl: string; p2p: string }[];
  /** The governance committee: one account per organisation, its key in orgs/<org>/account.key. */
  committee: { org: string; address: string; keyFile: string }[];
}

export function parseIntFlag(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw usageError(`--${name} must be a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw usageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

export function initOptionsFromFlags(
  flags: Record<string, string | boolean | undefined>,
  defaultDir: string,
): InitOptions {
  const crypto = (flags.crypto as string | undefined) ?? 'ecdsa';
  if (crypto !== 'ecdsa' && crypto !== 'sm') throw usageError("--crypto must be 'ecdsa' or 'sm'");
  const chainIdText = (flags['chain-id'] as string | undefined) ?? '20200';
  if (!/^[1-9]\d{0,15}$/.test(chainIdText)) throw usageError('--chain-id must be a positive whole number');
  const nodes = parseIntFlag(flags.nodes as string | undefined, 'nodes', 1, 64, 4);
  const observers = parseIntFlag(flags.observers as string | undefined, 'observers', 0, nodes - 1, 0);
  const rpcPort = parseIntFlag(flags['rpc-port'] as string | undefined, 'rpc-port', 1, 65535 - nodes, 8545);
  const p2pPort = parseIntFlag(flags['p2p-port'] as string | undefined, 'p2p-port', 1, 65535 - nodes, 30300);
  return {
    dir: resolve((flags.dir as string | undefined) ?? defaultDir),
    nodes,
    observers,
    crypto,
    chainId: BigInt(chainIdText),
    rpcPort,
    p2pPort,
    host: (flags.host as string | undefined) ?? '127.0.0.1',
  };
}

// Issuing certificates loads @peculiar/x509 (≈ 0.1 s); `weft node` never issues any, so it never loads it.
const certificateAuthority = () => import('@weft/node/p2p/ca');

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * `orgs/<org>/`: the organisation's certificate, issued by the chain CA (chain CA → org → node), and its
 * governance committee account (docs/governance.md, "Genesis"): `account.key` (hex, 0600) and `account.json`.
 */
async function writeOrganisation(
  orgDir: string,
  ca: CertifiedKey,
  name: string,
  suite: CryptoSuite,
  account: KeyPair,
): Promise<{ org: CertifiedKey; member: InitResult['committee'][number] }> {
  mkdirSync(orgDir, { recursive: true });
  const { createOrgCert } = await certificateAuthority();
  const org = await createOrgCert(ca, { orgName: name });
  writeFileSync(join(orgDir, 'org.crt'), org.certPem);
  writeSecret(join(orgDir, 'org.key'), org.keyPem);
  const address = bytesToHex(suite.addressFromPublicKey(account.publicKey));
  writeSecret(join(orgDir, 'account.key'), `${bytesToHex(account.privateKey)}\n`);
  writeFileSync(join(orgDir, 'account.json'), `${JSON.stringify({ org: name, address })}\n`);
  return { org, member: { org: name, address, keyFile: join(orgDir, 'account.key') } };
}

/**
 * Writes a network: the chain CA, one organisation and one node per index (chain CA → org → node),
 * a genesis listing every node as a sealer, and per node a self-contained directory that can be
 * shipped to the organisation that runs it.
 */
export async function initNetwork(opts: InitOptions, out: Output): Promise<InitResult> {
  if (existsSync(opts.dir) && readdirSync(opts.dir).length > 0) {
    throw usageError(`${opts.dir} is not empty: choose another --dir or remove it first`);
  }
  const suite = getSuite(opts.crypto);
  mkdirSync(join(opts.dir, 'ca'), { recursive: true });
  out.info(`Creating a ${opts.nodes}-node '${opts.crypto}' network in ${opts.dir}`);
  const { createChainCa, createNodeCert } = await certificateAuthority();
  const ca = await createChainCa({ chainName: `weft-${opts.chainId}` });
  writeFileSync(join(opts.dir, 'ca', 'ca.crt'), ca.certPem);
  writeSecret(join(opts.dir, 'ca', 'ca.key'), ca.keyPem);

  const nodes: InitResult['nodes'] = [];
  const committee: InitResult['committee'] = [];
  const keys: { privateKey: Uint8Array; publicKey: Uint8Array }[] = [];
  for (let i = 0; i < opts.nodes; i++) keys.push(suite.generateKeyPair());
  // Each organisation's committee account (docs/governance.md); separate from its nodes' consensus keys.
  const orgAccounts = keys.map(() => suite.generateKeyPair());
  const genesis: GenesisConfig = {
    chainId: opts.chainId,
    chainName: `weft-${opts.chainId}`,
    suite: opts.crypto,
    timestamp: BigInt(Date.now()),
    nodes: keys.map((k, i) => ({
      nodeId: k.publicKey,
      org: `org${i}`,
      role: i < opts.nodes - opts.observers ? ('sealer' as const) : ('observer' as const),
    })),
    settings: DEFAULT_SETTINGS,
    alloc: [],
    committee: {
      members: orgAccounts.map((k) => ({ address: suite.addressFromPublicKey(k.publicKey), weight: 1 })),
      ...DEFAULT_COMMITTEE_RATES,
    },
  };
  const genesisJson = `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`;
  writeFileSync(join(opts.dir, 'genesis.json'), genesisJson);
  for (let i = 0; i < opts.nodes; i++) {
    const key = keys[i] as (typeof keys)[number];
    const name = `node${i}`;
    const nodeDir = join(opts.dir, name);
    const orgDir = join(opts.dir, 'orgs', `org${i}`);
    mkdirSync(join(nodeDir, 'tls'), { recursive: true });
    const { org, member } = await writeOrganisation(
      orgDir,
      ca,
      `org${i}`,
      suite,
      orgAccounts[i] as (typeof orgAccounts)[number],
    );
    committee.push(member);
    const nodeCert = await createNodeCert(org, { nodeName: name, consensusPublicKey: key.publicKey });
    writeFileSync(join(nodeDir, 'tls', 'ca.crt'), ca.certPem);
    writeFileSync(join(nodeDir, 'tls', 'org.crt'), org.certPem);
    writeFileSync(join(nodeDir, 'tls', 'node.crt'), nodeCert.certPem);
    writeSecret(join(nodeDir, 'tls', 'node.key'), nodeCert.keyPem);
    writeSecret(join(nodeDir, 'node.key'), `${bytesToHex(key.privateKey)}\n`);
    writeFileSync(join(nodeDir, 'genesis.json'), genesisJson);
    const peers = keys.map((_, j) => `${opts.host}:${opts.p2pPort + j}`).filter((_, j) => j !== i);
    const config = {
      name,
      rpc: { host: opts.host, port: opts.rpcPort + i },
      p2p: { host: opts.host, port: opts.p2pPort + i, peers },
      dataDir: 'data',
      keyFile: 'node.key',
      genesisFile: 'genesis.json',
      tls: { ca: 'tls/ca.crt', org: 'tls/org.crt', cert: 'tls/node.crt', key: 'tls/node.key' },
    };
    writeFileSync(join(nodeDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    nodes.push({
      name,
      dir: nodeDir,
      nodeId: bytesToHex(key.publicKey),
      rpcUrl: `http://${opts.host}:${opts.rpcPort + i}`,
      p2p: `${opts.host}:${opts.p2pPort + i}`,
    });
  }
  return { dir: opts.dir, chainId: opts.chainId.toString(), suite: opts.crypto, nodes, committee };
}

export async function cmdInit(
  flags: Record<string, string | boolean | undefined>,
  json: boolean,
): Promise<void> {
  const out = createOutput(json);
  const result = await initNetwork(initOptionsFromFlags(flags, 'weft-network'), out);
  out.result(result, () =>
    [
      `Network written to ${result.dir} (chain id ${result.chainId}, crypto ${result.suite})`,
      ...result.nodes.map((n) => `  ${n.name}: rpc ${n.rpcUrl}  p2p ${n.p2p}  dir ${n.dir}`),
      `Committee: ${result.committee.map((c) => `${c.org} ${c.address}`).join(', ')}`,
      `  (vote as an organisation with: weft gov vote ID yes --key-file ${result.committee[0]?.keyFile ?? ''})`,
      `Run one node with: weft node --dir ${result.nodes[0]?.dir ?? ''}`,
      `Run them all with: weft up --dir ${result.dir}`,
    ].join('\n'),
  );
}

export async function cmdNode(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const dir = flags.dir;
  if (typeof dir !== 'string') throw usageError('weft node needs --dir <node directory> (made by weft init)');
  const { startNode } = await import('@weft/node/node');
  const node = await startNode({
    dir: resolve(dir),
    ...(typeof flags['log-level'] === 'string' ? { logLevel: flags['log-level'] as 'info' } : {}),
    logJson: flags['log-json'] === true,
  });
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      node.log('info', 'stopping', { signal });
      node.close().then(done, (error: unknown) => {
        node.log('error', 'clean stop failed', { error: String(error) });
        process.exitCode = 1;
        done();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

const CLI_PATH = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));

/** Runs every node of a network as child processes; initialises the directory first if it is empty. */
export async function cmdUp(
  flags: Record<string, string | boolean | undefined>,
  json: boolean,
): Promise<void> {
  const out = createOutput(json);
  const opts = initOptionsFromFlags(flags, 'weft-network');
  const nodeDirs = () =>
    existsSync(opts.dir)
      ? readdirSync(opts.dir)
          .filter((d) => /^node\d+$/.test(d))
          .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
      : [];
  if (nodeDirs().length === 0) await initNetwork(opts, out);
  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    out.info(`Stopping ${children.length} nodes…`);
    for (const child of children) child.kill(signal === 'SIGINT' ? 'SIGTERM' : signal);
  };
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  const exits: Promise<number>[] = [];
  for (const name of nodeDirs()) {
    const child = spawn(process.execPath, [CLI_PATH, 'node', '--dir', join(opts.dir, name)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    exits.push(
      new Promise((done) =>
        child.once('exit', (code) => {
          if (!stopping) {
            out.info(`${name} exited with code ${code}; stopping the network`);
            stopAll('SIGTERM');
          }
          done(code ?? 1);
        }),
      ),
    );
  }
  const { parseNodeConfig, readJsonFile } = await import('@weft/node/config');
  const urls = nodeDirs().map((name) => {
    const config = parseNodeConfig(readJsonFile(join(opts.dir, name, 'config.json')));
    return {
      name,
      rpcUrl: `http://${config.rpc.host}:${config.rpc.port}`,
      wsUrl: `ws://${config.rpc.host}:${config.rpc.port}`,
    };
  });
  // Wait until every node answers before announcing the URLs.
  const deadline = Date.now() + 60_000;
  for (const u of urls) {
    for (;;) {
      if (stopping) break;
      try {
        await createClient(u.rpcUrl, { timeoutMs: 2000 }).blockNumber();
        break;
      } catch {
        if (Date.now() > deadline)
          throw new WeftError('TIMEOUT', `${u.name} did not start within 60 s; see its log above`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  if (!stopping) {
    out.result({ dir: opts.dir, nodes: urls }, () =>
      [
        `weft network up (${urls.length} nodes, ${opts.dir}); Ctrl-C stops it`,
        ...urls.map((u) => `  ${u.name}  ${u.rpcUrl}  ${u.wsUrl}`),
      ].join('\n'),
    );
  }
  const codes = await Promise.all(exits);
  if (codes.some((c) => c !== 0) && !stopping) process.exitCode = 1;
}

/**
 * `weft node new --network D --org ORG`: a node directory for an organisation that joins a running chain.
 * The node gets a fresh consensus key and a TLS certificate signed by its organisation (chain CA → org →
 * node); it can start at once, but peers refuse it until the committee admits its node id
 * (`weft node add NODE_ID`), after which it syncs as an observer and can be promoted to sealer.
 * An organisation the network does not know yet is created first — its certificate issued by the chain CA
 * in `D/ca` (so this runs where the CA key is kept, as `weft init` did) and a committee account that the
 * committee may vote in with `weft gov propose member ADDRESS WEIGHT`.
 */
export async function cmdNodeNew(
  flags: Record<string, string | boolean | undefined>,
  json: boolean,
): Promise<void> {
  const out = createOutput(json);
  const network = flags.network;
  const org = flags.org;
  if (typeof network !== 'string' || typeof org !== 'string') {
    throw usageError(
      'usage: weft node new --network D --org ORG [--name NAME] [--rpc-port P] [--p2p-port P]',
    );
  }
  const dir = resolve(network);
  const { parseNodeConfig, readJsonFile } = await import('@weft/node/config');
  const { parseGenesis } = await import('@weft/core/genesis');
  const genesisText = readFileSync(join(dir, 'genesis.json'), 'utf8');
  const genesis = parseGenesis(JSON.parse(genesisText));
  // The name becomes a directory and a certificate subject: no path separators, at most 64 characters
  // (RFC 5280 appendix A.1, ub-organization-name).
  if (!/^[\w-][\w.-]{0,63}$/.test(org))
    throw usageError(
      '--org must be 1-64 letters, digits, dots, dashes or underscores, not starting with a dot',
    );
  const orgDir = join(dir, 'orgs', org);
  const isNewOrg = !existsSync(join(orgDir, 'org.key'));
  if (isNewOrg && (existsSync(orgDir) || !existsSync(join(dir, 'ca', 'ca.key')))) {
    throw usageError(
      existsSync(orgDir)
        ? `${orgDir} has no org.key: put the organisation's org.crt and org.key there`
        : `${org} is not an organisation of this network, and ${join(dir, 'ca')} has no ca.key to certify it: run this where the chain CA is kept`,
    );
  }
  const existing = readdirSync(dir).filter(
    (d) => /^node\d+$/.test(d) && existsSync(join(dir, d, 'config.json')),
  );
  const configs = existing.map((d) => parseNodeConfig(readJsonFile(join(dir, d, 'config.json'))));
  const nextIndex = existing.reduce((m, d) => Math.max(m, Number(d.slice(4)) + 1), 0);
  const name = typeof flags.name === 'string' ? flags.name : `node${nextIndex}`;
  if (!/^[\w.-]{1,64}$/.test(name))
    throw usageError('--name must be letters, digits, dots, dashes or underscores');
  const nodeDir = join(dir, name);
  if (existsSync(nodeDir)) throw usageError(`${nodeDir} exists already`);
  const host = (flags.host as string | undefined) ?? '127.0.0.1';
  const rpcPort = parseIntFlag(
    flags['rpc-port'] as string | undefined,
    'rpc-port',
    1,
    65535,
    Math.max(...configs.map((c) => c.rpc.port), 8544) + 1,
  );
  const p2pPort = parseIntFlag(
    flags['p2p-port'] as string | undefined,
    'p2p-port',
    1,
    65535,
    Math.max(...configs.map((c) => c.p2p.port), 30299) + 1,
  );
  const suite = getSuite(genesis.suite);
  const key = suite.generateKeyPair();
  let member: InitResult['committee'][number] | undefined;
  let orgCert: CertifiedKey;
  if (isNewOrg) {
    const ca = {
      certPem: readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'ca', 'ca.key'), 'utf8'),
    };
    ({ org: orgCert, member } = await writeOrganisation(orgDir, ca, org, suite, suite.generateKeyPair()));
    out.info(`New organisation ${org}: certificate from the chain CA in ${orgDir}`);
  } else {
    orgCert = {
      certPem: readFileSync(join(orgDir, 'org.crt'), 'utf8'),
      keyPem: readFileSync(join(orgDir, 'org.key'), 'utf8'),
    };
  }
  const { createNodeCert } = await certificateAuthority();
  const nodeCert = await createNodeCert(orgCert, { nodeName: name, consensusPublicKey: key.publicKey });
  mkdirSync(join(nodeDir, 'tls'), { recursive: true });
  writeFileSync(join(nodeDir, 'tls', 'ca.crt'), readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8'));
  writeFileSync(join(nodeDir, 'tls', 'org.crt'), orgCert.certPem);
  writeFileSync(join(nodeDir, 'tls', 'node.crt'), nodeCert.certPem);
  writeSecret(join(nodeDir, 'tls', 'node.key'), nodeCert.keyPem);
  writeSecret(join(nodeDir, 'node.key'), `${bytesToHex(key.privateKey)}\n`);
  writeFileSync(join(nodeDir, 'genesis.json'), genesisText);
  const config = {
    name,
    rpc: { host, port: rpcPort },
    p2p: { host, port: p2pPort, peers: configs.map((c) => `${c.p2p.host}:${c.p2p.port}`) },
    dataDir: 'data',
    keyFile: 'node.key',
    genesisFile: 'genesis.json',
    tls: { ca: 'tls/ca.crt', org: 'tls/org.crt', cert: 'tls/node.crt', key: 'tls/node.key' },
  };
  writeFileSync(join(nodeDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const nodeId = bytesToHex(key.publicKey);
  out.result(
    {
      name,
      dir: nodeDir,
      nodeId,
      org,
      rpcUrl: `http://${host}:${rpcPort}`,
      p2p: `${host}:${p2pPort}`,
      ...(member ? { newOrganisation: member } : {}),
    },
    () =>
      [
        `New node ${name} for ${org} in ${nodeDir}`,
        `  node id ${nodeId}`,
        `Admit it:  weft node add ${nodeId} --role observer --org ${org} (then vote), and start it with`,
        `           weft node --dir ${nodeDir}`,
        'Existing nodes reach it once admitted; add its address to their config.json p2p.peers to dial it too.',
        ...(member
          ? [
              `${org}'s committee account is ${member.address} (key in ${member.keyFile});`,
              `  to give ${org} a vote: weft gov propose member ${member.address} 1 (then vote)`,
            ]
          : []),
      ].join('\n'),
  );
}
