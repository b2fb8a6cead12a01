import type { Transaction } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import { getSuite } from '@weft/crypto/suites';
import { Chain } from './chain/chain.js';
import { SoloSealer } from './chain/solo-sealer.js';
import { loadNodeDir } from './config.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { RpcServer } from './rpc/server.js';

export const CLIENT_VERSION = 'weft/0.1.0';

/**
 * One weft node: the chain (storage, state, pool), block production, and the RPC server, wired from a
 * node directory written by `weft init`.
 */
export interface StartNodeOptions {
  dir: string;
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
  log('info', 'chain opened', {
    chainId: genesis.chainId,
    suite: suite.name,
    head: chain.head.number,
    stateRoot: bytesToHex(chain.head.stateRoot),
  });

  let sealer: SoloSealer | undefined;
  if (sealers.length === 1 && self?.role === 'sealer') {
    sealer = new SoloSealer({
      chain,
      sealer: suite.addressFromPublicKey(publicKey),
      onError: (error) => log('error', 'sealing failed', { error: String(error) }),
    });
  } else if (sealers.length > 1) {
    await chain.close();
    throw new WeftError(
      'UNSUPPORTED',
      'this build runs single-sealer chains only; multi-sealer consensus is not wired yet',
    );
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
    return tx;
  };
  const startedAt = Date.now();
  const rpc = new RpcServer(
    {
      chain,
      clientVersion: CLIENT_VERSION,
      submitTransaction,
      peers: () => [],
      nodeStatus: () => ({
        name: config.name,
        nodeId,
        role: self?.role ?? 'none',
        blockNumber: `0x${chain.head.number.toString(16)}`,
        blockHash: bytesToHex(chain.headHash),
        stateRoot: bytesToHex(chain.head.stateRoot),
        pendingTransactions: chain.pool.size,
        suite: suite.name,
        chainId: `0x${chain.chainId.toString(16)}`,
        consensus: { algorithm: 'solo', sealers: sealers.length },
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      }),
    },
    { host: config.rpc.host, port: config.rpc.port, log },
  );
  let address: { address: string; port: number };
  try {
    address = await rpc.listen();
  } catch (cause) {
    await sealer?.stop();
    await chain.close();
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
        await sealer?.stop();
        await chain.close();
        log('info', 'node stopped');
      })();
      return closing;
    },
  };
}
