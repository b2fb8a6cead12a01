import { readFileSync } from 'node:fs';
import type { Transaction } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { Chain } from './chain/chain.js';
import { SoloSealer } from './chain/solo-sealer.js';
import { loadNodeDir } from './config.js';
import type { ConsensusTimeouts } from './consensus/types.js';
import { membersAt } from './governance/members.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { ConsensusDriver } from './network/consensus-driver.js';
import { TxGossip } from './network/gossip.js';
import { MESSAGE_TYPES } from './network/protocol.js';
import { createP2pNode, type P2pNode } from './p2p/transport.js';
import { RpcServer } from './rpc/server.js';

export const CLIENT_VERSION = 'weft/0.1.0';

/**
 * One weft node: the chain (storage, state, pool), block production, and the RPC server, wired from a
 * node directory written by `weft init`.
 */
export interface StartNodeOptions {
  dir: string;
  consensusTimeouts?: Partial<ConsensusTimeouts>;
  logLevel?: LogLevel;
  logJson?: boolean;
  log?: Logger;
}

export interface RunningNode {
  readonly chain: Chain;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly log: Logger;
  close(): Promise<void>;
}

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const loaded = loadNodeDir(options.dir);
  const { config, genesis } = loaded;
  const log =
    options.log ??
    createLogger({ name: config.name, level: options.logLevel ?? 'info', json: options.logJson ?? false });
  const suite = getSuite(genesis.suite);
  const publicKey = suite.publicKeyFromPrivate(loaded.privateKey);
  const nodeId = bytesToHex(publicKey);
  const self = genesis.nodes.find((n) => bytesToHex(n.nodeId) === nodeId);
  const sealers = genesis.nodes.filter((n) => n.role === 'sealer');
  const chain = await Chain.open({ dataDir: loaded.resolve(config.dataDir), genesis, suite });
  chain.pool.startDecodeWorkers();
  log('info', 'chain opened', {
    chainId: genesis.chainId,
    suite: suite.name,
    head: chain.head.number,
    stateRoot: bytesToHex(chain.head.stateRoot),
  });

  let sealer: SoloSealer | undefined;
  let p2p: P2pNode | undefined;
  let driver: ConsensusDriver | undefined;
  let gossip: TxGossip | undefined;
  // Membership comes from governance (docs/governance.md): the genesis nodes, then every change the
  // committee voted, each from the height it applies.
  const validatorsAt = (height: bigint) => chain.governance.membershipAt(height).sealers;
  let admitted = new Set<string>();
  const refreshAdmitted = (height: bigint) => {
    const m = chain.governance.membershipAt(height);
    const next = new Set([...m.sealers, ...m.observers].map((id) => bytesToHex(id).slice(2)));
    const changed = next.size !== admitted.size || [...next].some((id) => !admitted.has(id));
    admitted = next;
    if (changed) p2p?.recheckAdmission();
  };
  refreshAdmitted(chain.head.number + 1n);
  // Everything started here, stopped in order: block production and consensus before the network,
  // the network before the database it writes to.
  const stopParts = async () => {
    await sealer?.stop();
    await driver?.stop();
    gossip?.close();
    await p2p?.close();
    await chain.close();
  };
  try {
    if (genesis.nodes.length === 1 && self?.role === 'sealer') {
      // A one-node chain: no peers, no votes; blocks on a timer while transactions wait.
      sealer = new SoloSealer({
        chain,
        sealer: suite.addressFromPublicKey(publicKey),
        onError: (error) => log('error', 'sealing failed', { error: String(error) }),
        log,
      });
    } else {
      if (!admitted.has(nodeId.slice(2))) {
        // Not (yet) a member: peers refuse us until the committee adds this node (weft node add).
        log('warn', 'this node is not a member of the chain yet; ask the committee to add it', { nodeId });
      }
      p2p = await createP2pNode({
        listenHost: config.p2p.host,
        listenPort: config.p2p.port,
        tls: {
          certPem: readFileSync(loaded.resolve(config.tls.cert), 'utf8'),
          keyPem: readFileSync(loaded.resolve(config.tls.key), 'utf8'),
          caPem: readFileSync(loaded.resolve(config.tls.ca), 'utf8'),
          chainPem: readFileSync(loaded.resolve(config.tls.org), 'utf8'),
        },
        selfId: publicKey,
        isAdmitted: (id) => admitted.has(bytesToHex(id).slice(2)),
        peers: config.p2p.peers,
        messageTypes: MESSAGE_TYPES,
        logger: {
          debug: (m, f) => log('debug', m, f),
          info: (m, f) => log('info', m, f),
          warn: (m, f) => log('warn', m, f),
        },
      });
      driver = new ConsensusDriver({
        chain,
        p2p,
        privateKey: loaded.privateKey,
        publicKey,
        validatorsAt,
        onMembershipChange: refreshAdmitted,
        log,
        ...(options.consensusTimeouts ? { timeouts: options.consensusTimeouts } : {}),
      });
      gossip = new TxGossip({ chain, p2p, log });
      await driver.start();
      log('info', 'p2p listening', {
        address: `${config.p2p.host}:${p2p.address().port}`,
        sealers: validatorsAt(chain.head.number + 1n).length,
      });
    }
  } catch (error) {
    await stopParts();
    throw error;
  }
  chain.on('block', (block) => {
    log('info', 'block committed', {
      number: block.header.number,
      txs: block.transactions.length,
      hash: bytesToHex(block.hash).slice(0, 18),
    });
  });

  const submitTransaction = async (raw: Uint8Array): Promise<Transaction> => {
    const tx = await chain.pool.addRaw(raw);
    sealer?.notePending();
    gossip?.announce(raw);
    return tx;
  };
  const startedAt = Date.now();
  const roleNow = () => {
    const m = chain.governance.membershipAt(chain.head.number + 1n);
    if (m.sealers.some((id) => bytesToHex(id) === nodeId)) return 'sealer';
    return m.observers.some((id) => bytesToHex(id) === nodeId) ? 'observer' : 'none';
  };
  const consensusStatus = () => {
    const s = driver?.status();
    if (!s) return { algorithm: 'solo', sealers: sealers.length };
    return {
      algorithm: 'pbft',
      height: `0x${s.height.toString(16)}`,
      view: s.view,
      phase: s.phase,
      leader: bytesToHex(s.leader),
      isValidator: s.isValidator,
      sealers: s.validatorCount,
      quorum: s.quorum,
      syncing: s.syncing,
      peersAhead: s.peersAhead,
    };
  };
  const rpc = new RpcServer(
    {
      chain,
      clientVersion: CLIENT_VERSION,
      submitTransaction,
      peers: () => p2p?.peers() ?? [],
      nodeStatus: () => ({
        name: config.name,
        nodeId,
        role: roleNow(),
        blockNumber: `0x${chain.head.number.toString(16)}`,
        blockHash: bytesToHex(chain.headHash),
        stateRoot: bytesToHex(chain.head.stateRoot),
        pendingTransactions: chain.pool.size,
        suite: suite.name,
        chainId: `0x${chain.chainId.toString(16)}`,
        consensus: consensusStatus(),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      }),
    },
    { host: config.rpc.host, port: config.rpc.port, log },
  );
  // Consensus and membership status (what Ethereum lacks lives under weft_*).
  // A node's organisation is the one its latest registry change names (a node added by the committee is not
  // in the genesis); an ungoverned chain has only its genesis nodes.
  const nodeList = (role: 'sealer' | 'observer') =>
    membersAt(chain.governance, genesis, chain.head.number + 1n)
      .filter((n) => n.role === role)
      .map((n) => ({
        nodeId: bytesToHex(n.nodeId),
        org: n.org,
        address: bytesToHex(suite.addressFromPublicKey(n.nodeId)),
        connected:
          bytesToHex(n.nodeId) === nodeId ||
          (p2p?.peers().some((p) => `0x${p.id}` === bytesToHex(n.nodeId)) ?? false),
      }));
  rpc.methods.set('weft_consensusStatus', () => consensusStatus());
  rpc.methods.set('weft_sealers', () => nodeList('sealer'));
  rpc.methods.set('weft_observers', () => nodeList('observer'));
  rpc.methods.set('weft_syncStatus', () => {
    const s = driver?.status();
    return {
      syncing: s?.syncing ?? false,
      head: `0x${chain.head.number.toString(16)}`,
      peersAhead: s?.peersAhead ?? 0,
    };
  });
  let address: { address: string; port: number };
  try {
    address = await rpc.listen();
  } catch (cause) {
    // Consensus and the network are already running: a node that cannot serve RPC stops them too
    // (the process exits) rather than run on with its database closed.
    await stopParts();
    throw new WeftError(
      'CONFIG_ERROR',
      `cannot listen for RPC on ${config.rpc.host}:${config.rpc.port}: is the port in use?`,
      { cause },
    );
  }
  const hostForUrl = address.address.includes(':') ? `[${address.address}]` : address.address;
  const rpcUrl = `http://${hostForUrl}:${address.port}`;
  log('info', 'rpc listening', { url: rpcUrl });
  let closing: Promise<void> | undefined;
  return {
    chain,
    rpcUrl,
    wsUrl: rpcUrl.replace(/^http/, 'ws'),
    log,
    close() {
      closing ??= (async () => {
        await rpc.close();
        await stopParts();
        log('info', 'node stopped');
      })();
      return closing;
    },
  };
}
