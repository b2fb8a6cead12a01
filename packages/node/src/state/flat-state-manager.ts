import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { Account, type Address, KECCAK256_NULL, KECCAK256_RLP } from '@ethereumjs/util';
import { assertBytes, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { keccak256 } from '@weft/crypto/hash';
import { ABSENT } from './cache.js';
import {
  bytesToKeyString,
  CommittedState,
  type CommittedStateOptions,
  keyStringToBytes,
  type StateDiff,
  type StateDiffEntry,
} from './committed.js';
import {
  type AccountRecord,
  accountEntry,
  accountKey,
  accumulatorKey,
  codeKey,
  decodeAccountRecord,
  decodeStorageHeader,
  encodeAccountRecord,
  encodeStorageHeader,
  SLOT_BYTES,
  type StorageHeader,
  slotEntry,
  storageHeaderKey,
  storageKey,
  trimStorageValue,
} from './layout.js';
import { LtHash } from './lthash.js';

/**
 * `StateManagerInterface` (@ethereumjs/common v10) over a flat key-value store, for @ethereumjs/evm.
 *
 * Layers, bottom up:
 * 1. the committed state (`CommittedState`): the database behind a bounded cache, plus the state
 *    accumulator; shared by every view and moved only by `applyCommitted`;
 * 2. per view, decoded copies of the committed records it has read;
 * 3. per view, the pending writes of the block being executed, with an undo log for the nested
 *    checkpoints the EVM takes around every call frame.
 *
 * Checkpoints are O(1) (a mark in the undo log), a revert costs what the reverted frame wrote, and
 * a revert leaves the view exactly as it was at the checkpoint. Warm/cold access (EIP-2929) and
 * touched accounts (EIP-161) are tracked by the EVM's own journal, which calls into this class.
 *
 * Nothing here changes the committed state: `computeDiff` turns the pending writes into a
 * `StateDiff` (the net change and the new root), the node writes its batch, then `applyCommitted`.
 */

const EMPTY = new Uint8Array(0);

interface AccountFieldsValue {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
}

interface CommittedAccount {
  readonly record: AccountRecord;
  readonly raw: Uint8Array;
}

/** The storage of one account as this view changed it. */
interface StorageOverlay {
  /** True once the whole storage was cleared: slots not in `slots` then read as zero. */
  readonly cleared: boolean;
  readonly slots: Map<string, Uint8Array>;
}

type UndoEntry =
  | {
      readonly kind: 'account';
      readonly key: string;
      readonly previous: AccountFieldsValue | null | undefined;
    }
  | {
      readonly kind: 'slot';
      readonly key: string;
      readonly slot: string;
      readonly previous: Uint8Array | undefined;
    }
  | { readonly kind: 'storage'; readonly key: string; readonly previous: StorageOverlay | undefined };

const NO_STORAGE: StorageHeader = { incarnation: 0n, accumulator: null };

export type FlatStateOptions = CommittedStateOptions;

export interface FlatStateViewOptions {
  /**
   * `getStorage` answers non-zero values as 32 bytes (left-padded; zero stays empty) instead of
   * minimal big-endian. Same numbers; it spares @ethereumjs/evm, which pads every value it reads
   * for SSTORE gas with array spreads (~2% of an ERC-20 transfer, measured). For EVM views only.
   */
  readonly paddedStorageValues?: boolean;
}

/** Opens the state stored in `db` (an empty state when the database has none). */
export async function createFlatStateManager(options: FlatStateOptions): Promise<FlatStateManager> {
  return new FlatStateManager(await CommittedState.open(options));
}

function originalKey(address: Address, slot: Uint8Array): string {
  return bytesToKeyString(address.bytes) + bytesToKeyString(slot);
}

class OriginalStorageCache {
  private readonly values = new Map<string, Uint8Array>();
  constructor(private readonly state: FlatStateManager) {}

  /**
   * The value a slot had when the current transaction started, for SSTORE gas and refunds
   * (EIP-2200 "original value", EIP-3529). The EVM asks before its first write to a slot in a
   * transaction, so the first answer is the original; the executor clears this per transaction.
   */
  async get(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const k = originalKey(address, key);
    const known = this.values.get(k);
    if (known !== undefined) return known;
    const value = await this.state.getStorage(address, key);
    this.values.set(k, value);
    return value;
  }

  /** What `get` would answer, when that is known without waiting (see FlatStateManager.peekStorage). */
  peek(address: Address, key: Uint8Array): Uint8Array | undefined {
    const k = originalKey(address, key);
    const known = this.values.get(k);
    if (known !== undefined) return known;
    const value = this.state.peekStorage(address, key);
    if (value !== undefined) this.values.set(k, value);
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}

const stateOwnedCode = new WeakSet<Uint8Array>();

/**
 * True for a code array that `getCode` handed out. The state never mutates those, so their identity
 * stands for their bytes (the executor memoises the EVM's jump analysis by it).
 */
export function isStateOwnedCode(code: Uint8Array): boolean {
  return stateOwnedCode.has(code);
}

export class FlatStateManager implements StateManagerInterface {
  readonly originalStorageCache: OriginalStorageCache;
  private readonly committed: CommittedState;

  // Decoded committed records read by this view; valid for one committed version.
  private committedAccounts = new Map<string, CommittedAccount | null>();
  private committedHeaders = new Map<string, StorageHeader>();
  private baseVersion: number;

  // Pending writes: null marks a deleted account.
  private accounts = new Map<string, AccountFieldsValue | null>();
  private storage = new Map<string, StorageOverlay>();
  private code = new Map<string, Uint8Array>();
  private undo: UndoEntry[] = [];
  private checkpoints: number[] = [];

  private readonly paddedStorageValues: boolean;

  constructor(committed: CommittedState, options: FlatStateViewOptions = {}) {
    this.committed = committed;
    this.paddedStorageValues = options.paddedStorageValues ?? false;
    this.baseVersion = committed.version;
    this.originalStorageCache = new OriginalStorageCache(this);
  }

  // ---------------------------------------------------------------- state of the view

  /** The root of the committed state (not including this view's pending writes). */
  get committedStateRoot(): Uint8Array {
    return this.committed.stateRoot;
  }

  get hasPendingChanges(): boolean {
    return this.accounts.size > 0 || this.storage.size > 0;
  }

  /** Journal depth: how many checkpoints are open. */
  get depth(): number {
    return this.checkpoints.length;
  }

  /** Drops every pending write and re-bases the view on the current committed state. */
  discardChanges(): void {
    this.accounts = new Map();
    this.storage = new Map();
    this.code = new Map();
    this.undo = [];
    this.checkpoints = [];
    this.committedAccounts = new Map();
    this.committedHeaders = new Map();
    this.baseVersion = this.committed.version;
    this.originalStorageCache.clear();
  }

  /** A fresh view (no pending writes) over the same committed state. */
  createView(options: FlatStateViewOptions = {}): FlatStateManager {
    return new FlatStateManager(this.committed, options);
  }

  /** Moves the committed state forward once the batch of `stateDiffToBatch(diff)` is durable. */
  applyCommitted(diff: StateDiff): void {
    this.committed.apply(diff);
  }

  // ---------------------------------------------------------------- committed reads

  private refreshIfCommittedMoved(): void {
    // Block execution never overlaps a commit; a call view that outlives one re-reads from then on.
    if (this.committed.version !== this.baseVersion && !this.hasPendingChanges) {
      this.committedAccounts = new Map();
      this.committedHeaders = new Map();
      this.baseVersion = this.committed.version;
    }
  }

  private async committedAccount(key: string, address: Uint8Array): Promise<CommittedAccount | null> {
    const known = this.committedAccountSync(key, address);
    if (known !== undefined) return known;
    return this.rememberAccount(key, await this.committed.read(accountKey(address)));
  }

  /** The committed account record when it can be had without waiting (see CommittedState.readSync). */
  private committedAccountSync(key: string, address: Uint8Array): CommittedAccount | null | undefined {
    this.refreshIfCommittedMoved();
    const known = this.committedAccounts.get(key);
    if (known !== undefined) return known;
    const raw = this.committed.readSync(accountKey(address));
    return raw === undefined ? undefined : this.rememberAccount(key, raw);
  }

  private rememberAccount(key: string, raw: Uint8Array): CommittedAccount | null {
    const account = raw === ABSENT ? null : { record: decodeAccountRecord(raw), raw };
    this.committedAccounts.set(key, account);
    return account;
  }

  private async committedHeader(key: string, address: Uint8Array): Promise<StorageHeader> {
    const known = this.committedHeaderSync(key, address);
    if (known !== undefined) return known;
    return this.rememberHeader(key, await this.committed.read(storageHeaderKey(address)));
  }

  /** The committed storage header when it can be had without waiting (see CommittedState.readSync). */
  private committedHeaderSync(key: string, address: Uint8Array): StorageHeader | undefined {
    this.refreshIfCommittedMoved();
    const known = this.committedHeaders.get(key);
    if (known !== undefined) return known;
    const raw = this.committed.readSync(storageHeaderKey(address));
    return raw === undefined ? undefined : this.rememberHeader(key, raw);
  }

  private rememberHeader(key: string, raw: Uint8Array): StorageHeader {
    const header = raw === ABSENT ? NO_STORAGE : decodeStorageHeader(raw);
    this.committedHeaders.set(key, header);
    return header;
  }

  private async committedSlot(key: string, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    const header = await this.committedHeader(key, address);
    // An account whose storage LtHash is empty has no slots: no need to ask the database.
    if (header.accumulator === null) return EMPTY;
    return this.committed.read(storageKey(address, header.incarnation, slot));
  }

  private committedSlotSync(key: string, address: Uint8Array, slot: Uint8Array): Uint8Array | undefined {
    const header = this.committedHeaderSync(key, address);
    if (header === undefined) return undefined;
    if (header.accumulator === null) return EMPTY;
    return this.committed.readSync(storageKey(address, header.incarnation, slot));
  }

  // ---------------------------------------------------------------- journal

  private record(entry: UndoEntry): void {
    // Outside any checkpoint there is nothing to revert to (genesis, direct writes).
    if (this.checkpoints.length > 0) this.undo.push(entry);
  }

  async checkpoint(): Promise<void> {
    this.checkpoints.push(this.undo.length);
  }

  async commit(): Promise<void> {
    if (this.checkpoints.pop() === undefined) {
      throw new WeftError('EXECUTION_ERROR', 'state commit without a checkpoint');
    }
    if (this.checkpoints.length === 0) this.undo.length = 0;
  }

  async revert(): Promise<void> {
    const mark = this.checkpoints.pop();
    if (mark === undefined) throw new WeftError('EXECUTION_ERROR', 'state revert without a checkpoint');
    for (let i = this.undo.length - 1; i >= mark; i--) {
      const entry = this.undo[i] as UndoEntry;
      switch (entry.kind) {
        case 'account':
          if (entry.previous === undefined) this.accounts.delete(entry.key);
          else this.accounts.set(entry.key, entry.previous);
          break;
        case 'slot': {
          const overlay = this.storage.get(entry.key) as StorageOverlay;
          if (entry.previous === undefined) overlay.slots.delete(entry.slot);
          else overlay.slots.set(entry.slot, entry.previous);
          break;
        }
        case 'storage':
          if (entry.previous === undefined) this.storage.delete(entry.key);
          else this.storage.set(entry.key, entry.previous);
          break;
      }
    }
    this.undo.length = mark;
  }

  // ---------------------------------------------------------------- accounts

  private storageRootFor(key: string): Uint8Array {
    // The EVM reads storageRoot only for the CREATE collision rule (EIP-7610: non-empty storage).
    // Storage written in the current block is not reflected here; it cannot matter, because an
    // account only gets storage by running code, which gives it a nonce first (EIP-161).
    if (this.storage.get(key)?.cleared === true) return KECCAK256_RLP;
    const digest = this.committedAccounts.get(key)?.record.storageDigest;
    return digest !== undefined && digest.length > 0 ? digest : KECCAK256_RLP;
  }

  private async accountFields(key: string, address: Uint8Array): Promise<AccountFieldsValue | null> {
    const written = this.accounts.get(key);
    if (written !== undefined) return written;
    const committed = await this.committedAccount(key, address);
    return committed === null ? null : committed.record;
  }

  /** `accountFields` when known without waiting (written, cached, or read in place); else undefined. */
  private accountFieldsSync(key: string, address: Uint8Array): AccountFieldsValue | null | undefined {
    const written = this.accounts.get(key);
    if (written !== undefined) return written;
    const committed = this.committedAccountSync(key, address);
    return committed === undefined || committed === null ? committed : committed.record;
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const key = bytesToKeyString(address.bytes);
    return this.accountFrom(key, await this.accountFields(key, address.bytes));
  }

  /**
   * What `getAccount` would return, when an existing account is known without waiting; undefined
   * otherwise (absent, or only `getAccount` can tell). Lets SSTORE run as a synchronous step.
   */
  peekAccount(address: Address): Account | undefined {
    const key = bytesToKeyString(address.bytes);
    const fields = this.accountFieldsSync(key, address.bytes);
    return fields === undefined ? undefined : this.accountFrom(key, fields);
  }

  private accountFrom(key: string, fields: AccountFieldsValue | null): Account | undefined {
    if (fields === null) return undefined;
    // A fresh object every time: the EVM mutates the accounts it reads before putting them back,
    // and a shared object would change the state behind the undo log.
    return new Account(fields.nonce, fields.balance, this.storageRootFor(key), fields.codeHash);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    const key = bytesToKeyString(address.bytes);
    this.record({ kind: 'account', key, previous: this.accounts.get(key) });
    this.accounts.set(key, { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash });
  }

  async deleteAccount(address: Address): Promise<void> {
    const key = bytesToKeyString(address.bytes);
    this.record({ kind: 'account', key, previous: this.accounts.get(key) });
    this.accounts.set(key, null);
    await this.clearStorage(address);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    // storageRoot and codeSize are derived here, never set from outside.
    const account = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  // ---------------------------------------------------------------- code

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const code = value.slice();
    const codeHash = code.length === 0 ? KECCAK256_NULL : keccak256(code);
    if (code.length > 0) this.code.set(bytesToKeyString(codeHash), code);
    stateOwnedCode.add(code);
    await this.modifyAccountFields(address, { codeHash });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const fields = await this.accountFields(bytesToKeyString(address.bytes), address.bytes);
    if (fields === null || equalBytes(fields.codeHash, KECCAK256_NULL)) return EMPTY;
    const pending = this.code.get(bytesToKeyString(fields.codeHash));
    if (pending !== undefined) return pending;
    const code = await this.committed.read(codeKey(fields.codeHash));
    if (code === ABSENT) throw new WeftError('STORAGE_ERROR', 'state is missing the code of an account');
    stateOwnedCode.add(code);
    return code;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  // ---------------------------------------------------------------- storage

  async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    return this.padded(
      this.storageValueSync(address, slot) ??
        (await this.committedSlot(bytesToKeyString(address.bytes), address.bytes, slot)),
    );
  }

  /**
   * What `getStorage` would return, when that is known without waiting (written in this block,
   * cached, or read in place from LevelDB); undefined when only `getStorage` can tell. Lets the EVM's
   * SLOAD run as a synchronous step (execution/fast-opcodes.ts).
   */
  peekStorage(address: Address, slot: Uint8Array): Uint8Array | undefined {
    const value = this.storageValueSync(address, slot);
    return value === undefined ? undefined : this.padded(value);
  }

  private padded(value: Uint8Array): Uint8Array {
    if (!this.paddedStorageValues || value.length === 0 || value.length === SLOT_BYTES) return value;
    const padded = new Uint8Array(SLOT_BYTES);
    padded.set(value, SLOT_BYTES - value.length);
    return padded;
  }

  /** The stored (trimmed) value of a slot if known without waiting; undefined: ask the committed state. */
  private storageValueSync(address: Address, slot: Uint8Array): Uint8Array | undefined {
    assertBytes(slot, SLOT_BYTES, 'storage slot');
    const key = bytesToKeyString(address.bytes);
    const overlay = this.storage.get(key);
    if (overlay !== undefined) {
      const value = overlay.slots.get(bytesToKeyString(slot));
      if (value !== undefined) return value;
      if (overlay.cleared) return EMPTY;
    }
    return this.committedSlotSync(key, address.bytes, slot);
  }

  /** The value `getStorage` gave when the current transaction started, if known without waiting. */
  peekOriginalStorage(address: Address, slot: Uint8Array): Uint8Array | undefined {
    return this.originalStorageCache.peek(address, slot);
  }

  async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    this.putStorageNow(address, slot, value);
  }

  /** `putStorage` without a promise (it never waits): for SSTORE as a synchronous step. */
  putStorageNow(address: Address, slot: Uint8Array, value: Uint8Array): void {
    assertBytes(slot, SLOT_BYTES, 'storage slot');
    const trimmed = trimStorageValue(value);
    const key = bytesToKeyString(address.bytes);
    const slotKey = bytesToKeyString(slot);
    const overlay = this.storage.get(key);
    if (overlay === undefined) {
      this.record({ kind: 'storage', key, previous: undefined });
      this.storage.set(key, { cleared: false, slots: new Map([[slotKey, trimmed]]) });
      return;
    }
    this.record({ kind: 'slot', key, slot: slotKey, previous: overlay.slots.get(slotKey) });
    overlay.slots.set(slotKey, trimmed);
  }

  async clearStorage(address: Address): Promise<void> {
    const key = bytesToKeyString(address.bytes);
    const previous = this.storage.get(key);
    // Clearing storage that is already cleared and untouched changes nothing (the EVM clears the
    // storage of every CREATE target).
    if (previous?.cleared === true && previous.slots.size === 0) return;
    this.record({ kind: 'storage', key, previous });
    this.storage.set(key, { cleared: true, slots: new Map() });
  }

  // ---------------------------------------------------------------- roots and diffs

  /**
   * The net change of this view's pending writes against the committed state, and the new root.
   * Reads only (the view and the committed state are left as they are). Cost: two expansions per
   * changed slot and per changed account record, one chain hash of 2 KiB per account whose storage
   * changed, and one for the root; nothing proportional to the size of the state.
   */
  async computeDiff(): Promise<StateDiff> {
    if (this.checkpoints.length > 0) {
      throw new WeftError('EXECUTION_ERROR', 'cannot compute a state diff inside an open checkpoint');
    }
    if (this.committed.version !== this.baseVersion) {
      throw new WeftError('STORAGE_ERROR', 'the committed state moved while this view had pending writes');
    }
    const store = this.committed;
    const suite = store.suite;
    const entries: StateDiffEntry[] = [];
    const digests = new Map<string, Uint8Array>();
    let slotsChanged = 0;
    // Code is stored by hash, once, when an account first points at it (two accounts may deploy the
    // same code in one block).
    const codes = new Map<string, StateDiffEntry>();

    for (const [key, overlay] of this.storage) {
      const address = keyStringToBytes(key);
      const header = await this.committedHeader(key, address);
      const finalFields = await this.accountFields(key, address);
      const hadStorage = header.accumulator !== null;
      let incarnation = header.incarnation;
      let slots = hadStorage ? LtHash.fromBytes(header.accumulator as Uint8Array) : LtHash.zero();
      // Old values are all zero when the committed storage is empty, or when it is being dropped:
      // then the account moves to a new incarnation, whose keys no earlier slot can occupy.
      let oldValuesAreZero = !hadStorage;
      if (hadStorage && (overlay.cleared || finalFields === null)) {
        incarnation += 1n;
        slots = LtHash.zero();
        oldValuesAreZero = true;
      }
      // A deleted account has no storage, whatever was written to it before it went.
      if (finalFields !== null) {
        for (const [slotKey, value] of overlay.slots) {
          const slot = keyStringToBytes(slotKey);
          const old = oldValuesAreZero
            ? EMPTY
            : await this.committed.read(storageKey(address, incarnation, slot));
          if (equalBytes(old, value)) continue;
          if (old.length > 0) slots.subtract(store.expandRemoved(slotEntry(slot, old)));
          if (value.length > 0) slots.add(store.expandAdded(slotEntry(slot, value)));
          entries.push({
            key: storageKey(address, incarnation, slot),
            value: value.length > 0 ? value : null,
          });
          slotsChanged++;
        }
      }
      const isEmpty = slots.isZero();
      const accumulator = isEmpty ? null : slots.toBytes();
      const unchanged =
        incarnation === header.incarnation &&
        (accumulator === null
          ? header.accumulator === null
          : header.accumulator !== null && equalBytes(accumulator, header.accumulator));
      if (!unchanged) {
        const value =
          incarnation === 0n && accumulator === null
            ? null
            : encodeStorageHeader({ incarnation, accumulator });
        entries.push({ key: storageHeaderKey(address), value });
      }
      digests.set(key, accumulator === null ? EMPTY : suite.hash(accumulator));
    }

    const state = store.accumulator;
    let accountsChanged = 0;
    const touched = new Set<string>(this.accounts.keys());
    for (const key of digests.keys()) touched.add(key);
    for (const key of touched) {
      const address = keyStringToBytes(key);
      const committed = await this.committedAccount(key, address);
      const written = this.accounts.get(key);
      const fields = written === undefined ? (committed?.record ?? null) : written;
      let record: Uint8Array | null = null;
      if (fields !== null) {
        const storageDigest = digests.get(key) ?? committed?.record.storageDigest ?? EMPTY;
        record = encodeAccountRecord({
          nonce: fields.nonce,
          balance: fields.balance,
          codeHash: fields.codeHash,
          storageDigest,
        });
      }
      const old = committed?.raw ?? null;
      if (old === null ? record === null : record !== null && equalBytes(old, record)) continue;
      if (old !== null) state.subtract(store.expandRemoved(accountEntry(address, old)));
      if (record !== null) state.add(store.expandAdded(accountEntry(address, record)));
      entries.push({ key: accountKey(address), value: record });
      accountsChanged++;
      if (fields !== null && !equalBytes(fields.codeHash, committed?.record.codeHash ?? KECCAK256_NULL)) {
        const hashKey = bytesToKeyString(fields.codeHash);
        const code = this.code.get(hashKey);
        if (code !== undefined) codes.set(hashKey, { key: codeKey(fields.codeHash), value: code });
      }
    }

    for (const entry of codes.values()) entries.push(entry);
    const accumulator = state.toBytes();
    entries.push({ key: accumulatorKey, value: accumulator });
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    return {
      parentStateRoot: store.stateRoot,
      stateRoot: suite.hash(accumulator),
      accumulator,
      entries,
      changed: { accounts: accountsChanged, slots: slotsChanged, codes: codes.size },
    };
  }

  // ---------------------------------------------------------------- StateManagerInterface rest

  async getStateRoot(): Promise<Uint8Array> {
    if (!this.hasPendingChanges) return this.committed.stateRoot;
    return (await this.computeDiff()).stateRoot;
  }

  /** A flat state keeps no history: only the committed root (or the view's base) can be "set". */
  async setStateRoot(stateRoot: Uint8Array): Promise<void> {
    if (!equalBytes(stateRoot, this.committed.stateRoot)) {
      throw new WeftError('UNSUPPORTED', 'a flat state cannot move to a historical state root');
    }
    this.discardChanges();
  }

  async hasStateRoot(stateRoot: Uint8Array): Promise<boolean> {
    return equalBytes(stateRoot, this.committed.stateRoot);
  }

  clearCaches(): void {
    if (this.hasPendingChanges) return;
    this.committedAccounts = new Map();
    this.committedHeaders = new Map();
  }

  shallowCopy(): FlatStateManager {
    return this.createView({ paddedStorageValues: this.paddedStorageValues });
  }
}
