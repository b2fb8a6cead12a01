import { scryptSync } from 'node:crypto';
import { bytesToHex, concatBytes, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError, type WeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { computeAddress, encryptKeystoreJson, Wallet } from 'ethers';
import fc from 'fast-check';
import { sm2, sm3, sm4 } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_N,
  decryptKeystore,
  encryptKeystore,
  isKeystoreJson,
  type KeystoreJson,
} from '../src/keystore.js';

/**
 * Published Web3 Secret Storage v3 vectors: the two from the definition's "Test Vectors" section
 * (ethereum.org), and go-ethereum's accounts/keystore/testdata/v3_test_vector.json legacy files
 * whose keys lost their leading zero bytes.
 */
const VECTORS = {
  scrypt: {
    password: 'testpassword',
    priv: '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d',
    json: {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
        ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
        kdf: 'scrypt',
        kdfparams: {
          dklen: 32,
          n: 262144,
          r: 1,
          p: 8,
          salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19',
        },
        mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    },
  },
  pbkdf2: {
    password: 'testpassword',
    priv: '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d',
    json: {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
        ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
        kdf: 'pbkdf2',
        kdfparams: {
          c: 262144,
          dklen: 32,
          prf: 'hmac-sha256',
          salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd',
        },
        mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    },
  },
  key31: {
    password: 'foo',
    priv: 'fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35',
    json: {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: 'e0c41130a323adc1446fc82f724bca2f' },
        ciphertext: '9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984',
        kdf: 'scrypt',
        kdfparams: {
          dklen: 32,
          n: 2,
          r: 8,
          p: 1,
          salt: '711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63',
        },
        mac: 'd5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5',
      },
      id: 'fecfc4ce-e956-48fd-953b-30f8b52ed66c',
      version: 3,
    },
  },
  key30: {
    password: 'foo',
    priv: '81c29e8142bb6a81bef5a92bda7a8328a5c85bb2f9542e76f9b0f94fc018',
    json: {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '3ca92af36ad7c2cd92454c59cea5ef00' },
        ciphertext: '108b7d34f3442fc26ab1ab90ca91476ba6bfa8c00975a49ef9051dc675aa',
        kdf: 'scrypt',
        kdfparams: {
          dklen: 32,
          n: 2,
          r: 8,
          p: 1,
          salt: 'd0769e608fb86cda848065642a9c6fa046845c928175662b8e356c77f914cd3b',
        },
        mac: '75d0e6759f7b3cefa319c3be41680ab6beea7d8328653474bd06706d4cc67420',
      },
      id: 'a37e1559-5955-450d-8075-7b8931b392b2',
      version: 3,
    },
  },
} as const;

const FAST_N = 2 ** 4;
const KEY = hexToBytes('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');

async function rejection(promise: Promise<unknown>): Promise<WeftError> {
  try {
    await promise;
  } catch (err) {
    if (isWeftError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** fast-check arbitrary for valid secp256k1 / SM2 scalars (both orders are just below 2^256). */
const validKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => k.some((b) => b !== 0) && k[0]! < 0xff);

describe('Web3 Secret Storage v3 test vectors', () => {
  it.each(Object.entries(VECTORS))('decrypts the %s vector', async (_name, vector) => {
    const { privateKey, address, suite } = await decryptKeystore(vector.json, vector.password);
    expect(suite).toBe('ecdsa');
    expect(bytesToHex(privateKey)).toBe(`0x${vector.priv.padStart(64, '0')}`);
    expect(bytesToHex(address)).toBe(computeAddress(bytesToHex(privateKey)).toLowerCase());
  });

  it('accepts the JSON text as well as the parsed object', async () => {
    const { privateKey } = await decryptKeystore(JSON.stringify(VECTORS.key31.json), 'foo');
    expect(privateKey[0]).toBe(0);
  });
});

describe('interoperability with ethers v6', () => {
  it('opens keystores that ethers writes with its default parameters ("Crypto", n = 2^17)', async () => {
    const wallet = new Wallet(bytesToHex(KEY));
    const json = await wallet.encrypt('correct horse battery staple');
    expect(JSON.parse(json)).toHaveProperty('Crypto');
    const opened = await decryptKeystore(json, 'correct horse battery staple');
    expect(opened.privateKey).toEqual(KEY);
    expect(bytesToHex(opened.address)).toBe(wallet.address.toLowerCase());
  });

  it('writes keystores that ethers opens, and opens what ethers writes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(validKey, fc.string({ unit: 'grapheme', maxLength: 12 }), async (key, passphrase) => {
        // ethers applies NFKC to passphrases, we do not (as geth); compare on NFKC-stable input.
        fc.pre(passphrase.normalize('NFKC') === passphrase);
        const ours = await encryptKeystore(key, passphrase, { suite: 'ecdsa', scryptN: FAST_N });
        const wallet = await Wallet.fromEncryptedJson(JSON.stringify(ours), passphrase);
        expect(wallet.privateKey).toBe(bytesToHex(key));

        const theirs = await encryptKeystoreJson(
          { address: wallet.address, privateKey: wallet.privateKey },
          passphrase,
          {
            scrypt: { N: FAST_N },
          },
        );
        const opened = await decryptKeystore(theirs, passphrase);
        expect(opened.privateKey).toEqual(key);
        expect(bytesToHex(opened.address)).toBe(wallet.address.toLowerCase());
      }),
      { numRuns: 15 },
    );
  });
});

describe('encryptKeystore', () => {
  it('writes the Web3 Secret Storage v3 shape with the default scrypt cost', async () => {
    const json = await encryptKeystore(KEY, 'pw', { suite: 'ecdsa' });
    expect(json).toMatchObject({
      version: 3,
      address: computeAddress(bytesToHex(KEY)).slice(2).toLowerCase(),
      crypto: {
        cipher: 'aes-128-ctr',
        kdf: 'scrypt',
        kdfparams: { dklen: 32, n: DEFAULT_SCRYPT_N, r: 8, p: 1 },
      },
    });
    expect(DEFAULT_SCRYPT_N).toBe(2 ** 17);
    expect(json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(json.crypto.cipherparams.iv).toMatch(/^[0-9a-f]{32}$/);
    expect(json.crypto.ciphertext).toMatch(/^[0-9a-f]{64}$/);
    expect(json.crypto.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(json.crypto.kdfparams.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(json).not.toHaveProperty('weft');
    expect((await decryptKeystore(json, 'pw')).privateKey).toEqual(KEY);
  });

  it('uses fresh salt, IV and id every time', async () => {
    const a = await encryptKeystore(KEY, 'pw', { suite: 'ecdsa', scryptN: FAST_N });
    const b = await encryptKeystore(KEY, 'pw', { suite: 'ecdsa', scryptN: FAST_N });
    expect(a.id).not.toBe(b.id);
    expect(a.crypto.kdfparams.salt).not.toBe(b.crypto.kdfparams.salt);
    expect(a.crypto.cipherparams.iv).not.toBe(b.crypto.cipherparams.iv);
    expect(a.crypto.ciphertext).not.toBe(b.crypto.ciphertext);
  });

  it('rejects bad keys and options', async () => {
    expect((await rejection(encryptKeystore(KEY.subarray(1), 'pw', { suite: 'ecdsa' }))).code).toBe(
      'INVALID_LENGTH',
    );
    expect((await rejection(encryptKeystore(new Uint8Array(32), 'pw', { suite: 'ecdsa' }))).code).toBe(
      'INVALID_KEY',
    );
    expect(
      (await rejection(encryptKeystore(new Uint8Array(32).fill(0xff), 'pw', { suite: 'sm' }))).code,
    ).toBe('INVALID_KEY');
    for (const scryptN of [0, 1, 1000, 2 ** 21, 1.5]) {
      const err = await rejection(encryptKeystore(KEY, 'pw', { suite: 'ecdsa', scryptN }));
      expect(err.message).toContain('scryptN must be a power of two');
    }
    // @ts-expect-error: the suite is checked at runtime too, for JavaScript callers.
    expect((await rejection(encryptKeystore(KEY, 'pw', { suite: 'rsa' }))).code).toBe('INVALID_ARGUMENT');
    // @ts-expect-error: as above, for the passphrase.
    expect((await rejection(encryptKeystore(KEY, 42, { suite: 'ecdsa' }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('sm (国密) keystores', () => {
  /** CTR keystream from sm-crypto-v2's SM4 block function: an implementation independent of ours. */
  function sm4CtrReference(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    let counter = BigInt(bytesToHex(iv));
    for (let offset = 0; offset < data.length; offset += 16) {
      const block = hexToBytes(`0x${counter.toString(16).padStart(32, '0')}`);
      const stream = sm4.encrypt(block, key, { mode: 'ecb', padding: 'none', output: 'array' });
      for (let i = 0; i < 16 && offset + i < data.length; i++)
        out[offset + i] = data[offset + i]! ^ stream[i]!;
      counter = (counter + 1n) % 2n ** 128n;
    }
    return out;
  }

  it('uses SM4-CTR, an SM3 MAC and SM3 addresses, as re-derived with sm-crypto-v2', async () => {
    const json = await encryptKeystore(KEY, '口令 passphrase', { suite: 'sm', scryptN: FAST_N });
    expect(json.crypto.cipher).toBe('sm4-ctr');
    expect(json.weft).toEqual({ suite: 'sm' });

    const { n, r, p, salt } = json.crypto.kdfparams as { n: number; r: number; p: number; salt: string };
    const derived = new Uint8Array(
      scryptSync(Buffer.from('口令 passphrase', 'utf8'), hexToBytes(salt), 32, { N: n, r, p }),
    );
    const ciphertext = hexToBytes(json.crypto.ciphertext);
    expect(json.crypto.mac).toBe(sm3(concatBytes(derived.subarray(16, 32), ciphertext)));
    const iv = hexToBytes(json.crypto.cipherparams.iv);
    expect(sm4CtrReference(derived.subarray(0, 16), iv, ciphertext)).toEqual(KEY);

    const publicKey = hexToBytes(`0x${sm2.getPublicKeyFromPrivateKey(bytesToHex(KEY).slice(2)).slice(2)}`);
    const expectedAddress = sm3(publicKey).slice(24);
    expect(json.address).toBe(expectedAddress);

    const opened = await decryptKeystore(json, '口令 passphrase');
    expect(opened).toEqual({ privateKey: KEY, address: hexToBytes(`0x${expectedAddress}`), suite: 'sm' });
  });

  it('is not mistaken for an Ethereum keystore in either direction', async () => {
    const json = await encryptKeystore(KEY, 'pw', { suite: 'sm', scryptN: FAST_N });
    await expect(Wallet.fromEncryptedJson(JSON.stringify(json), 'pw')).rejects.toThrow();
    const unmarked: Partial<KeystoreJson> = clone(json);
    delete unmarked.weft;
    expect((await rejection(decryptKeystore(unmarked, 'pw'))).message).toContain(
      'crypto.cipher "sm4-ctr" does not belong to suite "ecdsa"',
    );
    const ecdsa = await encryptKeystore(KEY, 'pw', { suite: 'ecdsa', scryptN: FAST_N });
    const marked = { ...clone(ecdsa), weft: { suite: 'sm' } };
    expect((await rejection(decryptKeystore(marked, 'pw'))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('decryptKeystore failures', () => {
  it('reports a wrong passphrase without echoing it', async () => {
    const json = await encryptKeystore(KEY, 'right', { suite: 'ecdsa', scryptN: FAST_N });
    const err = await rejection(decryptKeystore(json, 'hunter2-wrong'));
    expect(err.code).toBe('DECRYPTION_FAILED');
    expect(err.message).toBe('wrong passphrase or corrupted keystore');
    const serialised = JSON.stringify({ ...err.toJSON(), stack: err.stack });
    expect(serialised).not.toContain('hunter2');
    expect(serialised).not.toContain(bytesToHex(KEY).slice(2, 18));
  });

  it('detects a tampered MAC, ciphertext or address, for both suites', async () => {
    for (const suite of ['ecdsa', 'sm'] as const) {
      const json = await encryptKeystore(KEY, 'pw', { suite, scryptN: FAST_N });
      const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;

      const badMac = clone(json);
      badMac.crypto.mac = flip(badMac.crypto.mac);
      expect((await rejection(decryptKeystore(badMac, 'pw'))).code).toBe('DECRYPTION_FAILED');

      const badCiphertext = clone(json);
      badCiphertext.crypto.ciphertext = flip(badCiphertext.crypto.ciphertext);
      expect((await rejection(decryptKeystore(badCiphertext, 'pw'))).code).toBe('DECRYPTION_FAILED');

      // The v3 MAC does not cover the IV; the stored address catches a changed one.
      const badIv = clone(json);
      badIv.crypto.cipherparams.iv = flip(badIv.crypto.cipherparams.iv);
      expect((await rejection(decryptKeystore(badIv, 'pw'))).message).toBe(
        'keystore address does not match the decrypted key',
      );

      const badAddress = clone(json);
      badAddress.address = flip(badAddress.address);
      expect((await rejection(decryptKeystore(badAddress, 'pw'))).code).toBe('DECRYPTION_FAILED');
    }
  });

  it('rejects malformed keystores with INVALID_ARGUMENT naming the field', async () => {
    const good = await encryptKeystore(KEY, 'pw', { suite: 'ecdsa', scryptN: FAST_N });
    type Mutable = { [key: string]: unknown } & KeystoreJson;
    const cases: [string, (k: Mutable) => unknown, string][] = [
      ['version 2', (k) => Object.assign(k, { version: 2 }), 'unsupported version'],
      ['no crypto', (k) => Object.assign(k, { crypto: undefined }), 'crypto must be an object'],
      ['both crypto spellings', (k) => Object.assign(k, { Crypto: k.crypto }), 'both "crypto" and "Crypto"'],
      ['CBC cipher', (k) => Object.assign(k.crypto, { cipher: 'aes-128-cbc' }), 'crypto.cipher must be'],
      ['argon2', (k) => Object.assign(k.crypto, { kdf: 'argon2id' }), 'crypto.kdf must be'],
      [
        'short iv',
        (k) => Object.assign(k.crypto.cipherparams, { iv: '00'.repeat(15) }),
        'iv must be 16 bytes',
      ],
      [
        'non-hex iv',
        (k) => Object.assign(k.crypto.cipherparams, { iv: 'zz'.repeat(16) }),
        'iv must be a hex',
      ],
      ['long mac', (k) => Object.assign(k.crypto, { mac: '00'.repeat(33) }), 'crypto.mac must be 32 bytes'],
      [
        'long ciphertext',
        (k) => Object.assign(k.crypto, { ciphertext: '00'.repeat(33) }),
        'ciphertext must be 32',
      ],
      ['odd salt', (k) => Object.assign(k.crypto.kdfparams, { salt: 'abc' }), 'salt must be a hex'],
      [
        'short salt',
        (k) => Object.assign(k.crypto.kdfparams, { salt: '00'.repeat(8) }),
        'salt must be 16 to',
      ],
      ['dklen 64', (k) => Object.assign(k.crypto.kdfparams, { dklen: 64 }), 'dklen must be 32'],
      ['n not 2^k', (k) => Object.assign(k.crypto.kdfparams, { n: 1000 }), 'n must be a power of two'],
      [
        'n too big',
        (k) => Object.assign(k.crypto.kdfparams, { n: 2 ** 21 }),
        'kdfparams.n must be an integer',
      ],
      [
        'n as string',
        (k) => Object.assign(k.crypto.kdfparams, { n: '16' }),
        'kdfparams.n must be an integer',
      ],
      ['r huge', (k) => Object.assign(k.crypto.kdfparams, { n: 2 ** 20, r: 16 }), 'exceed the accepted cost'],
      ['p zero', (k) => Object.assign(k.crypto.kdfparams, { p: 0 }), 'kdfparams.p must be'],
      ['bad address', (k) => Object.assign(k, { address: '1234' }), 'address must be 20 bytes'],
      [
        'pbkdf2 sha512',
        (k) =>
          Object.assign(k.crypto, {
            kdf: 'pbkdf2',
            kdfparams: { c: 10, dklen: 32, prf: 'hmac-sha512', salt: '00'.repeat(32) },
          }),
        'prf must be "hmac-sha256"',
      ],
      [
        'pbkdf2 too many rounds',
        (k) =>
          Object.assign(k.crypto, {
            kdf: 'pbkdf2',
            kdfparams: { c: 1e9, dklen: 32, prf: 'hmac-sha256', salt: '00'.repeat(32) },
          }),
        'kdfparams.c must be an integer',
      ],
    ];
    for (const [name, mutate, expected] of cases) {
      const keystore = clone(good) as Mutable;
      mutate(keystore);
      const err = await rejection(decryptKeystore(keystore, 'pw'));
      expect({ name, code: err.code }).toEqual({ name, code: 'INVALID_ARGUMENT' });
      expect(err.message, name).toContain(expected);
      expect(isKeystoreJson(keystore), name).toBe(false);
    }
    expect((await rejection(decryptKeystore('{not json', 'pw'))).message).toBe(
      'invalid keystore: not valid JSON',
    );
    expect((await rejection(decryptKeystore([], 'pw'))).code).toBe('INVALID_ARGUMENT');
    expect(isKeystoreJson(good)).toBe(true);
    expect(isKeystoreJson(JSON.stringify(VECTORS.pbkdf2.json))).toBe(true);
  });
});

describe('round trip (property)', () => {
  it('decrypts what it encrypts, for both suites, and only with the right passphrase', async () => {
    await fc.assert(
      fc.asyncProperty(
        validKey,
        fc.constantFrom('ecdsa' as const, 'sm' as const),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 4 }),
        async (key, suite, passphrase, suffix) => {
          const json = await encryptKeystore(key, passphrase, { suite, scryptN: FAST_N });
          const opened = await decryptKeystore(JSON.stringify(json), passphrase);
          expect(opened.privateKey).toEqual(key);
          expect(opened.suite).toBe(suite);
          const s = getSuite(suite);
          expect(opened.address).toEqual(s.addressFromPublicKey(s.publicKeyFromPrivate(key)));
          const wrong = await rejection(decryptKeystore(json, passphrase + suffix));
          expect(wrong.code).toBe('DECRYPTION_FAILED');
        },
      ),
      { numRuns: 40 },
    );
  });
});
