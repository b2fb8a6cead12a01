import { bytesToHex, equalBytes } from '@weft/crypto/bytes';
import { describe, expect, it } from 'vitest';
import { verifyCommitCertificate } from '../src/consensus/certificate.js';
import {
  type ConsensusMessage,
  decodeMessage,
  encodeMessage,
  type ViewChangeVote,
  viewChangeDigest,
  voteDigest,
} from '../src/consensus/codec.js';
import { type Consensus, type ConsensusOptions, createConsensus } from '../src/consensus/pbft.js';
import type { ConsensusAction, PreparedCertificate, WalRecord } from '../src/consensus/types.js';
import { createIdealCrypto, encodeSimBlock, GENESIS_HASH, type SimKey } from './consensus-sim.js';

/** Drives one machine by hand, playing the other validators with their own keys. */
const CHAIN = 7n;
const crypto = createIdealCrypto(99);
const keys: SimKey[] = [0, 1, 2, 3, 4].map((i) => crypto.createKey(i)); // 4 validators + 1 outsider
const validators = keys.slice(0, 4).map((k) => k.id);
const outsider = keys[4] as SimKey;
const key = (i: number): SimKey => keys[i] as SimKey;
const SIG = crypto.signatureLength;
const limits = { signatureLength: SIG, maxBlockBytes: 1 << 20 };

function machine(self: number | null, over: Partial<ConsensusOptions> = {}): Consensus {
  return createConsensus({
    chainId: CHAIN,
    validators,
    self: self === null ? null : key(self).id,
    height: 1n,
    crypto: { ...crypto, sign: self === null ? () => new Uint8Array(0) : key(self).sign },
    timeouts: { proposalMs: 1000, viewChangeBaseMs: 1000, maxBackoffExponent: 3, resendMs: 400 },
    ...over,
  });
}

/** A message before signing; distributive, so each kind keeps its own fields. */
type Unsigned = ConsensusMessage extends infer M
  ? M extends ConsensusMessage
    ? Omit<M, 'signature'>
    : never
  : never;

function signed(signer: number, message: Unsigned): Uint8Array {
  const m = { ...message, signature: new Uint8Array(0) } as ConsensusMessage;
  const digest =
    m.kind === 'viewChange'
      ? viewChangeDigest(crypto.hash, m.chainId, m.height, m.view, m.prepared)
      : voteDigest(crypto.hash, m.kind, m.chainId, m.height, m.view, m.blockHash);
  return encodeMessage({ ...m, signature: key(signer).sign(digest) });
}

const blockAt = (height: bigint, nonce: number, view = 0): { block: Uint8Array; blockHash: Uint8Array } => {
  const block = encodeSimBlock(height, GENESIS_HASH, 0, view, nonce);
  return { block, blockHash: crypto.hash(block) };
};

function proposal(
  signer: number,
  view: number,
  b: { block: Uint8Array; blockHash: Uint8Array },
  justification: ViewChangeVote[] = [],
  height = 1n,
): Uint8Array {
  return signed(signer, { kind: 'proposal', chainId: CHAIN, height, view, signer, ...b, justification });
}

function vote(signer: number, kind: 'prepare' | 'commit', view: number, blockHash: Uint8Array, height = 1n) {
  return signed(signer, { kind, chainId: CHAIN, height, view, signer, blockHash });
}

function viewChangeVote(
  signer: number,
  view: number,
  prepared: PreparedCertificate | null = null,
): ViewChangeVote {
  const digest = viewChangeDigest(crypto.hash, CHAIN, 1n, view, prepared);
  return { signer, prepared, signature: key(signer).sign(digest) };
}

const from = (i: number) => ({ type: 'message' as const, from: key(i).id });
const of = <T extends ConsensusAction['type']>(actions: ConsensusAction[], type: T) =>
  actions.filter((a): a is Extract<ConsensusAction, { type: T }> => a.type === type);
const sentMessages = (actions: ConsensusAction[]) =>
  of(actions, 'broadcast').map((a) => decodeMessage(a.bytes, limits));

/** Write-ahead: every broadcast in a batch is preceded in that batch by a persist of the same bytes. */
function expectWriteAhead(actions: ConsensusAction[]): void {
  const persisted = new Set<string>();
  for (const action of actions) {
    if (action.type === 'persist' && action.record.type === 'signed')
      persisted.add(bytesToHex(action.record.message));
    const message = decodeMessageOrNull(action);
    if (action.type === 'broadcast' && message !== null && !persisted.has(bytesToHex(action.bytes))) {
      // Re-sends of messages persisted in an earlier batch are fine; a first send never is.
      throw new Error(`broadcast of ${message.kind} without a persist before it`);
    }
  }
}

function decodeMessageOrNull(action: ConsensusAction): ConsensusMessage | null {
  return action.type === 'broadcast' ? decodeMessage(action.bytes, limits) : null;
}

/** Validator 0 at height 1 (leader of (1, 0) is validator 1), with the proposal checked valid. */
function preparedValidator0() {
  const m = machine(0);
  const wal: WalRecord[] = [];
  const run = (actions: ConsensusAction[]) => {
    for (const a of actions) if (a.type === 'persist') wal.push(a.record);
    return actions;
  };
  run(m.handle({ type: 'tick', now: 0 }));
  const a = blockAt(1n, 1);
  const checks = run(m.handle({ ...from(1), bytes: proposal(1, 0, a) }));
  expect(of(checks, 'checkProposal')).toHaveLength(1);
  const prepare = run(
    m.handle({ type: 'proposalChecked', height: 1n, view: 0, blockHash: a.blockHash, valid: true }),
  );
  expectWriteAhead(prepare);
  expect(sentMessages(prepare).map((x) => x.kind)).toEqual(['prepare']);
  return { m, wal, run, a };
}

describe('consensus machine: normal operation', () => {
  it('a single sealer decides alone, logging before it speaks, with a one-signature certificate', () => {
    const only = [key(0).id];
    const m = createConsensus({
      chainId: CHAIN,
      validators: only,
      self: key(0).id,
      height: 5n,
      crypto: { ...crypto, sign: key(0).sign },
    });
    expect(m.handle({ type: 'tick', now: 0 })).toEqual([{ type: 'buildProposal', height: 5n, view: 0 }]);
    const b = blockAt(5n, 1);
    const actions = m.handle({ type: 'proposalBuilt', height: 5n, view: 0, ...b });
    expectWriteAhead(actions);
    expect(actions.map((a) => a.type)).toEqual([
      'persist',
      'broadcast', // proposal
      'persist',
      'broadcast', // prepare
      'persist', // prepared certificate
      'persist',
      'broadcast', // commit
      'commit',
    ]);
    const commit = of(actions, 'commit')[0];
    expect(commit?.height).toBe(5n);
    expect(equalBytes(commit?.block ?? new Uint8Array(), b.block)).toBe(true);
    const certificate = commit?.certificate ?? new Uint8Array();
    const context = { chainId: CHAIN, height: 5n, blockHash: b.blockHash, validators: only, crypto };
    expect(verifyCommitCertificate(certificate, context)).toBe(true);
    expect(m.status().phase).toBe('committed');
    expect(m.handle({ type: 'blockPersisted', height: 5n })).toEqual([
      { type: 'buildProposal', height: 6n, view: 0 },
    ]);
  });

  it('four validators: prepare on a checked proposal, commit on 2f+1 prepares, decide on 2f+1 commits', () => {
    const { m, a, run } = preparedValidator0();
    expect(m.status()).toMatchObject({
      height: 1n,
      view: 0,
      phase: 'preparing',
      isValidator: true,
      quorum: 3,
    });
    expect(run(m.handle({ ...from(1), bytes: vote(1, 'prepare', 0, a.blockHash) }))).toEqual([]);
    const commitVote = run(m.handle({ ...from(2), bytes: vote(2, 'prepare', 0, a.blockHash) }));
    expectWriteAhead(commitVote);
    expect(commitVote.map((x) => x.type)).toEqual(['persist', 'persist', 'broadcast']);
    expect(commitVote[0]).toMatchObject({ type: 'persist', record: { type: 'prepared', height: 1n } });
    expect(sentMessages(commitVote)[0]?.kind).toBe('commit');
    expect(m.handle({ ...from(3), bytes: vote(3, 'commit', 0, a.blockHash) })).toEqual([]);
    const decided = m.handle({ ...from(1), bytes: vote(1, 'commit', 0, a.blockHash) });
    const commit = of(decided, 'commit')[0];
    expect(commit).toBeDefined();
    const context = { chainId: CHAIN, height: 1n, blockHash: a.blockHash, validators, crypto };
    expect(verifyCommitCertificate(commit?.certificate ?? new Uint8Array(), context)).toBe(true);
    // Nothing more happens at the decided height.
    expect(m.handle({ ...from(2), bytes: vote(2, 'commit', 0, a.blockHash) })).toEqual([]);
    expect(m.handle({ type: 'tick', now: 10_000 })).toEqual([]);
  });

  it('an observer follows, checks and commits, but never signs or logs', () => {
    const m = machine(null);
    const all: ConsensusAction[] = [...m.handle({ type: 'tick', now: 0 })];
    const a = blockAt(1n, 1);
    all.push(...m.handle({ ...from(1), bytes: proposal(1, 0, a) }));
    expect(of(all, 'checkProposal')).toHaveLength(1);
    all.push(
      ...m.handle({ type: 'proposalChecked', height: 1n, view: 0, blockHash: a.blockHash, valid: true }),
    );
    for (const i of [1, 2, 3])
      all.push(...m.handle({ ...from(i), bytes: vote(i, 'prepare', 0, a.blockHash) }));
    for (const i of [1, 2, 3])
      all.push(...m.handle({ ...from(i), bytes: vote(i, 'commit', 0, a.blockHash) }));
    all.push(...m.handle({ type: 'tick', now: 5_000 }));
    expect(of(all, 'commit')).toHaveLength(1);
    expect(of(all, 'persist')).toEqual([]);
    expect(of(all, 'broadcast')).toEqual([]);
    expect(m.status().isValidator).toBe(false);
  });

  it('replays: the same events give the same actions', () => {
    const script = (m: Consensus) => {
      const out: ConsensusAction[][] = [];
      const a = blockAt(1n, 3);
      out.push(m.handle({ type: 'tick', now: 0 }));
      out.push(m.handle({ ...from(1), bytes: proposal(1, 0, a) }));
      out.push(m.handle({ type: 'tick', now: 1_500 }));
      out.push(
        m.handle({
          ...from(2),
          bytes: signed(2, {
            kind: 'viewChange',
            chainId: CHAIN,
            height: 1n,
            view: 2,
            signer: 2,
            prepared: null,
            preparedBlock: null,
          }),
        }),
      );
      out.push(m.handle({ type: 'tick', now: 4_000 }));
      return out;
    };
    expect(script(machine(0))).toEqual(script(machine(0)));
  });
});

describe('consensus machine: hostile input', () => {
  const fresh = () => {
    const m = machine(0);
    m.handle({ type: 'tick', now: 0 });
    return m;
  };
  const penaltyOf = (actions: ConsensusAction[]) =>
    of(actions, 'penalise').map((p) => [p.reason, p.severity]);

  it('ignores strangers and old heights, penalises garbage and misattributed messages', () => {
    const m = fresh();
    const a = blockAt(1n, 1);
    expect(m.handle({ type: 'message', from: outsider.id, bytes: new Uint8Array(10) })).toEqual([]);
    expect(
      m.handle({ type: 'message', from: outsider.id, bytes: vote(2, 'prepare', 0, a.blockHash) }),
    ).toEqual([]);
    expect(penaltyOf(m.handle({ ...from(2), bytes: Uint8Array.of(1, 2, 3) }))).toEqual([
      ['malformed consensus message', 'high'],
    ]);
    expect(penaltyOf(m.handle({ ...from(2), bytes: new Uint8Array(0) }))).toEqual([
      ['malformed consensus message', 'high'],
    ]);
    const truncated = vote(2, 'prepare', 0, a.blockHash).subarray(0, 60);
    expect(penaltyOf(m.handle({ ...from(2), bytes: truncated }))).toEqual([
      ['malformed consensus message', 'high'],
    ]);
    const otherChain = signed(2, {
      kind: 'prepare',
      chainId: CHAIN + 1n,
      height: 1n,
      view: 0,
      signer: 2,
      blockHash: a.blockHash,
    });
    expect(penaltyOf(m.handle({ ...from(2), bytes: otherChain }))).toEqual([
      ['consensus message for another chain', 'low'],
    ]);
    expect(penaltyOf(m.handle({ ...from(3), bytes: vote(2, 'prepare', 0, a.blockHash) }))).toEqual([
      ['consensus message signed for another validator', 'high'],
    ]);
    expect(m.handle({ ...from(2), bytes: vote(2, 'prepare', 0, a.blockHash, 0n) })).toEqual([]); // old height
    // Our own messages echoed back are ignored.
    expect(m.handle({ ...from(0), bytes: vote(0, 'prepare', 0, a.blockHash) })).toEqual([]);
  });

  it('penalises bad signatures and provable equivocation, counting only the first vote', () => {
    const m = fresh();
    const a = blockAt(1n, 1);
    const b = blockAt(1n, 2);
    const forged = vote(2, 'prepare', 0, a.blockHash).slice();
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    expect(penaltyOf(m.handle({ ...from(2), bytes: forged }))).toEqual([['bad prepare signature', 'high']]);
    expect(m.handle({ ...from(2), bytes: vote(2, 'commit', 0, a.blockHash) })).toEqual([]);
    expect(m.handle({ ...from(2), bytes: vote(2, 'commit', 0, a.blockHash) })).toEqual([]); // a resend
    expect(penaltyOf(m.handle({ ...from(2), bytes: vote(2, 'commit', 0, b.blockHash) }))).toEqual([
      ['conflicting commit votes', 'high'],
    ]);
    // A conflicting vote with a bad signature proves nothing about the sender's key: just a bad signature.
    const badConflict = vote(2, 'commit', 0, blockAt(1n, 3).blockHash).slice();
    badConflict[badConflict.length - 1] = (badConflict[badConflict.length - 1] as number) ^ 1;
    expect(penaltyOf(m.handle({ ...from(2), bytes: badConflict }))).toEqual([
      ['bad commit signature', 'high'],
    ]);
    // Proposals: only the leader of the view, and only one per view.
    expect(penaltyOf(m.handle({ ...from(2), bytes: proposal(2, 0, a) }))).toEqual([
      ['proposal from a validator that does not lead its view', 'high'],
    ]);
    expect(of(m.handle({ ...from(1), bytes: proposal(1, 0, a) }), 'checkProposal')).toHaveLength(1);
    const second = m.handle({ ...from(1), bytes: proposal(1, 0, b) });
    expect(penaltyOf(second)).toEqual([['conflicting proposals', 'high']]);
    expect(of(second, 'checkProposal')).toEqual([]);
  });

  it('rejects forged and under-quorum view-change certificates', () => {
    const m = fresh();
    const a = blockAt(1n, 1, 1);
    // leader(1, 1) = validators[2]
    const fewer = proposal(2, 1, a, [viewChangeVote(1, 1), viewChangeVote(2, 1)]);
    expect(penaltyOf(m.handle({ ...from(2), bytes: fewer }))).toEqual([
      ['proposal justified by fewer than 2f+1 view changes', 'high'],
    ]);
    const fake = { ...viewChangeVote(3, 1), signature: new Uint8Array(SIG).fill(5) };
    const forged = proposal(2, 1, a, [viewChangeVote(1, 1), viewChangeVote(2, 1), fake]);
    expect(penaltyOf(m.handle({ ...from(2), bytes: forged }))).toEqual([
      ['proposal with a forged view-change justification', 'high'],
    ]);
    // A prepared certificate with 2f+1 made-up signatures, or with too few.
    const made = (signers: number[]): PreparedCertificate => ({
      view: 0,
      blockHash: a.blockHash,
      signers,
      signatures: signers.map(() => new Uint8Array(SIG).fill(1)),
    });
    const vc = (prepared: PreparedCertificate) =>
      signed(3, {
        kind: 'viewChange',
        chainId: CHAIN,
        height: 1n,
        view: 1,
        signer: 3,
        prepared,
        preparedBlock: a.block,
      });
    expect(penaltyOf(m.handle({ ...from(3), bytes: vc(made([0, 1, 2])) }))).toEqual([
      ['forged prepared certificate', 'high'],
    ]);
    expect(penaltyOf(m.handle({ ...from(3), bytes: vc(made([1, 2])) }))).toEqual([
      ['prepared certificate below quorum', 'high'],
    ]);
    // The highest prepared block must be re-proposed: a valid justification naming block `a` as prepared,
    // but a proposal of another block, is refused before any signature is checked.
    const prepares = [1, 2, 3].map(
      (i) => decodeMessage(vote(i, 'prepare', 0, a.blockHash), limits).signature,
    );
    const prepared: PreparedCertificate = {
      view: 0,
      blockHash: a.blockHash,
      signers: [1, 2, 3],
      signatures: prepares,
    };
    const justification = [viewChangeVote(1, 1), viewChangeVote(2, 1, prepared), viewChangeVote(3, 1)];
    const ignoring = proposal(2, 1, blockAt(1n, 9, 1), justification);
    expect(penaltyOf(m.handle({ ...from(2), bytes: ignoring }))).toEqual([
      ['proposal ignores the highest prepared block', 'high'],
    ]);
    const honest = m.handle({ ...from(2), bytes: proposal(2, 1, a, justification) });
    expect(penaltyOf(honest)).toEqual([]);
    expect(of(honest, 'checkProposal')).toHaveLength(1);
    expect(m.status().view).toBe(1);
  });

  it('penalty reasons are fixed phrases, never peer data', () => {
    const m = fresh();
    const reasons: string[] = [];
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.hash(Uint8Array.of(i, 1)).subarray(0, (i % 32) + 1);
      for (const p of of(m.handle({ ...from(1 + (i % 3)), bytes }), 'penalise')) reasons.push(p.reason);
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/^[a-z0-9+ -]+$/);
  });
});

describe('consensus machine: views, WAL and catch-up', () => {
  it('an invalid proposal penalises the leader and triggers a view change at once', () => {
    const m = machine(0);
    m.handle({ type: 'tick', now: 0 });
    const a = blockAt(1n, 1);
    m.handle({ ...from(1), bytes: proposal(1, 0, a) });
    const actions = m.handle({
      type: 'proposalChecked',
      height: 1n,
      view: 0,
      blockHash: a.blockHash,
      valid: false,
    });
    expectWriteAhead(actions);
    expect(of(actions, 'penalise').map((p) => [bytesToHex(p.peer), p.reason])).toEqual([
      [bytesToHex(key(1).id), 'invalid proposal'],
    ]);
    expect(sentMessages(actions).map((x) => [x.kind, x.view])).toEqual([['viewChange', 1]]);
    expect(m.status()).toMatchObject({ phase: 'viewChange', view: 0, viewChangeTarget: 1 });
  });

  it('times out with exponential back-off and joins f+1 higher view changes', () => {
    const m = machine(0);
    m.handle({ type: 'tick', now: 0 });
    // Newly signed view changes are the ones logged; re-sends of the latest are only broadcast.
    const signedIn = (actions: ConsensusAction[]) =>
      of(actions, 'persist')
        .map((p) => (p.record.type === 'signed' ? decodeMessage(p.record.message, limits) : null))
        .filter((x) => x?.kind === 'viewChange')
        .map((x) => x?.view);
    const viewChangesAt = (now: number) => signedIn(m.handle({ type: 'tick', now }));
    expect(viewChangesAt(999)).toEqual([]);
    expect(viewChangesAt(1000)).toEqual([1]); // proposalMs
    expect(viewChangesAt(1999)).toEqual([]);
    expect(viewChangesAt(2000)).toEqual([2]); // + base
    expect(viewChangesAt(3999)).toEqual([]);
    expect(viewChangesAt(4000)).toEqual([3]); // + 2 × base
    // f+1 = 2 others ask for view 6: join it at once.
    const vc = (i: number, view: number) =>
      signed(i, {
        kind: 'viewChange',
        chainId: CHAIN,
        height: 1n,
        view,
        signer: i,
        prepared: null,
        preparedBlock: null,
      });
    expect(sentMessages(m.handle({ ...from(2), bytes: vc(2, 6) }))).toEqual([]);
    expect(sentMessages(m.handle({ ...from(3), bytes: vc(3, 6) })).map((x) => [x.kind, x.view])).toEqual([
      ['viewChange', 6],
    ]);
    // As leader of view 6 ((1 + 6) mod 4 = 3 ≠ 0) we wait; the leader of view 7 is validator 0.
    const toSeven = [2, 3].flatMap((i) => m.handle({ ...from(i), bytes: vc(i, 7) }));
    expect(sentMessages(toSeven).map((x) => [x.kind, x.view])).toEqual([['viewChange', 7]]);
    expect(of(toSeven, 'buildProposal')).toEqual([{ type: 'buildProposal', height: 1n, view: 7 }]);
    const b = blockAt(1n, 5, 7);
    const newView = m.handle({ type: 'proposalBuilt', height: 1n, view: 7, ...b });
    expectWriteAhead(newView);
    const [sentProposal] = sentMessages(newView);
    expect(sentProposal?.kind === 'proposal' && sentProposal.justification.map((v) => v.signer)).toEqual([
      0, 2, 3,
    ]);
  });

  it('after a crash it re-sends what it signed and never signs a conflicting prepare', () => {
    const { wal, a } = preparedValidator0();
    const restarted = machine(0, { restored: wal });
    const first = restarted.handle({ type: 'tick', now: 0 });
    expect(sentMessages(first).map((x) => x.kind)).toEqual(['prepare']);
    expect(wal.map((r) => r.type)).toEqual(['signed']);
    expect(of(first, 'broadcast')[0]?.bytes).toEqual((wal[0] as { message: Uint8Array }).message);
    // The equivocating leader now shows it another block for the same view: it may check it, never prepare it.
    const b = blockAt(1n, 2);
    const all = [
      ...restarted.handle({ ...from(1), bytes: proposal(1, 0, b) }),
      ...restarted.handle({
        type: 'proposalChecked',
        height: 1n,
        view: 0,
        blockHash: b.blockHash,
        valid: true,
      }),
      ...restarted.handle({ type: 'tick', now: 500 }),
    ];
    const prepares = sentMessages(all).filter((x) => x.kind === 'prepare');
    expect(prepares.length).toBeGreaterThan(0);
    for (const p of prepares)
      expect(p.kind === 'prepare' && bytesToHex(p.blockHash)).toBe(bytesToHex(a.blockHash));
  });

  it('after a crash its view change still carries the prepared certificate it committed on', () => {
    const { m, wal, run, a } = preparedValidator0();
    run(m.handle({ ...from(1), bytes: vote(1, 'prepare', 0, a.blockHash) }));
    run(m.handle({ ...from(2), bytes: vote(2, 'prepare', 0, a.blockHash) })); // prepared: commit vote sent
    expect(wal.map((r) => r.type)).toEqual(['signed', 'prepared', 'signed']);
    const restarted = machine(0, { restored: wal });
    restarted.handle({ type: 'tick', now: 0 });
    const timeout = restarted.handle({ type: 'tick', now: 1_000 });
    const [viewChange] = sentMessages(timeout).filter((x) => x.kind === 'viewChange');
    expect(viewChange?.kind === 'viewChange' && viewChange.prepared?.view).toBe(0);
    expect(
      viewChange?.kind === 'viewChange' && bytesToHex(viewChange.prepared?.blockHash ?? new Uint8Array()),
    ).toBe(bytesToHex(a.blockHash));
    expect(viewChange?.kind === 'viewChange' && viewChange.preparedBlock).toEqual(a.block);
    // And a second restart re-sends that same view change instead of signing another one.
    const again = machine(0, { restored: [...wal, ...of(timeout, 'persist').map((p) => p.record)] });
    const resent = sentMessages(again.handle({ type: 'tick', now: 0 })).filter(
      (x) => x.kind === 'viewChange',
    );
    expect(resent).toEqual([viewChange]);
  });

  it('buffers messages of the next heights and replays them once there', () => {
    const m = machine(0);
    m.handle({ type: 'tick', now: 0 });
    const next = blockAt(2n, 1);
    // leader(2, 0) = validators[2]
    expect(m.handle({ ...from(2), bytes: proposal(2, 0, next, [], 2n) })).toEqual([]);
    const moved = m.handle({ type: 'blockPersisted', height: 1n });
    expect(of(moved, 'checkProposal').map((c) => c.height)).toEqual([2n]);
    expect(m.status().height).toBe(2n);
  });

  it('asks for block sync when f+1 validators are two heights ahead, or anyone is after a timeout', () => {
    const m = machine(0);
    m.handle({ type: 'tick', now: 0 });
    const far = (i: number) => ({ ...from(i), bytes: vote(i, 'prepare', 0, blockAt(3n, 1).blockHash, 3n) });
    expect(of(m.handle(far(1)), 'behind')).toEqual([]); // one validator could be lying
    expect(of(m.handle(far(2)), 'behind')).toEqual([{ type: 'behind', height: 3n }]);

    const lone = machine(0);
    lone.handle({ type: 'tick', now: 0 });
    expect(of(lone.handle(far(3)), 'behind')).toEqual([]);
    expect(of(lone.handle({ type: 'tick', now: 1_000 }), 'behind')).toEqual([{ type: 'behind', height: 3n }]);
    // Block sync stores the blocks and says so; the machine moves on.
    lone.handle({ type: 'blockPersisted', height: 2n });
    expect(lone.status()).toMatchObject({ height: 3n, view: 0 });
  });

  it('takes a new validator list at a height boundary: an observer can become a sealer', () => {
    const m = machine(4); // the outsider: not in the list, so an observer
    m.handle({ type: 'tick', now: 0 });
    expect(m.status()).toMatchObject({ isValidator: false, validatorCount: 4, quorum: 3 });
    const five = [...validators, outsider.id];
    // leader(2, 0) = five[2]; at height 4 it is five[4], the former observer, who is asked to build.
    expect(m.handle({ type: 'blockPersisted', height: 1n, validators: five })).toEqual([]);
    expect(m.status()).toMatchObject({ height: 2n, isValidator: true, validatorCount: 5, quorum: 4 });
    expect(m.handle({ type: 'blockPersisted', height: 3n })).toEqual([
      { type: 'buildProposal', height: 4n, view: 0 },
    ]);
    // Messages from a validator removed at the boundary are ignored from then on.
    m.handle({ type: 'blockPersisted', height: 4n, validators: five.slice(1) });
    expect(m.handle({ ...from(0), bytes: Uint8Array.of(1) })).toEqual([]);
    expect(of(m.handle({ ...from(1), bytes: Uint8Array.of(1) }), 'penalise')).toHaveLength(1);
  });

  it('rejects broken configuration', () => {
    const bad = (over: Partial<ConsensusOptions>) => () => machine(0, over);
    const code = expect.objectContaining({ code: 'CONFIG_ERROR' });
    expect(bad({ validators: [] })).toThrowError(code);
    expect(bad({ validators: [key(0).id, key(0).id] })).toThrowError(code);
    expect(bad({ validators: [key(0).id.subarray(1)] })).toThrowError(code);
    expect(bad({ chainId: -1n })).toThrowError(code);
    expect(bad({ timeouts: { proposalMs: Number.NaN } })).toThrowError(code);
    const { wal } = preparedValidator0();
    expect(() => machine(1, { restored: wal })).toThrowError(code); // someone else's WAL
    expect(() => machine(0, { restored: wal, height: 2n })).not.toThrow(); // other heights are ignored
  });
});
