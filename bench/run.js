// `npm run bench`: builds, then runs every benchmark under bench/ in its own process, one after the
// other (they measure time, so never in parallel), and prints each one's figures and a summary of the
// last-line JSON objects. `node bench/run.js [name…]` runs only the named ones.
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES = [
  ['crypto-suites', []],
  ['privacy-sigma', []],
  ['privacy-rangeproof', []],
  ['evm-state', []],
  ['erc20-solo', []],
  ['pbft', []],
  ['governance', []],
];

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
const selected = BENCHES.filter(([name]) => only.length === 0 || only.includes(name));
if (selected.length === 0) {
  console.error(`unknown benchmark; choose from: ${BENCHES.map(([n]) => n).join(', ')}`);
  process.exit(2);
}

console.log(
  `weft benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);
const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const results = {};
for (const [name, args] of selected) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const lastLine = await new Promise((resolve) => {
    const child = spawn(process.execPath, [`bench/${name}.js`, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d;
    });
    child.on('exit', (code) => {
      const lines = out.trim().split('\n');
      resolve(code === 0 ? lines[lines.length - 1] : null);
    });
  });
  try {
    results[name] = lastLine ? JSON.parse(lastLine) : { error: 'failed' };
  } catch {
    results[name] = { error: 'no JSON summary' };
  }
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
console.log('\n=== summary ===');
for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(20)} ${JSON.stringify(r)}`);
console.log(JSON.stringify({ bench: 'all', results }));
