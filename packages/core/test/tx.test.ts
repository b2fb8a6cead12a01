import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { Transaction as EthersTransaction, Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpDecode, rlpEncode } from '../src/rlp.js';
import { decodeTransaction, signLegacyTx, signWeftTx, WEFT_TX_TYPE } from '../src/tx.js';

const ecdsa = getSuite('ecdsa');
const sm = getSuite('sm');
const wallet = new Wallet('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');

const ethFields = fc.record({
  nonce: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  gasLimit: fc.bigInt({ min: 21000n, max: 30_000_000n }),
  value: fc.bigInt({ min: 0n, max: 2n ** 128n }),
  data: fc.uint8Array({ maxLength: 200 }),
  to: fc.option(fc.uint8Array({ minLength: 20, maxLength: 20 }), { nil: null }),
  chainId: fc.bigInt({ min: 1n, max: 2n ** 32n }),
});

describe('Ethereum transactions (decoded against ethers v6)', () => {
  it('legacy EIP-155, EIP-2930 and EIP-1559 transactions signed by ethers decode with the same hash and sender', async () => {
    await fc.assert(
      fc.asyncProperty(ethFields, fc.constantFrom(0, 1, 2), async (f, type) => {
        const signed = await wallet.signTransaction({
          type,
          chainId: f.chainId,
          nonce: Number(f.nonce % 2n ** 40n),
          gasLimit: f.gasLimit,
          to: f.to === null ? null : bytesToHex(f.to),
          value: f.value,
          data: bytesToHex(f.data),
          ...(type === 2 ? { maxFeePerGas: 7n, maxPriorityFeePerGas: 3n } : { gasPrice: 5n }),
          ...(type === 1
            ? { accessList: [{ address: wallet.address, storageKeys: [`0x${'01'.repeat(32)}`] }] }
            : {}),
        });
        const tx = decodeTransaction(ecdsa, hexToBytes(signed));
        const parsed = EthersTransaction.from(signed);
        expect(bytesToHex(tx.hash)).toBe(parsed.hash);
        expect(bytesToHex(tx.sender)).toBe(wallet.address.toLowerCase());
        expect(tx.chainId).toBe(f.chainId);
        expect(tx.kind).toBe(['legacy', 'eip2930', 'eip1559'][type]);
        expect(tx.to === null ? null : bytesToHex(tx.to)).toBe(
          parsed.to === null ? null : parsed.to.toLowerCase(),
        );
        expect(tx.value).toBe(f.value);
        expect(tx.data).toEqual(f.data);
      }),
      { numRuns: 60 },
    );
  });

  it('our EIP-155 signer produces what ethers parses, with the right sender', () => {
    const key = hexToBytes(wallet.privateKey);
    fc.assert(
      fc.property(ethFields, (f) => {
        const raw = signLegacyTx(ecdsa, { ...f, gasPrice: 0n }, key);
        const parsed = EthersTransaction.from(bytesToHex(raw));
        expect(parsed.from).toBe(wallet.address);
        expect(parsed.chainId).toBe(f.chainId);
        expect(bytesToHex(decodeTransaction(ecdsa, raw).hash)).toBe(parsed.hash);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses unprotected legacy transactions (no chain id)', async () => {
    const unsigned = EthersTransaction.from({
      type: 0,
      nonce: 0,
      gasLimit: 21000n,
      gasPrice: 1n,
      to: wallet.address,
      value: 0n,
    });
    const sig = wallet.signingKey.sign(unsigned.unsignedHash);
    unsigned.signature = sig;
    expect(() => decodeTransaction(ecdsa, hexToBytes(unsigned.serialized))).toThrow(/unprotected/);
  });

  it('a tampered signature never yields the original sender', () => {
    const key = hexToBytes(wallet.privateKey);
    const raw = signLegacyTx(
      ecdsa,
      { chainId: 5n, nonce: 1n, gasPrice: 0n, gasLimit: 21000n, to: null, value: 0n, data: new Uint8Array() },
      key,
    );
    for (let i = raw.length - 64; i < raw.length; i++) {
      const bad = raw.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      try {
        const tx = decodeTransaction(ecdsa, bad);
        expect(bytesToHex(tx.sender)).not.toBe(wallet.address.toLowerCase());
      } catch (e) {
        expect((e as { code?: string }).code).toMatch(/INVALID_/);
      }
    }
  });

  it('rejects non-canonical integers, wrong field counts, unknown types and oversize input', () => {
    const key = hexToBytes(wallet.privateKey);
    const raw = signLegacyTx(
      ecdsa,
      { chainId: 5n, nonce: 1n, gasPrice: 0n, gasLimit: 21000n, to: null, value: 0n, data: new Uint8Array() },
      key,
    );
    const fields = rlpDecode(raw, 't') as Uint8Array[];
    const leadingZero = rlpEncode([Uint8Array.of(0, 1), ...fields.slice(1)]);
    expect(() => decodeTransaction(ecdsa, leadingZero)).toThrow(/leading zero/);
    expect(() => decodeTransaction(ecdsa, rlpEncode(fields.slice(1)))).toThrow(/fields/);
    expect(() => decodeTransaction(ecdsa, Uint8Array.of(0x05, 0xc0))).toThrow(/unknown transaction type/);
    expect(() => decodeTransaction(ecdsa, new Uint8Array(0))).toThrow(/empty/);
    expect(() => decodeTransaction(ecdsa, new Uint8Array(200_000).fill(0xc0))).toThrow(/limit/);
    expect(() => decodeTransaction(ecdsa, Uint8Array.of(0xf8))).toThrow(/RLP/);
  });
});

describe('native weft transactions', () => {
  for (const suite of [ecdsa, sm]) {
    it(`${suite.name}: sign → decode round-trips and recovers the sender; any flipped byte fails or changes the hash`, () => {
      const { privateKey, publicKey } = suite.generateKeyPair();
      fc.assert(
        fc.property(ethFields, fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.nat(), (f, nonce, pick) => {
          const raw = signWeftTx(
            suite,
            {
              chainId: f.chainId,
              nonce,
              blockLimit: 1000n,
              to: f.to,
              value: f.value,
              data: f.data,
              gasLimit: f.gasLimit,
            },
            privateKey,
          );
          expect(raw[0]).toBe(WEFT_TX_TYPE);
          const tx = decodeTransaction(suite, raw);
          expect(tx.sender).toEqual(suite.addressFromPublicKey(publicKey));
          expect(tx.nonce).toBe(nonce);
          expect(tx.blockLimit).toBe(1000n);
          expect(tx.hash).toEqual(suite.hash(raw));
          const bad = raw.slice();
          const i = 1 + (pick % (raw.length - 1));
          bad[i] = (bad[i] as number) ^ 0x80;
          try {
            const t2 = decodeTransaction(suite, bad);
            // A change that still decodes must not be attributed to the same signer with the same content.
            expect(
              bytesToHex(t2.hash) === bytesToHex(tx.hash) || bytesToHex(t2.sender) === bytesToHex(tx.sender),
            ).toBe(false);
          } catch (e) {
            expect((e as { code?: string }).code).toMatch(/INVALID_|TX_TOO_LARGE/);
          }
        }),
        { numRuns: suite.name === 'sm' ? 15 : 60 },
      );
    });
  }

  it('sm chains accept only native transactions', () => {
    const key = hexToBytes(wallet.privateKey);
    const raw = signLegacyTx(
      ecdsa,
      { chainId: 5n, nonce: 1n, gasPrice: 0n, gasLimit: 21000n, to: null, value: 0n, data: new Uint8Array() },
      key,
    );
    expect(() => decodeTransaction(sm, raw)).toThrow(/only native weft/);
  });
});
