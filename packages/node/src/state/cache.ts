import { WeftError } from '@weft/crypto/errors';

/**
 * Stands for "this key is known to be absent from the store". No state value is ever empty (zero
 * storage values are deleted, not stored), so an empty array is free to mean absence.
 */
export const ABSENT: Uint8Array = new Uint8Array(0);

// Rough per-entry cost of a Map slot, the key string and the Uint8Array object.
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * A byte-bounded cache of committed state values, keyed by the store key (as a latin1 string).
 * Absent keys are cached too (as `ABSENT`) because most reads of a new account or a zero slot would
 * otherwise go to disk every time.
 *
 * Two generations instead of a strict LRU: lookups hit `young` first, then `old` (a hit in `old` is
 * promoted); when `young` outgrows half the budget, `old` is dropped and `young` becomes `old`.
 * Every operation is O(1) with no linked list to maintain, and whatever was used within the last
 * half-budget of insertions survives, which is what an LRU would keep too.
 */
export class GenerationalCache {
  private young = new Map<string, Uint8Array>();
  private old = new Map<string, Uint8Array>();
  private youngBytes = 0;
  private readonly generationBytes: number;

  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 4096) {
      throw new WeftError('INVALID_ARGUMENT', 'state cache size must be an integer of at least 4096 bytes');
    }
    this.generationBytes = Math.floor(maxBytes / 2);
  }

  /** The cached value (`ABSENT` when known absent), or undefined when the key is not cached. */
  get(key: string): Uint8Array | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: Uint8Array): void {
    const previous = this.young.get(key);
    if (previous !== undefined) this.youngBytes -= key.length + previous.length + ENTRY_OVERHEAD_BYTES;
    this.young.set(key, value);
    this.youngBytes += key.length + value.length + ENTRY_OVERHEAD_BYTES;
    if (this.youngBytes > this.generationBytes) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }

  /** Sets a value and drops any older copy, so a stale value can never be promoted back. */
  replace(key: string, value: Uint8Array): void {
    this.old.delete(key);
    this.set(key, value);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
