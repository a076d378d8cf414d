// Fuzzes the read API from its own OpenAPI document with Schemathesis: the service's app on loopback, over the
// embedded store seeded with two generated schools (one the key may read), and `st run` against
// /api/v1/openapi.json. Fails on any server error or any response that breaks the document's schemas. Run by
// .ci/run after the tests (`pip install schemathesis` first); `npm run fuzz:api -- --max-examples 200` for more.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../src/app.js';
import { apiRoutes } from '../src/api/index.js';
import { loadConfig } from '../src/config.js';
import { storeOptions } from '../src/connections.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/index.js';
import { upsertSchool } from '../src/store/schools.js';
import { addSubscriber, getSubscriber } from '../src/store/subscribers.js';
import { preApprove } from '../src/sync/sharing.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { syncSchool } from '../src/sync/process.js';

const maxExamples = process.argv.includes('--max-examples')
  ? process.argv[process.argv.indexOf('--max-examples') + 1]!
  : '60';
const dataDir = mkdtempSync(join(tmpdir(), 'uso-fuzz-'));
const logger = createLogger({ level: 'silent' });
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, MONGODB_URI: process.env.MONGODB_URI });
const store = await openStore(storeOptions(config, logger));
let code = 1;
try {
  const la = generateLocalAuthority({ seed: 12, schools: 2, sizeFactor: 0.1 });
  for (const s of la.schools) {
    await upsertSchool(store.db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: [...s.permissions],
    });
    await syncSchool({ db: store.db, logger }, s.dfeNumber, {
      trigger: 'file',
      today: la.today,
      file: {
        dfeNumber: s.dfeNumber,
        exportedAt: `${la.today}T18:00:00Z`,
        source: 'integris',
        reports: {
          students: s.students,
          staff: s.staff,
          contacts: s.contacts,
          groups: s.groups,
          attendance: s.attendance,
        },
        completeness: {},
      },
    });
  }
  const { apiKey, id } = await addSubscriber(store.db, {
    name: 'fuzz',
    url: 'http://127.0.0.1:9/',
    events: ['*'],
    // the whole LA: the document's example school (2092000) is one of them, so real data is read and checked
    scope: { laCode: la.laCode },
    reports: ['students', 'staff', 'contacts', 'groups', 'attendance'],
  });
  // pre-approved by the LA, as every school allows by default: real data is answered
  await preApprove(store.db, (await getSubscriber(store.db, id))!, 'fuzz');
  const app = createApp({ store, logger, routes: [apiRoutes({ db: store.db, perMinute: 1_000_000 })] });
  const server = await new Promise<ReturnType<typeof serve>>((ok) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ok(s));
  });
  const { port } = server.address() as AddressInfo;
  // the checks the API promises: no 5xx, and every status, content type, header and body as the document says
  // spawned, not spawnSync: the app answering Schemathesis runs in this process
  const child = spawn(
    'st',
    [
      'run',
      `http://127.0.0.1:${port}/api/v1/openapi.json`,
      '--url',
      `http://127.0.0.1:${port}/api/v1`,
      '-H',
      `Authorization: Bearer ${apiKey}`,
      '--checks',
      'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance',
      '--max-examples',
      maxExamples,
      '--seed',
      '20261129',
      '--generation-deterministic',
    ],
    { stdio: 'inherit' },
  );
  code = await new Promise<number>((ok) => {
    child.on('error', (err) => {
      process.stderr.write(`schemathesis did not start (pip install schemathesis): ${err.message}\n`);
      ok(1);
    });
    child.on('exit', (status) => ok(status ?? 1));
  });
  server.close();
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
