import { fileURLToPath } from 'node:url';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { compileSolidity } from '../src/compile.js';
import { encodeCall, encodeDeploy } from '../src/contract.js';
import { createSigner, sendNativeTransaction } from '../src/signer.js';
import { startNativeLoad } from './helpers/load.js';
import { rpc, startTestNetwork, type TestNetwork, waitFor } from './helpers/network.js';

const TOKEN_SOL = fileURLToPath(new URL('../../../contracts/WeftToken.sol', import.meta.url));

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 1 });
});

afterAll(async () => {
  await net?.close();
});

interface BlockJson {
  number: string;
  hash: string;
  stateRoot: string;
}

describe('durability', () => {
  it('kill -9 under load loses nothing reported final, and the restarted node recomputes the same state root', async () => {
    const url = net.urls[0] as string;
    const client = createClient(url);
    const info = await client.chainInfo();
    const suite = getSuite(info.suite);
    const token = (await compileSolidity({ files: [TOKEN_SOL], contractName: 'WeftToken' })).contracts
      .WeftToken;
    if (!token) throw new Error('no token');
    const signer = createSigner(suite, suite.generateKeyPair().privateKey);
    const deployed = await client.waitForReceipt(
      await sendNativeTransaction(client, signer, info, {
        to: null,
        data: encodeDeploy(token.abi, token.bytecode, ['D', 'D', 10n ** 9n]),
        gasLimit: 3_000_000n,
      }),
    );
    const tokenAddress = hexToBytes(deployed.contractAddress as string);

    // Load: workers send transfers and record every one whose receipt the node reported; they stop
    // (a failure, expected) when the node is killed under them.
    const load = startNativeLoad({
      urls: [url],
      info,
      workers: 4,
      batch: 20,
      receiptTimeoutMs: 10_000,
      pollMs: 20,
      signer,
      call: (w) => ({
        to: tokenAddress,
        data: encodeCall(token.abi, 'transfer', [bytesToHex(new Uint8Array(20).fill(w + 1)), 1n]),
      }),
    });
    const final = load.final;
    await waitFor('some final transfers', async () => final.size >= 200, 60_000);
    const lastSeen = await rpc<BlockJson>(url, 'eth_getBlockByNumber', ['latest', false]);
    await net.stop(0, 'SIGKILL');
    await load.stop();
    expect(final.size).toBeGreaterThanOrEqual(200);

    await net.start(0);
    const head = BigInt(await rpc<string>(url, 'eth_blockNumber'));
    expect(head).toBeGreaterThanOrEqual(BigInt(lastSeen.number));
    const again = await rpc<BlockJson>(url, 'eth_getBlockByNumber', [lastSeen.number, false]);
    expect(again.hash).toBe(lastSeen.hash);
    expect(again.stateRoot).toBe(lastSeen.stateRoot);
    for (const [hash, landed] of final) {
      const receipt = await client.getReceipt(hash);
      expect(receipt?.blockHash, hash).toBe(landed.blockHash);
    }
    // The chain goes on from where it stood.
    const more = await client.waitForReceipt(
      await sendNativeTransaction(client, signer, info, {
        to: tokenAddress,
        data: encodeCall(token.abi, 'transfer', [bytesToHex(new Uint8Array(20).fill(9)), 1n]),
        gasLimit: 100_000n,
      }),
    );
    expect(more.status).toBe('0x1');
    expect(net.logs(0)).toMatch(/chain opened/);
  });
});
