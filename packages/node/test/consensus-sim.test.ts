import { bytesToHex } from '@weft/crypto/bytes';
import { describe, expect, it } from 'vitest';
import { leaderIndex } from '../src/consensus/certificate.js';
import { decodeCertificate } from '../src/consensus/codec.js';
import { ALL_BEHAVIOURS, createSimulation, type SimOptions, type Simulation } from './consensus-sim.js';

/**
 * Whole-network scenarios on the deterministic simulator. Each uses a fixed seed, printed with every
 * assertion; `WEFT_SIM_SEED=<n>` replays them all from another seed.
 */
const seedOverride = process.env.WEFT_SIM_SEED === undefined ? null : Number(process.env.WEFT_SIM_SEED);
const seedFor = (seed: number): number => seedOverride ?? seed;

function simulate(options: SimOptions): Simulation {
  return createSimulation({ ...options, seed: seedFor(options.seed) });
}

/** Honest nodes hold prefixes of one chain, with valid certificates (checked as they committed). */
function expectSafe(sim: Simulation): void {
  const label = `seed ${sim.seed}`;
  expect(sim.violations, label).toEqual([]);
  const honest = sim.nodes.filter((node) => sim.isHonest(node.index));
  const longest = honest.reduce((a, b) => (b.chain.length > a.chain.length ? b : a));
  for (const node of honest) {
    const mine = node.chain.map((block) => bytesToHex(block.hash));
    const theirs = longest.chain.slice(0, node.chain.length).map((block) => bytesToHex(block.hash));
    expect(mine, `${label}: node ${node.index} forked`).toEqual(theirs);
  }
}

/** No honest validator was ever penalised as if it misbehaved. */
function expectNoFalseAccusations(sim: Simulation): void {
  const wrong = sim.penalties.filter((p) => p.severity === 'high' && sim.isHonest(p.peer));
  expect(wrong, `seed ${sim.seed}`).toEqual([]);
}

const certificateView = (sim: Simulation, node: number, height: number): number => {
  const block = sim.nodes[node]?.chain[height - 1];
  if (block === undefined) throw new Error(`node ${node} has no block ${height}`);
  return decodeCertificate(block.certificate).view;
};

describe('consensus simulation: a healthy network', () => {
  it.each([4, 7])('%i validators and an observer agree on every block', (n) => {
    const sim = simulate({ seed: 11, validators: n, observers: 1 });
    sim.run(5_000);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(20n);
    // The observer (last node) followed without ever voting.
    const observer = sim.nodes[n] as Simulation['nodes'][number];
    expect(observer.wal).toEqual([]);
    expect(BigInt(observer.chain.length)).toBeGreaterThanOrEqual(sim.maxHeight() - 1n);
    // Leaders rotate: every validator proposed some of the blocks (view 0 blocks name their leader).
    const proposers = new Set(
      observer.chain.map((b) => (b.block[40] as number) * 256 + (b.block[41] as number)),
    );
    expect(proposers.size).toBe(n);
    expectNoFalseAccusations(sim);
  });

  it('replays exactly from its seed', () => {
    const run = () => {
      const sim = simulate({
        seed: 12,
        validators: 4,
        network: { loss: 0.1, duplicate: 0.1, maxDelayMs: 80 },
      });
      sim.run(8_000);
      return {
        decided: [...sim.decided],
        delivered: sim.messagesDelivered,
        penalties: sim.penalties,
        wal: sim.nodes.map((node) => node.wal.length),
      };
    };
    const first = run();
    expect(first.decided.length).toBeGreaterThan(5);
    expect(run()).toEqual(first);
  });

  it('signs with the real ecdsa suite end to end', () => {
    const sim = simulate({ seed: 13, validators: 4, crypto: 'ecdsa' });
    sim.run(1_500);
    expectSafe(sim);
    expect(sim.minHonestHeight()).toBeGreaterThanOrEqual(3n);
  });
});

describe('consensus simulation: faults', () => {
  it('a dead leader costs a view change, then the next leader decides', () => {
    const sim = simulate({ seed: 21, validators: 4, dead: [1] });
    sim.run(20_000);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(12n);
    // Heights whose view-0 leader is the dead validator were decided in a later view; the others in view 0.
    for (let h = 1; h <= 12; h++) {
      const view = certificateView(sim, 0, h);
      if (leaderIndex(BigInt(h), 0, 4) === 1) expect(view, `height ${h}`).toBeGreaterThanOrEqual(1);
      else expect(view, `height ${h}`).toBe(0);
    }
  });

  it('a lossy, duplicating, reordering network slows it down but cannot fork it', () => {
    const sim = simulate({
      seed: 22,
      validators: 4,
      observers: 1,
      network: { loss: 0.2, duplicate: 0.3, minDelayMs: 1, maxDelayMs: 300 },
    });
    sim.run(30_000);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(8n);
    expectNoFalseAccusations(sim);
  });

  it('a 2–2 partition decides nothing and forks nothing; healed, it goes on', () => {
    const sim = simulate({
      seed: 23,
      validators: 4,
      partitions: [
        {
          fromMs: 2_000,
          toMs: 20_000,
          groups: [
            [0, 1],
            [2, 3],
          ],
        },
      ],
    });
    sim.run(2_500); // messages in flight when the partition began have landed
    const before = [...sim.decided];
    expect(before.length).toBeGreaterThan(3);
    sim.run(19_900);
    expect([...sim.decided], `seed ${sim.seed}: decided during the partition`).toEqual(before);
    expectSafe(sim);
    // Both halves kept changing views in vain.
    for (const node of sim.nodes) expect(node.machine?.status().viewChangeTarget).toBeGreaterThanOrEqual(3);
    const healed = sim.runUntil(() => sim.minHonestHeight() >= BigInt(before.length + 5), 60_000);
    expect(healed, `seed ${sim.seed}: no progress after healing`).toBe(true);
    expectSafe(sim);
  });

  it('crashes in the middle of writing and sending, then restarts from the WAL, never double-sign', () => {
    const crashes = Array.from({ length: 16 }, (_, i) => ({
      node: i % 4,
      atMs: 700 + i * 900,
      downMs: 200 + (i % 3) * 500,
      afterActions: i % 4,
    }));
    const sim = simulate({
      seed: 24,
      validators: 4,
      network: { loss: 0.05, maxDelayMs: 60 },
      crashes,
    });
    sim.run(25_000);
    // The harness flags any (height, view, phase) an honest validator signed twice with different content.
    expectSafe(sim);
    expect(sim.nodes.reduce((sum, node) => sum + node.restarts, 0)).toBe(16);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(10n);
    expectNoFalseAccusations(sim);
  });

  it('an invalid proposal makes the validators change view, and its leader is penalised', () => {
    const sim = simulate({ seed: 25, validators: 4, byzantine: { 1: ['invalidBlocks'] } });
    sim.run(20_000);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(12n);
    for (let h = 1; h <= 12; h++) {
      if (leaderIndex(BigInt(h), 0, 4) === 1)
        expect(certificateView(sim, 0, h), `height ${h}`).toBeGreaterThanOrEqual(1);
    }
    const accusers = new Set(
      sim.penalties.filter((p) => p.peer === 1 && p.reason === 'invalid proposal').map((p) => p.by),
    );
    expect([...accusers].sort()).toEqual([0, 2, 3]);
    expectNoFalseAccusations(sim);
  });
});

describe('consensus simulation: byzantine validators', () => {
  it.each([
    { n: 4, byzantine: [2] },
    { n: 7, byzantine: [1, 5] },
  ])('$n validators with f = $byzantine.length byzantine: no fork, no stall', ({ n, byzantine }) => {
    const sim = simulate({
      seed: 31,
      validators: n,
      observers: 1,
      byzantine: Object.fromEntries(byzantine.map((i) => [i, ALL_BEHAVIOURS])),
      network: { maxDelayMs: 40 },
    });
    sim.run(20_000);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(15n);
    expectNoFalseAccusations(sim);
    // Every kind of attack was noticed and attributed.
    const reasons = new Set(sim.penalties.filter((p) => byzantine.includes(p.peer)).map((p) => p.reason));
    for (const reason of [
      'malformed consensus message',
      'bad prepare signature',
      'conflicting prepare votes',
      'conflicting commit votes',
      'forged prepared certificate',
      'prepared certificate below quorum',
      'invalid proposal',
    ]) {
      expect(reasons, `seed ${sim.seed}: ${reason}`).toContain(reason);
    }
  });

  it('block sync refuses forged and under-quorum commit certificates from a byzantine peer', () => {
    const sim = simulate({
      seed: 33,
      validators: 4,
      byzantine: { 3: ['forgeCertificates'] },
      crashes: [1, 2, 3, 4, 5, 6].map((i) => ({ node: i % 2, atMs: i * 4_000, downMs: 3_000 })),
    });
    sim.run(30_000);
    expect(sim.forgedSyncBlocksRejected, `seed ${sim.seed}`).toBeGreaterThan(0);
    expectSafe(sim);
    expect(sim.minHonestHeight(), `seed ${sim.seed}`).toBeGreaterThanOrEqual(20n);
  });

  it('an equivocating leader, together with loss and a partition, cannot split the honest validators', () => {
    const sim = simulate({
      seed: 32,
      validators: 4,
      byzantine: { 3: ['equivocate', 'doubleVote'] },
      network: { loss: 0.1, duplicate: 0.1, maxDelayMs: 150 },
      partitions: [
        {
          fromMs: 4_000,
          toMs: 9_000,
          groups: [
            [0, 3],
            [1, 2],
          ],
        },
      ],
    });
    sim.run(15_000);
    sim.setNetwork({ loss: 0, duplicate: 0, maxDelayMs: 20 });
    const settled = sim.runUntil(() => sim.minHonestHeight() >= 12n, 60_000);
    expect(settled, `seed ${sim.seed}`).toBe(true);
    expectSafe(sim);
    expectNoFalseAccusations(sim);
  });
});
