import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { SuiteName } from '@weft/crypto/suite';

/**
 * A typed JSON-RPC client for a weft node (HTTP). The CLI and the console are built on it. Errors are
 * `RpcCallError`s carrying the node's JSON-RPC code and data; URLs in messages have credentials removed.
 */
export class RpcCallError extends WeftError {
  readonly rpcCode: number;
  readonly rpcData: unknown;
  constructor(method: string, rpcCode: number, message: string, rpcData: unknown) {
    super('RPC_ERROR', `${method}: ${message}`, { details: { rpcCode } });
    this.rpcCode = rpcCode;
    this.rpcData = rpcData;
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

export interface ChainInfo {
  chainId: bigint;
  chainName: string;
  suite: SuiteName;
  blockLimitWindow: number;
  txGasLimit: bigint;
  blockGasLimit: bigint;
  nodes: { nodeId: string; org: string; role: string }[];
}

export interface RpcReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status: string;
  gasUsed: string;
  contractAddress: string | null;
  logs: { address: string; topics: string[]; data: string; logIndex: string }[];
  revertReason: string | null;
  output: string;
  from: string;
  to: string | null;
  [key: string]: unknown;
}

export interface MerkleProofJson {
  blockNumber: string;
  blockHash: string;
  header: string;
  root: string;
  leaf: string;
  index: number;
  leafCount: number;
  siblings: string[];
  transaction?: string;
  receipt?: string;
}

export interface WeftClient {
  readonly url: string;
  request<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  chainInfo(): Promise<ChainInfo>;
  blockNumber(): Promise<bigint>;
  sendRawTransaction(raw: Uint8Array): Promise<string>;
  getReceipt(hash: string): Promise<RpcReceipt | null>;
  waitForReceipt(hash: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<RpcReceipt>;
  call(request: { to: string; data: Uint8Array; from?: string }): Promise<Uint8Array>;
}

let requestId = 0;

export function createClient(url: string, options: { timeoutMs?: number } = {}): WeftClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const shown = redactUrl(url);
  const request = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new WeftError(
        'RPC_ERROR',
        `cannot reach the node at ${shown}: is it running? (start one with 'weft up')`,
        {
          cause,
        },
      );
    }
    let body: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      body = (await response.json()) as typeof body;
    } catch (cause) {
      throw new WeftError('RPC_ERROR', `${shown} did not answer with JSON-RPC (HTTP ${response.status})`, {
        cause,
      });
    }
    if (body.error) throw new RpcCallError(method, body.error.code, body.error.message, body.error.data);
    return body.result as T;
  };

  const client: WeftClient = {
    url: shown,
    request,
    async chainInfo() {
      const info = await request<{
        chainId: string;
        chainName: string;
        suite: SuiteName;
        settings: { blockLimitWindow: number; txGasLimit: string; blockGasLimit: string };
        nodes: ChainInfo['nodes'];
      }>('weft_chainInfo');
      return {
        chainId: BigInt(info.chainId),
        chainName: info.chainName,
        suite: info.suite,
        blockLimitWindow: info.settings.blockLimitWindow,
        txGasLimit: BigInt(info.settings.txGasLimit),
        blockGasLimit: BigInt(info.settings.blockGasLimit),
        nodes: info.nodes,
      };
    },
    async blockNumber() {
      return BigInt(await request<string>('eth_blockNumber'));
    },
    sendRawTransaction(raw) {
      return request<string>('eth_sendRawTransaction', [bytesToHex(raw)]);
    },
    getReceipt(hash) {
      return request<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
    },
    async waitForReceipt(hash, { timeoutMs: wait = 60_000, pollMs = 100 } = {}) {
      const deadline = Date.now() + wait;
      for (;;) {
        const receipt = await client.getReceipt(hash);
        if (receipt) return receipt;
        if (Date.now() > deadline) {
          throw new WeftError(
            'TIMEOUT',
            `transaction ${hash} was not included within ${wait} ms; check 'weft tx ${hash}'`,
          );
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    async call({ to, data, from }) {
      return hexToBytes(
        await request<string>('eth_call', [
          { to, data: bytesToHex(data), ...(from ? { from } : {}) },
          'latest',
        ]),
      );
    },
  };
  return client;
}
