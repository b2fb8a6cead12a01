import { ristretto255 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { feInvert, fePow22523, sqrtRatioM1 } from '../src/privacy/field-ristretto.js';
import {
  feFromBigint,
  feToBigint,
  getFieldKernel,
  IO_BUFFER,
  JS_SCRATCH,
  FIELD_PRIME as P,
} from '../src/privacy/field-wasm.js';
import { BASE_H, hashToPoint, pointFromUniformBytes } from '../src/privacy/group.js';
import { withPointArena } from '../src/privacy/msm.js';

const Point = ristretto255.Point;
const k = getFieldKernel();
// Test slots far from the scratch slots the ristretto layer uses (0–31 are JS_SCRATCH's).
const A = 4096;
const B = A + 40;
const C = B + 40;

/** Field elements, biased towards the carry/reduction edges. */
const fieldElement = fc.oneof(
  fc.bigInt({ min: 0n, max: P - 1n }),
  fc.constantFrom(0n, 1n, 2n, 19n, P - 1n, P - 2n, P - 19n, 2n ** 254n, 2n ** 255n - 20n, (P - 1n) / 2n),
  fc.bigInt({ min: P - 2n ** 32n, max: P - 1n }),
);
const mod = (x: bigint): bigint => ((x % P) + P) % P;
const modPow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  let x = mod(b);
  for (let n = e; n > 0n; n >>= 1n) {
    if (n & 1n) r = (r * x) % P;
    x = (x * x) % P;
  }
  return r;
};

function bytesLE(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe('GF(2^255 − 19) kernel equals BigInt arithmetic', () => {
  it('mul, sq, add, sub, neg', () => {
    fc.assert(
      fc.property(fieldElement, fieldElement, (x, y) => {
        feFromBigint(k, A, x);
        feFromBigint(k, B, y);
        k.fe_mul(C, A, B);
        expect(feToBigint(k, C)).toBe((x * y) % P);
        k.fe_sq(C, A);
        expect(feToBigint(k, C)).toBe((x * x) % P);
        k.fe_add(C, A, B);
        expect(feToBigint(k, C)).toBe(mod(x + y));
        k.fe_sub(C, A, B);
        expect(feToBigint(k, C)).toBe(mod(x - y));
        k.fe_neg(C, A);
        expect(feToBigint(k, C)).toBe(mod(-x));
      }),
      { numRuns: 500 },
    );
  });

  it('chained operations stay within the limb bounds (unreduced inputs to mul)', () => {
    fc.assert(
      fc.property(fc.array(fieldElement, { minLength: 2, maxLength: 8 }), (xs) => {
        // acc = ((x0 − x1)·(x0 + x1) − x2)·… exercises mul on outputs of add/sub/neg.
        let expected = xs[0] as bigint;
        feFromBigint(k, A, expected);
        for (const x of xs.slice(1)) {
          feFromBigint(k, B, x);
          k.fe_sub(C, A, B);
          k.fe_add(A, A, B);
          k.fe_mul(A, A, C);
          k.fe_neg(A, A);
          expected = mod(-((expected - x) * (expected + x)));
        }
        expect(feToBigint(k, A)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('sqn, pow22523 and invert', () => {
    fc.assert(
      fc.property(fieldElement, fc.integer({ min: 1, max: 40 }), (x, n) => {
        feFromBigint(k, A, x);
        k.fe_sqn(C, A, n);
        expect(feToBigint(k, C)).toBe(modPow(x, 2n ** BigInt(n)));
        fePow22523(k, C, A);
        expect(feToBigint(k, C)).toBe(modPow(x, (P - 5n) / 8n));
        feInvert(k, C, A);
        expect(feToBigint(k, C)).toBe(modPow(x, P - 2n));
      }),
      { numRuns: 100 },
    );
  });

  it('tobytes is canonical and frombytes reads any 255-bit value (RFC 9496 §4.3.4 allows unreduced)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 255n - 1n }), (x) => {
        const mem = new Uint8Array(k.memory.buffer);
        mem.set(bytesLE(x | (1n << 255n)), IO_BUFFER + 64); // bit 255 set: must be ignored
        k.fe_frombytes(A, IO_BUFFER + 64);
        expect(feToBigint(k, A)).toBe(x % P);
        k.fe_tobytes(IO_BUFFER, A);
        expect(bytesToHex(new Uint8Array(k.memory.buffer, IO_BUFFER, 32))).toBe(bytesToHex(bytesLE(x % P)));
      }),
      { numRuns: 300 },
    );
  });

  it('cmov selects without touching the other input', () => {
    fc.assert(
      fc.property(fieldElement, fieldElement, fc.boolean(), (x, y, flag) => {
        feFromBigint(k, A, x);
        feFromBigint(k, B, y);
        k.fe_cmov(A, B, flag ? 1 : 0);
        expect(feToBigint(k, A)).toBe(flag ? y : x);
        expect(feToBigint(k, B)).toBe(y);
      }),
    );
  });

  it('SQRT_RATIO_M1 matches the curve25519-dalek / RFC 9496 §4.2 cases', () => {
    const sqrt2i = 38214883241950591754978413199355411911188925816896391856984770930832735035196n;
    const invSqrt4 = 28948022309329048855892746252171976963317496166410141009864396001978282409974n;
    const cases: Array<[u: bigint, v: bigint, root: bigint, wasSquare: number]> = [
      [0n, 0n, 0n, 1],
      [1n, 0n, 0n, 0],
      [2n, 1n, sqrt2i, 0],
      [4n, 1n, 2n, 1],
      [1n, 4n, invSqrt4, 1],
    ];
    for (const [u, v, root, wasSquare] of cases) {
      feFromBigint(k, A, u);
      feFromBigint(k, B, v);
      expect(sqrtRatioM1(k, C, A, B)).toBe(wasSquare);
      expect(feToBigint(k, C)).toBe(root);
    }
  });
});

// RFC 9496 Appendix A.1: encodings of 0·B … 15·B.
const SMALL_MULTIPLES = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76',
  '6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919',
  '94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259',
  'da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57',
  'e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e',
  'f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403',
  '44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d',
  '903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c',
  '02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031',
  '20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f',
  'bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42',
  'e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460',
  'aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f',
  '46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e',
  'e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e',
];

// RFC 9496 Appendix A.2: invalid encodings (non-canonical, negative, non-square, negative xy, s = −1).
const BAD_ENCODINGS = [
  '00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20',
  'c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562',
  'c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78',
  '47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24',
  'f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72',
  '87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309',
  '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371',
  '4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f',
  'de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b',
  'bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042',
  '2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08',
  'f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22',
  '8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731',
  '2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b',
  '3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e',
  'a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220',
  'd483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e',
  '8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32',
  '32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b',
  '227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165',
  '5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e',
  '445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

// RFC 9496 Appendix A.3: one-way map of SHA-512(label).
const UNIFORM_VECTORS: Array<[string, string]> = [
  [
    'Ristretto is traditionally a short shot of espresso coffee',
    '3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46',
  ],
  [
    'made with the normal amount of ground coffee but extracted with',
    'f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b',
  ],
  [
    'about half the amount of water in the same amount of time',
    '006ccd2a9e6867e6a2c5cea83d3302cc9de128dd2a9a57dd8ee7b9d7ffe02826',
  ],
  ['by using a finer grind.', 'f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a'],
  [
    'This produces a concentrated shot of coffee per volume.',
    'ae81e7dedf20a497e10c304a765c1767a42d6e06029758d2d7e8ef7cc4c41179',
  ],
  [
    'Just pulling a normal shot short will produce a weaker shot',
    'e2705652ff9f5e44d3e841bf1c251cf7dddb77d140870d1ab2ed64f1a9ce8628',
  ],
  [
    'and is not a Ristretto as some believe.',
    '80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065',
  ],
];

const scalar = fc.bigInt({ min: 1n, max: Point.Fn.ORDER - 1n });

describe('ristretto255 on the kernel', () => {
  it('RFC 9496 A.1: decodes, re-encodes and recomputes the small multiples of B', () => {
    withPointArena((a) => {
      let acc = a.identity();
      const base = a.decode(hexToBytes(SMALL_MULTIPLES[1] as string));
      for (const hex of SMALL_MULTIPLES) {
        const p = a.decode(hexToBytes(hex));
        expect(bytesToHex(a.encode(p)).slice(2)).toBe(hex);
        expect(bytesToHex(a.encode(acc)).slice(2)).toBe(hex);
        expect(a.equals(p, acc)).toBe(true);
        acc = a.add(acc, base);
      }
    });
  });

  it('RFC 9496 A.2: rejects every invalid encoding', () => {
    withPointArena((a) => {
      for (const hex of BAD_ENCODINGS) {
        expect(() => a.decode(hexToBytes(hex)), hex).toThrow(/canonical ristretto255/);
      }
    });
  });

  it('RFC 9496 A.3: one-way map vectors, and agreement with group.ts hashToPoint / BASE_H', () => {
    withPointArena((a) => {
      for (const [label, hex] of UNIFORM_VECTORS) {
        expect(bytesToHex(a.encode(a.fromUniformBytes(sha512(utf8ToBytes(label))))).slice(2)).toBe(hex);
      }
      expect(a.encode(a.hashToPoint(Point.BASE.toBytes()))).toEqual(BASE_H.toBytes());
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ maxLength: 80 }),
        (u, data) => {
          withPointArena((a) => {
            expect(a.encode(a.fromUniformBytes(u))).toEqual(pointFromUniformBytes(u).toBytes());
            expect(a.encode(a.hashToPoint(data))).toEqual(hashToPoint(data).toBytes());
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('decode accepts exactly what noble accepts, on random bytes and on valid points', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let nobleOk = true;
        try {
          Point.fromBytes(bytes);
        } catch {
          nobleOk = false;
        }
        withPointArena((a) => {
          let ours = true;
          try {
            a.decode(bytes);
          } catch {
            ours = false;
          }
          expect(ours).toBe(nobleOk);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('add, sub, neg, double and equality agree with noble', () => {
    fc.assert(
      fc.property(scalar, scalar, (x, y) => {
        const p = Point.BASE.multiply(x);
        const q = Point.BASE.multiply(y);
        withPointArena((a) => {
          const pr = a.decode(p.toBytes());
          const qr = a.decode(q.toBytes());
          expect(a.encode(a.add(pr, qr))).toEqual(p.add(q).toBytes());
          expect(a.encode(a.sub(pr, qr))).toEqual(p.subtract(q).toBytes());
          expect(a.encode(a.neg(pr))).toEqual(p.negate().toBytes());
          expect(a.encode(a.add(pr, pr))).toEqual(p.double().toBytes());
          const d = a.alloc();
          a.kernel.ge_dbln(d, pr, 3);
          expect(a.encode(d)).toEqual(p.multiply(8n).toBytes());
          expect(a.equals(pr, qr)).toBe(x === y);
          expect(a.isIdentity(a.sub(pr, pr))).toBe(true);
          expect(a.isIdentity(pr)).toBe(false);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('the masked table lookup returns d·P for every d in [−8, 8]', () => {
    withPointArena((a) => {
      const p = a.decode(Point.BASE.multiply(123456789n).toBytes());
      const k2 = a.kernel;
      const table = a.alloc(8);
      const tmp = a.alloc();
      k2.ge_to_cached(table, p);
      k2.ge_copy(tmp, p);
      for (let j = 1; j < 8; j++) {
        k2.ge_add(tmp, tmp, table);
        k2.ge_to_cached(table + j * 160, tmp);
      }
      const out = a.alloc();
      const sum = a.alloc();
      for (let d = -8; d <= 8; d++) {
        k2.ge_lookup(out, table, d);
        k2.ge_add(sum, a.identity(), out);
        const expected = d === 0 ? Point.ZERO : Point.BASE.multiply(123456789n * BigInt(d < 0 ? -d : d));
        expect(a.encode(sum)).toEqual((d < 0 ? expected.negate() : expected).toBytes());
      }
    });
  });

  it('the JS scratch area does not overlap the test slots', () => {
    expect(JS_SCRATCH + 32 * 40).toBeLessThanOrEqual(IO_BUFFER);
    expect(IO_BUFFER + 128).toBeLessThanOrEqual(A);
  });
});
