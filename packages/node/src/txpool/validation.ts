import type { SystemSettings } from '@weft/core/genesis';
import type { Transaction } from '@weft/core/tx';
import { WeftError } from '@weft/crypto/errors';

/**
 * Rules a transaction must meet to be admitted to the pool AND to be included in a block at height
 * `blockNumber`. The pool and block verification call the same function so that what a sealer proposes
 * is exactly what the others accept. Cheap checks first.
 */
export interface TxRuleContext {
  readonly chainId: bigint;
  readonly settings: SystemSettings;
  /** Number of the block the transaction would go into. */
  readonly blockNumber: bigint;
}

/** Lowest gas any transaction can use (Yellow Paper G_transaction). */
export const MIN_TX_GAS = 21_000n;

export function assertTxRules(tx: Transaction, ctx: TxRuleContext): void {
  // Replay across chains: EIP-155 and the native format both sign the chain id.
  if (tx.chainId !== ctx.chainId) {
    throw new WeftError(
      'WRONG_CHAIN',
      `transaction is for chain ${tx.chainId}, this is chain ${ctx.chainId}`,
      {
        penalise: true,
      },
    );
  }
  if (tx.gasLimit > ctx.settings.txGasLimit) {
    throw new WeftError(
      'GAS_LIMIT_EXCEEDED',
      `transaction gas limit ${tx.gasLimit} is above the chain's per-transaction limit ${ctx.settings.txGasLimit}`,
      { penalise: true },
    );
  }
  if (tx.gasLimit < MIN_TX_GAS) {
    throw new WeftError(
      'INVALID_TRANSACTION',
      `transaction gas limit ${tx.gasLimit} is below ${MIN_TX_GAS}`,
      {
        penalise: true,
      },
    );
  }
  if (tx.raw.length > ctx.settings.maxTxBytes) {
    throw new WeftError(
      'TX_TOO_LARGE',
      `transaction is ${tx.raw.length} bytes; the limit is ${ctx.settings.maxTxBytes}`,
      {
        penalise: true,
      },
    );
  }
  if (tx.kind === 'weft') {
    const limit = tx.blockLimit as bigint;
    // FISCO BCOS replay rule: valid only in blocks below blockLimit, and blockLimit at most one replay
    // window ahead, so remembering the last window of blocks' hashes is enough to refuse any replay.
    if (limit <= ctx.blockNumber) {
      throw new WeftError(
        'INVALID_TRANSACTION',
        `transaction expired: its blockLimit ${limit} is not above block ${ctx.blockNumber}; sign it again with a later blockLimit`,
        { penalise: false },
      );
    }
    if (limit > ctx.blockNumber + BigInt(ctx.settings.blockLimitWindow)) {
      throw new WeftError(
        'INVALID_TRANSACTION',
        `transaction blockLimit ${limit} is more than ${ctx.settings.blockLimitWindow} blocks ahead of block ${ctx.blockNumber}`,
        { penalise: true },
      );
    }
  }
}
