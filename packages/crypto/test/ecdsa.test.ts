import { secp256k1 as noble } from '@noble/curves/secp256k1.js';
import { getAddress } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, bytesToHex, concatBytes, hexToBytes } from '../src/bytes.js';
import {
  addressToChecksumHex,
  createEcdsaSuite,
  type EcdsaBackendName,
  ecdsaRecoverPublicKey,
  getDefaultEcdsaBackendName,
  hexToAddress,
  isChecksumAddress,
} from '../src/ecdsa.js';
import { isWeftError, type WeftErrorCode } from '../src/errors.js';
import { keccak256 } from '../src/hash.js';

function expectWeftError(run: () => unknown, code: WeftErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isWeftError(caught, code), `expected WeftError ${code}, got ${String(caught)}`).toBe(true);
}

const N = noble.Point.CURVE().n;
const HALF_N = N >> 1n;
const scalar = (value: bigint): Uint8Array => bigintToBytes(value, 32);

/** A 32-byte string that is a valid secp256k1 private key (d ∈ [1, n-1]). */
const privateKeyArb = fc.bigInt({ min: 1n, max: N - 1n }).map(scalar);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Uncompressed SEC 1 encoding of a 64-byte key, as noble expects it. */
const sec1 = (publicKey: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(4), publicKey);

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const index = bit >> 3;
  out[index] = (out[index] as number) ^ (1 << (bit & 7));
  return out;
}

// EIP-155 "Example" (https://eips.ethereum.org/EIPS/eip-155): nonce 9, gasPrice 20 gwei, gas 21000,
// to 0x3535…35, value 1 ether, chainId 1, signed with private key 0x4646…46 → v = 37 (recovery
// id 0), r and s below. The signer's address is quoted by many clients' tests (e.g. reth's
// `test_recover_signer`).
const EIP155 = {
  signingData: hexToBytes(
    '0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080',
  ),
  signingHash: '0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53',
  privateKey: hexToBytes(`0x${'46'.repeat(32)}`),
  r: '0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276',
  s: '0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
  v: 37,
  sender: '0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F',
};

describe('Ethereum vectors (default backend)', () => {
  const suite = createEcdsaSuite();

  it('uses the native libsecp256k1 binding on this machine', () => {
    // A silent fallback would cost ~25× in verification throughput; make it visible.
    expect(getDefaultEcdsaBackendName()).toBe('native');
  });

  it('hashes the EIP-155 signing data to the published signing hash', () => {
    expect(bytesToHex(suite.hash(EIP155.signingData))).toBe(EIP155.signingHash);
  });

  it('signs the EIP-155 example to exactly the published r, s and v (RFC 6979 nonces)', () => {
    const signature = suite.sign(hexToBytes(EIP155.signingHash), EIP155.privateKey);
    expect(bytesToHex(signature.subarray(0, 32))).toBe(EIP155.r);
    expect(bytesToHex(signature.subarray(32, 64))).toBe(EIP155.s);
    // EIP-155: v = recoveryId + 35 + 2·chainId with chainId 1.
    expect((signature[64] as number) + 35 + 2 * 1).toBe(EIP155.v);
  });

  it('recovers the EIP-155 sender from (r, s, v)', () => {
    const publicKey = ecdsaRecoverPublicKey(
      hexToBytes(EIP155.signingHash),
      hexToBytes(EIP155.r),
      hexToBytes(EIP155.s),
      EIP155.v - 35 - 2,
    );
    expect(addressToChecksumHex(suite.addressFromPublicKey(publicKey))).toBe(EIP155.sender);
    expect(publicKey).toEqual(suite.publicKeyFromPrivate(EIP155.privateKey));
  });

  it.each([
    // Hardhat Network's default account #0 (Hardhat docs, "Hardhat Network" accounts list).
    [
      '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    ],
    // web3.js docs, web3.eth.accounts.privateKeyToAccount example.
    [
      '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318',
      '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23',
    ],
  ])('derives the published address of private key %s', (privateKey, address) => {
    const publicKey = suite.publicKeyFromPrivate(hexToBytes(privateKey));
    expect(addressToChecksumHex(suite.addressFromPublicKey(publicKey))).toBe(address);
  });

  it('derives G from private key 1 and accepts n-1, the largest key', () => {
    const g = noble.Point.BASE.toBytes(false).subarray(1);
    expect(suite.publicKeyFromPrivate(scalar(1n))).toEqual(g);
    // (n-1)·G = -G: same x, negated y.
    expect(suite.publicKeyFromPrivate(scalar(N - 1n)).subarray(0, 32)).toEqual(g.subarray(0, 32));
  });
});

describe('EIP-55 checksum addresses', () => {
  // The examples listed in EIP-55 (https://eips.ethereum.org/EIPS/eip-55#test-cases).
  const vectors = [
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ];

  it.each(vectors)('encodes %s', (checksummed) => {
    expect(addressToChecksumHex(hexToBytes(checksummed))).toBe(checksummed);
    expect(isChecksumAddress(checksummed)).toBe(true);
    expect(hexToAddress(checksummed)).toEqual(hexToBytes(checksummed));
  });

  it('agrees with ethers.getAddress on random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (address) => {
        const lower = bytesToHex(address);
        expect(addressToChecksumHex(address)).toBe(getAddress(lower));
      }),
    );
  });

  it('accepts unchecksummed all-lower or all-upper hex, rejects a wrong mixed-case checksum', () => {
    const good = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    expect(hexToAddress(good.toLowerCase())).toEqual(hexToBytes(good));
    expect(hexToAddress(`0x${good.slice(2).toUpperCase()}`)).toEqual(hexToBytes(good));
    const typo = `${good.slice(0, 3)}A${good.slice(4)}`; // 'a' → 'A'
    expectWeftError(() => hexToAddress(typo), 'INVALID_ENCODING');
    expect(isChecksumAddress(typo)).toBe(false);
    expect(isChecksumAddress(good.toLowerCase())).toBe(false);
  });

  it('rejects wrong lengths and non-hex', () => {
    expectWeftError(() => hexToAddress('0x1234'), 'INVALID_HEX');
    expectWeftError(() => hexToAddress(`0x${'g'.repeat(40)}`), 'INVALID_HEX');
    expectWeftError(() => hexToAddress('5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), 'INVALID_HEX');
    expectWeftError(() => addressToChecksumHex(new Uint8Array(21)), 'INVALID_LENGTH');
  });
});

const backends: EcdsaBackendName[] = ['native', 'noble'];

describe.each(backends)('ecdsa suite, %s backend', (backend) => {
  const suite = createEcdsaSuite({ backend });

  it('describes itself', () => {
    expect(suite.name).toBe('ecdsa');
    expect(suite.signatureLength).toBe(65);
    expect(suite.hash(new Uint8Array(0))).toEqual(keccak256(new Uint8Array(0)));
  });

  it('sign → recoverSigner returns the public key, verify accepts, and noble agrees', () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const publicKey = suite.publicKeyFromPrivate(privateKey);
        expect(publicKey).toEqual(noble.getPublicKey(privateKey, false).subarray(1));
        const signature = suite.sign(digest, privateKey);
        expect(signature.length).toBe(65);
        expect(suite.recoverSigner(digest, signature)).toEqual(publicKey);
        expect(suite.verify(digest, signature, publicKey)).toBe(true);
        // Independent check: noble's strict (low-s) verifier and its RFC 6979 signer.
        const rs = signature.subarray(0, 64);
        expect(noble.verify(rs, digest, sec1(publicKey), { prehash: false, lowS: true })).toBe(true);
        const nobleSignature = noble.sign(digest, privateKey, { prehash: false, format: 'recovered' });
        expect(concatBytes(nobleSignature.subarray(1), nobleSignature.subarray(0, 1))).toEqual(signature);
      }),
      { numRuns: backend === 'native' ? 100 : 25 },
    );
  });

  it('accepts noble-made low-s signatures', () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const recovered = noble.sign(digest, privateKey, {
          prehash: false,
          format: 'recovered',
          extraEntropy: true,
        });
        const signature = concatBytes(recovered.subarray(1), recovered.subarray(0, 1));
        expect(suite.recoverSigner(digest, signature)).toEqual(
          noble.getPublicKey(privateKey, false).subarray(1),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('never attributes a signature with a flipped bit (digest, signature or key) to the signer', () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    fc.assert(
      fc.property(
        digestArb,
        fc.nat({ max: 65 * 8 - 1 }),
        fc.nat({ max: 64 * 8 - 1 }),
        (digest, sigBit, keyBit) => {
          const signature = suite.sign(digest, privateKey);
          const flippedDigest = flipBit(digest, sigBit % 256);
          const flippedSignature = flipBit(signature, sigBit);
          for (const [d, s] of [
            [flippedDigest, signature],
            [digest, flippedSignature],
          ] as const) {
            expect(suite.verify(d, s, publicKey)).toBe(false);
            // ECDSA recovery of a tampered signature either fails or yields some other key.
            try {
              expect(suite.recoverSigner(d, s)).not.toEqual(publicKey);
            } catch (error) {
              expect(isWeftError(error, 'INVALID_SIGNATURE')).toBe(true);
            }
          }
          expect(suite.verify(digest, signature, flipBit(publicKey, keyBit))).toBe(false);
        },
      ),
      { numRuns: backend === 'native' ? 200 : 30 },
    );
  });

  describe('canonical signatures only', () => {
    const privateKey = scalar(0x1234567890abcdefn);
    const digest = keccak256(new Uint8Array([1, 2, 3]));
    const signature = suite.sign(digest, privateKey);
    const publicKey = suite.publicKeyFromPrivate(privateKey);
    const r = bytesToBigint(signature.subarray(0, 32));
    const s = bytesToBigint(signature.subarray(32, 64));
    const v = signature[64] as number;
    const make = (rr: bigint, ss: bigint, vv: number): Uint8Array =>
      concatBytes(scalar(rr), scalar(ss), Uint8Array.of(vv));

    function expectRejected(bad: Uint8Array): void {
      expectWeftError(() => suite.recoverSigner(digest, bad), 'INVALID_SIGNATURE');
      expect(suite.verify(digest, bad, publicKey)).toBe(false);
    }

    it('rejects the high-s twin (n - s, flipped v), which plain ECDSA would accept (EIP-2)', () => {
      const twin = make(r, N - s, v ^ 1);
      // The twin is a mathematically valid ECDSA signature: noble accepts it with lowS disabled.
      expect(
        noble.verify(twin.subarray(0, 64), digest, sec1(publicKey), { prehash: false, lowS: false }),
      ).toBe(true);
      expectRejected(twin);
      expectWeftError(
        () => ecdsaRecoverPublicKey(digest, scalar(r), scalar(N - s), v ^ 1),
        'INVALID_SIGNATURE',
      );
    });

    it('rejects r and s outside [1, n-1] and s just above n/2', () => {
      expectRejected(make(0n, s, v));
      expectRejected(make(r, 0n, v));
      expectRejected(make(N, s, v));
      expectRejected(make(r + N < 2n ** 256n ? r + N : N + 1n, s, v));
      expectRejected(make(r, HALF_N + 1n, v));
      expectRejected(make(r, N, v));
      expectRejected(concatBytes(new Uint8Array(32).fill(0xff), scalar(s), Uint8Array.of(v)));
    });

    it('accepts s = ⌊n/2⌋ exactly (the EIP-2 bound is inclusive) when it recovers', () => {
      const atBound = make(r, HALF_N, 0);
      const recovered = suite.recoverSigner(digest, atBound);
      expect(
        noble.verify(atBound.subarray(0, 64), digest, sec1(recovered), { prehash: false, lowS: true }),
      ).toBe(true);
    });

    it('rejects recovery ids other than 0 and 1, including Ethereum-style 27/28', () => {
      for (const bad of [2, 3, 27, 28, 37, 255]) expectRejected(make(r, s, bad));
      expectWeftError(() => ecdsaRecoverPublicKey(digest, scalar(r), scalar(s), 27), 'INVALID_SIGNATURE');
      expectWeftError(() => ecdsaRecoverPublicKey(digest, scalar(r), scalar(s), -1), 'INVALID_SIGNATURE');
    });

    it('rejects wrong lengths: signature → INVALID_SIGNATURE, digest → INVALID_LENGTH; verify → false', () => {
      for (const length of [0, 64, 66, 128]) {
        const bad = new Uint8Array(length);
        bad.set(signature.subarray(0, Math.min(length, 65)));
        expectRejected(bad);
      }
      expectWeftError(() => suite.recoverSigner(digest.subarray(0, 31), signature), 'INVALID_LENGTH');
      expect(suite.verify(digest.subarray(0, 31), signature, publicKey)).toBe(false);
      expect(suite.verify(digest, signature, publicKey.subarray(0, 63))).toBe(false);
      expect(suite.verify(digest, signature, concatBytes(Uint8Array.of(4), publicKey))).toBe(false);
      expectWeftError(
        () => ecdsaRecoverPublicKey(digest, scalar(r).subarray(1), scalar(s), v),
        'INVALID_LENGTH',
      );
    });

    it('never throws from verify, whatever it is given', () => {
      const junk = 'not bytes' as unknown as Uint8Array;
      expect(suite.verify(junk, signature, publicKey)).toBe(false);
      expect(suite.verify(digest, junk, publicKey)).toBe(false);
      expect(suite.verify(digest, signature, junk)).toBe(false);
    });
  });

  describe('keys', () => {
    it('rejects private keys outside [1, n-1] with INVALID_KEY and never echoes them', () => {
      for (const bad of [0n, N, N + 1n, 2n ** 256n - 1n]) {
        const key = scalar(bad);
        expectWeftError(() => suite.publicKeyFromPrivate(key), 'INVALID_KEY');
        expectWeftError(() => suite.sign(new Uint8Array(32), key), 'INVALID_KEY');
        try {
          suite.publicKeyFromPrivate(key);
        } catch (error) {
          expect(String(error)).not.toContain(bytesToHex(key).slice(2, 18));
        }
      }
      expectWeftError(() => suite.publicKeyFromPrivate(new Uint8Array(31).fill(1)), 'INVALID_LENGTH');
      expectWeftError(() => suite.sign(new Uint8Array(31), scalar(1n)), 'INVALID_LENGTH');
    });

    it('generates valid, distinct key pairs', () => {
      const a = suite.generateKeyPair();
      const b = suite.generateKeyPair();
      expect(a.privateKey).not.toEqual(b.privateKey);
      expect(suite.publicKeyFromPrivate(a.privateKey)).toEqual(a.publicKey);
      expect(a.publicKey.length).toBe(64);
    });

    it('derives the address as the last 20 bytes of keccak256(x ‖ y) and rejects off-curve keys', () => {
      const { publicKey } = suite.generateKeyPair();
      expect(suite.addressFromPublicKey(publicKey)).toEqual(keccak256(publicKey).subarray(12));
      const offCurve = flipBit(publicKey, 0);
      expectWeftError(() => suite.addressFromPublicKey(offCurve), 'INVALID_KEY');
      expectWeftError(() => suite.addressFromPublicKey(new Uint8Array(64)), 'INVALID_KEY');
      expectWeftError(() => suite.addressFromPublicKey(publicKey.subarray(1)), 'INVALID_LENGTH');
    });
  });
});
