import { hash as nodeHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { assertBytes } from './bytes.js';

/**
 * The three 32-byte hashes a weft chain uses: Keccak-256 (the `ecdsa` chain hash and everything
 * Ethereum-facing), SM3 (the `sm` chain hash, GB/T 32905-2016) and SHA-256 (certificates, TLS,
 * interop).
 *
 * Implementation choice, measured on the 2-core reference machine (Node 20.20, ops/s,
 * 32-byte / 1 KiB inputs):
 *   SHA-256  node `crypto.hash` 1.63M / 784k, node `createHash` 858k / 567k, noble 1.11M / 167k
 *   SM3      node `crypto.hash` 1.09M / 331k, node `createHash` 692k / 282k
 *   Keccak   noble 251k / 36k
 * so SHA-256 and SM3 use OpenSSL through the one-shot `crypto.hash` (Node ≥ 20.12), which skips
 * the Hash object `createHash` allocates. Node's OpenSSL has no Keccak-256: its `sha3-256` uses the
 * FIPS 202 padding byte 0x06 instead of Keccak's 0x01, which gives different digests. Keccak-256
 * therefore comes from @noble/hashes (audited, pure JS). The native `keccak` npm package would be
 * 1.6× (32 B) to 5× (1 KiB) faster but is not a dependency of this package.
 */

function digestToBytes(digest: Buffer): Uint8Array {
  // `crypto.hash` returns a Buffer that owns a fresh 32-byte ArrayBuffer (not the shared pool),
  // so a plain Uint8Array view over it is safe and avoids a copy.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Keccak-256 (the pre-FIPS 202 SHA-3 submission Ethereum uses): 32 bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'keccak256 input');
  return keccak_256(data);
}

/** SHA-256 (FIPS 180-4): 32 bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'sha256 input');
  return digestToBytes(nodeHash('sha256', data, 'buffer'));
}

/** SM3 (GB/T 32905-2016): 32 bytes. */
export function sm3(data: Uint8Array): Uint8Array {
  assertBytes(data, undefined, 'sm3 input');
  return digestToBytes(nodeHash('sm3', data, 'buffer'));
}
