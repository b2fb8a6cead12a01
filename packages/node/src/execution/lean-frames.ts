import { createHash } from 'node:crypto';
import { EVM, EVMError } from '@ethereumjs/evm';
import { Account, createZeroAddress } from '@ethereumjs/util';
import { importEvmInternalModule, installOnce } from './evm-internals.js';

/**
 * @ethereumjs/evm 10 ends every call frame (`EVM.runInterpreter`) by building its result with
 * `runState: { ...interpreterRes.runState, ...result, ...interpreter._env }`: a fresh ~45-property
 * object merging the frame's interpreter state, result and environment, which nothing in the EVM
 * reads (callers take the gas, refund, logs and return value from the result's own fields). Under
 * load these end up in the old generation and are freed only by full mark-compact collections:
 * inspector heap sampling of a follower under the four-sealer ERC-20 load (objects collected by
 * major GCs) found them to be half of everything it promoted, and leaving them out cut each node's
 * CPU per transaction by 13-17 % (bench/RESULTS.md).
 *
 * This installs a `runInterpreter` that does exactly what the library's does — the same account
 * lookup, environment, interpreter, gas accounting, cleared logs/selfdestructs/created addresses
 * after an exceptional halt, access-witness commit and result fields — except that `runState` is
 * the frame's own state object rather than a merged copy (still the live stack, memory, gas and
 * program counter for whoever inspects it).
 *
 * It also installs an `_executeCall` (the EVM's handling of every message call, top level and nested)
 * that does what the library's does when none of the experimental EIPs it special-cases is active,
 * except for one expression: the library hands `runInterpreter` the message as
 * `{ ...{ codeAddress }, ...message, gasLimit }`, and V8 (11.3, Node 20) builds that literal — a spread
 * of a one-property object, then of a ~20-property one — through a slow path that makes new hidden
 * classes each time: 12 – 15 µs per call in isolation, where `{ codeAddress, ...message, gasLimit }`
 * (the same properties, in the same order, with the same values) takes 0.4 µs. On a node replaying
 * ERC-20 transfers it was 7 – 8 % of the main thread (a CPU profile, line by line), and the hidden classes
 * it left behind were most of what heap sampling saw the library's calls leave to the full collector.
 *
 * Both are installed only over the very methods they were written against: the library's source
 * text is compared with a fingerprint, so an upgraded @ethereumjs/evm keeps its own methods (and the
 * test in packages/node/test/execution-lean-frames.test.ts fails until this is looked at again).
 */

// SHA-256 of `EVM.prototype.runInterpreter.toString()` in @ethereumjs/evm 10.1.3 (ES module build).
const LIBRARY_RUN_INTERPRETER_SHA256 = '1f4905264075376daed820fac392b3d077c2aa2d3767bed3d5e25e50b360d4ca';
// SHA-256 of `EVM.prototype._executeCall.toString()`, same version.
const LIBRARY_EXECUTE_CALL_SHA256 = 'f2358d2eeecc46e18de7628afe4da9d1e6ca91fe3c22cf9503c7703d0ec64d31';
const INSTALLED = Symbol.for('weft.leanFrames');

type Address = ReturnType<typeof createZeroAddress>;

interface Message {
  readonly to?: Address;
  readonly caller?: Address;
  readonly data?: Uint8Array;
  readonly value?: bigint;
  readonly code?: unknown;
  readonly isStatic?: boolean;
  readonly isCreate?: boolean;
  readonly depth?: number;
  readonly codeAddress?: Address;
  readonly gasRefund?: bigint;
  readonly chargeCodeAccesses?: boolean;
  readonly blobVersionedHashes?: readonly Uint8Array[];
  readonly accessWitness?: { commit(): void };
  readonly createdAddresses?: Set<string>;
  readonly selfdestruct?: Map<string, unknown>;
  readonly gasLimit: bigint;
  readonly delegatecall?: boolean;
  readonly isCompiled?: boolean;
}

interface FrameRunState {
  readonly gasLeft: bigint;
  readonly gasRefund: bigint;
  readonly stateGasSpilled?: bigint;
}

interface FrameResult {
  logs?: unknown[];
  returnValue?: Uint8Array;
  selfdestruct?: Map<string, unknown>;
  createdAddresses?: Set<string>;
}

interface InterpreterInstance {
  _result: FrameResult;
  run(
    code: unknown,
    opts: object,
  ): Promise<{ runState: FrameRunState; exceptionError: EVMError | undefined }>;
}

type InterpreterClass = new (
  evm: unknown,
  stateManager: unknown,
  blockchain: unknown,
  env: object,
  gasLeft: bigint,
  journal: unknown,
  performanceLogger: unknown,
  profiler: unknown,
) => InterpreterInstance;

interface EvmInternals {
  readonly stateManager: { getAccount(address: Address): Promise<Account | undefined> };
  readonly blockchain: unknown;
  readonly journal: unknown;
  readonly performanceLogger: unknown;
  readonly _optsCached: { readonly profiler?: unknown };
  readonly _tx?: { readonly gasPrice: bigint; readonly origin?: Address };
  readonly _block?: unknown;
}

type RunInterpreter = (
  this: EvmInternals,
  message: Message,
  opts?: { initialLogs?: unknown },
) => Promise<unknown>;

const EMPTY = new Uint8Array(0);

function leanRunInterpreter(Interpreter: InterpreterClass, libraryMethod: RunInterpreter): RunInterpreter {
  return async function runInterpreter(this: EvmInternals, message: Message, opts = {}) {
    // Both entry points (runCall, runCode) set the transaction and block first; anything else is
    // left to the library.
    if (this._tx === undefined || this._block === undefined) return libraryMethod.call(this, message, opts);
    const to = message.to ?? createZeroAddress();
    const contract = (await this.stateManager.getAccount(to)) ?? new Account();
    const caller = message.caller ?? createZeroAddress();
    const env = {
      address: to,
      caller,
      callData: message.data ?? Uint8Array.from([0]),
      callValue: message.value ?? 0n,
      code: message.code,
      isStatic: message.isStatic ?? false,
      isCreate: message.isCreate ?? false,
      depth: message.depth ?? 0,
      gasPrice: this._tx.gasPrice,
      origin: this._tx.origin ?? message.caller ?? createZeroAddress(),
      block: this._block,
      contract,
      codeAddress: message.codeAddress,
      gasRefund: message.gasRefund,
      chargeCodeAccesses: message.chargeCodeAccesses,
      blobVersionedHashes: message.blobVersionedHashes ?? [],
      accessWitness: message.accessWitness,
      createdAddresses: message.createdAddresses,
      initialLogs: opts.initialLogs,
    };
    const interpreter = new Interpreter(
      this,
      this.stateManager,
      this.blockchain,
      env,
      message.gasLimit,
      this.journal,
      this.performanceLogger,
      this._optsCached.profiler,
    );
    if (message.selfdestruct) interpreter._result.selfdestruct = message.selfdestruct;
    if (message.createdAddresses) interpreter._result.createdAddresses = message.createdAddresses;
    const { runState, exceptionError } = await interpreter.run(message.code, opts);
    let result = interpreter._result;
    let executionGasUsed = message.gasLimit - runState.gasLeft;
    if (exceptionError) {
      // Every exceptional halt but REVERT (and an invalid EOF container) consumes all the frame's
      // gas, and no halted frame keeps logs, selfdestructs or created addresses.
      const error = exceptionError.error;
      if (error !== EVMError.errorMessages.REVERT && error !== EVMError.errorMessages.INVALID_EOF_FORMAT) {
        executionGasUsed = message.gasLimit;
      }
      result = { ...result, logs: [], selfdestruct: new Map(), createdAddresses: new Set() };
    }
    message.accessWitness?.commit();
    return {
      ...result,
      runState,
      exceptionError,
      gas: runState.gasLeft,
      executionGasUsed,
      gasRefund: runState.gasRefund,
      stateGasSpilled: runState.stateGasSpilled,
      returnValue: result.returnValue ?? EMPTY,
    };
  };
}

interface CallInternals {
  readonly DEBUG: boolean;
  readonly common: { isActivatedEIP(eip: number): boolean };
  readonly stateManager: { getAccount(address: Address): Promise<Account | undefined> };
  readonly _optsCached: { readonly profiler?: { readonly enabled?: boolean } };
  _reduceSenderBalance(account: Account, message: Message): Promise<void>;
  _addToBalance(account: Account, message: Message): Promise<void>;
  _loadCode(message: Message): Promise<void>;
  runPrecompile(code: unknown, data: Uint8Array | undefined, gasLimit: bigint): Promise<CallExecResult>;
  runInterpreter(message: object, opts: { initialLogs?: unknown }): Promise<CallExecResult>;
  postMessageCleanup(): void;
}

interface CallExecResult {
  executionGasUsed: bigint;
  gasRefund?: bigint | undefined;
}

type ExecuteCall = (this: CallInternals, message: Message) => Promise<unknown>;

/**
 * EIPs whose handling in the library's `_executeCall` this version leaves out (it then runs the
 * library's): 6800 / 7864 (stateless access witnesses), 2780 (top-frame state gas and 7702 delegation
 * charges), 7928 (block-level access lists), 7708 (ETH transfer logs).
 */
const CALL_EIPS_LEFT_TO_THE_LIBRARY = [6800, 7864, 2780, 7928, 7708];

function activatesCallEipLeftToTheLibrary(common: CallInternals['common']): boolean {
  for (const eip of CALL_EIPS_LEFT_TO_THE_LIBRARY) if (common.isActivatedEIP(eip)) return true;
  return false;
}

function leanExecuteCall(libraryMethod: ExecuteCall): ExecuteCall {
  return async function _executeCall(this: CallInternals, message: Message) {
    if (
      this.DEBUG ||
      this._optsCached.profiler?.enabled === true ||
      activatesCallEipLeftToTheLibrary(this.common)
    ) {
      return libraryMethod.call(this, message);
    }
    // With those EIPs off, nothing is charged before the frame: it runs with the message's gas.
    const gasLimit = message.gasLimit;
    const caller = message.caller as Address;
    const to = message.to as Address;
    let errorMessage: unknown;
    // Value moves first (a failure to move it is the call's error, after both accounts are loaded).
    const account = (await this.stateManager.getAccount(caller)) ?? new Account();
    if (!message.delegatecall) {
      try {
        await this._reduceSenderBalance(account, message);
      } catch (error) {
        errorMessage = error;
      }
    }
    const toAccount = (await this.stateManager.getAccount(to)) ?? new Account();
    if (!message.delegatecall) {
      try {
        await this._addToBalance(toAccount, message);
      } catch (error) {
        errorMessage = error;
      }
    }
    await this._loadCode(message);
    const code = message.code as { length?: number } | undefined;
    const noCode = !code || (typeof code !== 'function' && code.length === 0);
    if (noCode || errorMessage !== undefined) {
      return {
        execResult: {
          gasRefund: message.gasRefund,
          executionGasUsed: message.gasLimit - gasLimit,
          exceptionError: errorMessage,
          returnValue: new Uint8Array(0),
          logs: undefined,
        },
      };
    }
    let result: CallExecResult;
    if (message.isCompiled) {
      result = await this.runPrecompile(message.code, message.data, gasLimit);
      result.gasRefund = message.gasRefund;
    } else {
      result = await this.runInterpreter(
        { codeAddress: message.codeAddress, ...message, gasLimit },
        { initialLogs: undefined },
      );
    }
    if (message.depth === 0) this.postMessageCleanup();
    result.executionGasUsed += message.gasLimit - gasLimit;
    return { execResult: result };
  };
}

let enabled = true;

/** Turns the lean frame result and call off (the library's own methods run) or back on: for comparisons. */
export function setLeanFramesEnabled(on: boolean): void {
  enabled = on;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Installs the lean `runInterpreter` and `_executeCall` once per process; resolves true when active. */
export const installLeanFrames: () => Promise<boolean> = installOnce(install);

async function install(): Promise<boolean> {
  const prototype = EVM.prototype as unknown as Record<string | symbol, unknown>;
  if (prototype[INSTALLED] === true) return true;
  const libraryMethod = prototype.runInterpreter;
  if (typeof libraryMethod !== 'function') return false;
  if (sha256Hex(libraryMethod.toString()) !== LIBRARY_RUN_INTERPRETER_SHA256) return false;
  const { Interpreter } = (await importEvmInternalModule('interpreter.js')) as {
    Interpreter?: InterpreterClass;
  };
  if (typeof Interpreter !== 'function') return false;
  const libraryExecuteCall = prototype._executeCall;
  if (typeof libraryExecuteCall !== 'function') return false;
  if (sha256Hex(libraryExecuteCall.toString()) !== LIBRARY_EXECUTE_CALL_SHA256) return false;
  const lean = leanRunInterpreter(Interpreter, libraryMethod as RunInterpreter);
  const leanCall = leanExecuteCall(libraryExecuteCall as ExecuteCall);
  prototype.runInterpreter = function runInterpreter(this: EvmInternals, message: Message, opts?: object) {
    return (enabled ? lean : (libraryMethod as RunInterpreter)).call(this, message, opts);
  };
  prototype._executeCall = function _executeCall(this: CallInternals, message: Message) {
    return (enabled ? leanCall : (libraryExecuteCall as ExecuteCall)).call(this, message);
  };
  prototype[INSTALLED] = true;
  return true;
}
