import fc from 'fast-check';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import {
  bigintToBytes,
  bytesToBigint,
  bytesToHex,
  concatBytes,
  hexToBytes,
  utf8ToBytes,
} from '../src/bytes.js';
import { isWeftError, type WeftErrorCode } from '../src/errors.js';
import { sm3 } from '../src/hash.js';
import {
  createSmSuite,
  SM2_DEFAULT_USER_ID,
  sm2ComputeZ,
  sm2PublicKeyFromPrivate,
  sm2Sign,
  sm2Verify,
} from '../src/sm2.js';

function expectWeftError(run: () => unknown, code: WeftErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isWeftError(caught, code), `expected WeftError ${code}, got ${String(caught)}`).toBe(true);
}

/** Recommended-curve order and prime, GB/T 32918.5-2017. */
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const scalar = (value: bigint): Uint8Array => bigintToBytes(value, 32);
const hex = (bytes: Uint8Array): string => bytesToHex(bytes).slice(2);

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const index = bit >> 3;
  out[index] = (out[index] as number) ^ (1 << (bit & 7));
  return out;
}

/** sm-crypto-v2 (an independent SM2 implementation) verifying r ‖ s over `message`. */
function smCryptoVerifies(
  message: Uint8Array,
  rs: Uint8Array,
  publicKey: Uint8Array,
  userId?: string,
): boolean {
  return smCrypto.doVerifySignature(message, hex(rs), `04${hex(publicKey)}`, {
    hash: true,
    ...(userId === undefined ? {} : { userId }),
  });
}

/** sm-crypto-v2 signing `message`; returns r ‖ s. */
function smCryptoSigns(message: Uint8Array, privateKey: Uint8Array, publicKey: Uint8Array, userId?: string) {
  const signatureHex = smCrypto.doSignature(message, hex(privateKey), {
    hash: true,
    publicKey: `04${hex(publicKey)}`,
    ...(userId === undefined ? {} : { userId }),
  });
  return hexToBytes(signatureHex.padStart(128, '0'));
}

/** Private keys d ∈ [1, n-2] (GB/T 32918.1 §6.1). */
const privateKeyArb = fc.bigInt({ min: 1n, max: N - 2n }).map(scalar);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/**
 * The digital-signature example on the recommended curve from GM/T 0003.5-2012 Appendix A.2,
 * republished as GB/T 32918.5-2017 Appendix A (same numbers; also used by OpenSSL's
 * test/sm2_internal_test.c and GmSSL): ID_A = "1234567812345678", M = "message digest".
 */
const STANDARD_EXAMPLE = {
  privateKey: '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8',
  publicKey:
    '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' +
    'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  message: 'message digest',
  za: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  e: 'f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640',
  r: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3',
  s: 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
};

describe('SM2, GB/T 32918.5-2017 Appendix A example (recommended curve)', () => {
  const publicKey = hexToBytes(STANDARD_EXAMPLE.publicKey);
  const message = utf8ToBytes(STANDARD_EXAMPLE.message);
  const signature = hexToBytes(STANDARD_EXAMPLE.r + STANDARD_EXAMPLE.s);

  it('derives the published public key from the published private key', () => {
    expect(hex(sm2PublicKeyFromPrivate(hexToBytes(STANDARD_EXAMPLE.privateKey)))).toBe(
      STANDARD_EXAMPLE.publicKey,
    );
  });

  it('computes the published Z_A and e = SM3(Z_A ‖ M) with the default user id', () => {
    const za = sm2ComputeZ(publicKey);
    expect(hex(za)).toBe(STANDARD_EXAMPLE.za);
    expect(sm2ComputeZ(publicKey, utf8ToBytes(SM2_DEFAULT_USER_ID))).toEqual(za);
    expect(hex(sm3(concatBytes(za, message)))).toBe(STANDARD_EXAMPLE.e);
  });

  it('verifies the published (r, s), as does sm-crypto-v2', () => {
    expect(sm2Verify(message, signature, publicKey)).toBe(true);
    expect(smCryptoVerifies(message, signature, publicKey)).toBe(true);
  });

  it('rejects the published signature for another message, user id, r, s or key', () => {
    expect(sm2Verify(utf8ToBytes('message digesT'), signature, publicKey)).toBe(false);
    expect(sm2Verify(message, signature, publicKey, utf8ToBytes('ALICE123@YAHOO.COM'))).toBe(false);
    expect(sm2Verify(message, flipBit(signature, 0), publicKey)).toBe(false);
    expect(sm2Verify(message, flipBit(signature, 300), publicKey)).toBe(false);
    expect(sm2Verify(message, signature, sm2PublicKeyFromPrivate(scalar(2n)))).toBe(false);
  });

  it('signs the example message so that both implementations verify it', () => {
    const own = sm2Sign(message, hexToBytes(STANDARD_EXAMPLE.privateKey));
    expect(sm2Verify(message, own, publicKey)).toBe(true);
    expect(smCryptoVerifies(message, own, publicKey)).toBe(true);
  });
});

describe('sm suite', () => {
  const suite = createSmSuite();

  it('describes itself', () => {
    expect(suite.name).toBe('sm');
    expect(suite.signatureLength).toBe(128);
    expect(suite.hash(utf8ToBytes('abc'))).toEqual(sm3(utf8ToBytes('abc')));
  });

  it('sign → recoverSigner returns the key; sm-crypto-v2 verifies what we sign and we verify what it signs', () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const publicKey = suite.publicKeyFromPrivate(privateKey);
        const signature = suite.sign(digest, privateKey);
        expect(signature.length).toBe(128);
        expect(signature.subarray(64)).toEqual(publicKey);
        expect(suite.recoverSigner(digest, signature)).toEqual(publicKey);
        expect(suite.verify(digest, signature, publicKey)).toBe(true);
        // The suite's message M is the 32-byte digest, so sm-crypto-v2 must agree with hash: true.
        expect(smCryptoVerifies(digest, signature.subarray(0, 64), publicKey)).toBe(true);
        const theirs = smCryptoSigns(digest, privateKey, publicKey);
        expect(suite.recoverSigner(digest, concatBytes(theirs, publicKey))).toEqual(publicKey);
        expect(sm2Verify(digest, theirs, publicKey)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('derives public keys exactly as sm-crypto-v2 does', () => {
    fc.assert(
      fc.property(privateKeyArb, (privateKey) => {
        expect(`04${hex(suite.publicKeyFromPrivate(privateKey))}`).toBe(
          smCrypto.getPublicKeyFromPrivateKey(hex(privateKey)),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('never attributes a signature with a flipped bit (digest, r ‖ s, embedded key or expected key)', () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    fc.assert(
      fc.property(
        digestArb,
        fc.nat({ max: 128 * 8 - 1 }),
        fc.nat({ max: 64 * 8 - 1 }),
        (digest, sigBit, keyBit) => {
          const signature = suite.sign(digest, privateKey);
          const tampered: [Uint8Array, Uint8Array][] = [
            [flipBit(digest, sigBit % 256), signature],
            [digest, flipBit(signature, sigBit)],
          ];
          for (const [d, s] of tampered) {
            expect(suite.verify(d, s, publicKey)).toBe(false);
            expectWeftError(() => suite.recoverSigner(d, s), 'INVALID_SIGNATURE');
          }
          expect(suite.verify(digest, signature, flipBit(publicKey, keyBit))).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('embeds the right public key when a caller reuses one key array for different keys', () => {
    const key = scalar(5n);
    const digest = new Uint8Array(32).fill(1);
    expect(suite.sign(digest, key).subarray(64)).toEqual(sm2PublicKeyFromPrivate(scalar(5n)));
    key.set(scalar(6n));
    const signature = suite.sign(digest, key);
    expect(signature.subarray(64)).toEqual(sm2PublicKeyFromPrivate(scalar(6n)));
    expect(suite.recoverSigner(digest, signature)).toEqual(sm2PublicKeyFromPrivate(scalar(6n)));
  });

  it('uses a fresh nonce per signature (hedged), and both verify', () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    const digest = new Uint8Array(32).fill(9);
    const a = suite.sign(digest, privateKey);
    const b = suite.sign(digest, privateKey);
    expect(a).not.toEqual(b);
    expect(suite.verify(digest, a, publicKey)).toBe(true);
    expect(suite.verify(digest, b, publicKey)).toBe(true);
  });

  describe('malformed signatures', () => {
    const privateKey = scalar(0xabcdef0123456789n);
    const publicKey = sm2PublicKeyFromPrivate(privateKey);
    const digest = sm3(utf8ToBytes('malformed'));
    const signature = suite.sign(digest, privateKey);
    const r = bytesToBigint(signature.subarray(0, 32));
    const s = bytesToBigint(signature.subarray(32, 64));
    const make = (rr: bigint, ss: bigint, key: Uint8Array = publicKey): Uint8Array =>
      concatBytes(scalar(rr), scalar(ss), key);

    function expectRejected(bad: Uint8Array, expectedKey: Uint8Array = publicKey): void {
      expectWeftError(() => suite.recoverSigner(digest, bad), 'INVALID_SIGNATURE');
      expect(suite.verify(digest, bad, expectedKey)).toBe(false);
    }

    it('rejects r or s outside [1, n-1] and r + s ≡ 0 (mod n) (GB/T 32918.2 §7.1 B1, B2, B5)', () => {
      expectRejected(make(0n, s));
      expectRejected(make(r, 0n));
      expectRejected(make(N, s));
      expectRejected(make(r, N));
      expectRejected(make(r + N < 2n ** 256n ? r + N : N + 1n, s));
      expectRejected(make(r, N - r));
      expectRejected(concatBytes(new Uint8Array(64).fill(0xff), publicKey));
      // r ‖ s from sm2Verify's point of view as well.
      expect(sm2Verify(digest, concatBytes(scalar(r), scalar(N - r)), publicKey)).toBe(false);
    });

    it('rejects embedded keys that are not curve points (GB/T 32918.1 §6.2.1)', () => {
      const offCurve = flipBit(publicKey, 3);
      const xTooLarge = concatBytes(scalar(P), publicKey.subarray(32));
      for (const badKey of [offCurve, new Uint8Array(64), xTooLarge]) {
        expectRejected(make(r, s, badKey), badKey);
        expect(sm2Verify(digest, signature.subarray(0, 64), badKey)).toBe(false);
        expectWeftError(() => suite.addressFromPublicKey(badKey), 'INVALID_KEY');
      }
    });

    it('rejects a valid signature by another key when a specific key is expected', () => {
      const other = suite.generateKeyPair();
      const theirs = suite.sign(digest, other.privateKey);
      expect(suite.recoverSigner(digest, theirs)).toEqual(other.publicKey);
      expect(suite.verify(digest, theirs, publicKey)).toBe(false);
    });

    it('rejects wrong lengths: signature → INVALID_SIGNATURE, digest → INVALID_LENGTH; verify → false', () => {
      for (const length of [0, 64, 65, 127, 129]) expectRejected(new Uint8Array(length));
      expectWeftError(() => suite.recoverSigner(digest.subarray(1), signature), 'INVALID_LENGTH');
      expect(suite.verify(digest.subarray(1), signature, publicKey)).toBe(false);
      expect(suite.verify(digest, signature, publicKey.subarray(1))).toBe(false);
      expect(sm2Verify(digest, signature, publicKey)).toBe(false); // 128 bytes is not r ‖ s
      const junk = 'junk' as unknown as Uint8Array;
      expect(suite.verify(junk, signature, publicKey)).toBe(false);
      expect(suite.verify(digest, junk, publicKey)).toBe(false);
      expect(sm2Verify(junk, signature.subarray(0, 64), publicKey)).toBe(false);
    });
  });

  describe('keys', () => {
    it('accepts private keys in [1, n-2] and rejects 0, n-1 (1 + d ≡ 0) and n with INVALID_KEY', () => {
      expect(suite.publicKeyFromPrivate(scalar(N - 2n)).length).toBe(64);
      for (const bad of [0n, N - 1n, N, 2n ** 256n - 1n]) {
        expectWeftError(() => suite.publicKeyFromPrivate(scalar(bad)), 'INVALID_KEY');
        expectWeftError(() => suite.sign(new Uint8Array(32), scalar(bad)), 'INVALID_KEY');
        expectWeftError(() => sm2Sign(new Uint8Array(3), scalar(bad)), 'INVALID_KEY');
      }
      expectWeftError(() => suite.publicKeyFromPrivate(new Uint8Array(33)), 'INVALID_LENGTH');
    });

    it('keeps private keys out of error messages', () => {
      const key = scalar(N - 1n);
      try {
        suite.sign(new Uint8Array(32), key);
      } catch (error) {
        expect(String(error)).not.toMatch(/fffffffe/i);
        expect(JSON.stringify(error)).not.toMatch(/fffffffe/i);
      }
      expect.assertions(2);
    });

    it('generates valid key pairs and derives address = last 20 bytes of SM3(x ‖ y)', () => {
      const { privateKey, publicKey } = suite.generateKeyPair();
      expect(suite.publicKeyFromPrivate(privateKey)).toEqual(publicKey);
      expect(suite.addressFromPublicKey(publicKey)).toEqual(sm3(publicKey).subarray(12));
      expect(suite.addressFromPublicKey(publicKey).length).toBe(20);
    });
  });

  describe('public-key cache', () => {
    it('gives the same answers with and without cached tables, across evictions', () => {
      const cached = createSmSuite({ publicKeyCacheSize: 2 });
      const uncached = createSmSuite({ publicKeyCacheSize: 0 });
      const keys = [suite.generateKeyPair(), suite.generateKeyPair(), suite.generateKeyPair()];
      // Key 0 is used often enough to get a precomputed table; keys 1 and 2 rotate through the
      // two remaining slots and evict each other (and key 0 once).
      const order = [0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 2, 0, 0, 1];
      order.forEach((which, i) => {
        const { privateKey, publicKey } = keys[which] as (typeof keys)[number];
        const digest = sm3(Uint8Array.of(i));
        const signature = cached.sign(digest, privateKey);
        const forged = flipBit(signature, i * 7);
        for (const s of [signature, forged]) {
          expect(cached.verify(digest, s, publicKey)).toBe(uncached.verify(digest, s, publicKey));
        }
        expect(cached.verify(digest, signature, publicKey)).toBe(true);
        expect(cached.recoverSigner(digest, signature)).toEqual(publicKey);
        expect(cached.verify(digest, forged, publicKey)).toBe(false);
      });
    });

    it('validates its option', () => {
      expectWeftError(() => createSmSuite({ publicKeyCacheSize: -1 }), 'INVALID_ARGUMENT');
      expectWeftError(() => createSmSuite({ publicKeyCacheSize: 1.5 }), 'INVALID_ARGUMENT');
    });
  });
});

describe('SM2 with other user ids', () => {
  const privateKey = scalar(0x1111222233334444555566667777n);
  const publicKey = sm2PublicKeyFromPrivate(privateKey);
  const message = utf8ToBytes('user id binds the signer');

  it('binds the user id: a signature for one id fails for another, matching sm-crypto-v2', () => {
    const alice = utf8ToBytes('ALICE123@YAHOO.COM');
    const signature = sm2Sign(message, privateKey, { userId: alice });
    expect(sm2Verify(message, signature, publicKey, alice)).toBe(true);
    expect(sm2Verify(message, signature, publicKey)).toBe(false);
    expect(smCryptoVerifies(message, signature, publicKey, 'ALICE123@YAHOO.COM')).toBe(true);
    expect(smCryptoVerifies(message, signature, publicKey)).toBe(false);
  });

  it('accepts the caller-supplied public key in sm2Sign', () => {
    const signature = sm2Sign(message, privateKey, { publicKey });
    expect(sm2Verify(message, signature, publicKey)).toBe(true);
  });

  it('limits the user id to 8191 bytes (ENTL is a 16-bit bit count, GB/T 32918.2 §5.5)', () => {
    expect(sm2ComputeZ(publicKey, new Uint8Array(8191)).length).toBe(32);
    expectWeftError(() => sm2ComputeZ(publicKey, new Uint8Array(8192)), 'INVALID_LENGTH');
    expect(sm2Verify(message, sm2Sign(message, privateKey), publicKey, new Uint8Array(8192))).toBe(false);
  });
});
