import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type GenesisConfig, parseGenesis } from '@weft/core/genesis';
import { hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * A node directory, as `weft init` writes it and `weft node --dir` reads it:
 *
 *   config.json    this file's NodeConfig
 *   genesis.json   the chain's genesis (identical in every node directory)
 *   node.key       the node's consensus private key, hex (mode 0600)
 *   tls/           ca.crt, org.crt, node.crt, node.key: the node's TLS identity under the chain CA
 *   data/          the LevelDB database (created on first start)
 */
export interface PeerAddress {
  host: string;
  port: number;
}

export interface NodeConfig {
  name: string;
  rpc: { host: string; port: number };
  p2p: { host: string; port: number; peers: PeerAddress[] };
  dataDir: string;
  keyFile: string;
  genesisFile: string;
  tls: { ca: string; org: string; cert: string; key: string };
}

function fail(file: string, field: string, expected: string): never {
  throw new WeftError('CONFIG_ERROR', `${file}: ${field} must be ${expected}`);
}

function port(file: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
    fail(file, field, 'a port number 0–65535');
  return v;
}

function host(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 255)
    fail(file, field, 'a host name or IP address');
  return v;
}

function str(file: string, field: string, v: unknown, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v.length === 0) fail(file, field, 'a non-empty string');
  return v;
}

export function parsePeerAddress(text: string): PeerAddress {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  if (!match)
    throw new WeftError('CONFIG_ERROR', `peer address '${text.slice(0, 64)}' must look like host:port`);
  return { host: match[1] as string, port: port('peer', 'port', Number(match[2])) };
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WeftError(
      'CONFIG_ERROR',
      `cannot read ${path}: does the directory hold a node? (create one with 'weft init')`,
      { cause },
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new WeftError('CONFIG_ERROR', `${path} is not valid JSON`, { cause });
  }
}

export function parseNodeConfig(json: unknown, file = 'config.json'): NodeConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(file, 'the file', 'a JSON object');
  const o = json as Record<string, unknown>;
  const rpc = (o.rpc ?? {}) as Record<string, unknown>;
  const p2p = (o.p2p ?? {}) as Record<string, unknown>;
  const tls = (o.tls ?? {}) as Record<string, unknown>;
  const peers = p2p.peers ?? [];
  if (!Array.isArray(peers)) fail(file, 'p2p.peers', 'an array of "host:port" strings');
  return {
    name: str(file, 'name', o.name, 'node'),
    rpc: {
      host: host(file, 'rpc.host', rpc.host ?? '127.0.0.1'),
      port: port(file, 'rpc.port', rpc.port ?? 8545),
    },
    p2p: {
      host: host(file, 'p2p.host', p2p.host ?? '127.0.0.1'),
      port: port(file, 'p2p.port', p2p.port ?? 30300),
      peers: peers.map((p) => {
        if (typeof p !== 'string') fail(file, 'p2p.peers[]', 'a "host:port" string');
        return parsePeerAddress(p);
      }),
    },
    dataDir: str(file, 'dataDir', o.dataDir, 'data'),
    keyFile: str(file, 'keyFile', o.keyFile, 'node.key'),
    genesisFile: str(file, 'genesisFile', o.genesisFile, 'genesis.json'),
    tls: {
      ca: str(file, 'tls.ca', tls.ca, 'tls/ca.crt'),
      org: str(file, 'tls.org', tls.org, 'tls/org.crt'),
      cert: str(file, 'tls.cert', tls.cert, 'tls/node.crt'),
      key: str(file, 'tls.key', tls.key, 'tls/node.key'),
    },
  };
}

export interface LoadedNodeDir {
  dir: string;
  config: NodeConfig;
  genesis: GenesisConfig;
  privateKey: Uint8Array;
  resolve(path: string): string;
}

export function loadNodeDir(dir: string): LoadedNodeDir {
  const resolve = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const config = parseNodeConfig(readJsonFile(join(dir, 'config.json')), join(dir, 'config.json'));
  const genesis = parseGenesis(readJsonFile(resolve(config.genesisFile)));
  let keyText: string;
  try {
    keyText = readFileSync(resolve(config.keyFile), 'utf8').trim();
  } catch (cause) {
    throw new WeftError('CONFIG_ERROR', `cannot read the node key ${resolve(config.keyFile)}`, { cause });
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(keyText)) {
    // Never echo the file's content: it is a secret.
    throw new WeftError('CONFIG_ERROR', `${resolve(config.keyFile)} must hold a 32-byte hex private key`);
  }
  return { dir, config, genesis, privateKey: hexToBytes(keyText), resolve };
}
