import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../src/errors.js';
import { createDlogTable, solveDlog } from '../src/privacy/dlog.js';
import {
  addCiphertexts,
  addPlaintext,
  type Ciphertext,
  ciphertextFromBytes,
  ciphertextToBytes,
  decrypt,
  decryptToPoint,
  encrypt,
  encryptionProofFromBytes,
  encryptionProofToBytes,
  generateElGamalKeyPair,
  proveBinary,
  proveDecryption,
  proveEncryption,
  proveRange,
  rangeProofFromBytes,
  rangeProofLength,
  rangeProofToBytes,
  scaleCiphertext,
  subtractCiphertexts,
  sumCiphertexts,
  verifyBinary,
  verifyDecryption,
  verifyEncryption,
  verifyRange,
} from '../src/privacy/elgamal.js';
import { BASE_G, IDENTITY, mulPublic } from '../src/privacy/group.js';

const table = createDlogTable({ bound: 1n << 20n });
const kp = generateElGamalKeyPair();
const other = generateElGamalKeyPair();
const ctx = new TextEncoder().encode('election-42/question-1');
// a·k and a + b stay below the table bound 2^20 for a, b < 2^18 and k ≤ 3.
const small = fc.bigInt({ min: 0n, max: (1n << 18n) - 1n });

function rejects(f: () => boolean): boolean {
  try {
    return !f();
  } catch {
    return true;
  }
}

describe('exponential ElGamal', () => {
  it('decrypts what it encrypts and is additively homomorphic', () => {
    fc.assert(
      fc.property(small, small, fc.bigInt({ min: 0n, max: 3n }), (a, b, k) => {
        const ea = encrypt(kp.publicKey, a).ciphertext;
        const eb = encrypt(kp.publicKey, b).ciphertext;
        expect(decrypt(kp.secretKey, ea, table)).toBe(a);
        expect(decrypt(kp.secretKey, addCiphertexts(ea, eb), table)).toBe(a + b);
        expect(decrypt(kp.secretKey, scaleCiphertext(ea, k), table)).toBe(a * k);
        expect(decrypt(kp.secretKey, addPlaintext(ea, 5n), table)).toBe(a + 5n);
        if (a >= b) expect(decrypt(kp.secretKey, subtractCiphertexts(ea, eb), table)).toBe(a - b);
      }),
      { numRuns: 10 },
    );
    const votes = [1n, 0n, 1n, 1n, 0n].map((v) => encrypt(kp.publicKey, v).ciphertext);
    expect(decrypt(kp.secretKey, sumCiphertexts(votes), table)).toBe(3n);
  });

  it('does not decrypt under the wrong key or beyond the table bound', () => {
    const ct = encrypt(kp.publicKey, 12n).ciphertext;
    expect(decryptToPoint(other.secretKey, ct).equals(mulPublic(BASE_G, 12n))).toBe(false);
    let error: unknown;
    try {
      decrypt(kp.secretKey, encrypt(kp.publicKey, 1n << 20n).ciphertext, table);
    } catch (e: unknown) {
      error = e;
    }
    expect(isWeftError(error, 'NOT_FOUND')).toBe(true);
  });

  it('refuses the identity as a public key', () => {
    expect(() => encrypt(IDENTITY, 1n)).toThrow();
  });

  it('round-trips ciphertext bytes and rejects non-canonical ones', () => {
    const ct = encrypt(kp.publicKey, 99n).ciphertext;
    const bytes = ciphertextToBytes(ct);
    expect(bytes.length).toBe(64);
    const back = ciphertextFromBytes(bytes);
    expect(back.c1.equals(ct.c1) && back.c2.equals(ct.c2)).toBe(true);
    const bad = bytes.slice();
    bad[31] = 0xff;
    expect(() => ciphertextFromBytes(bad)).toThrow();
    expect(() => ciphertextFromBytes(bytes.subarray(1))).toThrow();
  });
});

describe('proof of correct encryption', () => {
  const { ciphertext, randomness } = encrypt(kp.publicKey, 77n);
  const proof = proveEncryption(kp.publicKey, ciphertext, 77n, randomness, ctx);
  const bytes = encryptionProofToBytes(proof);

  it('verifies, and fails for another ciphertext, key or context', () => {
    expect(verifyEncryption(kp.publicKey, ciphertext, proof, ctx)).toBe(true);
    const another = encrypt(kp.publicKey, 77n).ciphertext;
    expect(verifyEncryption(kp.publicKey, another, proof, ctx)).toBe(false);
    expect(verifyEncryption(other.publicKey, ciphertext, proof, ctx)).toBe(false);
    expect(verifyEncryption(kp.publicKey, ciphertext, proof, new Uint8Array([1]))).toBe(false);
    const mauled: Ciphertext = { c1: ciphertext.c1.add(BASE_G), c2: ciphertext.c2 };
    expect(verifyEncryption(kp.publicKey, mauled, proof, ctx)).toBe(false);
  });

  it('fails when any byte of the proof changes', () => {
    expect(bytes.length).toBe(128);
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] = (bad[i] as number) ^ 0x10;
      expect(
        rejects(() => verifyEncryption(kp.publicKey, ciphertext, encryptionProofFromBytes(bad), ctx)),
        `byte ${i}`,
      ).toBe(true);
    }
  });
});

describe('0/1 and bounded range proofs (CDS94)', () => {
  it('proves 0 and 1 and refuses 2', () => {
    for (const bit of [0n, 1n]) {
      const { ciphertext, randomness } = encrypt(kp.publicKey, bit);
      const proof = proveBinary(kp.publicKey, ciphertext, bit, randomness, ctx);
      expect(verifyBinary(kp.publicKey, ciphertext, proof, ctx)).toBe(true);
      expect(verifyBinary(kp.publicKey, ciphertext, proof, new Uint8Array())).toBe(false);
      expect(verifyBinary(other.publicKey, ciphertext, proof, ctx)).toBe(false);
      // Shifting the plaintext by one moves it out of {0, 1} for one of the bits; either way the
      // proof is for a different ciphertext and must fail.
      expect(verifyBinary(kp.publicKey, addPlaintext(ciphertext, 1n), proof, ctx)).toBe(false);
    }
    const two = encrypt(kp.publicKey, 2n);
    expect(() => proveBinary(kp.publicKey, two.ciphertext, 2n, two.randomness, ctx)).toThrow();
  });

  it('a proof for the wrong plaintext claim does not verify', () => {
    // The prover lies about the plaintext: encrypts 2 but proves as if it were 1.
    const two = encrypt(kp.publicKey, 2n);
    const lie = proveBinary(kp.publicKey, two.ciphertext, 1n, two.randomness, ctx);
    expect(verifyBinary(kp.publicKey, two.ciphertext, lie, ctx)).toBe(false);
  });

  it('proves m ∈ [0, k] for every m ≤ k and only for the declared k', () => {
    const k = 3;
    for (let m = 0; m <= k; m++) {
      const { ciphertext, randomness } = encrypt(kp.publicKey, BigInt(m));
      const proof = proveRange(kp.publicKey, ciphertext, BigInt(m), randomness, k, ctx);
      expect(verifyRange(kp.publicKey, ciphertext, proof, k, ctx)).toBe(true);
      expect(verifyRange(kp.publicKey, ciphertext, proof, k - 1, ctx)).toBe(false);
      const bytes = rangeProofToBytes(proof);
      expect(bytes.length).toBe(rangeProofLength(k));
      const back = rangeProofFromBytes(bytes, k, kp.publicKey, ciphertext, ctx);
      expect(verifyRange(kp.publicKey, ciphertext, back, k, ctx)).toBe(true);
    }
  });

  it('fails when any byte of a 0/1 proof changes', () => {
    const { ciphertext, randomness } = encrypt(kp.publicKey, 1n);
    const bytes = rangeProofToBytes(proveBinary(kp.publicKey, ciphertext, 1n, randomness, ctx));
    expect(bytes.length).toBe(224);
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] = (bad[i] as number) ^ 0x04;
      expect(
        rejects(() =>
          verifyBinary(
            kp.publicKey,
            ciphertext,
            rangeProofFromBytes(bad, 1, kp.publicKey, ciphertext, ctx),
            ctx,
          ),
        ),
        `byte ${i}`,
      ).toBe(true);
    }
  });

  it('rejects structurally wrong proofs without throwing', () => {
    const { ciphertext, randomness } = encrypt(kp.publicKey, 1n);
    const proof = proveBinary(kp.publicKey, ciphertext, 1n, randomness, ctx);
    expect(verifyBinary(kp.publicKey, ciphertext, { ...proof, z: proof.z.slice(1) }, ctx)).toBe(false);
    expect(
      verifyBinary(kp.publicKey, ciphertext, { ...proof, e: [proof.e[1] ?? 0n, proof.e[0] ?? 0n] }, ctx),
    ).toBe(false);
    expect(verifyBinary(kp.publicKey, ciphertext, { ...proof, max: 2 }, ctx)).toBe(false);
  });
});

describe('verifiable decryption', () => {
  it('proves m·G = c1 − x·c2 and rejects a false plaintext', () => {
    const ct = encrypt(kp.publicKey, 31n).ciphertext;
    const { plaintextPoint, proof } = proveDecryption(kp.secretKey, ct, ctx);
    expect(solveDlog(table, plaintextPoint)).toBe(31n);
    expect(verifyDecryption(kp.publicKey, ct, plaintextPoint, proof, ctx)).toBe(true);
    expect(verifyDecryption(kp.publicKey, ct, plaintextPoint.add(BASE_G), proof, ctx)).toBe(false);
    expect(verifyDecryption(other.publicKey, ct, plaintextPoint, proof, ctx)).toBe(false);
    expect(verifyDecryption(kp.publicKey, ct, plaintextPoint, proof, new Uint8Array([9]))).toBe(false);
    // A decryptor with the wrong key produces a proof that does not verify against the real key.
    const fake = proveDecryption(other.secretKey, ct, ctx);
    expect(verifyDecryption(kp.publicKey, ct, fake.plaintextPoint, fake.proof, ctx)).toBe(false);
  });
});
