import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Block } from '@weft/core/block';
import type { Receipt } from '@weft/core/receipt';
import { isWeftError, type WeftErrorCode } from '@weft/crypto/errors';
import { type WebSocket, WebSocketServer } from 'ws';
import { blockLogs, type FilterCriteria, parseFilterCriteria } from './filters.js';
import { formatHeader } from './format.js';
import { parseData, quantity } from './hex.js';
import { createRpcMethods, RpcError, type RpcHandler, type RpcNode } from './methods.js';

/**
 * JSON-RPC 2.0 over HTTP (POST) and WebSocket on one port. Batches, the standard error codes of the
 * JSON-RPC 2.0 spec (-32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
 * params, -32603 internal error) and Ethereum's (-32000 transaction rejected, 3 execution reverted).
 * Bodies, batches and WebSocket frames are size-limited; malformed input gets an error and changes nothing.
 */
export interface RpcServerOptions {
  host: string;
  port: number;
  maxBodyBytes?: number;
  maxBatch?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

type JsonRpcId = string | number | null;
interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const INVALID_PARAMS_CODES: WeftErrorCode[] = ['INVALID_ARGUMENT', 'INVALID_HEX', 'INVALID_LENGTH'];
const REJECTED_TX_CODES: WeftErrorCode[] = [
  'INVALID_TRANSACTION',
  'INVALID_SIGNATURE',
  'INVALID_ENCODING',
  'WRONG_CHAIN',
  'REPLAYED_TRANSACTION',
  'NONCE_TOO_LOW',
  'TX_POOL_FULL',
  'TX_TOO_LARGE',
  'GAS_LIMIT_EXCEEDED',
  'SENDER_NOT_ALLOWED',
  'ALREADY_KNOWN',
];

function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

function isValidId(id: unknown): id is JsonRpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

export class RpcServer {
  readonly methods: Map<string, RpcHandler>;
  private readonly node: RpcNode;
  private readonly opts: Required<Omit<RpcServerOptions, 'log'>> & Pick<RpcServerOptions, 'log'>;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly onBlock: (block: Block, receipts: readonly Receipt[]) => void;
  private readonly subscriptions = new Map<
    WebSocket,
    Map<string, { kind: 'newHeads' } | { kind: 'logs'; criteria: FilterCriteria }>
  >();
  private subscriptionSeq = 0;
  private publishing: Promise<void> = Promise.resolve();

  constructor(node: RpcNode, opts: RpcServerOptions) {
    this.node = node;
    this.opts = { maxBodyBytes: 16 * 1024 * 1024, maxBatch: 1000, ...opts };
    this.methods = createRpcMethods(node);
    this.methods.set('eth_subscribe', () => {
      throw new RpcError(
        -32601,
        'eth_subscribe needs a WebSocket connection: connect with ws:// to the same port',
      );
    });
    // Publish blocks strictly in order: each publication waits for the previous one.
    this.onBlock = (block, receipts) => {
      this.publishing = this.publishing
        .then(() => this.publishBlock(block, receipts))
        .catch((error: unknown) => {
          this.opts.log?.('error', 'publishing a block to subscribers failed', { error: String(error) });
        });
    };
  }

  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => this.handleHttp(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxBodyBytes });
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => this.handleWebSocket(ws));
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server = server;
    this.wss = wss;
    this.node.chain.on('block', this.onBlock);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.node.chain.off('block', this.onBlock);
    for (const ws of this.subscriptions.keys()) ws.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'content-type');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' });
      res.end(JSON.stringify(errorResponse(null, -32600, 'JSON-RPC requests must be HTTP POST')));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.opts.maxBodyBytes) {
        if (!tooLarge) {
          tooLarge = true;
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end(
            JSON.stringify(
              errorResponse(null, -32600, `request body is larger than ${this.opts.maxBodyBytes} bytes`),
            ),
          );
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      void this.handleBody(Buffer.concat(chunks).toString('utf8')).then((out) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(out === undefined ? '' : JSON.stringify(out));
      });
    });
    req.on('error', () => res.destroy());
  }

  /** Parses and answers one HTTP body or WebSocket message. */
  async handleBody(text: string, ws?: WebSocket): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return errorResponse(null, -32700, 'parse error: the body is not valid JSON');
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return errorResponse(null, -32600, 'invalid request: empty batch');
      if (parsed.length > this.opts.maxBatch) {
        return errorResponse(
          null,
          -32600,
          `invalid request: batches are limited to ${this.opts.maxBatch} calls`,
        );
      }
      const prefetched = this.prefetchTransactions(parsed);
      const out: JsonRpcResponse[] = [];
      try {
        // Requests run one after another, in order, as before; only their decoding was started early.
        for (const request of parsed) {
          const response = await this.handleRequest(request, ws);
          if (response) out.push(response);
        }
      } finally {
        this.node.chain.pool.releasePrefetched(prefetched);
      }
      return out.length ? out : undefined;
    }
    return this.handleRequest(parsed, ws);
  }

  /**
   * A batch that submits several raw transactions has them decoded (signatures recovered) on the
   * pool's worker threads while the requests are handled in order (see TxPool.prefetch).
   */
  private prefetchTransactions(batch: readonly unknown[]): string[] {
    const raws: Uint8Array[] = [];
    for (const request of batch) {
      if (typeof request !== 'object' || request === null) continue;
      const { method, params } = request as { method?: unknown; params?: unknown };
      if (method !== 'eth_sendRawTransaction' && method !== 'weft_sendRawTransaction') continue;
      if (!Array.isArray(params) || typeof params[0] !== 'string') continue;
      try {
        raws.push(parseData(params[0], 'raw transaction'));
      } catch {
        // The request itself will say what is wrong with it.
      }
    }
    return raws.length < 2 ? [] : this.node.chain.pool.prefetch(raws);
  }

  private async handleRequest(request: unknown, ws?: WebSocket): Promise<JsonRpcResponse | undefined> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return errorResponse(null, -32600, 'invalid request: expected a JSON-RPC object');
    }
    const r = request as Record<string, unknown>;
    const id = r.id;
    const isNotification = !('id' in r);
    if (!isNotification && !isValidId(id)) return errorResponse(null, -32600, 'invalid request: bad id');
    const replyId = isNotification ? null : (id as JsonRpcId);
    if (r.jsonrpc !== '2.0' || typeof r.method !== 'string') {
      return errorResponse(replyId, -32600, 'invalid request: needs jsonrpc "2.0" and a method name');
    }
    if (r.params !== undefined && !Array.isArray(r.params)) {
      return errorResponse(replyId, -32602, 'invalid params: params must be an array');
    }
    const params = (r.params ?? []) as unknown[];
    const method = r.method;
    let response: JsonRpcResponse;
    try {
      let result: unknown;
      if (ws && method === 'eth_subscribe') result = await this.subscribe(ws, params);
      else if (ws && method === 'eth_unsubscribe')
        result = this.subscriptions.get(ws)?.delete(String(params[0])) ?? false;
      else {
        const handler = this.methods.get(method);
        if (!handler) {
          response = errorResponse(
            replyId,
            -32601,
            `the method ${method.slice(0, 64)} does not exist/is not available`,
          );
          return isNotification ? undefined : response;
        }
        result = await handler(params);
      }
      response = { jsonrpc: '2.0', id: replyId, result: result === undefined ? null : result };
    } catch (error) {
      response = this.toErrorResponse(replyId, method, error);
    }
    return isNotification ? undefined : response;
  }

  private toErrorResponse(id: JsonRpcId, method: string, error: unknown): JsonRpcResponse {
    if (error instanceof RpcError) return errorResponse(id, error.rpcCode, error.message, error.rpcData);
    if (isWeftError(error)) {
      if (INVALID_PARAMS_CODES.includes(error.code))
        return errorResponse(id, -32602, `invalid params: ${error.message}`);
      if (REJECTED_TX_CODES.includes(error.code)) {
        return errorResponse(id, -32000, error.message, { code: error.code });
      }
      if (error.code === 'NOT_FOUND') return errorResponse(id, -32001, error.message);
    }
    this.opts.log?.('error', 'rpc method failed', { method: method.slice(0, 64), error: String(error) });
    return errorResponse(id, -32603, 'internal error');
  }

  private handleWebSocket(ws: WebSocket): void {
    this.subscriptions.set(ws, new Map());
    ws.on('message', (raw, isBinary) => {
      if (isBinary) {
        ws.send(JSON.stringify(errorResponse(null, -32700, 'parse error: send JSON text frames')));
        return;
      }
      void this.handleBody(raw.toString(), ws).then((out) => {
        if (out !== undefined && ws.readyState === ws.OPEN) ws.send(JSON.stringify(out));
      });
    });
    ws.on('close', () => this.subscriptions.delete(ws));
    ws.on('error', () => ws.terminate());
  }

  private async subscribe(ws: WebSocket, params: unknown[]): Promise<string> {
    const subs = this.subscriptions.get(ws);
    if (!subs) throw new RpcError(-32000, 'connection closed');
    if (subs.size >= 1000) throw new RpcError(-32005, 'too many subscriptions on this connection');
    const id = quantity(++this.subscriptionSeq);
    if (params[0] === 'newHeads') subs.set(id, { kind: 'newHeads' });
    else if (params[0] === 'logs') {
      const criteria = await parseFilterCriteria(this.node.chain, params[1] ?? {});
      subs.set(id, { kind: 'logs', criteria: { ...criteria, fromBlock: 0n, toBlock: null } });
    } else
      throw new RpcError(
        -32602,
        `invalid params: unsupported subscription ${String(params[0]).slice(0, 32)}; use newHeads or logs`,
      );
    return id;
  }

  private async publishBlock(block: Block, _receipts: readonly Receipt[]): Promise<void> {
    for (const [ws, subs] of this.subscriptions) {
      if (subs.size === 0 || ws.readyState !== ws.OPEN) continue;
      // A client that cannot keep up is disconnected rather than silently skipped, so it knows to resync.
      if (ws.bufferedAmount > 64 * 1024 * 1024) {
        ws.close(1008, 'subscriber too slow');
        continue;
      }
      for (const [id, sub] of subs) {
        if (sub.kind === 'newHeads') {
          ws.send(
            JSON.stringify({
              jsonrpc: '2.0',
              method: 'eth_subscription',
              params: { subscription: id, result: formatHeader(block.header, block.hash) },
            }),
          );
        } else {
          for (const match of await blockLogs(this.node.chain, block.header.number, sub.criteria)) {
            ws.send(
              JSON.stringify({
                jsonrpc: '2.0',
                method: 'eth_subscription',
                params: { subscription: id, result: match.json },
              }),
            );
          }
        }
      }
    }
  }
}
