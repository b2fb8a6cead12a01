// Cost of governance on the ledger: opening a governed genesis, one snapshot refresh (14 view calls into
// the system contracts, done after each block that touches them), the per-transaction refusal check
// (pool, build and verify each run it), and a block that executes a proposal, next to a block of as many
// plain transfers.
//
//   npx tsc -b packages/node && node bench/governance.js
//
// Prints a table, then as its last line one JSON object of figures (medians).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../packages/core/dist/genesis.js';
import { randomWeftNonce, signWeftTx } from '../packages/core/dist/tx.js';
import { getSuite } from '../packages/crypto/dist/suites.js';
import { Chain } from '../packages/node/dist/chain/chain.js';
import { encodeFunctionCall, findAbiItem } from '../packages/node/dist/governance/abi.js';
import { encodeAction } from '../packages/node/dist/governance/actions.js';
import { COMMITTEE } from '../packages/node/dist/governance/contracts.generated.js';

const suite = getSuite('ecdsa');
const member = suite.generateKeyPair();
const sender = suite.generateKeyPair();
const sealer = suite.generateKeyPair();
const addressOf = (k) => suite.addressFromPublicKey(k.publicKey);
const frozen = Array.from({ length: 100 }, () => suite.generateKeyPair());
const genesis = {
  chainId: 1n,
  chainName: 'bench',
  suite: 'ecdsa',
  timestamp: 1n,
  nodes: [{ nodeId: sealer.publicKey, org: 'org0', role: 'sealer' }],
  settings: DEFAULT_SETTINGS,
  alloc: [],
  committee: {
    members: [{ address: addressOf(member), weight: 1 }],
    participationRate: 67,
    approvalRate: 67,
    votingPeriod: 100,
  },
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-gov-'));
try {
  let t = performance.now();
  const chain = await Chain.open({ dataDir: join(dir, 'chain'), genesis, suite });
  const openMs = performance.now() - t;
  const sign = (key, to, data) =>
    signWeftTx(
      suite,
      {
        chainId: 1n,
        nonce: randomWeftNonce(),
        blockLimit: chain.head.number + 100n,
        to,
        value: 0n,
        data,
        gasLimit: 5_000_000n,
      },
      key.privateKey,
    );
  const sealBlock = async () => {
    const start = performance.now();
    const prepared = await chain.buildBlock(addressOf(sealer));
    await chain.commit(prepared);
    return performance.now() - start;
  };
  // Freeze 100 accounts so the snapshot is not trivially small.
  const proposeData = (action) => {
    const { target, data } = encodeAction(action);
    return encodeFunctionCall(findAbiItem(COMMITTEE.abi, 'function', 'propose'), [target, data, '', 0n]);
  };
  const proposalBlocks = [];
  for (const k of frozen) {
    await chain.pool.addRaw(
      sign(
        member,
        COMMITTEE.address ? Uint8Array.from(Buffer.from(COMMITTEE.address.slice(2), 'hex')) : null,
        proposeData({ kind: 'freeze-account', account: addressOf(k), frozen: true }),
      ),
    );
    proposalBlocks.push(await sealBlock());
  }
  const plainBlocks = [];
  for (let i = 0; i < 100; i++) {
    await chain.pool.addRaw(sign(sender, addressOf(sender), new Uint8Array(0)));
    plainBlocks.push(await sealBlock());
  }
  const refreshes = [];
  for (let i = 0; i < 30; i++) {
    t = performance.now();
    await chain.governance.refresh();
    refreshes.push(performance.now() - t);
  }
  const tx = { sender: addressOf(sender), to: addressOf(member), data: new Uint8Array(36) };
  const N = 200_000;
  t = performance.now();
  let refused = 0;
  for (let i = 0; i < N; i++) if (chain.governance.txRefusal(tx)) refused++;
  const checkNs = ((performance.now() - t) * 1e6) / N;
  await chain.close();
  const figures = {
    openGovernedGenesisMs: Number(openMs.toFixed(1)),
    snapshotRefreshMs: Number(median(refreshes).toFixed(2)),
    refusalCheckNs: Number(checkNs.toFixed(0)),
    proposalBlockMs: Number(median(proposalBlocks).toFixed(2)),
    plainBlockMs: Number(median(plainBlocks).toFixed(2)),
    frozenAccounts: chain.governance.snapshot()?.frozenAccounts.size ?? 0,
    refused,
  };
  console.log('governance costs (1 sealer, 100 frozen accounts in the snapshot)');
  console.log(`  open a governed genesis          ${figures.openGovernedGenesisMs} ms`);
  console.log(`  snapshot refresh (14 views)      ${figures.snapshotRefreshMs} ms (median of 30)`);
  console.log(`  refusal check per transaction    ${figures.refusalCheckNs} ns`);
  console.log(
    `  block with one executed proposal ${figures.proposalBlockMs} ms (median; includes the refresh)`,
  );
  console.log(`  block with one plain transfer    ${figures.plainBlockMs} ms (median)`);
  console.log(JSON.stringify(figures));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
