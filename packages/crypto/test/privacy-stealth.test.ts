import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { isWeftError } from '../src/errors.js';
import { randomScalar } from '../src/privacy/group.js';
import { computeKeyImage, ringPublicKey, signRing, verifyRing } from '../src/privacy/ring.js';
import {
  createStealthOutput,
  createTxSecret,
  decodeStealthAddress,
  deriveOneTimeSecretKey,
  generateStealthKeys,
  STEALTH_ADDRESS_LENGTH,
  scanStealthOutput,
  stealthKeysFromSecrets,
} from '../src/privacy/stealth.js';

describe('stealth addresses', () => {
  const bob = generateStealthKeys();
  const carol = generateStealthKeys();

  it('an address is A ‖ B with A = a·K, B = b·K (ring keys)', () => {
    expect(bob.address).toHaveLength(STEALTH_ADDRESS_LENGTH);
    expect(bob.viewPublic).toEqual(ringPublicKey(bob.viewSecret));
    expect(bob.spendPublic).toEqual(ringPublicKey(bob.spendSecret));
    expect(decodeStealthAddress(bob.address)).toEqual({
      viewPublic: bob.viewPublic,
      spendPublic: bob.spendPublic,
    });
    expect(stealthKeysFromSecrets(bob.viewSecret, bob.spendSecret).address).toEqual(bob.address);
  });

  it('the receiver detects its output with the view key and derives the matching one-time secret', () => {
    const r = createTxSecret();
    const out = createStealthOutput(bob.address, 0, r);
    const found = scanStealthOutput(
      bob.viewSecret,
      bob.spendPublic,
      out.txPublicKey,
      0,
      out.oneTimeKey,
      out.viewTag,
    );
    expect(found).toBeDefined();
    expect(found?.sharedSecret).toEqual(out.sharedSecret);
    const x = deriveOneTimeSecretKey(bob, out.txPublicKey, 0, out.oneTimeKey);
    expect(ringPublicKey(x)).toEqual(out.oneTimeKey);
    // The one-time key is spendable in a ring, and its key image is that of x.
    const ring = [ringPublicKey(randomScalar()), out.oneTimeKey, ringPublicKey(randomScalar())];
    const sig = signRing(utf8ToBytes('spend'), ring, 1, x);
    expect(verifyRing(utf8ToBytes('spend'), ring, sig)).toBe(true);
    expect(sig.subarray(0, 32)).toEqual(computeKeyImage(x));
  });

  it('non-receivers cannot detect: other view keys, wrong spend key, wrong index, wrong R', () => {
    fc.assert(
      fc.property(fc.nat(1000), (index) => {
        const r = createTxSecret();
        const out = createStealthOutput(bob.address, index, r);
        expect(
          scanStealthOutput(carol.viewSecret, bob.spendPublic, out.txPublicKey, index, out.oneTimeKey),
        ).toBe(undefined);
        expect(
          scanStealthOutput(carol.viewSecret, carol.spendPublic, out.txPublicKey, index, out.oneTimeKey),
        ).toBe(undefined);
        expect(
          scanStealthOutput(bob.viewSecret, carol.spendPublic, out.txPublicKey, index, out.oneTimeKey),
        ).toBe(undefined);
        expect(
          scanStealthOutput(bob.viewSecret, bob.spendPublic, out.txPublicKey, index + 1, out.oneTimeKey),
        ).toBe(undefined);
        const otherR = ringPublicKey(createTxSecret());
        expect(scanStealthOutput(bob.viewSecret, bob.spendPublic, otherR, index, out.oneTimeKey)).toBe(
          undefined,
        );
        expect(
          scanStealthOutput(bob.viewSecret, bob.spendPublic, out.txPublicKey, index, out.oneTimeKey),
        ).toBeDefined();
      }),
      { numRuns: 10 },
    );
  });

  it('a mismatching view tag short-circuits; the tag alone never claims an output', () => {
    const out = createStealthOutput(bob.address, 3, createTxSecret());
    const wrongTag = (out.viewTag + 1) % 256;
    expect(
      scanStealthOutput(bob.viewSecret, bob.spendPublic, out.txPublicKey, 3, out.oneTimeKey, wrongTag),
    ).toBe(undefined);
    // Carol's scan with the correct tag still fails on the key comparison.
    expect(
      scanStealthOutput(carol.viewSecret, carol.spendPublic, out.txPublicKey, 3, out.oneTimeKey, out.viewTag),
    ).toBe(undefined);
  });

  it('outputs to the same address are unlinkable: fresh one-time keys per index and per transaction', () => {
    const r = createTxSecret();
    const keys = new Set<string>();
    for (let i = 0; i < 4; i++)
      keys.add(Buffer.from(createStealthOutput(bob.address, i, r).oneTimeKey).toString('hex'));
    for (let i = 0; i < 4; i++) {
      keys.add(Buffer.from(createStealthOutput(bob.address, 0, createTxSecret()).oneTimeKey).toString('hex'));
    }
    expect(keys.size).toBe(8);
    expect(keys.has(Buffer.from(bob.spendPublic).toString('hex'))).toBe(false);
  });

  it('spending needs the spend key: a view-key holder cannot derive the one-time secret', () => {
    const out = createStealthOutput(bob.address, 0, createTxSecret());
    const auditor = { viewSecret: bob.viewSecret, spendPublic: bob.spendPublic, spendSecret: randomScalar() };
    const wrong = deriveOneTimeSecretKey(auditor, out.txPublicKey, 0, out.oneTimeKey);
    expect(ringPublicKey(wrong)).not.toEqual(out.oneTimeKey);
    try {
      deriveOneTimeSecretKey(carol, out.txPublicKey, 0, out.oneTimeKey);
      expect.unreachable();
    } catch (e) {
      expect(isWeftError(e, 'INVALID_KEY')).toBe(true);
    }
  });

  it('rejects malformed addresses and keys', () => {
    expect(() => decodeStealthAddress(new Uint8Array(63))).toThrow(/64 bytes/);
    const identityView = new Uint8Array(64);
    identityView.set(bob.spendPublic, 32);
    expect(() => decodeStealthAddress(identityView)).toThrow(/identity/);
    const garbage = bob.address.slice();
    garbage.fill(0xff, 0, 32);
    expect(() => createStealthOutput(garbage, 0, createTxSecret())).toThrow(/canonical/);
    expect(() => createStealthOutput(bob.address, -1, createTxSecret())).toThrow(/index/);
    expect(() => createStealthOutput(bob.address, 0, 0n)).toThrow(/zero/);
  });
});
