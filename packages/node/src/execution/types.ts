import type { Log, Receipt } from '@weft/core/receipt';
import type { TxKind } from '@weft/core/tx';
import type { WeftError } from '@weft/crypto/errors';
import type { StateDiff } from '../state/committed.js';

/** What the executor needs of a transaction; `Transaction` of @weft/core/tx satisfies it. */
export interface ExecutableTransaction {
  readonly hash: Uint8Array;
  /** 20-byte sender, already recovered from the signature. */
  readonly sender: Uint8Array;
  /** 20-byte recipient, or null to create a contract. */
  readonly to: Uint8Array | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gasLimit: bigint;
  /**
   * Ethereum kinds: must equal the sender's account nonce. Native 'weft' transactions carry a random
   * nonce (replay protection is by hash and block limit), so it is not compared; the account nonce
   * still goes up by one, because CREATE addresses derive from it.
   */
  readonly nonce: bigint;
  readonly kind: TxKind;
  readonly accessList?: readonly (readonly [Uint8Array, readonly Uint8Array[]])[];
}

export interface BlockContext {
  readonly number: bigint;
  /** Handed to the EVM unchanged: what TIMESTAMP (Solidity `block.timestamp`) returns. */
  readonly timestamp: bigint;
  readonly coinbase: Uint8Array;
  readonly gasLimit: bigint;
  readonly chainId: bigint;
  /** PREVRANDAO (EIP-4399); 32 zero bytes when absent. */
  readonly prevRandao?: Uint8Array;
}

export type ExecutionMode = 'build' | 'verify';

export interface ExecuteBlockOptions {
  readonly mode: ExecutionMode;
  /** Per-transaction gas limit (chain setting); defaults to the executor's. */
  readonly txGasLimit?: bigint;
  /** When given, the block must execute on exactly this committed state (guards against sequencing bugs). */
  readonly parentStateRoot?: Uint8Array;
}

/** A transaction left out of a block because it can not be valid there. */
export interface InvalidTransaction<T> {
  readonly tx: T;
  /**
   * Why: NONCE_TOO_LOW (details.expected / details.actual), INVALID_TRANSACTION (nonce ahead,
   * intrinsic gas above the limit, value above the balance…), GAS_LIMIT_EXCEEDED, TX_TOO_LARGE,
   * SENDER_NOT_ALLOWED (EIP-3607: sender has code).
   */
  readonly error: WeftError;
}

export interface ExecutedBlock<T> {
  /** One per included transaction, in order. */
  readonly receipts: Receipt[];
  readonly included: T[];
  /** Build mode only: dropped as invalid (verify mode throws instead). */
  readonly invalid: InvalidTransaction<T>[];
  /** Build mode only: not tried because the block ran out of gas; still valid for a later block. */
  readonly deferred: T[];
  readonly gasUsed: bigint;
  readonly stateRoot: Uint8Array;
  /** Write `stateDiffToBatch(diff)` with the block, then call `stateManager.applyCommitted(diff)`. */
  readonly diff: StateDiff;
}

export interface CallRequest {
  /** Defaults to the zero address. */
  readonly from?: Uint8Array;
  /** Null (or absent) runs `data` as init code. */
  readonly to?: Uint8Array | null;
  readonly data?: Uint8Array;
  readonly value?: bigint;
  /** Defaults to the executor's `callGasLimit`. */
  readonly gas?: bigint;
  readonly accessList?: readonly (readonly [Uint8Array, readonly Uint8Array[]])[];
}

export interface CallResult {
  readonly status: 0 | 1;
  /** Gas the call would be charged as a transaction (intrinsic gas, refunds and floor included). */
  readonly gasUsed: bigint;
  readonly output: Uint8Array;
  readonly logs: Log[];
  readonly revertReason: string | null;
  /** For a create: the address the contract would get. */
  readonly contractAddress: Uint8Array | null;
}

export interface GenesisAllocation {
  readonly address: Uint8Array;
  readonly balance: bigint;
  readonly nonce?: bigint;
  readonly code?: Uint8Array;
  /** Slots and values of at most 32 bytes each (left-padded); zero values are skipped. */
  readonly storage?: readonly (readonly [Uint8Array, Uint8Array])[];
}

export interface AppliedGenesis {
  readonly stateRoot: Uint8Array;
  readonly diff: StateDiff;
}

/** An account as RPC reads it from committed state. */
export interface AccountView {
  readonly nonce: bigint;
  readonly balance: bigint;
  /** Keccak-256 of the code (Keccak-256 of "" for accounts without code). */
  readonly codeHash: Uint8Array;
}
