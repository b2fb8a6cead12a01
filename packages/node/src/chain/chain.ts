import { EventEmitter } from 'node:events';
import { type Block, type BlockHeader, createBlock, headerHash, transactionsRoot } from '@weft/core/block';
import { type GenesisConfig, genesisConfigHash, type SystemSettings } from '@weft/core/genesis';
import { logsBloom, type Receipt, receiptsRoot } from '@weft/core/receipt';
import { type Transaction, WEFT_TX_TYPE } from '@weft/core/tx';
import { bytesToHex, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { CryptoSuite } from '@weft/crypto/suite';
import { type BlockExecutor, createBlockExecutor } from '../execution/executor.js';
import type { BlockContext, ExecutedBlock } from '../execution/types.js';
import { systemContractAlloc } from '../governance/genesis-alloc.js';
import { createGovernanceReader, type GovernanceReader } from '../governance/reader.js';
import { stateDiffToBatch } from '../state/committed.js';
import { createFlatStateManager } from '../state/flat-state-manager.js';
import { type BatchOp, ChainStore } from '../storage/chain-store.js';
import { TxPool } from '../txpool/txpool.js';
import { assertTxRules } from '../txpool/validation.js';

/**
 * The ledger of one node: durable blocks and state, the transaction pool, and the two things consensus
 * asks of it — build a block (leader) and check a proposed block (everyone) — plus `commit`, which makes
 * a decided block durable in one atomic write. It does no networking and makes no decisions: the sealer
 * (single-node) or the consensus driver (multi-node) calls it.
 */
export interface ChainEvents {
  block: [block: Block, receipts: readonly Receipt[]];
}

export interface PreparedBlock extends ExecutedBlock<Transaction> {
  readonly block: Block;
}

export interface ChainOptions {
  dataDir: string;
  genesis: GenesisConfig;
  suite: CryptoSuite;
}

export class Chain extends EventEmitter<ChainEvents> {
  readonly suite: CryptoSuite;
  readonly genesis: GenesisConfig;
  readonly store: ChainStore;
  readonly executor: BlockExecutor;
  readonly pool: TxPool;
  /** Governance state at the head (settings, membership, permissions): docs/governance.md. */
  readonly governance: GovernanceReader;
  private headHeader: BlockHeader;
  private headHashValue: Uint8Array;
  /** Native tx hashes committed in the last replay window (only they need it: Ethereum kinds use nonces). */
  private readonly recentTxs = new Set<string>();
  private readonly recentByBlock = new Map<bigint, string[]>();
  private commitQueue: Promise<void> = Promise.resolve();

  private constructor(opts: ChainOptions, store: ChainStore, executor: BlockExecutor, head: Block) {
    super();
    this.suite = opts.suite;
    this.genesis = opts.genesis;
    this.store = store;
    this.executor = executor;
    this.headHeader = head.header;
    this.headHashValue = head.hash;
    this.governance = createGovernanceReader({
      genesis: opts.genesis,
      call: async (to, data) => {
        const result = await this.executor.call(
          this.blockContext(this.headHeader.number + 1n, this.headHeader.timestamp, new Uint8Array(20)),
          { to, data },
        );
        if (result.status !== 1) {
          throw new WeftError('EXECUTION_ERROR', `system contract call reverted: ${result.revertReason}`);
        }
        return result.output;
      },
    });
    this.pool = new TxPool({
      suite: opts.suite,
      chainId: opts.genesis.chainId,
      settings: () => this.settings,
      nextBlockNumber: () => this.headHeader.number + 1n,
      accountNonce: (address) => this.executor.getNonce(address),
      isCommitted: async (hash) => this.isRecentlyCommitted(hash),
      txRefusal: (tx) => this.governance.txRefusal(tx)?.message ?? null,
    });
  }

  static async open(opts: ChainOptions): Promise<Chain> {
    if (opts.genesis.suite !== opts.suite.name) {
      throw new WeftError(
        'CONFIG_ERROR',
        `genesis suite '${opts.genesis.suite}' does not match '${opts.suite.name}'`,
      );
    }
    const store = await ChainStore.open(opts.dataDir, opts.suite);
    try {
      const stateManager = await createFlatStateManager({ suite: opts.suite, db: store });
      const executor = await createBlockExecutor({
        suite: opts.suite,
        chainId: opts.genesis.chainId,
        stateManager,
        txGasLimit: opts.genesis.settings.txGasLimit,
        // BLOCKHASH reads committed headers.
        getBlockHash: async (n) => {
          const header = await store.getHeader(n);
          return header === undefined ? undefined : headerHash(opts.suite, header);
        },
      });
      const headNumber = await store.headNumber();
      let head: Block;
      if (headNumber === undefined) {
        head = await Chain.writeGenesis(opts, store, executor);
      } else {
        const stored = await store.getBlock(headNumber);
        if (!stored)
          throw new WeftError('STORAGE_ERROR', `head block ${headNumber} is missing from the database`);
        head = stored;
        const genesisBlock = await store.getHeader(0n);
        const expected = genesisConfigHash(opts.suite, opts.genesis);
        if (!genesisBlock || !equalBytes(genesisBlock.extraData, expected)) {
          throw new WeftError(
            'CONFIG_ERROR',
            'the database belongs to a chain with a different genesis file',
          );
        }
        // The state written with the head block must reproduce the head's state root.
        const root = executor.stateManager.committedStateRoot;
        if (!equalBytes(root, head.header.stateRoot)) {
          throw new WeftError(
            'STORAGE_ERROR',
            `state root ${bytesToHex(root)} does not match head block ${headNumber} (${bytesToHex(head.header.stateRoot)})`,
          );
        }
      }
      const chain = new Chain(opts, store, executor, head);
      await chain.governance.refresh();
      await chain.loadReplayWindow();
      return chain;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private static async writeGenesis(
    opts: ChainOptions,
    store: ChainStore,
    executor: BlockExecutor,
  ): Promise<Block> {
    const { suite, genesis } = opts;
    const applied = await executor.applyGenesis([...genesis.alloc, ...systemContractAlloc(genesis)]);
    const header: BlockHeader = {
      parentHash: new Uint8Array(32),
      number: 0n,
      timestamp: genesis.timestamp,
      sealer: new Uint8Array(20),
      transactionsRoot: transactionsRoot(suite, []),
      receiptsRoot: receiptsRoot(suite, []),
      stateRoot: applied.stateRoot,
      logsBloom: logsBloom(suite, []),
      gasLimit: genesis.settings.blockGasLimit,
      gasUsed: 0n,
      extraData: genesisConfigHash(suite, genesis),
    };
    const block = createBlock(suite, header, []);
    await store.writeDurably([...store.blockOps(block, []), ...stateDiffToBatch(applied.diff)]);
    executor.stateManager.applyCommitted(applied.diff);
    return block;
  }

  private async loadReplayWindow(): Promise<void> {
    const window = BigInt(this.settings.blockLimitWindow);
    const from = this.headHeader.number > window ? this.headHeader.number - window : 1n;
    for (let n = from; n <= this.headHeader.number; n++) {
      // One small read per block: the block's native transaction hashes, stored with it. (Reading every
      // raw transaction of the window instead took seconds at start-up on a busy chain.)
      const indexed = await this.store.getNativeTxHashes(n);
      if (indexed !== undefined) {
        this.rememberNativeTxs(n, indexed.map(bytesToHex));
        continue;
      }
      // A block stored before that index: raw bytes are enough — a native transaction starts with its
      // type byte and its hash is the hash of the raw bytes, so start-up recovers no signatures.
      const raws = await this.store.getRawTransactions(n);
      this.rememberNativeTxs(
        n,
        raws.filter((raw) => raw[0] === WEFT_TX_TYPE).map((raw) => bytesToHex(this.suite.hash(raw))),
      );
    }
  }

  /** The settings of the next block (governance changes apply from the block after the one that made them). */
  get settings(): SystemSettings {
    return this.governance.settingsAt(this.headHeader.number + 1n);
  }

  get head(): BlockHeader {
    return this.headHeader;
  }

  get headHash(): Uint8Array {
    return this.headHashValue;
  }

  get chainId(): bigint {
    return this.genesis.chainId;
  }

  private rememberNativeTxs(number: bigint, hashes: string[]): void {
    for (const hex of hashes) this.recentTxs.add(hex);
    this.recentByBlock.set(number, hashes);
    const expired = number - BigInt(this.settings.blockLimitWindow);
    for (const hex of this.recentByBlock.get(expired) ?? []) this.recentTxs.delete(hex);
    this.recentByBlock.delete(expired);
  }

  /**
   * What a transaction must meet to enter block `ruleCtx.blockNumber`, the same for the leader that builds
   * it and every node that checks it: the pool's rules, no replay within the window, and governance
   * (frozen accounts and contracts, deploy rights, method ACLs) as of the parent block.
   */
  private assertIncludable(tx: Transaction, ruleCtx: Parameters<typeof assertTxRules>[1]): void {
    assertTxRules(tx, ruleCtx);
    if (this.isRecentlyCommitted(tx.hash)) {
      throw new WeftError('REPLAYED_TRANSACTION', `transaction ${bytesToHex(tx.hash)} is a replay`);
    }
    const refusal = this.governance.txRefusal(tx);
    if (refusal) throw refusal;
  }

  private isRecentlyCommitted(hash: Uint8Array): boolean {
    return this.recentTxs.has(bytesToHex(hash));
  }

  private blockContext(number: bigint, timestamp: bigint, sealer: Uint8Array): BlockContext {
    return {
      number,
      timestamp,
      coinbase: sealer,
      gasLimit: this.settings.blockGasLimit,
      chainId: this.chainId,
    };
  }

  /** Leader: executes pending transactions on top of the head and returns the block (not yet committed). */
  async buildBlock(sealer: Uint8Array, now = BigInt(Date.now())): Promise<PreparedBlock> {
    const number = this.headHeader.number + 1n;
    // Timestamps never go backwards, even if the clock does.
    const timestamp = now > this.headHeader.timestamp ? now : this.headHeader.timestamp + 1n;
    const ruleCtx = { chainId: this.chainId, settings: this.settings, blockNumber: number };
    const candidates: Transaction[] = [];
    const invalid: Transaction[] = [];
    for (const tx of this.pool.select(this.settings.maxTxsPerBlock)) {
      try {
        this.assertIncludable(tx, ruleCtx);
        candidates.push(tx);
      } catch {
        invalid.push(tx);
      }
    }
    const executed = await this.executor.executeBlock(
      this.blockContext(number, timestamp, sealer),
      candidates,
      {
        mode: 'build',
        txGasLimit: this.settings.txGasLimit,
        parentStateRoot: this.headHeader.stateRoot,
      },
    );
    // An Ethereum transaction whose nonce is ahead of the account waits in the pool for its predecessors;
    // everything else that can never be valid is dropped.
    const hopeless = executed.invalid.filter((x) => {
      const d = x.error.details as { expected?: string; actual?: string } | undefined;
      const ahead =
        x.error.code === 'INVALID_TRANSACTION' && d?.expected !== undefined && d.actual !== undefined;
      return !(ahead && BigInt(d.actual as string) > BigInt(d.expected as string));
    });
    this.pool.drop([...invalid, ...hopeless.map((x) => x.tx)]);
    return { ...executed, block: this.assemble(number, timestamp, sealer, executed) };
  }

  private assemble(
    number: bigint,
    timestamp: bigint,
    sealer: Uint8Array,
    executed: ExecutedBlock<Transaction>,
  ): Block {
    const header: BlockHeader = {
      parentHash: this.headHashValue,
      number,
      timestamp,
      sealer,
      transactionsRoot: transactionsRoot(this.suite, executed.included),
      receiptsRoot: receiptsRoot(this.suite, executed.receipts),
      stateRoot: executed.stateRoot,
      logsBloom: logsBloom(this.suite, executed.receipts),
      gasLimit: this.settings.blockGasLimit,
      gasUsed: executed.gasUsed,
      extraData: new Uint8Array(0),
    };
    return createBlock(this.suite, header, executed.included);
  }

  /**
   * Everyone: checks a proposed block against the head — parent, number, time, every transaction's rules,
   * replays — re-executes it and compares the roots. Throws INVALID_BLOCK (penalise) on any mismatch.
   */
  async verifyBlock(block: Block): Promise<PreparedBlock> {
    const h = block.header;
    const bad = (why: string) =>
      new WeftError('INVALID_BLOCK', `block ${h.number}: ${why}`, { penalise: true });
    if (h.number !== this.headHeader.number + 1n) throw bad(`expected number ${this.headHeader.number + 1n}`);
    if (!equalBytes(h.parentHash, this.headHashValue)) throw bad('parent hash is not the head');
    if (h.timestamp <= this.headHeader.timestamp) throw bad('timestamp is not after the parent');
    if (h.timestamp > BigInt(Date.now()) + 60_000n)
      throw bad('timestamp is more than a minute in the future');
    if (h.gasLimit !== this.settings.blockGasLimit) throw bad('gas limit differs from the chain setting');
    if (h.extraData.length !== 0) throw bad('extraData must be empty');
    if (block.transactions.length > this.settings.maxTxsPerBlock) throw bad('too many transactions');
    const seen = new Set<string>();
    const ruleCtx = { chainId: this.chainId, settings: this.settings, blockNumber: h.number };
    for (const tx of block.transactions) {
      const hex = bytesToHex(tx.hash);
      if (seen.has(hex)) throw bad(`transaction ${hex} appears twice`);
      seen.add(hex);
      try {
        this.assertIncludable(tx, ruleCtx);
      } catch (cause) {
        throw new WeftError('INVALID_BLOCK', `block ${h.number}: transaction ${hex} breaks the rules`, {
          penalise: true,
          cause,
        });
      }
    }
    const executed = await this.executor.executeBlock(
      this.blockContext(h.number, h.timestamp, h.sealer),
      block.transactions,
      { mode: 'verify', txGasLimit: this.settings.txGasLimit, parentStateRoot: this.headHeader.stateRoot },
    );
    const rebuilt = this.assemble(h.number, h.timestamp, h.sealer, executed);
    if (!equalBytes(rebuilt.header.stateRoot, h.stateRoot)) throw bad('state root mismatch');
    if (!equalBytes(rebuilt.header.receiptsRoot, h.receiptsRoot)) throw bad('receipts root mismatch');
    if (!equalBytes(rebuilt.hash, block.hash)) throw bad('header does not match the execution result');
    return { ...executed, block };
  }

  /** Makes a decided block durable (one fsynced batch) and moves the head. Calls are serialised. */
  commit(prepared: PreparedBlock, certificate?: Uint8Array, extraOps: BatchOp[] = []): Promise<void> {
    const run = this.commitQueue.then(() => this.commitNow(prepared, certificate, extraOps));
    this.commitQueue = run.catch(() => undefined);
    return run;
  }

  private async commitNow(
    prepared: PreparedBlock,
    certificate: Uint8Array | undefined,
    extraOps: BatchOp[],
  ): Promise<void> {
    const block = certificate === undefined ? prepared.block : { ...prepared.block, certificate };
    if (
      block.header.number !== this.headHeader.number + 1n ||
      !equalBytes(block.header.parentHash, this.headHashValue)
    ) {
      throw new WeftError('INVALID_BLOCK', `block ${block.header.number} does not extend the head`);
    }
    await this.store.writeDurably([
      ...this.store.blockOps(block, prepared.receipts),
      ...stateDiffToBatch(prepared.diff),
      ...extraOps,
    ]);
    this.executor.stateManager.applyCommitted(prepared.diff);
    this.headHeader = block.header;
    this.headHashValue = block.hash;
    // Before anything builds on this block: its governance changes rule the next one.
    if (this.governance.isTouchedBy(block.transactions, prepared.receipts)) await this.governance.refresh();
    this.rememberNativeTxs(
      block.header.number,
      block.transactions.filter((tx) => tx.kind === 'weft').map((tx) => bytesToHex(tx.hash)),
    );
    this.pool.onBlockCommitted(block.transactions, block.header.number + 1n);
    this.emit('block', block, prepared.receipts);
  }

  async close(): Promise<void> {
    await this.commitQueue;
    await this.pool.close();
    await this.store.close();
  }
}
