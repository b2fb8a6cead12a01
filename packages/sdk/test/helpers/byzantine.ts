import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Block, createBlock, decodeBlock, encodeBlock, withCertificate } from '@weft/core/block';
import { bytesToHex, equalBytes } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import { Chain } from '@weft/node/chain/chain';
import { loadNodeDir } from '@weft/node/config';
import { leaderIndex, quorumSize } from '@weft/node/consensus/certificate';
import {
  encodeCertificate,
  encodeMessage,
  type ViewChangeVote,
  viewChangeDigest,
  voteDigest,
} from '@weft/node/consensus/codec';
import type { PreparedCertificate } from '@weft/node/consensus/types';
import {
  decodeBlockList,
  decodeStatus,
  decodeSyncRequest,
  encodeBlockList,
  encodeStatus,
  encodeSyncRequest,
  MAX_SYNC_BLOCKS,
  MESSAGE_TYPES,
  MSG_STATUS,
  MSG_SYNC_REQUEST,
  MSG_SYNC_RESPONSE,
} from '@weft/node/network/protocol';
import { createP2pNode, type P2pNode, type PeerAddress } from '@weft/node/p2p/transport';

/**
 * A byzantine sealer for fault tests. It takes a real sealer's identity (its TLS certificate and key and
 * its consensus key, from the node directory `weft init` wrote) and, instead of running that node, joins
 * the network with the bare transport (`createP2pNode`) and sends whatever a test tells it to: messages
 * built with the real codec (`consensus/codec.ts`) and signed with the real key, so that only the
 * protocol's own checks stand between them and the honest nodes.
 *
 * It keeps a shadow copy of the chain (a real `Chain`, fed by block sync from the honest nodes) so that
 * it can build blocks that are *valid* — the dangerous kind of equivocation is two valid proposals.
 */
export interface ByzantineSealerOptions {
  /** The directory of the node whose identity is taken (`<net>/node3`). */
  nodeDir: string;
  /** Where the shadow chain keeps its database. */
  dataDir: string;
  /** The honest nodes' P2P addresses. */
  peers: readonly PeerAddress[];
  /** Port to listen on: the taken node's own, so the honest nodes' dialers find it. */
  listenPort: number;
}

export type VoteKind = 'prepare' | 'commit';

export class ByzantineSealer {
  readonly p2p: P2pNode;
  readonly chain: Chain;
  readonly suite: CryptoSuite;
  readonly chainId: bigint;
  /** Ordered sealer list; `index` is this node's place in it. */
  readonly validators: readonly Uint8Array[];
  readonly index: number;
  readonly address: Uint8Array;
  /** Latest head height each peer announced (MSG_STATUS), by node id hex. */
  readonly peerHeads = new Map<string, bigint>();
  /** Sync requests the honest nodes sent this node, by node id hex. */
  readonly syncRequestsFrom = new Map<string, number>();
  /** Answers honest nodes' sync requests while set (by default they get none). */
  serveSync: ((from: string, request: { from: bigint; count: number }) => Promise<Uint8Array[]>) | undefined;
  private readonly privateKey: Uint8Array;
  private syncWaiter: ((blocks: Uint8Array[] | null) => void) | undefined;
  private syncing: Promise<void> | undefined;

  private constructor(p2p: P2pNode, chain: Chain, privateKey: Uint8Array, validators: Uint8Array[]) {
    this.p2p = p2p;
    this.chain = chain;
    this.suite = chain.suite;
    this.chainId = chain.genesis.chainId;
    this.privateKey = privateKey;
    this.validators = validators;
    const self = chain.suite.publicKeyFromPrivate(privateKey);
    this.index = validators.findIndex((v) => equalBytes(v, self));
    this.address = chain.suite.addressFromPublicKey(self);
    p2p.on('message', (from, type, payload) => this.onMessage(from, type, payload));
  }

  static async start(options: ByzantineSealerOptions): Promise<ByzantineSealer> {
    const loaded = loadNodeDir(options.nodeDir);
    const suite = getSuite(loaded.genesis.suite);
    const publicKey = suite.publicKeyFromPrivate(loaded.privateKey);
    const validators = loaded.genesis.nodes.filter((n) => n.role === 'sealer').map((n) => n.nodeId);
    const admitted = new Set(loaded.genesis.nodes.map((n) => bytesToHex(n.nodeId)));
    const chain = await Chain.open({ dataDir: options.dataDir, genesis: loaded.genesis, suite });
    const read = (file: string) => readFileSync(join(options.nodeDir, 'tls', file), 'utf8');
    const p2p = await createP2pNode({
      listenHost: '127.0.0.1',
      listenPort: options.listenPort,
      tls: {
        certPem: read('node.crt'),
        keyPem: read('node.key'),
        caPem: read('ca.crt'),
        chainPem: read('org.crt'),
      },
      selfId: publicKey,
      isAdmitted: (id) => admitted.has(bytesToHex(id)),
      peers: options.peers,
      messageTypes: MESSAGE_TYPES,
      // Reconnect quickly after an honest node restarts; a ban still keeps it out.
      timeouts: { dialBackoffMaxMs: 2_000 },
    });
    return new ByzantineSealer(p2p, chain, loaded.privateKey, validators);
  }

  /** Node id (hex, no 0x, as the transport names peers) of validator `i`. */
  idOf(i: number): string {
    return bytesToHex(this.validators[i] as Uint8Array).slice(2);
  }

  connectedTo(i: number): boolean {
    return this.p2p.peers().some((p) => p.id === this.idOf(i));
  }

  /** Sends one frame to validator `i`; false when it is not connected (e.g. it banned us). */
  send(i: number, type: number, payload: Uint8Array): boolean {
    return this.p2p.send(this.idOf(i), type, payload);
  }

  // --- the shadow chain

  /** Fetches blocks from the peer furthest ahead until the shadow chain reaches its announced head. */
  catchUp(): Promise<void> {
    this.syncing ??= this.runCatchUp().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async runCatchUp(): Promise<void> {
    for (;;) {
      let best: [string, bigint] | undefined;
      for (const entry of this.peerHeads) if (!best || entry[1] > best[1]) best = entry;
      const head = this.chain.head.number;
      if (!best || best[1] <= head) return;
      const count = Number(
        best[1] - head < BigInt(MAX_SYNC_BLOCKS) ? best[1] - head : BigInt(MAX_SYNC_BLOCKS),
      );
      const response = new Promise<Uint8Array[] | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 3_000);
        this.syncWaiter = (blocks) => {
          clearTimeout(timer);
          resolve(blocks);
        };
      });
      if (!this.p2p.send(best[0], MSG_SYNC_REQUEST, encodeSyncRequest({ from: head + 1n, count }))) return;
      const blocks = await response;
      this.syncWaiter = undefined;
      if (!blocks || blocks.length === 0) return;
      for (const bytes of blocks) {
        const block = decodeBlock(this.suite, bytes, { maxTxBytes: this.chain.settings.maxTxBytes });
        if (block.header.number !== this.chain.head.number + 1n) continue;
        await this.chain.commit(await this.chain.verifyBlock(block), block.certificate);
      }
    }
  }

  /** The height the honest nodes are deciding, as far as their announcements tell. */
  honestHeight(): bigint {
    let best = 0n;
    for (const h of this.peerHeads.values()) if (h > best) best = h;
    return best + 1n;
  }

  /**
   * Waits until the honest nodes work on a height this node leads in view 0 (leader(h, v) =
   * validators[(h + v) mod n]) with the shadow chain caught up to its parent; returns the height.
   */
  async waitForTurn(timeoutMs: number): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.catchUp();
      const height = this.chain.head.number + 1n;
      if (height === this.honestHeight() && leaderIndex(height, 0, this.validators.length) === this.index) {
        return height;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the byzantine sealer never got a turn to lead');
  }

  /** `count` distinct, valid blocks on the shadow head (they differ in their timestamps). */
  async buildValidBlocks(count: number): Promise<Block[]> {
    const blocks: Block[] = [];
    const now = BigInt(Date.now());
    for (let i = 0; i < count; i++)
      blocks.push((await this.chain.buildBlock(this.address, now + BigInt(i))).block);
    return blocks;
  }

  /** A block on the shadow head whose state root is a lie (it decodes, and its hash is its header's). */
  async buildInvalidBlock(): Promise<Block> {
    const [valid] = await this.buildValidBlocks(1);
    const block = valid as Block;
    return createBlock(this.suite, { ...block.header, stateRoot: randomBytes(32) }, block.transactions);
  }

  // --- signed consensus messages (docs/consensus.md §3–4)

  private sign(digest: Uint8Array): Uint8Array {
    return this.suite.sign(digest, this.privateKey);
  }

  /** A signature of the right length that verifies under nobody's key. */
  forgedSignature(): Uint8Array {
    return randomBytes(this.suite.signatureLength);
  }

  proposal(
    height: bigint,
    view: number,
    block: Block,
    justification: readonly ViewChangeVote[] = [],
  ): Uint8Array {
    return encodeMessage({
      kind: 'proposal',
      chainId: this.chainId,
      height,
      view,
      signer: this.index,
      blockHash: block.hash,
      block: encodeBlock(block),
      justification,
      signature: this.sign(voteDigest(this.suite.hash, 'proposal', this.chainId, height, view, block.hash)),
    });
  }

  vote(
    kind: VoteKind,
    height: bigint,
    view: number,
    blockHash: Uint8Array,
    options: { forgeSignature?: boolean } = {},
  ): Uint8Array {
    const digest = voteDigest(this.suite.hash, kind, this.chainId, height, view, blockHash);
    return encodeMessage({
      kind,
      chainId: this.chainId,
      height,
      view,
      signer: this.index,
      blockHash,
      signature: options.forgeSignature ? this.forgedSignature() : this.sign(digest),
    });
  }

  /** A validly signed view change that carries `prepared` (which the test may have forged). */
  viewChange(height: bigint, view: number, prepared: PreparedCertificate | null): Uint8Array {
    return encodeMessage({
      kind: 'viewChange',
      chainId: this.chainId,
      height,
      view,
      signer: this.index,
      prepared,
      preparedBlock: null,
      signature: this.sign(viewChangeDigest(this.suite.hash, this.chainId, height, view, prepared)),
    });
  }

  /** A prepared certificate for `blockHash` whose signatures are made up, by `signers`. */
  forgedPreparedCertificate(view: number, blockHash: Uint8Array, signers: number[]): PreparedCertificate {
    return { view, blockHash, signers, signatures: signers.map(() => this.forgedSignature()) };
  }

  /** A commit certificate naming a quorum of sealers, with made-up signatures. */
  forgedCommitCertificate(height: bigint, blockHash: Uint8Array): Uint8Array {
    const signers = Array.from({ length: quorumSize(this.validators.length) }, (_, i) => i);
    return encodeCertificate({
      chainId: this.chainId,
      height,
      view: 0,
      blockHash,
      signers,
      signatures: signers.map(() => this.forgedSignature()),
    });
  }

  /** Claims a head far ahead of everyone, so that a node that believes it syncs from us. */
  claimHeight(i: number, height: bigint): boolean {
    return this.send(i, MSG_STATUS, encodeStatus({ height, headHash: randomBytes(32) }));
  }

  /**
   * The block after the honest head, valid in every respect but its commit certificate, whose signatures
   * are forged: what a sync response from a liar looks like.
   */
  async blockWithForgedCertificate(): Promise<Uint8Array> {
    await this.catchUp();
    const [block] = await this.buildValidBlocks(1);
    const b = block as Block;
    return encodeBlock(withCertificate(b, this.forgedCommitCertificate(b.header.number, b.hash)));
  }

  // --- incoming

  private onMessage(from: string, type: number, payload: Uint8Array): void {
    try {
      if (type === MSG_STATUS) {
        this.peerHeads.set(from, decodeStatus(payload).height);
      } else if (type === MSG_SYNC_RESPONSE) {
        this.syncWaiter?.(decodeBlockList(payload, 'sync response'));
      } else if (type === MSG_SYNC_REQUEST) {
        this.syncRequestsFrom.set(from, (this.syncRequestsFrom.get(from) ?? 0) + 1);
        const serve = this.serveSync;
        if (serve) {
          void serve(from, decodeSyncRequest(payload)).then(
            (blocks) => this.p2p.send(from, MSG_SYNC_RESPONSE, encodeBlockList(blocks)),
            () => undefined,
          );
        }
      }
    } catch {
      // Honest nodes send well-formed messages; anything else is not this harness's concern.
    }
  }

  async close(): Promise<void> {
    this.syncWaiter?.(null);
    await this.syncing?.catch(() => undefined);
    await this.p2p.close();
    await this.chain.close();
  }
}
