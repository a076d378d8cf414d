#!/usr/bin/env node
// What an operator does, as plain commands (CI runs it; Docker and systemd run the same steps): the build installed
// with production dependencies only, in a directory of its own, started with `node dist/main.js` on the embedded
// store, asked /readyz and /, its built CLI (`bin/uso.js`) run beside it, then stopped with SIGTERM, which must leave
// nothing running. Run `npm run build` first.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fail = (why) => {
  process.stderr.write(`production smoke test failed: ${why}\n`);
  process.exit(1);
};
if (!existsSync(join(root, 'dist', 'main.js'))) fail('no build: run `npm run build` first');

const dir = mkdtempSync(join(tmpdir(), 'uso-production-'));
const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

try {
  for (const item of ['package.json', 'package-lock.json', 'bin', 'dist'])
    cpSync(join(root, item), join(dir, item), { recursive: true });
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: 'inherit',
  });
  for (const dev of ['tsx', 'typescript', '@faker-js/faker', 'vitest'])
    if (existsSync(join(dir, 'node_modules', dev))) fail(`${dev} was installed with the production dependencies`);

  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    DATA_DIR: join(dir, 'data'),
    FERRETDB_BIN: process.env.FERRETDB_BIN || join(root, '.tools', 'bin', 'ferretdb'),
    LOG_LEVEL: 'info',
  };
  const service = spawn(process.execPath, ['dist/main.js'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  service.stdout.on('data', (d) => (log += d));
  const exited = new Promise((ok) => service.on('exit', (code) => ok(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) break;
    if (service.exitCode !== null) fail(`the service exited with ${service.exitCode}:\n${log}`);
    if (Date.now() > deadline) fail(`not ready within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const home = await fetch(`${base}/`);
  if (home.status !== 200 || !(home.headers.get('content-type') ?? '').includes('text/html'))
    fail(`GET / answered ${home.status} ${home.headers.get('content-type')}`);
  const status = execFileSync(process.execPath, ['bin/uso.js', 'migrate', 'status', '--json'], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (JSON.parse(status).pending.length !== 0) fail(`the store is not at the build's version: ${status}`);
  service.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) fail(`SIGTERM gave exit code ${code}`);
  const pid = Number(/"pid":(\d+),"port"/.exec(log)?.[1]);
  if (pid > 0) {
    try {
      process.kill(pid, 0);
      fail(`the embedded FerretDB (pid ${pid}) is still running`);
    } catch {
      // gone, as it should be
    }
  }
  process.stdout.write(
    `production smoke test passed: built service ready, / and the CLI answered, clean stop (port ${port})\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
