import type { GenesisConfig } from '@weft/core/genesis';
import { equalBytes } from '@weft/crypto/bytes';
import type { GovernanceReader } from './reader.js';

export interface Member {
  readonly nodeId: Uint8Array;
  /** The organisation the registry (or, for genesis nodes, the genesis) records for the node. */
  readonly org: string | null;
  readonly role: 'sealer' | 'observer';
}

/** The chain's nodes at `height`: the genesis list plus every change the committee voted. */
export function membersAt(governance: GovernanceReader, genesis: GenesisConfig, height: bigint): Member[] {
  const m = governance.membershipAt(height);
  const changes = governance.snapshot()?.nodeChanges ?? [];
  const orgOf = (id: Uint8Array): string | null =>
    changes.findLast((c) => equalBytes(c.nodeId, id))?.org ??
    genesis.nodes.find((n) => equalBytes(n.nodeId, id))?.org ??
    null;
  return [
    ...m.sealers.map((nodeId) => ({ nodeId, org: orgOf(nodeId), role: 'sealer' as const })),
    ...m.observers.map((nodeId) => ({ nodeId, org: orgOf(nodeId), role: 'observer' as const })),
  ];
}
