import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBlock } from '@weft/core/block';
import { DEFAULT_SETTINGS, type GenesisConfig } from '@weft/core/genesis';
import { bytesToHex } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain/chain.js';
import { ConsensusDriver } from '../src/network/consensus-driver.js';
import {
  decodeBlockList,
  encodeStatus,
  encodeSyncRequest,
  MSG_CONSENSUS,
  MSG_STATUS,
  MSG_SYNC_REQUEST,
  MSG_SYNC_RESPONSE,
} from '../src/network/protocol.js';
import type { P2pEvents, P2pNode, PenaltySeverity } from '../src/p2p/transport.js';

/**
 * The consensus driver against a hostile peer, without processes: a real chain, and a stand-in transport
 * that records what the driver sends and whom it penalises. Regression: a malformed sync request used to
 * throw inside an async handler, an unhandled rejection that ended the node process — one admitted peer
 * could stop every node of the network with a 40-byte frame (found by faults-byzantine.it.test.ts).
 */
const suite = getSuite('ecdsa');
const keys = Array.from({ length: 4 }, () => suite.generateKeyPair());
const genesis: GenesisConfig = {
  chainId: 4242n,
  chainName: 'hostile',
  suite: 'ecdsa',
  timestamp: 1_700_000_000_000n,
  nodes: keys.map((k, i) => ({ nodeId: k.publicKey, org: `org${i}`, role: 'sealer' as const })),
  settings: DEFAULT_SETTINGS,
  alloc: [],
};
const idOf = (i: number) => bytesToHex(keys[i]?.publicKey as Uint8Array).slice(2);
const peer = idOf(1);

class RecordingTransport extends EventEmitter<P2pEvents> {
  readonly selfId = bytesToHex(keys[0]?.publicKey as Uint8Array).slice(2);
  readonly sent: { to: string; type: number; payload: Uint8Array }[] = [];
  readonly penalties: { peer: string; severity: PenaltySeverity; reason: string }[] = [];
  send(to: string | Uint8Array, type: number, payload: Uint8Array): boolean {
    this.sent.push({ to: typeof to === 'string' ? to : bytesToHex(to).slice(2), type, payload });
    return true;
  }
  broadcast(): number {
    return 3;
  }
  penalise(to: string | Uint8Array, severity: PenaltySeverity, reason: string): void {
    this.penalties.push({ peer: typeof to === 'string' ? to : bytesToHex(to).slice(2), severity, reason });
  }
  peers() {
    return [];
  }
}

interface Fixture {
  chain: Chain;
  transport: RecordingTransport;
  driver: ConsensusDriver;
  close(): Promise<void>;
}

/** A started driver for validator 0 on a fresh chain, wired to a recording transport. */
async function startDriver(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-driver-'));
  const chain = await Chain.open({ dataDir: dir, genesis, suite });
  const transport = new RecordingTransport();
  const driver = new ConsensusDriver({
    chain,
    p2p: transport as unknown as P2pNode,
    privateKey: keys[0]?.privateKey as Uint8Array,
    publicKey: keys[0]?.publicKey as Uint8Array,
    validatorsAt: () => keys.map((k) => k.publicKey),
    log: () => {},
  });
  await driver.start();
  return {
    chain,
    transport,
    driver,
    async close() {
      await driver.stop();
      await chain.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let chain: Chain;
let transport: RecordingTransport;
let hostile: Fixture;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  hostile = await startDriver();
  chain = hostile.chain;
  transport = hostile.transport;
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await hostile?.close();
});

/** Lets pending promise callbacks (and any rejection they would raise) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the consensus driver and a hostile peer', () => {
  it('penalises a malformed sync request instead of crashing the process', async () => {
    transport.emit('message', peer, MSG_SYNC_REQUEST, Uint8Array.of(0xc2, 0x80));
    transport.emit('message', peer, MSG_SYNC_REQUEST, new Uint8Array(40).fill(0xff));
    await settle();
    expect(rejections).toEqual([]);
    expect(
      transport.penalties.filter((p) => p.peer === peer && p.reason === 'malformed message'),
    ).toHaveLength(2);
  });

  it('still serves a well-formed sync request', async () => {
    const before = transport.sent.length;
    transport.emit('message', peer, MSG_SYNC_REQUEST, encodeSyncRequest({ from: 0n, count: 4 }));
    await settle();
    const response = transport.sent.slice(before).find((m) => m.type === MSG_SYNC_RESPONSE);
    expect(response?.to).toBe(peer);
    const blocks = decodeBlockList(response?.payload as Uint8Array, 'sync response');
    expect(blocks).toHaveLength(1);
    expect(bytesToHex(decodeBlock(suite, blocks[0] as Uint8Array).hash)).toBe(bytesToHex(chain.headHash));
  });

  it('survives random bytes of every message type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(MSG_CONSENSUS, MSG_STATUS, MSG_SYNC_REQUEST, MSG_SYNC_RESPONSE),
        fc.uint8Array({ maxLength: 200 }),
        async (type, payload) => {
          transport.emit('message', peer, type, payload);
          await settle();
          expect(rejections).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
    expect(chain.head.number).toBe(0n);
  });
});

/** Polls until `check` holds (at most `timeoutMs`). */
async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

const status = (height: bigint) => encodeStatus({ height, headHash: new Uint8Array(32).fill(7) });
const syncRequestsTo = (t: RecordingTransport, id: string) =>
  t.sent.filter((m) => m.to === id && m.type === MSG_SYNC_REQUEST).length;

describe('block sync against lagging and lying peers', () => {
  it('fetches a block it has been one behind on for longer than a height takes', async () => {
    // Regression: a node that missed the commits of a decided block (a byzantine sealer withheld its own
    // commit from it) waited for its whole view timeout, while the others waited for it to lead.
    const f = await startDriver();
    try {
      f.transport.emit('message', idOf(1), MSG_STATUS, status(1n));
      await settle();
      expect(syncRequestsTo(f.transport, idOf(1))).toBe(0); // one ahead: normal while a height finishes
      expect(await eventually(() => syncRequestsTo(f.transport, idOf(1)) > 0, 8_000)).toBe(true);
    } finally {
      await f.close();
    }
  });

  it('passes over a peer that claims a huge height and never answers', async () => {
    // Regression: the highest announced height always won, so a silent liar held a lagging node's sync
    // hostage for good, and with it a network that needed that node for its quorum.
    const f = await startDriver();
    try {
      f.transport.emit('message', idOf(2), MSG_STATUS, status(1_000n));
      f.transport.emit('message', idOf(1), MSG_STATUS, status(2n));
      await settle();
      expect(syncRequestsTo(f.transport, idOf(2))).toBe(1);
      expect(syncRequestsTo(f.transport, idOf(1))).toBe(0);
      // After the liar's request times out, the honest peer is asked.
      expect(await eventually(() => syncRequestsTo(f.transport, idOf(1)) > 0, 12_000)).toBe(true);
      expect(syncRequestsTo(f.transport, idOf(2))).toBe(1);
    } finally {
      await f.close();
    }
  });
});
