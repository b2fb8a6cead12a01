import { fileURLToPath } from 'node:url';
import { signLegacyTx } from '@weft/core/tx';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { getSuite } from '@weft/crypto/suites';
import {
  ContractFactory,
  Contract as EthersContract,
  type InterfaceAbi,
  JsonRpcProvider,
  Wallet,
} from 'ethers';
import { createPublicClient, createWalletClient, defineChain, http, parseAbiItem, webSocket } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { compileSolidity } from '../src/compile.js';
import { encodeCall, encodeDeploy } from '../src/contract.js';
import { verifyInclusionProof } from '../src/proof.js';
import { createSigner, sendNativeTransaction } from '../src/signer.js';
import { rpc, startTestNetwork, type TestNetwork } from './helpers/network.js';

const TOKEN_SOL = fileURLToPath(new URL('../../../contracts/WeftToken.sol', import.meta.url));

let net: TestNetwork;
let url: string;
let token: Awaited<ReturnType<typeof compileSolidity>>['contracts'][string];

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 1 });
  url = net.urls[0] as string;
  token = (await compileSolidity({ files: [TOKEN_SOL], contractName: 'WeftToken' })).contracts
    .WeftToken as typeof token;
});

afterAll(async () => {
  await net?.close();
});

describe('a single-sealer ecdsa chain used by unmodified Ethereum tools', () => {
  it('ethers v6 deploys an ERC-20, transfers, and finds the Transfer events with eth_getLogs', async () => {
    const provider = new JsonRpcProvider(url, undefined, { pollingInterval: 100 });
    const wallet = Wallet.createRandom().connect(provider);
    // ethers takes its own ABI type; the JSON is the same.
    const abi = token.abi as unknown as InterfaceAbi;
    const factory = new ContractFactory(abi, token.bytecode, wallet);
    const deployed = await factory.deploy('Token', 'TKN', 10n ** 24n);
    await deployed.waitForDeployment();
    const contract = new EthersContract(await deployed.getAddress(), abi, wallet);
    const to = Wallet.createRandom().address;
    const tx = await (
      contract.transfer as (a: string, v: bigint) => Promise<{ wait(): Promise<{ status: number }> }>
    )(to, 1234n);
    expect((await tx.wait()).status).toBe(1);
    expect(await (contract.balanceOf as (a: string) => Promise<bigint>)(to)).toBe(1234n);
    const events = await contract.queryFilter(contract.filters.Transfer?.() ?? 'Transfer', 0, 'latest');
    expect(events.map((e) => ('args' in e ? e.args[2] : null))).toEqual([10n ** 24n, 1234n]);
    // A revert is reported with its reason, the way ethers expects.
    await expect(
      (contract.transfer as { staticCall(a: string, v: bigint): Promise<unknown> }).staticCall(
        to,
        10n ** 30n,
      ),
    ).rejects.toThrow(/insufficient balance/);
    provider.destroy();
  });

  it('viem deploys, writes, reads logs over HTTP and receives them over a WebSocket subscription', async () => {
    const chainId = Number(await rpc<string>(url, 'eth_chainId'));
    const chain = defineChain({
      id: chainId,
      name: 'weft',
      nativeCurrency: { name: 'W', symbol: 'W', decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    });
    const account = privateKeyToAccount(generatePrivateKey());
    const pub = createPublicClient({ chain, transport: http(), pollingInterval: 100 });
    const wallet = createWalletClient({ chain, transport: http(), account });
    const hash = await wallet.deployContract({
      abi: token.abi,
      bytecode: bytesToHex(token.bytecode) as `0x${string}`,
      args: ['T', 'T', 1000n],
    });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    const address = receipt.contractAddress as `0x${string}`;
    const ws = createPublicClient({ chain, transport: webSocket(url.replace('http', 'ws')) });
    const seen: bigint[] = [];
    const unwatch = ws.watchContractEvent({
      address,
      abi: token.abi,
      eventName: 'Transfer',
      onLogs: (logs) =>
        seen.push(...logs.map((l) => (l as unknown as { args: { value: bigint } }).args.value)),
    });
    await new Promise((r) => setTimeout(r, 300));
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const h2 = await wallet.writeContract({
      address,
      abi: token.abi,
      functionName: 'transfer',
      args: [to, 7n],
    });
    expect((await pub.waitForTransactionReceipt({ hash: h2 })).status).toBe('success');
    const logs = await pub.getLogs({
      address,
      event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
      fromBlock: 0n,
    });
    expect(logs.map((l) => l.args.value)).toEqual([1000n, 7n]);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toContain(7n);
    unwatch();
    // viem relies on -32601 for methods a node lacks.
    await expect(rpc(url, 'eth_doesNotExist')).rejects.toMatchObject({ rpcCode: -32601 });
  });
});

describe('native transactions, replay protection and proofs', () => {
  it('an account keeps many native transactions in flight; each lands once; proofs check against the header', async () => {
    const client = createClient(url);
    const info = await client.chainInfo();
    const suite = getSuite(info.suite);
    const signer = createSigner(suite, suite.generateKeyPair().privateKey);
    const deployHash = await sendNativeTransaction(client, signer, info, {
      to: null,
      data: encodeDeploy(token.abi, token.bytecode, ['N', 'N', 10n ** 6n]),
      gasLimit: 3_000_000n,
    });
    const deployed = await client.waitForReceipt(deployHash);
    const tokenAddress = hexToBytes(deployed.contractAddress as string);
    const recipient = bytesToHex(suite.addressFromPublicKey(suite.generateKeyPair().publicKey));
    const head = await client.blockNumber();
    const raws = Array.from({ length: 20 }, () =>
      signer.sign({
        chainId: info.chainId,
        blockLimit: head + 100n,
        to: tokenAddress,
        data: encodeCall(token.abi, 'transfer', [recipient, 1n]),
        gasLimit: 100_000n,
      }),
    );
    const hashes = await Promise.all(raws.map((r) => client.sendRawTransaction(r)));
    const receipts = await Promise.all(hashes.map((h) => client.waitForReceipt(h)));
    expect(receipts.every((r) => r.status === '0x1')).toBe(true);
    // The same signed bytes are refused after inclusion: a transaction lands at most once.
    await expect(client.sendRawTransaction(raws[0] as Uint8Array)).rejects.toThrow(/already on chain/);
    const balance = await client.call({
      to: bytesToHex(tokenAddress),
      data: encodeCall(token.abi, 'balanceOf', [recipient]),
    });
    expect(BigInt(bytesToHex(balance))).toBe(20n);

    const receipt = receipts[3] as (typeof receipts)[number];
    for (const kind of ['transaction', 'receipt'] as const) {
      const proof = await client.request<Parameters<typeof verifyInclusionProof>[1]>(
        kind === 'transaction' ? 'weft_getTransactionProof' : 'weft_getReceiptProof',
        [receipt.transactionHash],
      );
      expect(verifyInclusionProof(suite, proof, kind, receipt.blockHash)).toBe(true);
      // Any change to the proof, or another block hash, fails.
      expect(verifyInclusionProof(suite, { ...proof, index: proof.index ^ 1 }, kind, receipt.blockHash)).toBe(
        false,
      );
      expect(verifyInclusionProof(suite, proof, kind, `0x${'00'.repeat(32)}`)).toBe(false);
      if (proof.siblings.length > 0) {
        const siblings = [...proof.siblings];
        siblings[0] = `0x${'11'.repeat(32)}`;
        expect(verifyInclusionProof(suite, { ...proof, siblings }, kind, receipt.blockHash)).toBe(false);
      }
    }
  });

  it('refuses transactions for another chain, expired or too-far blockLimits, and duplicates, with reasons', async () => {
    const client = createClient(url);
    const info = await client.chainInfo();
    const suite = getSuite(info.suite);
    const signer = createSigner(suite, suite.generateKeyPair().privateKey);
    const head = await client.blockNumber();
    const base = { to: new Uint8Array(20), data: new Uint8Array(0), gasLimit: 21_000n };
    await expect(
      client.sendRawTransaction(signer.sign({ ...base, chainId: info.chainId + 1n, blockLimit: head + 10n })),
    ).rejects.toThrow(/is for chain/);
    await expect(
      client.sendRawTransaction(signer.sign({ ...base, chainId: info.chainId, blockLimit: head })),
    ).rejects.toThrow(/expired/);
    await expect(
      client.sendRawTransaction(signer.sign({ ...base, chainId: info.chainId, blockLimit: head + 100_000n })),
    ).rejects.toThrow(/ahead/);
    // Ethereum EIP-155 transactions signed for another chain are refused too.
    const key = suite.generateKeyPair().privateKey;
    const foreign = signLegacyTx(
      suite,
      {
        chainId: 1n,
        nonce: 0n,
        gasPrice: 0n,
        gasLimit: 21_000n,
        to: new Uint8Array(20),
        value: 0n,
        data: new Uint8Array(),
      },
      key,
    );
    await expect(client.sendRawTransaction(foreign)).rejects.toThrow(/is for chain 1/);
    const raw = signer.sign({ ...base, chainId: info.chainId, blockLimit: head + 50n });
    const first = client.sendRawTransaction(raw);
    await expect(client.sendRawTransaction(raw)).rejects.toThrow(/already/);
    await first;
    // A nonce too low for an Ethereum transaction is reported as such.
    const eth = signLegacyTx(
      suite,
      {
        chainId: info.chainId,
        nonce: 0n,
        gasPrice: 0n,
        gasLimit: 21_000n,
        to: new Uint8Array(20),
        value: 0n,
        data: new Uint8Array(),
      },
      key,
    );
    const h = await client.sendRawTransaction(eth);
    await client.waitForReceipt(h);
    await expect(client.sendRawTransaction(eth)).rejects.toThrow(/already on chain|nonce too low/);
  });
});
