import { equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { commitDigest, decodeCertificate } from './codec.js';
import type { CertificateCrypto, CommitCertificate, QuorumSignatures, ValidatorId } from './types.js';

/**
 * Quorum arithmetic and the finality check any client can run. With n validators PBFT tolerates
 * f = ⌊(n−1)/3⌋ faulty ones and needs q = n − f votes: two quorums then share n − 2f ≥ f + 1 validators,
 * at least one of them honest (Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI '99, §4).
 */
export function faultTolerance(validatorCount: number): number {
  return Math.floor((validatorCount - 1) / 3);
}

export function quorumSize(validatorCount: number): number {
  return validatorCount - faultTolerance(validatorCount);
}

/** leader(height, view) = validators[(height + view) mod n]: rotates every height and every view. */
export function leaderIndex(height: bigint, view: number, validatorCount: number): number {
  return Number((height + BigInt(view)) % BigInt(validatorCount));
}

export interface CertificateContext {
  readonly chainId: bigint;
  readonly height: bigint;
  readonly blockHash: Uint8Array;
  /** The ordered sealer list in force at `height`. */
  readonly validators: readonly ValidatorId[];
  readonly crypto: CertificateCrypto;
}

/**
 * Checks that `certificate` proves `blockHash` final at `height`: at least q = n − ⌊(n−1)/3⌋ distinct
 * validators of `validators` signed `commitDigest(chainId, height, view, blockHash)`. Cheap checks first,
 * signatures last. Returns the decoded certificate; throws `WeftError('INVALID_PROOF')` otherwise.
 */
export function assertCommitCertificate(
  certificate: Uint8Array | CommitCertificate,
  context: CertificateContext,
): CommitCertificate {
  const cert = certificate instanceof Uint8Array ? decodeCertificate(certificate) : certificate;
  const fail = (problem: string): never => {
    throw new WeftError('INVALID_PROOF', `commit certificate ${problem}`, {
      details: { height: context.height.toString() },
    });
  };
  if (cert.chainId !== context.chainId) fail('is for another chain');
  if (cert.height !== context.height) fail('is for another height');
  if (!equalBytes(cert.blockHash, context.blockHash)) fail('is for another block');
  const n = context.validators.length;
  if (n === 0) fail('cannot be checked against an empty validator list');
  if (cert.signers.length < quorumSize(n)) {
    fail(`has ${cert.signers.length} signatures; ${quorumSize(n)} of ${n} are needed`);
  }
  const digest = commitDigest(context.crypto.hash, cert.chainId, cert.height, cert.view, cert.blockHash);
  if (!isQuorumSigned(context.crypto, digest, cert, context.validators))
    fail('has a bad or duplicate signature');
  return cert;
}

/** `assertCommitCertificate` as a boolean: false on any defect, including undecodable bytes. */
export function verifyCommitCertificate(
  certificate: Uint8Array | CommitCertificate,
  context: CertificateContext,
): boolean {
  try {
    assertCommitCertificate(certificate, context);
    return true;
  } catch (error: unknown) {
    if (error instanceof WeftError) return false;
    throw error;
  }
}

/**
 * True iff the signers are distinct, strictly ascending indices into `validators`, and every signature has the
 * suite's exact length and verifies over `digest`. The quorum size is the caller's check.
 */
export function isQuorumSigned(
  crypto: CertificateCrypto,
  digest: Uint8Array,
  quorum: QuorumSignatures,
  validators: readonly ValidatorId[],
): boolean {
  if (quorum.signers.length !== quorum.signatures.length) return false;
  let previous = -1;
  for (const signer of quorum.signers) {
    if (!Number.isInteger(signer) || signer <= previous || signer >= validators.length) return false;
    previous = signer;
  }
  for (const signature of quorum.signatures) if (signature.length !== crypto.signatureLength) return false;
  return quorum.signers.every((signer, i) =>
    crypto.verify(digest, quorum.signatures[i] as Uint8Array, validators[signer] as ValidatorId),
  );
}
