// The built entry point (dist/main.js, as `npm start` runs it) as a child process: start-up errors, serving, and a
// clean stop.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireFreshBuild } from './helpers/build.js';
import { freePort } from '../src/store/index.js';

const root = new URL('..', import.meta.url).pathname;

function run(env: Record<string, string>, untilOutput?: RegExp) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const ready = untilOutput
    ? new Promise<void>((ok, fail) => {
        const check = () => untilOutput.test(stdout) && ok();
        child.stdout.on('data', check);
        void exit.then(() => fail(new Error(`exited early: ${stderr}`)));
      })
    : Promise.resolve();
  return { child, exit, ready, out: () => ({ stdout, stderr }) };
}

beforeAll(requireFreshBuild);

describe('main', () => {
  it('stops with exit code 2 and one message naming the bad variables, no stack trace', async () => {
    const p = run({ PORT: '0x', SYNC_CONCURRENCY: '1000' });
    expect(await p.exit).toBe(2);
    const { stderr } = p.out();
    expect(stderr).toMatch(/^Invalid configuration:\n {2}PORT: .+\n {2}SYNC_CONCURRENCY: .+\n$/);
    expect(stderr).not.toMatch(/\bat \S+ \(/);
  });

  it('fails fast with a single line when MongoDB cannot be reached', async () => {
    const started = Date.now();
    const p = run({ MONGODB_URI: 'mongodb://127.0.0.1:1/x' });
    expect(await p.exit).toBe(1);
    expect(p.out().stderr).toBe(
      'uso-autoupdate cannot start: Cannot reach the store at mongodb://127.0.0.1:1/x: connect ECONNREFUSED 127.0.0.1:1\n',
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('stops with one line and leaves no FerretDB behind when its port is taken', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'uso-main-'));
    const taken = createServer();
    try {
      const port = await freePort();
      await new Promise<void>((ok) => taken.listen(port, '127.0.0.1', ok));
      const p = run({ DATA_DIR: dataDir, PORT: String(port) });
      expect(await p.exit).toBe(1);
      const { stdout, stderr } = p.out();
      expect(stderr).toBe(
        `uso-autoupdate cannot start: port ${port} on 127.0.0.1 is already in use (another uso-autoupdate or demo?): stop it or set PORT\n`,
      );
      const pid = Number(/"pid":(\d+),"port"/.exec(stdout)?.[1]);
      expect(pid > 0, 'the embedded store was started').toBe(true);
      expect(() => process.kill(pid, 0), 'and stopped again').toThrow();
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serves on the embedded store (and Teams, once configured) and leaves no FerretDB behind after SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'uso-main-'));
    try {
      const port = await freePort();
      const p = run(
        {
          DATA_DIR: dataDir,
          PORT: String(port),
          TEAMS_APP_ID: '6f1c3e2a-8d4b-4f5e-9a7c-1b2d3e4f5a6b',
          TEAMS_APP_PASSWORD: 'bot-secret',
        },
        /listening/,
      );
      await p.ready;
      const pid = Number(/"pid":(\d+),"port"/.exec(p.out().stdout)?.[1]);
      expect(Number.isInteger(pid) && pid > 0, 'the FerretDB pid is logged').toBe(true);
      expect(() => process.kill(pid, 0)).not.toThrow(); // FerretDB runs while the service does
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const unsigned = await fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          serviceUrl: 'https://smba.trafficmanager.net/uk/',
          conversation: { id: 'a:1' },
          text: 'status',
        }),
      });
      expect(unsigned.status).toBe(401);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      expect(p.out().stdout).toContain('teams request refused: token not valid');
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
