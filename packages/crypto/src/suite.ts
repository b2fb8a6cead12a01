/**
 * A crypto suite is everything a chain hashes and signs with. A chain picks one in its genesis
 * (`ecdsa` or `sm`) and never mixes them: every hash the protocol computes goes through
 * `suite.hash`, every signature through `suite.sign` / `suite.recoverSigner`.
 */
export type SuiteName = 'ecdsa' | 'sm';

export interface KeyPair {
  /** 32-byte secret scalar. */
  readonly privateKey: Uint8Array;
  /** 64-byte uncompressed public key without the 0x04 prefix (x ‖ y). */
  readonly publicKey: Uint8Array;
}

export interface CryptoSuite {
  readonly name: SuiteName;
  /** Length in bytes of a signature produced by `sign`. */
  readonly signatureLength: number;
  /** The chain hash: Keccak-256 (`ecdsa`) or SM3 (`sm`). Always 32 bytes. */
  hash(data: Uint8Array): Uint8Array;
  generateKeyPair(): KeyPair;
  /**
   * Derives the 64-byte public key; throws INVALID_KEY for a key outside [1, n-1] (`sm`: [1, n-2],
   * GB/T 32918.1 §6.1, since signing divides by 1 + d) and INVALID_LENGTH unless 32 bytes.
   */
  publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array;
  /** 20-byte account address: the last 20 bytes of `hash(publicKey)`; INVALID_KEY if off the curve. */
  addressFromPublicKey(publicKey: Uint8Array): Uint8Array;
  /**
   * Signs a 32-byte digest.
   * - `ecdsa`: r ‖ s ‖ v (65 bytes, v ∈ {0,1}, low-s), recoverable.
   * - `sm`: r ‖ s ‖ publicKey (128 bytes); SM2 with user id `1234567812345678` (GB/T 32918.2),
   *   the digest is the message M, so e = SM3(Z_A ‖ digest).
   */
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /**
   * Verifies `signature` over `digest` and returns the signer's 64-byte public key.
   * Throws `WeftError('INVALID_SIGNATURE')` on any malformed or invalid signature (wrong length,
   * r or s out of range, high s, v ∉ {0,1}, key off the curve) and INVALID_LENGTH for a digest
   * that is not 32 bytes.
   * The returned key is whoever signed, not who was expected: authorisation must compare it (or
   * its address) with the expected signer, or use `verify`. A tampered `sm` signature always fails
   * (its key travels inside it); a tampered `ecdsa` signature may instead recover some unrelated
   * key, because recovery cannot tell it from another signer's signature.
   */
  recoverSigner(digest: Uint8Array, signature: Uint8Array): Uint8Array;
  /**
   * Verifies against a known public key; false (never throws) on any mismatch or malformed input.
   * Accepts exactly what `recoverSigner` attributes to `publicKey` (for `ecdsa` that includes v).
   */
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}
