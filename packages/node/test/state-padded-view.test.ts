import { Account, Address } from '@ethereumjs/util';
import { bytesToHex } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFlatStateManager, isStateOwnedCode } from '../src/state/flat-state-manager.js';
import { MemoryDb } from './fixtures/harness.js';

/**
 * EVM views answer storage values as 32 bytes (a performance change for @ethereumjs/evm): the same
 * numbers as a plain view, zero still empty, and nothing else about the state changes.
 */
const suite = getSuite('ecdsa');
const address = new Address(new Uint8Array(20).fill(0x42));

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31, x = v; i >= 0 && x > 0n; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

function padded(bytes: Uint8Array): string {
  return bytes.length === 0 ? '0x' : bytesToHex(word(BigInt(bytesToHex(bytes))));
}

const arbValue = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 255n }),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  fc.constant(2n ** 255n),
);
const arbWrites = fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), arbValue), { maxLength: 12 });

describe('padded storage values', () => {
  it('answers the numbers a plain view answers, committed and pending, zero as empty', async () => {
    await fc.assert(
      fc.asyncProperty(arbWrites, arbWrites, async (committedWrites, pendingWrites) => {
        const db = new MemoryDb();
        const state = await createFlatStateManager({ suite, db });
        const setup = state.createView();
        await setup.putAccount(address, new Account(1n, 0n));
        for (const [slot, value] of committedWrites)
          await setup.putStorage(address, word(BigInt(slot)), word(value));
        const diff = await setup.computeDiff();
        db.write(diff);
        state.applyCommitted(diff);

        const plain = state.createView();
        const evm = state.createView({ paddedStorageValues: true });
        for (const [slot, value] of pendingWrites) {
          await plain.putStorage(address, word(BigInt(slot)), word(value));
          await evm.putStorage(address, word(BigInt(slot)), word(value));
        }
        for (let slot = 0n; slot < 8n; slot++) {
          const a = await plain.getStorage(address, word(slot));
          const b = await evm.getStorage(address, word(slot));
          expect(bytesToHex(b)).toBe(padded(a));
          expect(b.length === 0 || b.length === 32).toBe(true);
          expect(await evm.originalStorageCache.get(address, word(slot))).toEqual(
            await evm.getStorage(address, word(slot)),
          );
        }
        // The writes themselves are stored minimal either way: the same diff and root.
        const [rootPlain, rootEvm] = [await plain.computeDiff(), await evm.computeDiff()];
        expect(rootEvm.stateRoot).toEqual(rootPlain.stateRoot);
        expect(rootEvm.entries).toEqual(rootPlain.entries);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the mode in a shallow copy, and hands out state-owned code either way', async () => {
    const state = await createFlatStateManager({ suite, db: new MemoryDb() });
    const evm = state.createView({ paddedStorageValues: true });
    await evm.putAccount(address, new Account(1n, 0n));
    await evm.putStorage(address, word(1n), word(7n));
    await evm.putCode(address, Uint8Array.of(0x60, 0x00));
    expect((await evm.getStorage(address, word(1n))).length).toBe(32);
    expect(isStateOwnedCode(await evm.getCode(address))).toBe(true);
    const diff = await evm.computeDiff();
    state.applyCommitted(diff);
    const copy = evm.shallowCopy();
    expect(bytesToHex(await copy.getStorage(address, word(1n)))).toBe(bytesToHex(word(7n)));
    expect(bytesToHex(await state.createView().getStorage(address, word(1n)))).toBe('0x07');
  });
});
