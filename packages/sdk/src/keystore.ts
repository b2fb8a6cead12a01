/**
 * Encrypted key files.
 *
 * `ecdsa` keys are stored exactly as Web3 Secret Storage v3
 * (https://ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage/), so
 * geth, ethers and MetaMask read our files and we read theirs:
 *
 *   derivedKey = scrypt(passphrase, salt, n, r = 8, p = 1, dklen = 32)   (or PBKDF2-HMAC-SHA256 on read)
 *   ciphertext = AES-128-CTR(key = derivedKey[0..16], iv)(privateKey)
 *   mac        = Keccak-256(derivedKey[16..32] ‖ ciphertext)
 *
 *   { "version": 3, "id": <uuid v4>, "address": <40 hex, no 0x>,
 *     "crypto": { "cipher": "aes-128-ctr", "cipherparams": { "iv": <32 hex> },
 *                 "ciphertext": <64 hex>, "kdf": "scrypt",
 *                 "kdfparams": { "dklen": 32, "n": 131072, "r": 8, "p": 1, "salt": <64 hex> },
 *                 "mac": <64 hex> } }
 *
 * `sm` (国密) keys use the same JSON shape and the same KDFs, with the Chinese national algorithms
 * in place of AES and Keccak, and a marker so that no tool mistakes them for Ethereum keys:
 *
 *   ciphertext = SM4-CTR(key = derivedKey[0..16], iv)(privateKey)           (GB/T 32907-2016)
 *   mac        = SM3(derivedKey[16..32] ‖ ciphertext)                       (GB/T 32905-2016)
 *   "crypto": { "cipher": "sm4-ctr", ... },  "weft": { "suite": "sm" },
 *   "address" = the last 20 bytes of SM3(SM2 public key), as the `sm` chain computes it.
 *
 * In both cases the MAC hash is the suite's chain hash. The passphrase is used as its UTF-8 bytes
 * without Unicode normalisation (as geth does; ethers applies NFKC first, which only matters for
 * passphrases containing compatibility characters such as ligatures).
 *
 * Reading is strict: unknown ciphers, KDFs or PRFs, malformed hex, wrong lengths and KDF
 * parameters beyond sane bounds (which would let a hostile file pin the CPU or exhaust memory) are
 * rejected with INVALID_ARGUMENT before any key derivation starts.
 */
import { createCipheriv, pbkdf2, randomBytes, randomUUID, scrypt } from 'node:crypto';
import { scryptAsync as nobleScrypt } from '@noble/hashes/scrypt.js';
import { assertBytes, bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';

export interface ScryptKdfParams {
  dklen: number;
  n: number;
  r: number;
  p: number;
  salt: string;
}

export interface Pbkdf2KdfParams {
  dklen: number;
  c: number;
  prf: 'hmac-sha256';
  salt: string;
}

export type KeystoreCipher = 'aes-128-ctr' | 'sm4-ctr';

export interface KeystoreJson {
  version: 3;
  id: string;
  /** Lower-case hex without `0x`, as geth writes it. */
  address: string;
  crypto: {
    cipher: KeystoreCipher;
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt' | 'pbkdf2';
    kdfparams: ScryptKdfParams | Pbkdf2KdfParams;
    mac: string;
  };
  /** Present only on `sm` keystores. */
  weft?: { suite: SuiteName };
}

export interface EncryptKeystoreOptions {
  suite: SuiteName;
  /**
   * scrypt cost parameter N, a power of two. Default 2^17 (the cost ethers and MetaMask use; about
   * 128 MiB and 0.3–1 s per derivation on this project's 2-core machine). Lower it only for tests.
   */
  scryptN?: number;
}

export interface DecryptedKey {
  privateKey: Uint8Array;
  address: Uint8Array;
  suite: SuiteName;
}

export const DEFAULT_SCRYPT_N = 2 ** 17;
/** scrypt r and p as geth "standard" and ethers write them. */
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const DKLEN = 32;
const SALT_LENGTH = 32;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const PRIVATE_KEY_LENGTH = 32;

/**
 * Bounds on KDF costs accepted when reading a file. The largest cost in common use is geth's
 * "standard" scrypt (n = 2^18, r = 8, p = 1, 256 MiB); these leave headroom while refusing files
 * that would take minutes or gigabytes to open.
 */
const MAX_SCRYPT_N = 2 ** 20;
const MAX_SCRYPT_R = 32;
const MAX_SCRYPT_P = 16;
/** 128·n·r bytes is scrypt's memory use (RFC 7914 §5); n·r·p bounds its work. */
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;
const MAX_SCRYPT_WORK = 2 ** 24;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MIN_SALT_LENGTH = 16;
const MAX_SALT_LENGTH = 1024;

const CIPHER_OF_SUITE: Record<SuiteName, KeystoreCipher> = { ecdsa: 'aes-128-ctr', sm: 'sm4-ctr' };

export async function encryptKeystore(
  privateKey: Uint8Array,
  passphrase: string | Uint8Array,
  options: EncryptKeystoreOptions,
): Promise<KeystoreJson> {
  const suiteName = assertSuiteName(options?.suite);
  assertBytes(privateKey, PRIVATE_KEY_LENGTH, 'private key');
  const password = passphraseToBytes(passphrase);
  const n = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_SCRYPT_N || (n & (n - 1)) !== 0) {
    throw new WeftError('INVALID_ARGUMENT', `scryptN must be a power of two in [2, 2^20], got ${n}`);
  }
  const suite = getSuite(suiteName);
  // Also rejects keys outside [1, n-1] before we spend time on the KDF.
  const address = suite.addressFromPublicKey(suite.publicKeyFromPrivate(privateKey));

  const salt = new Uint8Array(randomBytes(SALT_LENGTH));
  const iv = new Uint8Array(randomBytes(IV_LENGTH));
  const derivedKey = await deriveScrypt(password, salt, n, SCRYPT_R, SCRYPT_P);
  try {
    const cipher = CIPHER_OF_SUITE[suiteName];
    const ciphertext = ctrEncrypt(cipher, derivedKey.subarray(0, 16), iv, privateKey);
    const mac = suite.hash(concatBytes(derivedKey.subarray(16, 32), ciphertext));
    return {
      version: 3,
      id: randomUUID(),
      address: plainHex(address),
      crypto: {
        cipher,
        cipherparams: { iv: plainHex(iv) },
        ciphertext: plainHex(ciphertext),
        kdf: 'scrypt',
        kdfparams: { dklen: DKLEN, n, r: SCRYPT_R, p: SCRYPT_P, salt: plainHex(salt) },
        mac: plainHex(mac),
      },
      ...(suiteName === 'sm' ? { weft: { suite: 'sm' as const } } : {}),
    };
  } finally {
    derivedKey.fill(0);
  }
}

/**
 * Opens a keystore (a parsed object or its JSON text). A wrong passphrase and a tampered file are
 * indistinguishable by design: both fail the MAC check with DECRYPTION_FAILED.
 */
export async function decryptKeystore(
  json: string | object,
  passphrase: string | Uint8Array,
): Promise<DecryptedKey> {
  const keystore = parseKeystore(json);
  const password = passphraseToBytes(passphrase);
  const suite = getSuite(keystore.suite);

  const derivedKey =
    keystore.kdf.kind === 'scrypt'
      ? await deriveScrypt(password, keystore.kdf.salt, keystore.kdf.n, keystore.kdf.r, keystore.kdf.p)
      : await derivePbkdf2(password, keystore.kdf.salt, keystore.kdf.c);
  let plaintext: Uint8Array;
  try {
    const mac = suite.hash(concatBytes(derivedKey.subarray(16, 32), keystore.ciphertext));
    if (!equalBytes(mac, keystore.mac)) {
      throw new WeftError('DECRYPTION_FAILED', 'wrong passphrase or corrupted keystore');
    }
    plaintext = ctrEncrypt(keystore.cipher, derivedKey.subarray(0, 16), keystore.iv, keystore.ciphertext);
  } finally {
    derivedKey.fill(0);
  }

  // go-ethereum before 2016 serialised keys as big integers without leading zero bytes, so old
  // files hold 30- or 31-byte plaintexts (its test vectors "30_byte_key", "31_byte_key").
  const privateKey = new Uint8Array(PRIVATE_KEY_LENGTH);
  privateKey.set(plaintext, PRIVATE_KEY_LENGTH - plaintext.length);
  plaintext.fill(0);

  const address = suite.addressFromPublicKey(suite.publicKeyFromPrivate(privateKey));
  if (keystore.address !== undefined && !equalBytes(address, keystore.address)) {
    privateKey.fill(0);
    throw new WeftError('DECRYPTION_FAILED', 'keystore address does not match the decrypted key');
  }
  return { privateKey, address, suite: keystore.suite };
}

/** True when `value` looks like a keystore this module can open (shape only; nothing is decrypted). */
export function isKeystoreJson(value: unknown): boolean {
  try {
    parseKeystore(value as string | object);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// parsing

type ParsedKdf =
  | { kind: 'scrypt'; salt: Uint8Array; n: number; r: number; p: number }
  | { kind: 'pbkdf2'; salt: Uint8Array; c: number };

interface ParsedKeystore {
  suite: SuiteName;
  cipher: KeystoreCipher;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  mac: Uint8Array;
  kdf: ParsedKdf;
  address: Uint8Array | undefined;
}

function invalid(message: string): WeftError {
  return new WeftError('INVALID_ARGUMENT', `invalid keystore: ${message}`);
}

function parseKeystore(json: string | object): ParsedKeystore {
  let root: unknown = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch {
      throw invalid('not valid JSON');
    }
  }
  const top = asRecord(root, 'the keystore');
  // geth and the spec accept the version as a number; some older tools wrote it as a string.
  if (top.version !== 3 && top.version !== '3') throw invalid('unsupported version (expected 3)');

  let suite: SuiteName = 'ecdsa';
  if (top.weft !== undefined) {
    const marker = asRecord(top.weft, 'weft');
    if (marker.suite !== 'ecdsa' && marker.suite !== 'sm')
      throw invalid('weft.suite must be "ecdsa" or "sm"');
    suite = marker.suite;
  }

  // ethers (and geth before 1.4) write "Crypto"; the spec writes "crypto".
  if (top.crypto !== undefined && top.Crypto !== undefined)
    throw invalid('both "crypto" and "Crypto" present');
  const crypto = asRecord(top.crypto ?? top.Crypto, 'crypto');

  const cipher = crypto.cipher;
  if (cipher !== 'aes-128-ctr' && cipher !== 'sm4-ctr') {
    throw invalid('crypto.cipher must be "aes-128-ctr" or "sm4-ctr"');
  }
  if (cipher !== CIPHER_OF_SUITE[suite]) {
    throw invalid(`crypto.cipher "${cipher}" does not belong to suite "${suite}"`);
  }
  const iv = hexField(
    asRecord(crypto.cipherparams, 'crypto.cipherparams'),
    'iv',
    'crypto.cipherparams.iv',
    IV_LENGTH,
  );
  const ciphertext = hexField(crypto, 'ciphertext', 'crypto.ciphertext');
  // 32 bytes, or 30–31 for the legacy geth files described in decryptKeystore.
  if (ciphertext.length < 30 || ciphertext.length > PRIVATE_KEY_LENGTH) {
    throw invalid(`crypto.ciphertext must be 32 bytes, got ${ciphertext.length}`);
  }
  const mac = hexField(crypto, 'mac', 'crypto.mac', MAC_LENGTH);
  const kdf = parseKdf(crypto.kdf, asRecord(crypto.kdfparams, 'crypto.kdfparams'));

  let address: Uint8Array | undefined;
  if (top.address !== undefined) address = hexField(top, 'address', 'address', 20);
  if (top.id !== undefined && typeof top.id !== 'string') throw invalid('id must be a string');
  return { suite, cipher, iv, ciphertext, mac, kdf, address };
}

function parseKdf(kdf: unknown, params: Record<string, unknown>): ParsedKdf {
  if (params.dklen !== DKLEN) throw invalid('crypto.kdfparams.dklen must be 32');
  const salt = hexField(params, 'salt', 'crypto.kdfparams.salt');
  if (salt.length < MIN_SALT_LENGTH || salt.length > MAX_SALT_LENGTH) {
    throw invalid(`crypto.kdfparams.salt must be ${MIN_SALT_LENGTH} to ${MAX_SALT_LENGTH} bytes`);
  }
  if (kdf === 'scrypt') {
    const n = intField(params, 'n', 2, MAX_SCRYPT_N);
    const r = intField(params, 'r', 1, MAX_SCRYPT_R);
    const p = intField(params, 'p', 1, MAX_SCRYPT_P);
    // RFC 7914 §2: N must be a power of two greater than 1.
    if ((n & (n - 1)) !== 0) throw invalid('crypto.kdfparams.n must be a power of two');
    if (128 * n * r > MAX_SCRYPT_MEMORY || n * r * p > MAX_SCRYPT_WORK) {
      throw invalid('scrypt parameters exceed the accepted cost (n·r ≤ 2^23, n·r·p ≤ 2^24)');
    }
    return { kind: 'scrypt', salt, n, r, p };
  }
  if (kdf === 'pbkdf2') {
    if (params.prf !== 'hmac-sha256') throw invalid('crypto.kdfparams.prf must be "hmac-sha256"');
    const c = intField(params, 'c', 1, MAX_PBKDF2_ITERATIONS);
    return { kind: 'pbkdf2', salt, c };
  }
  throw invalid('crypto.kdf must be "scrypt" or "pbkdf2"');
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function intField(record: Record<string, unknown>, key: string, min: number, max: number): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`crypto.kdfparams.${key} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Hex without (as the spec writes it) or with a `0x` prefix; exact length when given. */
function hexField(record: Record<string, unknown>, key: string, what: string, length?: number): Uint8Array {
  const value = record[key];
  if (typeof value !== 'string') throw invalid(`${what} must be a hex string`);
  const body = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw invalid(`${what} must be a hex string`);
  const bytes = Uint8Array.from(Buffer.from(body, 'hex'));
  if (length !== undefined && bytes.length !== length) {
    throw invalid(`${what} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// primitives

function assertSuiteName(suite: unknown): SuiteName {
  if (suite !== 'ecdsa' && suite !== 'sm') {
    throw new WeftError('INVALID_ARGUMENT', 'options.suite must be "ecdsa" or "sm"');
  }
  return suite;
}

function passphraseToBytes(passphrase: string | Uint8Array): Uint8Array {
  if (typeof passphrase === 'string') return utf8ToBytes(passphrase);
  if (passphrase instanceof Uint8Array) return passphrase;
  throw new WeftError('INVALID_ARGUMENT', 'passphrase must be a string or a Uint8Array');
}

async function deriveScrypt(
  password: Uint8Array,
  salt: Uint8Array,
  n: number,
  r: number,
  p: number,
): Promise<Uint8Array> {
  // OpenSSL enforces RFC 7914 §2's "N < 2^(128·r/8)", which the spec's own scrypt vector
  // (n = 2^18, r = 1) breaks and geth does not check; derive such files with noble's pure-JS
  // scrypt (~2 s for that vector) instead of refusing them.
  if (n >= 2 ** (16 * r)) {
    const key = await nobleScrypt(password, salt, {
      N: n,
      r,
      p,
      dkLen: DKLEN,
      maxmem: MAX_SCRYPT_MEMORY * 2,
    });
    return key;
  }
  // Node refuses to run scrypt when 128·N·r exceeds `maxmem` (32 MiB by default); allow what
  // these parameters need plus slack for the p-sized buffers.
  const maxmem = 128 * n * r + 128 * r * p + 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const fail = (cause: unknown) =>
      reject(new WeftError('INVALID_ARGUMENT', 'scrypt key derivation failed', { cause }));
    try {
      scrypt(password, salt, DKLEN, { N: n, r, p, maxmem }, (err, key) => {
        if (err) fail(err);
        else resolve(copyAndWipe(key));
      });
    } catch (err) {
      // Node validates the parameters synchronously.
      fail(err);
    }
  });
}

function derivePbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, DKLEN, 'sha256', (err, key) => {
      if (err) reject(new WeftError('INVALID_ARGUMENT', 'PBKDF2 key derivation failed', { cause: err }));
      else resolve(copyAndWipe(key));
    });
  });
}

/**
 * CTR mode with the 16-byte IV as the initial counter block, incremented as one 128-bit
 * big-endian integer (NIST SP 800-38A §B.1), which is what geth and OpenSSL do for both ciphers.
 * Encryption and decryption are the same operation.
 */
function ctrEncrypt(cipher: KeystoreCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const ctr = createCipheriv(cipher, key, iv);
  const out = Buffer.concat([ctr.update(data), ctr.final()]);
  // Copy out of Node's shared Buffer pool so that callers can wipe the result.
  const copy = Uint8Array.from(out);
  out.fill(0);
  return copy;
}

function copyAndWipe(buffer: Buffer): Uint8Array {
  const copy = Uint8Array.from(buffer);
  buffer.fill(0);
  return copy;
}

function plainHex(bytes: Uint8Array): string {
  return bytesToHex(bytes).slice(2);
}
