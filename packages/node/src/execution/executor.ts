import type { Common } from '@ethereumjs/common';
import { createEVM, type EVM, type EVMMockBlockchainInterface } from '@ethereumjs/evm';
import { Account, Address, KECCAK256_NULL } from '@ethereumjs/util';
import type { Receipt } from '@weft/core/receipt';
import { assertBytes, bytesToHex, equalBytes } from '@weft/crypto/bytes';
import { isWeftError, WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import type { FlatStateManager } from '../state/flat-state-manager.js';
import { LtHash } from '../state/lthash.js';
import { createChainCommon } from './evm-config.js';
import { fastOpcodes } from './fast-opcodes.js';
import { intrinsicGas, MAX_INITCODE_SIZE } from './intrinsic-gas.js';
import { installJumpAnalysisCache } from './jump-analysis-cache.js';
import { installLeanFrames } from './lean-frames.js';
import { installSynchronousSteps } from './synchronous-steps.js';
import { createEvmBlock, type EvmBlock, outcomeToReceipt, runTransaction } from './transaction.js';
import type {
  AccountView,
  AppliedGenesis,
  BlockContext,
  CallRequest,
  CallResult,
  ExecutableTransaction,
  ExecuteBlockOptions,
  ExecutedBlock,
  GenesisAllocation,
  InvalidTransaction,
} from './types.js';

/**
 * Runs transactions and blocks with @ethereumjs/evm over the flat state. This file plays the part
 * of @ethereumjs/vm's `runTx` (which weft does not use): validity checks, intrinsic gas, warm
 * addresses, the top-level call, refunds, SELFDESTRUCT and empty-account clean-up, receipts.
 *
 * weft charges no fees: the gas price is 0, so no balance ever pays for gas and no coinbase is paid,
 * but gas is metered exactly as on Ethereum (limits, refunds, `gasUsed` in receipts).
 */

export interface BlockExecutorOptions {
  readonly suite: CryptoSuite;
  readonly chainId: bigint;
  /** The node's state (its committed view); the executor works in views of it and never commits. */
  readonly stateManager: FlatStateManager;
  /** Default per-transaction gas limit (the `txGasLimit` chain setting); default 300,000,000. */
  readonly txGasLimit?: bigint;
  /** Gas given to `call` when the request names none (and the ceiling of `estimateGas`); default 50,000,000. */
  readonly callGasLimit?: bigint;
  /** BLOCKHASH: the hash of block `number`, for the 256 blocks before the current one. */
  readonly getBlockHash?: (number: bigint) => Promise<Uint8Array | undefined>;
}

export interface BlockExecutor {
  readonly stateManager: FlatStateManager;
  readonly common: Common;
  /**
   * Executes `txs` on the committed state and returns receipts, the new root and the state diff,
   * without changing the committed state. Blocks run one at a time (calls queue up).
   * - build: invalid transactions are dropped (listed in `invalid`), and the block stops at the
   *   first transaction whose gas limit exceeds the gas left in the block (`deferred`).
   * - verify: any such transaction makes the whole block invalid: WeftError INVALID_BLOCK.
   */
  executeBlock<T extends ExecutableTransaction>(
    ctx: BlockContext,
    txs: readonly T[],
    options: ExecuteBlockOptions,
  ): Promise<ExecutedBlock<T>>;
  /** eth_call: runs on the committed state in a throw-away view; safe while a block executes. */
  call(ctx: BlockContext, request: CallRequest): Promise<CallResult>;
  /** eth_estimateGas: the least gas limit (within 1.5%) with which `request` succeeds. */
  estimateGas(ctx: BlockContext, request: CallRequest): Promise<bigint>;
  /** Block 0's state; the committed state must be empty. */
  applyGenesis(alloc: readonly GenesisAllocation[]): Promise<AppliedGenesis>;
  getAccount(address: Uint8Array): Promise<AccountView | null>;
  getNonce(address: Uint8Array): Promise<bigint>;
  getCode(address: Uint8Array): Promise<Uint8Array>;
  getStorageAt(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>;
}

interface Engine {
  readonly view: FlatStateManager;
  readonly evm: EVM;
}

const DEFAULT_TX_GAS_LIMIT = 300_000_000n;
const DEFAULT_CALL_GAS_LIMIT = 50_000_000n;
const MAX_NONCE = 2n ** 64n - 1n;
const ZERO_ADDRESS = new Uint8Array(20);
const IDLE_CALL_ENGINES = 4;
/** Longest stretch of block execution between two turns of the event loop. */
const YIELD_EVERY_MS = 5;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function emptyStateRoot(suite: CryptoSuite): Uint8Array {
  return suite.hash(LtHash.zero().toBytes());
}

export async function createBlockExecutor(options: BlockExecutorOptions): Promise<BlockExecutor> {
  await installJumpAnalysisCache();
  await installSynchronousSteps();
  await installLeanFrames();
  const common = createChainCommon(options.chainId);
  const executor = new Executor(options, common);
  return executor;
}

class Executor implements BlockExecutor {
  readonly stateManager: FlatStateManager;
  readonly common: Common;
  private readonly suite: CryptoSuite;
  private readonly chainId: bigint;
  private readonly txGasLimit: bigint;
  private readonly callGasLimit: bigint;
  private readonly blockchain: EVMMockBlockchainInterface;
  private blockEngine: Engine | undefined;
  private readonly idleCallEngines: Engine[] = [];
  private blockQueue: Promise<unknown> = Promise.resolve();

  constructor(options: BlockExecutorOptions, common: Common) {
    this.stateManager = options.stateManager;
    this.common = common;
    this.suite = options.suite;
    this.chainId = options.chainId;
    this.txGasLimit = options.txGasLimit ?? DEFAULT_TX_GAS_LIMIT;
    this.callGasLimit = options.callGasLimit ?? DEFAULT_CALL_GAS_LIMIT;
    const getBlockHash = options.getBlockHash;
    this.blockchain = {
      async getBlock(blockId: number) {
        const hash = getBlockHash === undefined ? undefined : await getBlockHash(BigInt(blockId));
        const value = hash ?? new Uint8Array(32);
        return { hash: () => value };
      },
      async putBlock() {},
      shallowCopy() {
        return this;
      },
    };
  }

  private async createEngine(): Promise<Engine> {
    const view = this.stateManager.createView({ paddedStorageValues: true });
    const common = this.common.copy();
    const evm = await createEVM({
      common,
      stateManager: view,
      blockchain: this.blockchain,
      customOpcodes: fastOpcodes(common),
    });
    return { view, evm };
  }

  private evmBlock(ctx: BlockContext): EvmBlock {
    if (ctx.chainId !== this.chainId) {
      throw new WeftError('WRONG_CHAIN', 'block context is for another chain', {
        details: { expected: this.chainId.toString(), actual: ctx.chainId.toString() },
      });
    }
    return createEvmBlock(ctx);
  }

  // ------------------------------------------------------------------ blocks

  executeBlock<T extends ExecutableTransaction>(
    ctx: BlockContext,
    txs: readonly T[],
    options: ExecuteBlockOptions,
  ): Promise<ExecutedBlock<T>> {
    const run = this.blockQueue.then(() => this.executeBlockNow(ctx, txs, options));
    this.blockQueue = run.catch(() => undefined);
    return run;
  }

  private async executeBlockNow<T extends ExecutableTransaction>(
    ctx: BlockContext,
    txs: readonly T[],
    options: ExecuteBlockOptions,
  ): Promise<ExecutedBlock<T>> {
    const block = this.evmBlock(ctx);
    if (
      options.parentStateRoot !== undefined &&
      !equalBytes(options.parentStateRoot, this.stateManager.committedStateRoot)
    ) {
      throw new WeftError('STORAGE_ERROR', 'the committed state is not the parent state of this block', {
        details: {
          committed: bytesToHex(this.stateManager.committedStateRoot),
          parent: bytesToHex(options.parentStateRoot),
        },
      });
    }
    this.blockEngine ??= await this.createEngine();
    const engine = this.blockEngine;
    engine.view.discardChanges();
    const verify = options.mode === 'verify';
    const txGasLimit = options.txGasLimit ?? this.txGasLimit;
    const receipts: Receipt[] = [];
    const included: T[] = [];
    const invalid: InvalidTransaction<T>[] = [];
    let deferred: T[] = [];
    let gasUsed = 0n;
    let lastYield = performance.now();
    try {
      for (let i = 0; i < txs.length; i++) {
        // The EVM's awaits resolve without I/O, so a block would otherwise hold the event loop for
        // its whole run (~100 ms per 500 ERC-20 transfers): let RPC requests (and the decode workers
        // they feed) in every few milliseconds. Only scheduling changes; the block view is private.
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        const tx = txs[i] as T;
        // Ethereum's rule (Yellow Paper §6): a transaction fits if its whole gas limit fits in what
        // the block has left.
        if (tx.gasLimit <= ctx.gasLimit && tx.gasLimit > ctx.gasLimit - gasUsed) {
          if (verify)
            throw invalidBlock(
              i,
              tx,
              new WeftError('GAS_LIMIT_EXCEEDED', 'transaction exceeds the gas left in the block'),
            );
          deferred = txs.slice(i);
          break;
        }
        const checked = await this.checkTransaction(engine.view, tx, ctx, txGasLimit);
        if (checked instanceof WeftError) {
          if (verify) throw invalidBlock(i, tx, checked);
          invalid.push({ tx, error: checked });
          continue;
        }
        const outcome = await runTransaction(engine.evm, block, tx, checked);
        gasUsed += outcome.gasUsed;
        receipts.push(outcomeToReceipt(outcome, gasUsed));
        included.push(tx);
      }
      const diff = await engine.view.computeDiff();
      return { receipts, included, invalid, deferred, gasUsed, stateRoot: diff.stateRoot, diff };
    } catch (error) {
      // An exception (unlike a halt) can leave the EVM's own checkpoint stacks (journal, transient
      // storage) unbalanced: never reuse that EVM.
      if (!isWeftError(error, 'INVALID_BLOCK')) this.blockEngine = undefined;
      throw asExecutionError(error);
    } finally {
      engine.view.discardChanges();
    }
  }

  /** Validity of a transaction on the current state: the intrinsic gas, or why it is invalid. */
  private async checkTransaction(
    view: FlatStateManager,
    tx: ExecutableTransaction,
    ctx: BlockContext,
    txGasLimit: bigint,
  ): Promise<{ intrinsic: bigint; floor: bigint; senderNonce: bigint } | WeftError> {
    try {
      assertBytes(tx.sender, 20, 'sender');
      if (tx.to !== null) assertBytes(tx.to, 20, 'recipient');
      assertBytes(tx.data, undefined, 'data');
    } catch (error) {
      return error as WeftError;
    }
    if (tx.value < 0n || tx.gasLimit < 0n)
      return new WeftError('INVALID_TRANSACTION', 'negative value or gas limit');
    if (tx.gasLimit > txGasLimit || tx.gasLimit > ctx.gasLimit) {
      return new WeftError('GAS_LIMIT_EXCEEDED', 'transaction gas limit exceeds the chain limit', {
        details: { limit: (txGasLimit < ctx.gasLimit ? txGasLimit : ctx.gasLimit).toString() },
      });
    }
    if (tx.to === null && tx.data.length > MAX_INITCODE_SIZE) {
      return new WeftError('TX_TOO_LARGE', `init code exceeds ${MAX_INITCODE_SIZE} bytes (EIP-3860)`);
    }
    const { intrinsic, floor, minimumGasLimit: required } = intrinsicGas(tx);
    if (tx.gasLimit < required) {
      return new WeftError('INVALID_TRANSACTION', 'gas limit is below the intrinsic gas', {
        details: { intrinsic: required.toString(), gasLimit: tx.gasLimit.toString() },
      });
    }
    const sender = (await view.getAccount(new Address(tx.sender))) ?? new Account();
    if (tx.kind !== 'weft' && tx.nonce !== sender.nonce) {
      const details = { expected: sender.nonce.toString(), actual: tx.nonce.toString() };
      return tx.nonce < sender.nonce
        ? new WeftError('NONCE_TOO_LOW', 'nonce is below the account nonce', { details })
        : new WeftError('INVALID_TRANSACTION', 'nonce is ahead of the account nonce', { details });
    }
    // EIP-2681: the account nonce must stay below 2^64 - 1.
    if (sender.nonce >= MAX_NONCE)
      return new WeftError('INVALID_TRANSACTION', 'account nonce is at its maximum');
    // EIP-3607: transactions from accounts with code are invalid.
    if (!equalBytes(sender.codeHash, KECCAK256_NULL)) {
      return new WeftError('SENDER_NOT_ALLOWED', 'sender is a contract (EIP-3607)');
    }
    if (sender.balance < tx.value)
      return new WeftError('INVALID_TRANSACTION', 'balance is below the value sent');
    return { intrinsic, floor, senderNonce: sender.nonce };
  }

  // ------------------------------------------------------------------ calls

  private async withCallEngine<R>(work: (engine: Engine) => Promise<R>): Promise<R> {
    const engine = this.idleCallEngines.pop() ?? (await this.createEngine());
    engine.view.discardChanges();
    let reusable = true;
    try {
      return await work(engine);
    } catch (error) {
      // As for blocks: after an exception the EVM's checkpoint stacks may be unbalanced.
      reusable = false;
      throw error;
    } finally {
      engine.view.discardChanges();
      if (reusable && this.idleCallEngines.length < IDLE_CALL_ENGINES) this.idleCallEngines.push(engine);
    }
  }

  private async runCall(
    engine: Engine,
    block: EvmBlock,
    request: CallRequest,
    gasLimit: bigint,
  ): Promise<CallResult> {
    const from = request.from ?? ZERO_ADDRESS;
    assertBytes(from, 20, 'from');
    const to = request.to ?? null;
    if (to !== null) assertBytes(to, 20, 'to');
    const data = request.data ?? new Uint8Array(0);
    const value = request.value ?? 0n;
    const tx = {
      sender: from,
      to,
      value,
      data,
      gasLimit,
      ...(request.accessList ? { accessList: request.accessList } : {}),
    };
    const { intrinsic, floor, minimumGasLimit: required } = intrinsicGas(tx);
    if (gasLimit < required) {
      throw new WeftError('INVALID_TRANSACTION', 'gas is below the intrinsic gas', {
        details: { intrinsic: required.toString() },
      });
    }
    const sender = (await engine.view.getAccount(new Address(from))) ?? new Account();
    if (sender.balance < value) throw new WeftError('INVALID_TRANSACTION', 'balance is below the value sent');
    const outcome = await runTransaction(engine.evm, block, tx, {
      intrinsic,
      floor,
      senderNonce: sender.nonce,
    });
    const receipt = outcomeToReceipt(outcome, outcome.gasUsed);
    return {
      status: receipt.status,
      gasUsed: receipt.gasUsed,
      output: receipt.output,
      logs: [...receipt.logs],
      revertReason: receipt.revertReason,
      contractAddress: receipt.contractAddress,
    };
  }

  async call(ctx: BlockContext, request: CallRequest): Promise<CallResult> {
    const block = this.evmBlock(ctx);
    const gas = request.gas ?? this.callGasLimit;
    try {
      return await this.withCallEngine((engine) => this.runCall(engine, block, request, gas));
    } catch (error) {
      throw asExecutionError(error);
    }
  }

  async estimateGas(ctx: BlockContext, request: CallRequest): Promise<bigint> {
    const block = this.evmBlock(ctx);
    const ceiling = request.gas ?? this.callGasLimit;
    try {
      return await this.withCallEngine(async (engine) => {
        const attempt = async (gas: bigint) => {
          engine.view.discardChanges();
          return this.runCall(engine, block, request, gas);
        };
        const first = await attempt(ceiling);
        if (first.status === 0) {
          throw new WeftError(
            'EXECUTION_ERROR',
            `execution fails with all the gas allowed: ${first.revertReason}`,
            {
              details: { revertReason: first.revertReason, output: bytesToHex(first.output) },
            },
          );
        }
        // The charged gas is a lower bound of the limit needed (the refund and the 63/64 rule of
        // EIP-150 can make the needed limit higher); search between it and the ceiling like geth
        // does, stopping within 1.5%.
        let low = first.gasUsed - 1n;
        let high = ceiling;
        if ((await attempt(first.gasUsed)).status === 1) return first.gasUsed;
        low = first.gasUsed;
        while (high - low > 1n && (high - low) * 1000n > high * 15n) {
          const middle = (low + high) / 2n;
          if ((await attempt(middle)).status === 1) high = middle;
          else low = middle;
        }
        return high;
      });
    } catch (error) {
      throw asExecutionError(error);
    }
  }

  // ------------------------------------------------------------------ genesis and reads

  async applyGenesis(alloc: readonly GenesisAllocation[]): Promise<AppliedGenesis> {
    if (!equalBytes(this.stateManager.committedStateRoot, emptyStateRoot(this.suite))) {
      throw new WeftError('INVALID_ARGUMENT', 'genesis can only be applied to an empty state');
    }
    const view = this.stateManager.createView();
    const seen = new Set<string>();
    for (const account of alloc) {
      assertBytes(account.address, 20, 'genesis address');
      const hex = bytesToHex(account.address);
      if (seen.has(hex)) throw new WeftError('INVALID_ARGUMENT', `genesis allocates ${hex} twice`);
      seen.add(hex);
      if (account.balance < 0n || (account.nonce ?? 0n) < 0n) {
        throw new WeftError('INVALID_ARGUMENT', `genesis account ${hex} has a negative balance or nonce`);
      }
      const address = new Address(account.address);
      await view.putAccount(address, new Account(account.nonce ?? 0n, account.balance));
      if (account.code !== undefined && account.code.length > 0) await view.putCode(address, account.code);
      for (const [slot, value] of account.storage ?? []) {
        await view.putStorage(
          address,
          leftPad32(slot, 'genesis storage slot'),
          leftPad32(value, 'genesis storage value'),
        );
      }
    }
    const diff = await view.computeDiff();
    return { stateRoot: diff.stateRoot, diff };
  }

  async getAccount(address: Uint8Array): Promise<AccountView | null> {
    assertBytes(address, 20, 'address');
    const account = await this.stateManager.createView().getAccount(new Address(address));
    return account === undefined
      ? null
      : { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash };
  }

  async getNonce(address: Uint8Array): Promise<bigint> {
    return (await this.getAccount(address))?.nonce ?? 0n;
  }

  async getCode(address: Uint8Array): Promise<Uint8Array> {
    assertBytes(address, 20, 'address');
    return this.stateManager.createView().getCode(new Address(address));
  }

  /** The 32-byte value of a slot (zero-padded), as eth_getStorageAt returns it. */
  async getStorageAt(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    assertBytes(address, 20, 'address');
    const value = await this.stateManager
      .createView()
      .getStorage(new Address(address), leftPad32(slot, 'slot'));
    return leftPad32(value, 'storage value');
  }
}

function leftPad32(bytes: Uint8Array, what: string): Uint8Array {
  assertBytes(bytes, undefined, what);
  if (bytes.length > 32) throw new WeftError('INVALID_LENGTH', `${what} exceeds 32 bytes`);
  if (bytes.length === 32) return bytes;
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

function invalidBlock(index: number, tx: ExecutableTransaction, cause: WeftError): WeftError {
  return new WeftError('INVALID_BLOCK', `transaction ${index} is invalid: ${cause.message}`, {
    penalise: true,
    details: { index, hash: bytesToHex(tx.hash), code: cause.code, ...(cause.details ?? {}) },
    cause,
  });
}

/** WeftErrors pass through; anything else thrown while executing is an internal failure. */
function asExecutionError(error: unknown): WeftError {
  if (isWeftError(error)) return error;
  return new WeftError('EXECUTION_ERROR', 'transaction execution failed inside the EVM', { cause: error });
}
