import { bytesToHex, utf8ToBytes } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import { addToBloom, BLOOM_BYTES } from './bloom.js';
import { merkleRoot } from './merkle.js';
import {
  type RlpItem,
  rlpBytes,
  rlpDecode,
  rlpEncode,
  rlpList,
  rlpOptionalAddress,
  rlpUint,
  uintToRlp,
} from './rlp.js';

export interface Log {
  readonly address: Uint8Array;
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
}

/**
 * What executing one transaction produced. Encoded as
 * `rlp([status, cumulativeGasUsed, gasUsed, contractAddress | "", logs, output, revertReason])` with
 * `logs = [[address, [topic…], data]…]`; the receipts root is the Merkle root (merkle.ts) of
 * `suite.hash(encoding)` of each receipt in block order.
 */
export interface Receipt {
  readonly status: 0 | 1;
  readonly cumulativeGasUsed: bigint;
  readonly gasUsed: bigint;
  readonly contractAddress: Uint8Array | null;
  readonly logs: readonly Log[];
  /** Return data of the call, or the revert data when status is 0. */
  readonly output: Uint8Array;
  /** Decoded `Error(string)` / `Panic(uint256)` reason, or the halt reason ("out of gas"), when status is 0. */
  readonly revertReason: string | null;
}

/**
 * Encodings already computed, by receipt object: a block's receipts are encoded for the receipts root
 * and again for storage, and RLP encoding is ~2% of a node's time under ERC-20 load (measured).
 * Receipts are immutable values, so the first encoding stands for every later one.
 */
const encodings = new WeakMap<Receipt, Uint8Array>();

/** The receipt's encoding (shared between calls for the same receipt object: do not mutate it). */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  const known = encodings.get(receipt);
  if (known !== undefined) return known;
  const encoded = encodeReceiptFields(receipt);
  encodings.set(receipt, encoded);
  return encoded;
}

function encodeReceiptFields(receipt: Receipt): Uint8Array {
  return rlpEncode([
    uintToRlp(BigInt(receipt.status)),
    uintToRlp(receipt.cumulativeGasUsed),
    uintToRlp(receipt.gasUsed),
    receipt.contractAddress ?? new Uint8Array(0),
    receipt.logs.map((log) => [log.address, [...log.topics], log.data]),
    receipt.output,
    receipt.revertReason === null ? new Uint8Array(0) : utf8ToBytes(receipt.revertReason),
  ] as RlpItem[]);
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  const f = rlpList(rlpDecode(bytes, 'receipt'), 'receipt', 7);
  const status = rlpUint(f[0], 'status', 1);
  const logs = rlpList(f[4], 'logs').map((entry, i) => {
    const l = rlpList(entry, `logs[${i}]`, 3);
    return {
      address: rlpBytes(l[0], 'log address', 20),
      topics: rlpList(l[1], 'log topics').map((t) => rlpBytes(t, 'log topic', 32)),
      data: rlpBytes(l[2], 'log data'),
    };
  });
  const reason = rlpBytes(f[6], 'revertReason');
  return {
    status: status === 1n ? 1 : 0,
    cumulativeGasUsed: rlpUint(f[1], 'cumulativeGasUsed', 8),
    gasUsed: rlpUint(f[2], 'gasUsed', 8),
    contractAddress: rlpOptionalAddress(f[3], 'contractAddress'),
    logs,
    output: rlpBytes(f[5], 'output'),
    revertReason: status === 1n ? null : new TextDecoder().decode(reason),
  };
}

export function receiptHash(suite: CryptoSuite, receipt: Receipt): Uint8Array {
  return suite.hash(encodeReceipt(receipt));
}

export function receiptsRoot(suite: CryptoSuite, receipts: readonly Receipt[]): Uint8Array {
  return merkleRoot(
    (d) => suite.hash(d),
    receipts.map((r) => receiptHash(suite, r)),
  );
}

export function logsBloom(suite: CryptoSuite, receipts: readonly Receipt[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  const hash = (d: Uint8Array) => suite.hash(d);
  // Adding a value twice sets the same bits, so each distinct address and topic is hashed once: a
  // block of token transfers repeats the token's address and the event topic in every log.
  const seen = new Set<string>();
  const add = (value: Uint8Array) => {
    const key = bytesToHex(value);
    if (seen.has(key)) return;
    seen.add(key);
    addToBloom(bloom, hash, value);
  };
  for (const receipt of receipts) {
    for (const log of receipt.logs) {
      add(log.address);
      for (const topic of log.topics) add(topic);
    }
  }
  return bloom;
}
