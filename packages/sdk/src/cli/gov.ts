import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { selectorOf } from '@weft/node/governance/abi';
import type { GovernanceAction } from '@weft/node/governance/actions';
import { SETTING_KEYS, type SettingKey } from '@weft/node/governance/genesis-alloc';
import { createClient, type WeftClient } from '../client.js';
import {
  claimContractAdmin,
  getAccountGovernance,
  getAuditTrail,
  getCommittee,
  getGovernanceSettings,
  getMembership,
  getPermissions,
  getProposal,
  listProposals,
  type MethodMode,
  type ProposalJson,
  propose,
  revoke,
  setMethodAccess,
  setMethodMode,
  vote,
} from '../governance.js';
import { decryptKeystore, isKeystoreJson } from '../keystore.js';
import { createSigner, type Signer } from '../signer.js';
import { GOV_HELP } from './gov-help.js';
import { createOutput, type Output, readPassphrase, toJson, usageError } from './io.js';

/**
 * `weft gov|node add/remove/role|config|auth`: governance from the command line (docs/governance.md).
 * Proposals and votes are signed by a committee member: `--key-file orgs/org0/account.key` (what
 * `weft init` writes) or `--from ADDRESS` with a keystore.
 */
type Flags = Record<string, string | boolean | undefined>;

function rpcUrl(flags: Flags): string {
  return (flags.rpc as string | undefined) ?? process.env.WEFT_RPC ?? 'http://127.0.0.1:8545';
}

function address(value: string | undefined, what: string): Uint8Array {
  if (value === undefined || !/^0x[0-9a-fA-F]{40}$/.test(value))
    throw usageError(`${what} must be a 0x address`);
  return hexToBytes(value);
}

function wholeNumber(value: string | undefined, what: string, max = 2n ** 63n): bigint {
  if (value === undefined || !/^\d+$/.test(value)) throw usageError(`${what} must be a whole number`);
  const n = BigInt(value);
  if (n > max) throw usageError(`${what} must be at most ${max}`);
  return n;
}

function nodeId(value: string | undefined): Uint8Array {
  if (value === undefined || !/^(0x)?[0-9a-fA-F]{128}$/.test(value)) {
    throw usageError(
      'NODE_ID must be the 64-byte consensus public key (128 hex digits), as weft init prints it',
    );
  }
  return hexToBytes(value.startsWith('0x') ? value : `0x${value}`);
}

/** The signing key: a raw hex key file (what `weft init` writes for each organisation) or a keystore. */
async function signerFrom(client: WeftClient, flags: Flags): Promise<Signer> {
  const info = await client.chainInfo();
  const suite = getSuite(info.suite);
  if (typeof flags['key-file'] === 'string') {
    let text: string;
    try {
      text = readFileSync(flags['key-file'], 'utf8').trim();
    } catch (cause) {
      throw new WeftError('INVALID_ARGUMENT', `cannot read the key file ${flags['key-file']}`, { cause });
    }
    // Never echo the content: it is a private key.
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text))
      throw usageError(`${flags['key-file']} must hold a 32-byte hex key`);
    return createSigner(suite, hexToBytes(text.startsWith('0x') ? text : `0x${text}`));
  }
  const from = flags.from;
  if (typeof from !== 'string')
    throw usageError('sign with --key-file FILE or --from ADDRESS (a keystore account)');
  const dir = resolve(
    (flags.keystore as string | undefined) ??
      process.env.WEFT_KEYSTORE ??
      join(homedir(), '.weft', 'keystore'),
  );
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    // No keystore directory: reported below.
  }
  for (const f of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch {
      continue;
    }
    const a = (json as { address?: unknown }).address;
    if (!isKeystoreJson(json) || typeof a !== 'string') continue;
    if (`0x${a.replace(/^0x/, '').toLowerCase()}` !== from.toLowerCase()) continue;
    const passphrase = await readPassphrase({ passwordFile: flags['password-file'] as string | undefined });
    const key = await decryptKeystore(readFileSync(join(dir, f), 'utf8'), passphrase);
    if (key.suite !== info.suite)
      throw usageError(`account ${from} is an '${key.suite}' key; the chain is '${info.suite}'`);
    return createSigner(suite, key.privateKey);
  }
  throw usageError(`no keystore for ${from} in ${dir}`);
}

/** Turns `KIND ARGS…` of `weft gov propose` into an action. */
export function parseAction(kind: string | undefined, args: string[], flags: Flags): GovernanceAction {
  const [a, b] = args;
  switch (kind) {
    case 'setting': {
      if (!SETTING_KEYS.includes(a as SettingKey))
        throw usageError(`KEY must be one of ${SETTING_KEYS.join(', ')}`);
      return { kind: 'setting', key: a as SettingKey, value: wholeNumber(b, 'VALUE') };
    }
    case 'node': {
      const role = b === 'remove' ? 'none' : b;
      if (role !== 'observer' && role !== 'sealer' && role !== 'none') {
        throw usageError('the role must be observer, sealer or remove');
      }
      const org = typeof flags.org === 'string' ? flags.org : '';
      return { kind: 'node', nodeId: nodeId(a), org, role };
    }
    case 'deploy-mode':
      if (a !== 'open' && a !== 'allow-list') throw usageError('deploy-mode must be open or allow-list');
      return { kind: 'deploy-mode', mode: a };
    case 'deployer':
      if (b !== 'allow' && b !== 'deny') throw usageError('usage: deployer ADDRESS allow|deny');
      return { kind: 'deployer', account: address(a, 'ADDRESS'), allowed: b === 'allow' };
    case 'freeze':
    case 'unfreeze':
      return { kind: 'freeze-account', account: address(a, 'ADDRESS'), frozen: kind === 'freeze' };
    case 'freeze-contract':
    case 'unfreeze-contract':
      return { kind: 'freeze-contract', target: address(a, 'CONTRACT'), frozen: kind === 'freeze-contract' };
    case 'issuer':
      if (!b) throw usageError('usage: issuer ADDRESS NAME');
      return { kind: 'issuer', account: address(a, 'ADDRESS'), name: b };
    case 'revoke-issuer':
      return { kind: 'revoke-issuer', account: address(a, 'ADDRESS') };
    case 'member':
      return {
        kind: 'member',
        account: address(a, 'ADDRESS'),
        weight: Number(wholeNumber(b, 'WEIGHT', 1_000_000n)),
      };
    case 'rates':
      return {
        kind: 'rates',
        participationRate: Number(wholeNumber(a, 'PARTICIPATION', 100n)),
        approvalRate: Number(wholeNumber(b, 'APPROVAL', 100n)),
      };
    case 'voting-period':
      return { kind: 'voting-period', blocks: Number(wholeNumber(a, 'BLOCKS', 10_000_000n)) };
    case 'contract-admin':
      return { kind: 'contract-admin', target: address(a, 'CONTRACT'), admin: address(b, 'ADMIN') };
    default:
      throw usageError(`unknown proposal kind '${String(kind).slice(0, 30)}'\n${GOV_HELP}`);
  }
}

function describeProposal(p: ProposalJson): string {
  const lines = [
    `proposal ${p.id}  ${p.status.toUpperCase()}`,
    `  action      ${p.action?.summary ?? `call ${p.target} ${p.data.slice(0, 10)}…`}`,
    `  proposer    ${p.proposer}`,
    `  votes       for ${p.forWeight}, against ${p.againstWeight}`,
    `  blocks      created ${p.createdAt}, deadline ${p.deadline}${p.closedAt === null ? '' : `, closed ${p.closedAt}`}`,
  ];
  if (p.description) lines.push(`  description ${p.description}`);
  for (const v of p.votes ?? []) {
    lines.push(
      `    ${v.support ? 'for    ' : 'against'} ${v.voter} (weight ${v.weight}, block ${v.blockNumber})`,
    );
  }
  return lines.join('\n');
}

async function proposeAndReport(client: WeftClient, flags: Flags, out: Output, action: GovernanceAction) {
  const signer = await signerFrom(client, flags);
  const result = await propose(client, signer, {
    action,
    ...(typeof flags.description === 'string' ? { description: flags.description } : {}),
    ...(typeof flags.period === 'string' ? { votingPeriod: wholeNumber(flags.period, '--period') } : {}),
  });
  const proposal = await getProposal(client, result.proposalId);
  out.result(
    { proposal, transactionHash: result.transactionHash },
    () =>
      `${proposal ? describeProposal(proposal) : `proposal ${result.proposalId}`}\n  tx          ${result.transactionHash}`,
  );
}

function selectorFrom(method: string | undefined): Uint8Array {
  if (method === undefined) throw usageError('METHOD is required');
  if (/^0x[0-9a-fA-F]{8}$/.test(method)) return hexToBytes(method);
  const match = /^([A-Za-z_$][\w$]*)\(([^()]*)\)$/.exec(method.replace(/\s+/g, ''));
  if (!match) throw usageError("METHOD must look like 'transfer(address,uint256)' or 0x12345678");
  const types = match[2] === '' ? [] : (match[2] as string).split(',');
  return selectorOf({ type: 'function', name: match[1] as string, inputs: types.map((type) => ({ type })) });
}

export async function cmdGov(
  group: 'gov' | 'node' | 'config' | 'auth',
  positional: string[],
  flags: Flags,
  json: boolean,
): Promise<void> {
  const out = createOutput(json);
  const client = createClient(rpcUrl(flags));
  const [sub, ...args] = positional;
  const key = `${group} ${sub ?? ''}`;
  switch (key) {
    case 'gov propose':
      return proposeAndReport(client, flags, out, parseAction(args[0], args.slice(1), flags));
    case 'gov vote': {
      const id = wholeNumber(args[0], 'ID');
      if (args[1] !== 'yes' && args[1] !== 'no') throw usageError('usage: weft gov vote ID yes|no');
      const signer = await signerFrom(client, flags);
      const result = await vote(client, signer, { id, support: args[1] === 'yes' });
      const proposal = await getProposal(client, id);
      out.result({ proposal, transactionHash: result.transactionHash }, () =>
        proposal ? describeProposal(proposal) : `voted on ${id}`,
      );
      return;
    }
    case 'gov revoke': {
      const id = wholeNumber(args[0], 'ID');
      const result = await revoke(client, await signerFrom(client, flags), { id });
      out.result({ id: Number(id), transactionHash: result.transactionHash }, () => `proposal ${id} revoked`);
      return;
    }
    case 'gov list': {
      const status = typeof flags.status === 'string' ? (flags.status as ProposalJson['status']) : undefined;
      const list = await listProposals(client, status ? { status } : {});
      out.result(list, () =>
        list.proposals.length === 0
          ? 'no proposals'
          : list.proposals
              .map(
                (p) => `${String(p.id).padStart(4)}  ${p.status.padEnd(8)}  ${p.action?.summary ?? p.target}`,
              )
              .join('\n'),
      );
      return;
    }
    case 'gov show': {
      const proposal = await getProposal(client, wholeNumber(args[0], 'ID'));
      if (!proposal) throw new WeftError('NOT_FOUND', `no proposal ${args[0]}`);
      out.result(proposal, () => describeProposal(proposal));
      return;
    }
    case 'gov committee': {
      const c = await getCommittee(client);
      out.result(c, () =>
        [
          `participation ≥ ${c.participationRate}% of weight ${c.totalWeight}, approval ≥ ${c.approvalRate}% of votes, voting period ${c.votingPeriod} blocks`,
          ...c.members.map((m) => `  ${m.address}  weight ${m.weight}`),
        ].join('\n'),
      );
      return;
    }
    case 'gov audit': {
      const trail = await getAuditTrail(client, {
        ...(args[0] ? { fromBlock: Number(wholeNumber(args[0], 'FROM_BLOCK')) } : {}),
        ...(args[1] ? { toBlock: Number(wholeNumber(args[1], 'TO_BLOCK')) } : {}),
      });
      out.result(
        trail,
        () =>
          trail.entries
            .map(
              (e) =>
                `block ${e.blockNumber}  ${new Date(e.timestampMs).toISOString()}  ${e.sender ?? '?'}  ${e.contract}.${e.event ?? '?'} ${toJson(e.args).replace(/\s+/g, ' ')}`,
            )
            .join('\n') || 'no governance events in that range',
      );
      return;
    }
    case 'node add': {
      const role = typeof flags.role === 'string' ? flags.role : 'observer';
      return proposeAndReport(client, flags, out, parseAction('node', [args[0] ?? '', role], flags));
    }
    case 'node remove':
      return proposeAndReport(client, flags, out, parseAction('node', [args[0] ?? '', 'remove'], flags));
    case 'node role':
      return proposeAndReport(client, flags, out, parseAction('node', [args[0] ?? '', args[1] ?? ''], flags));
    case 'node list': {
      const m = await getMembership(client, args[0] ? wholeNumber(args[0], 'HEIGHT') : undefined);
      out.result(m, () =>
        [
          `membership at block ${m.height}`,
          ...m.sealers.map((n) => `  sealer    ${n.nodeId.slice(0, 18)}…  ${n.org ?? ''}`),
          ...m.observers.map((n) => `  observer  ${n.nodeId.slice(0, 18)}…  ${n.org ?? ''}`),
        ].join('\n'),
      );
      return;
    }
    case 'config get': {
      const height = typeof flags.height === 'string' ? wholeNumber(flags.height, '--height') : undefined;
      const s = await getGovernanceSettings(client, height);
      const name = args[0];
      if (name !== undefined && !(name in s.settings))
        throw usageError(`KEY must be one of ${SETTING_KEYS.join(', ')}`);
      const value = name === undefined ? s : { key: name, value: s.settings[name], height: s.height };
      out.result(value, () =>
        name === undefined
          ? [
              `settings of block ${s.height}`,
              ...Object.entries(s.settings).map(([k, v]) => `  ${k.padEnd(18)} ${v}`),
            ].join('\n')
          : String(s.settings[name]),
      );
      return;
    }
    case 'config set':
      return proposeAndReport(client, flags, out, parseAction('setting', args, flags));
    case 'auth show': {
      if (args[0]) {
        const a = await getAccountGovernance(client, args[0]);
        out.result(a, () => toJson(a));
      } else {
        const p = await getPermissions(client);
        out.result(p, () =>
          [
            `deployment: ${p.deployMode}${p.deployMode === 'allow-list' ? ` (${p.deployers.join(', ') || 'nobody'})` : ''}`,
            `frozen accounts: ${p.frozenAccounts.join(', ') || 'none'}`,
            `frozen contracts: ${p.frozenContracts.join(', ') || 'none'}`,
            ...p.methodRules.map(
              (r) => `method ${r.selector} of ${r.target}: ${r.mode} ${r.accounts.join(', ')}`,
            ),
          ].join('\n'),
        );
      }
      return;
    }
    case 'auth freeze':
    case 'auth unfreeze': {
      // A contract is frozen as a contract (its callers are refused), an account as a sender.
      address(args[0], 'ADDRESS');
      const code = await client.request<string>('eth_getCode', [args[0], 'latest']);
      const kind = code === '0x' ? sub : `${sub}-contract`;
      return proposeAndReport(client, flags, out, parseAction(kind, [args[0] as string], flags));
    }
    case 'auth deploy':
      return proposeAndReport(client, flags, out, parseAction('deploy-mode', args, flags));
    case 'auth deployer': {
      if (args[0] !== 'add' && args[0] !== 'remove')
        throw usageError('usage: weft auth deployer add|remove ADDRESS');
      const decision = args[0] === 'add' ? 'allow' : 'deny';
      return proposeAndReport(client, flags, out, parseAction('deployer', [args[1] ?? '', decision], flags));
    }
    case 'auth issuer': {
      if (args[0] === 'add')
        return proposeAndReport(client, flags, out, parseAction('issuer', args.slice(1), flags));
      if (args[0] === 'remove') {
        return proposeAndReport(client, flags, out, parseAction('revoke-issuer', args.slice(1), flags));
      }
      throw usageError('usage: weft auth issuer add ADDRESS NAME | remove ADDRESS');
    }
    case 'auth claim-admin': {
      address(args[0], 'CONTRACT');
      const result = await claimContractAdmin(client, await signerFrom(client, flags), {
        contract: args[0] as string,
      });
      out.result(
        { contract: args[0], nonce: Number(result.nonce), transactionHash: result.transactionHash },
        () => `you are now the admin of ${args[0]}`,
      );
      return;
    }
    case 'auth method': {
      address(args[0], 'CONTRACT');
      const mode = args[2];
      if (mode !== 'open' && mode !== 'allow-list' && mode !== 'deny-list') {
        throw usageError('usage: weft auth method CONTRACT METHOD open|allow-list|deny-list');
      }
      const selector = selectorFrom(args[1]);
      const result = await setMethodMode(client, await signerFrom(client, flags), {
        contract: args[0] as string,
        selector,
        mode: mode as MethodMode,
      });
      out.result(
        { transactionHash: result.transactionHash },
        () => `method ${args[1]} of ${args[0]} is now ${mode}`,
      );
      return;
    }
    case 'auth access': {
      address(args[0], 'CONTRACT');
      address(args[2], 'ACCOUNT');
      if (args[3] !== 'add' && args[3] !== 'remove') {
        throw usageError('usage: weft auth access CONTRACT METHOD ACCOUNT add|remove');
      }
      const result = await setMethodAccess(client, await signerFrom(client, flags), {
        contract: args[0] as string,
        selector: selectorFrom(args[1]),
        account: args[2] as string,
        listed: args[3] === 'add',
      });
      out.result(
        { transactionHash: result.transactionHash },
        () => `${args[2]} ${args[3] === 'add' ? 'listed' : 'unlisted'}`,
      );
      return;
    }
    default:
      throw usageError(`unknown command 'weft ${key.trim().slice(0, 40)}'\n${GOV_HELP}`);
  }
}
