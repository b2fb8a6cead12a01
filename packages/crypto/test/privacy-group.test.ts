import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { isWeftError } from '../src/errors.js';
import {
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  createFixedBaseMul,
  hashToPoint,
  hashToScalar,
  IDENTITY,
  mulPublic,
  mulSecret,
  multiScalarMul,
  type Point,
  pointFromBytes,
  pointFromUniformBytes,
  pointToBytes,
  randomScalar,
  type Scalar,
  scalarFromBytes,
  scalarFromBytesModOrder,
  scalarInvert,
  scalarToBytes,
} from '../src/privacy/group.js';

// RFC 9496 Appendix A.1: encodings of 0·G, 1·G, …, 15·G.
const RFC9496_MULTIPLES = [
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

// RFC 9496 Appendix A.2: encodings that every implementation must reject.
const RFC9496_INVALID = {
  'non-canonical field encodings': [
    '00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ],
  'negative field elements': [
    '0100000000000000000000000000000000000000000000000000000000000000',
    '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20',
    'c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562',
    'c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78',
    '47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24',
    'f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72',
    '87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309',
  ],
  'non-square x²': [
    '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371',
    '4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f',
    'de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b',
    'bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042',
    '2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08',
    'f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22',
    '8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731',
    '2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b',
  ],
  'negative xy': [
    '3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e',
    'a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220',
    'd483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e',
    '8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32',
    '32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b',
    '227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165',
    '5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e',
    '445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b',
  ],
  's = -1 (y = 0)': ['ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
};

// RFC 9496 Appendix A.3: the one-way map applied to SHA-512 of these labels.
const RFC9496_HASH_TO_GROUP: [string, string][] = [
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

// RFC 9496 Appendix A.3 (second part): non-canonical 64-byte inputs that all map to the same element.
const RFC9496_UNIFORM_EDGE = [
  `ed${'ff'.repeat(31)}` + `12${'00'.repeat(31)}`,
  `ed${'ff'.repeat(30)}7f${'ff'.repeat(32)}`,
  `${'00'.repeat(31)}80` + `${'ff'.repeat(31)}7f`,
  `${'00'.repeat(32)}12${'00'.repeat(30)}80`,
];
const RFC9496_UNIFORM_EDGE_OUTPUT = '304282791023b73128d277bdcb5c7746ef2eac08dde9f2983379cb8e5ef0517f';

const hex = (b: Uint8Array): string => bytesToHex(b).slice(2);
const scalarArb = fc.bigInt({ min: 0n, max: CURVE_ORDER - 1n });

describe('ristretto255 group (RFC 9496 vectors)', () => {
  it('encodes n·G for n = 0..15 exactly as Appendix A.1, and decodes them back', () => {
    let p = IDENTITY;
    RFC9496_MULTIPLES.forEach((expected, n) => {
      expect(hex(pointToBytes(p))).toBe(expected);
      expect(hex(pointToBytes(mulPublic(BASE_G, BigInt(n))))).toBe(expected);
      expect(pointFromBytes(hexToBytes(expected)).equals(p)).toBe(true);
      p = p.add(BASE_G);
    });
  });

  for (const [reason, list] of Object.entries(RFC9496_INVALID)) {
    it(`rejects Appendix A.2 encodings: ${reason}`, () => {
      for (const bad of list) {
        let error: unknown;
        try {
          pointFromBytes(hexToBytes(bad));
        } catch (e: unknown) {
          error = e;
        }
        expect(isWeftError(error, 'INVALID_POINT'), bad).toBe(true);
      }
    });
  }

  it('maps SHA-512 of the Appendix A.3 labels to the published elements', () => {
    for (const [label, expected] of RFC9496_HASH_TO_GROUP) {
      expect(hex(pointToBytes(pointFromUniformBytes(sha512(utf8ToBytes(label)))))).toBe(expected);
    }
  });

  it('maps the Appendix A.3 edge-case uniform strings to the same element', () => {
    for (const input of RFC9496_UNIFORM_EDGE) {
      expect(hex(pointToBytes(pointFromUniformBytes(hexToBytes(input))))).toBe(RFC9496_UNIFORM_EDGE_OUTPUT);
    }
  });

  it('rejects wrong-length point encodings', () => {
    expect(() => pointFromBytes(new Uint8Array(31))).toThrow();
    expect(() => pointFromBytes(new Uint8Array(33))).toThrow();
    expect(() => pointFromUniformBytes(new Uint8Array(32))).toThrow();
  });
});

describe('WeDPR bases and hashes', () => {
  it('G is the ristretto255 generator and H is hash_from_bytes::<Sha3_512>(G)', () => {
    expect(hex(pointToBytes(BASE_G))).toBe(RFC9496_MULTIPLES[1]);
    // The value FISCO BCOS's ZkpTest.cpp passes as WeDPR's blinding base (and dalek-bulletproofs'
    // PedersenGens::default().B_blinding).
    expect(hex(pointToBytes(BASE_H))).toBe(
      '8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134',
    );
    expect(hashToPoint(pointToBytes(BASE_G)).equals(BASE_H)).toBe(true);
  });

  it('hashToScalar reads the Keccak-256 digest little-endian (dalek from_bytes_mod_order)', () => {
    // Keccak-256("") = c5d2…a470; as a little-endian integer it is ≥ ℓ and must be reduced.
    const digest = hexToBytes('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    let le = 0n;
    for (let i = digest.length - 1; i >= 0; i--) le = (le << 8n) | BigInt(digest[i] as number);
    expect(hashToScalar()).toBe(le % CURVE_ORDER);
    expect(hashToScalar(new Uint8Array([1, 2]), new Uint8Array([3]))).toBe(
      hashToScalar(new Uint8Array([1, 2, 3])),
    );
  });
});

describe('scalars', () => {
  it('round-trips canonical scalars little-endian', () => {
    fc.assert(
      fc.property(scalarArb, (s) => {
        const b = scalarToBytes(s);
        expect(b.length).toBe(32);
        expect(scalarFromBytes(b)).toBe(s);
      }),
    );
    expect(hex(scalarToBytes(1n))).toBe(`01${'00'.repeat(31)}`);
  });

  it('rejects scalar encodings ≥ ℓ (no second encoding x + ℓ)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: CURVE_ORDER, max: 2n ** 256n - 1n }), (x) => {
        const b = new Uint8Array(32);
        let v = x;
        for (let i = 0; i < 32; i++) {
          b[i] = Number(v & 0xffn);
          v >>= 8n;
        }
        let error: unknown;
        try {
          scalarFromBytes(b);
        } catch (e: unknown) {
          error = e;
        }
        expect(isWeftError(error, 'INVALID_SCALAR')).toBe(true);
        expect(scalarFromBytesModOrder(b)).toBe(x % CURVE_ORDER);
      }),
    );
    expect(() => scalarFromBytes(new Uint8Array(31))).toThrow();
    expect(() => scalarToBytes(CURVE_ORDER)).toThrow();
    expect(() => scalarToBytes(-1n)).toThrow();
  });

  it('randomScalar stays in [1, ℓ−1] and inverts', () => {
    for (let i = 0; i < 50; i++) {
      const s = randomScalar();
      expect(s >= 1n && s < CURVE_ORDER).toBe(true);
      expect((s * scalarInvert(s)) % CURVE_ORDER).toBe(1n);
    }
    expect(() => scalarInvert(0n)).toThrow();
  });
});

describe('scalar multiplication', () => {
  it('mulSecret, mulPublic and fixed-base tables agree, including 0 and ℓ−1', () => {
    const mulH = createFixedBaseMul(BASE_H);
    const edge: Scalar[] = [0n, 1n, 2n, CURVE_ORDER - 1n];
    for (const s of edge) {
      expect(mulSecret(BASE_H, s).equals(mulPublic(BASE_H, s))).toBe(true);
      expect(mulH(s).equals(mulPublic(BASE_H, s))).toBe(true);
    }
    expect(mulSecret(BASE_G, 0n).is0()).toBe(true);
    fc.assert(
      fc.property(scalarArb, (s) => {
        expect(mulSecret(BASE_G, s).equals(mulPublic(BASE_G, s))).toBe(true);
        expect(mulH(s).equals(mulPublic(BASE_H, s))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('multiScalarMul equals the naive sum on both the Strauss and the Pippenger path', () => {
    for (const n of [0, 1, 3, 130]) {
      const scalars = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0n : randomScalar()));
      const points = Array.from({ length: n }, (_, i) => mulPublic(BASE_G, BigInt(i + 1)));
      let naive = IDENTITY;
      for (let i = 0; i < n; i++) naive = naive.add(mulPublic(points[i] as Point, scalars[i] as Scalar));
      expect(multiScalarMul(scalars, points).equals(naive)).toBe(true);
    }
    expect(() => multiScalarMul([1n], [])).toThrow();
    expect(() => multiScalarMul([CURVE_ORDER], [BASE_G])).toThrow();
  });
});
