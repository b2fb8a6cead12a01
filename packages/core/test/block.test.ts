import { bytesToHex } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BlockHeader,
  createBlock,
  decodeBlock,
  encodeBlock,
  encodedBlockTransactions,
  transactionsRoot,
} from '../src/block.js';
import { decodeTransaction, signLegacyTx } from '../src/tx.js';

const suite = getSuite('ecdsa');
const key = suite.generateKeyPair().privateKey;

function transfers(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    signLegacyTx(
      suite,
      {
        chainId: 77n,
        nonce: BigInt(i),
        gasPrice: 0n,
        gasLimit: 50_000n,
        to: new Uint8Array(20).fill(7),
        value: BigInt(i),
        data: new Uint8Array(i % 5),
      },
      key,
    ),
  );
}

function blockOf(raws: readonly Uint8Array[]) {
  const txs = raws.map((raw) => decodeTransaction(suite, raw));
  const header: BlockHeader = {
    parentHash: new Uint8Array(32).fill(1),
    number: 9n,
    timestamp: 1_700_000_000_000n,
    sealer: new Uint8Array(20).fill(2),
    transactionsRoot: transactionsRoot(suite, txs),
    receiptsRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    extraData: new Uint8Array(0),
  };
  return createBlock(suite, header, txs, new Uint8Array([9, 9]));
}

describe('encodedBlockTransactions', () => {
  const raws = transfers(6);
  const bytes = encodeBlock(blockOf(raws));

  it('returns the raw transactions of an encoded block, in order, without decoding them', () => {
    expect(encodedBlockTransactions(bytes).map(bytesToHex)).toEqual(raws.map(bytesToHex));
    expect(encodedBlockTransactions(encodeBlock(blockOf([])))).toEqual([]);
  });

  it('feeds decodeBlock through `known`: the same block as decoding everything inline', () => {
    const decoded = new Map(
      encodedBlockTransactions(bytes).map((raw) => {
        const tx = decodeTransaction(suite, raw);
        return [bytesToHex(tx.hash), tx] as const;
      }),
    );
    const viaKnown = decodeBlock(suite, bytes, { known: (h) => decoded.get(h) });
    const inline = decodeBlock(suite, bytes);
    expect(bytesToHex(viaKnown.hash)).toBe(bytesToHex(inline.hash));
    expect(viaKnown.transactions.map((t) => bytesToHex(t.sender))).toEqual(
      inline.transactions.map((t) => bytesToHex(t.sender)),
    );
  });

  it('throws a WeftError on any truncation of the block, as decodeBlock does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (cut) => {
        let error: unknown;
        try {
          encodedBlockTransactions(bytes.subarray(0, cut));
        } catch (e) {
          error = e;
        }
        expect(isWeftError(error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
