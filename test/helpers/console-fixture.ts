// Two schools after two nights (a third of school A's pupils gone on the second: held for its head), the console
// serving them on a real port, and a local OpenID provider with three people to sign in as: A's head (Slack), a
// contact of B (Slack), and B's head on Teams (Microsoft).
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { createApp } from '../../src/app.js';
import { consoleRoutes } from '../../src/web/console.js';
import { freePort, type Store } from '../../src/store/index.js';
import { saveRole } from '../../src/store/chat.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { recordTeamsUser } from '../../src/store/web-sessions.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { exportOf } from '../../src/sync/integris/sim/export-file.js';
import { syncSchool, type RunSummary } from '../../src/sync/process.js';
import { upsertSchool } from '../../src/store/schools.js';
import { captureLogger } from './log.js';
import { startOidcProvider, type LocalProvider } from './oidc.js';

export const FIXTURE_TENANT = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const la = generateLocalAuthority({ seed: 21, schools: 2, sizeFactor: 0.15 });
type SimSchool = (typeof la.schools)[number];

export interface ConsoleFixture {
  consoleUrl: string;
  provider: LocalProvider;
  held: RunSummary;
  a: SimSchool;
  b: SimSchool;
  close(): Promise<void>;
}

export async function startConsoleFixture(store: Store): Promise<ConsoleFixture> {
  const db = store.db;
  const logger = captureLogger().logger;
  const [a, b] = la.schools as [SimSchool, SimSchool];
  const port = await freePort();
  const consoleUrl = `http://127.0.0.1:${port}`;
  const provider = await startOidcProvider([
    { id: 'slack-console', secret: 'slack-secret', redirect: `${consoleUrl}/auth/callback` },
    { id: 'entra-console', secret: 'entra-secret', redirect: `${consoleUrl}/auth/callback` },
  ]);
  for (const s of la.schools)
    await upsertSchool(db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: ['students', 'staff'],
    });
  for (const s of la.schools)
    await syncSchool({ db, logger }, s.dfeNumber, {
      trigger: 'file',
      file: exportOf(s, `${la.today}T18:00:00Z`),
      today: la.today,
    });
  // a third of school A's pupils are gone from the next export: over its threshold, held for the head
  const gone = { ...a, students: a.students.slice(0, Math.floor(a.students.length * 0.66)) };
  const held = await syncSchool({ db, logger }, a.dfeNumber, {
    trigger: 'file',
    file: exportOf(gone, `${la.today}T19:00:00Z`),
    today: la.today,
  });
  // an account made by hand at A that the MIS does not export: for the non-MIS review
  await insertAccounts(db, [
    {
      username: 'kept.byhand',
      kind: 'staff',
      legalForename: 'Kept',
      legalSurname: 'Byhand',
      associations: [
        {
          dfeNumber: a.dfeNumber,
          laCode: a.laCode,
          role: 'staff',
          status: 'active',
          source: 'manual',
          since: '2026-09-01',
        },
      ],
      status: 'active',
      createdAt: '2026-09-01T09:00:00Z',
      updatedAt: '2026-09-01T09:00:00Z',
      latestMoveOrCreateAt: '2026-09-01T09:00:00Z',
      version: 0,
    },
  ]);
  await saveRole(db, { actor: 'slack:T1:UHEAD', role: 'head', dfeNumber: a.dfeNumber, grantedBy: 'test' });
  await saveRole(db, { actor: 'slack:T1:UCONTACT', role: 'contact', dfeNumber: b.dfeNumber, grantedBy: 'test' });
  await saveRole(db, {
    actor: `teams:${FIXTURE_TENANT}:29:teams-head`,
    role: 'head',
    dfeNumber: b.dfeNumber,
    grantedBy: 'test',
  });
  await recordTeamsUser(db, FIXTURE_TENANT, 'aad-object-1', '29:teams-head');
  provider.accounts.set('head', {
    name: 'Ada Head',
    'https://slack.com/team_id': 'T1',
    'https://slack.com/user_id': 'UHEAD',
  });
  provider.accounts.set('contact', {
    name: 'Cal Contact',
    'https://slack.com/team_id': 'T1',
    'https://slack.com/user_id': 'UCONTACT',
  });
  provider.accounts.set('teams-head', { name: 'Tess Teams', tid: FIXTURE_TENANT, oid: 'aad-object-1' });
  const app = createApp({
    store,
    logger,
    routes: [
      consoleRoutes({
        db,
        logger,
        oidc: {
          publicUrl: consoleUrl,
          slack: { issuer: provider.issuer, clientId: 'slack-console', clientSecret: 'slack-secret' },
          entra: { authority: provider.issuer, clientId: 'entra-console', clientSecret: 'entra-secret' },
        },
        sessionSecret: 'a-session-secret-of-at-least-32-characters',
        ctx: { db },
      }),
    ],
  });
  const server = await new Promise<Server>((ok) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => ok(s as Server));
  });
  return {
    consoleUrl,
    provider,
    held,
    a,
    b,
    close: async () => {
      server.close();
      await provider.close();
    },
  };
}
