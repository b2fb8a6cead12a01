import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { sm3 as smCryptoSm3 } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { isWeftError, type WeftErrorCode } from '../src/errors.js';
import { keccak256, sha256, sm3 } from '../src/hash.js';

const hex = (bytes: Uint8Array): string => bytesToHex(bytes).slice(2);

function expectWeftError(run: () => unknown, code: WeftErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isWeftError(caught, code), `expected WeftError ${code}, got ${String(caught)}`).toBe(true);
}

describe('keccak256', () => {
  // Keccak-256 as used by Ethereum (original Keccak padding 0x01, not FIPS 202's 0x06); these
  // digests appear throughout Ethereum tooling (e.g. keccak256('') is the empty code hash).
  it.each([
    ['', 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'],
    ['abc', '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45'],
    [
      'The quick brown fox jumps over the lazy dog',
      '4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15',
    ],
  ])('hashes %j to the published digest', (input, digest) => {
    expect(hex(keccak256(utf8ToBytes(input)))).toBe(digest);
  });

  it('differs from FIPS 202 SHA3-256 (padding 0x01, not 0x06)', () => {
    // SHA3-256('') from FIPS 202 examples.
    expect(hex(keccak256(new Uint8Array(0)))).not.toBe(
      'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a',
    );
  });
});

describe('sha256', () => {
  // FIPS 180-2 Appendix B.1 and the empty-string digest.
  it.each([
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('hashes %j to the FIPS 180 digest', (input, digest) => {
    expect(hex(sha256(utf8ToBytes(input)))).toBe(digest);
  });

  it('agrees with @noble/hashes on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(sha256(data))).toBe(hex(nobleSha256(data)));
      }),
    );
  });
});

describe('sm3', () => {
  // GB/T 32905-2016 Appendix A: example 1 ("abc") and example 2 ("abcd" × 16, 512 bits).
  it('hashes "abc" to the GB/T 32905-2016 Appendix A.1 digest', () => {
    expect(hex(sm3(utf8ToBytes('abc')))).toBe(
      '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0',
    );
  });

  it('hashes "abcd" × 16 to the GB/T 32905-2016 Appendix A.2 digest', () => {
    expect(hex(sm3(utf8ToBytes('abcd'.repeat(16))))).toBe(
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
  });

  it('agrees with the independent sm-crypto-v2 implementation on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(sm3(data))).toBe(smCryptoSm3(data));
      }),
    );
  });
});

describe.each([
  ['keccak256', keccak256],
  ['sha256', sha256],
  ['sm3', sm3],
])('%s contract', (_name, hash) => {
  it('returns a fresh plain 32-byte Uint8Array over exactly its digest', () => {
    const a = hash(hexToBytes('0x01'));
    const b = hash(hexToBytes('0x01'));
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(a.buffer.byteLength).toBe(32);
    a[0] = (a[0] as number) ^ 0xff;
    expect(b).toEqual(hash(hexToBytes('0x01')));
  });

  it('refuses strings (which Node would silently hash as UTF-8)', () => {
    expectWeftError(() => hash('abc' as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });

  it('accepts a Buffer or a subarray view and hashes only the viewed bytes', () => {
    const whole = utf8ToBytes('xxabcxx');
    expect(hash(whole.subarray(2, 5))).toEqual(hash(utf8ToBytes('abc')));
    expect(hash(Buffer.from('abc'))).toEqual(hash(utf8ToBytes('abc')));
  });
});
