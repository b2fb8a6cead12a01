import { bytesToBigint, bytesToHex } from '@weft/crypto/bytes';

/**
 * Decodes what a reverted call returned, as Solidity encodes it (Solidity docs, "Error handling:
 * Assert, Require, Revert and Exceptions"): `Error(string)` (selector 0x08c379a0) from
 * `require`/`revert("…")`, `Panic(uint256)` (selector 0x4e487b71) from failed asserts, arithmetic
 * overflow and the like, or a custom error (any other selector).
 */
const ERROR_SELECTOR = 0x08c379a0;
const PANIC_SELECTOR = 0x4e487b71;

/** Panic codes, from the Solidity documentation of the same section. */
const PANIC_REASONS: Record<number, string> = {
  0: 'generic compiler panic',
  1: 'assertion failed',
  17: 'arithmetic overflow or underflow',
  18: 'division or modulo by zero',
  33: 'invalid enum value',
  34: 'invalid storage byte array encoding',
  49: 'pop on an empty array',
  50: 'array index out of bounds',
  65: 'out of memory',
  81: 'call to an uninitialised function',
};

function selectorOf(output: Uint8Array): number | undefined {
  if (output.length < 4) return undefined;
  return (
    (((output[0] as number) << 24) |
      ((output[1] as number) << 16) |
      ((output[2] as number) << 8) |
      (output[3] as number)) >>>
    0
  );
}

/** ABI-decodes the string of `Error(string)`; undefined when the payload is malformed. */
function decodeErrorString(output: Uint8Array): string | undefined {
  // selector ‖ offset(32) ‖ length(32) ‖ bytes, padded to 32.
  if (output.length < 4 + 64) return undefined;
  const offset = bytesToBigint(output.subarray(4, 36));
  if (offset > BigInt(output.length)) return undefined;
  const start = 4 + Number(offset);
  if (start + 32 > output.length) return undefined;
  const length = bytesToBigint(output.subarray(start, start + 32));
  if (length > BigInt(output.length - start - 32)) return undefined;
  const bytes = output.subarray(start + 32, start + 32 + Number(length));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** A human reason for a revert: the require/revert string, the panic, or the custom error selector. */
export function decodeRevertReason(output: Uint8Array): string {
  const selector = selectorOf(output);
  if (selector === undefined) return 'execution reverted';
  if (selector === ERROR_SELECTOR) {
    const text = decodeErrorString(output);
    if (text !== undefined) return text;
  } else if (selector === PANIC_SELECTOR && output.length === 36) {
    const code = bytesToBigint(output.subarray(4));
    const name = code < 0x100n ? PANIC_REASONS[Number(code)] : undefined;
    return `panic 0x${code.toString(16).padStart(2, '0')}${name === undefined ? '' : `: ${name}`}`;
  }
  return `execution reverted (custom error ${bytesToHex(output.subarray(0, 4))})`;
}
