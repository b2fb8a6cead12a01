import { randomBytes } from 'node:crypto';
import { getSuite } from '@weft/crypto/suites';
import { type ChainInfo, createClient } from '../../src/client.js';
import { createSigner, type Signer, sendNativeTransaction } from '../../src/signer.js';

/** Where a transaction the load saw final landed, as its receipt said. */
export interface LandedTx {
  readonly blockHash: string;
  readonly blockNumber: string;
}

export interface NativeLoadOptions {
  /** Worker `w` talks to `urls[w % urls.length]`. */
  readonly urls: readonly string[];
  readonly info: ChainInfo;
  readonly workers: number;
  /** Transactions each worker sends at once before waiting for their receipts. */
  readonly batch: number;
  readonly receiptTimeoutMs: number;
  readonly pollMs: number;
  /** What worker `w`'s transactions call; default a plain transfer of nothing to a fresh random address. */
  readonly call?: (worker: number) => { readonly to: Uint8Array; readonly data: Uint8Array };
  /** One signer for every worker; default a new key per worker. */
  readonly signer?: Signer;
}

export interface NativeLoad {
  /** Every transaction whose receipt a node reported, by hash. */
  readonly final: Map<string, LandedTx>;
  /** Why workers stopped early (a node went away under them, a receipt never came). */
  readonly failures: string[];
  /** Stops sending and waits for the workers to finish their current batch. */
  stop(): Promise<void>;
}

/**
 * Background load of native (0x57) transactions for the integration tests that crash, restart or
 * reconfigure nodes under load: each worker sends a batch, waits for every receipt and records
 * where it landed, until stopped or until a request fails (then it records why and ends).
 */
export function startNativeLoad(options: NativeLoadOptions): NativeLoad {
  const suite = getSuite(options.info.suite);
  const final = new Map<string, LandedTx>();
  const failures: string[] = [];
  let stopped = false;
  const worker = async (w: number) => {
    const client = createClient(options.urls[w % options.urls.length] as string, { timeoutMs: 30_000 });
    const signer = options.signer ?? createSigner(suite, suite.generateKeyPair().privateKey);
    while (!stopped) {
      try {
        const hashes = await Promise.all(
          Array.from({ length: options.batch }, () =>
            sendNativeTransaction(client, signer, options.info, {
              ...(options.call?.(w) ?? { to: randomBytes(20), data: new Uint8Array(0) }),
              gasLimit: 100_000n,
            }),
          ),
        );
        for (const hash of hashes) {
          const receipt = await client.waitForReceipt(hash, {
            timeoutMs: options.receiptTimeoutMs,
            pollMs: options.pollMs,
          });
          final.set(hash, { blockHash: receipt.blockHash, blockNumber: receipt.blockNumber });
        }
      } catch (error) {
        failures.push(String(error));
        return;
      }
    }
  };
  const workers = Array.from({ length: options.workers }, (_, w) => worker(w));
  return {
    final,
    failures,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

/** Block hash of each transaction's receipt on one node (JSON-RPC batches of 500). */
export async function receiptBlockHashes(
  url: string,
  hashes: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let start = 0; start < hashes.length; start += 500) {
    const chunk = hashes.slice(start, start + 500);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        chunk.map((hash, id) => ({
          jsonrpc: '2.0',
          id,
          method: 'eth_getTransactionReceipt',
          params: [hash],
        })),
      ),
    });
    const answers = (await res.json()) as { id: number; result: { blockHash: string } | null }[];
    for (const a of answers) out.set(chunk[a.id] as string, a.result?.blockHash ?? null);
  }
  return out;
}
