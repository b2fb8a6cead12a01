/**
 * Solidity compilation with the bundled solc-js (offline, Standard JSON input/output, see
 * https://docs.soliditylang.org/en/latest/using-the-compiler.html#compiler-input-and-output-json-description).
 *
 * Imports are resolved the way `solc --base-path <base> --include-path <p>` resolves them
 * (https://docs.soliditylang.org/en/latest/path-resolution.html): solc first turns a relative
 * import (`./B.sol`) into a source unit name relative to the importing unit, then asks our import
 * callback for that name, which we look up under the base path, the include paths and every
 * `node_modules` directory from the base path upwards (so `@openzeppelin/contracts/...` works).
 * Like solc's `--allow-paths`, a file is only read if it lies inside one of those directories or
 * in the directory of a file given explicitly, so `import "../../../etc/passwd"` reads nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { hexToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import type { Abi } from 'viem';

/**
 * The EVM version we compile for when the caller names none: the newest hardfork that both the
 * bundled solc (0.8.37, whose own default is also `osaka`) and @ethereumjs/evm v10 (which
 * implements Osaka's EIP-7939 CLZ opcode and the other Osaka EIPs) support. `amsterdam` is still
 * experimental in both.
 */
export const DEFAULT_EVM_VERSION = 'osaka';

/** EVM versions accepted by solc 0.8.37 that @ethereumjs/evm v10 can also execute. */
export const EVM_VERSIONS = [
  'homestead',
  'tangerineWhistle',
  'spuriousDragon',
  'byzantium',
  'constantinople',
  'petersburg',
  'istanbul',
  'berlin',
  'london',
  'paris',
  'shanghai',
  'cancun',
  'prague',
  'osaka',
] as const;
export type EvmVersion = (typeof EVM_VERSIONS)[number];

/** Where each library address must be written into unlinked bytecode (byte offsets). */
export type LinkReferences = Record<string, Record<string, readonly { start: number; length: number }[]>>;

export interface CompiledContract {
  readonly name: string;
  /** Source unit name (path) the contract was declared in. */
  readonly sourceName: string;
  readonly abi: Abi;
  /** Creation bytecode; empty for interfaces and abstract contracts. Library placeholders are zero. */
  readonly bytecode: Uint8Array;
  readonly deployedBytecode: Uint8Array;
  /** Library placeholders in `bytecode`; empty unless the contract calls external library functions. */
  readonly linkReferences: LinkReferences;
  /** solc's metadata JSON (its hash is appended to the bytecode). */
  readonly metadata?: string;
}

export interface CompileResult {
  /**
   * Contracts by name. If two sources declare the same name, those contracts are keyed by their
   * fully qualified name `sourceName:Name` instead.
   */
  readonly contracts: Record<string, CompiledContract>;
  /** solc's formatted warnings and infos. */
  readonly warnings: string[];
}

interface CompileCommonOptions {
  /** Only return this contract (and only ask solc to generate code for it). */
  contractName?: string;
  /** Run solc's optimizer (default true, 200 runs: contracts here are executed far more than deployed). */
  optimize?: boolean;
  optimizerRuns?: number;
  evmVersion?: EvmVersion;
  /** Directory that source unit names and imports are resolved against; default `process.cwd()`. */
  basePath?: string;
  /** Further directories to resolve imports in (solc's `--include-path`). */
  includePaths?: string[];
}

/** Either in-memory sources (unit name → content) or files on disk, never both. */
export type CompileSolidityOptions = CompileCommonOptions &
  ({ sources: Record<string, string>; files?: never } | { files: string[]; sources?: never });

interface SolcModule {
  compile(
    input: string,
    callbacks: { import: (path: string) => { contents: string } | { error: string } },
  ): string;
  version(): string;
}

let solcModule: SolcModule | undefined;

/** solc-js instantiates a ~10 MB WebAssembly compiler on first load (about a second); load it once. */
function loadSolc(): SolcModule {
  if (solcModule === undefined) {
    const require = createRequire(import.meta.url);
    solcModule = require('solc') as SolcModule;
  }
  return solcModule;
}

/** The bundled compiler's version string, e.g. `0.8.37+commit.f401782d.Emscripten.clang`. */
export function solcVersion(): string {
  return loadSolc().version();
}

interface SolcOutputError {
  severity: 'error' | 'warning' | 'info';
  formattedMessage?: string;
  message: string;
}

interface SolcBytecodeOutput {
  object: string;
  linkReferences?: LinkReferences;
}

interface SolcContractOutput {
  abi: Abi;
  metadata?: string;
  evm: { bytecode: SolcBytecodeOutput; deployedBytecode: SolcBytecodeOutput };
}

interface SolcOutput {
  errors?: SolcOutputError[];
  contracts?: Record<string, Record<string, SolcContractOutput>>;
}

export async function compileSolidity(options: CompileSolidityOptions): Promise<CompileResult> {
  const basePath = path.resolve(options.basePath ?? process.cwd());
  const includePaths = (options.includePaths ?? []).map((p) => path.resolve(p));
  const evmVersion = options.evmVersion ?? DEFAULT_EVM_VERSION;
  if (!(EVM_VERSIONS as readonly string[]).includes(evmVersion)) {
    throw new WeftError('INVALID_ARGUMENT', `unsupported evmVersion "${evmVersion}"`, {
      details: { supported: EVM_VERSIONS },
    });
  }
  const runs = options.optimizerRuns ?? 200;
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new WeftError('INVALID_ARGUMENT', 'optimizerRuns must be a positive integer');
  }

  const sources: Record<string, { content: string }> = {};
  const allowedRoots = [basePath, ...includePaths];
  if ((options.sources === undefined) === (options.files === undefined)) {
    throw new WeftError('INVALID_ARGUMENT', 'give exactly one of `sources` and `files`');
  }
  if (options.sources !== undefined) {
    for (const [name, content] of Object.entries(options.sources)) {
      if (typeof content !== 'string') {
        throw new WeftError('INVALID_ARGUMENT', `source "${name}" must be a string`);
      }
      sources[name] = { content };
    }
  } else {
    if (!Array.isArray(options.files))
      throw new WeftError('INVALID_ARGUMENT', '`files` must be an array of paths');
    for (const file of options.files) {
      const absolute = path.resolve(basePath, file);
      let content: string;
      try {
        content = await readFile(absolute, 'utf8');
      } catch (err) {
        throw new WeftError('NOT_FOUND', `cannot read Solidity file ${file}`, { cause: err });
      }
      sources[toSourceUnitName(basePath, absolute)] = { content };
      allowedRoots.push(path.dirname(absolute));
    }
  }
  if (Object.keys(sources).length === 0) {
    throw new WeftError('INVALID_ARGUMENT', 'nothing to compile: no sources or files given');
  }

  const outputs = [
    'abi',
    'metadata',
    'evm.bytecode.object',
    'evm.bytecode.linkReferences',
    'evm.deployedBytecode.object',
  ];
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: options.optimize ?? true, runs },
      evmVersion,
      outputSelection: { '*': { [options.contractName ?? '*']: outputs } },
    },
  };

  const solc = loadSolc();
  const findImport = createImportResolver(basePath, includePaths, allowedRoots);
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;

  const problems = output.errors ?? [];
  const errors = problems.filter((e) => e.severity === 'error').map(formatSolcMessage);
  if (errors.length > 0) {
    throw new WeftError('INVALID_ARGUMENT', `Solidity compilation failed:\n${errors.join('\n')}`, {
      details: { errors },
    });
  }
  const warnings = problems.filter((e) => e.severity !== 'error').map(formatSolcMessage);

  const found: CompiledContract[] = [];
  for (const [sourceName, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, out] of Object.entries(byName)) {
      found.push(toCompiledContract(sourceName, name, out));
    }
  }
  if (options.contractName !== undefined && found.length === 0) {
    throw new WeftError('NOT_FOUND', `contract ${options.contractName} is not declared in the given sources`);
  }

  const nameCounts = new Map<string, number>();
  for (const c of found) nameCounts.set(c.name, (nameCounts.get(c.name) ?? 0) + 1);
  const contracts: Record<string, CompiledContract> = {};
  for (const c of found) {
    contracts[nameCounts.get(c.name) === 1 ? c.name : `${c.sourceName}:${c.name}`] = c;
  }
  return { contracts, warnings };
}

/**
 * Writes library addresses into bytecode produced with `linkReferences`. `libraries` is keyed by
 * library name or fully qualified `sourceName:Name`; addresses are 20 bytes.
 */
export function linkLibraries(
  bytecode: Uint8Array,
  linkReferences: LinkReferences,
  libraries: Record<string, Uint8Array>,
): Uint8Array {
  const linked = Uint8Array.from(bytecode);
  for (const [sourceName, byLibrary] of Object.entries(linkReferences)) {
    for (const [library, positions] of Object.entries(byLibrary)) {
      const address = libraries[`${sourceName}:${library}`] ?? libraries[library];
      if (address === undefined) {
        throw new WeftError('INVALID_ARGUMENT', `no address given for library ${sourceName}:${library}`);
      }
      if (!(address instanceof Uint8Array) || address.length !== 20) {
        throw new WeftError('INVALID_LENGTH', `address of library ${library} must be 20 bytes`);
      }
      for (const { start, length } of positions) {
        if (length !== 20 || start < 0 || start + length > linked.length) {
          throw new WeftError('INVALID_ARGUMENT', `bad link reference for library ${library}`);
        }
        linked.set(address, start);
      }
    }
  }
  return linked;
}

function toCompiledContract(sourceName: string, name: string, out: SolcContractOutput): CompiledContract {
  const linkReferences = out.evm.bytecode.linkReferences ?? {};
  return {
    name,
    sourceName,
    abi: out.abi,
    bytecode: unlinkedHexToBytes(out.evm.bytecode.object, `bytecode of ${name}`),
    deployedBytecode: unlinkedHexToBytes(out.evm.deployedBytecode.object, `deployed bytecode of ${name}`),
    linkReferences,
    ...(out.metadata === undefined || out.metadata === '' ? {} : { metadata: out.metadata }),
  };
}

/**
 * solc marks library addresses still to be linked with 40-character placeholders `__$<hash>$__`
 * (https://docs.soliditylang.org/en/latest/using-the-compiler.html#library-linking); they are not
 * hex, so we zero them and report their positions in `linkReferences`.
 */
function unlinkedHexToBytes(hex: string, what: string): Uint8Array {
  return hexToBytes(hex.replace(/__\$[0-9a-fA-F]{34}\$__/g, '0'.repeat(40)), what);
}

function formatSolcMessage(e: SolcOutputError): string {
  return (e.formattedMessage ?? e.message).trim();
}

/**
 * Like the solc CLI: a file under the base path is named by its path relative to it; a file outside
 * keeps its absolute path, because solc collapses `../` above the root of a unit name and relative
 * imports from a `../`-prefixed name would resolve to the wrong place.
 */
function toSourceUnitName(basePath: string, absolute: string): string {
  const name = isInside(basePath, absolute) ? path.relative(basePath, absolute) : absolute;
  return name.split(path.sep).join('/');
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** `node_modules` directories from `dir` up to the filesystem root, nearest first (Node's lookup order). */
function nodeModulesDirs(dir: string): string[] {
  const dirs: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    if (path.basename(current) !== 'node_modules') dirs.push(path.join(current, 'node_modules'));
    if (path.dirname(current) === current) return dirs;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function createImportResolver(
  basePath: string,
  includePaths: string[],
  allowedRoots: string[],
): (sourceUnitName: string) => { contents: string } | { error: string } {
  const modulesDirs = nodeModulesDirs(basePath);
  return (sourceUnitName) => {
    const candidates: { file: string; roots: string[] }[] = [
      ...[basePath, ...includePaths].map((dir) => ({
        file: path.resolve(dir, sourceUnitName),
        roots: allowedRoots,
      })),
      ...modulesDirs.map((dir) => ({ file: path.resolve(dir, sourceUnitName), roots: [dir] })),
    ];
    for (const { file, roots } of candidates) {
      // The containment check is on the path as written, not its realpath: package managers
      // (npm workspaces, pnpm) symlink packages into node_modules, and those must resolve.
      if (!roots.some((root) => isInside(root, file)) || !isFile(file)) continue;
      return { contents: readFileSync(file, 'utf8') };
    }
    return {
      error:
        'no such file inside the base path, the include paths, the directories of the given files or node_modules',
    };
  };
}
