import { decode as rlpDecode, encode as rlpEncode } from '@ethereumjs/rlp';
import { bigIntToUnpaddedBytes, bytesToBigInt, KECCAK256_NULL } from '@ethereumjs/util';
import { assertBytes, concatBytes, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { LTHASH_BYTES } from './lthash.js';

/**
 * How the world state lies in the node's key-value store. Every key starts with the one-byte
 * prefix 0x73 ('s') so the state shares one LevelDB with blocks and indexes; the second byte says
 * what the key holds:
 *
 * | key                                           | value                                        |
 * | --------------------------------------------- | -------------------------------------------- |
 * | 's' 'a' ‖ address(20)                         | account record (below)                       |
 * | 's' 'k' ‖ address(20) ‖ incarnation(8) ‖ slot(32) | storage value, minimal big-endian, never zero |
 * | 's' 'h' ‖ address(20)                         | storage header: incarnation(8) ‖ [LtHash of the account's slots (2048)] |
 * | 's' 'c' ‖ codeHash(32)                        | contract code                                |
 * | 's' 'r'                                       | the state accumulator: LtHash of all account entries (2048) |
 *
 * A storage slot's key carries the account's storage *incarnation*. Clearing an account's whole
 * storage (SELFDESTRUCT of a contract created in the same transaction, re-creation at a CREATE2
 * address, deleting an account) bumps the incarnation in the storage header instead of deleting
 * every slot: the old slots become unreachable in O(1) and stay behind as garbage (which EIP-6780
 * makes practically unreachable anyway: storage can only be cleared in the transaction that wrote it).
 */
export const stateKeyPrefix = 0x73;

const TAG_ACCOUNT = 0x61; // 'a'
const TAG_STORAGE = 0x6b; // 'k'
const TAG_STORAGE_HEADER = 0x68; // 'h'
const TAG_CODE = 0x63; // 'c'
const TAG_ACCUMULATOR = 0x72; // 'r'

export const ADDRESS_BYTES = 20;
export const SLOT_BYTES = 32;
export const INCARNATION_BYTES = 8;

export function accountKey(address: Uint8Array): Uint8Array {
  const key = new Uint8Array(2 + ADDRESS_BYTES);
  key[0] = stateKeyPrefix;
  key[1] = TAG_ACCOUNT;
  key.set(address, 2);
  return key;
}

export function storageKey(address: Uint8Array, incarnation: bigint, slot: Uint8Array): Uint8Array {
  const key = new Uint8Array(2 + ADDRESS_BYTES + INCARNATION_BYTES + SLOT_BYTES);
  key[0] = stateKeyPrefix;
  key[1] = TAG_STORAGE;
  key.set(address, 2);
  new DataView(key.buffer).setBigUint64(2 + ADDRESS_BYTES, incarnation);
  key.set(slot, 2 + ADDRESS_BYTES + INCARNATION_BYTES);
  return key;
}

export function storageHeaderKey(address: Uint8Array): Uint8Array {
  const key = new Uint8Array(2 + ADDRESS_BYTES);
  key[0] = stateKeyPrefix;
  key[1] = TAG_STORAGE_HEADER;
  key.set(address, 2);
  return key;
}

export function codeKey(codeHash: Uint8Array): Uint8Array {
  const key = new Uint8Array(2 + 32);
  key[0] = stateKeyPrefix;
  key[1] = TAG_CODE;
  key.set(codeHash, 2);
  return key;
}

export const accumulatorKey: Uint8Array = Uint8Array.of(stateKeyPrefix, TAG_ACCUMULATOR);

/** What a key of the state holds, or null when it is not a state key. */
export type StateKeyKind = 'account' | 'storage' | 'storageHeader' | 'code' | 'accumulator';

export function stateKeyKind(key: Uint8Array): StateKeyKind | null {
  if (key[0] !== stateKeyPrefix) return null;
  switch (key[1]) {
    case TAG_ACCOUNT:
      return key.length === 2 + ADDRESS_BYTES ? 'account' : null;
    case TAG_STORAGE:
      return key.length === 2 + ADDRESS_BYTES + INCARNATION_BYTES + SLOT_BYTES ? 'storage' : null;
    case TAG_STORAGE_HEADER:
      return key.length === 2 + ADDRESS_BYTES ? 'storageHeader' : null;
    case TAG_CODE:
      return key.length === 34 ? 'code' : null;
    case TAG_ACCUMULATOR:
      return key.length === 2 ? 'accumulator' : null;
    default:
      return null;
  }
}

/** Splits a storage key into its parts (the inverse of `storageKey`). */
export function parseStorageKey(key: Uint8Array): {
  address: Uint8Array;
  incarnation: bigint;
  slot: Uint8Array;
} {
  if (stateKeyKind(key) !== 'storage') throw new WeftError('INVALID_ENCODING', 'not a storage key');
  return {
    address: key.subarray(2, 2 + ADDRESS_BYTES),
    incarnation: new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(2 + ADDRESS_BYTES),
    slot: key.subarray(2 + ADDRESS_BYTES + INCARNATION_BYTES),
  };
}

/**
 * An account as the state stores it. `codeHash` is Keccak-256 of the code on every chain, because
 * the EVM exposes it (EXTCODEHASH, CREATE collision rule); `storageDigest` is the chain hash of the
 * LtHash of the account's slots, or empty when the account has no storage.
 */
export interface AccountRecord {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
  readonly storageDigest: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * rlp([nonce, balance, codeHash | "", storageDigest | ""]): integers minimal big-endian (Yellow
 * Paper, Appendix B), an account without code stores "" instead of Keccak-256("").
 */
export function encodeAccountRecord(account: AccountRecord): Uint8Array {
  const codeHash = equalBytes(account.codeHash, KECCAK256_NULL) ? EMPTY : account.codeHash;
  return rlpEncode([
    bigIntToUnpaddedBytes(account.nonce),
    bigIntToUnpaddedBytes(account.balance),
    codeHash,
    account.storageDigest,
  ]);
}

function corrupt(what: string): WeftError {
  return new WeftError('STORAGE_ERROR', `state record is corrupt: ${what}`);
}

function canonicalUint(bytes: unknown, what: string): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length > 32) throw corrupt(what);
  if (bytes.length > 0 && bytes[0] === 0) throw corrupt(`${what} has leading zeros`);
  return bytesToBigInt(bytes);
}

export function decodeAccountRecord(bytes: Uint8Array): AccountRecord {
  let fields: unknown;
  try {
    fields = rlpDecode(bytes);
  } catch (cause) {
    throw new WeftError('STORAGE_ERROR', 'state record is corrupt: account is not RLP', { cause });
  }
  if (!Array.isArray(fields) || fields.length !== 4) throw corrupt('account must have 4 fields');
  const [nonce, balance, codeHash, storageDigest] = fields as unknown[];
  if (!(codeHash instanceof Uint8Array) || (codeHash.length !== 0 && codeHash.length !== 32)) {
    throw corrupt('account code hash');
  }
  if (!(storageDigest instanceof Uint8Array) || (storageDigest.length !== 0 && storageDigest.length !== 32)) {
    throw corrupt('account storage digest');
  }
  return {
    nonce: canonicalUint(nonce, 'account nonce'),
    balance: canonicalUint(balance, 'account balance'),
    codeHash: codeHash.length === 0 ? KECCAK256_NULL : codeHash,
    storageDigest,
  };
}

/** Per-account storage header: which incarnation of the storage is live, and its LtHash. */
export interface StorageHeader {
  readonly incarnation: bigint;
  /** The LtHash of the live slots, 2048 bytes, or null when the account has no storage. */
  readonly accumulator: Uint8Array | null;
}

export function encodeStorageHeader(header: StorageHeader): Uint8Array {
  const inc = new Uint8Array(INCARNATION_BYTES);
  new DataView(inc.buffer).setBigUint64(0, header.incarnation);
  return header.accumulator === null ? inc : concatBytes(inc, header.accumulator);
}

export function decodeStorageHeader(bytes: Uint8Array): StorageHeader {
  if (bytes.length !== INCARNATION_BYTES && bytes.length !== INCARNATION_BYTES + LTHASH_BYTES) {
    throw corrupt('storage header length');
  }
  return {
    incarnation: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0),
    accumulator: bytes.length === INCARNATION_BYTES ? null : bytes.slice(INCARNATION_BYTES),
  };
}

/**
 * The elements of the multisets. Each starts with a distinct tag byte so an account entry can never
 * be read as a slot entry; every field has a fixed length except the last, so the encoding is
 * injective.
 * - state accumulator:   'a' ‖ address(20) ‖ account record
 * - storage accumulator: 'k' ‖ slot(32) ‖ value (minimal big-endian, 1..32 bytes)
 */
export function accountEntry(address: Uint8Array, record: Uint8Array): Uint8Array {
  const entry = new Uint8Array(1 + ADDRESS_BYTES + record.length);
  entry[0] = TAG_ACCOUNT;
  entry.set(address, 1);
  entry.set(record, 1 + ADDRESS_BYTES);
  return entry;
}

export function slotEntry(slot: Uint8Array, value: Uint8Array): Uint8Array {
  const entry = new Uint8Array(1 + SLOT_BYTES + value.length);
  entry[0] = TAG_STORAGE;
  entry.set(slot, 1);
  entry.set(value, 1 + SLOT_BYTES);
  return entry;
}

/** Storage values are kept minimal: no leading zero bytes, and zero is the empty array (= absent). */
export function trimStorageValue(value: Uint8Array): Uint8Array {
  assertBytes(value, undefined, 'storage value');
  if (value.length > SLOT_BYTES) throw new WeftError('INVALID_LENGTH', 'storage value exceeds 32 bytes');
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  // A copy: the state keeps the bytes, and the caller (the EVM) owns the array it passed in.
  return value.slice(start);
}
