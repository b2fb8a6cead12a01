/**
 * Compiles the system contracts with the bundled solc and writes their ABIs and runtime bytecode to
 * packages/node/src/governance/contracts.generated.ts, which the node installs at genesis. Run after
 * changing a .sol file here:
 *
 *   npx tsx contracts/system/generate.ts
 *
 * packages/sdk/test/governance-contracts.test.ts recompiles and fails if the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSystemContracts } from './render.js';

const target = fileURLToPath(
  new URL('../../packages/node/src/governance/contracts.generated.ts', import.meta.url),
);
writeFileSync(target, await renderSystemContracts());
process.stdout.write(`wrote ${target}\n`);
