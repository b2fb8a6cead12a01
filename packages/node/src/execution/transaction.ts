import type { EVMInterface, EVMRunCallOpts, ExecResult } from '@ethereumjs/evm';
import {
  Address,
  bigIntToUnpaddedBytes,
  bytesToUnprefixedHex,
  createAddressFromString,
  generateAddress,
} from '@ethereumjs/util';
import type { Log, Receipt } from '@weft/core/receipt';
import { assertBytes } from '@weft/crypto/bytes';
import { chargedGas } from './intrinsic-gas.js';
import { decodeRevertReason } from './revert-reason.js';
import type { BlockContext, ExecutableTransaction } from './types.js';

/**
 * One transaction through @ethereumjs/evm: the part of @ethereumjs/vm's `runTx` that weft needs
 * (weft does not use the VM package). Works with any `StateManagerInterface`, so the benchmark
 * runs the very same code over the Merkle state manager.
 */

export type EvmBlock = NonNullable<EVMRunCallOpts['block']>;

export type RunnableTransaction = Pick<
  ExecutableTransaction,
  'sender' | 'to' | 'value' | 'data' | 'gasLimit' | 'accessList'
>;

/** What validation established: the intrinsic gas, the EIP-7623 floor and the sender's nonce before. */
export interface TransactionGas {
  readonly intrinsic: bigint;
  readonly floor: bigint;
  readonly senderNonce: bigint;
}

export interface TransactionOutcome {
  readonly exec: ExecResult;
  /** Gas charged: refunds capped and the floor applied. */
  readonly gasUsed: bigint;
  readonly contractAddress: Uint8Array | null;
}

const ZERO_RANDAO = new Uint8Array(32);

export function createEvmBlock(ctx: BlockContext): EvmBlock {
  assertBytes(ctx.coinbase, 20, 'coinbase');
  if (ctx.prevRandao !== undefined) assertBytes(ctx.prevRandao, 32, 'prevRandao');
  return {
    header: {
      number: ctx.number,
      coinbase: new Address(ctx.coinbase),
      timestamp: ctx.timestamp,
      difficulty: 0n,
      prevRandao: ctx.prevRandao ?? ZERO_RANDAO,
      gasLimit: ctx.gasLimit,
      // No fee market: BASEFEE and BLOBBASEFEE read 0.
      baseFeePerGas: 0n,
      getBlobGasPrice: () => 0n,
    },
  };
}

/**
 * Runs one transaction that passed validation, as @ethereumjs/vm runTx does: warm the EIP-2929
 * always-warm set (precompiles, sender, recipient, EIP-3651 coinbase, EIP-2930 access list), run
 * the top-level message (the EVM increments the sender nonce outside the frame it reverts on
 * failure, so a failed transaction changes nothing but that nonce), cap the refund (EIP-3529),
 * apply the calldata floor (EIP-7623), delete what self-destructed in its creating transaction
 * (EIP-6780) and the touched empty accounts (EIP-161). A halt (revert, out of gas) is a returned
 * outcome; only internal failures (storage) throw, after reverting the transaction's changes.
 */
export async function runTransaction(
  evm: EVMInterface,
  block: EvmBlock,
  tx: RunnableTransaction,
  gas: TransactionGas,
): Promise<TransactionOutcome> {
  const journal = evm.journal;
  const caller = new Address(tx.sender);
  journal.cleanJournal();
  await journal.checkpoint();
  try {
    for (const address of evm.precompiles.keys()) journal.addAlwaysWarmAddress(address);
    journal.addAlwaysWarmAddress(bytesToUnprefixedHex(tx.sender));
    if (tx.to !== null) journal.addAlwaysWarmAddress(bytesToUnprefixedHex(tx.to));
    journal.addAlwaysWarmAddress(bytesToUnprefixedHex(block.header.coinbase.bytes));
    for (const [address, keys] of tx.accessList ?? []) {
      assertBytes(address, 20, 'access list address');
      const addressHex = bytesToUnprefixedHex(address);
      journal.addAlwaysWarmAddress(addressHex, true);
      for (const key of keys) {
        assertBytes(key, 32, 'access list storage key');
        journal.addAlwaysWarmSlot(addressHex, bytesToUnprefixedHex(key), true);
      }
    }
    const result = await evm.runCall({
      block,
      gasPrice: 0n,
      caller,
      origin: caller,
      gasLimit: tx.gasLimit - gas.intrinsic,
      ...(tx.to === null ? {} : { to: new Address(tx.to) }),
      value: tx.value,
      data: tx.data,
    });
    const exec = result.execResult;
    const gasUsed = chargedGas(gas.intrinsic + exec.executionGasUsed, exec.gasRefund ?? 0n, gas.floor);
    if (exec.selfdestruct !== undefined) {
      for (const address of exec.selfdestruct.keys()) {
        if (exec.createdAddresses?.has(address) === true) {
          await journal.deleteAccount(createAddressFromString(address));
        }
      }
    }
    await journal.cleanup();
    await journal.commit();
    const contractAddress =
      tx.to !== null
        ? null
        : (result.createdAddress?.bytes ??
          generateAddress(tx.sender, bigIntToUnpaddedBytes(gas.senderNonce)));
    return { exec, gasUsed, contractAddress };
  } catch (error) {
    await journal.revert();
    throw error;
  } finally {
    journal.cleanJournal();
    evm.stateManager.originalStorageCache.clear();
  }
}

/** The receipt of an outcome; logs of a failed transaction are dropped, as the EVM reverted them. */
export function outcomeToReceipt(outcome: TransactionOutcome, cumulativeGasUsed: bigint): Receipt {
  const { exec } = outcome;
  const failed = exec.exceptionError !== undefined;
  const logs: Log[] = failed
    ? []
    : (exec.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }));
  let revertReason: string | null = null;
  if (exec.exceptionError !== undefined) {
    revertReason =
      exec.exceptionError.error === 'revert'
        ? decodeRevertReason(exec.returnValue)
        : exec.exceptionError.error;
  }
  return {
    status: failed ? 0 : 1,
    gasUsed: outcome.gasUsed,
    cumulativeGasUsed,
    contractAddress: outcome.contractAddress,
    logs,
    output: exec.returnValue,
    revertReason,
  };
}
