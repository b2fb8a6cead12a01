import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import type { KeyPair } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, RpcCallError, type WeftClient } from '../src/client.js';
import { createSigner, sendNativeTransaction } from '../src/signer.js';
import { rpc, runCli, startTestNetwork, type TestNetwork } from './helpers/network.js';

/**
 * Governance end to end on a real node process, driven through the `weft` CLI as an operator would:
 * `weft init` makes org0 the committee; the committee grows to three organisations, and then
 * thresholds, refusals, deploy rights, expiry, node membership and the audit trail are checked over
 * RPC. (Membership changes are recorded and readable per height; on this single-sealer chain they do
 * not change who seals.)
 */
const suite = getSuite('ecdsa');
let net: TestNetwork;
let url: string;
let client: WeftClient;
const keyFiles: string[] = [];
const outsider = suite.generateKeyPair();
const frozen = suite.generateKeyPair();
const newNode = suite.generateKeyPair();
let outsiderKeyFile: string;

interface Proposal {
  id: number;
  status: string;
  action: { summary: string } | null;
  forWeight: number;
  againstWeight: number;
  votes?: { voter: string; support: boolean }[];
}

async function cli<T>(args: string[], keyFile?: string): Promise<T> {
  const r = await runCli([...args, '--rpc', url, '--json', ...(keyFile ? ['--key-file', keyFile] : [])]);
  if (r.code !== 0) throw new Error(`weft ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function cliFails(args: string[], keyFile?: string): Promise<string> {
  const r = await runCli([...args, '--rpc', url, ...(keyFile ? ['--key-file', keyFile] : [])]);
  expect(r.code).not.toBe(0);
  return r.stderr;
}

const addressOf = (k: KeyPair) => bytesToHex(suite.addressFromPublicKey(k.publicKey));

/** Sends a native transaction signed by `key` and returns its receipt. */
async function send(key: KeyPair, to: string | null, data: Uint8Array = new Uint8Array(0)) {
  const info = await client.chainInfo();
  const hash = await sendNativeTransaction(client, createSigner(suite, key.privateKey), info, {
    to: to === null ? null : hexToBytes(to),
    data,
    gasLimit: 1_000_000n,
  });
  return client.waitForReceipt(hash);
}

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 1 });
  url = net.urls[0] as string;
  client = createClient(url);
  keyFiles.push(join(net.dir, 'net', 'orgs', 'org0', 'account.key'));
  for (let i = 1; i <= 2; i++) {
    const file = join(net.dir, `member${i}.key`);
    writeFileSync(file, bytesToHex(suite.generateKeyPair().privateKey), { mode: 0o600 });
    keyFiles.push(file);
  }
  outsiderKeyFile = join(net.dir, 'outsider.key');
  writeFileSync(outsiderKeyFile, bytesToHex(outsider.privateKey), { mode: 0o600 });
});

afterAll(async () => {
  await net?.close();
});

function memberAddress(i: number): string {
  const key = hexToBytes(readFileSync(keyFiles[i] as string, 'utf8').trim());
  return bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivate(key)));
}

describe('governance on a running node, through the CLI', () => {
  it('starts with the organisation accounts of weft init as the committee', async () => {
    const committee = await cli<{ members: { address: string; weight: number }[]; approvalRate: number }>([
      'gov',
      'committee',
    ]);
    expect(committee.members).toHaveLength(1);
    expect(committee.approvalRate).toBe(67);
  });

  it('changes a setting that takes effect from the next block', async () => {
    const { proposal } = await cli<{ proposal: Proposal }>(
      ['config', 'set', 'maxTxsPerBlock', '3'],
      keyFiles[0],
    );
    expect(proposal.status).toBe('executed');
    expect(proposal.action?.summary).toBe('set maxTxsPerBlock to 3');
    expect(await cli<{ value: number }>(['config', 'get', 'maxTxsPerBlock'])).toMatchObject({ value: 3 });
    const info = await rpc<{ settings: { maxTxsPerBlock: number } }>(url, 'weft_chainInfo');
    expect(info.settings.maxTxsPerBlock).toBe(3);
    // Seven transactions at once: no block may hold more than three.
    const start = await client.blockNumber();
    await Promise.all(Array.from({ length: 7 }, () => send(outsider, addressOf(outsider))));
    const end = await client.blockNumber();
    for (let n = start + 1n; n <= end; n++) {
      const count = await rpc<string>(url, 'eth_getBlockTransactionCountByNumber', [`0x${n.toString(16)}`]);
      expect(Number(count)).toBeLessThanOrEqual(3);
    }
    expect(end - start).toBeGreaterThanOrEqual(3n);
  });

  it('grows the committee to three organisations', async () => {
    for (const i of [1, 2]) {
      const { proposal } = await cli<{ proposal: Proposal }>(
        ['gov', 'propose', 'member', memberAddress(i), '1', '--description', `admit org${i}`],
        keyFiles[0],
      );
      // Two members: org0 alone is 50% participation, below 67% — so org1 must also vote for org2.
      if (i === 2) {
        expect(proposal.status).toBe('open');
        const voted = await cli<{ proposal: Proposal }>(
          ['gov', 'vote', String(proposal.id), 'yes'],
          keyFiles[1],
        );
        expect(voted.proposal.status).toBe('executed');
      } else {
        expect(proposal.status).toBe('executed');
      }
    }
    const committee = await cli<{ members: unknown[]; totalWeight: number }>(['gov', 'committee']);
    expect(committee.totalWeight).toBe(3);
  });

  it("rejects a non-member's vote and does not pass a proposal below the thresholds", async () => {
    const { proposal } = await cli<{ proposal: Proposal }>(
      ['auth', 'freeze', addressOf(frozen)],
      keyFiles[0],
    );
    expect(proposal.status).toBe('open');
    expect(await cliFails(['gov', 'vote', String(proposal.id), 'yes'], outsiderKeyFile)).toMatch(
      /not a committee member/,
    );
    const voted = await cli<{ proposal: Proposal }>(['gov', 'vote', String(proposal.id), 'no'], keyFiles[1]);
    expect(voted.proposal).toMatchObject({ status: 'rejected', forWeight: 1, againstWeight: 1 });
    expect((await send(frozen, addressOf(frozen))).status).toBe('0x1');
  });

  it("refuses a frozen account's transactions with a clear error and changes nothing", async () => {
    const { proposal } = await cli<{ proposal: Proposal }>(
      ['auth', 'freeze', addressOf(frozen)],
      keyFiles[0],
    );
    await cli(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[1]);
    const done = await cli<{ proposal: Proposal }>(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[2]);
    expect(done.proposal.status).toBe('executed');
    expect(done.proposal.votes).toHaveLength(3);
    const nonceBefore = await rpc<string>(url, 'eth_getTransactionCount', [addressOf(frozen), 'latest']);
    const error = await send(frozen, addressOf(frozen)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as Error).message).toMatch(/frozen by the governance committee/);
    expect(await rpc<string>(url, 'eth_getTransactionCount', [addressOf(frozen), 'latest'])).toBe(
      nonceBefore,
    );
    const account = await cli<{ frozen: boolean }>(['auth', 'show', addressOf(frozen)]);
    expect(account.frozen).toBe(true);
  });

  it('denies deployment without the right once deployment is restricted', async () => {
    const { proposal } = await cli<{ proposal: Proposal }>(['auth', 'deploy', 'allow-list'], keyFiles[0]);
    await cli(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[1]);
    await cli(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[2]);
    const stop = hexToBytes('0x6001600c60003960016000f300');
    await expect(send(outsider, null, stop)).rejects.toThrow(/may not deploy/);
    expect((await cli<{ deployMode: string }>(['auth', 'show'])).deployMode).toBe('allow-list');
  });

  it('never executes an expired proposal', async () => {
    const { proposal } = await cli<{ proposal: Proposal }>(
      ['config', 'set', 'maxTxsPerBlock', '5', '--period', '1'],
      keyFiles[0],
    );
    await send(outsider, addressOf(outsider));
    await send(outsider, addressOf(outsider));
    expect(await cliFails(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[1])).toMatch(/expired/);
    expect((await cli<Proposal>(['gov', 'show', String(proposal.id)])).status).toBe('expired');
    expect(await cli<{ value: number }>(['config', 'get', 'maxTxsPerBlock'])).toMatchObject({ value: 3 });
  });

  it('adds a node as observer through a proposal and reads membership per height', async () => {
    const id = bytesToHex(newNode.publicKey);
    const { proposal } = await cli<{ proposal: Proposal }>(
      ['node', 'add', id, '--role', 'observer', '--org', 'org9'],
      keyFiles[0],
    );
    await cli(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[1]);
    await cli(['gov', 'vote', String(proposal.id), 'yes'], keyFiles[2]);
    const head = await client.blockNumber();
    const now = await cli<{ observers: { nodeId: string; org: string }[] }>(['node', 'list']);
    expect(now.observers).toEqual([{ nodeId: id, org: 'org9' }]);
    const before = await cli<{ observers: unknown[] }>(['node', 'list', String(head)]);
    expect(before.observers).toEqual([]);
  });

  it('keeps an audit trail of who proposed, who voted, when, and what changed', async () => {
    const trail = await cli<{
      entries: {
        event: string;
        sender: string;
        contract: string;
        blockNumber: number;
        args: Record<string, unknown>;
      }[];
    }>(['gov', 'audit']);
    const events = trail.entries.map((e) => `${e.contract}.${e.event}`);
    expect(events).toContain('Committee.ProposalCreated');
    expect(events).toContain('Committee.Voted');
    expect(events).toContain('Committee.ProposalRejected');
    expect(events).toContain('Permissions.AccountFrozen');
    expect(events).toContain('SystemConfig.SettingChanged');
    expect(events).toContain('NodeRegistry.NodeRoleChanged');
    const freeze = trail.entries.find((e) => e.event === 'AccountFrozen');
    expect(freeze?.args).toMatchObject({ account: addressOf(frozen), frozen: true });
    const votes = trail.entries.filter((e) => e.event === 'Voted');
    expect(new Set(votes.map((v) => v.sender))).toEqual(new Set([0, 1, 2].map(memberAddress)));
    const list = await cli<{ total: number; proposals: Proposal[] }>(['gov', 'list']);
    expect(list.total).toBe(list.proposals.length);
    expect(list.proposals.map((p) => p.status)).toContain('rejected');
  });
});
