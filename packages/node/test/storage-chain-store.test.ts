import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchOp, ChainStore } from '../src/storage/chain-store.js';

/** ChainStore.writeDurably: the direct batch path writes exactly what the public one would. */

const suite = getSuite('ecdsa');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'weft-chain-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (...values: number[]) => new Uint8Array(values);
/** LevelDB hands back Buffers; compare plain bytes. */
const plain = (value: Uint8Array | undefined) => (value === undefined ? undefined : Uint8Array.from(value));

describe('ChainStore.writeDurably', () => {
  it('applies puts and deletes in order, and they survive closing and reopening', async () => {
    const location = path.join(dir, 'reopen');
    const store = await ChainStore.open(location, suite);
    await store.writeDurably([
      { type: 'put', key: bytes(0x73, 1), value: bytes(10, 11) },
      { type: 'put', key: bytes(0x73, 2), value: bytes(20) },
      { type: 'put', key: bytes(0x73, 3), value: new Uint8Array(0) },
    ]);
    await store.writeDurably([
      { type: 'del', key: bytes(0x73, 2) },
      { type: 'put', key: bytes(0x73, 1), value: bytes(12) },
    ]);
    await store.close();
    const reopened = await ChainStore.open(location, suite);
    expect(plain(await reopened.get(bytes(0x73, 1)))).toEqual(bytes(12));
    expect(await reopened.get(bytes(0x73, 2))).toBeUndefined();
    expect(plain(reopened.getSync(bytes(0x73, 3)))).toEqual(new Uint8Array(0));
    await reopened.close();
  });

  it('stores byte views at an offset as the bytes they show (not their whole buffer)', async () => {
    const store = await ChainStore.open(path.join(dir, 'views'), suite);
    const backing = bytes(1, 2, 3, 4, 5, 6, 7, 8);
    await store.writeDurably([{ type: 'put', key: backing.subarray(2, 4), value: backing.subarray(5, 8) }]);
    expect(plain(await store.get(bytes(3, 4)))).toEqual(bytes(6, 7, 8));
    await store.close();
  });

  it('agrees with the public batch method on random batches', async () => {
    const direct = await ChainStore.open(path.join(dir, 'direct'), suite);
    const reference = await ChainStore.open(path.join(dir, 'reference'), suite);
    const key = fc.uint8Array({ minLength: 1, maxLength: 6, max: 7 });
    const op: fc.Arbitrary<BatchOp> = fc.oneof(
      fc.record({ type: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({ type: fc.constant('del' as const), key }),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        for (const o of ops) seen.add(Buffer.from(o.key).toString('hex'));
        await direct.writeDurably(ops);
        await reference.db.batch(ops, { sync: true });
        for (const hex of seen) {
          const k = Uint8Array.from(Buffer.from(hex, 'hex'));
          expect(await direct.get(k)).toEqual(await reference.get(k));
        }
      }),
      { numRuns: 60 },
    );
    await direct.close();
    await reference.close();
  });

  it('refuses an operation whose key or value is not bytes, and writes none of the batch', async () => {
    const store = await ChainStore.open(path.join(dir, 'hostile'), suite);
    const good: BatchOp = { type: 'put', key: bytes(0x73, 9), value: bytes(1) };
    const hostile = [
      { type: 'put', key: 'text', value: bytes(1) },
      { type: 'put', key: bytes(0x73, 8), value: [1, 2] },
      { type: 'del', key: 42 },
    ] as unknown as BatchOp[];
    for (const bad of hostile) {
      await expect(store.writeDurably([good, bad])).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    }
    expect(await store.get(bytes(0x73, 9))).toBeUndefined();
    await store.close();
  });

  it('refuses to write once the database is closed', async () => {
    const store = await ChainStore.open(path.join(dir, 'closed'), suite);
    await store.close();
    await expect(store.writeDurably([{ type: 'put', key: bytes(1), value: bytes(2) }])).rejects.toMatchObject(
      {
        code: 'STORAGE_ERROR',
      },
    );
  });
});
