import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { SuiteName } from '@weft/crypto/suite';
import { getSuite } from '@weft/crypto/suites';
import type { Abi } from 'viem';
import { createClient, type RpcReceipt, type WeftClient } from '../client.js';
import { compileSolidity } from '../compile.js';
import { decodeResult, encodeCall, encodeDeploy, parseCliArgs } from '../contract.js';
import { decryptKeystore, encryptKeystore, isKeystoreJson } from '../keystore.js';
import { verifyInclusionProof } from '../proof.js';
import { createSigner, sendNativeTransaction } from '../signer.js';
import { createOutput, readPassphrase, toJson, usageError } from './io.js';

type Flags = Record<string, string | boolean | undefined>;

function rpcUrl(flags: Flags): string {
  return (flags.rpc as string | undefined) ?? process.env.WEFT_RPC ?? 'http://127.0.0.1:8545';
}

function keystoreDir(flags: Flags): string {
  return resolve(
    (flags.keystore as string | undefined) ??
      process.env.WEFT_KEYSTORE ??
      join(homedir(), '.weft', 'keystore'),
  );
}

function listKeystores(dir: string): { address: string; file: string; suite: SuiteName }[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { address: string; file: string; suite: SuiteName }[] = [];
  for (const f of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        address?: string;
        weft?: { suite?: SuiteName };
      };
      if (!isKeystoreJson(json) || typeof json.address !== 'string') continue;
      out.push({
        address: `0x${json.address.replace(/^0x/, '').toLowerCase()}`,
        file: join(dir, f),
        suite: json.weft?.suite ?? 'ecdsa',
      });
    } catch {
      // Not a keystore: ignore.
    }
  }
  return out;
}

export async function cmdAccount(sub: string | undefined, flags: Flags, json: boolean): Promise<void> {
  const out = createOutput(json);
  const dir = keystoreDir(flags);
  if (sub === 'new') {
    const suiteName = (flags.crypto as string | undefined) ?? 'ecdsa';
    if (suiteName !== 'ecdsa' && suiteName !== 'sm') throw usageError("--crypto must be 'ecdsa' or 'sm'");
    const passphrase = await readPassphrase({
      passwordFile: flags['password-file'] as string | undefined,
      confirm: true,
    });
    if (passphrase.length === 0) throw usageError('the passphrase must not be empty');
    const suite = getSuite(suiteName);
    const key = suite.generateKeyPair();
    out.info('Encrypting the key (scrypt)…');
    const keystore = await encryptKeystore(key.privateKey, passphrase, { suite: suiteName });
    const address = bytesToHex(suite.addressFromPublicKey(key.publicKey));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `UTC--${new Date().toISOString().replace(/:/g, '-')}--${address.slice(2)}.json`);
    writeFileSync(file, JSON.stringify(keystore), { mode: 0o600 });
    out.result(
      { address, suite: suiteName, file },
      () => `New ${suiteName} account ${address}\nKeystore: ${file}`,
    );
    return;
  }
  if (sub === 'list') {
    const accounts = listKeystores(dir);
    out.result(accounts, () =>
      accounts.length === 0
        ? `No accounts in ${dir}; create one with 'weft account new'`
        : accounts.map((a) => `${a.address}  ${a.suite.padEnd(5)}  ${a.file}`).join('\n'),
    );
    return;
  }
  throw usageError('usage: weft account new|list [--keystore DIR] [--crypto ecdsa|sm] [--password-file F]');
}

/** An ABI and bytecode from a .sol file (compiled now) or a JSON artifact written by `weft compile`. */
async function loadContract(
  file: string,
  contractName: string | undefined,
): Promise<{ name: string; abi: Abi; bytecode: Uint8Array }> {
  const path = resolve(file);
  if (extname(path) === '.sol') {
    const result = await compileSolidity({ files: [path], ...(contractName ? { contractName } : {}) });
    const names = Object.keys(result.contracts);
    const name = contractName ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined)
      throw usageError(`${basename(path)} defines ${names.join(', ')}: choose one with --contract NAME`);
    const c = result.contracts[name];
    if (!c) throw usageError(`${basename(path)} has no contract named ${name} (it has ${names.join(', ')})`);
    return { name, abi: c.abi, bytecode: c.bytecode };
  }
  let artifact: { contractName?: string; abi?: Abi; bytecode?: string };
  try {
    artifact = JSON.parse(readFileSync(path, 'utf8')) as typeof artifact;
  } catch (cause) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      `${file} is neither a .sol file nor a JSON artifact from 'weft compile'`,
      { cause },
    );
  }
  if (!Array.isArray(artifact.abi)) throw usageError(`${file} has no "abi" array`);
  return {
    name: artifact.contractName ?? basename(path, '.json'),
    abi: artifact.abi,
    bytecode: typeof artifact.bytecode === 'string' ? hexToBytes(artifact.bytecode) : new Uint8Array(0),
  };
}

export async function cmdCompile(positional: string[], flags: Flags, json: boolean): Promise<void> {
  const out = createOutput(json);
  const file = positional[0];
  if (!file) throw usageError('usage: weft compile FILE.sol [--contract NAME] [--out DIR]');
  const result = await compileSolidity({
    files: [resolve(file)],
    ...(typeof flags.contract === 'string' ? { contractName: flags.contract } : {}),
  });
  const outDir = typeof flags.out === 'string' ? resolve(flags.out) : undefined;
  const artifacts = Object.values(result.contracts).map((c) => ({
    contractName: c.name,
    sourceName: c.sourceName,
    abi: c.abi,
    bytecode: bytesToHex(c.bytecode),
    deployedBytecode: bytesToHex(c.deployedBytecode),
  }));
  const written: string[] = [];
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    for (const a of artifacts) {
      const path = join(outDir, `${a.contractName}.json`);
      writeFileSync(path, `${JSON.stringify(a, null, 2)}\n`);
      written.push(path);
    }
  }
  for (const w of result.warnings) out.info(w);
  out.result(outDir ? { artifacts: written } : artifacts, () =>
    artifacts
      .map(
        (a, i) =>
          `${a.contractName}: ${(a.bytecode.length - 2) / 2} bytes, ${a.abi.length} ABI entries${written[i] ? ` → ${written[i]}` : ''}`,
      )
      .join('\n'),
  );
}

async function signerFor(client: WeftClient, flags: Flags) {
  const info = await client.chainInfo();
  const from = flags.from;
  if (typeof from !== 'string')
    throw usageError('--from ADDRESS (an account in the keystore) is required to sign');
  const dir = keystoreDir(flags);
  const entry = listKeystores(dir).find((a) => a.address === from.toLowerCase());
  if (!entry) throw usageError(`no keystore for ${from} in ${dir}; list them with 'weft account list'`);
  if (entry.suite !== info.suite) {
    throw usageError(`account ${from} is an '${entry.suite}' key but the chain uses '${info.suite}'`);
  }
  const passphrase = await readPassphrase({ passwordFile: flags['password-file'] as string | undefined });
  const key = await decryptKeystore(readFileSync(entry.file, 'utf8'), passphrase);
  return { info, signer: createSigner(getSuite(key.suite), key.privateKey) };
}

function describeConsensus(c: Record<string, unknown>): string {
  if (c.algorithm !== 'pbft') return `${String(c.algorithm)} (${String(c.sealers)} sealer)`;
  const leader = String(c.leader);
  return [
    `pbft, deciding height ${BigInt(String(c.height))} in view ${String(c.view)} (${String(c.phase)})`,
    `leader ${leader.slice(0, 10)}…${leader.slice(-6)}`,
    `${String(c.sealers)} sealers, quorum ${String(c.quorum)}`,
    ...(c.isValidator ? [] : ['this node observes']),
    ...(c.syncing ? ['syncing'] : []),
  ].join('; ');
}

function describeReceipt(r: RpcReceipt): string {
  const ok = r.status === '0x1';
  return [
    `transaction ${r.transactionHash}`,
    `  status   ${ok ? 'success' : `reverted${r.revertReason ? `: ${r.revertReason}` : ''}`}`,
    `  block    ${BigInt(r.blockNumber)}`,
    `  gas used ${BigInt(r.gasUsed)}`,
    ...(r.contractAddress ? [`  contract ${r.contractAddress}`] : []),
    ...(r.logs.length ? [`  logs     ${r.logs.length}`] : []),
  ].join('\n');
}

async function sendAndWait(
  client: WeftClient,
  flags: Flags,
  to: Uint8Array | null,
  data: Uint8Array,
  json: boolean,
) {
  const out = createOutput(json);
  const { info, signer } = await signerFor(client, flags);
  const value = typeof flags.value === 'string' ? BigInt(flags.value) : 0n;
  const gasLimit = typeof flags.gas === 'string' ? BigInt(flags.gas) : undefined;
  const hash = await sendNativeTransaction(client, signer, info, {
    to,
    data,
    value,
    ...(gasLimit ? { gasLimit } : {}),
  });
  out.info(`sent ${hash}, waiting for it to be final…`);
  const receipt = await client.waitForReceipt(hash);
  out.result(receipt, () => describeReceipt(receipt));
  if (receipt.status !== '0x1') process.exitCode = 1;
  return receipt;
}

export async function cmdDeploy(positional: string[], flags: Flags, json: boolean): Promise<void> {
  const file = positional[0];
  if (!file)
    throw usageError('usage: weft deploy FILE.sol|ARTIFACT.json [--contract NAME] [ARGS…] --from ADDRESS');
  const contract = await loadContract(file, flags.contract as string | undefined);
  if (contract.bytecode.length === 0)
    throw usageError(`${contract.name} has no bytecode (abstract or an interface?)`);
  const ctor = contract.abi.find((e) => e.type === 'constructor');
  const args = ctor ? parseCliArgs(contract.abi, 'constructor', positional.slice(1)) : [];
  const client = createClient(rpcUrl(flags));
  await sendAndWait(client, flags, null, encodeDeploy(contract.abi, contract.bytecode, args), json);
}

export async function cmdCall(
  positional: string[],
  flags: Flags,
  json: boolean,
  send: boolean,
): Promise<void> {
  const [address, fn, ...rest] = positional;
  const abiFile = flags.abi;
  if (!address || !fn || typeof abiFile !== 'string') {
    throw usageError(
      `usage: weft ${send ? 'send' : 'call'} ADDRESS FUNCTION [ARGS…] --abi FILE.sol|ARTIFACT.json${send ? ' --from ADDRESS' : ''}`,
    );
  }
  const to = hexToBytes(address, 'contract address');
  if (to.length !== 20) throw usageError('ADDRESS must be a 20-byte 0x address');
  const contract = await loadContract(abiFile, flags.contract as string | undefined);
  const data = encodeCall(contract.abi, fn, parseCliArgs(contract.abi, fn, rest));
  const client = createClient(rpcUrl(flags));
  if (send) {
    await sendAndWait(client, flags, to, data, json);
    return;
  }
  const result = decodeResult(
    contract.abi,
    fn,
    await client.call({ to: address, data, ...(typeof flags.from === 'string' ? { from: flags.from } : {}) }),
  );
  createOutput(json).result({ result }, () =>
    ['string', 'bigint', 'number', 'boolean'].includes(typeof result) ? String(result) : toJson(result),
  );
}

export async function cmdQuery(
  kind: 'block' | 'tx' | 'receipt' | 'status' | 'proof',
  positional: string[],
  flags: Flags,
  json: boolean,
): Promise<void> {
  const out = createOutput(json);
  const client = createClient(rpcUrl(flags));
  const arg = positional[0];
  if (kind === 'status') {
    const [status, info, peers] = await Promise.all([
      client.request<Record<string, unknown>>('weft_nodeStatus'),
      client.chainInfo(),
      client.request<{ id: string }[]>('weft_peers'),
    ]);
    out.result({ ...status, chainName: info.chainName, peers }, () =>
      [
        `node        ${String(status.name)} (${String(status.role)})`,
        `chain       ${info.chainName} id ${info.chainId} crypto ${info.suite}`,
        `height      ${BigInt(String(status.blockNumber))}`,
        `head        ${String(status.blockHash)}`,
        `state root  ${String(status.stateRoot)}`,
        `pending     ${String(status.pendingTransactions)}`,
        `consensus   ${describeConsensus(status.consensus as Record<string, unknown>)}`,
        `peers       ${peers.length}${peers.length ? ` (${peers.map((p) => `${String(p.id).slice(0, 8)}…`).join(', ')})` : ''}`,
      ].join('\n'),
    );
    return;
  }
  if (kind === 'block') {
    const id = arg ?? 'latest';
    const full = flags.full === true;
    const block = /^0x[0-9a-fA-F]{64}$/.test(id)
      ? await client.request<Record<string, unknown> | null>('eth_getBlockByHash', [id, full])
      : await client.request<Record<string, unknown> | null>('eth_getBlockByNumber', [
          /^\d+$/.test(id) ? `0x${BigInt(id).toString(16)}` : id,
          full,
        ]);
    if (!block) throw new WeftError('NOT_FOUND', `block ${id} not found`);
    out.result(block, () =>
      [
        `block ${BigInt(String(block.number))} ${String(block.hash)}`,
        `  parent     ${String(block.parentHash)}`,
        `  time       ${new Date(Number(BigInt(String(block.timestampMs)))).toISOString()}`,
        `  sealer     ${String(block.miner)}`,
        `  txs        ${(block.transactions as unknown[]).length}`,
        `  gas used   ${BigInt(String(block.gasUsed))}`,
        `  state root ${String(block.stateRoot)}`,
      ].join('\n'),
    );
    return;
  }
  if (!arg || !/^0x[0-9a-fA-F]{64}$/.test(arg))
    throw usageError(`usage: weft ${kind} TX_HASH (0x + 64 hex digits)`);
  if (kind === 'tx') {
    const tx = await client.request<Record<string, unknown> | null>('eth_getTransactionByHash', [arg]);
    if (!tx) throw new WeftError('NOT_FOUND', `transaction ${arg} not found (neither pending nor on chain)`);
    out.result(tx, () => toJson(tx));
    return;
  }
  if (kind === 'receipt') {
    const receipt = await client.getReceipt(arg);
    if (!receipt) throw new WeftError('NOT_FOUND', `no receipt for ${arg}: pending or unknown`);
    out.result(receipt, () => describeReceipt(receipt));
    return;
  }
  const which = flags.receipt === true ? 'receipt' : 'transaction';
  const proof = await client.request<Parameters<typeof verifyInclusionProof>[1] | null>(
    which === 'receipt' ? 'weft_getReceiptProof' : 'weft_getTransactionProof',
    [arg],
  );
  if (!proof) throw new WeftError('NOT_FOUND', `transaction ${arg} is not on chain`);
  const info = await client.chainInfo();
  const verified = verifyInclusionProof(getSuite(info.suite), proof, which, proof.blockHash);
  out.result(
    { ...proof, verified },
    () =>
      `${which} ${arg} is leaf ${proof.index} of ${proof.leafCount} in block ${BigInt(proof.blockNumber)}; proof ${verified ? 'verifies' : 'DOES NOT verify'} against the header`,
  );
  if (!verified) process.exitCode = 1;
}
