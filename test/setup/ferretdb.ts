// Starts one real FerretDB (SQLite backend) for the whole test run on a free loopback port, or uses
// MONGODB_URI when it is set (to run the same suites against MongoDB).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../src/log.js';
import { startEmbeddedFerretdb, type EmbeddedFerretdb } from '../../src/store/embedded.js';
import { writeGuardProxy } from './write-guard.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    storeKind: 'ferretdb' | 'mongodb';
  }
}

let ferret: EmbeddedFerretdb | undefined;
let guard: Awaited<ReturnType<typeof writeGuardProxy>> | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.MONGODB_URI) {
    guard = await writeGuardProxy(process.env.MONGODB_URI);
    project.provide('mongoUri', guard.uri);
    project.provide('storeKind', 'mongodb');
    return;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'uso-test-ferretdb-'));
  ferret = await startEmbeddedFerretdb({
    dataDir,
    logger: createLogger({ level: 'silent', pretty: false }),
    timeoutMs: 30_000,
  });
  // every test's connection goes through the guard, which refuses a write command too big for the store
  guard = await writeGuardProxy(ferret.uri);
  project.provide('mongoUri', guard.uri);
  project.provide('storeKind', 'ferretdb');
}

export async function teardown(): Promise<void> {
  const oversized = guard?.oversized ?? [];
  await guard?.close();
  await ferret?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (oversized.length)
    throw new Error(
      `write commands too big for the store were sent (refused by the guard): ${oversized
        .map((w) => `${w.command} ${w.collection} with ${w.statements} statements`)
        .join('; ')}`,
    );
}
