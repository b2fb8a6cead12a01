import { EVMError } from '@ethereumjs/evm';
import { evmInterpreterPrototype, installOnce } from './evm-internals.js';

/**
 * @ethereumjs/evm 10 runs every opcode as an `async` step (`await this.runStep(op)`), so each of the
 * ~300 opcodes of an ERC-20 transfer allocates promises and waits a microtask turn, even though only
 * a handful of them (state access, calls, creates) ever wait for anything. That machinery is most of
 * the ~380 KB the interpreter allocates per transfer and a large part of the garbage collector's
 * share of a node's main thread (bench/RESULTS.md).
 *
 * This wraps the interpreter's `run` with the same loop in which a step runs synchronously when
 * nothing in it can wait: an opcode whose handler is not an `async function`, with no dynamic gas or a
 * gas handler marked synchronous (`markSynchronousGas`). The library's own `isAsync` flag is not the
 * test: it also flags plain-function opcodes that only read the frame (CALLER, CALLVALUE,
 * CALLDATALOAD, TIMESTAMP, …) and every custom opcode (all of weft's fast-opcodes.ts), which was 3 to 4
 * of every 10 steps of an ERC-20 transfer. Every other step goes through the library's own
 * `runStep`, unchanged. For the synchronous steps the order of effects is the library's: dynamic gas
 * (which may throw), `useGas` (base + dynamic, which may throw OUT_OF_GAS), program counter + 1, the
 * handler, the access-witness commit.
 *
 * The library's loop is used whenever anything it does is not reproduced here: EOF code or EIP-3540,
 * the stateless EIPs 6800/7864 (code-chunk gas), a profiler, step listeners or DEBUG (tracers see every
 * step), a start at a given program counter, or a pending EIP-7928 post-call charge. When `run` or
 * `runStep` is not where @ethereumjs/evm 10 keeps them, nothing is installed.
 * packages/node/test/execution-synchronous-steps.test.ts runs random programs and real contracts
 * with and without it and compares results, gas, logs, storage and errors.
 */

const SYNCHRONOUS_GAS = Symbol.for('weft.synchronousGas');
const INSTALLED = Symbol.for('weft.synchronousSteps');

/**
 * Marks a dynamic gas handler as returning its gas directly. It may still return a promise when it
 * cannot answer without waiting (SSTORE when the state must be read from disk); the step then waits.
 */
export function markSynchronousGas<T extends (...args: never[]) => bigint | Promise<bigint>>(handler: T): T {
  (handler as unknown as Record<symbol, boolean>)[SYNCHRONOUS_GAS] = true;
  return handler;
}

interface OpcodeInfo {
  readonly code: number;
  readonly feeBigInt: bigint;
  readonly isAsync: boolean;
  readonly dynamicGas: boolean;
  readonly isInvalid: boolean;
}

interface OpcodeEntry {
  readonly opcodeInfo: OpcodeInfo;
  readonly opHandler: (runState: RunState, common: unknown) => unknown;
  readonly gasHandler?: ((runState: RunState, gas: bigint, common: unknown) => unknown) & {
    [SYNCHRONOUS_GAS]?: boolean;
  };
}

interface RunState {
  programCounter: number;
  opCode: number;
  code: Uint8Array;
  gasLeft: bigint;
  validJumps: Uint8Array;
  cachedPushes: unknown;
  shouldDoJumpAnalysis: boolean;
  eip7928PostTargetCallOog?: unknown;
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean;
  readonly env: { readonly accessWitness?: { commit(): void; revert(): void } };
}

interface InterpreterInternals {
  readonly _runState: RunState;
  readonly common: { isActivatedEIP(eip: number): boolean };
  readonly profilerOpts?: { enabled?: boolean };
  readonly _evm: { readonly DEBUG: boolean; readonly events: { listenerCount(event: string): number } };
  runStep(entry: OpcodeEntry | undefined): Promise<void>;
  useGas(amount: bigint, context: OpcodeInfo): void;
  lookupOpInfo(opcode: number): OpcodeEntry;
  _getValidJumpDestinations(code: Uint8Array): {
    jumps: Uint8Array;
    pushes: unknown;
    opcodesCached: OpcodeEntry[];
  };
}

interface RunResult {
  runState: RunState;
  exceptionError: EVMError | undefined;
}

type Run = (this: InterpreterInternals, code: Uint8Array, opts?: { pc?: number }) => Promise<RunResult>;

const JUMP = 0x56;
const JUMPI = 0x57;
const JUMPSUB = 0x5e;
const EOF_MAGIC_FIRST_BYTE = 0xef;

// The constructor of `async function`s (not a global): a handler made with it always returns a promise.
const AsyncFunction = (async () => {}).constructor;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isEvmError(error: unknown): error is EVMError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'errorType' in error &&
    (error as { errorType: unknown }).errorType === 'EVMError'
  );
}

/** Whether this frame needs something only the library's own loop does. */
function needsLibraryLoop(
  interpreter: InterpreterInternals,
  code: Uint8Array,
  opts: { pc?: number },
): boolean {
  const { common, _evm: evm } = interpreter;
  return (
    opts.pc !== undefined ||
    code[0] === EOF_MAGIC_FIRST_BYTE ||
    common.isActivatedEIP(3540) ||
    common.isActivatedEIP(6800) ||
    common.isActivatedEIP(7864) ||
    interpreter.profilerOpts?.enabled === true ||
    evm.DEBUG ||
    evm.events.listenerCount('step') > 0
  );
}

async function runWithSynchronousSteps(
  this: InterpreterInternals,
  libraryRun: Run,
  code: Uint8Array,
  opts: { pc?: number },
): Promise<RunResult> {
  if (!enabled || needsLibraryLoop(this, code, opts)) return libraryRun.call(this, code, opts);
  const runState = this._runState;
  const common = this.common;
  runState.code = code;
  let err: EVMError | undefined;
  let cachedOpcodes: OpcodeEntry[] | undefined;
  while (runState.programCounter < runState.code.length) {
    const programCounter = runState.programCounter;
    let opCode: number;
    let entry: OpcodeEntry | undefined;
    if (cachedOpcodes === undefined) {
      opCode = runState.code[programCounter] as number;
      // As the library: analyse jump destinations (and pre-decode pushes) once the code first jumps.
      if (opCode === JUMP || opCode === JUMPI || opCode === JUMPSUB) {
        const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(runState.code);
        runState.validJumps = jumps;
        runState.cachedPushes = pushes;
        runState.shouldDoJumpAnalysis = false;
        cachedOpcodes = opcodesCached;
      }
    } else {
      entry = cachedOpcodes[programCounter] as OpcodeEntry;
      opCode = entry.opcodeInfo.code;
    }
    runState.opCode = opCode;
    try {
      const step = entry ?? this.lookupOpInfo(opCode);
      const info = step.opcodeInfo;
      const gasHandler = step.gasHandler;
      if (
        step.opHandler instanceof AsyncFunction ||
        info.isInvalid ||
        (info.dynamicGas && gasHandler?.[SYNCHRONOUS_GAS] !== true) ||
        runState.eip7928PostTargetCallOog !== undefined
      ) {
        await this.runStep(entry);
        continue;
      }
      let gas = info.feeBigInt;
      if (info.dynamicGas) {
        const dynamic = (gasHandler as NonNullable<typeof gasHandler>)(runState, gas, common);
        gas = typeof dynamic === 'bigint' ? dynamic : await (dynamic as Promise<bigint>);
      }
      this.useGas(gas, info);
      runState.programCounter++;
      const result = step.opHandler(runState, common);
      // The library awaits the handler of an opcode it lists as asynchronous; one written as a plain
      // function (CALLER, CALLDATALOAD, …) returns nothing to wait for, but whatever it returns that
      // can be waited for is waited for here too.
      if (info.isAsync && isThenable(result)) await result;
      runState.env.accessWitness?.commit();
    } catch (error) {
      // As the library: revert access-witness changes (EIP-4762), re-throw non-EVM errors, STOP is no error.
      runState.env.accessWitness?.revert();
      if (!isEvmError(error)) throw error;
      if (error.error !== EVMError.errorMessages.STOP) err = error;
      break;
    }
  }
  if (
    err === undefined &&
    runState.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true &&
    runState.gasLeft > 0n
  ) {
    // As the library: an EIP-8037 create halt burns what is left and fails the frame.
    runState.gasLeft = 0n;
    err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
  }
  return { runState, exceptionError: err };
}

let enabled = true;

/** Turns the synchronous loop off (the library's own loop runs) or back on: for comparisons in tests and benchmarks. */
export function setSynchronousStepsEnabled(on: boolean): void {
  enabled = on;
}

/** Installs the synchronous-step loop once per process; resolves true when it is active. */
export const installSynchronousSteps: () => Promise<boolean> = installOnce(install);

async function install(): Promise<boolean> {
  const prototype = await evmInterpreterPrototype();
  if (prototype === undefined) return false;
  if (prototype[INSTALLED] === true) return true;
  const libraryRun = prototype.run;
  if (
    typeof libraryRun !== 'function' ||
    typeof prototype.runStep !== 'function' ||
    typeof prototype.useGas !== 'function' ||
    typeof prototype.lookupOpInfo !== 'function' ||
    typeof prototype._getValidJumpDestinations !== 'function'
  )
    return false;
  prototype.run = function run(this: InterpreterInternals, code: Uint8Array, opts: { pc?: number } = {}) {
    return runWithSynchronousSteps.call(this, libraryRun as Run, code, opts);
  };
  prototype[INSTALLED] = true;
  return true;
}
