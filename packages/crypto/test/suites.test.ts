import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../src/errors.js';
import { keccak256, sm3 } from '../src/hash.js';
import type { SuiteName } from '../src/suite.js';
import { getSuite, isSuiteName } from '../src/suites.js';

describe('suite registry', () => {
  it('recognises exactly the two suite names', () => {
    expect(isSuiteName('ecdsa')).toBe(true);
    expect(isSuiteName('sm')).toBe(true);
    for (const other of ['ECDSA', 'sm2', '', 'secp256k1', undefined, null, 1, {}]) {
      expect(isSuiteName(other)).toBe(false);
    }
  });

  it('returns one shared instance per name, with the matching name and chain hash', () => {
    expect(getSuite('ecdsa')).toBe(getSuite('ecdsa'));
    expect(getSuite('sm')).toBe(getSuite('sm'));
    expect(getSuite('ecdsa').name).toBe('ecdsa');
    expect(getSuite('sm').name).toBe('sm');
    const data = new Uint8Array([1, 2, 3]);
    expect(getSuite('ecdsa').hash(data)).toEqual(keccak256(data));
    expect(getSuite('sm').hash(data)).toEqual(sm3(data));
  });

  it('refuses unknown names from untyped callers with INVALID_ARGUMENT', () => {
    let caught: unknown;
    try {
      getSuite('rsa' as SuiteName);
    } catch (error) {
      caught = error;
    }
    expect(isWeftError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe.each<SuiteName>(['ecdsa', 'sm'])('%s suite contract', (name) => {
  const suite = getSuite(name);
  const other = getSuite(name === 'ecdsa' ? 'sm' : 'ecdsa');

  it('keeps the documented shapes: 32-byte hash and keys, 64-byte public key, 20-byte address', () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    expect(privateKey.length).toBe(32);
    expect(publicKey.length).toBe(64);
    expect(suite.publicKeyFromPrivate(privateKey)).toEqual(publicKey);
    expect(suite.addressFromPublicKey(publicKey)).toEqual(suite.hash(publicKey).subarray(12));
    const digest = suite.hash(new Uint8Array(0));
    expect(digest.length).toBe(32);
    expect(suite.sign(digest, privateKey).length).toBe(suite.signatureLength);
  });

  it('sign → recoverSigner → address round-trips for arbitrary digests', () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const signature = suite.sign(digest, privateKey);
        expect(suite.recoverSigner(digest, signature)).toEqual(publicKey);
        expect(suite.verify(digest, signature, publicKey)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('never accepts the other suite’s signatures', () => {
    const keys = other.generateKeyPair();
    const digest = other.hash(new Uint8Array([7]));
    const foreign = other.sign(digest, keys.privateKey);
    expect(suite.verify(digest, foreign, keys.publicKey)).toBe(false);
    let caught: unknown;
    try {
      suite.recoverSigner(digest, foreign);
    } catch (error) {
      caught = error;
    }
    expect(isWeftError(caught, 'INVALID_SIGNATURE')).toBe(true);
  });

  it('derives different addresses than the other suite for the same private key', () => {
    // Both curves accept this scalar; different curves and hashes give unrelated addresses.
    const privateKey = new Uint8Array(32).fill(0x11);
    const mine = suite.addressFromPublicKey(suite.publicKeyFromPrivate(privateKey));
    const theirs = other.addressFromPublicKey(other.publicKeyFromPrivate(privateKey));
    expect(mine).not.toEqual(theirs);
  });
});
