import { bigintToBytes, bytesToBigint, concatBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
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

/**
 * Transactions. Two families, one decoded shape:
 *
 * - `weft`: the native transaction, valid on every chain whatever its suite. Replay protection follows
 *   FISCO BCOS: a client-chosen random 256-bit `nonce` plus a `blockLimit`. A transaction is only valid
 *   in blocks numbered below its `blockLimit`, and `blockLimit` may be at most `blockLimitWindow` ahead
 *   of the chain, so the node only has to remember the hashes of the last `blockLimitWindow` blocks to
 *   reject a replay. One account can therefore keep any number of transactions in flight, in any order.
 *   Encoding: `0x57 ‖ rlp([chainId, nonce, blockLimit, to, value, data, gasLimit, signature])`; the
 *   signature is `suite.sign(suite.hash(0x57 ‖ rlp([chainId, nonce, blockLimit, to, value, data, gasLimit])))`.
 * - Ethereum (`ecdsa` chains only) so that unmodified wallets work: legacy with EIP-155, EIP-2930 (type 1)
 *   and EIP-1559 (type 2). These use the account nonce, in order. Unprotected legacy transactions (no
 *   chain id, v ∈ {27, 28}) are refused: a signed transaction must land only on its own chain.
 *
 * The transaction hash is `suite.hash(raw)` for every kind (for Ethereum kinds on `ecdsa` chains that is
 * Keccak-256 of the raw bytes, exactly the hash Ethereum tools compute). See docs/protocol.md.
 */
export type TxKind = 'weft' | 'legacy' | 'eip2930' | 'eip1559';

export const WEFT_TX_TYPE = 0x57;
export const EIP2930_TX_TYPE = 0x01;
export const EIP1559_TX_TYPE = 0x02;

export type AccessList = [address: Uint8Array, storageKeys: Uint8Array[]][];

export interface UnsignedWeftTx {
  chainId: bigint;
  nonce: bigint;
  blockLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  gasLimit: bigint;
}

export interface Transaction {
  readonly kind: TxKind;
  readonly chainId: bigint;
  readonly nonce: bigint;
  /** Native transactions only: the first block number at which the transaction is no longer valid. */
  readonly blockLimit: bigint | null;
  readonly to: Uint8Array | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gasLimit: bigint;
  /** Ethereum kinds: the fee fields as signed. weft charges no fees; they are kept for RPC output. */
  readonly gasPrice: bigint;
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly accessList: AccessList;
  readonly signature: Uint8Array;
  readonly raw: Uint8Array;
  readonly hash: Uint8Array;
  readonly signingHash: Uint8Array;
  /** 20-byte sender address, recovered from the signature. */
  readonly sender: Uint8Array;
  readonly senderPublicKey: Uint8Array;
}

const ECDSA_SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function invalid(message: string): WeftError {
  return new WeftError('INVALID_TRANSACTION', message, { penalise: true });
}

function weftFields(tx: UnsignedWeftTx): RlpItem[] {
  return [
    uintToRlp(tx.chainId),
    uintToRlp(tx.nonce),
    uintToRlp(tx.blockLimit),
    tx.to ?? new Uint8Array(0),
    uintToRlp(tx.value),
    tx.data,
    uintToRlp(tx.gasLimit),
  ];
}

export function weftTxSigningHash(suite: CryptoSuite, tx: UnsignedWeftTx): Uint8Array {
  return suite.hash(concatBytes(Uint8Array.of(WEFT_TX_TYPE), rlpEncode(weftFields(tx))));
}

/** Signs a native transaction and returns its raw bytes. */
export function signWeftTx(suite: CryptoSuite, tx: UnsignedWeftTx, privateKey: Uint8Array): Uint8Array {
  if (tx.to !== null && tx.to.length !== 20) throw new WeftError('INVALID_ARGUMENT', 'to must be 20 bytes');
  const signature = suite.sign(weftTxSigningHash(suite, tx), privateKey);
  return concatBytes(Uint8Array.of(WEFT_TX_TYPE), rlpEncode([...weftFields(tx), signature]));
}

function finish(
  suite: CryptoSuite,
  fields: Omit<Transaction, 'hash' | 'sender' | 'senderPublicKey'>,
): Transaction {
  let senderPublicKey: Uint8Array;
  try {
    senderPublicKey = suite.recoverSigner(fields.signingHash, fields.signature);
  } catch (cause) {
    throw new WeftError('INVALID_SIGNATURE', 'transaction signature is invalid', { penalise: true, cause });
  }
  return {
    ...fields,
    hash: suite.hash(fields.raw),
    senderPublicKey,
    sender: suite.addressFromPublicKey(senderPublicKey),
  };
}

function decodeAccessList(item: RlpItem | undefined): AccessList {
  const list = rlpList(item, 'accessList');
  return list.map((entry, i) => {
    const pair = rlpList(entry, `accessList[${i}]`, 2);
    const address = rlpBytes(pair[0], `accessList[${i}].address`, 20);
    const keys = rlpList(pair[1], `accessList[${i}].storageKeys`).map((k, j) =>
      rlpBytes(k, `accessList[${i}].storageKeys[${j}]`, 32),
    );
    return [address, keys] as [Uint8Array, Uint8Array[]];
  });
}

/** r ‖ s ‖ recoveryId from Ethereum's separate fields, with range checks (EIP-2 low-s is the suite's job). */
function ecdsaSignature(r: bigint, s: bigint, recoveryId: bigint): Uint8Array {
  if (r === 0n || r >= ECDSA_SECP256K1_N || s === 0n || s >= ECDSA_SECP256K1_N) {
    throw new WeftError('INVALID_SIGNATURE', 'signature r or s is out of range', { penalise: true });
  }
  if (recoveryId !== 0n && recoveryId !== 1n) {
    throw new WeftError('INVALID_SIGNATURE', 'signature recovery id must be 0 or 1', { penalise: true });
  }
  return concatBytes(bigintToBytes(r, 32), bigintToBytes(s, 32), Uint8Array.of(Number(recoveryId)));
}

function decodeWeftTx(suite: CryptoSuite, raw: Uint8Array): Transaction {
  const f = rlpList(rlpDecode(raw.subarray(1), 'transaction'), 'weft transaction', 8);
  const unsigned: UnsignedWeftTx = {
    chainId: rlpUint(f[0], 'chainId'),
    nonce: rlpUint(f[1], 'nonce'),
    blockLimit: rlpUint(f[2], 'blockLimit', 8),
    to: rlpOptionalAddress(f[3], 'to'),
    value: rlpUint(f[4], 'value'),
    data: rlpBytes(f[5], 'data'),
    gasLimit: rlpUint(f[6], 'gasLimit', 8),
  };
  const signature = rlpBytes(f[7], 'signature', suite.signatureLength);
  return finish(suite, {
    kind: 'weft',
    ...unsigned,
    gasPrice: 0n,
    maxFeePerGas: null,
    maxPriorityFeePerGas: null,
    accessList: [],
    signature,
    raw,
    signingHash: weftTxSigningHash(suite, unsigned),
  });
}

function decodeLegacyTx(suite: CryptoSuite, raw: Uint8Array): Transaction {
  const f = rlpList(rlpDecode(raw, 'transaction'), 'legacy transaction', 9);
  const nonce = rlpUint(f[0], 'nonce', 8);
  const gasPrice = rlpUint(f[1], 'gasPrice');
  const gasLimit = rlpUint(f[2], 'gasLimit', 8);
  const to = rlpOptionalAddress(f[3], 'to');
  const value = rlpUint(f[4], 'value');
  const data = rlpBytes(f[5], 'data');
  const v = rlpUint(f[6], 'v');
  const r = rlpUint(f[7], 'r');
  const s = rlpUint(f[8], 's');
  if (v === 27n || v === 28n) {
    throw new WeftError(
      'WRONG_CHAIN',
      'unprotected legacy transaction (no EIP-155 chain id) refused: sign it with the chain id',
      { penalise: true },
    );
  }
  if (v < 35n)
    throw new WeftError('INVALID_SIGNATURE', 'legacy transaction v is invalid', { penalise: true });
  // EIP-155: v = chainId · 2 + 35 + recoveryId.
  const chainId = (v - 35n) / 2n;
  const recoveryId = (v - 35n) % 2n;
  const signingHash = suite.hash(
    rlpEncode([
      f[0],
      f[1],
      f[2],
      f[3],
      f[4],
      f[5],
      uintToRlp(chainId),
      new Uint8Array(0),
      new Uint8Array(0),
    ] as RlpItem[]),
  );
  return finish(suite, {
    kind: 'legacy',
    chainId,
    nonce,
    blockLimit: null,
    to,
    value,
    data,
    gasLimit,
    gasPrice,
    maxFeePerGas: null,
    maxPriorityFeePerGas: null,
    accessList: [],
    signature: ecdsaSignature(r, s, recoveryId),
    raw,
    signingHash,
  });
}

function decodeTypedEthTx(suite: CryptoSuite, raw: Uint8Array): Transaction {
  const type = raw[0];
  const is1559 = type === EIP1559_TX_TYPE;
  const fieldCount = is1559 ? 12 : 11;
  const f = rlpList(
    rlpDecode(raw.subarray(1), 'transaction'),
    is1559 ? 'EIP-1559 transaction' : 'EIP-2930 transaction',
    fieldCount,
  );
  const chainId = rlpUint(f[0], 'chainId');
  const nonce = rlpUint(f[1], 'nonce', 8);
  let i = 2;
  let gasPrice: bigint;
  let maxPriorityFeePerGas: bigint | null = null;
  let maxFeePerGas: bigint | null = null;
  if (is1559) {
    maxPriorityFeePerGas = rlpUint(f[i++], 'maxPriorityFeePerGas');
    maxFeePerGas = rlpUint(f[i++], 'maxFeePerGas');
    if (maxPriorityFeePerGas > maxFeePerGas) throw invalid('maxPriorityFeePerGas is above maxFeePerGas');
    gasPrice = maxFeePerGas;
  } else {
    gasPrice = rlpUint(f[i++], 'gasPrice');
  }
  const gasLimit = rlpUint(f[i++], 'gasLimit', 8);
  const to = rlpOptionalAddress(f[i++], 'to');
  const value = rlpUint(f[i++], 'value');
  const data = rlpBytes(f[i++], 'data');
  const accessList = decodeAccessList(f[i++]);
  const yParity = rlpUint(f[i++], 'yParity', 1);
  const r = rlpUint(f[i++], 'r');
  const s = rlpUint(f[i++], 's');
  const signingHash = suite.hash(
    concatBytes(Uint8Array.of(type as number), rlpEncode(f.slice(0, fieldCount - 3))),
  );
  return finish(suite, {
    kind: is1559 ? 'eip1559' : 'eip2930',
    chainId,
    nonce,
    blockLimit: null,
    to,
    value,
    data,
    gasLimit,
    gasPrice,
    maxFeePerGas,
    maxPriorityFeePerGas,
    accessList,
    signature: ecdsaSignature(r, s, yParity),
    raw,
    signingHash,
  });
}

/**
 * Decodes raw transaction bytes, checks the encoding strictly and recovers the sender. Throws a
 * `WeftError` (INVALID_ENCODING, INVALID_TRANSACTION, INVALID_SIGNATURE, WRONG_CHAIN, TX_TOO_LARGE) for
 * anything malformed. The chain id is NOT compared here; the pool and block validation do that.
 */
export function decodeTransaction(suite: CryptoSuite, raw: Uint8Array, maxBytes = 128 * 1024): Transaction {
  if (!(raw instanceof Uint8Array) || raw.length === 0) throw invalid('transaction is empty');
  if (raw.length > maxBytes) {
    throw new WeftError('TX_TOO_LARGE', `transaction is ${raw.length} bytes; the limit is ${maxBytes}`, {
      penalise: true,
    });
  }
  const first = raw[0] as number;
  if (first === WEFT_TX_TYPE) return decodeWeftTx(suite, raw);
  if (suite.name !== 'ecdsa') {
    throw invalid(`only native weft transactions (type 0x57) are accepted on a '${suite.name}' chain`);
  }
  if (first === EIP1559_TX_TYPE || first === EIP2930_TX_TYPE) return decodeTypedEthTx(suite, raw);
  // A legacy transaction is an RLP list, whose first byte is ≥ 0xc0.
  if (first >= 0xc0) return decodeLegacyTx(suite, raw);
  throw invalid(`unknown transaction type 0x${first.toString(16).padStart(2, '0')}`);
}

/** Cheap structural decode for indexes: the hash without recovering the sender. */
export function transactionHash(suite: CryptoSuite, raw: Uint8Array): Uint8Array {
  return suite.hash(raw);
}

export function isContractCreation(tx: Pick<Transaction, 'to'>): boolean {
  return tx.to === null;
}

/** Random 256-bit nonce for native transactions. */
export function randomWeftNonce(): bigint {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return bytesToBigint(bytes);
}

export interface UnsignedLegacyTx {
  chainId: bigint;
  nonce: bigint;
  gasPrice: bigint;
  gasLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
}

/**
 * Signs an Ethereum legacy transaction with EIP-155 replay protection (v = chainId·2 + 35 + recovery id)
 * on an `ecdsa` suite — what wallets send. Used by tests and the benchmark's load generator.
 */
export function signLegacyTx(suite: CryptoSuite, tx: UnsignedLegacyTx, privateKey: Uint8Array): Uint8Array {
  if (suite.name !== 'ecdsa') throw new WeftError('UNSUPPORTED', 'Ethereum transactions need an ecdsa suite');
  const fields: RlpItem[] = [
    uintToRlp(tx.nonce),
    uintToRlp(tx.gasPrice),
    uintToRlp(tx.gasLimit),
    tx.to ?? new Uint8Array(0),
    uintToRlp(tx.value),
    tx.data,
  ];
  const digest = suite.hash(
    rlpEncode([...fields, uintToRlp(tx.chainId), new Uint8Array(0), new Uint8Array(0)]),
  );
  const sig = suite.sign(digest, privateKey);
  const v = tx.chainId * 2n + 35n + BigInt(sig[64] as number);
  return rlpEncode([
    ...fields,
    uintToRlp(v),
    stripZeros(sig.subarray(0, 32)),
    stripZeros(sig.subarray(32, 64)),
  ]);
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
