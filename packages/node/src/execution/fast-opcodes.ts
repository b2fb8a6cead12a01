import { type Common, Hardfork } from '@ethereumjs/common';
import { EVMError, type EVMOpts, getOpcodesForHF, paramsEVM } from '@ethereumjs/evm';
import { WeftError } from '@weft/crypto/errors';
import { markSynchronousGas } from './synchronous-steps.js';

/**
 * Allocation-light, synchronous versions of the opcodes an ERC-20 transfer spends most on, given to
 * @ethereumjs/evm through its public `customOpcodes` option. The library converts every 256-bit word
 * between bigint and bytes through hex strings and pads with array spreads; for MSTORE, MLOAD,
 * KECCAK256 and SLOAD that is ~5-8% of an ERC-20 transfer's CPU and ~9% of its allocations (measured);
 * and its gas handlers are `async`, so each such step waits a microtask (synchronous-steps.ts).
 * Semantics are the Yellow Paper's (§H.2), exactly as the library's own handlers implement them:
 * - the gas (base fee; memory expansion, word cost, EIP-2929 access) is the library's, computed by
 *   synchronous copies of its dynamic gas handlers;
 * - MSTORE writes the word big-endian at `offset` (memory already expanded by the gas handler);
 * - MLOAD pushes the big-endian word at `offset`;
 * - KECCAK256 pushes keccak256(memory[offset, offset + length)) read as a big-endian word;
 * - SLOAD pushes the account's storage value at the 32-byte big-endian key: from the state without
 *   waiting where it can tell (`peekStorage`), else through the interpreter's own `storageLoad`; its
 *   gas is the library's EIP-2929 rule, synchronous (both so that SLOAD is a synchronous step).
 * - SSTORE stores the word at the key and charges EIP-2200 net gas metering with EIP-2929's warm/cold
 *   prices and EIP-3529's refunds (the hardfork's parameters), from the slot's current and original
 *   values read without waiting where the state can; otherwise the library's handlers run. Only where
 *   the experimental EIPs that change SSTORE (7928 access lists, 8037/8038 state gas) are off.
 * - LOG0-LOG4 record the log as the library does, with the topics encoded without hex strings;
 * - RETURN and REVERT keep the library's logic; their gas (memory expansion), like LOG's (memory,
 *   topic and data gas), is computed synchronously, so that they too are synchronous steps.
 * packages/node/test/execution-fast-opcodes.test.ts runs random programs on both and compares.
 */

type CustomOpcode = NonNullable<EVMOpts['customOpcodes']>[number];
type AddOpcode = Extract<CustomOpcode, { logicFunction: unknown }>;
type RunState = Parameters<AddOpcode['logicFunction']>[0];

const MSTORE = 0x52;
const MLOAD = 0x51;
const KECCAK256 = 0x20;
const SLOAD = 0x54;
const SSTORE = 0x55;
const LOG0 = 0xa0;
const LOG4 = 0xa4;
const RETURN = 0xf3;
const REVERT = 0xfd;

// Scratch space: handlers run one at a time and copy out of these before returning.
const scratch = new Uint8Array(32);
const scratchView = new DataView(scratch.buffer);
const MASK_64 = (1n << 64n) - 1n;

function wordFromScratch(): bigint {
  return (
    (scratchView.getBigUint64(0) << 192n) |
    (scratchView.getBigUint64(8) << 128n) |
    (scratchView.getBigUint64(16) << 64n) |
    scratchView.getBigUint64(24)
  );
}

function wordFromBytes(bytes: Uint8Array): bigint {
  scratch.set(bytes);
  return wordFromScratch();
}

/** Writes a stack word big-endian into the scratch space (stack items are below 2^256). */
function wordToScratch(word: bigint): void {
  scratchView.setBigUint64(0, word >> 192n);
  scratchView.setBigUint64(8, (word >> 128n) & MASK_64);
  scratchView.setBigUint64(16, (word >> 64n) & MASK_64);
  scratchView.setBigUint64(24, word & MASK_64);
}

// The two below copy out of the scratch space with `slice`: a DataView over (or a subarray of) a fresh
// small array would make V8 move that array's bytes off its heap into an ArrayBuffer of their own
// first (~2.5× slower, measured).

/** A fresh 32-byte big-endian encoding of a stack word (for callers that may keep it). */
function wordToBytes(word: bigint): Uint8Array {
  wordToScratch(word);
  return scratch.slice();
}

/** The shortest big-endian encoding of a word (empty for zero), as the library hands SSTORE values on. */
function wordToMinimalBytes(word: bigint): Uint8Array {
  wordToScratch(word);
  let first = 0;
  while (first < 32 && scratch[first] === 0) first++;
  return scratch.slice(first);
}

/** A big-endian unsigned integer of at most 32 bytes (a storage value) as a word. */
function shortBytesToWord(bytes: Uint8Array): bigint {
  scratch.fill(0);
  scratch.set(bytes, 32 - bytes.length);
  return wordFromScratch();
}

// Two pops instead of `popN(2)` and destructuring: the same order (top first) without the array.
function mstore(runState: RunState): void {
  const offset = runState.stack.pop();
  wordToScratch(runState.stack.pop());
  // Memory.write copies the bytes into memory.
  runState.memory.write(Number(offset), 32, scratch);
}

function mload(runState: RunState): void {
  const offset = runState.stack.pop();
  runState.stack.push(wordFromBytes(runState.memory.read(Number(offset), 32, true)));
}

const EMPTY = new Uint8Array(0);

/**
 * LOG0-LOG4 as the library's: pop offset and length, then the topics (top of the stack first), and
 * record (address, topics, memory[offset, offset + length)) with the interpreter's `log`. Each topic
 * goes straight to 32 bytes instead of through a hex string and a padded copy: a LOG3 with its five
 * pushes took 6.6 – 6.9 µs that way against 2.5 µs (measured), and an ERC-20 transfer logs one. The
 * gas handler (`logGas`) has already refused a static call and charged the memory the read expands.
 */
function logOpcode(runState: RunState): void {
  const offset = runState.stack.pop();
  const length = runState.stack.pop();
  const count = runState.opCode - LOG0;
  const topics: Uint8Array[] = [];
  for (let i = 0; i < count; i++) topics.push(wordToBytes(runState.stack.pop()));
  const data = length === 0n ? new Uint8Array(0) : runState.memory.read(Number(offset), Number(length));
  runState.interpreter.log(data, count, topics);
}

function keccak256Opcode(runState: RunState, common: Common): void {
  const offset = runState.stack.pop();
  const length = runState.stack.pop();
  const hash = common.customCrypto.keccak256;
  if (hash === undefined) {
    throw new WeftError('EXECUTION_ERROR', 'the fast KECCAK256 opcode needs common.customCrypto.keccak256');
  }
  // The hash reads the bytes before anything else can touch memory, so a view is enough.
  const data = length === 0n ? EMPTY : runState.memory.read(Number(offset), Number(length), true);
  runState.stack.push(wordFromBytes(hash(data)));
}

type Address = RunState['env']['address'];

/** A state that can answer some storage reads without waiting (weft's FlatStateManager). */
interface PeekableStorage {
  peekStorage(address: Address, slot: Uint8Array): Uint8Array | undefined;
}

function canPeekStorage(state: unknown): state is PeekableStorage {
  return typeof (state as Partial<PeekableStorage>).peekStorage === 'function';
}

/** A state that can also write storage and read the original values without waiting (SSTORE). */
interface WritableNowStorage extends PeekableStorage {
  peekOriginalStorage(address: Address, slot: Uint8Array): Uint8Array | undefined;
  peekAccount(address: Address): RunState['env']['contract'] | undefined;
  putStorageNow(address: Address, slot: Uint8Array, value: Uint8Array): void;
}

function canWriteStorageNow(state: unknown): state is WritableNowStorage {
  const candidate = state as Partial<WritableNowStorage>;
  return (
    canPeekStorage(state) &&
    typeof candidate.peekOriginalStorage === 'function' &&
    typeof candidate.peekAccount === 'function' &&
    typeof candidate.putStorageNow === 'function'
  );
}

/** A storage value (empty for zero, else at most 32 big-endian bytes) as a word. */
function storageWord(value: Uint8Array): bigint {
  if (value.length > 32) {
    throw new WeftError('EXECUTION_ERROR', 'the state returned a storage value longer than 32 bytes');
  }
  return value.length === 0 ? 0n : shortBytesToWord(value);
}

function pushStorageValue(runState: RunState, value: Uint8Array): void {
  runState.stack.push(storageWord(value));
}

/**
 * A plain function, not `async`: when the state knows the value without waiting (nearly always — the
 * slot was read or written earlier in the block, or LevelDB answers in place) the step completes
 * synchronously; otherwise it returns the promise of the interpreter's own `storageLoad`, which the
 * step loop waits for. Under EIP-7928 every read goes through `storageLoad`, which records it.
 */
function sload(runState: RunState, common: Common): Promise<void> | undefined {
  const key = wordToBytes(runState.stack.pop());
  const state = runState.stateManager;
  if (!common.isActivatedEIP(7928) && canPeekStorage(state)) {
    const value = state.peekStorage(runState.env.address, key);
    if (value !== undefined) {
      pushStorageValue(runState, value);
      return undefined;
    }
  }
  return runState.interpreter.storageLoad(key).then((value) => pushStorageValue(runState, value));
}

/**
 * SSTORE's effect, as the interpreter's `storageStore`: the value (shortest encoding) written to the
 * frame's account, then the frame's account re-read into `env.contract`.
 * Synchronous when the state allows (weft's FlatStateManager, account known), else the step waits.
 */
function sstore(runState: RunState): Promise<void> | undefined {
  const key = wordToBytes(runState.stack.pop());
  const value = wordToMinimalBytes(runState.stack.pop());
  const state = runState.stateManager;
  if (!canWriteStorageNow(state)) return runState.interpreter.storageStore(key, value);
  const address = runState.env.address;
  state.putStorageNow(address, key, value);
  const account = state.peekAccount(address);
  if (account !== undefined) {
    runState.env.contract = account;
    return undefined;
  }
  return state.getAccount(address).then((read) => {
    if (read === undefined) {
      throw new WeftError('EXECUTION_ERROR', 'could not read the account whose storage SSTORE wrote');
    }
    runState.env.contract = read;
  });
}

/**
 * SSTORE gas: EIP-2200 net gas metering (the sentry: fail when no more than the call stipend is
 * left; no-op, fresh write of a clean slot, dirty write; refunds for clearing and for restoring the
 * original value), with EIP-2929's prices (a no-op and a restore priced as a warm read when the slot
 * is warm; a cold slot costs the cold read on top, and is warmed) and EIP-3529's refund amounts (the
 * hardfork's `sstore*` parameters). The order of checks and refunds is the library's. When the state
 * cannot give the current and original values without waiting, the library's own handler runs.
 */
function sstoreGasWith(libraryGas: NonNullable<AddOpcode['gasFunction']>) {
  return markSynchronousGas(function sstoreGas(
    runState: RunState,
    gas: bigint,
    common: Common,
  ): bigint | Promise<bigint> {
    const state = runState.stateManager;
    if (!canWriteStorageNow(state)) return libraryGas(runState, gas, common);
    const interpreter = runState.interpreter;
    if (interpreter.isStatic()) throw new EVMError(EVMError.errorMessages.STATIC_STATE_CHANGE);
    const [keyWord, value] = runState.stack.peek(2) as [bigint, bigint];
    const key = wordToBytes(keyWord);
    const address = runState.env.address;
    const currentBytes = state.peekStorage(address, key);
    const originalBytes = currentBytes === undefined ? undefined : state.peekOriginalStorage(address, key);
    if (currentBytes === undefined || originalBytes === undefined) return libraryGas(runState, gas, common);
    const current = storageWord(currentBytes);
    const original = storageWord(originalBytes);

    if (interpreter.getGasLeft() <= common.param('sstoreSentryEIP2200Gas')) {
      throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
    }
    const journal = interpreter.journal;
    const warm = journal.isWarmedStorage(address.bytes, key);
    const warmRead = common.param('warmstoragereadGas');
    const clearRefund = common.param('sstoreClearRefundEIP2200Gas');
    let cost: bigint;
    if (current === value) {
      cost = warm ? warmRead : common.param('sstoreNoopEIP2200Gas');
    } else if (original === current) {
      if (original === 0n) {
        cost = common.param('sstoreInitEIP2200Gas');
      } else {
        if (value === 0n) interpreter.refundGas(clearRefund, 'EIP-2200 -> sstoreClearRefundEIP2200');
        cost = common.param('sstoreCleanEIP2200Gas');
      }
    } else {
      if (original !== 0n) {
        if (current === 0n) interpreter.subRefund(clearRefund, 'EIP-2200 -> sstoreClearRefundEIP2200');
        else if (value === 0n) interpreter.refundGas(clearRefund, 'EIP-2200 -> sstoreClearRefundEIP2200');
      }
      if (original === value) {
        if (original === 0n) {
          const refund = warm
            ? common.param('sstoreInitEIP2200Gas') - warmRead
            : common.param('sstoreInitRefundEIP2200Gas');
          interpreter.refundGas(refund, 'EIP-2200 -> initRefund');
        } else {
          const refund = warm
            ? common.param('sstoreResetGas') - common.param('coldsloadGas') - warmRead
            : common.param('sstoreCleanRefundEIP2200Gas');
          interpreter.refundGas(refund, 'EIP-2200 -> cleanRefund');
        }
      }
      cost = common.param('sstoreDirtyEIP2200Gas');
    }
    // EIP-2929 after the EIP-2200 rules (whose sentry must see the gas before the cold surcharge).
    if (!warm) {
      journal.addWarmedStorage(address.bytes, key);
      cost += common.param('coldsloadGas');
    }
    return gas + cost;
  });
}

/** Whether this hardfork's SSTORE is the one `sstoreGasWith` implements. */
function isPlainSstore(common: Common): boolean {
  return (
    common.gteHardfork(Hardfork.Berlin) &&
    common.isActivatedEIP(2929) &&
    ![6800, 7864, 7928, 8037, 8038].some((eip) => common.isActivatedEIP(eip))
  );
}

/**
 * Memory expansion gas, exactly as the library's `subMemUsage` (Yellow Paper eq. 326: C_mem(a) =
 * G_memory·a + ⌊a²/512⌋ for a words, charged as the increase over the highest cost so far; an access
 * of zero length expands nothing). Updates the frame's word count and highest cost, as the library.
 */
function memoryExpansionGas(runState: RunState, offset: bigint, length: bigint, common: Common): bigint {
  if (length === 0n) return 0n;
  const words = (offset + length + 31n) / 32n;
  if (words <= runState.memoryWordCount) return 0n;
  let cost = words * common.param('memoryGas') + (words * words) / common.param('quadCoefficientDivGas');
  if (cost > runState.highestMemCost) {
    const before = runState.highestMemCost;
    runState.highestMemCost = cost;
    cost -= before;
  }
  runState.memoryWordCount = words;
  return cost;
}

// Synchronous versions of the library's MLOAD/MSTORE/KECCAK256 gas handlers (same formulas: memory
// expansion, and for KECCAK256 G_keccak256word per word hashed), so that these steps never wait a
// microtask (see synchronous-steps.ts).
const memoryWordGas = markSynchronousGas(function memoryWordGas(
  runState: RunState,
  gas: bigint,
  common: Common,
) {
  return gas + memoryExpansionGas(runState, runState.stack.peek(1)[0] as bigint, 32n, common);
});
// The library's SLOAD gas (EIP-2929: cold 2100 the first time a frame's transaction touches the slot,
// warm 100 after, the slot warmed in the journal), synchronous. Only where the stateless EIPs
// 6800/7864 (which charge code-chunk access instead) are off; `fastOpcodes` keeps the library's there.
const sloadGas = markSynchronousGas(function sloadGas(runState: RunState, gas: bigint, common: Common) {
  if (!common.isActivatedEIP(2929)) return gas;
  const key = wordToBytes(runState.stack.peek()[0] as bigint);
  const address = runState.interpreter.getAddress().bytes;
  const journal = runState.interpreter.journal;
  if (journal.isWarmedStorage(address, key)) return gas + common.param('warmstoragereadGas');
  journal.addWarmedStorage(address, key);
  return gas + common.param('coldsloadGas');
});

// The library's RETURN/REVERT gas (memory expansion of the returned range), synchronous.
const returnGas = markSynchronousGas(function returnGas(runState: RunState, gas: bigint, common: Common) {
  const [offset, length] = runState.stack.peek(2) as [bigint, bigint];
  return gas + memoryExpansionGas(runState, offset, length, common);
});

// The library's LOG0-LOG4 gas (Yellow Paper: G_log + G_logtopic per topic + G_logdata per byte, and
// memory expansion; refused in a static call), synchronous.
const logGas = markSynchronousGas(function logGas(runState: RunState, gas: bigint, common: Common) {
  if (runState.interpreter.isStatic()) throw new EVMError(EVMError.errorMessages.STATIC_STATE_CHANGE);
  const [offset, length] = runState.stack.peek(2) as [bigint, bigint];
  const topics = runState.opCode - LOG0;
  if (topics < 0 || topics > 4) throw new EVMError(EVMError.errorMessages.OUT_OF_RANGE);
  return (
    gas +
    memoryExpansionGas(runState, offset, length, common) +
    common.param('logTopicGas') * BigInt(topics) +
    length * common.param('logDataGas')
  );
});

const keccak256Gas = markSynchronousGas(function keccak256Gas(
  runState: RunState,
  gas: bigint,
  common: Common,
) {
  const [offset, length] = runState.stack.peek(2) as [bigint, bigint];
  return (
    gas +
    memoryExpansionGas(runState, offset, length, common) +
    common.param('keccak256WordGas') * ((length + 31n) / 32n)
  );
});

/**
 * The replacements for `createEVM({ common, customOpcodes })`, each with the base fee and dynamic
 * gas handler of the opcode it replaces in `common`'s hardfork. Registers the EVM's default gas
 * parameters on `common`, as `createEVM` does (an EVM given other `params` must not use these).
 */
export function fastOpcodes(common: Common): CustomOpcode[] {
  // The opcode table reads the EVM's gas parameters; register them as createEVM itself does.
  common.updateParams(paramsEVM);
  const { opcodeMap } = getOpcodesForHF(common) as {
    opcodeMap: {
      opcodeInfo: { fee: number; name: string };
      opHandler: AddOpcode['logicFunction'];
      gasHandler?: AddOpcode['gasFunction'];
    }[];
  };
  const replace = (
    opcode: number,
    name: string,
    logicFunction: AddOpcode['logicFunction'],
    gasFunction?: AddOpcode['gasFunction'],
  ): AddOpcode => {
    const entry = opcodeMap[opcode];
    if (entry === undefined || entry.opcodeInfo.name !== name || entry.gasHandler === undefined) {
      throw new WeftError('EXECUTION_ERROR', `the EVM's ${name} is not where weft expects it`);
    }
    return {
      opcode,
      opcodeName: name,
      baseFee: entry.opcodeInfo.fee,
      gasFunction: gasFunction ?? entry.gasHandler,
      logicFunction,
    };
  };
  // The library's own logic (plain functions) with synchronous gas: these steps then never wait.
  const withSynchronousGas = (opcode: number, name: string, gas: AddOpcode['gasFunction']): AddOpcode => {
    const handler = opcodeMap[opcode]?.opHandler;
    if (handler === undefined) throw new WeftError('EXECUTION_ERROR', `the EVM has no ${name}`);
    return replace(opcode, name, handler, gas);
  };
  const stateless = common.isActivatedEIP(6800) || common.isActivatedEIP(7864);
  return [
    withSynchronousGas(RETURN, 'RETURN', returnGas),
    withSynchronousGas(REVERT, 'REVERT', returnGas),
    ...Array.from({ length: LOG4 - LOG0 + 1 }, (_, topics) =>
      replace(LOG0 + topics, 'LOG', logOpcode, logGas),
    ),
    replace(MSTORE, 'MSTORE', mstore, memoryWordGas),
    replace(MLOAD, 'MLOAD', mload, memoryWordGas),
    replace(KECCAK256, 'KECCAK256', keccak256Opcode as AddOpcode['logicFunction'], keccak256Gas),
    replace(SLOAD, 'SLOAD', sload as AddOpcode['logicFunction'], stateless ? undefined : sloadGas),
    ...(isPlainSstore(common)
      ? [
          replace(
            SSTORE,
            'SSTORE',
            sstore as AddOpcode['logicFunction'],
            // Typed as the library's sync-or-async union; the step loop handles a handler that is both.
            sstoreGasWith(
              opcodeMap[SSTORE]?.gasHandler as NonNullable<AddOpcode['gasFunction']>,
            ) as AddOpcode['gasFunction'],
          ),
        ]
      : []),
  ];
}
