import { type Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { WeftError } from '@weft/crypto/errors';

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
  return createCustomCommon({ name: 'weft', chainId: chainId.toString() }, Mainnet, {
    hardfork: EVM_HARDFORK,
  });
}
