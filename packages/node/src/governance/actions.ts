import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import {
  type AbiItem,
  type AbiValue,
  decodeParameters,
  encodeFunctionCall,
  findAbiItem,
  selectorOf,
} from './abi.js';
import {
  COMMITTEE,
  ISSUER_REGISTRY,
  NODE_REGISTRY,
  PERMISSIONS,
  SYSTEM_CONFIG,
} from './contracts.generated.js';
import {
  ROLE_CODES,
  SETTING_KEYS,
  type SettingKey,
  SYSTEM_CONTRACT_LIST,
  settingKeyToBytes32,
} from './genesis-alloc.js';

/**
 * The things a proposal can do, as typed values, and their encoding as a call into a system contract
 * (what `Committee.propose` stores and runs once the proposal passes). The SDK, the CLI and the RPC
 * audit trail all go through here, so a proposal reads back exactly as it was made.
 */
export type GovernanceAction =
  | { readonly kind: 'setting'; readonly key: SettingKey; readonly value: bigint }
  | {
      readonly kind: 'node';
      /** 64-byte consensus public key. */
      readonly nodeId: Uint8Array;
      /** Empty keeps the organisation recorded before. */
      readonly org: string;
      readonly role: keyof typeof ROLE_CODES;
    }
  | { readonly kind: 'deploy-mode'; readonly mode: 'open' | 'allow-list' }
  | { readonly kind: 'deployer'; readonly account: Uint8Array; readonly allowed: boolean }
  | { readonly kind: 'freeze-account'; readonly account: Uint8Array; readonly frozen: boolean }
  | { readonly kind: 'freeze-contract'; readonly target: Uint8Array; readonly frozen: boolean }
  | { readonly kind: 'contract-admin'; readonly target: Uint8Array; readonly admin: Uint8Array }
  | { readonly kind: 'issuer'; readonly account: Uint8Array; readonly name: string }
  | { readonly kind: 'revoke-issuer'; readonly account: Uint8Array }
  | { readonly kind: 'member'; readonly account: Uint8Array; readonly weight: number }
  | { readonly kind: 'rates'; readonly participationRate: number; readonly approvalRate: number }
  | { readonly kind: 'voting-period'; readonly blocks: number };

export interface EncodedAction {
  readonly target: Uint8Array;
  readonly data: Uint8Array;
}

function call(
  contract: { address: string; abi: readonly AbiItem[] },
  name: string,
  args: unknown[],
): EncodedAction {
  return {
    target: hexToBytes(contract.address),
    data: encodeFunctionCall(findAbiItem(contract.abi, 'function', name), args),
  };
}

export function encodeAction(action: GovernanceAction): EncodedAction {
  switch (action.kind) {
    case 'setting':
      if (!SETTING_KEYS.includes(action.key)) {
        throw new WeftError('INVALID_ARGUMENT', `unknown setting '${String(action.key).slice(0, 40)}'`);
      }
      return call(SYSTEM_CONFIG, 'set', [settingKeyToBytes32(action.key), action.value]);
    case 'node':
      if (action.nodeId.length !== 64)
        throw new WeftError('INVALID_LENGTH', 'a node id is a 64-byte public key');
      return call(NODE_REGISTRY, 'setRole', [action.nodeId, action.org, ROLE_CODES[action.role]]);
    case 'deploy-mode':
      return call(PERMISSIONS, 'setDeployMode', [action.mode === 'open' ? 0n : 1n]);
    case 'deployer':
      return call(PERMISSIONS, 'setDeployer', [action.account, action.allowed]);
    case 'freeze-account':
      return call(PERMISSIONS, 'setAccountFrozen', [action.account, action.frozen]);
    case 'freeze-contract':
      return call(PERMISSIONS, 'setContractFrozen', [action.target, action.frozen]);
    case 'contract-admin':
      return call(PERMISSIONS, 'setAdmin', [action.target, action.admin]);
    case 'issuer':
      return call(ISSUER_REGISTRY, 'recognise', [action.account, action.name]);
    case 'revoke-issuer':
      return call(ISSUER_REGISTRY, 'revoke', [action.account]);
    case 'member':
      return call(COMMITTEE, 'setMember', [action.account, BigInt(action.weight)]);
    case 'rates':
      return call(COMMITTEE, 'setRates', [BigInt(action.participationRate), BigInt(action.approvalRate)]);
    case 'voting-period':
      return call(COMMITTEE, 'setVotingPeriod', [BigInt(action.blocks)]);
  }
}

export interface DescribedAction {
  readonly contract: string;
  readonly function: string;
  readonly args: Record<string, AbiValue>;
  /** One line for people, e.g. "set maxTxsPerBlock to 2". */
  readonly summary: string;
}

const ROLE_NAMES = ['remove', 'observer', 'sealer'];

function settingName(keyHex: string): string {
  const key = SETTING_KEYS.find((k) => bytesToHex(settingKeyToBytes32(k)) === keyHex);
  return key ?? keyHex;
}

/** Decodes a proposal's (target, data) back into what it does; `null` if it matches no known function. */
export function describeAction(target: Uint8Array, data: Uint8Array): DescribedAction | null {
  const targetHex = bytesToHex(target);
  const contract = SYSTEM_CONTRACT_LIST.find((c) => c.address === targetHex);
  if (!contract || data.length < 4) return null;
  const selector = bytesToHex(data.subarray(0, 4));
  const fn = (contract.abi as readonly AbiItem[]).find(
    (x) => x.type === 'function' && bytesToHex(selectorOf(x)) === selector,
  );
  if (!fn) return null;
  let values: AbiValue[];
  try {
    values = decodeParameters(fn.inputs ?? [], data.subarray(4));
  } catch {
    return null;
  }
  const args: Record<string, AbiValue> = {};
  (fn.inputs ?? []).forEach((p, i) => {
    args[p.name ?? String(i)] = values[i] as AbiValue;
  });
  const a = (name: string) => String(args[name]);
  const name = fn.name ?? '';
  let summary = `${contract.name}.${name}`;
  if (name === 'set') summary = `set ${settingName(a('key'))} to ${a('value')}`;
  else if (name === 'setRole') {
    const role = ROLE_NAMES[Number(args.role)] ?? a('role');
    summary = `${role === 'remove' ? 'remove' : `make ${role}`} node ${a('nodeId').slice(0, 18)}…${args.org ? ` (${a('org')})` : ''}`;
  } else if (name === 'setDeployMode')
    summary = `deployment ${args.mode === 0n ? 'open to all' : 'by allow list only'}`;
  else if (name === 'setDeployer')
    summary = `${args.allowed ? 'allow' : 'disallow'} ${a('account')} to deploy`;
  else if (name === 'setAccountFrozen')
    summary = `${args.frozen ? 'freeze' : 'unfreeze'} account ${a('account')}`;
  else if (name === 'setContractFrozen')
    summary = `${args.frozen ? 'freeze' : 'unfreeze'} contract ${a('target')}`;
  else if (name === 'setAdmin') summary = `make ${a('admin')} the admin of contract ${a('target')}`;
  else if (name === 'recognise') summary = `recognise issuer ${a('account')} (${a('name')})`;
  else if (name === 'revoke' && contract === ISSUER_REGISTRY) summary = `revoke issuer ${a('account')}`;
  else if (name === 'setMember') {
    summary =
      args.weight === 0n
        ? `remove member ${a('account')}`
        : `set member ${a('account')} weight ${a('weight')}`;
  } else if (name === 'setRates')
    summary = `participation ${a('participation')}%, approval ${a('approval')}%`;
  else if (name === 'setVotingPeriod') summary = `voting period ${a('blocks')} blocks`;
  if (name === 'set') args.key = settingName(a('key'));
  return { contract: contract.name, function: name, args, summary };
}

/** Proposal status codes of Committee.sol. */
export const PROPOSAL_STATUS = [
  'none',
  'open',
  'executed',
  'failed',
  'rejected',
  'revoked',
  'expired',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUS)[number];
