import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A module of @ethereumjs/evm's ES module build that the package does not export (it exports only its
 * index), such as `interpreter.js`. The URL is the very module the EVM itself imported, so a class
 * found there is the class the EVM instantiates.
 */
export async function importEvmInternalModule(file: string): Promise<Record<string, unknown>> {
  const cjsEntry = createRequire(import.meta.url).resolve('@ethereumjs/evm');
  const url = pathToFileURL(join(dirname(cjsEntry), '..', 'esm', file)).href;
  return (await import(url)) as Record<string, unknown>;
}

/** The prototype of the EVM's `Interpreter` class, or undefined where @ethereumjs/evm no longer keeps it. */
export async function evmInterpreterPrototype(): Promise<Record<string | symbol, unknown> | undefined> {
  const module = (await importEvmInternalModule('interpreter.js')) as {
    Interpreter?: { prototype: Record<string | symbol, unknown> };
  };
  return module.Interpreter?.prototype;
}

/**
 * A speed-up's installer run at most once per process: later calls share the first one's answer, and
 * anything that goes wrong while installing means "not installed" (the library's own code then runs).
 */
export function installOnce(install: () => Promise<boolean>): () => Promise<boolean> {
  let installation: Promise<boolean> | undefined;
  return () => {
    installation ??= install().catch(() => false);
    return installation;
  };
}
