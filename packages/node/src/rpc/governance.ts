import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { Chain } from '../chain/chain.js';
import type { AbiValue } from '../governance/abi.js';
import { decodeEventLog } from '../governance/abi.js';
import { describeAction, PROPOSAL_STATUS } from '../governance/actions.js';
import { COMMITTEE, PERMISSIONS } from '../governance/contracts.generated.js';
import { SYSTEM_CONTRACT_LIST } from '../governance/genesis-alloc.js';
import { callSystemView, type GovernanceSnapshot } from '../governance/reader.js';
import { MAX_LOG_BLOCK_RANGE, queryLogs } from './filters.js';
import { parseAddress, parseQuantity } from './hex.js';
import type { RpcHandler } from './methods.js';

/**
 * The `weft_gov*` JSON-RPC methods: the committee, proposals with their votes and decoded actions,
 * settings and membership per height, permissions, issuers, and the audit trail (every event of the
 * system contracts with the block, time and sender that caused it). Integers are JSON numbers when
 * below 2^53 and decimal strings above; addresses and bytes are 0x-hex. docs/governance.md lists them.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toJson(value: unknown): Json {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Set) return [...value].map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  if (value === undefined) return null;
  return value as Json;
}

function governed(chain: Chain): GovernanceSnapshot {
  const snapshot = chain.governance.snapshot();
  if (!snapshot) {
    throw new WeftError(
      'UNSUPPORTED',
      'this chain has no governance committee (its genesis has no "committee")',
    );
  }
  return snapshot;
}

function heightParam(chain: Chain, value: unknown): bigint {
  if (value === undefined || value === null || value === 'latest' || value === 'pending') {
    return chain.head.number + 1n;
  }
  return parseQuantity(value, 'height', 2n ** 63n);
}

function idParam(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return BigInt(value);
  return parseQuantity(value, 'proposal id', 2n ** 64n);
}

export function registerGovernanceMethods(m: Map<string, RpcHandler>, chain: Chain): void {
  const view = (contract: Parameters<typeof callSystemView>[1], name: string, args: unknown[] = []) =>
    callSystemView(
      async (to, data) => {
        const r = await chain.executor.call(
          {
            // As the next block would see it: a proposal whose deadline is the head can take no more votes.
            number: chain.head.number + 1n,
            timestamp: chain.head.timestamp,
            coinbase: new Uint8Array(20),
            gasLimit: chain.settings.blockGasLimit,
            chainId: chain.chainId,
          },
          { to, data },
        );
        if (r.status !== 1)
          throw new WeftError('NOT_FOUND', r.revertReason ?? 'system contract call reverted');
        return r.output;
      },
      contract,
      name,
      args,
    );

  const proposalJson = async (id: bigint, withVotes: boolean) => {
    const [p, status] = (await view(COMMITTEE, 'getProposal', [id])) as [Record<string, AbiValue>, bigint];
    const target = hexToBytes(p.target as string);
    const data = hexToBytes(p.data as string);
    const out: Record<string, unknown> = {
      id,
      status: PROPOSAL_STATUS[Number(status)] ?? String(status),
      proposer: p.proposer,
      target: p.target,
      action: describeAction(target, data),
      data: p.data,
      description: p.description,
      createdAt: p.createdAt,
      deadline: p.deadline,
      closedAt: p.closedAt === 0n ? null : p.closedAt,
      forWeight: p.forWeight,
      againstWeight: p.againstWeight,
    };
    if (withVotes) out.votes = (await view(COMMITTEE, 'getVotes', [id]))[0];
    return toJson(out);
  };

  m.set('weft_govSystemContracts', () =>
    SYSTEM_CONTRACT_LIST.map((c) => ({ name: c.name, address: c.address })),
  );
  m.set('weft_govCommittee', () => toJson(governed(chain).committee));
  m.set('weft_govProposals', async (p) => {
    governed(chain);
    const o = (p[0] ?? {}) as { from?: unknown; count?: unknown; status?: unknown };
    const total = (await view(COMMITTEE, 'proposalCount'))[0] as bigint;
    const count = o.count === undefined ? 100n : parseQuantity(o.count, 'count', 1000n);
    // Newest first; `from` pages downwards from that id (bigints: Math.min does not apply).
    let newest = total;
    if (o.from !== undefined && idParam(o.from) < total) newest = idParam(o.from);
    const out: unknown[] = [];
    for (let id = newest; id >= 1n && BigInt(out.length) < count; id--) {
      const proposal = (await proposalJson(id, false)) as Record<string, Json>;
      if (o.status === undefined || proposal.status === o.status) out.push(proposal);
    }
    return { total: toJson(total), proposals: out };
  });
  m.set('weft_govProposal', async (p) => {
    governed(chain);
    const id = idParam(p[0]);
    const total = (await view(COMMITTEE, 'proposalCount'))[0] as bigint;
    if (id < 1n || id > total) return null;
    return proposalJson(id, true);
  });
  m.set('weft_govSettings', (p) => {
    const height = heightParam(chain, p[0]);
    const snapshot = chain.governance.snapshot();
    const pending = snapshot
      ? [...snapshot.settings]
          .filter(([, e]) => e.since > chain.head.number + 1n)
          .map(([key, e]) => ({ key, ...e }))
      : [];
    return toJson({ height, settings: chain.governance.settingsAt(height), pending });
  });
  m.set('weft_govMembership', (p) => {
    const height = heightParam(chain, p[0]);
    const membership = chain.governance.membershipAt(height);
    const changes = chain.governance.snapshot()?.nodeChanges ?? [];
    const orgOf = (id: Uint8Array) => {
      const hex = bytesToHex(id);
      return changes.findLast((c) => bytesToHex(c.nodeId) === hex)?.org ?? null;
    };
    return toJson({
      height,
      sealers: membership.sealers.map((id) => ({ nodeId: id, org: orgOf(id) })),
      observers: membership.observers.map((id) => ({ nodeId: id, org: orgOf(id) })),
      changes,
    });
  });
  m.set('weft_govPermissions', () => {
    const s = governed(chain);
    return toJson({
      deployMode: s.deployMode,
      deployers: s.deployers,
      frozenAccounts: s.frozenAccounts,
      frozenContracts: s.frozenContracts,
      methodRules: s.rules.map((r) => ({
        ...r,
        accounts: [...s.access]
          .filter((key) => key.startsWith(`${r.target}:${r.selector}:`))
          .map((key) => key.split(':')[2]),
      })),
    });
  });
  m.set('weft_govAccount', async (p) => {
    const address = parseAddress(p[0], 'address');
    const s = governed(chain);
    const hex = bytesToHex(address);
    const [admin] = await view(PERMISSIONS, 'adminOf', [address]);
    return toJson({
      address: hex,
      member: s.committee.members.find((x) => x.address === hex)?.weight ?? 0,
      frozen: s.frozenAccounts.has(hex),
      contractFrozen: s.frozenContracts.has(hex),
      canDeploy: chain.governance.canDeploy(address),
      issuer: chain.governance.isIssuer(address),
      admin: admin === '0x0000000000000000000000000000000000000000' ? null : admin,
    });
  });
  m.set('weft_govIssuers', () => toJson(governed(chain).issuers));
  m.set('weft_govAudit', async (p) => {
    governed(chain);
    const o = (p[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown };
    const head = chain.head.number;
    const to = o.toBlock === undefined ? head : parseQuantity(o.toBlock, 'toBlock', 2n ** 63n);
    const defaultFrom = to >= MAX_LOG_BLOCK_RANGE ? to - MAX_LOG_BLOCK_RANGE + 1n : 0n;
    const from = o.fromBlock === undefined ? defaultFrom : parseQuantity(o.fromBlock, 'fromBlock', 2n ** 63n);
    const matches = await queryLogs(chain, {
      fromBlock: from,
      toBlock: to,
      blockHash: null,
      addresses: SYSTEM_CONTRACT_LIST.map((c) => hexToBytes(c.address)),
      topics: [],
    });
    const times = new Map<bigint, bigint>();
    const senders = new Map<string, string | null>();
    const entries: unknown[] = [];
    for (const { log, json } of matches) {
      const contract = SYSTEM_CONTRACT_LIST.find((c) => c.address === bytesToHex(log.address));
      if (!contract) continue;
      const decoded = decodeEventLog(contract.abi, log.topics, log.data);
      const blockNumber = BigInt(String(json.blockNumber));
      const txHash = String(json.transactionHash);
      if (!times.has(blockNumber))
        times.set(blockNumber, (await chain.store.getHeader(blockNumber))?.timestamp ?? 0n);
      if (!senders.has(txHash)) {
        const found = await chain.store.getTransaction(hexToBytes(txHash));
        senders.set(txHash, found ? bytesToHex(found.tx.sender) : null);
      }
      let args: unknown = decoded?.args ?? null;
      if (decoded?.event === 'ProposalCreated') {
        const a = decoded.args;
        args = { ...a, action: describeAction(hexToBytes(a.target as string), hexToBytes(a.data as string)) };
      }
      entries.push({
        blockNumber,
        timestampMs: times.get(blockNumber),
        transactionHash: txHash,
        sender: senders.get(txHash),
        contract: contract.name,
        event: decoded?.event ?? null,
        args,
      });
    }
    return toJson({ fromBlock: from, toBlock: to, entries });
  });
}
