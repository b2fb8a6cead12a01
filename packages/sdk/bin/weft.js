#!/usr/bin/env node
// The `weft` command. The TypeScript sources are compiled by `npm install` (the root `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`weft: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
