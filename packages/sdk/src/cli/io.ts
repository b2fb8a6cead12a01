import { readFileSync } from 'node:fs';
import { WeftError } from '@weft/crypto/errors';

/** Output helpers shared by the CLI commands: human text by default, one JSON document with --json. */
export interface Output {
  readonly json: boolean;
  /** Prints a result: `human` lines for people, `value` as JSON for machines. */
  result(value: unknown, human: () => string): void;
  info(message: string): void;
}

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === 'bigint'
        ? v.toString()
        : v instanceof Uint8Array
          ? `0x${Buffer.from(v).toString('hex')}`
          : v,
    2,
  );
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(`${json ? toJson(value) : human()}\n`);
    },
    info(message) {
      // Progress goes to stderr so that stdout stays parseable.
      if (!json) process.stderr.write(`${message}\n`);
    },
  };
}

export function usageError(message: string): WeftError {
  return new WeftError('INVALID_ARGUMENT', message);
}

/** Passphrase from --password-file, $WEFT_PASSWORD, or a hidden prompt on a terminal. */
export async function readPassphrase(options: {
  passwordFile?: string | undefined;
  confirm?: boolean;
}): Promise<string> {
  if (options.passwordFile !== undefined) {
    try {
      return readFileSync(options.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (cause) {
      throw new WeftError('INVALID_ARGUMENT', `cannot read the password file ${options.passwordFile}`, {
        cause,
      });
    }
  }
  const fromEnv = process.env.WEFT_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) {
    throw usageError('a passphrase is needed: pass --password-file FILE or set WEFT_PASSWORD');
  }
  const first = await promptHidden('Passphrase: ');
  if (options.confirm) {
    const second = await promptHidden('Repeat passphrase: ');
    if (first !== second) throw usageError('the passphrases do not match');
  }
  return first;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(usageError('cancelled'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}
