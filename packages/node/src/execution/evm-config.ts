import { type Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { WeftError } from '@weft/crypto/errors';
import { keccak256 } from '@weft/crypto/hash';

/**
 * The EVM rules weft runs: Osaka (Fusaka, Dec 2025), the newest hardfork that both
 * @ethereumjs/evm 10 implements as final and solc 0.8.x accepts without `settings.experimental`
 * ("amsterdam" is experimental in both). Contracts must be compiled with
 * `settings.evmVersion = SOLC_EVM_VERSION`.
 *
 * What weft takes from the hardfork: the opcode set (PUSH0, MCOPY, TLOAD/TSTORE, CLZ …),
 * precompiles, gas schedule (EIP-2929 warm/cold, EIP-3529 refunds, EIP-3860 initcode metering,
 * EIP-7623 calldata floor), SELFDESTRUCT per EIP-6780. What it leaves out: fees (gas price is 0),
 * blobs, the EIP-7825 per-transaction gas cap (weft's cap is the `txGasLimit` chain setting), and
 * the beacon-root / history system contracts (EIP-4788, EIP-2935).
 */
export const EVM_HARDFORK = Hardfork.Osaka;
export const SOLC_EVM_VERSION = 'osaka';

export function createChainCommon(chainId: bigint): Common {
  if (chainId <= 0n) throw new WeftError('INVALID_ARGUMENT', 'chain id must be positive');
  const common = createCustomCommon({ name: 'weft', chainId: chainId.toString() }, Mainnet, {
    hardfork: EVM_HARDFORK,
    // SHA3 (KECCAK256) and EXTCODEHASH run weft's WebAssembly Keccak-256 instead of the EVM's
    // default pure-JS one (same digests, ~10x faster; see @weft/crypto/hash).
    customCrypto: { keccak256 },
  });
  return withEipLookupCache(common);
}

interface CommonEipInternals {
  /** @ethereumjs/common 10 keeps the EIPs of the active hardfork in this array and rebuilds it
   * (a new array) whenever the hardfork or the EIP list changes. */
  _activatedEIPsCache?: unknown;
}

const EIP_SET = Symbol('weft.activatedEipSet');

interface EipSetMemo {
  readonly source: readonly number[];
  readonly set: ReadonlySet<number>;
}

/**
 * The EVM asks `common.isActivatedEIP(n)` several hundred times per transaction (gas handlers,
 * opcodes, jump analysis), and @ethereumjs/common answers with `Array.prototype.includes` over the
 * ~50 EIPs of the hardfork: ~2-4% of an ERC-20 transfer (measured). This answers from a Set built
 * from that same array, rebuilt whenever the array is replaced (a hardfork change), so the answer
 * is always the library's own. If a future @ethereumjs/common no longer keeps that array, the
 * library's method is left in place.
 */
function withEipLookupCache(common: Common): Common {
  if (!Array.isArray((common as unknown as CommonEipInternals)._activatedEIPsCache)) return common;
  const original = common.isActivatedEIP;
  common.isActivatedEIP = function isActivatedEIPFromSet(this: Common, eip: number): boolean {
    const source = (this as unknown as CommonEipInternals)._activatedEIPsCache;
    if (!Array.isArray(source)) return original.call(this, eip);
    const holder = this as unknown as { [EIP_SET]?: EipSetMemo };
    let memo = holder[EIP_SET];
    if (memo === undefined || memo.source !== source) {
      memo = { source, set: new Set(source as number[]) };
      holder[EIP_SET] = memo;
    }
    return memo.set.has(eip);
  };
  return common;
}
