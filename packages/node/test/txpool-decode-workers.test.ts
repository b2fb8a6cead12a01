import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS } from '@weft/core/genesis';
import { rlpBytes, rlpDecode, rlpEncode, rlpList, uintToRlp } from '@weft/core/rlp';
import {
  decodeTransaction,
  signLegacyTx,
  signWeftTx,
  type Transaction,
  type UnsignedLegacyTx,
} from '@weft/core/tx';
import { bytesToBigint, bytesToHex } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TxDecodeWorkers } from '../src/txpool/decode-workers.js';
import { TxPool } from '../src/txpool/txpool.js';

/**
 * Decoding on worker threads is a performance change: a transaction decoded by a worker must be the
 * very transaction inline decoding gives, and a pool that prefetches must admit and refuse exactly
 * what it did before, with the same errors.
 *
 * Worker threads run compiled JavaScript, so these tests start the workers from the package's
 * `dist/` (built by `npx tsc -b`, which `npm test` runs first).
 */
const WORKER_URL = new URL('../dist/txpool/decode-workers.js', import.meta.url);
const CHAIN_ID = 4242n;
const ecdsa = getSuite('ecdsa');
const sm = getSuite('sm');

function legacy(
  suite: CryptoSuite,
  key: Uint8Array,
  nonce: bigint,
  overrides: Partial<UnsignedLegacyTx> = {},
) {
  return signLegacyTx(
    suite,
    {
      chainId: CHAIN_ID,
      nonce,
      gasPrice: 0n,
      gasLimit: 100_000n,
      to: new Uint8Array(20).fill(0x11),
      value: 0n,
      data: Uint8Array.of(0xa9, 0x05, 0x9c, 0xbb, Number(nonce & 0xffn)),
      ...overrides,
    },
    key,
  );
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function withHighS(raw: Uint8Array): Uint8Array {
  const fields = rlpList(rlpDecode(raw, 'test transaction'), 'test transaction', 9);
  const s = bytesToBigint(rlpBytes(fields[8], 's'));
  return rlpEncode([...fields.slice(0, 8), uintToRlp(SECP256K1_N - s)] as Uint8Array[]);
}

function native(suite: CryptoSuite, key: Uint8Array, nonce: bigint): Uint8Array {
  return signWeftTx(
    suite,
    {
      chainId: CHAIN_ID,
      nonce,
      blockLimit: 100n,
      to: new Uint8Array(20).fill(0x22),
      value: 1n,
      data: new Uint8Array([1, 2, 3]),
      gasLimit: 50_000n,
    },
    key,
  );
}

/** Every field, bytes as hex, so two transactions compare by value whatever buffers hold them. */
function plain(tx: Transaction): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tx)) {
    out[k] =
      v instanceof Uint8Array
        ? bytesToHex(v)
        : k === 'accessList'
          ? (v as Transaction['accessList']).map(([a, keys]) => [bytesToHex(a), keys.map(bytesToHex)])
          : v;
  }
  return out;
}

function poolFor(suite: CryptoSuite, workers: TxDecodeWorkers | null): TxPool {
  return new TxPool({
    suite,
    chainId: CHAIN_ID,
    settings: () => DEFAULT_SETTINGS,
    nextBlockNumber: () => 1n,
    accountNonce: async () => 0n,
    isCommitted: async () => false,
    decodeWorkers: workers,
  });
}

async function outcome(run: () => Promise<Transaction>): Promise<Record<string, unknown>> {
  try {
    return { ok: plain(await run()) };
  } catch (error) {
    if (!isWeftError(error)) throw error;
    return { code: error.code, message: error.message, penalise: error.penalise };
  }
}

let workers: TxDecodeWorkers;
let smWorkers: TxDecodeWorkers;

beforeAll(() => {
  if (!existsSync(fileURLToPath(WORKER_URL))) {
    throw new Error(`${fileURLToPath(WORKER_URL)} is missing: run \`npx tsc -b\` before these tests`);
  }
  const started = TxDecodeWorkers.create({ suite: 'ecdsa', threads: 2, workerUrl: WORKER_URL });
  const startedSm = TxDecodeWorkers.create({ suite: 'sm', threads: 1, workerUrl: WORKER_URL });
  if (started === null || startedSm === null) throw new Error('decode workers did not start');
  workers = started;
  smWorkers = startedSm;
});

afterAll(async () => {
  await workers.close();
  await smWorkers.close();
});

describe('TxDecodeWorkers', () => {
  it('decodes exactly what decodeTransaction decodes (legacy, native; ecdsa and sm)', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const smKey = sm.generateKeyPair().privateKey;
    const raws = [legacy(ecdsa, key, 0n), legacy(ecdsa, key, 1n, { to: null }), native(ecdsa, key, 7n)];
    const answer = await workers.decode(raws);
    expect(answer).not.toBeNull();
    expect(answer?.map((tx) => (tx === null ? null : plain(tx)))).toEqual(
      raws.map((raw) => plain(decodeTransaction(ecdsa, raw))),
    );
    const smRaws = [native(sm, smKey, 1n), native(sm, smKey, 2n)];
    const smAnswer = await smWorkers.decode(smRaws);
    expect(smAnswer?.map((tx) => (tx === null ? null : plain(tx)))).toEqual(
      smRaws.map((raw) => plain(decodeTransaction(sm, raw))),
    );
  });

  it('answers null for what it cannot decode, and the rest of the batch still decodes', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const good = legacy(ecdsa, key, 3n);
    const tampered = good.slice();
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0xff;
    const answer = await workers.decode([
      Uint8Array.of(0xc0),
      good,
      new Uint8Array(0),
      tampered.subarray(0, 20),
    ]);
    expect(answer?.length).toBe(4);
    expect(answer?.[0]).toBeNull();
    expect(answer?.[2]).toBeNull();
    expect(answer?.[3]).toBeNull();
    expect(answer?.[1]?.hash === undefined ? null : bytesToHex(answer[1].hash)).toBe(
      bytesToHex(ecdsa.hash(good)),
    );
  });

  it('spreads concurrent batches over its threads and answers each one', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => legacy(ecdsa, key, BigInt(b * 5 + i))),
    );
    const answers = await Promise.all(batches.map((batch) => workers.decode(batch)));
    answers.forEach((answer, b) => {
      expect(answer?.map((tx) => (tx === null ? null : bytesToHex(tx.hash)))).toEqual(
        batches[b]?.map((raw) => bytesToHex(ecdsa.hash(raw))),
      );
    });
  });

  it('resolves what is pending with null when closed, and answers null afterwards', async () => {
    const own = TxDecodeWorkers.create({ suite: 'ecdsa', threads: 1, workerUrl: WORKER_URL });
    expect(own?.isRunning).toBe(true);
    const key = ecdsa.generateKeyPair().privateKey;
    const pending = own?.decode(Array.from({ length: 50 }, (_, i) => legacy(ecdsa, key, BigInt(i))));
    await own?.close();
    const settled = await pending;
    // Either the worker answered before it was stopped, or the pool got "not decoded".
    expect(settled === null || settled?.length === 50).toBe(true);
    expect(own?.isRunning).toBe(false);
    expect(await own?.decode([legacy(ecdsa, key, 99n)])).toBeNull();
  });

  it('starts no worker for zero threads or from TypeScript sources (the pool then decodes inline)', () => {
    expect(TxDecodeWorkers.create({ suite: 'ecdsa', threads: 0, workerUrl: WORKER_URL })).toBeNull();
    // Run by vitest, this module's own URL is a .ts file: no default worker module.
    expect(TxDecodeWorkers.create({ suite: 'ecdsa', threads: 1 })).toBeNull();
  });
});

describe('TxPool.prefetch', () => {
  it('admits and refuses exactly what an inline pool does, with the same errors', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const good = [0n, 1n, 2n, 5n].map((n) => legacy(ecdsa, key, n));
    const wrongChain = signLegacyTx(
      ecdsa,
      {
        chainId: 1n,
        nonce: 3n,
        gasPrice: 0n,
        gasLimit: 100_000n,
        to: null,
        value: 0n,
        data: new Uint8Array(0),
      },
      key,
    );
    // A flipped bit in r: recovery then fails or yields some other sender, depending on the key.
    const tampered = legacy(ecdsa, key, 4n);
    tampered[tampered.length - 40] = (tampered[tampered.length - 40] as number) ^ 0x01;
    // The same signature with s replaced by n - s: valid ECDSA, but above n/2, which EIP-2 refuses.
    // (Re-encoded, not patched in place: s is sometimes 31 bytes, and a fixed-offset patch then broke
    // the RLP instead — about one run in 256 failed for that.)
    const highS = withHighS(legacy(ecdsa, key, 8n));
    const lowGas = legacy(ecdsa, key, 6n, { gasLimit: 20_000n });
    // A duplicate inside the batch, garbage, and a transaction the batch repeats after admitting it.
    const batch = [
      ...good,
      wrongChain,
      tampered,
      highS,
      lowGas,
      good[0] as Uint8Array,
      Uint8Array.of(1, 2, 3),
      native(ecdsa, key, 9n),
    ];

    const inline = poolFor(ecdsa, null);
    const withWorkers = poolFor(ecdsa, workers);
    const expected: Record<string, unknown>[] = [];
    for (const raw of batch) expected.push(await outcome(() => inline.addRaw(raw)));

    const keys = withWorkers.prefetch(batch);
    // Everything decodable and distinct was sent to a worker (the repeat and the garbage hash too).
    expect(keys.length).toBe(batch.length - 1);
    const actual: Record<string, unknown>[] = [];
    for (const raw of batch) actual.push(await outcome(() => withWorkers.addRaw(raw)));
    withWorkers.releasePrefetched(keys);

    expect(actual).toEqual(expected);
    // The good ones and the native one are admitted; the high-s signature never is.
    expect(actual.filter((o) => 'ok' in o).length).toBeGreaterThanOrEqual(5);
    expect(actual[batch.indexOf(highS)]).toMatchObject({ code: 'INVALID_SIGNATURE' });
    expect(withWorkers.size).toBe(inline.size);
    expect(withWorkers.select(100).map((tx) => bytesToHex(tx.hash))).toEqual(
      inline.select(100).map((tx) => bytesToHex(tx.hash)),
    );
  });

  it('prefetches nothing without workers, and skips what is pending or too large', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const raws = [legacy(ecdsa, key, 0n), legacy(ecdsa, key, 1n)];
    expect(poolFor(ecdsa, null).prefetch(raws)).toEqual([]);

    const pool = poolFor(ecdsa, workers);
    await pool.addRaw(raws[0] as Uint8Array);
    const huge = new Uint8Array(DEFAULT_SETTINGS.maxTxBytes + 1);
    expect(pool.prefetch([raws[0] as Uint8Array, huge, raws[1] as Uint8Array])).toEqual([
      bytesToHex(ecdsa.hash(raws[1] as Uint8Array)),
    ]);
    await pool.addRaw(raws[1] as Uint8Array);
    expect(pool.size).toBe(2);
  });

  it('keeps working inline after its workers are gone', async () => {
    const own = TxDecodeWorkers.create({ suite: 'ecdsa', threads: 1, workerUrl: WORKER_URL });
    const pool = poolFor(ecdsa, own);
    const key = ecdsa.generateKeyPair().privateKey;
    await own?.close();
    const raws = [legacy(ecdsa, key, 0n), legacy(ecdsa, key, 1n)];
    expect(pool.prefetch(raws)).toEqual([]);
    for (const raw of raws) await pool.addRaw(raw);
    expect(pool.size).toBe(2);
    await pool.close();
  });
});

describe('TxPool.decodeOffThread (block sync)', () => {
  it('decodes a block’s transactions as inline decoding does, leaving out what fails or is too large', async () => {
    const key = ecdsa.generateKeyPair().privateKey;
    const good = [0n, 1n, 2n].map((n) => legacy(ecdsa, key, n));
    const highS = withHighS(legacy(ecdsa, key, 8n));
    const tooLarge = legacy(ecdsa, key, 3n, { data: new Uint8Array(DEFAULT_SETTINGS.maxTxBytes) });
    const pool = poolFor(ecdsa, workers);
    const decoded = await pool.decodeOffThread([...good, highS, Uint8Array.of(1, 2, 3), tooLarge]);
    expect([...decoded.keys()].sort()).toEqual(good.map((raw) => bytesToHex(ecdsa.hash(raw))).sort());
    for (const raw of good) {
      expect(plain(decoded.get(bytesToHex(ecdsa.hash(raw))) as Transaction)).toEqual(
        plain(decodeTransaction(ecdsa, raw)),
      );
    }
    // Nothing is admitted.
    expect(pool.size).toBe(0);
    expect((await poolFor(ecdsa, null).decodeOffThread(good)).size).toBe(0);
  });
});
