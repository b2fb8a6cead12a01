import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestNetwork, type TestNetwork } from './helpers/network.js';

const TOKEN_SOL = fileURLToPath(new URL('../../../contracts/WeftToken.sol', import.meta.url));

let net: TestNetwork;
let work: string;
let common: string[];
let address: string;

beforeAll(async () => {
  net = await startTestNetwork({ nodes: 1, crypto: 'sm' });
  work = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  writeFileSync(join(work, 'pw'), 'correct horse battery staple\n');
  writeFileSync(join(work, 'wrong'), 'not the passphrase\n');
  common = [
    '--keystore',
    join(work, 'keys'),
    '--password-file',
    join(work, 'pw'),
    '--rpc',
    net.urls[0] as string,
  ];
});

afterAll(async () => {
  await net?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function json<T>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

describe('the weft CLI on an sm (SM2/SM3) chain', () => {
  it('creates an encrypted sm account and lists it', async () => {
    const created = await runCli(['account', 'new', '--crypto', 'sm', ...common, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const account = json<{ address: string; suite: string; file: string }>(created.stdout);
    expect(account.suite).toBe('sm');
    expect(account.address).toMatch(/^0x[0-9a-f]{40}$/);
    address = account.address;
    const listed = await runCli(['account', 'list', ...common, '--json']);
    expect(json<{ address: string }[]>(listed.stdout).map((a) => a.address)).toEqual([address]);
  });

  it('reports the chain status with its sm suite', async () => {
    const status = await runCli(['status', ...common, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(json<{ suite: string; role: string }>(status.stdout)).toMatchObject({
      suite: 'sm',
      role: 'sealer',
    });
    const human = await runCli(['status', ...common]);
    expect(human.stdout).toMatch(/crypto sm/);
  });

  it('deploys, calls and sends to a Solidity contract, and shows the receipt, transaction, block and proof', async () => {
    const deployed = await runCli([
      'deploy',
      TOKEN_SOL,
      '--contract',
      'WeftToken',
      'Tok',
      'TOK',
      '1000',
      '--from',
      address,
      ...common,
      '--json',
    ]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const receipt = json<{ status: string; contractAddress: string; blockNumber: string }>(deployed.stdout);
    expect(receipt.status).toBe('0x1');
    const token = receipt.contractAddress;

    const balance = await runCli([
      'call',
      token,
      'balanceOf',
      address,
      '--abi',
      TOKEN_SOL,
      ...common,
      '--json',
    ]);
    expect(json<{ result: string }>(balance.stdout).result).toBe('1000');

    const recipient = `0x${'ab'.repeat(20)}`;
    const sent = await runCli([
      'send',
      token,
      'transfer',
      recipient,
      '25',
      '--abi',
      TOKEN_SOL,
      '--from',
      address,
      ...common,
      '--json',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const transfer = json<{ status: string; transactionHash: string; logs: unknown[] }>(sent.stdout);
    expect(transfer.status).toBe('0x1');
    expect(transfer.logs).toHaveLength(1);
    const after = await runCli(['call', token, 'balanceOf', recipient, '--abi', TOKEN_SOL, ...common]);
    expect(after.stdout.trim()).toBe('25');

    // A revert is reported with its reason and a non-zero exit code.
    const tooMuch = await runCli([
      'send',
      token,
      'transfer',
      recipient,
      '1000000',
      '--abi',
      TOKEN_SOL,
      '--from',
      address,
      ...common,
    ]);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stdout).toMatch(/reverted: insufficient balance/);

    const shownReceipt = await runCli(['receipt', transfer.transactionHash, ...common]);
    expect(shownReceipt.stdout).toMatch(/status\s+success/);
    const tx = await runCli(['tx', transfer.transactionHash, ...common, '--json']);
    expect(json<{ from: string; type: string }>(tx.stdout)).toMatchObject({ from: address, type: '0x57' });
    const block = await runCli(['block', 'latest', ...common, '--json']);
    expect(BigInt(json<{ number: string }>(block.stdout).number)).toBeGreaterThanOrEqual(2n);
    const proof = await runCli(['proof', transfer.transactionHash, ...common, '--json']);
    expect(json<{ verified: boolean }>(proof.stdout).verified).toBe(true);
    const receiptProof = await runCli(['proof', transfer.transactionHash, '--receipt', ...common, '--json']);
    expect(json<{ verified: boolean }>(receiptProof.stdout).verified).toBe(true);
  });

  it('says what went wrong, and never prints the passphrase', async () => {
    const wrong = await runCli([
      'send',
      `0x${'00'.repeat(20)}`,
      'transfer',
      address,
      '1',
      '--abi',
      TOKEN_SOL,
      '--from',
      address,
      '--keystore',
      join(work, 'keys'),
      '--password-file',
      join(work, 'wrong'),
      '--rpc',
      net.urls[0] as string,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    expect(wrong.stderr + wrong.stdout).not.toMatch(/not the passphrase/);

    const badArg = await runCli([
      'call',
      `0x${'00'.repeat(20)}`,
      'balanceOf',
      'nope',
      '--abi',
      TOKEN_SOL,
      ...common,
    ]);
    expect(badArg.code).toBe(2);
    expect(badArg.stderr).toMatch(/argument 1/);

    const unknownCommand = await runCli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command/);

    const unreachable = await runCli(['status', '--rpc', 'http://user:secret@127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the node/);
    expect(unreachable.stderr).not.toMatch(/secret/);

    const noKey = await runCli([
      'deploy',
      TOKEN_SOL,
      '--contract',
      'WeftToken',
      'a',
      'b',
      '1',
      '--from',
      `0x${'12'.repeat(20)}`,
      ...common,
    ]);
    expect(noKey.stderr).toMatch(/no keystore/);
  });
});
