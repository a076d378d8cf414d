#!/usr/bin/env node
// `uso ...`: the built CLI (dist/, made by `npm run build`), which exits only once its output has drained (a piped
// `--json` of a large run must arrive whole). In a checkout, `npm run uso -- ...` runs the source instead.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('uso: no build in dist/: run `npm run build` first (or `npm run uso -- ...` in a checkout)\n');
  process.exit(1);
}
const { runCli, exitAfterDrain } = await import(built.href);
await exitAfterDrain(await runCli(process.argv.slice(2)));
