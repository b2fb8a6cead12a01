import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { keccak256 } from '@weft/crypto/hash';
import { describe, expect, it } from 'vitest';
import { createChainCommon, EVM_HARDFORK } from '../src/execution/evm-config.js';

/**
 * The chain's Common answers `isActivatedEIP` from a Set (a performance change): it must answer
 * exactly as @ethereumjs/common itself does, for every EIP number, also after a hardfork change.
 */
function plainCommon(hardfork: string) {
  return createCustomCommon({ name: 'weft', chainId: '5' }, Mainnet, { hardfork });
}

describe('createChainCommon', () => {
  it('answers isActivatedEIP exactly like @ethereumjs/common for EIPs 0..10000', () => {
    const fast = createChainCommon(5n);
    const reference = plainCommon(EVM_HARDFORK);
    let active = 0;
    for (let eip = 0; eip <= 10_000; eip++) {
      const expected = reference.isActivatedEIP(eip);
      if (expected) active++;
      if (fast.isActivatedEIP(eip) !== expected) throw new Error(`EIP ${eip} differs`);
    }
    // Osaka has dozens of EIPs (EIP-2929, EIP-1153, EIP-7939 …): the comparison saw both answers.
    expect(active).toBeGreaterThan(30);
    expect(fast.isActivatedEIP(2929)).toBe(true);
    expect(fast.isActivatedEIP(1)).toBe(true);
    expect(fast.isActivatedEIP(9_999_999)).toBe(false);
  });

  it('follows a hardfork change on a copy (the Set is rebuilt, the original is unaffected)', () => {
    const fast = createChainCommon(5n);
    const copy = fast.copy();
    expect(copy.isActivatedEIP(7702)).toBe(true);
    copy.setHardfork(Hardfork.Cancun);
    const reference = plainCommon(Hardfork.Cancun);
    for (let eip = 0; eip <= 10_000; eip++) {
      if (copy.isActivatedEIP(eip) !== reference.isActivatedEIP(eip)) throw new Error(`EIP ${eip} differs`);
    }
    // EIP-7702 (set-code transactions) arrived with Prague: off on Cancun, still on in the original.
    expect(copy.isActivatedEIP(7702)).toBe(false);
    expect(fast.isActivatedEIP(7702)).toBe(true);
  });

  it("gives the EVM weft's Keccak-256", () => {
    expect(createChainCommon(5n).customCrypto.keccak256).toBe(keccak256);
  });
});
