// The embedded default store: a FerretDB 1.24 child process on SQLite under DATA_DIR, on a free loopback port.
// A second process with the same DATA_DIR (the admin CLI while the service runs) joins the running FerretDB via
// the address recorded in DATA_DIR instead of opening the same SQLite files twice; a record left by a crash is
// detected (dead pid or no answer) and replaced.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { fileURLToPath } from 'node:url';
import { UsoError } from '../errors.js';
import type { Logger } from '../log.js';

export interface EmbeddedFerretdb {
  uri: string;
  /** True when this process started FerretDB and so must stop it. */
  owned: boolean;
  pid: number;
  stop(): Promise<void>;
}

interface Record {
  pid: number;
  port: number;
  startedAt: string;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

/** True when a MongoDB-wire server answers `hello` at the URI within the time given. */
export async function answersHello(uri: string, timeoutMs = 500): Promise<boolean> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: true,
  });
  try {
    await client.db('admin').command({ hello: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecord(path: string): Record | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as Record;
    return Number.isInteger(r.pid) && Number.isInteger(r.port) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** A start lock so two processes starting at once do not both launch FerretDB on the same files. */
async function withStartLock<T>(lockPath: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSafe(lockPath) ?? Date.now());
      if (age > 30_000) rmSync(lockPath, { force: true });
      else if (Date.now() > deadline) throw new UsoError('ferretdb_unavailable', `another process holds ${lockPath}`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

const uriFor = (port: number) => `mongodb://127.0.0.1:${port}/`;

/** Where `npm run ferretdb` (scripts/ensure-ferretdb.mjs, run by the npm scripts first) builds FerretDB. */
export const DEFAULT_FERRETDB_BIN = fileURLToPath(new URL('../../.tools/bin/ferretdb', import.meta.url));

/** The FerretDB binary the launcher configured (FERRETDB_BIN, else where the build puts it); it must be there. */
function ferretdbBinary(configured: string | undefined): string {
  const bin = configured || process.env.FERRETDB_BIN || DEFAULT_FERRETDB_BIN;
  if (existsSync(bin)) return bin;
  throw new UsoError(
    'ferretdb_unavailable',
    `the embedded store's FerretDB is not at ${bin}: build it with \`npm run ferretdb\` (needs Go; the npm scripts do this first), point FERRETDB_BIN at a FerretDB 1.24 binary, or set MONGODB_URI to a MongoDB instance`,
  );
}

export async function startEmbeddedFerretdb(options: {
  dataDir: string;
  logger: Logger;
  bin?: string;
  timeoutMs?: number;
}): Promise<EmbeddedFerretdb> {
  const dataDir = resolve(options.dataDir);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const storeDir = join(dataDir, 'ferretdb');
  mkdirSync(storeDir, { recursive: true });
  const recordPath = join(dataDir, 'ferretdb.json');

  return withStartLock(join(dataDir, 'ferretdb.lock'), timeoutMs, async () => {
    const existing = readRecord(recordPath);
    if (existing && alive(existing.pid) && (await answersHello(uriFor(existing.port)))) {
      options.logger.info({ pid: existing.pid, port: existing.port }, 'joined the running embedded FerretDB');
      return { uri: uriFor(existing.port), owned: false, pid: existing.pid, stop: async () => {} };
    }
    if (existing) options.logger.warn({ pid: existing.pid }, 'replacing a stale embedded FerretDB record');

    const bin = ferretdbBinary(options.bin);
    const port = await freePort();
    const logFd = openSync(join(dataDir, 'ferretdb.log'), 'a');
    const child = spawn(
      bin,
      [
        '--handler=sqlite',
        // WAL with synchronous=NORMAL: a commit is not flushed to disk one by one (a checkpoint is). A process crash
        // loses nothing; a power cut may lose the last moments of writes, never the store's consistency, as MongoDB's
        // default journal (flushed every 100 ms) may. With each commit flushed, a write cost about twice as much.
        `--sqlite-url=file:${storeDir}/?_pragma=synchronous(normal)`,
        `--state-dir=${storeDir}`,
        `--listen-addr=127.0.0.1:${port}`,
        '--telemetry=disable',
        '--debug-addr=-',
        '--log-level=warn',
      ],
      // Own process group: Ctrl-C reaches the service first, which then stops FerretDB after in-flight work.
      { stdio: ['ignore', logFd, logFd], detached: true },
    );
    closeSync(logFd);
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    const uri = uriFor(port);
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      if (await answersHello(uri, 300)) {
        ready = true;
        break;
      }
      await sleep(100);
    }
    if (!ready) {
      child.kill('SIGKILL');
      throw new UsoError(
        'ferretdb_unavailable',
        `the embedded FerretDB did not answer within ${timeoutMs} ms; see ${join(dataDir, 'ferretdb.log')}`,
      );
    }
    writeFileSync(
      recordPath,
      JSON.stringify({ pid: child.pid!, port, startedAt: new Date().toISOString() } satisfies Record),
    );
    options.logger.info({ pid: child.pid, port }, 'embedded FerretDB started');
    return { uri, owned: true, pid: child.pid!, stop: () => stopChild(child, exited, recordPath) };
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, recordPath: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  if (readRecord(recordPath)?.pid === child.pid) rmSync(recordPath, { force: true });
}
