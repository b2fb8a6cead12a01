/**
 * Gas a transaction costs before its first opcode runs. Every constant is the one of the hardfork
 * the EVM runs (evm-config.ts); the section each comes from is named beside it.
 */

/** Yellow Paper G_transaction. */
export const TX_BASE_GAS = 21_000n;
/** EIP-2 G_txcreate: a contract-creating transaction costs 32,000 more (53,000 in all). */
export const TX_CREATE_GAS = 32_000n;
/** Yellow Paper G_txdatazero. */
export const TX_DATA_ZERO_GAS = 4n;
/** EIP-2028 G_txdatanonzero. */
export const TX_DATA_NONZERO_GAS = 16n;
/** EIP-2930 ACCESS_LIST_ADDRESS_COST and ACCESS_LIST_STORAGE_KEY_COST. */
export const ACCESS_LIST_ADDRESS_GAS = 2_400n;
export const ACCESS_LIST_STORAGE_KEY_GAS = 1_900n;
/** EIP-3860 INITCODE_WORD_COST, per 32-byte word of initcode. */
export const INITCODE_WORD_GAS = 2n;
/** EIP-3860 MAX_INITCODE_SIZE = 2 × MAX_CODE_SIZE (EIP-170). */
export const MAX_INITCODE_SIZE = 49_152;
/** EIP-7623 TOTAL_COST_FLOOR_PER_TOKEN (Prague). */
export const FLOOR_GAS_PER_TOKEN = 10n;
/** EIP-3529 MAX_REFUND_QUOTIENT: a refund is at most a fifth of the gas used. */
export const MAX_REFUND_QUOTIENT = 5n;

export interface IntrinsicGasInput {
  readonly to: Uint8Array | null;
  readonly data: Uint8Array;
  readonly accessList?: readonly (readonly [Uint8Array, readonly Uint8Array[]])[];
}

export interface IntrinsicGas {
  /** Charged up front: base, calldata, creation, initcode words, access list. */
  readonly intrinsic: bigint;
  /** EIP-7623 floor: the least a transaction pays in all, 21000 + 10 × tokens. */
  readonly floor: bigint;
  /** The least gas limit a valid transaction can have: the larger of the two (EIP-7623). */
  readonly minimumGasLimit: bigint;
}

export function intrinsicGas(tx: IntrinsicGasInput): IntrinsicGas {
  let zeros = 0n;
  for (const byte of tx.data) if (byte === 0) zeros++;
  const nonZeros = BigInt(tx.data.length) - zeros;
  let gas = TX_BASE_GAS + zeros * TX_DATA_ZERO_GAS + nonZeros * TX_DATA_NONZERO_GAS;
  if (tx.to === null) {
    gas += TX_CREATE_GAS + INITCODE_WORD_GAS * BigInt(Math.ceil(tx.data.length / 32));
  }
  for (const [, keys] of tx.accessList ?? []) {
    gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * BigInt(keys.length);
  }
  // EIP-7623: tokens_in_calldata = zero_bytes + 4 × nonzero_bytes.
  const floor = TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * (zeros + 4n * nonZeros);
  let minimumGasLimit = gas;
  if (floor > minimumGasLimit) minimumGasLimit = floor;
  return { intrinsic: gas, floor, minimumGasLimit };
}

/**
 * Gas a transaction is charged once it ran (EIP-3529 refund cap, then the EIP-7623 floor):
 * max(used − min(refund, used / 5), floor), where `used` includes the intrinsic gas.
 */
export function chargedGas(used: bigint, refund: bigint, floor: bigint): bigint {
  const cap = used / MAX_REFUND_QUOTIENT;
  const net = used - (refund < cap ? refund : cap);
  return net > floor ? net : floor;
}
