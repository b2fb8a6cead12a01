import type { GenesisConfig, NodeRole, SystemSettings } from '@weft/core/genesis';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { type AbiItem, type AbiValue, decodeParameters, encodeFunctionCall, findAbiItem } from './abi.js';
import {
  COMMITTEE,
  ISSUER_REGISTRY,
  NODE_REGISTRY,
  PERMISSIONS,
  SYSTEM_CONFIG,
} from './contracts.generated.js';
import {
  isSystemContractAddress,
  SETTING_KEYS,
  type SettingKey,
  settingKeyToBytes32,
} from './genesis-alloc.js';

/**
 * What the node needs to know of governance, read from the system contracts' state at block boundaries.
 *
 * The reader keeps one snapshot of that state, taken after the last committed block that touched a
 * system contract (`refresh`), and answers every question synchronously from it: the pool asks for
 * each transaction, block building and checking for each transaction, consensus for the sealers of a
 * height. Every node takes its snapshot from the same committed state, so every node applies the same
 * rules to block N + 1: a change made in block N applies from block N + 1 everywhere.
 *
 * A chain whose genesis has no committee is ungoverned: settings and membership are the genesis ones and
 * nothing is refused.
 */
export interface Membership {
  /** 64-byte consensus public keys, in the order they were first added. */
  readonly sealers: readonly Uint8Array[];
  readonly observers: readonly Uint8Array[];
}

export interface NodeRoleChange {
  readonly nodeId: Uint8Array;
  readonly org: string;
  readonly role: NodeRole | 'none';
  /** First block the role applies to. */
  readonly height: bigint;
}

export interface SettingEntry {
  readonly value: bigint;
  readonly since: bigint;
  readonly previous: bigint;
}

export interface MethodRule {
  readonly target: string;
  /** 4-byte selector, 0x-hex; 0x00000000 stands for calls without a selector. */
  readonly selector: string;
  readonly mode: 'allow-list' | 'deny-list';
}

export interface GovernanceSnapshot {
  readonly committee: {
    readonly members: readonly { address: string; weight: bigint }[];
    readonly totalWeight: bigint;
    readonly participationRate: bigint;
    readonly approvalRate: bigint;
    readonly votingPeriod: bigint;
  };
  readonly settings: ReadonlyMap<SettingKey, SettingEntry>;
  readonly nodeChanges: readonly NodeRoleChange[];
  readonly deployMode: 'open' | 'allow-list';
  /** Lowercase 0x-hex addresses. */
  readonly deployers: ReadonlySet<string>;
  readonly frozenAccounts: ReadonlySet<string>;
  readonly frozenContracts: ReadonlySet<string>;
  readonly rules: readonly MethodRule[];
  /** `${target}:${selector}:${account}` of every listed account. */
  readonly access: ReadonlySet<string>;
  readonly issuers: readonly { account: string; name: string; since: bigint }[];
}

/** Runs a read-only call against the committed state and returns its output (reverts throw). */
export type SystemCall = (to: Uint8Array, data: Uint8Array) => Promise<Uint8Array>;

export interface GovernedTransaction {
  readonly sender: Uint8Array;
  readonly to: Uint8Array | null;
  readonly data: Uint8Array;
}

export interface GovernanceReader {
  /** False for a chain without a committee in its genesis. */
  readonly enabled: boolean;
  /** Reads the system contracts again (call after committing a block that touched them). */
  refresh(): Promise<void>;
  /** True when a committed block may have changed governance state: it has a log of a system contract. */
  isTouchedBy(
    txs: readonly { readonly to: Uint8Array | null }[],
    receipts: readonly { readonly logs: readonly { readonly address: Uint8Array }[] }[],
  ): boolean;
  /** The settings of block `height`; exact for the next block and, after a change, for the blocks since. */
  settingsAt(height: bigint): SystemSettings;
  /** The sealers and observers of block `height` (any height: the registry keeps the whole history). */
  membershipAt(height: bigint): Membership;
  senderRefusal(sender: Uint8Array): string | null;
  canDeploy(account: Uint8Array): boolean;
  callAllowed(from: Uint8Array, to: Uint8Array, selector: Uint8Array): boolean;
  isIssuer(account: Uint8Array): boolean;
  /** Why the transaction may not be in the next block (SENDER_NOT_ALLOWED), or null. */
  txRefusal(tx: GovernedTransaction): WeftError | null;
  /** The whole snapshot (for RPC); null for an ungoverned chain. */
  snapshot(): GovernanceSnapshot | null;
}

export interface GovernanceReaderOptions {
  genesis: GenesisConfig;
  call: SystemCall;
}

const NO_SELECTOR = new Uint8Array(4);
const ROLE_NAMES: readonly (NodeRole | 'none')[] = ['none', 'observer', 'sealer'];

/** Calls a view of a system contract and decodes its outputs. */
export async function callSystemView(
  call: SystemCall,
  contract: { readonly address: string; readonly abi: readonly AbiItem[] },
  name: string,
  args: readonly unknown[] = [],
): Promise<AbiValue[]> {
  const fn = findAbiItem(contract.abi, 'function', name);
  const output = await call(hexToBytes(contract.address), encodeFunctionCall(fn, args));
  return decodeParameters(fn.outputs ?? [], output);
}

type Row = Record<string, AbiValue>;

/**
 * One call after another: they then reuse one idle call engine instead of each building its own EVM
 * (bench/governance.js: a refresh took 12 ms in parallel, 7–10 ms in order).
 */
async function inOrder<T>(thunks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const thunk of thunks) out.push(await thunk());
  return out;
}

async function readSnapshot(call: SystemCall): Promise<GovernanceSnapshot> {
  const view = (contract: Parameters<typeof callSystemView>[1], name: string) =>
    callSystemView(call, contract, name);
  const results = await inOrder([
    () => view(COMMITTEE, 'members'),
    () => view(COMMITTEE, 'participationRate'),
    () => view(COMMITTEE, 'approvalRate'),
    () => view(COMMITTEE, 'votingPeriod'),
    () => view(COMMITTEE, 'totalWeight'),
    () => view(SYSTEM_CONFIG, 'all'),
    () => view(NODE_REGISTRY, 'getChanges'),
    () => view(PERMISSIONS, 'deployMode'),
    () => view(PERMISSIONS, 'deployers'),
    () => view(PERMISSIONS, 'frozenAccounts'),
    () => view(PERMISSIONS, 'frozenContracts'),
    () => view(PERMISSIONS, 'rules'),
    () => view(PERMISSIONS, 'accessEntries'),
    () => view(ISSUER_REGISTRY, 'issuers'),
  ]);
  const at = (i: number) => results[i] as AbiValue[];
  const [accounts, weights] = at(0);
  const [participationRate] = at(1);
  const [approvalRate] = at(2);
  const [votingPeriod] = at(3);
  const [totalWeight] = at(4);
  const [keys, values, since, previous] = at(5);
  const [changes] = at(6);
  const [deployMode] = at(7);
  const [deployers] = at(8);
  const [frozenAccounts] = at(9);
  const [frozenContracts] = at(10);
  const [rules] = at(11);
  const [access] = at(12);
  const [issuers] = at(13);
  const settings = new Map<SettingKey, SettingEntry>();
  (keys as string[]).forEach((keyHex, i) => {
    const key = SETTING_KEYS.find((k) => bytesToHex(settingKeyToBytes32(k)) === keyHex);
    if (key === undefined) return;
    settings.set(key, {
      value: (values as bigint[])[i] as bigint,
      since: (since as bigint[])[i] as bigint,
      previous: (previous as bigint[])[i] as bigint,
    });
  });
  return {
    committee: {
      members: (accounts as string[]).map((address, i) => ({
        address,
        weight: (weights as bigint[])[i] as bigint,
      })),
      totalWeight: totalWeight as bigint,
      participationRate: participationRate as bigint,
      approvalRate: approvalRate as bigint,
      votingPeriod: votingPeriod as bigint,
    },
    settings,
    nodeChanges: (changes as Row[]).map((c) => ({
      nodeId: hexToBytes(c.nodeId as string),
      org: c.org as string,
      role: ROLE_NAMES[Number(c.role as bigint)] ?? 'none',
      height: c.height as bigint,
    })),
    deployMode: deployMode === 0n ? 'open' : 'allow-list',
    deployers: new Set(deployers as string[]),
    frozenAccounts: new Set(frozenAccounts as string[]),
    frozenContracts: new Set(frozenContracts as string[]),
    rules: (rules as Row[]).map((r) => ({
      target: r.target as string,
      selector: r.selector as string,
      mode: r.mode === 1n ? 'allow-list' : 'deny-list',
    })),
    access: new Set((access as Row[]).map((a) => `${a.target}:${a.selector}:${a.account}`)),
    issuers: (issuers as Row[]).map((x) => ({
      account: x.account as string,
      name: x.name as string,
      since: x.since as bigint,
    })),
  };
}

function settingsFrom(base: SystemSettings, entries: ReadonlyMap<SettingKey, SettingEntry>, height: bigint) {
  const pick = (key: SettingKey): bigint | undefined => {
    const e = entries.get(key);
    return e === undefined ? undefined : height >= e.since ? e.value : e.previous;
  };
  const num = (key: Exclude<SettingKey, 'blockGasLimit' | 'txGasLimit'>) => {
    const v = pick(key);
    return v === undefined ? base[key] : Number(v);
  };
  return {
    blockGasLimit: pick('blockGasLimit') ?? base.blockGasLimit,
    txGasLimit: pick('txGasLimit') ?? base.txGasLimit,
    maxTxsPerBlock: num('maxTxsPerBlock'),
    sealIntervalMs: num('sealIntervalMs'),
    blockLimitWindow: num('blockLimitWindow'),
    maxTxBytes: num('maxTxBytes'),
    txPoolLimit: num('txPoolLimit'),
  } satisfies SystemSettings;
}

export function membershipFromChanges(changes: readonly NodeRoleChange[], height: bigint): Membership {
  const roles = new Map<string, { id: Uint8Array; role: NodeRoleChange['role'] }>();
  for (const c of changes) {
    // Changes are appended in block order, so their heights never decrease.
    if (c.height > height) break;
    const key = bytesToHex(c.nodeId);
    roles.delete(key);
    roles.set(key, { id: c.nodeId, role: c.role });
  }
  const sealers: Uint8Array[] = [];
  const observers: Uint8Array[] = [];
  for (const { id, role } of roles.values()) {
    if (role === 'sealer') sealers.push(id);
    else if (role === 'observer') observers.push(id);
  }
  return { sealers, observers };
}

export function createGovernanceReader(options: GovernanceReaderOptions): GovernanceReader {
  const { genesis } = options;
  const enabled = genesis.committee !== undefined;
  const genesisChanges: NodeRoleChange[] = genesis.nodes.map((n) => ({
    nodeId: n.nodeId,
    org: n.org,
    role: n.role,
    height: 0n,
  }));
  let current: GovernanceSnapshot | null = null;
  const settingsCache = new Map<bigint, SystemSettings>();

  const refusalOf = (tx: GovernedTransaction): WeftError | null => {
    const s = current;
    if (s === null) return null;
    const sender = bytesToHex(tx.sender);
    if (s.frozenAccounts.has(sender)) {
      return new WeftError('SENDER_NOT_ALLOWED', `account ${sender} is frozen by the governance committee`, {
        details: { reason: 'account-frozen', account: sender },
      });
    }
    if (tx.to === null) {
      if (s.deployMode === 'allow-list' && !s.deployers.has(sender)) {
        return new WeftError(
          'SENDER_NOT_ALLOWED',
          `account ${sender} may not deploy contracts: deployment is restricted to the committee's allow list`,
          { details: { reason: 'deploy-denied', account: sender } },
        );
      }
      return null;
    }
    const to = bytesToHex(tx.to);
    if (s.frozenContracts.has(to)) {
      return new WeftError('SENDER_NOT_ALLOWED', `contract ${to} is frozen by the governance committee`, {
        details: { reason: 'contract-frozen', contract: to },
      });
    }
    if (s.rules.length > 0) {
      const selector = bytesToHex(tx.data.length >= 4 ? tx.data.subarray(0, 4) : NO_SELECTOR);
      if (!allowed(s, sender, to, selector)) {
        return new WeftError(
          'SENDER_NOT_ALLOWED',
          `account ${sender} may not call method ${selector} of contract ${to} (restricted by the contract's admin)`,
          { details: { reason: 'method-denied', account: sender, contract: to, selector } },
        );
      }
    }
    return null;
  };

  const allowed = (s: GovernanceSnapshot, from: string, to: string, selector: string): boolean => {
    const rule = s.rules.find((r) => r.target === to && r.selector === selector);
    if (!rule) return true;
    const listed = s.access.has(`${to}:${selector}:${from}`);
    return rule.mode === 'allow-list' ? listed : !listed;
  };

  return {
    enabled,
    async refresh() {
      if (!enabled) return;
      try {
        current = await readSnapshot(options.call);
      } catch (cause) {
        throw new WeftError('STORAGE_ERROR', 'cannot read the governance system contracts', { cause });
      }
      settingsCache.clear();
    },
    isTouchedBy(_txs, receipts) {
      if (!enabled) return false;
      // Every state change of a system contract emits an event (contracts/system/*.sol), and reverted calls
      // change nothing, so a block without system-contract logs left governance as it was; calls to them
      // that only read or revert cost no refresh.
      return receipts.some((r) => r.logs.some((log) => isSystemContractAddress(log.address)));
    },
    settingsAt(height) {
      if (current === null) return genesis.settings;
      let settings = settingsCache.get(height);
      if (settings === undefined) {
        settings = settingsFrom(genesis.settings, current.settings, height);
        if (settingsCache.size > 16) settingsCache.clear();
        settingsCache.set(height, settings);
      }
      return settings;
    },
    membershipAt(height) {
      return membershipFromChanges(current?.nodeChanges ?? genesisChanges, height);
    },
    senderRefusal(sender) {
      if (current === null) return null;
      const hex = bytesToHex(sender);
      return current.frozenAccounts.has(hex) ? `account ${hex} is frozen by the governance committee` : null;
    },
    canDeploy(account) {
      return current === null || current.deployMode === 'open' || current.deployers.has(bytesToHex(account));
    },
    callAllowed(from, to, selector) {
      return current === null || allowed(current, bytesToHex(from), bytesToHex(to), bytesToHex(selector));
    },
    isIssuer(account) {
      const hex = bytesToHex(account);
      return current?.issuers.some((x) => x.account === hex) ?? false;
    },
    txRefusal: refusalOf,
    snapshot: () => current,
  };
}
