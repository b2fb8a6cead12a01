import { parseArgs } from 'node:util';
import { isWeftError } from '@weft/crypto/errors';
import { GOV_HELP } from './gov-help.js';

// Command modules are loaded when their command runs: `weft node` then starts without loading the
// contract tooling (viem, the compiler) it never uses, which shortens a restarted node's way back.
const networkCommands = () => import('./network.js');
const chainCommands = () => import('./chain-commands.js');
const govCommands = () => import('./gov.js');

const HELP = `weft — a consortium blockchain with privacy computing built in

Network
  weft init [--dir D] [--nodes N] [--observers K] [--crypto ecdsa|sm] [--chain-id ID] [--rpc-port P] [--p2p-port P]
  weft up   [same flags]          run every node of D (initialising D first if empty)
  weft node --dir D/node<i>       run one node in the foreground (SIGTERM stops it cleanly)
  weft node new --network D --org ORG [--name N] [--rpc-port P] [--p2p-port P]
                                  a node directory for an organisation joining a running chain
Accounts
  weft account new [--crypto ecdsa|sm] [--keystore DIR] [--password-file F]
  weft account list [--keystore DIR]
Contracts
  weft compile FILE.sol [--contract NAME] [--out DIR]
  weft deploy FILE.sol|ARTIFACT.json [--contract NAME] [ARGS…] --from ADDRESS
  weft call ADDRESS FUNCTION [ARGS…] --abi FILE.sol|ARTIFACT.json
  weft send ADDRESS FUNCTION [ARGS…] --abi FILE.sol|ARTIFACT.json --from ADDRESS [--value WEI]
Chain
  weft status | weft block [N|latest|HASH] [--full] | weft tx HASH | weft receipt HASH
  weft proof HASH [--receipt]     fetch and check a Merkle inclusion proof

Common flags: --rpc URL (default $WEFT_RPC or http://127.0.0.1:8545), --json for machine output,
  --keystore DIR (default $WEFT_KEYSTORE or ~/.weft/keystore), passphrases from --password-file or
  $WEFT_PASSWORD or a prompt.

${GOV_HELP}`;

const OPTIONS = {
  dir: { type: 'string' },
  nodes: { type: 'string' },
  observers: { type: 'string' },
  crypto: { type: 'string' },
  'chain-id': { type: 'string' },
  'rpc-port': { type: 'string' },
  'p2p-port': { type: 'string' },
  host: { type: 'string' },
  name: { type: 'string' },
  rpc: { type: 'string' },
  json: { type: 'boolean' },
  keystore: { type: 'string' },
  'password-file': { type: 'string' },
  contract: { type: 'string' },
  out: { type: 'string' },
  from: { type: 'string' },
  abi: { type: 'string' },
  value: { type: 'string' },
  gas: { type: 'string' },
  full: { type: 'boolean' },
  receipt: { type: 'boolean' },
  'log-level': { type: 'string' },
  'log-json': { type: 'boolean' },
  'key-file': { type: 'string' },
  description: { type: 'string' },
  period: { type: 'string' },
  role: { type: 'string' },
  org: { type: 'string' },
  network: { type: 'string' },
  status: { type: 'string' },
  height: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      allowNegative: false,
    });
  } catch (error) {
    process.stderr.write(`weft: ${(error as Error).message}\nRun 'weft --help' for usage.\n`);
    return 2;
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const [command, ...rest] = parsed.positionals;
  const json = flags.json === true;
  if (!command || flags.help) {
    process.stdout.write(`${HELP}\n`);
    return command || flags.help ? 0 : 2;
  }
  try {
    switch (command) {
      case 'init':
        await (await networkCommands()).cmdInit(flags, json);
        break;
      case 'up':
        await (await networkCommands()).cmdUp(flags, json);
        break;
      case 'node':
        // `weft node add|remove|role|list` are governance; plain `weft node --dir D` runs a node.
        if (rest[0] === 'add' || rest[0] === 'remove' || rest[0] === 'role' || rest[0] === 'list') {
          await (await govCommands()).cmdGov('node', rest, flags, json);
        } else if (rest[0] === 'new') {
          await (await networkCommands()).cmdNodeNew(flags, json);
        } else {
          await (await networkCommands()).cmdNode(flags);
        }
        break;
      case 'gov':
      case 'config':
      case 'auth':
        await (await govCommands()).cmdGov(command, rest, flags, json);
        break;
      case 'account':
        await (await chainCommands()).cmdAccount(rest[0], flags, json);
        break;
      case 'compile':
        await (await chainCommands()).cmdCompile(rest, flags, json);
        break;
      case 'deploy':
        await (await chainCommands()).cmdDeploy(rest, flags, json);
        break;
      case 'call':
        await (await chainCommands()).cmdCall(rest, flags, json, false);
        break;
      case 'send':
        await (await chainCommands()).cmdCall(rest, flags, json, true);
        break;
      case 'status':
      case 'block':
      case 'tx':
      case 'receipt':
      case 'proof':
        await (await chainCommands()).cmdQuery(command, rest, flags, json);
        break;
      default:
        process.stderr.write(
          `weft: unknown command '${command.slice(0, 40)}'. Run 'weft --help' for usage.\n`,
        );
        return 2;
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const message = isWeftError(error)
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: isWeftError(error) ? error.code : 'ERROR', message } })}\n`,
      );
    process.stderr.write(`weft: ${message}\n`);
    if (!isWeftError(error) && process.env.WEFT_DEBUG)
      process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return isWeftError(error) && error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}
