import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { assertBytes } from './bytes.js';
import { WeftError } from './errors.js';

/**
 * SM4 (GB/T 32907-2016), the 128-bit block cipher of the `sm` suite, in the two modes weft uses
 * for data at rest: CBC with PKCS#7 padding and CTR. OpenSSL does the work (`sm4-cbc`,
 * `sm4-ctr`, `sm4-ecb` in Node's crypto).
 *
 * Neither mode authenticates: a CBC or CTR ciphertext can be altered without the key noticing,
 * and CTR leaks plaintext XORs when an (key, iv) pair is reused. Callers that store or send
 * ciphertext must add a MAC (e.g. HMAC-SM3 over iv ‖ ciphertext, encrypt-then-MAC) and must use a
 * fresh random iv per encryption (CBC: unpredictable; CTR: never repeated under one key).
 */

export const SM4_KEY_LENGTH = 16;
export const SM4_BLOCK_LENGTH = 16;
export const SM4_IV_LENGTH = 16;

function assertKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  assertBytes(key, SM4_KEY_LENGTH, 'SM4 key');
  assertBytes(iv, SM4_IV_LENGTH, 'SM4 iv');
}

function toBytes(...parts: Buffer[]): Uint8Array {
  const joined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

/**
 * SM4-CBC encryption with PKCS#7 padding (RFC 5652 §6.3): the output is 1–16 bytes longer than
 * the input (a whole block of padding when the input is block-aligned).
 */
export function sm4CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  assertKeyAndIv(key, iv);
  assertBytes(plaintext, undefined, 'plaintext');
  const cipher = createCipheriv('sm4-cbc', key, iv);
  return toBytes(cipher.update(plaintext), cipher.final());
}

/**
 * SM4-CBC decryption with PKCS#7 unpadding. A length that is not a positive multiple of 16 or bad
 * padding (usually: wrong key or corrupted data) throws `DECRYPTION_FAILED`. Padding errors from
 * CBC are a padding oracle if an attacker can observe them for chosen ciphertexts: authenticate
 * first, decrypt second.
 */
export function sm4CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assertKeyAndIv(key, iv);
  assertBytes(ciphertext, undefined, 'ciphertext');
  if (ciphertext.length === 0 || ciphertext.length % SM4_BLOCK_LENGTH !== 0) {
    throw new WeftError('DECRYPTION_FAILED', 'SM4-CBC ciphertext must be a positive multiple of 16 bytes');
  }
  const decipher = createDecipheriv('sm4-cbc', key, iv);
  try {
    return toBytes(decipher.update(ciphertext), decipher.final());
  } catch (cause) {
    // OpenSSL reports "bad decrypt"; keep its error as the cause (it carries no key material).
    throw new WeftError('DECRYPTION_FAILED', 'SM4-CBC decryption failed (wrong key or corrupted data)', {
      cause,
    });
  }
}

/**
 * SM4-CTR (NIST SP 800-38A §6.5 with SM4 as the block cipher): `iv` is the initial 128-bit counter
 * block, incremented as one big-endian integer per block. Encryption and decryption are the same
 * operation; the output has the input's length.
 */
export function sm4CtrEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  assertKeyAndIv(key, iv);
  assertBytes(plaintext, undefined, 'plaintext');
  const cipher = createCipheriv('sm4-ctr', key, iv);
  return toBytes(cipher.update(plaintext), cipher.final());
}

/** SM4-CTR decryption; see `sm4CtrEncrypt`. */
export function sm4CtrDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assertKeyAndIv(key, iv);
  assertBytes(ciphertext, undefined, 'ciphertext');
  const decipher = createDecipheriv('sm4-ctr', key, iv);
  return toBytes(decipher.update(ciphertext), decipher.final());
}

/** Raw single-block SM4 under one key (ECB of one block). */
export interface Sm4BlockCipher {
  encryptBlock(block: Uint8Array): Uint8Array;
  decryptBlock(block: Uint8Array): Uint8Array;
}

/**
 * The bare SM4 permutation, for building other modes and for checking the standard's vectors
 * (GB/T 32907-2016 Appendix A). Never encrypt data block by block with it: identical blocks
 * would give identical ciphertext. One OpenSSL context per direction is kept for the key, so
 * iterating a block is ≈1 µs instead of ≈5 µs per fresh context.
 */
export function createSm4BlockCipher(key: Uint8Array): Sm4BlockCipher {
  assertBytes(key, SM4_KEY_LENGTH, 'SM4 key');
  // Both contexts are keyed now, so later changes to the caller's `key` array change nothing.
  const encryptor = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  const decryptor = createDecipheriv('sm4-ecb', key, null).setAutoPadding(false);
  const run = (context: Cipher | Decipher, block: Uint8Array): Uint8Array => {
    assertBytes(block, SM4_BLOCK_LENGTH, 'SM4 block');
    // Without padding, ECB's update() returns exactly one block per 16 bytes in, so the context
    // never holds state between calls.
    return toBytes(context.update(block));
  };
  return {
    encryptBlock: (block) => run(encryptor, block),
    decryptBlock: (block) => run(decryptor, block),
  };
}
