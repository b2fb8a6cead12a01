import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWeftError, type WeftError } from '@weft/crypto/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSolidity, DEFAULT_EVM_VERSION, linkLibraries, solcVersion } from '../src/compile.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const PRAGMA = '// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.20;\n';

async function compileError(promise: Promise<unknown>): Promise<WeftError> {
  try {
    await promise;
  } catch (err) {
    if (isWeftError(err)) return err;
    throw err;
  }
  throw new Error('expected compilation to fail');
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle));
}

describe('compileSolidity', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-compile-'));
    const write = (file: string, content: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    };
    // A project whose main file uses a relative import, an import that climbs to a sibling
    // folder, and a package import resolved from node_modules.
    write(
      'proj/src/Vault.sol',
      `${PRAGMA}import "./lib/SafeMath.sol";\nimport "../shared/Owned.sol";\nimport "@acme/tokens/IToken.sol";\n` +
        'contract Vault is Owned { function twice(uint256 x) external pure returns (uint256) { return SafeMath.add(x, x); }\n' +
        '  function balance(IToken t) external view returns (uint256) { return t.balanceOf(address(this)); } }\n',
    );
    write(
      'proj/src/lib/SafeMath.sol',
      `${PRAGMA}library SafeMath { function add(uint256 a, uint256 b) internal pure returns (uint256) { return a + b; } }\n`,
    );
    write(
      'proj/shared/Owned.sol',
      `${PRAGMA}abstract contract Owned { address public owner = msg.sender; }\n`,
    );
    write(
      'proj/node_modules/@acme/tokens/IToken.sol',
      `${PRAGMA}interface IToken { function balanceOf(address) external view returns (uint256); }\n`,
    );
    // Outside the project: must not be readable through an absolute import.
    write('outside/Secret.sol', `${PRAGMA}contract Secret {}\n`);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles contracts/WeftToken.sol with no warnings for the default EVM version', async () => {
    const { contracts, warnings } = await compileSolidity({
      files: ['contracts/WeftToken.sol'],
      basePath: repoRoot,
    });
    expect(warnings).toEqual([]);
    expect(Object.keys(contracts)).toEqual(['WeftToken']);
    const token = contracts.WeftToken!;
    expect(token.sourceName).toBe('contracts/WeftToken.sol');
    const names = token.abi.map((item) => ('name' in item ? `${item.type}:${item.name}` : item.type));
    for (const expected of [
      'constructor',
      'function:name',
      'function:symbol',
      'function:decimals',
      'function:totalSupply',
      'function:balanceOf',
      'function:allowance',
      'function:transfer',
      'function:approve',
      'function:transferFrom',
      'event:Transfer',
      'event:Approval',
    ]) {
      expect(names).toContain(expected);
    }
    expect(token.bytecode.length).toBeGreaterThan(100);
    // No immutables, so the runtime code appears verbatim inside the creation code.
    expect(indexOfBytes(token.bytecode, token.deployedBytecode)).toBeGreaterThan(0);
    expect(token.linkReferences).toEqual({});
    const metadata = JSON.parse(token.metadata!) as {
      settings: { evmVersion: string; optimizer: { enabled: boolean } };
      compiler: { version: string };
    };
    expect(metadata.settings.evmVersion).toBe(DEFAULT_EVM_VERSION);
    expect(metadata.settings.optimizer.enabled).toBe(true);
    expect(solcVersion()).toContain(metadata.compiler.version);
  });

  it('resolves relative, parent-folder and node_modules imports from disk', async () => {
    const { contracts } = await compileSolidity({
      files: ['src/Vault.sol'],
      basePath: path.join(dir, 'proj'),
    });
    expect(Object.fromEntries(Object.entries(contracts).map(([name, c]) => [name, c.sourceName]))).toEqual({
      Vault: 'src/Vault.sol',
      SafeMath: 'src/lib/SafeMath.sol',
      Owned: 'shared/Owned.sol',
      IToken: '@acme/tokens/IToken.sol',
    });
    expect(contracts.Vault!.bytecode.length).toBeGreaterThan(0);
    // Interfaces and abstract contracts have an ABI but no code.
    expect(contracts.IToken!.bytecode.length).toBe(0);
    expect(contracts.Owned!.bytecode.length).toBe(0);
    expect(contracts.IToken!.abi).toHaveLength(1);
  });

  it('compiles in-memory sources that import each other, without touching the disk', async () => {
    const { contracts } = await compileSolidity({
      sources: {
        'a/Main.sol': `${PRAGMA}import "./Helper.sol"; contract Main { function f() external pure returns (uint256) { return Helper.one(); } }`,
        'a/Helper.sol': `${PRAGMA}library Helper { function one() internal pure returns (uint256) { return 1; } }`,
      },
      basePath: path.join(dir, 'nonexistent'),
      contractName: 'Main',
    });
    expect(Object.keys(contracts)).toEqual(['Main']);
  });

  it('reports solc errors with the formatted message and the source excerpt', async () => {
    const err = await compileError(
      compileSolidity({
        sources: { 'Broken.sol': `${PRAGMA}contract Broken { function f() public { uint256 x = ; } }` },
      }),
    );
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('Solidity compilation failed');
    expect(err.message).toContain('ParserError');
    expect(err.message).toContain('Broken.sol:3');
    expect(err.details).toMatchObject({ errors: [expect.stringContaining('ParserError')] });

    const typeErr = await compileError(
      compileSolidity({ sources: { 'T.sol': `${PRAGMA}contract T { uint256 x = "not a number"; }` } }),
    );
    expect(typeErr.message).toContain('TypeError');
  });

  it('fails on missing imports and refuses to read files outside the allowed folders', async () => {
    const missing = await compileError(
      compileSolidity({ sources: { 'M.sol': `${PRAGMA}import "./Nope.sol"; contract M {}` }, basePath: dir }),
    );
    expect(missing.message).toMatch(/Source "Nope.sol" not found/);

    const secret = path.join(dir, 'outside', 'Secret.sol').split(path.sep).join('/');
    const escaped = await compileError(
      compileSolidity({
        sources: { 'E.sol': `${PRAGMA}import "${secret}"; contract E {}` },
        basePath: path.join(dir, 'proj'),
      }),
    );
    expect(escaped.message).toContain('not found');
  });

  it('keys contracts that share a name by their fully qualified name', async () => {
    const { contracts } = await compileSolidity({
      sources: {
        'a.sol': `${PRAGMA}contract C { uint256 public a; }`,
        'b.sol': `${PRAGMA}contract C { uint256 public b; }\ncontract D {}`,
      },
    });
    expect(Object.keys(contracts).sort()).toEqual(['D', 'a.sol:C', 'b.sol:C']);
  });

  it('honours contractName, evmVersion and optimize, and rejects bad options', async () => {
    const sources = {
      'S.sol': `${PRAGMA}contract S { function f() external pure returns (uint256) { return 7; } }`,
    };
    const { contracts } = await compileSolidity({ sources, evmVersion: 'cancun', optimize: false });
    const metadata = JSON.parse(contracts.S!.metadata!) as {
      settings: { evmVersion: string; optimizer: { enabled: boolean } };
    };
    expect(metadata.settings).toMatchObject({ evmVersion: 'cancun', optimizer: { enabled: false } });

    expect((await compileError(compileSolidity({ sources, contractName: 'Nope' }))).code).toBe('NOT_FOUND');
    const badEvm = await compileError(
      // @ts-expect-error: evmVersion is checked at runtime too, for JavaScript callers.
      compileSolidity({ sources, evmVersion: 'amsterdam' }),
    );
    expect(badEvm.code).toBe('INVALID_ARGUMENT');
    expect((await compileError(compileSolidity({ sources: {} }))).code).toBe('INVALID_ARGUMENT');
    // @ts-expect-error: sources and files exclude each other at the type level and at runtime.
    expect((await compileError(compileSolidity({ sources, files: ['S.sol'] }))).message).toContain(
      'exactly one',
    );
    expect((await compileError(compileSolidity({ files: [path.join(dir, 'missing.sol')] }))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('zeroes library placeholders and links library addresses into them', async () => {
    const { contracts } = await compileSolidity({
      sources: {
        'L.sol':
          `${PRAGMA}library Ext { function twice(uint256 x) external pure returns (uint256) { return 2 * x; } }\n` +
          'contract User { function f(uint256 x) external pure returns (uint256) { return Ext.twice(x); } }',
      },
    });
    const user = contracts.User!;
    const positions = user.linkReferences['L.sol']?.Ext;
    expect(positions?.length).toBeGreaterThan(0);
    const first = positions![0]!;
    expect(user.bytecode.subarray(first.start, first.start + 20)).toEqual(new Uint8Array(20));

    const address = new Uint8Array(20).fill(0xab);
    const linked = linkLibraries(user.bytecode, user.linkReferences, { Ext: address });
    for (const { start } of positions!) expect(linked.subarray(start, start + 20)).toEqual(address);
    expect(user.bytecode.subarray(first.start, first.start + 20)).toEqual(new Uint8Array(20));
    expect(() => linkLibraries(user.bytecode, user.linkReferences, {})).toThrow(
      /no address given for library/,
    );
    expect(() => linkLibraries(user.bytecode, user.linkReferences, { Ext: new Uint8Array(19) })).toThrow(
      /20 bytes/,
    );
  });
});
