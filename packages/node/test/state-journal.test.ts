import { Account, Address, KECCAK256_NULL } from '@ethereumjs/util';
import { bytesToHex } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditStateEntries } from '../src/state/audit.js';
import { createFlatStateManager, type FlatStateManager } from '../src/state/flat-state-manager.js';
import { MemoryDb } from './fixtures/harness.js';

/**
 * The flat state against a model: a stack of plain snapshots. Random sequences of writes, nested
 * checkpoints, commits and reverts must read back exactly like the model after every step, and
 * what is finally committed must read back from a fresh view and audit clean.
 */

const ADDRESSES = [1, 2, 3].map((n) => new Address(new Uint8Array(20).fill(n)));
const SLOTS = [0, 1, 2].map((n) => {
  const s = new Uint8Array(32);
  s[31] = n;
  return s;
});
const CODES = [Uint8Array.of(0x60, 0x00), Uint8Array.of(0x60, 0x01, 0x60, 0x02)];

interface ModelAccount {
  nonce: bigint;
  balance: bigint;
  code: number | null;
}

interface Model {
  accounts: Map<number, ModelAccount>;
  storage: Map<string, bigint>;
}

type Op =
  | { op: 'putAccount'; a: number; nonce: bigint; balance: bigint }
  | { op: 'deleteAccount'; a: number }
  | { op: 'putStorage'; a: number; s: number; v: bigint }
  | { op: 'clearStorage'; a: number }
  | { op: 'putCode'; a: number; c: number }
  | { op: 'checkpoint' }
  | { op: 'commit' }
  | { op: 'revert' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('putAccount' as const),
    a: fc.nat(2),
    nonce: fc.bigInt(0n, 3n),
    balance: fc.bigInt(0n, 2n ** 70n),
  }),
  fc.record({ op: fc.constant('deleteAccount' as const), a: fc.nat(2) }),
  fc.record({
    op: fc.constant('putStorage' as const),
    a: fc.nat(2),
    s: fc.nat(2),
    v: fc.oneof(fc.constant(0n), fc.bigInt(0n, 2n ** 256n - 1n)),
  }),
  fc.record({ op: fc.constant('clearStorage' as const), a: fc.nat(2) }),
  fc.record({ op: fc.constant('putCode' as const), a: fc.nat(2), c: fc.nat(1) }),
  fc.constant({ op: 'checkpoint' as const }),
  fc.constant({ op: 'commit' as const }),
  fc.constant({ op: 'revert' as const }),
);

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function clone(m: Model): Model {
  return {
    accounts: new Map([...m.accounts].map(([k, v]) => [k, { ...v }])),
    storage: new Map(m.storage),
  };
}

function clearModelStorage(m: Model, a: number): void {
  for (const key of [...m.storage.keys()]) if (key.startsWith(`${a}:`)) m.storage.delete(key);
}

async function apply(state: FlatStateManager, model: Model, stack: Model[], op: Op): Promise<Model> {
  switch (op.op) {
    case 'putAccount': {
      const address = ADDRESSES[op.a]!;
      const existing = await state.getAccount(address);
      const account = new Account(op.nonce, op.balance, undefined, existing?.codeHash ?? KECCAK256_NULL);
      await state.putAccount(address, account);
      model.accounts.set(op.a, {
        nonce: op.nonce,
        balance: op.balance,
        code: model.accounts.get(op.a)?.code ?? null,
      });
      return model;
    }
    case 'deleteAccount':
      await state.deleteAccount(ADDRESSES[op.a]!);
      model.accounts.delete(op.a);
      clearModelStorage(model, op.a);
      return model;
    case 'putStorage':
      await state.putStorage(ADDRESSES[op.a]!, SLOTS[op.s]!, word(op.v));
      if (op.v === 0n) model.storage.delete(`${op.a}:${op.s}`);
      else model.storage.set(`${op.a}:${op.s}`, op.v);
      return model;
    case 'clearStorage':
      await state.clearStorage(ADDRESSES[op.a]!);
      clearModelStorage(model, op.a);
      return model;
    case 'putCode': {
      await state.putCode(ADDRESSES[op.a]!, CODES[op.c]!);
      const existing = model.accounts.get(op.a) ?? { nonce: 0n, balance: 0n, code: null };
      model.accounts.set(op.a, { ...existing, code: op.c });
      return model;
    }
    case 'checkpoint':
      await state.checkpoint();
      stack.push(clone(model));
      return model;
    case 'commit':
      if (stack.length === 0) return model;
      await state.commit();
      stack.pop();
      return model;
    case 'revert': {
      if (stack.length === 0) return model;
      await state.revert();
      return stack.pop() as Model;
    }
  }
}

async function expectSameAs(state: FlatStateManager, model: Model, dropOrphanStorage = false): Promise<void> {
  for (let a = 0; a < ADDRESSES.length; a++) {
    const address = ADDRESSES[a]!;
    const account = await state.getAccount(address);
    const expected = model.accounts.get(a);
    if (expected === undefined) {
      expect(account).toBeUndefined();
    } else {
      expect(account?.nonce).toBe(expected.nonce);
      expect(account?.balance).toBe(expected.balance);
      expect(bytesToHex(await state.getCode(address))).toBe(
        bytesToHex(expected.code === null ? new Uint8Array(0) : CODES[expected.code]!),
      );
    }
    for (let s = 0; s < SLOTS.length; s++) {
      const value = await state.getStorage(address, SLOTS[s]!);
      // After a commit, storage of accounts that do not exist is gone with them.
      const wanted =
        dropOrphanStorage && expected === undefined ? 0n : (model.storage.get(`${a}:${s}`) ?? 0n);
      expect(bytesToHex(value)).toBe(
        bytesToHex(
          wanted === 0n
            ? new Uint8Array(0)
            : word(wanted).subarray(32 - Math.ceil(wanted.toString(16).length / 2)),
        ),
      );
    }
  }
}

describe('flat state journal', () => {
  it('matches a snapshot model under random writes, checkpoints, commits and reverts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(opArb, { maxLength: 40 }),
        async (base, ops) => {
          const suite = getSuite('ecdsa');
          const db = new MemoryDb();
          const state = await createFlatStateManager({ suite, db, cacheBytes: 1 << 20 });
          // A committed base state, so reads fall through to the store as well as the overlay.
          let model: Model = { accounts: new Map(), storage: new Map() };
          const baseView = state.createView();
          for (const op of base) {
            if (op.op === 'checkpoint' || op.op === 'commit' || op.op === 'revert') continue;
            model = await apply(baseView, model, [], op);
          }
          const baseDiff = await baseView.computeDiff();
          db.write(baseDiff);
          state.applyCommitted(baseDiff);
          for (const key of [...model.storage.keys()]) {
            if (!model.accounts.has(Number(key.split(':')[0]))) model.storage.delete(key);
          }

          const view = state.createView();
          await expectSameAs(view, model);
          const stack: Model[] = [];
          for (const op of ops) {
            model = await apply(view, model, stack, op);
            await expectSameAs(view, model);
          }
          while (stack.length > 0) {
            await view.commit();
            stack.pop();
          }
          const diff = await view.computeDiff();
          db.write(diff);
          state.applyCommitted(diff);
          await expectSameAs(state.createView(), model, true);
          const audit = auditStateEntries(
            suite,
            [...db.map].map(([k, v]) => [Uint8Array.from(Buffer.from(k.slice(2), 'hex')), v] as const),
          );
          expect(audit.problems).toEqual([]);
          expect(bytesToHex(audit.stateRoot)).toBe(bytesToHex(state.committedStateRoot));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leaves a view unchanged by a revert, even of writes over deleted and cleared storage', async () => {
    const state = await createFlatStateManager({ suite: getSuite('ecdsa'), db: new MemoryDb() });
    const view = state.createView();
    const a = ADDRESSES[0]!;
    await view.putAccount(a, new Account(1n, 5n));
    await view.putStorage(a, SLOTS[0]!, word(9n));
    const before = await view.computeDiff();
    await view.checkpoint();
    await view.deleteAccount(a);
    await view.putAccount(a, new Account(0n, 1n));
    await view.putStorage(a, SLOTS[1]!, word(3n));
    await view.checkpoint();
    await view.clearStorage(a);
    await view.commit();
    await view.revert();
    const after = await view.computeDiff();
    expect(after.stateRoot).toEqual(before.stateRoot);
    expect(after.entries).toEqual(before.entries);
  });

  it('refuses unbalanced commits and reverts, and diffs inside a checkpoint', async () => {
    const view = (
      await createFlatStateManager({ suite: getSuite('ecdsa'), db: new MemoryDb() })
    ).createView();
    await expect(view.commit()).rejects.toMatchObject({ code: 'EXECUTION_ERROR' });
    await expect(view.revert()).rejects.toMatchObject({ code: 'EXECUTION_ERROR' });
    await view.checkpoint();
    await expect(view.computeDiff()).rejects.toMatchObject({ code: 'EXECUTION_ERROR' });
  });
});
