/**
 * Fiat–Shamir for weft's own proofs. Two constructions live here:
 *
 * 1. `challengeScalar(label, parts)` — one-shot challenges for the sigma-style proofs (ElGamal, DKG,
 *    threshold decryption); WeDPR's sigma proofs keep WeDPR's transcript for wire compatibility (see
 *    sigma.ts):
 *
 *      e = SHA3-512( "weft/privacy/v1/" ‖ label ‖ 0x00 ‖ Σ_i (u32be(len(part_i)) ‖ part_i) ) mod ℓ
 *
 *    - a protocol label, so a proof for one statement can never be replayed as a proof for another
 *      (domain separation, cf. RFC 9380 §3.1 on DSTs);
 *    - every part is length-prefixed, so two different part lists never hash the same bytes;
 *    - the caller's context (chain id, election id, ciphertext id, …) is one of the parts, so a proof
 *      is bound to where it is used ("strong Fiat–Shamir", Bernhard–Pereira–Warinschi, ASIACRYPT
 *      2012: everything in the statement goes into the hash);
 *    - a 512-bit digest reduced mod ℓ is within 2^-259 of uniform (RFC 9496 §4.4 wide reduction).
 *
 * 2. `Transcript` — a running, Merlin-style transcript for multi-round protocols (Bulletproofs,
 *    CLSAG), where each challenge must depend on everything said before it, including earlier
 *    challenges. It is a SHAKE256 sponge (FIPS 202 §6.2) that absorbs a sequence of framed records
 *
 *      record = op (1 byte) ‖ u32le(len(label)) ‖ label ‖ u32le(len(data)) ‖ data
 *
 *    with op 0x01 DOMAIN (at creation: label "weft-transcript-v1", data = protocol domain),
 *    0x02 MESSAGE (label, message), 0x03 CHALLENGE (label, data = u32le(output length)). A challenge
 *    squeezes `length` bytes from a copy of the sponge after its CHALLENGE record, then absorbs them
 *    back as a 0x04 OUTPUT record (label, output), so later challenges depend on earlier ones and no
 *    two challenges share an input even with equal labels. The framing is injective (every variable
 *    field is length-prefixed and every record starts with its type), which is what Fiat–Shamir
 *    security needs from the encoding; SHAKE256 gives 256-bit collision resistance. Scalars are
 *    64 output bytes reduced mod ℓ (bias < 2^-259, RFC 9496 §4.4).
 */
import { sha3_512, shake256 } from '@noble/hashes/sha3.js';
import { assertBytes, utf8ToBytes } from '../bytes.js';
import { WeftError } from '../errors.js';
import { type Scalar, scalarFromBytesModOrder } from './group.js';

const PREFIX = utf8ToBytes('weft/privacy/v1/');

export function challengeScalar(label: string, parts: readonly Uint8Array[]): Scalar {
  const h = sha3_512.create();
  h.update(PREFIX);
  h.update(utf8ToBytes(label));
  h.update(new Uint8Array([0]));
  const len = new Uint8Array(4);
  const view = new DataView(len.buffer);
  for (const part of parts) {
    assertBytes(part, undefined, 'transcript part');
    view.setUint32(0, part.length, false);
    h.update(len);
    h.update(part);
  }
  return scalarFromBytesModOrder(h.digest());
}

const OP_DOMAIN = 0x01;
const OP_MESSAGE = 0x02;
const OP_CHALLENGE = 0x03;
const OP_OUTPUT = 0x04;
const TRANSCRIPT_VERSION = 'weft-transcript-v1';
/** Challenges are at most this long; a larger request is a programming error, not an attack. */
const MAX_CHALLENGE_BYTES = 1024;

type Sponge = ReturnType<typeof shake256.create>;

function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** A running Fiat–Shamir transcript; see the module comment for the exact byte construction. */
export class Transcript {
  private constructor(private readonly sponge: Sponge) {}

  /** Starts a transcript for one protocol; `domain` names the protocol and its version. */
  static create(domain: string): Transcript {
    const t = new Transcript(shake256.create({}));
    t.absorb(OP_DOMAIN, TRANSCRIPT_VERSION, utf8ToBytes(domain));
    return t;
  }

  private absorb(op: number, label: string, data: Uint8Array): void {
    const labelBytes = utf8ToBytes(label);
    this.sponge.update(new Uint8Array([op]));
    this.sponge.update(u32le(labelBytes.length));
    this.sponge.update(labelBytes);
    this.sponge.update(u32le(data.length));
    this.sponge.update(data);
  }

  appendMessage(label: string, message: Uint8Array): void {
    assertBytes(message, undefined, 'transcript message');
    this.absorb(OP_MESSAGE, label, message);
  }

  /** Appends a non-negative integer below 2^53 as 8 bytes little-endian. */
  appendU64(label: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new WeftError('INVALID_ARGUMENT', 'transcript integers must be safe non-negative integers');
    }
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
    this.absorb(OP_MESSAGE, label, out);
  }

  challengeBytes(label: string, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 1 || length > MAX_CHALLENGE_BYTES) {
      throw new WeftError('INVALID_ARGUMENT', `challenge length must be 1…${MAX_CHALLENGE_BYTES} bytes`);
    }
    this.absorb(OP_CHALLENGE, label, u32le(length));
    const out = this.sponge.clone().xof(length);
    this.absorb(OP_OUTPUT, label, out);
    return out;
  }

  /** A challenge scalar: 64 squeezed bytes, little-endian, reduced mod ℓ. */
  challengeScalar(label: string): Scalar {
    return scalarFromBytesModOrder(this.challengeBytes(label, 64));
  }

  /** An independent copy (e.g. to derive prover randomness from the transcript so far). */
  clone(): Transcript {
    return new Transcript(this.sponge.clone());
  }
}
