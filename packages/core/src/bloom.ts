/**
 * The 2048-bit log bloom of the Ethereum Yellow Paper §4.3.1 (M3:2048): for the log's address and each
 * topic, three bits chosen by the low 11 bits of the first three byte pairs of the hash. weft computes it
 * with the chain hash (Keccak-256 on `ecdsa` chains, where it equals Ethereum's; SM3 on `sm` chains).
 */
import type { HashFn } from './merkle.js';

export const BLOOM_BYTES = 256;

export function addToBloom(bloom: Uint8Array, hash: HashFn, value: Uint8Array): void {
  const h = hash(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = (((h[i] as number) << 8) | (h[i + 1] as number)) & 2047;
    const byteIndex = BLOOM_BYTES - 1 - (bit >> 3);
    bloom[byteIndex] = (bloom[byteIndex] as number) | (1 << (bit & 7));
  }
}

export function bloomContains(bloom: Uint8Array, hash: HashFn, value: Uint8Array): boolean {
  const probe = new Uint8Array(BLOOM_BYTES);
  addToBloom(probe, hash, value);
  for (let i = 0; i < BLOOM_BYTES; i++) {
    const p = probe[i] as number;
    if (((bloom[i] as number) & p) !== p) return false;
  }
  return true;
}
