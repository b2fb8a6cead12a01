import { isStateOwnedCode } from '../state/flat-state-manager.js';
import { evmInterpreterPrototype, installOnce } from './evm-internals.js';

/**
 * @ethereumjs/evm 10 analyses a contract's code at the start of EVERY call frame that jumps: a pass
 * over every byte (one opcode-table lookup each, one hex round trip per PUSH immediate) to find the
 * valid JUMPDESTs (Yellow Paper §9.4.3) and pre-decode the PUSH values. For an ERC-20 transfer that
 * pass is ~6% of the node's main thread (measured on the solo-sealer load). The result depends only
 * on the code bytes and on the EVM's opcode table (its hardfork and EIPs), so this memoises it per
 * code array.
 *
 * Only code arrays the flat state hands out (`isStateOwnedCode`) are memoised: they are never
 * mutated, so their identity stands for their bytes. Anything else — init code, which the EVM slices
 * out of memory or transaction data, or code from another state manager — is analysed every time,
 * as before. The memo lives in a WeakMap and goes away with the code array.
 *
 * The analysis is a private method of the EVM's `Interpreter` (not exported by the package), so it
 * is wrapped on that class's prototype; when the method is not where @ethereumjs/evm 10 keeps it,
 * nothing is installed and the EVM runs unchanged.
 */

interface InterpreterInternals {
  readonly _evm: { readonly _opcodeMap: unknown };
  readonly common: { isActivatedEIP(eip: number): boolean };
}

type JumpAnalysis = (this: InterpreterInternals, code: Uint8Array) => unknown;

interface Memo {
  readonly opcodeMap: unknown;
  /** EIP-8024 (DUPN/SWAPN/EXCHANGE immediates) changes which bytes are skipped. */
  readonly eip8024: boolean;
  readonly analysis: unknown;
}

const memos = new WeakMap<Uint8Array, Memo>();
const INSTALLED = Symbol.for('weft.jumpAnalysisCache');

/** Installs the memo once per process; resolves true when it is active. */
export const installJumpAnalysisCache: () => Promise<boolean> = installOnce(install);

async function install(): Promise<boolean> {
  const prototype = await evmInterpreterPrototype();
  if (prototype === undefined) return false;
  if (prototype[INSTALLED] === true) return true;
  const original = prototype._getValidJumpDestinations;
  if (typeof original !== 'function' || typeof prototype.lookupOpInfo !== 'function') return false;
  const analyse = original as JumpAnalysis;
  prototype._getValidJumpDestinations = function memoisedJumpAnalysis(
    this: InterpreterInternals,
    code: Uint8Array,
  ): unknown {
    if (!isStateOwnedCode(code)) return analyse.call(this, code);
    const opcodeMap = this._evm._opcodeMap;
    const eip8024 = this.common.isActivatedEIP(8024);
    const memo = memos.get(code);
    if (memo !== undefined && memo.opcodeMap === opcodeMap && memo.eip8024 === eip8024) return memo.analysis;
    const analysis = analyse.call(this, code);
    memos.set(code, { opcodeMap, eip8024, analysis });
    return analysis;
  };
  prototype[INSTALLED] = true;
  return true;
}
