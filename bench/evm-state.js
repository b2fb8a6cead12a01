// ERC-20 execution on weft's flat state vs @ethereumjs/statemanager's MerkleStateManager, and the
// cost of the LtHash state root against the number of changed entries and the size of the state.
//
//   npx tsc -b && node bench/evm-state.js [--quick]
//
// Same EVM (@ethereumjs/evm 10, Osaka), same transaction code (packages/node/src/execution/
// transaction.ts), same transactions, both over in-memory stores: the difference is the state
// manager. Prints a table; the LAST line is one JSON object of figures.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createEVM } from '@ethereumjs/evm';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, Address } from '@ethereumjs/util';
import { WeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { createChainCommon } from '@weft/node/execution/evm-config';
import { createBlockExecutor } from '@weft/node/execution/executor';
import { intrinsicGas } from '@weft/node/execution/intrinsic-gas';
import { setSynchronousStepsEnabled } from '@weft/node/execution/synchronous-steps';
import { createEvmBlock, runTransaction } from '@weft/node/execution/transaction';
import { stateDiffToBatch } from '@weft/node/state/committed';
import { createFlatStateManager } from '@weft/node/state/flat-state-manager';
import { expandEntryShake256, expandEntrySm3Sm4 } from '@weft/node/state/lthash';

const quick = process.argv.includes('--quick');
// `--library-steps`: run every opcode through @ethereumjs/evm's own async step loop (for comparison).
if (process.argv.includes('--library-steps')) setSynchronousStepsEnabled(false);
const require = createRequire(import.meta.url);
const CHAIN_ID = 20_250n;
const SENDERS = quick ? 500 : 2000;
const BLOCK_TXS = 500;
const TIMED_BLOCKS = quick ? 2 : 8;

// ------------------------------------------------------------------ fixtures

class MemoryDb {
  map = new Map();
  async get(key) {
    return this.map.get(Buffer.from(key).toString('latin1'));
  }
  write(diff) {
    for (const op of stateDiffToBatch(diff)) {
      const k = Buffer.from(op.key).toString('latin1');
      if (op.type === 'put') this.map.set(k, op.value);
      else this.map.delete(k);
    }
  }
}

function compileToken() {
  const solc = require('solc');
  const source = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
contract Token {
  mapping(address => uint256) public balanceOf;
  event Transfer(address indexed from, address indexed to, uint256 value);
  constructor(uint256 supply) { balanceOf[msg.sender] = supply; emit Transfer(address(0), msg.sender, supply); }
  function transfer(address to, uint256 value) external returns (bool) {
    uint256 b = balanceOf[msg.sender];
    require(b >= value, "insufficient balance");
    unchecked { balanceOf[msg.sender] = b - value; }
    balanceOf[to] += value;
    emit Transfer(msg.sender, to, value);
    return true;
  }
}`;
  const input = {
    language: 'Solidity',
    sources: { 'Token.sol': { content: source } },
    settings: {
      evmVersion: 'osaka',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['evm.bytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  return Buffer.from(out.contracts['Token.sol'].Token.evm.bytecode.object, 'hex');
}

function addressOf(i) {
  const a = new Uint8Array(20);
  a[0] = 0xaa;
  new DataView(a.buffer).setUint32(16, i);
  return a;
}

function word(value) {
  const w = new Uint8Array(32);
  let v = BigInt(value);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    w[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return w;
}

function transferData(to, amount) {
  const data = new Uint8Array(4 + 64);
  data.set([0xa9, 0x05, 0x9c, 0xbb]); // transfer(address,uint256)
  data.set(to, 4 + 12);
  data.set(word(amount), 36);
  return data;
}

let txId = 0;
function transferTx(sender, nonce, token, to, amount) {
  const hash = createHash('sha256').update(String(++txId)).digest();
  return {
    hash,
    sender,
    to: token,
    value: 0n,
    data: transferData(to, amount),
    gasLimit: 100_000n,
    nonce,
    kind: 'legacy',
  };
}

const owner = addressOf(0);
const senders = Array.from({ length: SENDERS }, (_, i) => addressOf(i + 1));

/** Deterministic workload: each block, every sender in turn sends 1 token to a pseudo-random peer. */
function makeWorkload(token, firstNonce, blocks) {
  const nonces = new Map();
  const out = [];
  let seed = 12345;
  for (let b = 0; b < blocks; b++) {
    const block = [];
    for (let i = 0; i < BLOCK_TXS; i++) {
      const s = (b * BLOCK_TXS + i) % SENDERS;
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const to = senders[seed % SENDERS];
      const nonce = nonces.get(s) ?? firstNonce;
      nonces.set(s, nonce + 1n);
      block.push(transferTx(senders[s], nonce, token, to, 1n));
    }
    out.push(block);
  }
  return out;
}

function context(number) {
  return {
    number,
    timestamp: 1_700_000_000n + number,
    coinbase: new Uint8Array(20),
    gasLimit: 3_000_000_000n,
    chainId: CHAIN_ID,
  };
}

function setupTxs(bytecode) {
  const deploy = {
    hash: createHash('sha256').update('deploy').digest(),
    sender: owner,
    to: null,
    value: 0n,
    data: new Uint8Array([...bytecode, ...word(10n ** 30n)]),
    gasLimit: 5_000_000n,
    nonce: 0n,
    kind: 'legacy',
  };
  return deploy;
}

// ------------------------------------------------------------------ flat

async function runFlat(bytecode) {
  const suite = getSuite('ecdsa');
  const db = new MemoryDb();
  const state = await createFlatStateManager({ suite, db });
  const executor = await createBlockExecutor({ suite, chainId: CHAIN_ID, stateManager: state });
  const commit = (block) => {
    db.write(block.diff);
    state.applyCommitted(block.diff);
  };
  commit({ diff: (await executor.applyGenesis([{ address: owner, balance: 0n }])).diff });
  const deployed = await executor.executeBlock(context(1n), [setupTxs(bytecode)], { mode: 'build' });
  commit(deployed);
  const token = deployed.receipts[0].contractAddress;
  // Fund every sender (untimed).
  const funding = senders.map((s, i) => transferTx(owner, BigInt(i + 1), token, s, 1_000_000n));
  for (let i = 0; i < funding.length; i += BLOCK_TXS) {
    commit(await executor.executeBlock(context(2n), funding.slice(i, i + BLOCK_TXS), { mode: 'build' }));
  }
  const blocks = makeWorkload(token, 0n, TIMED_BLOCKS + 1);
  // Warm-up block (JIT), untimed.
  commit(await executor.executeBlock(context(3n), blocks[0], { mode: 'build' }));
  let executed = 0;
  let changed = 0;
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  for (let b = 1; b < blocks.length; b++) {
    const result = await executor.executeBlock(context(3n + BigInt(b)), blocks[b], { mode: 'verify' });
    if (result.receipts.some((r) => r.status !== 1))
      throw new WeftError('EXECUTION_ERROR', 'a benchmark transfer failed');
    executed += result.included.length;
    changed += result.diff.changed.accounts + result.diff.changed.slots;
    commit(result);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return {
    tps: executed / seconds,
    usPerTx: (seconds * 1e6) / executed,
    // CPU time of this process (includes GC helper threads), steadier than wall time on a shared machine.
    cpuUsPerTx: (cpu.user + cpu.system) / executed,
    changedPerBlock: changed / (blocks.length - 1),
    root: state.committedStateRoot,
  };
}

// ------------------------------------------------------------------ merkle

async function runMerkle(bytecode) {
  const common = createChainCommon(CHAIN_ID);
  const stateManager = new MerkleStateManager({ common });
  const evm = await createEVM({ common, stateManager });
  const run = async (ctx, txs) => {
    const block = createEvmBlock(ctx);
    const receipts = [];
    for (const tx of txs) {
      const sender = (await stateManager.getAccount(new Address(tx.sender))) ?? new Account();
      if (sender.nonce !== tx.nonce)
        throw new WeftError('EXECUTION_ERROR', 'nonce mismatch in the merkle run');
      const { intrinsic, floor } = intrinsicGas(tx);
      receipts.push(await runTransaction(evm, block, tx, { intrinsic, floor, senderNonce: sender.nonce }));
    }
    // The Merkle Patricia root of the block (flushes the caches into the trie).
    const root = await stateManager.getStateRoot();
    return { receipts, root };
  };
  const deployed = await run(context(1n), [setupTxs(bytecode)]);
  const token = deployed.receipts[0].contractAddress;
  const funding = senders.map((s, i) => transferTx(owner, BigInt(i + 1), token, s, 1_000_000n));
  for (let i = 0; i < funding.length; i += BLOCK_TXS) await run(context(2n), funding.slice(i, i + BLOCK_TXS));
  const blocks = makeWorkload(token, 0n, TIMED_BLOCKS + 1);
  await run(context(3n), blocks[0]);
  let executed = 0;
  const started = performance.now();
  for (let b = 1; b < blocks.length; b++) {
    const result = await run(context(3n + BigInt(b)), blocks[b]);
    if (result.receipts.some((r) => r.exec.exceptionError !== undefined))
      throw new WeftError('EXECUTION_ERROR', 'a benchmark transfer failed');
    executed += blocks[b].length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { tps: executed / seconds, usPerTx: (seconds * 1e6) / executed };
}

// ------------------------------------------------------------------ root cost

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A state of `size` storage slots in one contract; returns a function timing a diff of k changes. */
async function rootCostFixture(size) {
  const suite = getSuite('ecdsa');
  const db = new MemoryDb();
  const state = await createFlatStateManager({ suite, db, cacheBytes: 512 * 1024 * 1024 });
  const contract = new Address(addressOf(999_999));
  const CHUNK = 20_000;
  let view = state.createView();
  await view.putAccount(contract, new Account(1n, 0n));
  for (let i = 0; i < size; i++) {
    await view.putStorage(contract, word(i), word(i + 1));
    if ((i + 1) % CHUNK === 0 || i === size - 1) {
      const diff = await view.computeDiff();
      db.write(diff);
      state.applyCommitted(diff);
      view = state.createView();
    }
  }
  let round = 0;
  return async (k) => {
    const times = [];
    for (let rep = 0; rep < 3; rep++) {
      round++;
      const v = state.createView();
      // Execution reads every slot before writing it (SLOAD / originalStorageCache), so the old
      // values are in the cache when the root is computed; do the same here.
      for (let j = 0; j < k; j++) await v.getStorage(contract, word((j * 7919 + round) % size));
      for (let j = 0; j < k; j++)
        await v.putStorage(contract, word((j * 7919 + round) % size), word(round * 1_000_003 + j + 1));
      const t = performance.now();
      await v.computeDiff();
      times.push(performance.now() - t);
    }
    return median(times);
  };
}

function expansionMicros(expand) {
  const entries = Array.from({ length: 3000 }, (_, i) => createHash('sha256').update(String(i)).digest());
  for (const e of entries.slice(0, 300)) expand(e);
  const t = performance.now();
  for (const e of entries) expand(e);
  return ((performance.now() - t) * 1000) / entries.length;
}

function expandSm3Counter(entry) {
  const k = createHash('sm3').update(entry).digest();
  const out = new Uint8Array(2048);
  const block = Buffer.alloc(36);
  k.copy(block);
  for (let i = 0; i < 64; i++) {
    block.writeUInt32BE(i, 32);
    out.set(createHash('sm3').update(block).digest(), i * 32);
  }
  return out;
}

// ------------------------------------------------------------------ main

const bytecode = compileToken();
const flat = await runFlat(bytecode);
if (process.argv.includes('--flat-only')) {
  console.log(
    JSON.stringify({
      bench: 'evm-state',
      flatTps: Math.round(flat.tps),
      flatUsPerTx: Math.round(flat.usPerTx),
      flatCpuUsPerTx: Math.round(flat.cpuUsPerTx),
    }),
  );
  process.exit(0);
}
const merkle = await runMerkle(bytecode);

const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 300_000];
const bySize = [];
let fixtureForK;
for (const size of sizes) {
  const timeDiff = await rootCostFixture(size);
  bySize.push({ size, ms: await timeDiff(1000) });
  if (size === (quick ? 10_000 : 100_000)) fixtureForK = timeDiff;
}
const byChanged = [];
for (const k of quick ? [10, 100, 1000] : [10, 100, 1000, 10_000])
  byChanged.push({ k, ms: await fixtureForK(k) });

const expansion = {
  shake256: expansionMicros(expandEntryShake256),
  sm3Sm4Ctr: expansionMicros(expandEntrySm3Sm4),
  sm3Counter: expansionMicros(expandSm3Counter),
};

const line = (cells) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 44 : 16)).join(''));
console.log(
  `ERC-20 transfers, ${TIMED_BLOCKS} blocks × ${BLOCK_TXS} txs, ${SENDERS} senders (Node ${process.version})`,
);
line(['state manager', 'tx/s', 'µs/tx']);
line(['flat + LtHash root (weft)', flat.tps.toFixed(0), flat.usPerTx.toFixed(0)]);
console.log(`(flat: ${flat.cpuUsPerTx.toFixed(0)} µs of CPU per transaction)`);
line(['MerkleStateManager + MPT root', merkle.tps.toFixed(0), merkle.usPerTx.toFixed(0)]);
line(['flat / merkle', `${(flat.tps / merkle.tps).toFixed(2)}×`, '']);
console.log(`(flat: ${flat.changedPerBlock.toFixed(0)} changed entries per block)`);
console.log('');
console.log('state diff + root (ms), 1,000 changed slots, vs total state size');
line(['slots in state', 'ms']);
for (const r of bySize) line([r.size, r.ms.toFixed(1)]);
console.log('');
console.log(`state diff + root (ms) vs changed slots, state of ${quick ? '10,000' : '100,000'} slots`);
line(['changed slots', 'ms', 'µs / slot']);
for (const r of byChanged) line([r.k, r.ms.toFixed(1), ((r.ms * 1000) / r.k).toFixed(1)]);
console.log('');
line(['entry expansion (2048 bytes)', 'µs']);
line(['SHAKE256 (ecdsa)', expansion.shake256.toFixed(1)]);
line(['SM3 key + SM4-CTR (sm, chosen)', expansion.sm3Sm4Ctr.toFixed(1)]);
line(['SM3 counter mode (sm, rejected)', expansion.sm3Counter.toFixed(1)]);
console.log(
  JSON.stringify({
    bench: 'evm-state',
    quick,
    flatTps: Math.round(flat.tps),
    merkleTps: Math.round(merkle.tps),
    flatOverMerkle: Number((flat.tps / merkle.tps).toFixed(2)),
    flatUsPerTx: Math.round(flat.usPerTx),
    flatCpuUsPerTx: Math.round(flat.cpuUsPerTx),
    merkleUsPerTx: Math.round(merkle.usPerTx),
    rootMsBySize: Object.fromEntries(bySize.map((r) => [r.size, Number(r.ms.toFixed(2))])),
    rootMsByChangedSlots: Object.fromEntries(byChanged.map((r) => [r.k, Number(r.ms.toFixed(2))])),
    expansionUs: Object.fromEntries(Object.entries(expansion).map(([k, v]) => [k, Number(v.toFixed(2))])),
  }),
);
