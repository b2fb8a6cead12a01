import { bytesToHex, hexToBytes, utf8ToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite, SuiteName } from '@weft/crypto/suite';

/**
 * The genesis file: what every node of a chain must agree on before block 0. `weft init` writes it;
 * every node parses it with `parseGenesis`, which rejects anything malformed with an error naming the
 * field. Integers are decimal strings (JSON numbers lose precision past 2^53), bytes are 0x-hex.
 */
export interface SystemSettings {
  /** Gas limit of a whole block. */
  readonly blockGasLimit: bigint;
  /** Gas limit of one transaction. */
  readonly txGasLimit: bigint;
  readonly maxTxsPerBlock: number;
  /** How long a sealer waits after the first pending transaction before sealing a block. */
  readonly sealIntervalMs: number;
  /** How far ahead of the chain a native transaction's blockLimit may be (the replay window). */
  readonly blockLimitWindow: number;
  readonly maxTxBytes: number;
  /** Pending transactions the pool keeps at most. */
  readonly txPoolLimit: number;
}

export const DEFAULT_SETTINGS: SystemSettings = {
  blockGasLimit: 3_000_000_000n,
  txGasLimit: 300_000_000n,
  maxTxsPerBlock: 1000,
  sealIntervalMs: 100,
  blockLimitWindow: 1000,
  maxTxBytes: 128 * 1024,
  txPoolLimit: 100_000,
};

export type NodeRole = 'sealer' | 'observer';

export interface GenesisNode {
  /** The node's 64-byte consensus public key. */
  readonly nodeId: Uint8Array;
  readonly org: string;
  readonly role: NodeRole;
}

export interface GenesisAccount {
  readonly address: Uint8Array;
  readonly balance: bigint;
  readonly nonce?: bigint;
  readonly code?: Uint8Array;
  readonly storage?: readonly [slot: Uint8Array, value: Uint8Array][];
}

/**
 * The governance committee (FISCO BCOS 3.x's committee): organisations' accounts with voting weights,
 * and the thresholds a proposal must meet. A genesis without one runs ungoverned: no system contracts,
 * settings fixed at their genesis values.
 */
export interface CommitteeMember {
  /** The member organisation's 20-byte account. */
  readonly address: Uint8Array;
  readonly weight: number;
}

export interface CommitteeConfig {
  readonly members: readonly CommitteeMember[];
  /** Percent (0–100) of the total weight that must vote before a proposal can pass. */
  readonly participationRate: number;
  /** Percent (1–100) of the voted weight that must vote for. */
  readonly approvalRate: number;
  /** Blocks a proposal stays open unless its proposer names another period. */
  readonly votingPeriod: number;
}

export const DEFAULT_COMMITTEE_RATES = {
  participationRate: 67,
  approvalRate: 67,
  votingPeriod: 10_000,
} as const;

export interface GenesisConfig {
  readonly chainId: bigint;
  readonly chainName: string;
  readonly suite: SuiteName;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: bigint;
  readonly nodes: readonly GenesisNode[];
  readonly settings: SystemSettings;
  readonly alloc: readonly GenesisAccount[];
  /** Absent in genesis files written before governance existed: such chains are ungoverned. */
  readonly committee?: CommitteeConfig;
}

function fail(field: string, expected: string): never {
  throw new WeftError('CONFIG_ERROR', `genesis: ${field} must be ${expected}`);
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'an object');
  return value as Record<string, unknown>;
}

function asBigint(value: unknown, field: string, max = 2n ** 256n - 1n): bigint {
  if (typeof value === 'bigint' && value >= 0n && value <= max) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value)) {
    fail(field, 'a non-negative integer (decimal or 0x-hex string)');
  }
  const n = BigInt(value);
  if (n > max) fail(field, `at most ${max}`);
  return n;
}

function asInt(value: unknown, field: string, min: number, max: number): number {
  const n = asBigint(value, field, BigInt(max));
  if (n < BigInt(min)) fail(field, `at least ${min}`);
  return Number(n);
}

function asBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) fail(field, '0x-prefixed hex');
  const bytes = hexToBytes(value);
  if (length !== undefined && bytes.length !== length) fail(field, `${length} bytes`);
  return bytes;
}

function asString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64 || !/^[\w.\- ]+$/.test(value)) {
    fail(field, 'a name of 1–64 letters, digits, spaces, dots, dashes or underscores');
  }
  return value;
}

export function parseSettings(value: unknown, field = 'settings'): SystemSettings {
  const o = value === undefined ? {} : asObject(value, field);
  const pick = <K extends keyof SystemSettings>(key: K) =>
    o[key] === undefined ? DEFAULT_SETTINGS[key] : o[key];
  const settings: SystemSettings = {
    blockGasLimit: asBigint(pick('blockGasLimit'), `${field}.blockGasLimit`, 2n ** 63n - 1n),
    txGasLimit: asBigint(pick('txGasLimit'), `${field}.txGasLimit`, 2n ** 63n - 1n),
    maxTxsPerBlock: asInt(pick('maxTxsPerBlock'), `${field}.maxTxsPerBlock`, 1, 100_000),
    sealIntervalMs: asInt(pick('sealIntervalMs'), `${field}.sealIntervalMs`, 1, 60_000),
    blockLimitWindow: asInt(pick('blockLimitWindow'), `${field}.blockLimitWindow`, 1, 100_000),
    maxTxBytes: asInt(pick('maxTxBytes'), `${field}.maxTxBytes`, 1024, 16 * 1024 * 1024),
    txPoolLimit: asInt(pick('txPoolLimit'), `${field}.txPoolLimit`, 1, 10_000_000),
  };
  if (settings.txGasLimit > settings.blockGasLimit) fail(`${field}.txGasLimit`, 'at most blockGasLimit');
  if (settings.txGasLimit < 21_000n) fail(`${field}.txGasLimit`, 'at least 21000');
  return settings;
}

export function parseCommittee(value: unknown, field = 'committee'): CommitteeConfig {
  const o = asObject(value, field);
  if (!Array.isArray(o.members) || o.members.length === 0 || o.members.length > 256) {
    fail(`${field}.members`, 'an array of 1–256 members');
  }
  const members = o.members.map((m, i) => {
    const member = asObject(m, `${field}.members[${i}]`);
    return {
      address: asBytes(member.address, `${field}.members[${i}].address`, 20),
      weight: asInt(member.weight ?? 1, `${field}.members[${i}].weight`, 1, 1_000_000),
    };
  });
  if (new Set(members.map((m) => bytesToHex(m.address))).size !== members.length) {
    fail(`${field}.members`, 'free of duplicate addresses');
  }
  const pick = (key: keyof typeof DEFAULT_COMMITTEE_RATES) => o[key] ?? DEFAULT_COMMITTEE_RATES[key];
  return {
    members,
    participationRate: asInt(pick('participationRate'), `${field}.participationRate`, 0, 100),
    approvalRate: asInt(pick('approvalRate'), `${field}.approvalRate`, 1, 100),
    votingPeriod: asInt(pick('votingPeriod'), `${field}.votingPeriod`, 1, 10_000_000),
  };
}

export function committeeToJson(c: CommitteeConfig): Record<string, unknown> {
  return {
    members: c.members.map((m) => ({ address: bytesToHex(m.address), weight: m.weight })),
    participationRate: c.participationRate,
    approvalRate: c.approvalRate,
    votingPeriod: c.votingPeriod,
  };
}

export function parseGenesis(json: unknown): GenesisConfig {
  const o = asObject(json, 'the genesis file');
  const suite = o.suite;
  if (suite !== 'ecdsa' && suite !== 'sm') fail('suite', "'ecdsa' or 'sm'");
  if (!Array.isArray(o.nodes) || o.nodes.length === 0) fail('nodes', 'a non-empty array');
  const nodes = o.nodes.map((n, i) => {
    const node = asObject(n, `nodes[${i}]`);
    const role: unknown = node.role ?? 'sealer';
    if (role !== 'sealer' && role !== 'observer') fail(`nodes[${i}].role`, "'sealer' or 'observer'");
    const parsed: GenesisNode = {
      nodeId: asBytes(node.nodeId, `nodes[${i}].nodeId`, 64),
      org: asString(node.org, `nodes[${i}].org`),
      role,
    };
    return parsed;
  });
  const ids = new Set(nodes.map((n) => bytesToHex(n.nodeId)));
  if (ids.size !== nodes.length) fail('nodes', 'free of duplicate node ids');
  if (!nodes.some((n) => n.role === 'sealer')) fail('nodes', 'a list with at least one sealer');
  const alloc = o.alloc === undefined ? [] : o.alloc;
  if (!Array.isArray(alloc)) fail('alloc', 'an array');
  return {
    chainId: asBigint(o.chainId, 'chainId', 2n ** 53n - 1n),
    chainName: asString(o.chainName, 'chainName'),
    suite,
    timestamp: asBigint(o.timestamp, 'timestamp', 2n ** 63n - 1n),
    nodes,
    settings: parseSettings(o.settings),
    alloc: alloc.map((a, i) => {
      const acc = asObject(a, `alloc[${i}]`);
      const storage = acc.storage === undefined ? undefined : asObject(acc.storage, `alloc[${i}].storage`);
      return {
        address: asBytes(acc.address, `alloc[${i}].address`, 20),
        balance: asBigint(acc.balance ?? '0', `alloc[${i}].balance`),
        ...(acc.nonce === undefined
          ? {}
          : { nonce: asBigint(acc.nonce, `alloc[${i}].nonce`, 2n ** 64n - 1n) }),
        ...(acc.code === undefined ? {} : { code: asBytes(acc.code, `alloc[${i}].code`) }),
        ...(storage === undefined
          ? {}
          : {
              storage: Object.entries(storage).map(
                ([k, v]) =>
                  [
                    asBytes(k, `alloc[${i}].storage key`, 32),
                    asBytes(v, `alloc[${i}].storage[${k}]`, 32),
                  ] as [Uint8Array, Uint8Array],
              ),
            }),
      };
    }),
    ...(o.committee === undefined ? {} : { committee: parseCommittee(o.committee) }),
  };
}

export function settingsToJson(s: SystemSettings): Record<string, string | number> {
  return {
    blockGasLimit: s.blockGasLimit.toString(),
    txGasLimit: s.txGasLimit.toString(),
    maxTxsPerBlock: s.maxTxsPerBlock,
    sealIntervalMs: s.sealIntervalMs,
    blockLimitWindow: s.blockLimitWindow,
    maxTxBytes: s.maxTxBytes,
    txPoolLimit: s.txPoolLimit,
  };
}

export function genesisToJson(g: GenesisConfig): Record<string, unknown> {
  return {
    chainId: g.chainId.toString(),
    chainName: g.chainName,
    suite: g.suite,
    timestamp: g.timestamp.toString(),
    nodes: g.nodes.map((n) => ({ nodeId: bytesToHex(n.nodeId), org: n.org, role: n.role })),
    settings: settingsToJson(g.settings),
    alloc: g.alloc.map((a) => ({
      address: bytesToHex(a.address),
      balance: a.balance.toString(),
      ...(a.nonce === undefined ? {} : { nonce: a.nonce.toString() }),
      ...(a.code === undefined ? {} : { code: bytesToHex(a.code) }),
      ...(a.storage === undefined
        ? {}
        : { storage: Object.fromEntries(a.storage.map(([k, v]) => [bytesToHex(k), bytesToHex(v)])) }),
    })),
    ...(g.committee === undefined ? {} : { committee: committeeToJson(g.committee) }),
  };
}

/** JSON with object keys sorted recursively: a byte-exact form of the genesis for hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash the genesis block carries in its extraData. */
export function genesisConfigHash(suite: CryptoSuite, genesis: GenesisConfig): Uint8Array {
  return suite.hash(utf8ToBytes(canonicalJson(genesisToJson(genesis))));
}
