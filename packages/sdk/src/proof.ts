import { decodeHeader, headerHash } from '@weft/core/block';
import { verifyMerkleProof } from '@weft/core/merkle';
import { bytesToHex, equalBytes, hexToBytes } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import type { MerkleProofJson } from './client.js';

/**
 * Checks a transaction or receipt inclusion proof from `weft_getTransactionProof` /
 * `weft_getReceiptProof` without trusting the node: the header must hash to the block hash the caller
 * trusts (e.g. from a commit certificate or its own node), the root must be that header's root, and
 * the Merkle path must lead from the leaf to it. For a transaction proof, the leaf must be the hash of
 * the returned raw transaction; for a receipt proof, the hash of the returned receipt encoding.
 */
export function verifyInclusionProof(
  suite: CryptoSuite,
  proof: MerkleProofJson,
  kind: 'transaction' | 'receipt',
  trustedBlockHash: string,
): boolean {
  try {
    const headerBytes = hexToBytes(proof.header);
    const header = decodeHeader(headerBytes);
    if (bytesToHex(headerHash(suite, header)) !== trustedBlockHash.toLowerCase()) return false;
    const root = kind === 'transaction' ? header.transactionsRoot : header.receiptsRoot;
    if (!equalBytes(root, hexToBytes(proof.root))) return false;
    const leaf = hexToBytes(proof.leaf);
    const body = kind === 'transaction' ? proof.transaction : proof.receipt;
    if (body === undefined || !equalBytes(suite.hash(hexToBytes(body)), leaf)) return false;
    return verifyMerkleProof((d) => suite.hash(d), root, leaf, {
      index: proof.index,
      leafCount: proof.leafCount,
      siblings: proof.siblings.map((s) => hexToBytes(s)),
    });
  } catch {
    return false;
  }
}
