import { bytesToHex, equalBytes } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import { bytesToKeyString } from './committed.js';
import {
  accountEntry,
  decodeAccountRecord,
  decodeStorageHeader,
  parseStorageKey,
  type StorageHeader,
  slotEntry,
  stateKeyKind,
} from './layout.js';
import { entryExpanderForSuite, LtHash } from './lthash.js';

/**
 * Recomputes the state root from scratch out of every stored state entry (a full scan of the
 * 's' prefix), and checks the incremental bookkeeping against it: each account's storage LtHash
 * and digest, and the stored state accumulator. Cost: one expansion per live entry, i.e.
 * proportional to the whole state; for audits and tests, never on the block path.
 */
export interface StateAudit {
  /** The root recomputed from the entries. */
  readonly stateRoot: Uint8Array;
  /** The root of the stored accumulator, or null when none is stored. */
  readonly storedStateRoot: Uint8Array | null;
  readonly accounts: number;
  readonly slots: number;
  /** Slots of dropped storage incarnations (unreachable, not part of the state). */
  readonly garbageSlots: number;
  /** Human-readable inconsistencies; empty when the store is consistent. */
  readonly problems: string[];
}

export function auditStateEntries(
  suite: CryptoSuite,
  entries: Iterable<readonly [Uint8Array, Uint8Array]>,
): StateAudit {
  const expand = entryExpanderForSuite(suite.name);
  const records = new Map<string, { address: Uint8Array; raw: Uint8Array }>();
  const headers = new Map<string, StorageHeader>();
  const slotsByAccount = new Map<string, { incarnation: bigint; slot: Uint8Array; value: Uint8Array }[]>();
  let stored: Uint8Array | null = null;
  const problems: string[] = [];
  for (const [key, value] of entries) {
    switch (stateKeyKind(key)) {
      case 'account':
        records.set(bytesToKeyString(key.subarray(2)), { address: key.slice(2), raw: value });
        break;
      case 'storageHeader':
        headers.set(bytesToKeyString(key.subarray(2)), decodeStorageHeader(value));
        break;
      case 'storage': {
        const { address, incarnation, slot } = parseStorageKey(key);
        const k = bytesToKeyString(address);
        const list = slotsByAccount.get(k) ?? [];
        list.push({ incarnation, slot: slot.slice(), value });
        slotsByAccount.set(k, list);
        break;
      }
      case 'accumulator':
        stored = value;
        break;
      case 'code':
        break;
      default:
        problems.push(`key ${bytesToHex(key)} is not a state key`);
    }
  }

  const state = LtHash.zero();
  let slots = 0;
  let garbageSlots = 0;
  for (const [k, { address, raw }] of records) {
    const record = decodeAccountRecord(raw);
    const header = headers.get(k) ?? { incarnation: 0n, accumulator: null };
    const storage = LtHash.zero();
    for (const s of slotsByAccount.get(k) ?? []) {
      if (s.incarnation !== header.incarnation) {
        garbageSlots++;
        continue;
      }
      if (s.value.length === 0 || s.value[0] === 0)
        problems.push(`account ${bytesToHex(address)} stores a non-minimal value`);
      storage.add(expand(slotEntry(s.slot, s.value)));
      slots++;
    }
    const expectedHeader = storage.isZero() ? null : storage.toBytes();
    if (
      expectedHeader === null
        ? header.accumulator !== null
        : header.accumulator === null || !equalBytes(expectedHeader, header.accumulator)
    ) {
      problems.push(`account ${bytesToHex(address)}: storage accumulator does not match its slots`);
    }
    const digest = expectedHeader === null ? new Uint8Array(0) : suite.hash(expectedHeader);
    if (!equalBytes(digest, record.storageDigest)) {
      problems.push(`account ${bytesToHex(address)}: storage digest does not match its slots`);
    }
    state.add(expand(accountEntry(address, raw)));
  }
  for (const [k, list] of slotsByAccount) {
    if (!records.has(k)) garbageSlots += list.length;
  }
  const stateRoot = suite.hash(state.toBytes());
  const storedStateRoot = stored === null ? null : suite.hash(stored);
  if (stored !== null && !equalBytes(stored, state.toBytes())) {
    problems.push('stored state accumulator does not match the entries');
  }
  return { stateRoot, storedStateRoot, accounts: records.size, slots, garbageSlots, problems };
}
