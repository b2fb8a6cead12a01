import { Account, Address } from '@ethereumjs/util';
import { shake256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import type { SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { sm3 as sm3Js, sm4 as sm4Js } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import { emptyStateRoot } from '../src/execution/executor.js';
import { auditStateEntries } from '../src/state/audit.js';
import { createFlatStateManager, type FlatStateManager } from '../src/state/flat-state-manager.js';
import { accountEntry, parseStorageKey, stateKeyKind, storageKey } from '../src/state/layout.js';
import {
  expandEntryShake256,
  expandEntrySm3Sm4,
  LTHASH_BYTES,
  LtHash,
  ltHashOf,
} from '../src/state/lthash.js';
import { MemoryDb } from './fixtures/harness.js';

function entriesOf(db: MemoryDb): [Uint8Array, Uint8Array][] {
  return [...db.map].map(([k, v]) => [hexToBytes(k), v]);
}

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const addressArb = fc.integer({ min: 1, max: 6 }).map((n) => new Uint8Array(20).fill(n));

/** One state change: an account's balance, or a storage slot's value (0 deletes it). */
type Change =
  | { kind: 'balance'; a: Uint8Array; v: bigint }
  | { kind: 'slot'; a: Uint8Array; s: bigint; v: bigint };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('balance' as const), a: addressArb, v: fc.bigInt(0n, 1000n) }),
  fc.record({
    kind: fc.constant('slot' as const),
    a: addressArb,
    s: fc.bigInt(0n, 4n),
    v: fc.bigInt(0n, 3n),
  }),
);

async function applyChanges(view: FlatStateManager, changes: readonly Change[]): Promise<void> {
  for (const c of changes) {
    const address = new Address(c.a);
    if (c.kind === 'balance') {
      const account = (await view.getAccount(address)) ?? new Account(1n);
      account.balance = c.v;
      await view.putAccount(address, account);
    } else {
      if ((await view.getAccount(address)) === undefined) await view.putAccount(address, new Account(1n));
      await view.putStorage(address, word(c.s), word(c.v));
    }
  }
}

/** Commits `blocks` one after another and returns the final root and the store. */
async function commitBlocks(suiteName: SuiteName, blocks: readonly (readonly Change[])[]) {
  const suite = getSuite(suiteName);
  const db = new MemoryDb();
  const state = await createFlatStateManager({ suite, db, cacheBytes: 1 << 20 });
  for (const block of blocks) {
    const view = state.createView();
    await applyChanges(view, block);
    const diff = await view.computeDiff();
    db.write(diff);
    state.applyCommitted(diff);
  }
  return { root: state.committedStateRoot, db, state, suite };
}

/** The final value of every key after the changes, as a canonical string. */
function finalState(changes: readonly Change[]): string {
  const out = new Map<string, bigint>();
  for (const c of changes) {
    const key = c.kind === 'balance' ? `b${bytesToHex(c.a)}` : `s${bytesToHex(c.a)}:${c.s}`;
    out.set(key, c.v);
    if (!out.has(`b${bytesToHex(c.a)}`)) out.set(`b${bytesToHex(c.a)}`, 0n);
  }
  return JSON.stringify(
    [...out].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)),
    (_, v) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

describe('LtHash', () => {
  const expansionArb = fc.uint8Array({ minLength: 1, maxLength: 80 }).map(expandEntryShake256);

  it('is a commutative group: order does not matter and subtract undoes add', () => {
    fc.assert(
      fc.property(fc.array(expansionArb, { minLength: 1, maxLength: 6 }), (xs) => {
        const forward = LtHash.zero();
        for (const x of xs) forward.add(x);
        const backward = LtHash.zero();
        for (const x of [...xs].reverse()) backward.add(x);
        expect(forward.equals(backward)).toBe(true);
        for (const x of xs) forward.subtract(x);
        expect(forward.isZero()).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('adds lane-wise modulo 2^16, little-endian', () => {
    const a = new Uint8Array(LTHASH_BYTES);
    a[0] = 0xff;
    a[1] = 0xff; // lane 0 = 0xffff
    a[2] = 0x01; // lane 1 = 0x0001
    const b = new Uint8Array(LTHASH_BYTES);
    b[0] = 0x02; // lane 0 = 0x0002
    b[3] = 0x01; // lane 1 = 0x0100
    const sum = LtHash.zero().add(a).add(b).toBytes();
    expect([...sum.subarray(0, 4)]).toEqual([0x01, 0x00, 0x01, 0x01]);
    expect(LtHash.fromBytes(sum).toBytes()).toEqual(sum);
  });

  it('expands ecdsa entries with SHAKE256 to 2048 bytes (checked against @noble/hashes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (entry) => {
        expect(expandEntryShake256(entry)).toEqual(shake256(entry, { dkLen: 2048 }));
      }),
      { numRuns: 30 },
    );
  });

  it('expands sm entries as SM4-CTR keyed by SM3(entry) (checked against sm-crypto-v2, block by block)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (entry) => {
        const k = hexToBytes(sm3Js(entry));
        const key = k.subarray(0, 16);
        let counter = BigInt(bytesToHex(k.subarray(16, 32)));
        const expected = new Uint8Array(LTHASH_BYTES);
        for (let i = 0; i < LTHASH_BYTES / 16; i++) {
          const block = word(counter).subarray(16);
          expected.set(sm4Js.encrypt(block, key, { mode: 'ecb', padding: 'none', output: 'array' }), i * 16);
          counter = (counter + 1n) % 2n ** 128n; // the whole 128-bit block is the counter
        }
        expect(bytesToHex(expandEntrySm3Sm4(entry))).toBe(bytesToHex(expected));
      }),
      { numRuns: 10 },
    );
  });

  it('pins the constructions (regression vectors)', () => {
    const entry = accountEntry(new Uint8Array(20).fill(0x11), Uint8Array.of(0xc4, 0x01, 0x02, 0x80, 0x80));
    expect(
      bytesToHex(getSuite('ecdsa').hash(ltHashOf(expandEntryShake256, [entry]).toBytes())),
    ).toMatchInlineSnapshot(`"0xdf0f3a813bf14b98f16d72626f8202786b53911a6dc351f2ffcc9205f8ae99d3"`);
    expect(
      bytesToHex(getSuite('sm').hash(ltHashOf(expandEntrySm3Sm4, [entry]).toBytes())),
    ).toMatchInlineSnapshot(`"0xc11696536b69cda8b73975f9f056ccbc502d85fb20e2dedea4b47f4a79203f41"`);
    expect(bytesToHex(emptyStateRoot(getSuite('ecdsa')))).toBe(
      bytesToHex(getSuite('ecdsa').hash(new Uint8Array(2048))),
    );
  });
});

describe('state root', () => {
  it('depends only on the final state: any order, any split into blocks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(changeArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        async (changes, parts, seed) => {
          // Keep the last write to each key, so reordering them keeps the final state.
          const last = new Map<string, Change>();
          for (const c of changes) last.set(c.kind === 'balance' ? `b${c.a[0]}` : `s${c.a[0]}:${c.s}`, c);
          const unique = [...last.values()];
          const shuffled = fc.sample(fc.shuffledSubarray(unique, { minLength: unique.length }), {
            seed,
            numRuns: 1,
          })[0]!;
          const size = Math.ceil(shuffled.length / parts);
          const blocks = Array.from({ length: parts }, (_, i) => shuffled.slice(i * size, (i + 1) * size));
          const one = await commitBlocks('ecdsa', [unique]);
          const many = await commitBlocks('ecdsa', blocks);
          expect(bytesToHex(many.root)).toBe(bytesToHex(one.root));
          // Incremental = recomputed from scratch, and the bookkeeping is consistent.
          const audit = auditStateEntries(many.suite, entriesOf(many.db));
          expect(audit.problems).toEqual([]);
          expect(bytesToHex(audit.stateRoot)).toBe(bytesToHex(many.root));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('differs for different states', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(changeArb, { maxLength: 12 }),
        fc.array(changeArb, { maxLength: 12 }),
        async (a, b) => {
          fc.pre(finalState(a) !== finalState(b));
          const [ra, rb] = await Promise.all([commitBlocks('ecdsa', [a]), commitBlocks('ecdsa', [b])]);
          expect(bytesToHex(ra.root)).not.toBe(bytesToHex(rb.root));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('differs between the ecdsa and sm suites, and both are deterministic', async () => {
    const changes: Change[] = [
      { kind: 'balance', a: new Uint8Array(20).fill(1), v: 5n },
      { kind: 'slot', a: new Uint8Array(20).fill(2), s: 1n, v: 3n },
    ];
    const [e1, e2, s1, s2] = await Promise.all([
      commitBlocks('ecdsa', [changes]),
      commitBlocks('ecdsa', [changes]),
      commitBlocks('sm', [changes]),
      commitBlocks('sm', [changes]),
    ]);
    expect(e1.root).toEqual(e2.root);
    expect(s1.root).toEqual(s2.root);
    expect(bytesToHex(e1.root)).not.toBe(bytesToHex(s1.root));
    const audit = auditStateEntries(s1.suite, entriesOf(s1.db));
    expect(audit.problems).toEqual([]);
    expect(audit.stateRoot).toEqual(s1.root);
  });

  it('costs what the block changed: an unchanged state diff holds only the accumulator', async () => {
    const { state } = await commitBlocks('ecdsa', [
      [{ kind: 'slot', a: new Uint8Array(20).fill(1), s: 0n, v: 1n }],
    ]);
    const view = state.createView();
    const address = new Address(new Uint8Array(20).fill(1));
    // Write the same value back, and write-then-restore another: no net change.
    await view.putStorage(address, word(0n), word(1n));
    await view.putStorage(address, word(1n), word(7n));
    await view.putStorage(address, word(1n), word(0n));
    const diff = await view.computeDiff();
    expect(diff.changed).toEqual({ accounts: 0, slots: 0, codes: 0 });
    expect(diff.entries.map((e) => stateKeyKind(e.key))).toEqual(['accumulator']);
    expect(diff.stateRoot).toEqual(state.committedStateRoot);
  });
});

describe('clearing storage on a flat store', () => {
  it('drops committed storage in O(1) by moving the account to a new incarnation', async () => {
    const suite = getSuite('ecdsa');
    const db = new MemoryDb();
    const state = await createFlatStateManager({ suite, db });
    const address = new Address(new Uint8Array(20).fill(7));
    const commit = async (work: (view: FlatStateManager) => Promise<void>) => {
      const view = state.createView();
      await work(view);
      const diff = await view.computeDiff();
      db.write(diff);
      state.applyCommitted(diff);
      return diff;
    };
    await commit(async (view) => {
      await view.putAccount(address, new Account(1n, 0n));
      for (let i = 0n; i < 20n; i++) await view.putStorage(address, word(i), word(i + 1n));
    });
    // Block 2: the account is deleted (as SELFDESTRUCT would) and re-created, with one new slot.
    const cleared = await commit(async (view) => {
      await view.deleteAccount(address);
      await view.putAccount(address, new Account(1n, 0n));
      await view.putStorage(address, word(3n), word(99n));
    });
    // The diff did not touch the 20 old slots: it wrote one slot under incarnation 1, the header,
    // the account and the accumulator.
    const kinds = cleared.entries.map((e) => stateKeyKind(e.key));
    expect(kinds.filter((k) => k === 'storage')).toHaveLength(1);
    const written = cleared.entries.find((e) => stateKeyKind(e.key) === 'storage')!;
    expect(parseStorageKey(written.key).incarnation).toBe(1n);
    expect(written.key).toEqual(storageKey(address.bytes, 1n, word(3n)));

    const view = state.createView();
    expect(bytesToHex(await view.getStorage(address, word(3n)))).toBe('0x63');
    for (const i of [0n, 1n, 19n]) expect((await view.getStorage(address, word(i))).length).toBe(0);
    const audit = auditStateEntries(suite, entriesOf(db));
    expect(audit.problems).toEqual([]);
    expect(audit.garbageSlots).toBe(20);
    expect(audit.slots).toBe(1);
    expect(audit.stateRoot).toEqual(state.committedStateRoot);

    // The same final state built directly has the same root: the garbage is not part of the state.
    const fresh = await commitBlocks('ecdsa', [[]]);
    const direct = fresh.state.createView();
    await direct.putAccount(address, new Account(1n, 0n));
    await direct.putStorage(address, word(3n), word(99n));
    expect((await direct.computeDiff()).stateRoot).toEqual(state.committedStateRoot);
  });

  it('forgets storage of a deleted account even if it is never re-created', async () => {
    const suite = getSuite('ecdsa');
    const db = new MemoryDb();
    const state = await createFlatStateManager({ suite, db });
    const address = new Address(new Uint8Array(20).fill(8));
    const first = state.createView();
    await first.putAccount(address, new Account(1n, 1n));
    await first.putStorage(address, word(1n), word(1n));
    const d1 = await first.computeDiff();
    db.write(d1);
    state.applyCommitted(d1);
    const second = state.createView();
    await second.deleteAccount(address);
    const d2 = await second.computeDiff();
    db.write(d2);
    state.applyCommitted(d2);
    expect(state.committedStateRoot).toEqual(emptyStateRoot(suite));
    expect((await state.createView().getStorage(address, word(1n))).length).toBe(0);
  });
});
