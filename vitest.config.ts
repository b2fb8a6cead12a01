import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

// Tests import workspace packages by their public subpaths (`@weft/core/tx`); point those at the
// TypeScript sources so unit tests never run against a stale build.
const alias = [{ find: /^@weft\/([a-z]+)\/(.*)$/, replacement: `${packagesDir}$1/src/$2.ts` }];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['packages/*/test/**/*.it.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        // Integration tests start real node processes from the built `dist/`; run them one file at a
        // time so a 2-core machine is not oversubscribed.
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.it.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
