import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { encodeFunctionCall, eventTopicOf, findAbiItem } from '@weft/node/governance/abi';
import { encodeAction, type GovernanceAction } from '@weft/node/governance/actions';
import { COMMITTEE, PERMISSIONS } from '@weft/node/governance/contracts.generated';
import { getContractAddress } from 'viem';
import type { RpcReceipt, WeftClient } from './client.js';
import { type Signer, sendNativeTransaction } from './signer.js';

/**
 * Governance from the SDK: propose, vote, revoke, and the contract-admin calls, each a standalone
 * action `fn(client, signer, params)` that sends a native transaction, waits for it to be final and
 * fails with the contract's reason if it reverted; and typed reads of the `weft_gov*` RPC methods.
 * Proposal kinds are `GovernanceAction`s (@weft/node/governance/actions).
 */
export type { GovernanceAction } from '@weft/node/governance/actions';

export interface GovernanceTxResult {
  readonly transactionHash: string;
  readonly receipt: RpcReceipt;
}

async function sendAndConfirm(
  client: WeftClient,
  signer: Signer,
  to: string,
  data: Uint8Array,
  what: string,
): Promise<GovernanceTxResult> {
  const info = await client.chainInfo();
  const hash = await sendNativeTransaction(client, signer, info, { to: hexToBytes(to), data });
  const receipt = await client.waitForReceipt(hash);
  if (receipt.status !== '0x1') {
    throw new WeftError('EXECUTION_ERROR', `${what} failed: ${receipt.revertReason ?? 'reverted'}`, {
      details: { transactionHash: hash, revertReason: receipt.revertReason },
    });
  }
  return { transactionHash: hash, receipt };
}

const committeeFn = (name: string) => findAbiItem(COMMITTEE.abi, 'function', name);
const permissionsFn = (name: string) => findAbiItem(PERMISSIONS.abi, 'function', name);

export interface ProposeParams {
  readonly action: GovernanceAction;
  readonly description?: string;
  /** Blocks the proposal stays open; default the committee's voting period. */
  readonly votingPeriod?: bigint;
}

export interface ProposeResult extends GovernanceTxResult {
  readonly proposalId: bigint;
}

/** Creates a proposal (and votes for it as its proposer, so a one-member committee decides at once). */
export async function propose(
  client: WeftClient,
  signer: Signer,
  params: ProposeParams,
): Promise<ProposeResult> {
  const { target, data } = encodeAction(params.action);
  const call = encodeFunctionCall(committeeFn('propose'), [
    target,
    data,
    params.description ?? '',
    params.votingPeriod ?? 0n,
  ]);
  const result = await sendAndConfirm(client, signer, COMMITTEE.address, call, 'the proposal');
  const topic = bytesToHex(eventTopicOf(findAbiItem(COMMITTEE.abi, 'event', 'ProposalCreated')));
  const log = result.receipt.logs.find(
    (l) => l.address.toLowerCase() === COMMITTEE.address && l.topics[0] === topic,
  );
  if (!log?.topics[1])
    throw new WeftError('EXECUTION_ERROR', 'the proposal transaction logged no ProposalCreated');
  return { ...result, proposalId: BigInt(log.topics[1]) };
}

export function vote(
  client: WeftClient,
  signer: Signer,
  params: { readonly id: bigint; readonly support: boolean },
): Promise<GovernanceTxResult> {
  const call = encodeFunctionCall(committeeFn('vote'), [params.id, params.support]);
  return sendAndConfirm(client, signer, COMMITTEE.address, call, `the vote on proposal ${params.id}`);
}

export function revoke(
  client: WeftClient,
  signer: Signer,
  params: { readonly id: bigint },
): Promise<GovernanceTxResult> {
  const call = encodeFunctionCall(committeeFn('revoke'), [params.id]);
  return sendAndConfirm(client, signer, COMMITTEE.address, call, `revoking proposal ${params.id}`);
}

/** The CREATE address of `deployer` at account nonce `nonce` (Yellow Paper §7), lowercase 0x-hex. */
export function createAddress(deployer: Uint8Array, nonce: bigint): string {
  return getContractAddress({
    from: bytesToHex(deployer) as `0x${string}`,
    nonce,
    opcode: 'CREATE',
  }).toLowerCase();
}

/**
 * Makes the signer the admin of a contract it created: finds the account nonce the contract was created
 * with (searching back from the signer's current nonce) and proves it to Permissions.claimAdmin.
 */
export async function claimContractAdmin(
  client: WeftClient,
  signer: Signer,
  params: { readonly contract: string },
): Promise<GovernanceTxResult & { readonly nonce: bigint }> {
  const wanted = params.contract.toLowerCase();
  const current = BigInt(
    await client.request<string>('eth_getTransactionCount', [signer.addressHex, 'latest']),
  );
  for (let nonce = current - 1n; nonce >= 0n; nonce--) {
    if (createAddress(signer.address, nonce) !== wanted) continue;
    const call = encodeFunctionCall(permissionsFn('claimAdmin'), [params.contract, nonce]);
    return { ...(await sendAndConfirm(client, signer, PERMISSIONS.address, call, 'claiming admin')), nonce };
  }
  throw new WeftError(
    'INVALID_ARGUMENT',
    `${params.contract} was not created by ${signer.addressHex} with CREATE`,
  );
}

export type MethodMode = 'open' | 'allow-list' | 'deny-list';

/** As the contract's admin: restrict a method to an allow list or a deny list, or open it again. */
export function setMethodMode(
  client: WeftClient,
  signer: Signer,
  params: { readonly contract: string; readonly selector: Uint8Array; readonly mode: MethodMode },
): Promise<GovernanceTxResult> {
  const mode = { open: 0n, 'allow-list': 1n, 'deny-list': 2n }[params.mode];
  const call = encodeFunctionCall(permissionsFn('setMethodMode'), [params.contract, params.selector, mode]);
  return sendAndConfirm(client, signer, PERMISSIONS.address, call, 'setting the method mode');
}

/** As the contract's admin: put an account on (or take it off) a method's list. */
export function setMethodAccess(
  client: WeftClient,
  signer: Signer,
  params: {
    readonly contract: string;
    readonly selector: Uint8Array;
    readonly account: string;
    readonly listed: boolean;
  },
): Promise<GovernanceTxResult> {
  const call = encodeFunctionCall(permissionsFn('setMethodAccess'), [
    params.contract,
    params.selector,
    params.account,
    params.listed,
  ]);
  return sendAndConfirm(client, signer, PERMISSIONS.address, call, 'setting method access');
}

/** As the contract's admin: hand the admin role to another account. */
export function setContractAdmin(
  client: WeftClient,
  signer: Signer,
  params: { readonly contract: string; readonly admin: string },
): Promise<GovernanceTxResult> {
  const call = encodeFunctionCall(permissionsFn('setAdmin'), [params.contract, params.admin]);
  return sendAndConfirm(client, signer, PERMISSIONS.address, call, 'setting the contract admin');
}

// ------------------------------------------------------------------ reads (weft_gov* RPC)

export interface ProposalJson {
  id: number;
  status: 'open' | 'executed' | 'failed' | 'rejected' | 'revoked' | 'expired';
  proposer: string;
  target: string;
  action: { contract: string; function: string; args: Record<string, unknown>; summary: string } | null;
  data: string;
  description: string;
  createdAt: number;
  deadline: number;
  closedAt: number | null;
  forWeight: number;
  againstWeight: number;
  votes?: { voter: string; support: boolean; blockNumber: number; weight: number }[];
}

export interface CommitteeJson {
  members: { address: string; weight: number }[];
  totalWeight: number;
  participationRate: number;
  approvalRate: number;
  votingPeriod: number;
}

export const getCommittee = (client: WeftClient) => client.request<CommitteeJson>('weft_govCommittee');

export const listProposals = (
  client: WeftClient,
  params: { from?: number; count?: number; status?: ProposalJson['status'] } = {},
) => client.request<{ total: number; proposals: ProposalJson[] }>('weft_govProposals', [params]);

export const getProposal = (client: WeftClient, id: bigint | number) =>
  client.request<ProposalJson | null>('weft_govProposal', [Number(id)]);

export const getGovernanceSettings = (client: WeftClient, height?: bigint) =>
  client.request<{ height: number; settings: Record<string, number | string>; pending: unknown[] }>(
    'weft_govSettings',
    height === undefined ? [] : [`0x${height.toString(16)}`],
  );

export const getMembership = (client: WeftClient, height?: bigint) =>
  client.request<{
    height: number;
    sealers: { nodeId: string; org: string | null }[];
    observers: { nodeId: string; org: string | null }[];
  }>('weft_govMembership', height === undefined ? [] : [`0x${height.toString(16)}`]);

export const getPermissions = (client: WeftClient) =>
  client.request<{
    deployMode: 'open' | 'allow-list';
    deployers: string[];
    frozenAccounts: string[];
    frozenContracts: string[];
    methodRules: { target: string; selector: string; mode: string; accounts: string[] }[];
  }>('weft_govPermissions');

export const getAccountGovernance = (client: WeftClient, address: string) =>
  client.request<{
    address: string;
    member: number;
    frozen: boolean;
    contractFrozen: boolean;
    canDeploy: boolean;
    issuer: boolean;
    admin: string | null;
  }>('weft_govAccount', [address]);

export const getIssuers = (client: WeftClient) =>
  client.request<{ account: string; name: string; since: number }[]>('weft_govIssuers');

export const getAuditTrail = (client: WeftClient, params: { fromBlock?: number; toBlock?: number } = {}) =>
  client.request<{
    fromBlock: number;
    toBlock: number;
    entries: {
      blockNumber: number;
      timestampMs: number;
      transactionHash: string;
      sender: string | null;
      contract: string;
      event: string | null;
      args: Record<string, unknown> | null;
    }[];
  }>('weft_govAudit', [
    {
      ...(params.fromBlock === undefined ? {} : { fromBlock: `0x${params.fromBlock.toString(16)}` }),
      ...(params.toBlock === undefined ? {} : { toBlock: `0x${params.toBlock.toString(16)}` }),
    },
  ]);
