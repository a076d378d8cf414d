// The tests that start the service or the CLI as a process run the build (dist/), as production does. `npm test`
// builds first; a build older than the source it was made from is refused rather than tested.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Throws unless dist/ holds a build at least as new as every source file. */
export function requireFreshBuild(): void {
  const built = join(root, 'dist', 'main.js');
  if (!existsSync(built)) throw new Error('no build in dist/: run `npm run build` (npm test does) before the tests');
  if (newest(join(root, 'src')) > statSync(built).mtimeMs)
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does) before the tests');
}
