import { bytesToHex } from '@weft/crypto/bytes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { faultTolerance } from '../src/consensus/certificate.js';
import {
  ALL_BEHAVIOURS,
  type ByzantineBehaviour,
  createSimulation,
  type SimOptions,
} from './consensus-sim.js';

/**
 * Agreement and certificate validity over random schedules: network loss, duplication, delay and
 * reordering, a partition, crashes mid-batch, and up to f byzantine validators mixing every attack.
 * Once the network is good again (and every crashed node is back), the honest validators must progress.
 * fast-check prints the failing schedule (its `seed` replays the simulation) and its own seed and path.
 */
const schedule = fc
  .record({
    seed: fc.integer({ min: 0, max: 0x7fff_ffff }),
    n: fc.constantFrom(4, 4, 4, 5, 7),
    loss: fc.double({ min: 0, max: 0.35, noNaN: true }),
    duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
    maxDelayMs: fc.integer({ min: 1, max: 500 }),
    partition: fc.option(
      fc.record({
        fromMs: fc.integer({ min: 0, max: 8_000 }),
        lengthMs: fc.integer({ min: 500, max: 10_000 }),
        cut: fc.integer({ min: 1, max: 6 }),
      }),
      { nil: null },
    ),
    behaviours: fc.subarray([...ALL_BEHAVIOURS, 'silent'] as ByzantineBehaviour[], { minLength: 1 }),
    byzantineCount: fc.integer({ min: 0, max: 2 }),
    crashes: fc.array(
      fc.record({
        node: fc.nat({ max: 6 }),
        atMs: fc.integer({ min: 0, max: 10_000 }),
        downMs: fc.integer({ min: 0, max: 3_000 }),
        afterActions: fc.nat({ max: 5 }),
      }),
      { maxLength: 4 },
    ),
  })
  .map((s): SimOptions => {
    const f = faultTolerance(s.n);
    const byzantine: Record<number, ByzantineBehaviour[]> = {};
    for (let i = 0; i < Math.min(f, s.byzantineCount); i++) byzantine[(2 * i + 1) % s.n] = s.behaviours;
    const everyone = Array.from({ length: s.n + 1 }, (_, i) => i); // validators and one observer
    return {
      seed: s.seed,
      validators: s.n,
      observers: 1,
      byzantine,
      network: { loss: s.loss, duplicate: s.duplicate, minDelayMs: 1, maxDelayMs: s.maxDelayMs },
      partitions:
        s.partition === null
          ? []
          : [
              {
                fromMs: s.partition.fromMs,
                toMs: Math.min(s.partition.fromMs + s.partition.lengthMs, 11_000),
                groups: [
                  everyone.filter((i) => i < s.partition!.cut),
                  everyone.filter((i) => i >= s.partition!.cut),
                ],
              },
            ],
      crashes: s.crashes.map((c) => ({ ...c, node: c.node % s.n })),
    };
  });

describe('consensus property: agreement under random schedules', () => {
  it('never forks, always certifies, and progresses once the network is good', () => {
    fc.assert(
      fc.property(schedule, (options) => {
        const sim = createSimulation(options);
        sim.run(12_000);
        expect(sim.violations).toEqual([]);
        const stalledAt = sim.minHonestHeight();
        sim.setNetwork({ loss: 0, duplicate: 0, minDelayMs: 1, maxDelayMs: 20 });
        const progressed = sim.runUntil(() => sim.minHonestHeight() >= stalledAt + 3n, 90_000);
        // Agreement: every honest node's chain is a prefix of one chain; every certificate verified (in the
        // harness, against the validator list) and no honest validator signed twice in one (height, view, phase).
        expect(sim.violations).toEqual([]);
        const honest = sim.nodes.filter((node) => sim.isHonest(node.index));
        const hashesAt = new Map<number, string>();
        for (const node of honest) {
          node.chain.forEach((block, i) => {
            const hash = bytesToHex(block.hash);
            expect(hashesAt.get(i) ?? hash).toBe(hash);
            hashesAt.set(i, hash);
          });
        }
        expect(progressed).toBe(true);
        const wronged = sim.penalties.filter((p) => p.severity === 'high' && sim.isHonest(p.peer));
        expect(wronged).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
