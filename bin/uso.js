#!/usr/bin/env node
// `npx uso ...`: runs the TypeScript CLI through tsx's loader, and exits only once its output has drained (a piped
// `--json` of a large run must arrive whole).
import { register } from 'tsx/esm/api';

register();
const { runCli, exitAfterDrain } = await import('../src/cli.ts');
await exitAfterDrain(await runCli(process.argv.slice(2)));
