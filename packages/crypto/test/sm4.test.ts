import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { isWeftError, type WeftErrorCode } from '../src/errors.js';
import {
  createSm4BlockCipher,
  sm4CbcDecrypt,
  sm4CbcEncrypt,
  sm4CtrDecrypt,
  sm4CtrEncrypt,
} from '../src/sm4.js';

function expectWeftError(run: () => unknown, code: WeftErrorCode): unknown {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isWeftError(caught, code), `expected WeftError ${code}, got ${String(caught)}`).toBe(true);
  return caught;
}

const hex = (bytes: Uint8Array): string => bytesToHex(bytes).slice(2);
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ivArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const dataArb = fc.uint8Array({ maxLength: 100 });

describe('SM4 block cipher, GB/T 32907-2016 Appendix A', () => {
  // Example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
  const key = hexToBytes('0123456789abcdeffedcba9876543210');

  it('encrypts example 1 to 681edf34d206965e86b3e94f536e4246 and decrypts it back', () => {
    const cipher = createSm4BlockCipher(key);
    const ciphertext = cipher.encryptBlock(key);
    expect(hex(ciphertext)).toBe('681edf34d206965e86b3e94f536e4246');
    expect(cipher.decryptBlock(ciphertext)).toEqual(key);
  });

  it('encrypts example 2 (the same block 1,000,000 times) to 595298c7c6fd271f0402f804c33d3f66', () => {
    // ≈0.6 s on the reference machine: one OpenSSL context reused for every iteration.
    const cipher = createSm4BlockCipher(key);
    let block = key;
    for (let i = 0; i < 1_000_000; i++) block = cipher.encryptBlock(block);
    expect(hex(block)).toBe('595298c7c6fd271f0402f804c33d3f66');
  });

  it('is unaffected by later changes to the caller’s key array and checks block lengths', () => {
    const mutable = key.slice();
    const cipher = createSm4BlockCipher(mutable);
    mutable.fill(0);
    expect(hex(cipher.encryptBlock(key))).toBe('681edf34d206965e86b3e94f536e4246');
    expectWeftError(() => cipher.encryptBlock(new Uint8Array(15)), 'INVALID_LENGTH');
    expectWeftError(() => cipher.decryptBlock(new Uint8Array(32)), 'INVALID_LENGTH');
    expectWeftError(() => createSm4BlockCipher(new Uint8Array(32)), 'INVALID_LENGTH');
  });
});

// draft-ribose-cfrg-sm4-10 Appendix A.2 (the SM4 Internet-Draft's mode examples, also used by
// OpenSSL's and GmSSL's test suites): IV 000102…0f, two keys, one plaintext per mode.
const IV = hexToBytes('000102030405060708090a0b0c0d0e0f');
const KEY_1 = hexToBytes('0123456789abcdeffedcba9876543210');
const KEY_2 = hexToBytes('fedcba98765432100123456789abcdef');

describe('SM4-CBC with PKCS#7', () => {
  const plaintext = hexToBytes('aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffaaaaaaaabbbbbbbb');

  it.each([
    [KEY_1, '78ebb11cc40b0a48312aaeb2040244cb4cb7016951909226979b0d15dc6a8f6d'],
    [KEY_2, '0d3a6ddc2d21c698857215587b7bb59a91f2c147911a4144665e1fa1d40bae38'],
  ])('matches the draft-ribose-cfrg-sm4 A.2.2 example (key %#), plus one padding block', (key, expected) => {
    const ciphertext = sm4CbcEncrypt(key, IV, plaintext);
    // The draft's examples are unpadded; PKCS#7 appends one full block (16 × 0x10) for an aligned input.
    expect(ciphertext.length).toBe(48);
    expect(hex(ciphertext.subarray(0, 32))).toBe(expected);
    expect(sm4CbcDecrypt(key, IV, ciphertext)).toEqual(plaintext);
  });

  it('round-trips arbitrary data; ciphertext is the next multiple of 16', () => {
    fc.assert(
      fc.property(keyArb, ivArb, dataArb, (key, iv, data) => {
        const ciphertext = sm4CbcEncrypt(key, iv, data);
        expect(ciphertext.length).toBe((Math.floor(data.length / 16) + 1) * 16);
        expect(sm4CbcDecrypt(key, iv, ciphertext)).toEqual(data);
      }),
    );
  });

  it('fails with DECRYPTION_FAILED on a wrong key (bad padding) without leaking the key', () => {
    const ciphertext = sm4CbcEncrypt(KEY_1, IV, utf8ToBytes('weft data at rest'));
    const error = expectWeftError(() => sm4CbcDecrypt(KEY_2, IV, ciphertext), 'DECRYPTION_FAILED');
    expect(JSON.stringify(error) + String(error)).not.toContain(hex(KEY_2).slice(0, 12));
  });

  it('fails with DECRYPTION_FAILED on lengths that are not a positive multiple of 16', () => {
    const ciphertext = sm4CbcEncrypt(KEY_1, IV, utf8ToBytes('x'));
    expectWeftError(() => sm4CbcDecrypt(KEY_1, IV, ciphertext.subarray(1)), 'DECRYPTION_FAILED');
    expectWeftError(() => sm4CbcDecrypt(KEY_1, IV, new Uint8Array(0)), 'DECRYPTION_FAILED');
  });

  it('checks exact key and iv lengths', () => {
    for (const bad of [15, 17, 32]) {
      expectWeftError(() => sm4CbcEncrypt(new Uint8Array(bad), IV, plaintext), 'INVALID_LENGTH');
      expectWeftError(() => sm4CbcEncrypt(KEY_1, new Uint8Array(bad), plaintext), 'INVALID_LENGTH');
      expectWeftError(() => sm4CbcDecrypt(new Uint8Array(bad), IV, new Uint8Array(16)), 'INVALID_LENGTH');
      expectWeftError(() => sm4CbcDecrypt(KEY_1, new Uint8Array(bad), new Uint8Array(16)), 'INVALID_LENGTH');
    }
    expectWeftError(() => sm4CbcEncrypt(KEY_1, IV, 'text' as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });
});

describe('SM4-CTR', () => {
  const plaintext = hexToBytes(
    'aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd' +
      'eeeeeeeeeeeeeeeeffffffffffffffffaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb',
  );

  it.each([
    [
      KEY_1,
      'ac3236cb970cc20791364c395a1342d1a3cbc1878c6f30cd074cce385cdd70c7' +
        'f234bc0e24c11980fd1286310ce37b926e02fcd0faa0baf38b2933851d824514',
    ],
    [
      KEY_2,
      '5dcccd25b95ab07417a08512ee160e2f8f661521cbbab44cc87138445bc29e5c' +
        '0ae0297205d62704173b21239b887f6c8cb5b800917a2488284bde9e16ea2906',
    ],
  ])('matches the draft-ribose-cfrg-sm4 A.2 CTR example (key %#) both ways', (key, expected) => {
    expect(hex(sm4CtrEncrypt(key, IV, plaintext))).toBe(expected);
    expect(sm4CtrDecrypt(key, IV, hexToBytes(expected))).toEqual(plaintext);
  });

  it('round-trips arbitrary data with length preserved', () => {
    fc.assert(
      fc.property(keyArb, ivArb, dataArb, (key, iv, data) => {
        const ciphertext = sm4CtrEncrypt(key, iv, data);
        expect(ciphertext.length).toBe(data.length);
        expect(sm4CtrDecrypt(key, iv, ciphertext)).toEqual(data);
      }),
    );
  });

  it('increments the whole 128-bit counter big-endian, carrying across 64 bits', () => {
    // Counter block 00…00 ff…ff: the second block must use 00…01 00…00 (SP 800-38A §B.1 standard
    // incrementing function over all 128 bits), i.e. the keystream of the block cipher on it.
    const key = KEY_1;
    const iv = hexToBytes('0000000000000000ffffffffffffffff');
    const keystream = sm4CtrEncrypt(key, iv, new Uint8Array(32));
    const cipher = createSm4BlockCipher(key);
    expect(keystream.subarray(0, 16)).toEqual(cipher.encryptBlock(iv));
    expect(keystream.subarray(16)).toEqual(
      cipher.encryptBlock(hexToBytes('00000000000000010000000000000000')),
    );
  });

  it('checks exact key and iv lengths', () => {
    expectWeftError(() => sm4CtrEncrypt(new Uint8Array(15), IV, plaintext), 'INVALID_LENGTH');
    expectWeftError(() => sm4CtrEncrypt(KEY_1, new Uint8Array(12), plaintext), 'INVALID_LENGTH');
    expectWeftError(() => sm4CtrDecrypt(KEY_1, new Uint8Array(17), plaintext), 'INVALID_LENGTH');
  });
});
