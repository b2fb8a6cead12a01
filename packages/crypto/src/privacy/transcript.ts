/**
 * Fiat–Shamir challenges for weft's own proofs (ElGamal, DKG, threshold decryption). WeDPR's sigma
 * proofs keep WeDPR's transcript for wire compatibility (see sigma.ts); everything weft defines
 * itself uses this stricter one instead:
 *
 *   e = SHA3-512( "weft/privacy/v1/" ‖ label ‖ 0x00 ‖ Σ_i (u32be(len(part_i)) ‖ part_i) ) mod ℓ
 *
 * - a protocol label, so a proof for one statement can never be replayed as a proof for another
 *   (domain separation, cf. RFC 9380 §3.1 on DSTs);
 * - every part is length-prefixed, so two different part lists never hash the same bytes;
 * - the caller's context (chain id, election id, ciphertext id, …) is one of the parts, so a proof
 *   is bound to where it is used ("strong Fiat–Shamir", Bernhard–Pereira–Warinschi, ASIACRYPT 2012:
 *   everything in the statement goes into the hash);
 * - a 512-bit digest reduced mod ℓ is within 2^-259 of uniform (RFC 9496 §4.4 wide reduction).
 */
import { sha3_512 } from '@noble/hashes/sha3.js';
import { assertBytes, utf8ToBytes } from '../bytes.js';
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
