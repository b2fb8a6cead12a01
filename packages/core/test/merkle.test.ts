import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMerkleProof, merkleRoot, verifyMerkleProof } from '../src/merkle.js';

const hash = (d: Uint8Array) => sha256(d);
const leaf = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** The tree as its doc comment defines it, written out plainly: an independent reference for the root. */
function referenceRoot(items: readonly Uint8Array[]): Uint8Array {
  const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(items.length));
  if (items.length === 0) return hash(cat(Uint8Array.of(2), size));
  let level: Uint8Array[] = items.map((item) => hash(cat(Uint8Array.of(0), item)));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(
        right === undefined
          ? (level[i] as Uint8Array)
          : hash(cat(Uint8Array.of(1), level[i] as Uint8Array, right)),
      );
    }
    level = next;
  }
  return hash(cat(Uint8Array.of(2), size, level[0] as Uint8Array));
}

describe('merkle', () => {
  it('the root is the documented tree, for 32-byte and other-sized items alike', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(leaf, fc.uint8Array({ maxLength: 40 })), { maxLength: 40 }), (items) => {
        expect(merkleRoot(hash, items)).toEqual(referenceRoot(items));
      }),
    );
  });

  it('every leaf of every tree size has a proof that verifies', () => {
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 1, maxLength: 40 }), fc.nat(), (items, pick) => {
        const root = merkleRoot(hash, items);
        const index = pick % items.length;
        const proof = createMerkleProof(hash, items, index);
        expect(verifyMerkleProof(hash, root, items[index] as Uint8Array, proof)).toBe(true);
      }),
    );
  });

  it('a proof fails for another item, index, leaf count, or any flipped sibling bit', () => {
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 2, maxLength: 33 }), fc.nat(), fc.nat(), (items, pick, bit) => {
        const root = merkleRoot(hash, items);
        const index = pick % items.length;
        const item = items[index] as Uint8Array;
        const proof = createMerkleProof(hash, items, index);
        const other = item.slice();
        other[0] = (other[0] as number) ^ 1;
        expect(verifyMerkleProof(hash, root, other, proof)).toBe(false);
        // With distinct items, no other position proves this item.
        const distinct = new Set(items.map((x) => Buffer.from(x).toString('hex'))).size === items.length;
        if (distinct) {
          expect(verifyMerkleProof(hash, root, item, { ...proof, index: (index + 1) % items.length })).toBe(
            false,
          );
        }
        expect(verifyMerkleProof(hash, root, item, { ...proof, leafCount: items.length + 1 })).toBe(false);
        if (proof.siblings.length > 0) {
          const s = proof.siblings.map((x) => x.slice());
          const target = s[bit % s.length] as Uint8Array;
          target[bit % 32] = (target[bit % 32] as number) ^ (1 << (bit % 8));
          expect(verifyMerkleProof(hash, root, item, { ...proof, siblings: s })).toBe(false);
        }
      }),
    );
  });

  it('domain separation: the root of one item is not the item, and leaves are not inner nodes', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    expect(Buffer.from(merkleRoot(hash, [a]))).not.toEqual(Buffer.from(a));
    // A two-leaf root must not verify as a single leaf of a one-leaf tree.
    const root2 = merkleRoot(hash, [a, b]);
    expect(verifyMerkleProof(hash, root2, root2, { index: 0, leafCount: 1, siblings: [] })).toBe(false);
  });

  it('rejects malformed proofs without throwing', () => {
    const items = [new Uint8Array(32), new Uint8Array(32).fill(9)];
    const root = merkleRoot(hash, items);
    expect(
      verifyMerkleProof(hash, root, items[0] as Uint8Array, { index: -1, leafCount: 2, siblings: [] }),
    ).toBe(false);
    expect(
      verifyMerkleProof(hash, root, items[0] as Uint8Array, { index: 0, leafCount: 2, siblings: [] }),
    ).toBe(false);
    expect(
      verifyMerkleProof(hash, root, items[0] as Uint8Array, {
        index: 0,
        leafCount: 2,
        siblings: [new Uint8Array(5)],
      }),
    ).toBe(false);
    expect(() => createMerkleProof(hash, items, 2)).toThrow(/outside/);
  });
});
