import { concatBytes, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * Binary Merkle tree over 32-byte item hashes (transaction hashes, receipt hashes), with the domain
 * separation of RFC 6962 §2.1 so that a leaf can never be passed off as an inner node:
 *   leaf = H(0x00 ‖ item), node = H(0x01 ‖ left ‖ right).
 * A level with an odd number of nodes promotes its last node unchanged (no duplication, which avoids
 * the CVE-2012-2459 "duplicate last leaf" ambiguity); the resulting shape is RFC 6962's. The published
 * root also commits to the number of leaves, root = H(0x02 ‖ u64be(count) ‖ treeHead), so that a proof
 * cannot lie about the size of the tree (RFC 6962 relies on a signed tree size for that; a block header
 * has no other place for it). For zero items treeHead is empty.
 */
export type HashFn = (data: Uint8Array) => Uint8Array;

export interface MerkleProof {
  /** Position of the item among the leaves. */
  index: number;
  /** Number of leaves in the tree. */
  leafCount: number;
  /** Sibling hashes from the leaf level upwards; promoted levels contribute nothing. */
  siblings: Uint8Array[];
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const ROOT = Uint8Array.of(2);

function rootHash(hash: HashFn, count: number, treeHead: Uint8Array): Uint8Array {
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(count));
  return hash(concatBytes(ROOT, size, treeHead));
}

// The prefixed inputs of 32-byte leaves and nodes are assembled in these rather than in fresh arrays (a
// block hashes two trees of ~2,000 nodes each); a hash function reads its input and keeps nothing of it.
const leafInput = Uint8Array.of(0, ...new Uint8Array(32));
const nodeInput = Uint8Array.of(1, ...new Uint8Array(64));

function leafHash(hash: HashFn, item: Uint8Array): Uint8Array {
  if (item.length !== 32) return hash(concatBytes(LEAF, item));
  leafInput.set(item, 1);
  return hash(leafInput);
}

function nodeHash(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) return hash(concatBytes(NODE, left, right));
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash(nodeInput);
}

/** The level above: pairs hashed left to right, an odd last node promoted unchanged. */
function parentLevel(hash: HashFn, level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1];
    next.push(right === undefined ? left : nodeHash(hash, left, right));
  }
  return next;
}

export function merkleRoot(hash: HashFn, items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return rootHash(hash, 0, new Uint8Array(0));
  let level = items.map((item) => leafHash(hash, item));
  while (level.length > 1) level = parentLevel(hash, level);
  return rootHash(hash, items.length, level[0] as Uint8Array);
}

export function createMerkleProof(hash: HashFn, items: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) {
    throw new WeftError('INVALID_ARGUMENT', `leaf index ${index} is outside 0..${items.length - 1}`);
  }
  const siblings: Uint8Array[] = [];
  let level = items.map((item) => leafHash(hash, item));
  let position = index;
  while (level.length > 1) {
    const sibling = position % 2 === 0 ? level[position + 1] : level[position - 1];
    if (sibling !== undefined) siblings.push(sibling);
    level = parentLevel(hash, level);
    position = Math.floor(position / 2);
  }
  return { index, leafCount: items.length, siblings };
}

/** True when `item` is the `proof.index`-th leaf of a tree with root `root`. Never throws. */
export function verifyMerkleProof(
  hash: HashFn,
  root: Uint8Array,
  item: Uint8Array,
  proof: MerkleProof,
): boolean {
  const { index, leafCount, siblings } = proof;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(leafCount) || index < 0 || index >= leafCount) {
    return false;
  }
  let acc = leafHash(hash, item);
  let position = index;
  let width = leafCount;
  let used = 0;
  while (width > 1) {
    const isRight = position % 2 === 1;
    const hasSibling = isRight || position + 1 < width;
    if (hasSibling) {
      const sibling = siblings[used++];
      if (sibling === undefined || sibling.length !== acc.length) return false;
      acc = isRight ? nodeHash(hash, sibling, acc) : nodeHash(hash, acc, sibling);
    }
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length && equalBytes(rootHash(hash, leafCount, acc), root);
}
