import { bytesToHex, concatBytes, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertCommitCertificate,
  faultTolerance,
  leaderIndex,
  quorumSize,
  verifyCommitCertificate,
} from '../src/consensus/certificate.js';
import {
  type CodecLimits,
  type ConsensusMessage,
  commitDigest,
  decodeCertificate,
  decodeMessage,
  decodeMessageHeader,
  decodeWalRecord,
  encodeCertificate,
  encodeMessage,
  encodeWalRecord,
  viewChangeDigest,
  voteDigest,
} from '../src/consensus/codec.js';
import { consensusCryptoFromSuite } from '../src/consensus/pbft.js';
import type { CommitCertificate, PreparedCertificate, WalRecord } from '../src/consensus/types.js';

const SIG = 65;
const limits: CodecLimits = { signatureLength: SIG, maxBlockBytes: 2048 };

// ---------------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------------

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const signatureArb = fc.uint8Array({ minLength: SIG, maxLength: SIG });
const block = fc.uint8Array({ minLength: 1, maxLength: 300 });
const signerIndex = fc.integer({ min: 0, max: 1023 });

const quorum = fc.uniqueArray(signerIndex, { minLength: 1, maxLength: 7 }).chain((signers) =>
  fc.record({
    signers: fc.constant([...signers].sort((a, b) => a - b)),
    signatures: fc.array(signatureArb, { minLength: signers.length, maxLength: signers.length }),
  }),
);

const preparedBelow = (view: number): fc.Arbitrary<PreparedCertificate | null> =>
  view === 0
    ? fc.constant(null)
    : fc.option(
        fc
          .record({ view: fc.integer({ min: 0, max: view - 1 }), blockHash: hash32, quorum })
          .map(({ view, blockHash, quorum }) => ({ view, blockHash, ...quorum })),
        { nil: null },
      );

const header = fc.record({ chainId: u64, height: u64, signer: signerIndex });

const voteMessage: fc.Arbitrary<ConsensusMessage> = fc
  .record({
    header,
    kind: fc.constantFrom('prepare' as const, 'commit' as const),
    view: fc.integer({ min: 0, max: 0xffff_ffff }),
    blockHash: hash32,
    signature: signatureArb,
  })
  .map(({ header, ...rest }) => ({ ...header, ...rest }));

const viewChangeMessage: fc.Arbitrary<ConsensusMessage> = fc
  .record({ header, view: fc.integer({ min: 1, max: 50 }), signature: signatureArb })
  .chain(({ header, view, signature }) =>
    preparedBelow(view).chain((prepared) =>
      (prepared === null ? fc.constant(null) : fc.option(block, { nil: null })).map((preparedBlock) => ({
        ...header,
        kind: 'viewChange' as const,
        view,
        prepared,
        preparedBlock,
        signature,
      })),
    ),
  );

const proposalMessage: fc.Arbitrary<ConsensusMessage> = fc
  .record({
    header,
    view: fc.integer({ min: 0, max: 50 }),
    blockHash: hash32,
    block,
    signature: signatureArb,
  })
  .chain(({ header, view, blockHash, block, signature }) =>
    (view === 0
      ? fc.constant([])
      : fc.uniqueArray(signerIndex, { minLength: 1, maxLength: 5 }).chain((signers) =>
          fc.tuple(
            ...[...signers]
              .sort((a, b) => a - b)
              .map((signer) =>
                fc.record({
                  signer: fc.constant(signer),
                  prepared: preparedBelow(view),
                  signature: signatureArb,
                }),
              ),
          ),
        )
    ).map((justification) => ({
      ...header,
      kind: 'proposal' as const,
      view,
      blockHash,
      block,
      justification,
      signature,
    })),
  );

const anyMessage = fc.oneof(voteMessage, viewChangeMessage, proposalMessage);

/** Decoding either rejects with a typed, penalising error, or accepts the one canonical encoding. */
function expectStrict(bytes: Uint8Array): void {
  let decoded: ConsensusMessage;
  try {
    decoded = decodeMessage(bytes, limits);
  } catch (error: unknown) {
    expect(isWeftError(error, 'INVALID_MESSAGE')).toBe(true);
    expect((error as { penalise: boolean }).penalise).toBe(true);
    return;
  }
  expect(bytesToHex(encodeMessage(decoded))).toBe(bytesToHex(bytes));
}

function expectRejected(bytes: Uint8Array): void {
  expect(() => decodeMessage(bytes, limits)).toThrowError(
    expect.objectContaining({ code: 'INVALID_MESSAGE', penalise: true }),
  );
}

// ---------------------------------------------------------------------------------------------------------

describe('consensus codec: messages', () => {
  it('round-trips every message kind', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const bytes = encodeMessage(message);
        expect(decodeMessage(bytes, limits)).toEqual(message);
        const head = decodeMessageHeader(bytes);
        expect(head).toEqual({
          kind: message.kind,
          chainId: message.chainId,
          height: message.height,
          view: message.view,
          signer: message.signer,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every truncation and any trailing byte', () => {
    fc.assert(
      fc.property(anyMessage, fc.integer({ min: 0, max: 255 }), (message, extra) => {
        const bytes = encodeMessage(message);
        for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
          expectRejected(bytes.subarray(0, cut));
        }
        expectRejected(bytes.subarray(0, bytes.length - 1));
        expectRejected(concatBytes(bytes, Uint8Array.of(extra)));
      }),
      { numRuns: 150 },
    );
  });

  it('accepts a single-byte mutation only if it is itself a canonical encoding', () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, delta) => {
        const bytes = encodeMessage(message).slice();
        const i = at % bytes.length;
        bytes[i] = ((bytes[i] as number) + delta) & 0xff;
        expectStrict(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but INVALID_MESSAGE on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => expectStrict(bytes)),
      { numRuns: 500 },
    );
    // Random bytes behind a valid-looking header reach the body decoders.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.uint8Array({ maxLength: 300 }), (kind, body) => {
        const head = concatBytes(
          Uint8Array.of(1, kind),
          new Uint8Array(8),
          new Uint8Array(8),
          new Uint8Array(6),
        );
        expectStrict(concatBytes(head, body));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects specific non-canonical or out-of-bounds encodings', () => {
    const prepare: ConsensusMessage = {
      kind: 'prepare',
      chainId: 1n,
      height: 2n,
      view: 3,
      signer: 0,
      blockHash: new Uint8Array(32).fill(7),
      signature: new Uint8Array(SIG).fill(9),
    };
    const good = encodeMessage(prepare);
    expect(decodeMessage(good, limits)).toEqual(prepare);
    const wrongVersion = good.slice();
    wrongVersion[0] = 2;
    expectRejected(wrongVersion);
    const unknownKind = good.slice();
    unknownKind[1] = 9;
    expectRejected(unknownKind);
    expect(() => decodeMessageHeader(good.subarray(0, 23))).toThrowError(
      expect.objectContaining({ code: 'INVALID_MESSAGE' }),
    );
    // A signature of the wrong length for the suite.
    expectRejected(encodeMessage({ ...prepare, signature: new Uint8Array(SIG - 1) }));

    const viewChange = (over: Partial<Extract<ConsensusMessage, { kind: 'viewChange' }>>): Uint8Array =>
      encodeMessage({
        kind: 'viewChange',
        chainId: 1n,
        height: 2n,
        view: 2,
        signer: 1,
        prepared: null,
        preparedBlock: null,
        signature: new Uint8Array(SIG),
        ...over,
      });
    const cert = (view: number, signers: number[]): PreparedCertificate => ({
      view,
      blockHash: new Uint8Array(32),
      signers,
      signatures: signers.map(() => new Uint8Array(SIG)),
    });
    expect(decodeMessage(viewChange({ prepared: cert(1, [0, 1, 2]) }), limits).kind).toBe('viewChange');
    expectRejected(viewChange({ view: 0 })); // nobody asks for view 0
    expectRejected(viewChange({ prepared: cert(2, [0, 1, 2]) })); // prepared view must be below
    expectRejected(viewChange({ preparedBlock: Uint8Array.of(1) })); // a block without a certificate
    const unsorted = viewChange({ prepared: cert(1, [0, 1, 2]) }).slice();
    // Swap the first two signer indices of the quorum (offset: header 24 + flag 1 + view 4 + hash 32 + count 2).
    unsorted[27 + 32 + 2 + 1] = 1;
    unsorted[27 + 32 + 2 + 2 + SIG + 1] = 0;
    expectRejected(unsorted);
    const badFlag = viewChange({}).slice();
    badFlag[24] = 2;
    expectRejected(badFlag);
    expect(() => encodeMessage({ ...prepare, view: 2 ** 32 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );

    const proposal = (view: number, justification: number): Uint8Array =>
      encodeMessage({
        kind: 'proposal',
        chainId: 1n,
        height: 2n,
        view,
        signer: 0,
        blockHash: new Uint8Array(32),
        block: new Uint8Array(limits.maxBlockBytes + 1),
        justification: Array.from({ length: justification }, (_, signer) => ({
          signer,
          prepared: null,
          signature: new Uint8Array(SIG),
        })),
        signature: new Uint8Array(SIG),
      });
    expectRejected(proposal(0, 0)); // block over the limit
    expect(() =>
      decodeMessage(proposal(0, 0), { ...limits, maxBlockBytes: limits.maxBlockBytes + 1 }),
    ).not.toThrow();
    const relaxed = { ...limits, maxBlockBytes: limits.maxBlockBytes + 1 };
    expect(() => decodeMessage(proposal(0, 1), relaxed)).toThrowError(/justification/); // view 0 needs none
    expect(() => decodeMessage(proposal(1, 0), relaxed)).toThrowError(/justification/); // view 1 needs one
  });

  it('never echoes message bytes in its errors', () => {
    const secretLooking = new Uint8Array(64).fill(0xab);
    try {
      decodeMessage(concatBytes(Uint8Array.of(1, 2), secretLooking), limits);
      expect.unreachable();
    } catch (error: unknown) {
      expect(String((error as Error).message)).not.toMatch(/ab{4}|abab/i);
    }
  });
});

describe('consensus codec: digests', () => {
  /** The digest preimages are part of the protocol: pinned here byte for byte (docs/consensus.md). */
  it('signs the documented preimages', () => {
    const seen: string[] = [];
    const capture = (data: Uint8Array): Uint8Array => {
      seen.push(bytesToHex(data));
      return new Uint8Array(32);
    };
    const blockHash = new Uint8Array(32).fill(0x11);
    const tag = '574546542d504246542d5631'; // "WEFT-PBFT-V1"
    voteDigest(capture, 'proposal', 1n, 2n, 3, blockHash);
    voteDigest(capture, 'prepare', 1n, 2n, 3, blockHash);
    commitDigest(capture, 1n, 2n, 3, blockHash);
    viewChangeDigest(capture, 1n, 2n, 4, null);
    viewChangeDigest(capture, 1n, 2n, 4, { view: 3, blockHash });
    const body = `0000000000000001${'0000000000000002'}00000003${'11'.repeat(32)}`;
    expect(seen).toEqual([
      `0x${tag}01${body}`,
      `0x${tag}02${body}`,
      `0x${tag}03${body}`,
      `0x${tag}04${'0000000000000001'}${'0000000000000002'}00000004${'00'}00000000${'00'.repeat(32)}`,
      `0x${tag}04${'0000000000000001'}${'0000000000000002'}00000004${'01'}00000003${'11'.repeat(32)}`,
    ]);
  });

  it('separates phases, chains, heights, views and blocks', () => {
    const suite = getSuite('ecdsa');
    const h = new Uint8Array(32).fill(1);
    const digests = [
      voteDigest(suite.hash, 'prepare', 1n, 1n, 0, h),
      voteDigest(suite.hash, 'commit', 1n, 1n, 0, h),
      voteDigest(suite.hash, 'proposal', 1n, 1n, 0, h),
      voteDigest(suite.hash, 'commit', 2n, 1n, 0, h),
      voteDigest(suite.hash, 'commit', 1n, 2n, 0, h),
      voteDigest(suite.hash, 'commit', 1n, 1n, 1, h),
      voteDigest(suite.hash, 'commit', 1n, 1n, 0, new Uint8Array(32)),
      viewChangeDigest(suite.hash, 1n, 1n, 1, null),
    ].map(bytesToHex);
    expect(new Set(digests).size).toBe(digests.length);
  });
});

describe('quorum arithmetic and leaders', () => {
  it('tolerates f = ⌊(n−1)/3⌋ faults with quorums that intersect in an honest validator', () => {
    const table = [1, 2, 3, 4, 5, 6, 7, 10, 100].map((n) => [n, faultTolerance(n), quorumSize(n)]);
    expect(table).toEqual([
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 3],
      [4, 1, 3],
      [5, 1, 4],
      [6, 1, 5],
      [7, 2, 5],
      [10, 3, 7],
      [100, 33, 67],
    ]);
    for (let n = 1; n <= 200; n++) {
      const f = faultTolerance(n);
      const q = quorumSize(n);
      expect(2 * q - n).toBeGreaterThanOrEqual(f + 1); // any two quorums share an honest validator
      expect(n - f).toBeGreaterThanOrEqual(q); // the honest validators alone form a quorum
    }
  });

  it('rotates the leader every height and every view', () => {
    expect([0, 1, 2, 3, 4].map((view) => leaderIndex(10n, view, 4))).toEqual([2, 3, 0, 1, 2]);
    expect([1n, 2n, 3n, 4n].map((height) => leaderIndex(height, 0, 4))).toEqual([1, 2, 3, 0]);
    expect(leaderIndex((1n << 64n) - 1n, 0xffff_ffff, 7)).toBe(
      Number(((1n << 64n) - 1n + 0xffff_ffffn) % 7n),
    );
  });
});

describe.each(['ecdsa', 'sm'] as const)('commit certificates (%s suite)', (suiteName) => {
  const suite = getSuite(suiteName);
  const keys = [1, 2, 3, 4].map((i) => {
    const privateKey = new Uint8Array(32);
    privateKey[31] = i;
    privateKey[0] = 0x42;
    return { privateKey, publicKey: suite.publicKeyFromPrivate(privateKey) };
  });
  const validators = keys.map((k) => k.publicKey);
  const chainId = 20_250_101n;
  const height = 42n;
  const blockHash = suite.hash(Uint8Array.of(1, 2, 3));
  const crypto = consensusCryptoFromSuite(suite, null);
  const context = { chainId, height, blockHash, validators, crypto: suite };

  function certificate(signers: number[], over: Partial<CommitCertificate> = {}): CommitCertificate {
    const view = over.view ?? 1;
    const digest = commitDigest(suite.hash, chainId, height, view, blockHash);
    return {
      chainId,
      height,
      view,
      blockHash,
      signers,
      signatures: signers.map((i) => suite.sign(digest, (keys[i] as { privateKey: Uint8Array }).privateKey)),
      ...over,
    };
  }

  it('verifies 2f+1 signatures from the sealer list alone, encoded or not', () => {
    const cert = certificate([0, 2, 3]);
    const bytes = encodeCertificate(cert);
    expect(decodeCertificate(bytes)).toEqual(cert);
    expect(verifyCommitCertificate(bytes, context)).toBe(true);
    expect(verifyCommitCertificate(cert, { ...context, crypto })).toBe(true);
    expect(verifyCommitCertificate(certificate([0, 1, 2, 3]), context)).toBe(true);
    expect(assertCommitCertificate(bytes, context).view).toBe(1);
  });

  it('rejects under-quorum, forged, misdirected and malformed certificates', () => {
    expect(verifyCommitCertificate(certificate([0, 1]), context)).toBe(false); // 2 < q = 3
    expect(() => assertCommitCertificate(certificate([0, 1]), context)).toThrowError(
      expect.objectContaining({ code: 'INVALID_PROOF' }),
    );
    expect(verifyCommitCertificate(certificate([0, 1, 2]), { ...context, chainId: chainId + 1n })).toBe(
      false,
    );
    expect(verifyCommitCertificate(certificate([0, 1, 2]), { ...context, height: height + 1n })).toBe(false);
    expect(
      verifyCommitCertificate(certificate([0, 1, 2]), { ...context, blockHash: new Uint8Array(32) }),
    ).toBe(false);
    // Signed for another view than the one it claims.
    const good = certificate([0, 1, 2]);
    expect(verifyCommitCertificate({ ...good, view: 2 }, context)).toBe(false);
    // One signature replaced by another validator's: same count, but not 3 distinct valid signers.
    expect(
      verifyCommitCertificate(
        { ...good, signatures: [good.signatures[0] as Uint8Array, ...good.signatures.slice(0, 2)] },
        context,
      ),
    ).toBe(false);
    // A duplicated signer (not encodable, so checked on the object).
    expect(verifyCommitCertificate({ ...good, signers: [0, 0, 1] }, context)).toBe(false);
    // A signer index outside the list.
    expect(verifyCommitCertificate({ ...good, signers: [0, 1, 4] }, context)).toBe(false);
    // Signed by keys that are not this height's sealers.
    const others = validators.map((_, i) =>
      suite.publicKeyFromPrivate(Uint8Array.from({ length: 32 }, () => 7 + i)),
    );
    expect(verifyCommitCertificate(good, { ...context, validators: others })).toBe(false);
    // Every single-bit flip of the encoding is rejected.
    const bytes = encodeCertificate(good);
    for (let i = 0; i < bytes.length; i += 3) {
      const flipped = bytes.slice();
      flipped[i] = (flipped[i] as number) ^ 0x04;
      expect(verifyCommitCertificate(flipped, context)).toBe(false);
    }
    expect(verifyCommitCertificate(bytes.subarray(0, bytes.length - 1), context)).toBe(false);
    expect(verifyCommitCertificate(concatBytes(bytes, Uint8Array.of(0)), context)).toBe(false);
    expect(verifyCommitCertificate(new Uint8Array(0), context)).toBe(false);
    expect(() => decodeCertificate(hexToBytes('0x01'))).toThrowError(
      expect.objectContaining({ code: 'INVALID_PROOF' }),
    );
  });
});

describe('WAL records', () => {
  it('round-trip, and reject corruption as a storage error', () => {
    fc.assert(
      fc.property(
        anyMessage,
        u64,
        quorum,
        hash32,
        block,
        fc.nat({ max: 1000 }),
        (message, height, q, h, b, view) => {
          const records: WalRecord[] = [
            { type: 'signed', height, message: encodeMessage(message) },
            { type: 'prepared', height, certificate: { view, blockHash: h, ...q }, block: b },
          ];
          for (const record of records) {
            const bytes = encodeWalRecord(record);
            expect(decodeWalRecord(bytes, limits)).toEqual(record);
            expect(() => decodeWalRecord(bytes.subarray(0, bytes.length - 1), limits)).toThrowError(
              expect.objectContaining({ code: 'STORAGE_ERROR', penalise: false }),
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
