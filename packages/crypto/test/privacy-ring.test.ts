import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { isWeftError } from '../src/errors.js';
import {
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  hashToPoint,
  pointFromBytes,
  randomScalar,
  type Scalar,
} from '../src/privacy/group.js';
import {
  computeKeyImage,
  isLinked,
  RING_KEY_BASE,
  ringPublicKey,
  ringSignatureKeyImage,
  ringSignatureLength,
  signRing,
  verifyRing,
} from '../src/privacy/ring.js';

const msg = utf8ToBytes('transfer 5 to Bob');
const ctx = utf8ToBytes('chain-7');

function makeRing(n: number): { secrets: Scalar[]; ring: Uint8Array[] } {
  const secrets = Array.from({ length: n }, () => randomScalar());
  return { secrets, ring: secrets.map(ringPublicKey) };
}

/** A RingCT setting: member commitments, a pseudo-output to the same value, and z for member π. */
function makeCommitments(n: number, pi: number, value = 42n) {
  const blindings = Array.from({ length: n }, () => randomScalar());
  const commit = (v: bigint, g: Scalar): Uint8Array => BASE_G.multiply(v).add(BASE_H.multiply(g)).toBytes();
  const commitments = blindings.map((g, i) => commit(i === pi ? value : value + BigInt(i) + 1n, g));
  const offsetBlinding = randomScalar();
  const commitmentOffset = commit(value, offsetBlinding);
  const z = ((((blindings[pi] as Scalar) - offsetBlinding) % CURVE_ORDER) + CURVE_ORDER) % CURVE_ORDER;
  return { commitments, commitmentOffset, z, commit };
}

describe('CLSAG ring signatures: completeness and linkability', () => {
  it('signs and verifies at every position of rings of size 1, 2, 4 and 11', () => {
    for (const n of [1, 2, 4, 11]) {
      const { secrets, ring } = makeRing(n);
      const positions = n === 11 ? [0, 5, 10] : Array.from({ length: n }, (_, i) => i);
      for (const pi of positions) {
        const sig = signRing(msg, ring, pi, secrets[pi] as Scalar, { context: ctx });
        expect(sig.length).toBe(ringSignatureLength(n, false));
        expect(verifyRing(msg, ring, sig, { context: ctx })).toBe(true);
      }
    }
  });

  it('keys and key images follow the documented rules: P = p·H, I = p·Hp("weft/clsag/v1/Hp" ‖ P)', () => {
    const p = randomScalar();
    const P = ringPublicKey(p);
    expect(P).toEqual(RING_KEY_BASE.multiply(p).toBytes());
    expect(RING_KEY_BASE.equals(BASE_H)).toBe(true);
    const hp = hashToPoint(new Uint8Array([...utf8ToBytes('weft/clsag/v1/Hp'), ...P]));
    expect(computeKeyImage(p)).toEqual(hp.multiply(p).toBytes());
  });

  it('links two signatures by the same key across different rings, messages and modes', () => {
    const a = makeRing(5);
    const b = makeRing(5);
    const secret = a.secrets[2] as Scalar;
    const ring2 = [...b.ring];
    ring2[3] = a.ring[2] as Uint8Array;
    const sig1 = signRing(msg, a.ring, 2, secret);
    const sig2 = signRing(utf8ToBytes('another message'), ring2, 3, secret, { context: ctx });
    const { commitments, commitmentOffset, z } = makeCommitments(5, 2);
    const sig3 = signRing(msg, a.ring, 2, secret, { commitments, commitmentOffset, commitmentSecret: z });
    expect(verifyRing(utf8ToBytes('another message'), ring2, sig2, { context: ctx })).toBe(true);
    expect(isLinked(sig1, sig2)).toBe(true);
    expect(isLinked(sig1, sig3)).toBe(true);
    expect(ringSignatureKeyImage(sig1)).toEqual(computeKeyImage(secret));
    const other = signRing(msg, a.ring, 1, a.secrets[1] as Scalar);
    expect(isLinked(sig1, other)).toBe(false);
  });

  it('signatures do not reveal the signer: the same key signs at different positions of one ring', () => {
    // Not a proof of anonymity, but the observable output depends on π only through random values:
    // two signatures by the same member differ everywhere except the key image.
    const { secrets, ring } = makeRing(4);
    const s1 = signRing(msg, ring, 1, secrets[1] as Scalar);
    const s2 = signRing(msg, ring, 1, secrets[1] as Scalar);
    expect(s1.subarray(0, 32)).toEqual(s2.subarray(0, 32));
    for (let i = 1; i < 6; i++)
      expect(s1.subarray(32 * i, 32 * i + 32)).not.toEqual(s2.subarray(32 * i, 32 * i + 32));
  });

  it('random rings and positions verify and link to the signer (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        (n, k, message) => {
          const { secrets, ring } = makeRing(n);
          const pi = k % n;
          const sig = signRing(message, ring, pi, secrets[pi] as Scalar);
          expect(verifyRing(message, ring, sig)).toBe(true);
          expect(ringSignatureKeyImage(sig)).toEqual(computeKeyImage(secrets[pi] as Scalar));
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('CLSAG ring signatures: soundness', () => {
  const { secrets, ring } = makeRing(3);
  const sig = signRing(msg, ring, 1, secrets[1] as Scalar, { context: ctx });

  it('every changed byte of the signature makes it fail', () => {
    for (let i = 0; i < sig.length; i++) {
      const bad = sig.slice();
      bad[i] = (bad[i] as number) ^ (1 << (i % 8));
      expect(verifyRing(msg, ring, bad, { context: ctx }), `byte ${i}`).toBe(false);
    }
  });

  it('a changed message, context, member, ring order or ring size fails', () => {
    expect(verifyRing(utf8ToBytes('transfer 6 to Bob'), ring, sig, { context: ctx })).toBe(false);
    expect(verifyRing(msg, ring, sig, { context: utf8ToBytes('chain-8') })).toBe(false);
    expect(verifyRing(msg, ring, sig)).toBe(false);
    const replaced = [...ring];
    replaced[0] = ringPublicKey(randomScalar());
    expect(verifyRing(msg, replaced, sig, { context: ctx })).toBe(false);
    expect(verifyRing(msg, [ring[1], ring[2], ring[0]] as Uint8Array[], sig, { context: ctx })).toBe(false);
    expect(verifyRing(msg, ring.slice(0, 2), sig, { context: ctx })).toBe(false);
    expect(verifyRing(msg, [...ring, ringPublicKey(randomScalar())], sig, { context: ctx })).toBe(false);
  });

  it('rejects a substituted or identity key image, non-canonical scalars, duplicate members', () => {
    const other = sig.slice();
    other.set(computeKeyImage(secrets[0] as Scalar), 0);
    expect(verifyRing(msg, ring, other, { context: ctx })).toBe(false);
    const identity = sig.slice();
    identity.fill(0, 0, 32);
    expect(verifyRing(msg, ring, identity, { context: ctx })).toBe(false);
    // s₀ + ℓ encodes the same residue; strict decoding must refuse it (no malleability).
    const s0 = sig.subarray(64, 96);
    let v = 0n;
    for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(s0[i] as number);
    if (v + CURVE_ORDER < 2n ** 256n) {
      const mall = sig.slice();
      for (let i = 0; i < 32; i++) mall[64 + i] = Number(((v + CURVE_ORDER) >> BigInt(8 * i)) & 0xffn);
      expect(verifyRing(msg, ring, mall, { context: ctx })).toBe(false);
    }
    expect(verifyRing(msg, [ring[0], ring[0], ring[2]] as Uint8Array[], sig, { context: ctx })).toBe(false);
    expect(() => signRing(msg, [ring[1], ring[1]] as Uint8Array[], 0, secrets[1] as Scalar)).toThrow(
      /duplicate/,
    );
  });

  it('refuses to sign with a key that is not the member at the index', () => {
    try {
      signRing(msg, ring, 0, secrets[1] as Scalar);
      expect.unreachable();
    } catch (e) {
      expect(isWeftError(e, 'INVALID_KEY')).toBe(true);
    }
    expect(() => signRing(msg, ring, 3, secrets[1] as Scalar)).toThrow(/outside the ring/);
    expect(() => signRing(msg, ring, 1, 0n)).toThrow(/zero/);
    expect(() => signRing(msg, [new Uint8Array(32)], 0, 1n)).toThrow(/identity/);
  });

  it('a verifier-side forgery attempt without the key fails (random responses)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: sig.length, maxLength: sig.length }), (junk) => {
        const forged = junk.slice();
        forged.set(sig.subarray(0, 32), 0); // a valid key image, everything else random
        expect(verifyRing(msg, ring, forged, { context: ctx })).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

describe('CLSAG with commitments (RingCT)', () => {
  const n = 4;
  const pi = 2;
  const { secrets, ring } = makeRing(n);
  const { commitments, commitmentOffset, z, commit } = makeCommitments(n, pi);
  const opts = { commitments, commitmentOffset };
  const sig = signRing(msg, ring, pi, secrets[pi] as Scalar, { ...opts, commitmentSecret: z, context: ctx });

  it('verifies, is one point longer than plain CLSAG, and needs the commitments to verify', () => {
    expect(sig.length).toBe(ringSignatureLength(n, true));
    expect(verifyRing(msg, ring, sig, { ...opts, context: ctx })).toBe(true);
    expect(verifyRing(msg, ring, sig, { context: ctx })).toBe(false);
  });

  it('fails with a changed commitment, offset, or any changed byte', () => {
    const changed = [...commitments];
    changed[0] = commit(1n, randomScalar());
    expect(verifyRing(msg, ring, sig, { commitments: changed, commitmentOffset, context: ctx })).toBe(false);
    const swapped = [commitments[1], commitments[0], commitments[2], commitments[3]] as Uint8Array[];
    expect(verifyRing(msg, ring, sig, { commitments: swapped, commitmentOffset, context: ctx })).toBe(false);
    const otherOffset = pointFromBytes(commitmentOffset).add(BASE_G).toBytes(); // value + 1
    expect(verifyRing(msg, ring, sig, { commitments, commitmentOffset: otherOffset, context: ctx })).toBe(
      false,
    );
    for (let i = 0; i < sig.length; i += 7) {
      const bad = sig.slice();
      bad[i] = (bad[i] as number) ^ 0x10;
      expect(verifyRing(msg, ring, bad, { ...opts, context: ctx })).toBe(false);
    }
  });

  it('refuses to sign when the pseudo-output hides a different amount or z is wrong', () => {
    const inflated = makeCommitments(n, pi, 42n);
    // Offset commits to 43 while the real input holds 42: C_π − offset has a G component.
    const badOffset = pointFromBytes(inflated.commitmentOffset).add(BASE_G).toBytes();
    expect(() =>
      signRing(msg, ring, pi, secrets[pi] as Scalar, {
        commitments: inflated.commitments,
        commitmentOffset: badOffset,
        commitmentSecret: inflated.z,
      }),
    ).toThrow(/does not open/);
    expect(() =>
      signRing(msg, ring, pi, secrets[pi] as Scalar, { ...opts, commitmentSecret: (z + 1n) % CURVE_ORDER }),
    ).toThrow(/does not open/);
    expect(() => signRing(msg, ring, pi, secrets[pi] as Scalar, { ...opts, commitmentSecret: 0n })).toThrow(
      /zero/,
    );
  });
});
