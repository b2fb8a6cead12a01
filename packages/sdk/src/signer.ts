import { randomWeftNonce, signWeftTx } from '@weft/core/tx';
import { bytesToHex } from '@weft/crypto/bytes';
import type { CryptoSuite } from '@weft/crypto/suite';
import type { ChainInfo, WeftClient } from './client.js';

/**
 * Signs and sends native weft transactions. A random 256-bit nonce and a blockLimit half a replay
 * window ahead of the chain let one account keep any number of transactions in flight, in any order.
 */
export interface Signer {
  readonly suite: CryptoSuite;
  readonly address: Uint8Array;
  readonly addressHex: string;
  sign(tx: {
    chainId: bigint;
    blockLimit: bigint;
    to: Uint8Array | null;
    data: Uint8Array;
    value?: bigint;
    gasLimit: bigint;
    nonce?: bigint;
  }): Uint8Array;
}

export function createSigner(suite: CryptoSuite, privateKey: Uint8Array): Signer {
  const address = suite.addressFromPublicKey(suite.publicKeyFromPrivate(privateKey));
  return {
    suite,
    address,
    addressHex: bytesToHex(address),
    sign(tx) {
      return signWeftTx(
        suite,
        {
          chainId: tx.chainId,
          nonce: tx.nonce ?? randomWeftNonce(),
          blockLimit: tx.blockLimit,
          to: tx.to,
          value: tx.value ?? 0n,
          data: tx.data,
          gasLimit: tx.gasLimit,
        },
        privateKey,
      );
    },
  };
}

export interface SendOptions {
  to: Uint8Array | null;
  data: Uint8Array;
  value?: bigint;
  gasLimit?: bigint;
}

/** Signs a native transaction for the chain behind `client`, sends it, and returns its hash. */
export async function sendNativeTransaction(
  client: WeftClient,
  signer: Signer,
  info: ChainInfo,
  options: SendOptions,
): Promise<string> {
  const head = await client.blockNumber();
  const raw = signer.sign({
    chainId: info.chainId,
    blockLimit: head + BigInt(Math.max(1, Math.floor(info.blockLimitWindow / 2))),
    to: options.to,
    data: options.data,
    value: options.value ?? 0n,
    gasLimit: options.gasLimit ?? info.txGasLimit,
  });
  return client.sendRawTransaction(raw);
}
