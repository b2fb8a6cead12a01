/**
 * One-time ("stealth") addresses with dual keys, after CryptoNote v2.0 (van Saberhagen, 2013, §4.3
 * "Unlinkable payments") and Monero's view tags (2022), over ristretto255.
 *
 * A receiver publishes one address (A, B) = (a·K, b·K): a is the VIEW secret (detects incoming
 * outputs, can be handed to an auditor or a wallet server), b the SPEND secret (needed to spend).
 * K = RING_KEY_BASE (ring.ts), so every one-time key is a valid CLSAG ring key.
 *
 * Sender, for output index i of a transaction with secret r (one r per transaction):
 *   R = r·K                                             the transaction public key, published
 *   S = r·A                                             ECDH shared point (= a·R for the receiver)
 *   hᵢ = H_s("weft/stealth/v1/derive", S, i)            a scalar, 64-byte SHAKE output mod ℓ
 *   Pᵢ = hᵢ·K + B                                       the one-time key of the output
 *   tagᵢ = first byte of H("weft/stealth/v1/view-tag", S, i)   lets scanners skip 255/256 outputs
 *   kᵢ = H("weft/stealth/v1/shared", S, i)              32 bytes for the ledger to encrypt the
 *                                                       amount and blinding to the receiver
 * where H/H_s are the SHAKE256 `Transcript` of transcript.ts with those domains, absorbing S
 * (encoded) and i (u64). The receiver recomputes S = a·R and checks Pᵢ = hᵢ·K + B; its one-time
 * secret key is xᵢ = hᵢ + b (so Pᵢ = xᵢ·K) and its key image for spending is xᵢ·Hp(Pᵢ) (ring.ts).
 *
 * Without a, computing S from (R, A) is the computational Diffie–Hellman problem, so outsiders can
 * neither detect the receiver nor link two outputs to the same address; without b the view-key
 * holder can detect but not spend (xᵢ needs b).
 */
import { assertBytes, equalBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import { assertScalar, CURVE_ORDER, randomScalar, type Scalar } from './group.js';
import { type PointArena, type PointRef, withPointArena } from './msm.js';
import { RING_KEY_BASE } from './ring.js';
import { Transcript } from './transcript.js';

const BASE_BYTES = RING_KEY_BASE.toBytes();
export const STEALTH_ADDRESS_LENGTH = 64;

export interface StealthKeys {
  viewSecret: Scalar;
  spendSecret: Scalar;
  /** A = a·K */
  viewPublic: Uint8Array;
  /** B = b·K */
  spendPublic: Uint8Array;
  /** A ‖ B, what the receiver publishes. */
  address: Uint8Array;
}

export interface StealthOutput {
  /** Pᵢ = hᵢ·K + B, the key the output is locked to. */
  oneTimeKey: Uint8Array;
  /** R = r·K, published once per transaction. */
  txPublicKey: Uint8Array;
  /** One byte that lets the receiver discard most foreign outputs with one hash. */
  viewTag: number;
  /** 32 bytes both sides can derive, for encrypting the amount/blinding to the receiver. */
  sharedSecret: Uint8Array;
}

export interface ReceivedOutput {
  /** kᵢ: the same 32 bytes the sender derived. */
  sharedSecret: Uint8Array;
  /** hᵢ: the one-time secret key is hᵢ + b. */
  derivation: Scalar;
}

function assertSecret(s: Scalar, what: string): void {
  assertScalar(s, what);
  if (s === 0n) throw new WeftError('INVALID_KEY', `${what} must not be zero`);
}

function assertOutputIndex(i: number): void {
  if (!Number.isSafeInteger(i) || i < 0) throw new WeftError('INVALID_ARGUMENT', 'output index must be ≥ 0');
}

/** Builds the key set for given secrets (both in [1, ℓ)). */
export function stealthKeysFromSecrets(viewSecret: Scalar, spendSecret: Scalar): StealthKeys {
  assertSecret(viewSecret, 'view secret');
  assertSecret(spendSecret, 'spend secret');
  return withPointArena((a) => {
    const K = a.decode(BASE_BYTES);
    const viewPublic = a.encode(a.mulSecret(K, viewSecret));
    const spendPublic = a.encode(a.mulSecret(K, spendSecret));
    const address = new Uint8Array(STEALTH_ADDRESS_LENGTH);
    address.set(viewPublic);
    address.set(spendPublic, 32);
    return { viewSecret, spendSecret, viewPublic, spendPublic, address };
  });
}

export function generateStealthKeys(): StealthKeys {
  return stealthKeysFromSecrets(randomScalar(), randomScalar());
}

/** Splits and validates an address: both halves must be canonical, non-identity points. */
export function decodeStealthAddress(address: Uint8Array): {
  viewPublic: Uint8Array;
  spendPublic: Uint8Array;
} {
  assertBytes(address, STEALTH_ADDRESS_LENGTH, 'stealth address');
  const viewPublic = address.slice(0, 32);
  const spendPublic = address.slice(32);
  withPointArena((a) => {
    decodeKey(a, viewPublic, 'view key');
    decodeKey(a, spendPublic, 'spend key');
  });
  return { viewPublic, spendPublic };
}

function decodeKey(a: PointArena, bytes: Uint8Array, what: string): PointRef {
  const p = a.decode(bytes, what);
  if (a.isIdentity(p)) throw new WeftError('INVALID_KEY', `${what} is the identity`);
  return p;
}

interface Derived {
  derivation: Scalar;
  viewTag: number;
  sharedSecret: Uint8Array;
}

function derive(sharedPoint: Uint8Array, outputIndex: number): Derived {
  const t = (domain: string): Transcript => {
    const tr = Transcript.create(domain);
    tr.appendMessage('S', sharedPoint);
    tr.appendU64('i', outputIndex);
    return tr;
  };
  return {
    derivation: t('weft/stealth/v1/derive').challengeScalar('h'),
    viewTag: t('weft/stealth/v1/view-tag').challengeBytes('tag', 1)[0] as number,
    sharedSecret: t('weft/stealth/v1/shared').challengeBytes('k', 32),
  };
}

/** A fresh transaction secret r; use one per transaction, for all its outputs. */
export function createTxSecret(): Scalar {
  return randomScalar();
}

/** Sender side: the one-time key and transaction public key paying `address` at `outputIndex`. */
export function createStealthOutput(
  address: Uint8Array,
  outputIndex: number,
  txSecret: Scalar,
): StealthOutput {
  assertOutputIndex(outputIndex);
  assertSecret(txSecret, 'transaction secret');
  const { viewPublic, spendPublic } = decodeStealthAddress(address);
  return withPointArena((a) => {
    const K = a.decode(BASE_BYTES);
    const A = a.decode(viewPublic);
    const B = a.decode(spendPublic);
    const txPublicKey = a.encode(a.mulSecret(K, txSecret));
    const d = derive(a.encode(a.mulSecret(A, txSecret)), outputIndex);
    // Pᵢ = hᵢ·K + B; hᵢ is secret until the output is spent, so use the masked MSM.
    const oneTimeKey = a.encode(a.add(a.mulSecret(K, d.derivation), B));
    return { oneTimeKey, txPublicKey, viewTag: d.viewTag, sharedSecret: d.sharedSecret };
  });
}

/**
 * Receiver side with the view secret: returns the shared secret and derivation if the output pays
 * (viewSecret, spendPublic), undefined otherwise. With `viewTag`, a mismatching tag returns early
 * (1 hash instead of a scalar multiplication for 255 of 256 foreign outputs).
 */
export function scanStealthOutput(
  viewSecret: Scalar,
  spendPublic: Uint8Array,
  txPublicKey: Uint8Array,
  outputIndex: number,
  oneTimeKey: Uint8Array,
  viewTag?: number,
): ReceivedOutput | undefined {
  assertSecret(viewSecret, 'view secret');
  assertOutputIndex(outputIndex);
  assertBytes(oneTimeKey, 32, 'one-time key');
  return withPointArena((a) => {
    const R = decodeKey(a, txPublicKey, 'transaction public key');
    const B = decodeKey(a, spendPublic, 'spend key');
    const d = derive(a.encode(a.mulSecret(R, viewSecret)), outputIndex);
    if (viewTag !== undefined && viewTag !== d.viewTag) return undefined;
    const K = a.decode(BASE_BYTES);
    const expected = a.encode(a.add(a.mulSecret(K, d.derivation), B));
    if (!equalBytes(expected, oneTimeKey)) return undefined;
    return { sharedSecret: d.sharedSecret, derivation: d.derivation };
  });
}

/**
 * The one-time secret key xᵢ = hᵢ + b of an output detected by `scanStealthOutput`
 * (Pᵢ = xᵢ·K; sign with it in ring.ts). Throws INVALID_KEY if the output is not the receiver's.
 */
export function deriveOneTimeSecretKey(
  keys: Pick<StealthKeys, 'viewSecret' | 'spendSecret' | 'spendPublic'>,
  txPublicKey: Uint8Array,
  outputIndex: number,
  oneTimeKey: Uint8Array,
): Scalar {
  assertSecret(keys.spendSecret, 'spend secret');
  const found = scanStealthOutput(keys.viewSecret, keys.spendPublic, txPublicKey, outputIndex, oneTimeKey);
  if (found === undefined) throw new WeftError('INVALID_KEY', 'output does not belong to these keys');
  return (found.derivation + keys.spendSecret) % CURVE_ORDER;
}
