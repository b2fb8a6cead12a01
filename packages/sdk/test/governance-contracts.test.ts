import * as generated from '@weft/node/governance/contracts.generated';
import { describe, expect, it } from 'vitest';
import {
  constantName,
  renderSystemContracts,
  SYSTEM_CONTRACT_SOURCES,
} from '../../../contracts/system/render.js';

/**
 * The system contracts' code is committed as generated TypeScript (so `weft init` and node start-up
 * never run solc). Recompiling contracts/system/*.sol must give the same ABIs and bytecode: a stale
 * file fails here; regenerate with `npx tsx contracts/system/generate.ts`.
 */
describe('the committed system contracts', () => {
  it('match a fresh compilation of contracts/system', async () => {
    const text = await renderSystemContracts();
    for (const [name, , address] of SYSTEM_CONTRACT_SOURCES) {
      const committed = (
        generated as Record<string, { address: string; abi: unknown; runtimeBytecode: string }>
      )[constantName(name)];
      expect(committed?.address).toBe(address);
      const block = text.slice(text.indexOf(`export const ${constantName(name)} = {`));
      const abi = JSON.parse(/abi: (\[.*\]),\n/.exec(block)?.[1] ?? 'null') as unknown;
      const code = /runtimeBytecode: '(0x[0-9a-f]*)'/.exec(block)?.[1];
      expect(abi).toEqual(committed?.abi);
      expect(code).toBe(committed?.runtimeBytecode);
      expect(code?.length).toBeGreaterThan(100);
    }
  }, 120_000);
});
