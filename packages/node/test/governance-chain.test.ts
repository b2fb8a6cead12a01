import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type GenesisConfig } from '@weft/core/genesis';
import type { Receipt } from '@weft/core/receipt';
import { randomWeftNonce, signWeftTx } from '@weft/core/tx';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import type { KeyPair } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain/chain.js';
import { type AbiItem, encodeFunctionCall, findAbiItem, selectorOf } from '../src/governance/abi.js';
import {
  COMMITTEE,
  ISSUER_REGISTRY,
  NODE_REGISTRY,
  PERMISSIONS,
  SYSTEM_CONFIG,
} from '../src/governance/contracts.generated.js';
import { settingKeyToBytes32 } from '../src/governance/genesis-alloc.js';
import { callSystemView } from '../src/governance/reader.js';

/**
 * Governance on the ledger itself, without processes: two chains open the same governed genesis; one
 * builds every block (the sealer), the other verifies and commits it (a follower), so every rule is
 * checked on both paths and the two must agree on every state root and every setting.
 */
const suite = getSuite('ecdsa');
const CHAIN_ID = 777n;
const members = Array.from({ length: 4 }, () => suite.generateKeyPair());
const outsider = suite.generateKeyPair();
const deployer = suite.generateKeyPair();
const sealerKey = suite.generateKeyPair();
const newNode = suite.generateKeyPair();
const addressOf = (k: KeyPair) => suite.addressFromPublicKey(k.publicKey);
const hexOf = (k: KeyPair) => bytesToHex(addressOf(k));

const genesis: GenesisConfig = {
  chainId: CHAIN_ID,
  chainName: 'governed',
  suite: 'ecdsa',
  timestamp: 1_700_000_000_000n,
  nodes: [{ nodeId: sealerKey.publicKey, org: 'org0', role: 'sealer' }],
  settings: DEFAULT_SETTINGS,
  alloc: [],
  committee: {
    members: members.map((k, i) => ({ address: addressOf(k), weight: i === 3 ? 1 : 1 })),
    participationRate: 67,
    approvalRate: 67,
    votingPeriod: 50,
  },
};

// Init code that deploys a one-byte runtime (STOP): every call to it succeeds.
const STOP_CONTRACT = hexToBytes('0x6001600c60003960016000f300');

let dir: string;
let leader: Chain;
let follower: Chain;

function fn(abi: readonly AbiItem[], name: string): AbiItem {
  return findAbiItem(abi, 'function', name);
}

function sign(key: KeyPair, to: Uint8Array | null, data: Uint8Array): Uint8Array {
  return signWeftTx(
    suite,
    {
      chainId: CHAIN_ID,
      nonce: randomWeftNonce(),
      blockLimit: leader.head.number + 100n,
      to,
      value: 0n,
      data,
      gasLimit: 10_000_000n,
    },
    key.privateKey,
  );
}

/** Seals whatever is pending on the leader; the follower verifies and commits the same block. */
async function seal(): Promise<Receipt[]> {
  const prepared = await leader.buildBlock(addressOf(sealerKey));
  await leader.commit(prepared);
  const checked = await follower.verifyBlock(prepared.block);
  await follower.commit(checked);
  expect(bytesToHex(follower.head.stateRoot)).toBe(bytesToHex(leader.head.stateRoot));
  return prepared.receipts;
}

/** Sends one transaction and seals it; returns its receipt. */
async function transact(key: KeyPair, to: Uint8Array | null, data: Uint8Array): Promise<Receipt> {
  await leader.pool.addRaw(sign(key, to, data));
  const receipts = await seal();
  expect(receipts).toHaveLength(1);
  return receipts[0] as Receipt;
}

const committee = hexToBytes(COMMITTEE.address);
const propose = (key: KeyPair, target: { address: string }, action: Uint8Array, period = 0n) =>
  transact(
    key,
    committee,
    encodeFunctionCall(fn(COMMITTEE.abi, 'propose'), [target.address, action, 'test proposal', period]),
  );
const vote = (key: KeyPair, id: bigint, support: boolean) =>
  transact(key, committee, encodeFunctionCall(fn(COMMITTEE.abi, 'vote'), [id, support]));

async function proposalCount(): Promise<bigint> {
  const [count] = await view(COMMITTEE, 'proposalCount');
  return count as bigint;
}

async function view(contract: Parameters<typeof callSystemView>[1], name: string, args: unknown[] = []) {
  return callSystemView(
    async (to, data) => {
      const r = await leader.executor.call(
        {
          number: leader.head.number + 1n,
          timestamp: leader.head.timestamp,
          coinbase: new Uint8Array(20),
          gasLimit: leader.settings.blockGasLimit,
          chainId: CHAIN_ID,
        },
        { to, data },
      );
      expect(r.status).toBe(1);
      return r.output;
    },
    contract,
    name,
    args,
  );
}

/** Proposes `action` as member 0 and has members 1 and 2 vote for: 3 of 4 passes 67% / 67%. */
async function pass(target: { address: string }, action: Uint8Array): Promise<bigint> {
  await propose(members[0] as KeyPair, target, action);
  const id = await proposalCount();
  await vote(members[1] as KeyPair, id, true);
  const receipt = await vote(members[2] as KeyPair, id, true);
  expect(receipt.status).toBe(1);
  const [, status] = await view(COMMITTEE, 'getProposal', [id]);
  expect(status).toBe(2n); // EXECUTED
  return id;
}

async function refusedAtPool(raw: Uint8Array): Promise<string> {
  try {
    await leader.pool.addRaw(raw);
  } catch (error) {
    expect(isWeftError(error, 'SENDER_NOT_ALLOWED')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('the pool admitted the transaction');
}

/** A byzantine leader that ignores governance puts `raw` in a block: the follower must reject it. */
async function followerRejects(raw: Uint8Array): Promise<void> {
  const original = leader.governance.txRefusal;
  const governance = leader.governance as { txRefusal: typeof original };
  governance.txRefusal = () => null;
  try {
    await leader.pool.addRaw(raw);
    const prepared = await leader.buildBlock(addressOf(sealerKey));
    expect(prepared.block.transactions).toHaveLength(1);
    await expect(follower.verifyBlock(prepared.block)).rejects.toMatchObject({ code: 'INVALID_BLOCK' });
    leader.pool.drop(prepared.block.transactions);
  } finally {
    governance.txRefusal = original;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-gov-'));
  leader = await Chain.open({ dataDir: join(dir, 'a'), genesis, suite });
  follower = await Chain.open({ dataDir: join(dir, 'b'), genesis, suite });
});

afterAll(async () => {
  await leader?.close();
  await follower?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('governance on a chain', () => {
  it('installs the committee, settings and nodes of the genesis at block 0', async () => {
    expect(leader.governance.enabled).toBe(true);
    const snapshot = leader.governance.snapshot();
    expect(snapshot?.committee.members.map((m) => m.address)).toEqual(members.map(hexOf));
    expect(snapshot?.committee.totalWeight).toBe(4n);
    expect(snapshot?.committee.participationRate).toBe(67n);
    expect(snapshot?.committee.votingPeriod).toBe(50n);
    expect(leader.settings).toEqual(DEFAULT_SETTINGS);
    const membership = leader.governance.membershipAt(0n);
    expect(membership.sealers.map(bytesToHex)).toEqual([bytesToHex(sealerKey.publicKey)]);
    expect(membership.observers).toEqual([]);
    const [changes] = await view(NODE_REGISTRY, 'getChanges');
    expect(changes).toEqual([{ nodeId: bytesToHex(sealerKey.publicKey), org: 'org0', role: 2n, height: 0n }]);
    const [value] = await view(SYSTEM_CONFIG, 'valueAt', [settingKeyToBytes32('txGasLimit'), 0n]);
    expect(value).toBe(DEFAULT_SETTINGS.txGasLimit);
  });

  it("rejects a non-member's proposal and vote", async () => {
    const action = encodeFunctionCall(fn(SYSTEM_CONFIG.abi, 'set'), [
      settingKeyToBytes32('maxTxsPerBlock'),
      2n,
    ]);
    const proposed = await propose(outsider, SYSTEM_CONFIG, action);
    expect(proposed.status).toBe(0);
    expect(proposed.revertReason).toMatch(/not a committee member/);
    await propose(members[0] as KeyPair, SYSTEM_CONFIG, action);
    const voted = await vote(outsider, await proposalCount(), true);
    expect(voted.status).toBe(0);
    expect(voted.revertReason).toMatch(/not a committee member/);
  });

  it('passes a setting only at the thresholds, and it applies from the next block on every node', async () => {
    const id = await proposalCount(); // proposed above by member 0: 1 of 4
    expect((await vote(members[1] as KeyPair, id, true)).status).toBe(1);
    // 2 of 4 voted: 50% participation is below 67%, nothing changed.
    expect(leader.settings.maxTxsPerBlock).toBe(DEFAULT_SETTINGS.maxTxsPerBlock);
    expect((await vote(members[1] as KeyPair, id, true)).revertReason).toMatch(/already voted/);
    await vote(members[2] as KeyPair, id, true);
    const decidedAt = leader.head.number;
    expect(leader.governance.settingsAt(decidedAt).maxTxsPerBlock).toBe(DEFAULT_SETTINGS.maxTxsPerBlock);
    expect(leader.settings.maxTxsPerBlock).toBe(2);
    expect(follower.settings.maxTxsPerBlock).toBe(2);
    for (let i = 0; i < 5; i++) await leader.pool.addRaw(sign(outsider, committee, new Uint8Array(0)));
    const receipts = await seal();
    expect(receipts).toHaveLength(2);
    expect(leader.pool.size).toBe(3);
    while (leader.pool.size > 0) await seal();
    // A fourth vote on a decided proposal is refused.
    expect((await vote(members[3] as KeyPair, id, true)).revertReason).toMatch(/not open/);
  });

  it('rejects a proposal once the weight against makes it impossible to pass', async () => {
    const action = encodeFunctionCall(fn(SYSTEM_CONFIG.abi, 'set'), [
      settingKeyToBytes32('maxTxsPerBlock'),
      9n,
    ]);
    await propose(members[0] as KeyPair, SYSTEM_CONFIG, action);
    const id = await proposalCount();
    await vote(members[1] as KeyPair, id, false);
    await vote(members[2] as KeyPair, id, false);
    const [, status] = await view(COMMITTEE, 'getProposal', [id]);
    expect(status).toBe(4n); // REJECTED
    expect(leader.settings.maxTxsPerBlock).toBe(2);
  });

  it('lets only the proposer revoke, and never executes an expired proposal', async () => {
    const action = encodeFunctionCall(fn(SYSTEM_CONFIG.abi, 'set'), [
      settingKeyToBytes32('maxTxsPerBlock'),
      7n,
    ]);
    await propose(members[0] as KeyPair, SYSTEM_CONFIG, action);
    const revokable = await proposalCount();
    const revoke = encodeFunctionCall(fn(COMMITTEE.abi, 'revoke'), [revokable]);
    expect((await transact(members[1] as KeyPair, committee, revoke)).revertReason).toMatch(
      /only the proposer/,
    );
    expect((await transact(members[0] as KeyPair, committee, revoke)).status).toBe(1);
    expect((await vote(members[1] as KeyPair, revokable, true)).revertReason).toMatch(/not open/);

    await propose(members[0] as KeyPair, SYSTEM_CONFIG, action, 2n);
    const expiring = await proposalCount();
    await vote(members[1] as KeyPair, expiring, true);
    await seal(); // an empty block
    await transact(outsider, committee, new Uint8Array(0)); // a block passes the deadline
    const late = await vote(members[2] as KeyPair, expiring, true);
    expect(late.status).toBe(0);
    expect(late.revertReason).toMatch(/expired/);
    const [status] = await view(COMMITTEE, 'statusOf', [expiring]);
    expect(status).toBe(6n); // EXPIRED
    expect(leader.settings.maxTxsPerBlock).toBe(2);
  });

  it('refuses a frozen account at the pool and in blocks, and lets it transact again once unfrozen', async () => {
    const setFrozen = fn(PERMISSIONS.abi, 'setAccountFrozen');
    await pass(PERMISSIONS, encodeFunctionCall(setFrozen, [addressOf(outsider), true]));
    const raw = sign(outsider, committee, new Uint8Array(0));
    expect(await refusedAtPool(raw)).toMatch(/is frozen/);
    await followerRejects(raw);
    expect(leader.governance.senderRefusal(addressOf(outsider))).toMatch(/frozen/);
    await pass(PERMISSIONS, encodeFunctionCall(setFrozen, [addressOf(outsider), false]));
    const harmless = encodeFunctionCall(fn(COMMITTEE.abi, 'proposalCount'), []);
    expect((await transact(outsider, committee, harmless)).status).toBe(1);
  });

  it('restricts deployment to an allow list', async () => {
    await pass(PERMISSIONS, encodeFunctionCall(fn(PERMISSIONS.abi, 'setDeployMode'), [1n]));
    const raw = sign(deployer, null, STOP_CONTRACT);
    expect(await refusedAtPool(raw)).toMatch(/may not deploy/);
    await followerRejects(raw);
    expect(leader.governance.canDeploy(addressOf(deployer))).toBe(false);
    await pass(
      PERMISSIONS,
      encodeFunctionCall(fn(PERMISSIONS.abi, 'setDeployer'), [addressOf(deployer), true]),
    );
    const deployed = await transact(deployer, null, STOP_CONTRACT);
    expect(deployed.status).toBe(1);
    expect(deployed.contractAddress).not.toBeNull();
  });

  it("lets a contract's creator restrict its methods, and freezes contracts", async () => {
    const nonce = await leader.executor.getNonce(addressOf(deployer));
    const created = await transact(deployer, null, STOP_CONTRACT);
    const target = created.contractAddress as Uint8Array;
    const permissions = hexToBytes(PERMISSIONS.address);
    const claim = fn(PERMISSIONS.abi, 'claimAdmin');
    // Someone else cannot claim it, the creator can.
    expect(
      (await transact(members[0] as KeyPair, permissions, encodeFunctionCall(claim, [target, nonce]))).status,
    ).toBe(0);
    expect((await transact(deployer, permissions, encodeFunctionCall(claim, [target, nonce]))).status).toBe(
      1,
    );
    const selector = selectorOf({ type: 'function', name: 'poke', inputs: [] });
    const setMode = fn(PERMISSIONS.abi, 'setMethodMode');
    await transact(deployer, permissions, encodeFunctionCall(setMode, [target, selector, 1n]));
    const raw = sign(outsider, target, selector);
    expect(await refusedAtPool(raw)).toMatch(/may not call method/);
    await followerRejects(raw);
    // Other methods stay open.
    expect((await transact(outsider, target, hexToBytes('0x01020304'))).status).toBe(1);
    const setAccess = fn(PERMISSIONS.abi, 'setMethodAccess');
    await transact(
      deployer,
      permissions,
      encodeFunctionCall(setAccess, [target, selector, addressOf(outsider), true]),
    );
    expect(leader.governance.callAllowed(addressOf(outsider), target, selector)).toBe(true);
    expect((await transact(outsider, target, selector)).status).toBe(1);

    await pass(PERMISSIONS, encodeFunctionCall(fn(PERMISSIONS.abi, 'setContractFrozen'), [target, true]));
    expect(await refusedAtPool(sign(deployer, target, selector))).toMatch(/contract .* is frozen/);
  });

  it('adds a node as observer, promotes, demotes and removes it, each from the next block', async () => {
    const setRole = fn(NODE_REGISTRY.abi, 'setRole');
    await pass(NODE_REGISTRY, encodeFunctionCall(setRole, [newNode.publicKey, 'org4', 1]));
    const asObserver = leader.head.number;
    await pass(NODE_REGISTRY, encodeFunctionCall(setRole, [newNode.publicKey, '', 2]));
    const asSealer = leader.head.number;
    const ids = (h: bigint) => {
      const m = follower.governance.membershipAt(h);
      return { sealers: m.sealers.map(bytesToHex), observers: m.observers.map(bytesToHex) };
    };
    const old = bytesToHex(sealerKey.publicKey);
    const added = bytesToHex(newNode.publicKey);
    expect(ids(asObserver)).toEqual({ sealers: [old], observers: [] });
    expect(ids(asObserver + 1n)).toEqual({ sealers: [old], observers: [added] });
    expect(ids(asSealer + 1n)).toEqual({ sealers: [old, added], observers: [] });
    await pass(NODE_REGISTRY, encodeFunctionCall(setRole, [newNode.publicKey, '', 0]));
    expect(ids(leader.head.number + 1n)).toEqual({ sealers: [old], observers: [] });
    // History stays answerable.
    expect(ids(asSealer + 1n).sealers).toContain(added);
    // The last sealer cannot be removed: the proposal passes but its action fails, changing nothing.
    await propose(
      members[0] as KeyPair,
      NODE_REGISTRY,
      encodeFunctionCall(setRole, [sealerKey.publicKey, '', 0]),
    );
    const id = await proposalCount();
    await vote(members[1] as KeyPair, id, true);
    await vote(members[2] as KeyPair, id, true);
    const [, status] = await view(COMMITTEE, 'getProposal', [id]);
    expect(status).toBe(3n); // FAILED
    expect(ids(leader.head.number + 1n).sealers).toEqual([old]);
  });

  it('recognises and revokes authority issuers, and changes the committee itself', async () => {
    const issuer = addressOf(deployer);
    await pass(
      ISSUER_REGISTRY,
      encodeFunctionCall(fn(ISSUER_REGISTRY.abi, 'recognise'), [issuer, 'Health Bureau']),
    );
    expect(leader.governance.isIssuer(issuer)).toBe(true);
    expect(follower.governance.snapshot()?.issuers).toEqual([
      { account: bytesToHex(issuer), name: 'Health Bureau', since: expect.any(BigInt) },
    ]);
    await pass(ISSUER_REGISTRY, encodeFunctionCall(fn(ISSUER_REGISTRY.abi, 'revoke'), [issuer]));
    expect(leader.governance.isIssuer(issuer)).toBe(false);

    // Member 3 leaves: 3 members remain, so 67% now needs all 3.
    await pass(
      COMMITTEE,
      encodeFunctionCall(fn(COMMITTEE.abi, 'setMember'), [addressOf(members[3] as KeyPair), 0n]),
    );
    expect(leader.governance.snapshot()?.committee.totalWeight).toBe(3n);
    expect((await vote(members[3] as KeyPair, 1n, true)).revertReason).toMatch(/not a committee member/);
    await pass(COMMITTEE, encodeFunctionCall(fn(COMMITTEE.abi, 'setRates'), [50n, 50n]));
    expect(leader.governance.snapshot()?.committee.approvalRate).toBe(50n);
    // Changing the committee directly (not through a proposal) is refused.
    const direct = await transact(
      members[0] as KeyPair,
      committee,
      encodeFunctionCall(fn(COMMITTEE.abi, 'setMember'), [addressOf(outsider), 5n]),
    );
    expect(direct.revertReason).toMatch(/only a passed proposal/);
  });

  it('reopens with the same governance state after a restart', async () => {
    const before = leader.governance.snapshot();
    await leader.close();
    leader = await Chain.open({ dataDir: join(dir, 'a'), genesis, suite });
    expect(leader.governance.snapshot()).toEqual(before);
    expect(leader.settings.maxTxsPerBlock).toBe(2);
  });
});
