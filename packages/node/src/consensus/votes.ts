import type { QuorumSignatures } from './types.js';

/** One validator's signed vote in one view. */
export interface Vote {
  readonly hashHex: string;
  readonly blockHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** A block hash that gathered at least a quorum of votes in a view. */
export interface QuorumResult {
  readonly view: number;
  readonly hashHex: string;
  readonly blockHash: Uint8Array;
}

/**
 * Prepare or commit votes of one height: at most one vote per (view, signer). The caller rejects a second,
 * different vote as equivocation before it gets here, so counts can never be inflated by one validator.
 */
export class VoteTable {
  private readonly byView = new Map<number, Map<number, Vote>>();

  get(view: number, signer: number): Vote | undefined {
    return this.byView.get(view)?.get(signer);
  }

  add(view: number, signer: number, vote: Vote): void {
    let votes = this.byView.get(view);
    if (votes === undefined) {
      votes = new Map();
      this.byView.set(view, votes);
    }
    votes.set(signer, vote);
  }

  /** Every (view, hash) with at least `quorum` votes, lowest view first. */
  quorums(quorum: number): QuorumResult[] {
    const found: QuorumResult[] = [];
    const views = [...this.byView.keys()].sort((a, b) => a - b);
    for (const view of views) {
      const counts = new Map<string, { count: number; blockHash: Uint8Array }>();
      for (const vote of (this.byView.get(view) as Map<number, Vote>).values()) {
        const entry = counts.get(vote.hashHex);
        if (entry === undefined) counts.set(vote.hashHex, { count: 1, blockHash: vote.blockHash });
        else entry.count++;
      }
      for (const [hashHex, { count, blockHash }] of counts) {
        if (count >= quorum) found.push({ view, hashHex, blockHash });
      }
    }
    return found;
  }

  /** The `limit` lowest-indexed signers that voted `hashHex` in `view`, ascending, with their signatures. */
  signatures(view: number, hashHex: string, limit: number): QuorumSignatures {
    const signers: number[] = [];
    const signatures: Uint8Array[] = [];
    const votes = [...(this.byView.get(view) ?? new Map<number, Vote>()).entries()]
      .filter(([, vote]) => vote.hashHex === hashHex)
      .sort(([a], [b]) => a - b)
      .slice(0, limit);
    for (const [signer, vote] of votes) {
      signers.push(signer);
      signatures.push(vote.signature);
    }
    return { signers, signatures };
  }
}
