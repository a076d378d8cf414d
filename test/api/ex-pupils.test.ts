// A school's subscribers see a pupil who left the school as they were when they left: never the new surname, status
// or details another school records of them now, in single reads, lists and `updatedSince` deltas alike.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { apiRoutes } from '../../src/api/index.js';
import { allAccounts } from '../../src/store/account-scans.js';
import { getSchool, updateSchool, upsertSchool } from '../../src/store/schools.js';
import { addSubscriber } from '../../src/store/subscribers.js';
import { approvedAt } from '../helpers/sharing.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { syncSchool } from '../../src/sync/process.js';
import type { ExportFile } from '../../src/domain/records.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 12, schools: 2, sizeFactor: 0.15 });
const [a, b] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
const file = (school: typeof a, students: typeof a.students, at: string): ExportFile => ({
  dfeNumber: school.dfeNumber,
  exportedAt: at,
  source: 'integris',
  reports: { students, staff: school.staff },
  completeness: {},
});

describe('ex-pupils through the read API', () => {
  it('serves a pupil who moved on as they were when they left, not as the new school records them', async () => {
    const db = ctx.store.db;
    const logger = captureLogger().logger;
    for (const s of [a, b])
      await upsertSchool(db, {
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: ['students', 'staff'],
      });
    const sub = await addSubscriber(db, {
      name: 'A only',
      url: 'https://a.example.org/',
      events: ['account.*'],
      scope: { schools: [a.dfeNumber] },
      reports: ['students'],
    });
    await approvedAt(db, sub.id, [a.dfeNumber]);
    const sync = (s: typeof a, students: typeof a.students, at: string) =>
      syncSchool({ db, logger }, s.dfeNumber, { trigger: 'file', file: file(s, students, at), today: la.today });
    await sync(a, a.students, `${la.today}T18:00:00Z`);
    await sync(b, b.students, `${la.today}T18:00:00Z`);
    // the pupil leaves A and joins B under a new surname (an adoption), same UPN
    const mover = a.students[2]!;
    const arrived = { ...mover, personId: 'NEW-AT-B', legalSurname: 'Newname', admissionDate: la.today };
    await sync(
      a,
      a.students.filter((s) => s !== mover),
      `${la.today}T19:00:00Z`,
    );
    const leftAt = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await sync(b, [...b.students, arrived], `${la.today}T19:00:00Z`);
    await sync(b, [...b.students, arrived], `${la.today}T20:00:00Z`);
    let username = '';
    for await (const { account } of allAccounts(db))
      if (account.associations.some((x) => x.misPersonId === 'NEW-AT-B')) {
        username = account.username;
        expect(account.legalSurname).toBe('Newname');
        expect(account.status).toBe('active');
      }
    const app = createApp({ store: ctx.store, logger, routes: [apiRoutes({ db, perMinute: 100 })] });
    const get = async (path: string): Promise<any> =>
      (
        await app.request(`/api/v1/schools/${a.dfeNumber}${path}`, {
          headers: { authorization: `Bearer ${sub.apiKey}` },
        })
      ).json();
    const one = await get(`/accounts/${username}`);
    expect(one).toMatchObject({ username, legalSurname: mover.legalSurname, upn: mover.upn, status: 'unallocated' });
    expect(JSON.stringify(one)).not.toContain('Newname');
    expect(one.school.map((x: { dfeNumber: string }) => x.dfeNumber)).toEqual([a.dfeNumber]);
    const listed = (await get('/accounts?limit=500')).accounts.find(
      (x: { username: string }) => x.username === username,
    );
    expect(listed.legalSurname).toBe(mover.legalSurname);
    // a delta since the pupil left does not list them again for B's changes
    const since = (await get(`/accounts?limit=500&updatedSince=${encodeURIComponent(leftAt)}`)).accounts;
    expect(since.map((x: { username: string }) => x.username)).not.toContain(username);
    // once the school's time for seeing leavers has passed, not at all
    await updateSchool(db, a.dfeNumber, {
      settings: { ...(await getSchool(db, a.dfeNumber))!.settings, leaverVisibleDays: 0 },
    });
    expect((await get(`/accounts/${username}`)).error).toBe('not_found');
    expect((await get('/accounts?limit=500')).accounts.map((x: { username: string }) => x.username)).not.toContain(
      username,
    );
  });
});
