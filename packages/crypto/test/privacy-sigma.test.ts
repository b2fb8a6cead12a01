import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { isWeftError } from '../src/errors.js';
import {
  BASE_G,
  BASE_H,
  CURVE_ORDER,
  mulPublic,
  type Point,
  pointFromBytes,
  randomScalar,
  type Scalar,
} from '../src/privacy/group.js';
import { commit, type PedersenOpening } from '../src/privacy/pedersen.js';
import {
  aggregatePoints,
  arithmeticProofFromBytes,
  arithmeticProofToBytes,
  eitherEqualityProofFromBytes,
  eitherEqualityProofToBytes,
  equalityProofFromBytes,
  equalityProofToBytes,
  formatProofFromBytes,
  formatProofToBytes,
  knowledgeProofFromBytes,
  knowledgeProofToBytes,
  proveEitherEquality,
  proveEquality,
  proveFormat,
  proveKnowledge,
  proveProduct,
  proveSum,
  verifyEitherEquality,
  verifyEquality,
  verifyFormat,
  verifyKnowledge,
  verifyProduct,
  verifySum,
} from '../src/privacy/sigma.js';

const P = (h: string): Point => pointFromBytes(hexToBytes(h));
const G_HEX = 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76';
const H_HEX = '8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134';

/**
 * Cross-implementation vectors: proofs produced by WeDPR-Lab-Crypto (Rust) and checked by FISCO BCOS's
 * ZkpPrecompiled, copied from FISCO-BCOS/FISCO-BCOS bcos-crypto/test/unittests/ZkpTest.cpp
 * (test cases testAggregateRistrettoPoint … testVerifyEqualityProof), including the negative cases
 * that file asserts (swapped commitments must fail).
 */
const FISCO = {
  aggregate: [
    [
      '5ede6177a14b66389ab5fe5785d7c14adf2a3973aa7c3070878954937e47746f',
      'd21b3e0fde82da359493b96b8f3633f9ba39bbb8d8d72c951c173639c750c248',
      '327ea1e62fd6c6a3fc8fb203618fbf2f7924bbfbdec52a9324bd6964c4c0ca12',
    ],
    [
      '786058ceffe85198ef127b6a9781b07adbe3b2d21de87a26804e6a1b43cd4135',
      '18df09397eed2a614062649be865da8e26cbdd8848fdbed7e8ae8b0e67745d52',
      '36f238ce7215e9704a60c631ac0d576a5d816baf6fc1092798d3bd6ae260f540',
    ],
  ],
  either: {
    c1: 'e0ad69e116f7aa07e7ce1d9e55eec9be69baa310ec4616fbf7e11756a3ff3627',
    c2: '8020353cff25729feb2d057330434b423b5b01fc6325b9c5aae49df56dceff7b',
    c3: 'aac55c73d60521c0978394872db2a8a9ee21b67ea990e6cd1301f71e6f449216',
    proof:
      'd13f92f8ff02ed667f318f90e63db8f7c6cc5504bca4d30ba5ba98ee27762500c97cabd65e0d0f383e2a86ded2' +
      '95e8a6b5474c59455802a1d48e480de1b2be08fb48782b96d8090c9b4b619a8998f8cc8999d12edb7e0fbdb394' +
      '6c7373b41509807b2a1b88febf3058f843d73e72f73841093be86e20cb0c16f28ee5ffd3750aa90efe06abee0e' +
      '893f6af3dbd214a66d312ae4dd1253dd3bcb70dfc5f9821e03a92492bd5a18e05e64c98165b8a433f068c39796' +
      '703d8069b6c3fae2b4406d06f54a46f05c5d321c4ed01f1c72c9a89c3d3ba7adbd807da14148dd4c77b41c07c4' +
      '3d026dd14fa7c025ad3a06a9a891149d6a25268b49f79cc016c6c49bafd107',
    zeroC1: 'ced7f98f75ab04635c7acd0600a67067b5c3475a82911aa02cdd92864a273118',
    zeroProof:
      '4bdc1283354b39dbb901b5bd96ee1de30601bf6321c2348f3c594b2a0fe8b306eba04833e1b817c25f50103b95' +
      '7ae8657f8e3497b92d993ffd040ad4a4f28a0e831601c9efde53fd3252d6e70aa0f10ecd6852739ae03fc20b4a' +
      'aeb922fc3c0895be82ed5be7012dbb25615e41b6184f76f39ecc01a3696c9d5dd8acb79d1b0fcf8db3cc437612' +
      'a333d67298562f994857b73cc241cc550cb8ec19057c669e0b7535f5c0b3f73d6778a6d6f9d762cd35be7d6603' +
      'a04767c24de80b6544577306bf42cc0f703fddfefffc50b88a1f275c31ceed85cbf0de458fc570ddf4ba570185' +
      'd6c0a0b18c136fd2fc16e7bdde856e90ab7488b44ed829ca305d861df1e30e',
  },
  knowledge: {
    c: 'c2e63cef83875e81ea26e00546102cfbbca50ec21a92d077df9100d1bc3a461e',
    proof:
      '5466f3449a00af0d922670b9f80295c6a685c23713349a91a36e4c082a3e282f9aa835448523cfc62b527d7533' +
      '0845f4e889c2e70e844c35177a9f0647e3d00b0d17ac6a70acbf14f9a7d838a0b4fe251ba59dc00404cb7d243d' +
      'd4cba1832d0f',
    blindingBase: '625c50529218ebb9f80e296886f4ac5bb55e06416db27b901c552d3e06ec4871',
  },
  format: {
    c1: 'febd4c0d856502a95986a7181c42c51768846755147f178c3646a12834b4e63d',
    c2: 'ce8c95f13b202defc2bd0e3ddf62dddeb478b693b5f20ce9cd28b64c473aef0f',
    proof:
      '80b7cb7fe7f4aa86b86b7d375d15242cc33336e8b2b735807d9a786be353f0544e99b6d416ce1f1b8d97894f33' +
      'd2c94dbe4987dea483ac68cf44b2abf7c6594dc12255a9babc8bd275fe3103ea44d0a33cc3cad8f2d0ef4ca5fc' +
      '9257464ecd0405bde6b3bb5e612b14c738e6221940a3f07e82344693867bcd6c85360bbff40e',
    blindingBase: 'c2b614cc98c793bff0298b0c0881fa78261f0bc6d5f826484257b34d3480c22e',
  },
  sum: {
    c1: 'd4cc1326224453213b6a8d758a87bda4612cfabc7992127580e39cddba6ca234',
    c2: '6839477d311c001e605001c6f270b99429b0b2a3fc7e8e0ae70fe77c4c203a1e',
    c3: 'b050a9a8baae17bdaa7d0cac3f3f2fbb2634a02ca0a86962f2ece308b6fffa3e',
    proof:
      'fca6e4c20eaa0c167aecd92579b726851369cd993b2204aef6d48064522b2f17849ad5218b1caf6857db0df2f9' +
      'db348f981e928f61b26aa4b83d2f834332237bf6a293eb4e1161db741fe77c4c22e4109cb4d9fc2baada7c46d1' +
      '2a567fe1114cc24be6612d716b0ff984a98d52a6b0215ffd3ae05afb1e3ce2ea326bb1f66f0ed805efec8c1b73' +
      'b87541f05bb28fa8bc4a52c1a0505a420f4b55b088900e75000e49b79e6039f17d9f8f01cf6090a3e8b3946113' +
      '897e090e46671b6272ecde05412f27c2cd4f06d738473a561bf23cb6bf96960db30a6b414660977417ae580d44' +
      '8123c5f895f563adf7bc56fe7ca7a42149dc0ac4a4203ccc3b68daa5cc1504',
  },
  product: {
    c1: '54a33c1e4a2f7c9201b888b2260aade604a546e5acf49c63bd016fc442270640',
    c2: '80c99be28493d198e4c2780446d54701a7773ef0d5c4f511d04a832047c62971',
    c3: '66b290292161da6e43fcd32ef103a674fa9535155443bcba462455a838bac71f',
    proof:
      '687f1bed4716b0e1b0ab3c855594bf82e119b48f71f0f2c42cdb43725bbe2d39b0ed1666b78c87b785e2c7bbd0' +
      '69981be08634a8c9ee712bd94cf30153f63e2974a00e328f42b3992fce13f66a44adb0a5b8814a3bc34d3da406' +
      'f3d90014bc679cd0e0456ae03f1cf34156aec93d1b0c81f2e14de374c4d90540562181073500512781dc90f142' +
      '30e152e313c8571c9406a9497480d7b71c8b38564dd4c2dd051acc1d1db1acd4528a2ef9911ab487b192abf7d5' +
      '3ea94cbd5ed83ca23d7c760d70231328c4a4008cc58de545712dae4f1d336b8562ec59468b737c30b76938002f' +
      '79a5923855cf48c6399fa25cebeea13502768ed584dc04b2821b35fb32540d',
  },
  equality: {
    c1: '62bf13dcf116499f3970b8497120741e9dc66fe1d9c3a34274b5e7e851398f40',
    c2: '6c07f2bd045bd4058e2f8c15b618193229a749827784c6e0b62ee175a987c510',
    proof:
      'a782e114de54fd1460081bae2b05edfc157b6ff31cb55c85d81c130556fb5b03e2569d3ec8e78be9732e73a6c5' +
      'e9c0e231aff1171ae87453747cabaaf2cfdc1de474d1c45b0ac1454e5b3ba860d73d5938b2536f06a13b321fe9' +
      '664acfc0c013',
  },
};

describe('WeDPR / FISCO BCOS cross-implementation vectors', () => {
  it('uses the same bases as the vectors', () => {
    expect(P(G_HEX).equals(BASE_G)).toBe(true);
    expect(P(H_HEX).equals(BASE_H)).toBe(true);
  });

  it('aggregatePoint', () => {
    for (const [a, b, sum] of FISCO.aggregate) {
      expect(bytesToHex(aggregatePoints(hexToBytes(a as string), hexToBytes(b as string)))).toBe(`0x${sum}`);
    }
  });

  it('verifyEitherEqualityProof (equal branch, zero branch, swapped inputs)', () => {
    const v = FISCO.either;
    const proof = eitherEqualityProofFromBytes(hexToBytes(v.proof));
    expect(verifyEitherEquality(P(v.c1), P(v.c2), P(v.c3), proof)).toBe(true);
    expect(verifyEitherEquality(P(v.c2), P(v.c2), P(v.c1), proof)).toBe(false);
    const zero = eitherEqualityProofFromBytes(hexToBytes(v.zeroProof));
    expect(verifyEitherEquality(P(v.zeroC1), P(v.c2), P(v.c3), zero)).toBe(true);
    expect(verifyEitherEquality(P(v.c1), P(v.c2), P(v.c3), zero)).toBe(false);
  });

  it('verifyKnowledgeProof with a custom blinding base', () => {
    const v = FISCO.knowledge;
    const proof = knowledgeProofFromBytes(hexToBytes(v.proof));
    const options = { valueBase: BASE_G, blindingBase: P(v.blindingBase) };
    expect(verifyKnowledge(P(v.c), proof, options)).toBe(true);
    expect(verifyKnowledge(BASE_G, proof, { valueBase: P(v.c), blindingBase: P(v.blindingBase) })).toBe(
      false,
    );
  });

  it('verifyFormatProof (c1Base = G, c2Base = H, custom blinding base)', () => {
    const v = FISCO.format;
    const proof = formatProofFromBytes(hexToBytes(v.proof));
    const options = { c1Base: BASE_G, c2Base: BASE_H, blindingBase: P(v.blindingBase) };
    expect(verifyFormat(P(v.c1), P(v.c2), proof, options)).toBe(true);
    expect(verifyFormat(P(v.c2), P(v.c1), proof, options)).toBe(false);
  });

  it('verifySumProof and verifyProductProof', () => {
    const s = FISCO.sum;
    const sum = arithmeticProofFromBytes(hexToBytes(s.proof));
    expect(verifySum(P(s.c1), P(s.c2), P(s.c3), sum)).toBe(true);
    expect(verifySum(P(s.c2), P(s.c1), P(s.c3), sum)).toBe(false);
    const p = FISCO.product;
    const product = arithmeticProofFromBytes(hexToBytes(p.proof));
    expect(verifyProduct(P(p.c1), P(p.c2), P(p.c3), product)).toBe(true);
    expect(verifyProduct(P(p.c2), P(p.c1), P(p.c3), product)).toBe(false);
    expect(verifySum(P(p.c1), P(p.c2), P(p.c3), product)).toBe(false);
  });

  it('verifyEqualityProof (layout m1 ‖ t1 ‖ t2)', () => {
    const v = FISCO.equality;
    const proof = equalityProofFromBytes(hexToBytes(v.proof));
    expect(verifyEquality(P(v.c1), P(v.c2), proof)).toBe(true);
    expect(verifyEquality(P(v.c2), P(v.c1), proof)).toBe(false);
  });

  it('re-encodes every vector byte-for-byte', () => {
    const roundTrips: [string, (b: Uint8Array) => Uint8Array][] = [
      [FISCO.either.proof, (b) => eitherEqualityProofToBytes(eitherEqualityProofFromBytes(b))],
      [FISCO.knowledge.proof, (b) => knowledgeProofToBytes(knowledgeProofFromBytes(b))],
      [FISCO.format.proof, (b) => formatProofToBytes(formatProofFromBytes(b))],
      [FISCO.sum.proof, (b) => arithmeticProofToBytes(arithmeticProofFromBytes(b))],
      [FISCO.equality.proof, (b) => equalityProofToBytes(equalityProofFromBytes(b))],
    ];
    for (const [h, rt] of roundTrips) expect(bytesToHex(rt(hexToBytes(h)))).toBe(`0x${h}`);
  });
});

// ---------------------------------------------------------------------------------------------

/** Every case: a fresh proof's bytes, a verifier from bytes, and alternative statements that must fail. */
interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly verifyBytes: (b: Uint8Array, context?: Uint8Array) => boolean;
  /** Statements with one input changed (commitment, base) — each must reject the proof. */
  readonly wrongStatements: (() => boolean)[];
}

function rejects(f: () => boolean): boolean {
  try {
    return !f();
  } catch {
    return true;
  }
}

const CONTEXT = new Uint8Array([0x77, 0x65, 0x66, 0x74]);
const opening = (value: Scalar): PedersenOpening => ({ value, blinding: randomScalar() });
const other = (): Point => mulPublic(BASE_G, randomScalar());

function buildCases(context?: Uint8Array): Case[] {
  const ctx = context === undefined ? {} : { context };
  const o = opening(123456789n);
  const c = commit(o.value, o.blinding);
  const knowledge = knowledgeProofToBytes(proveKnowledge(o, ctx));

  const b2 = other();
  const formatOpts = { c2Base: b2, ...ctx };
  const format = formatProofToBytes(proveFormat(o, formatOpts));
  const fc1 = commit(o.value, o.blinding);
  const fc2 = mulPublic(b2, o.blinding);

  const o1 = opening(30n);
  const o2 = opening(10n);
  const r3 = randomScalar();
  const s1 = commit(o1.value, o1.blinding);
  const s2 = commit(o2.value, o2.blinding);
  const s3 = commit(40n, r3);
  const sum = arithmeticProofToBytes(proveSum(o1, o2, r3, ctx));
  const p3 = commit(300n, r3);
  const product = arithmeticProofToBytes(proveProduct(o1, o2, r3, ctx));

  const x = randomScalar();
  const e1 = mulPublic(BASE_G, x);
  const e2 = mulPublic(BASE_H, x);
  const equality = equalityProofToBytes(proveEquality(x, ctx));

  const a = opening(100n);
  const b = opening(100n);
  const z3 = randomScalar();
  const ea = commit(a.value, a.blinding);
  const eb = commit(b.value, b.blinding);
  const ez = mulPublic(BASE_H, z3);
  const either = eitherEqualityProofToBytes(proveEitherEquality(a, b, z3, ctx));

  const withCtx = (k?: Uint8Array) => (k === undefined ? {} : { context: k });
  return [
    {
      name: 'knowledge',
      bytes: knowledge,
      verifyBytes: (bytes, k) => verifyKnowledge(c, knowledgeProofFromBytes(bytes), withCtx(k)),
      wrongStatements: [
        () => verifyKnowledge(other(), knowledgeProofFromBytes(knowledge), ctx),
        () => verifyKnowledge(c, knowledgeProofFromBytes(knowledge), { ...ctx, blindingBase: other() }),
        () => verifyKnowledge(c, knowledgeProofFromBytes(knowledge), { ...ctx, valueBase: other() }),
      ],
    },
    {
      name: 'format',
      bytes: format,
      verifyBytes: (bytes, k) =>
        verifyFormat(fc1, fc2, formatProofFromBytes(bytes), { c2Base: b2, ...withCtx(k) }),
      wrongStatements: [
        () => verifyFormat(other(), fc2, formatProofFromBytes(format), formatOpts),
        () => verifyFormat(fc1, other(), formatProofFromBytes(format), formatOpts),
        () => verifyFormat(fc1, fc2, formatProofFromBytes(format), { ...formatOpts, c2Base: other() }),
      ],
    },
    {
      name: 'sum',
      bytes: sum,
      verifyBytes: (bytes, k) => verifySum(s1, s2, s3, arithmeticProofFromBytes(bytes), withCtx(k)),
      wrongStatements: [
        () => verifySum(other(), s2, s3, arithmeticProofFromBytes(sum), ctx),
        () => verifySum(s1, other(), s3, arithmeticProofFromBytes(sum), ctx),
        () => verifySum(s1, s2, commit(41n, r3), arithmeticProofFromBytes(sum), ctx),
        () => verifySum(s1, s2, s3, arithmeticProofFromBytes(sum), { ...ctx, blindingBase: other() }),
      ],
    },
    {
      name: 'product',
      bytes: product,
      verifyBytes: (bytes, k) => verifyProduct(s1, s2, p3, arithmeticProofFromBytes(bytes), withCtx(k)),
      wrongStatements: [
        () => verifyProduct(other(), s2, p3, arithmeticProofFromBytes(product), ctx),
        () => verifyProduct(s1, s2, commit(301n, r3), arithmeticProofFromBytes(product), ctx),
        () => verifyProduct(s1, s2, p3, arithmeticProofFromBytes(product), { ...ctx, valueBase: other() }),
      ],
    },
    {
      name: 'equality',
      bytes: equality,
      verifyBytes: (bytes, k) => verifyEquality(e1, e2, equalityProofFromBytes(bytes), withCtx(k)),
      wrongStatements: [
        () => verifyEquality(other(), e2, equalityProofFromBytes(equality), ctx),
        () => verifyEquality(e1, e2.add(BASE_G), equalityProofFromBytes(equality), ctx),
        () => verifyEquality(e1, e2, equalityProofFromBytes(equality), { ...ctx, base2: other() }),
      ],
    },
    {
      name: 'either-equality',
      bytes: either,
      verifyBytes: (bytes, k) =>
        verifyEitherEquality(ea, eb, ez, eitherEqualityProofFromBytes(bytes), withCtx(k)),
      wrongStatements: [
        () => verifyEitherEquality(other(), eb, ez, eitherEqualityProofFromBytes(either), ctx),
        () => verifyEitherEquality(ea, other(), ez, eitherEqualityProofFromBytes(either), ctx),
        () => verifyEitherEquality(ea, eb, other(), eitherEqualityProofFromBytes(either), ctx),
      ],
    },
  ];
}

describe('sigma proofs: completeness and soundness checks', () => {
  const cases = buildCases();
  const contextCases = buildCases(CONTEXT);

  for (const [i, cs] of cases.entries()) {
    const withContext = contextCases[i] as Case;

    it(`${cs.name}: honest proof verifies, with and without context`, () => {
      expect(cs.verifyBytes(cs.bytes)).toBe(true);
      expect(withContext.verifyBytes(withContext.bytes, CONTEXT)).toBe(true);
    });

    it(`${cs.name}: flipping any single byte of the proof makes it fail`, () => {
      for (let i = 0; i < cs.bytes.length; i++) {
        const bad = cs.bytes.slice();
        bad[i] = (bad[i] as number) ^ (1 << (i % 8));
        expect(
          rejects(() => cs.verifyBytes(bad)),
          `byte ${i}`,
        ).toBe(true);
      }
    });

    it(`${cs.name}: a changed statement, base or context makes it fail`, () => {
      for (const wrong of cs.wrongStatements) expect(rejects(wrong)).toBe(true);
      for (const wrong of withContext.wrongStatements) expect(rejects(wrong)).toBe(true);
      // No context → proof made with a context does not verify, and vice versa (WeDPR mode).
      expect(rejects(() => withContext.verifyBytes(withContext.bytes))).toBe(true);
      expect(rejects(() => withContext.verifyBytes(withContext.bytes, new Uint8Array([0x77])))).toBe(true);
      expect(rejects(() => cs.verifyBytes(cs.bytes, CONTEXT))).toBe(true);
    });

    it(`${cs.name}: wrong lengths and non-canonical scalars are rejected when decoding`, () => {
      expect(rejects(() => cs.verifyBytes(cs.bytes.subarray(0, cs.bytes.length - 1)))).toBe(true);
      const longer = new Uint8Array(cs.bytes.length + 1);
      longer.set(cs.bytes);
      let error: unknown;
      try {
        cs.verifyBytes(longer);
      } catch (e: unknown) {
        error = e;
      }
      expect(isWeftError(error, 'INVALID_PROOF')).toBe(true);
      // Find the last 32-byte field holding a scalar s < 2^256 − ℓ and re-encode it as s + ℓ.
      for (let off = cs.bytes.length - 32; off >= 0; off -= 32) {
        let s = 0n;
        for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(cs.bytes[off + i] as number);
        if (s >= CURVE_ORDER || s + CURVE_ORDER >= 2n ** 256n) continue;
        const bumped = cs.bytes.slice();
        let v = s + CURVE_ORDER;
        for (let i = 0; i < 32; i++) {
          bumped[off + i] = Number(v & 0xffn);
          v >>= 8n;
        }
        expect(rejects(() => cs.verifyBytes(bumped))).toBe(true);
        break;
      }
    });
  }
});

describe('sigma proofs: properties', () => {
  const small = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

  it('sum and product proofs verify for arbitrary u64 values and fail for a wrong result', () => {
    fc.assert(
      fc.property(small, small, (v1, v2) => {
        const o1 = opening(v1);
        const o2 = opening(v2);
        const r3 = randomScalar();
        const c1 = commit(v1, o1.blinding);
        const c2 = commit(v2, o2.blinding);
        const sum = proveSum(o1, o2, r3);
        expect(verifySum(c1, c2, commit((v1 + v2) % CURVE_ORDER, r3), sum)).toBe(true);
        expect(verifySum(c1, c2, commit((v1 + v2 + 1n) % CURVE_ORDER, r3), sum)).toBe(false);
        const product = proveProduct(o1, o2, r3);
        expect(verifyProduct(c1, c2, commit((v1 * v2) % CURVE_ORDER, r3), product)).toBe(true);
        expect(verifyProduct(c1, c2, commit((v1 * v2 + 1n) % CURVE_ORDER, r3), product)).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('either-equality proves both branches and refuses a false witness', () => {
    fc.assert(
      fc.property(small, fc.boolean(), (v, zeroBranch) => {
        const o1 = opening(zeroBranch ? 0n : v);
        const o2 = opening(v === 0n && zeroBranch ? 1n : v);
        const r3 = randomScalar();
        const proof = proveEitherEquality(o1, o2, r3);
        const c1 = commit(o1.value, o1.blinding);
        const c2 = commit(o2.value, o2.blinding);
        const c3 = mulPublic(BASE_H, r3);
        expect(verifyEitherEquality(c1, c2, c3, proof)).toBe(true);
        // C1 replaced by a commitment to a value in neither branch:
        expect(verifyEitherEquality(commit(o2.value + 1n, o1.blinding), c2, c3, proof)).toBe(false);
      }),
      { numRuns: 8 },
    );
    let error: unknown;
    try {
      proveEitherEquality(opening(5n), opening(6n), randomScalar());
    } catch (e: unknown) {
      error = e;
    }
    expect(isWeftError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('knowledge proofs for value 0 and for the largest scalar verify', () => {
    for (const v of [0n, 1n, CURVE_ORDER - 1n]) {
      const o = opening(v);
      expect(verifyKnowledge(commit(v, o.blinding), proveKnowledge(o))).toBe(true);
    }
  });

  it('verifiers return false (never throw) on garbage statement objects', () => {
    const proof = proveKnowledge(opening(1n));
    expect(verifyKnowledge('nope' as unknown as Point, proof)).toBe(false);
    expect(verifyKnowledge(BASE_G, { ...proof, m1: CURVE_ORDER })).toBe(false);
  });
});
