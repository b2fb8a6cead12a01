import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { signLegacyTx } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from '../src/client.js';
import { createSigner, sendNativeTransaction } from '../src/signer.js';
import { headOf } from './helpers/chain-checks.js';
import { startTestNetwork, type TestNetwork } from './helpers/network.js';

/**
 * Garbage on the JSON-RPC port (HTTP and WebSocket) of a running node: every malformed input gets a
 * JSON-RPC 2.0 error object with the code the specification assigns (https://www.jsonrpc.org/specification
 * §5.1: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params; the
 * -32000..-32099 server range for rejected transactions, as Ethereum clients use it), never echoes the input
 * back at length, and changes nothing: afterwards the node answers and includes a valid transaction.
 */

let net: TestNetwork;
let url: string;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 1 });
  url = net.urls[0] as string;
});

afterAll(async () => {
  await net?.close();
});

interface HttpAnswer {
  status: number;
  body: string;
}

/** One raw HTTP exchange, so that bodies no JSON client would send can be sent. */
function http(method: string, body: string | Uint8Array | null, headers: Record<string, string> = {}) {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: '/',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

interface RpcErrorJson {
  jsonrpc: string;
  id: unknown;
  error: { code: number; message: string };
}

/** Parses a single JSON-RPC error response and checks its envelope. */
function rpcError(answer: HttpAnswer): RpcErrorJson {
  const parsed = JSON.parse(answer.body) as RpcErrorJson;
  expect(parsed.jsonrpc, answer.body.slice(0, 200)).toBe('2.0');
  expect(typeof parsed.error?.message).toBe('string');
  expect(parsed.error.message.length).toBeLessThan(300);
  return parsed;
}

const call = (method: string, params: unknown, id: unknown = 1) =>
  http('POST', JSON.stringify({ jsonrpc: '2.0', id, method, params }));

describe('garbage on the RPC port', () => {
  it('answers malformed HTTP bodies with the standard JSON-RPC error codes', async () => {
    // -32700: not JSON, truncated JSON, binary, invalid UTF-8.
    for (const body of ['{', '{"jsonrpc":"2.0",', 'nonsense', '\u0000\u0001', randomBytes(512)]) {
      const answer = await http('POST', body);
      expect(answer.status).toBe(200);
      const e = rpcError(answer);
      expect(e.error.code).toBe(-32700);
      expect(e.id).toBeNull();
    }
    // -32600: an empty batch, an oversized batch, things that are not request objects.
    expect(rpcError(await http('POST', '[]')).error.code).toBe(-32600);
    const tooMany = Array.from({ length: 1001 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'eth_chainId' }));
    expect(rpcError(await http('POST', JSON.stringify(tooMany))).error.code).toBe(-32600);
    for (const body of [
      '42',
      '"text"',
      'null',
      '{"id":1,"method":"eth_chainId"}',
      '{"jsonrpc":"2.0","id":1}',
    ]) {
      expect(rpcError(await http('POST', body)).error.code, body).toBe(-32600);
    }
    expect(rpcError(await call('eth_chainId', [], { an: 'object' })).error.code).toBe(-32600);
    // A batch of garbage answers each element on its own.
    const batch = JSON.parse(
      (await http('POST', '[1, "x", {"jsonrpc":"2.0","id":7,"method":"eth_chainId"}]')).body,
    );
    expect(batch.map((r: { error?: { code: number }; result?: unknown }) => r.error?.code ?? 'ok')).toEqual([
      -32600,
      -32600,
      'ok',
    ]);
    // Deeply nested JSON parses (or not) without taking the server down.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const nested = JSON.parse((await http('POST', deep)).body) as RpcErrorJson | RpcErrorJson[];
    // (A batch of one non-object, if the parser copes; a parse error if it gives up.)
    const first = Array.isArray(nested) ? nested[0] : nested;
    expect([-32600, -32700]).toContain(first?.error.code);
  });

  it('refuses other HTTP methods and bodies over the size limit', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await http(method, null);
      expect(answer.status).toBe(405);
      expect(rpcError(answer).error.code).toBe(-32600);
    }
    // 17 MiB against a 16 MiB limit: a 413 with a JSON-RPC error, or the connection cut mid-upload.
    const huge = `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["${'a'.repeat(17 * 1024 * 1024)}"]}`;
    const answer = await http('POST', huge).catch((error: unknown) => ({ status: -1, body: String(error) }));
    if (answer.status !== -1) {
      expect(answer.status).toBe(413);
      expect(rpcError(answer).error.code).toBe(-32600);
    } else {
      expect(answer.body).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    }
  });

  it('answers unknown methods and wrongly typed parameters', async () => {
    const unknown = rpcError(await call(`no_such_method${'x'.repeat(10_000)}`, []));
    expect(unknown.error.code).toBe(-32601);
    // The method name is not echoed back at length.
    expect(unknown.error.message.length).toBeLessThan(200);
    expect(rpcError(await call('eth_blockNumber', { not: 'an array' })).error.code).toBe(-32602);
    for (const [method, params] of [
      ['eth_getBalance', [123, 'latest']],
      ['eth_getBalance', ['0x1234', 'latest']],
      ['eth_getBlockByNumber', [{}, false]],
      ['eth_getBlockByNumber', ['0xzz', false]],
      ['eth_getBlockByHash', ['0x00', false]],
      ['eth_getTransactionReceipt', [null]],
      ['eth_getTransactionReceipt', []],
      ['eth_call', ['not an object', 'latest']],
    ] as const) {
      expect(rpcError(await call(method, params)).error.code, `${method} ${JSON.stringify(params)}`).toBe(
        -32602,
      );
    }
  });

  it('rejects malformed raw transactions, alone and in batches, without admitting any', async () => {
    const suite = getSuite('ecdsa');
    const info = await createClient(url).chainInfo();
    const key = suite.generateKeyPair().privateKey;
    const wrongChain = signLegacyTx(
      suite,
      {
        chainId: info.chainId + 1n,
        nonce: 0n,
        gasPrice: 0n,
        gasLimit: 21_000n,
        to: randomBytes(20),
        value: 0n,
        data: new Uint8Array(0),
      },
      key,
    );
    const validForOtherChain = bytesToHex(wrongChain);
    const flipped = Uint8Array.from(wrongChain);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0xff;
    const malformed = [
      '0x',
      '0xdeadbeef',
      '0x02',
      '0xf8ff',
      bytesToHex(randomBytes(200)),
      validForOtherChain,
      bytesToHex(flipped),
      bytesToHex(randomBytes(200 * 1024)),
    ];
    const pendingBefore = await call('weft_getPendingCount', []);
    for (const raw of malformed) {
      const e = rpcError(await call('eth_sendRawTransaction', [raw]));
      // Malformed hex/params are -32602; a transaction the node refuses is in the -32000 server range.
      expect(
        e.error.code === -32602 || (e.error.code <= -32000 && e.error.code >= -32099),
        raw.slice(0, 20),
      ).toBe(true);
    }
    for (const raw of ['not hex', 42, null, {}]) {
      expect(rpcError(await call('eth_sendRawTransaction', [raw])).error.code).toBe(-32602);
    }
    // The same garbage as one batch (the path that decodes raw transactions ahead of time).
    const batch = JSON.parse(
      (
        await http(
          'POST',
          JSON.stringify(
            malformed.map((raw, id) => ({
              jsonrpc: '2.0',
              id,
              method: 'eth_sendRawTransaction',
              params: [raw],
            })),
          ),
        )
      ).body,
    ) as RpcErrorJson[];
    expect(batch).toHaveLength(malformed.length);
    expect(batch.every((r) => r.error && r.error.code <= -32000 && r.error.code >= -32700)).toBe(true);
    expect(await call('weft_getPendingCount', [])).toEqual(pendingBefore);
  });

  it('answers garbage over the WebSocket and keeps the connection useful', async () => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const replies: RpcErrorJson[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(String(data)) as RpcErrorJson));
    ws.send(randomBytes(64)); // binary frame
    ws.send('{not json');
    ws.send('[]');
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'eth_subscribe', params: ['nonsense'] }));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'eth_blockNumber', params: [] }));
    const deadline = Date.now() + 10_000;
    while (replies.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(replies.slice(0, 4).map((r) => r.error?.code)).toEqual([-32700, -32700, -32600, -32602]);
    expect(replies[4]?.id).toBe(10);
    expect(typeof (replies[4] as unknown as { result: string }).result).toBe('string');
  });

  it('still answers and commits after all of it', async () => {
    const client = createClient(url);
    const info = await client.chainInfo();
    const suite = getSuite(info.suite);
    const signer = createSigner(suite, suite.generateKeyPair().privateKey);
    const before = await headOf(url);
    const receipt = await client.waitForReceipt(
      await sendNativeTransaction(client, signer, info, { to: randomBytes(20), data: new Uint8Array(0) }),
      { timeoutMs: 30_000 },
    );
    expect(receipt.status).toBe('0x1');
    expect(BigInt(receipt.blockNumber)).toBeGreaterThan(before);
    expect(net.logs(0)).not.toMatch(/rpc method failed/);
  });
});
