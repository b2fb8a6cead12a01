import { createEcdsaSuite } from './ecdsa.js';
import { WeftError } from './errors.js';
import { createSmSuite } from './sm2.js';
import type { CryptoSuite, SuiteName } from './suite.js';

/**
 * One shared suite per name. Suites are stateless apart from the `sm` suite's public-key cache,
 * which every caller in the process benefits from sharing; build a private one with
 * `createEcdsaSuite` / `createSmSuite` when options are needed.
 */
const suites = new Map<SuiteName, CryptoSuite>();

export function isSuiteName(value: unknown): value is SuiteName {
  return value === 'ecdsa' || value === 'sm';
}

export function getSuite(name: SuiteName): CryptoSuite {
  if (!isSuiteName(name)) {
    // Reached only from untyped callers (config files, RPC); the name is not echoed back.
    throw new WeftError('INVALID_ARGUMENT', "crypto suite must be 'ecdsa' or 'sm'");
  }
  let suite = suites.get(name);
  if (suite === undefined) {
    suite = name === 'ecdsa' ? createEcdsaSuite() : createSmSuite();
    suites.set(name, suite);
  }
  return suite;
}
