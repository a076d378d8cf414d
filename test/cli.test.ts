// The uso CLI in process against the test store: usage errors, JSON output, and the matching commands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { uso } from './helpers/cli.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import type { ExportFile } from '../src/domain/records.js';

const dbName = `t_cli_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'uso-cli-'));
const la = generateLocalAuthority({ seed: 9, schools: 1, sizeFactor: 0.2 });
const school = la.schools[0]!;

beforeAll(() => {
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${dbName}`;
});

afterAll(async () => {
  const client = new MongoClient(inject('mongoUri'));
  await client
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The account.unallocated entries a run's approvals wrote. */
async function auditCount(runId: string): Promise<number> {
  const client = new MongoClient(inject('mongoUri'));
  try {
    return await client.db(dbName).collection('audit').countDocuments({ runId, action: 'account.unallocated' });
  } finally {
    await client.close();
  }
}

function exportFile(students = school.students): string {
  const file: ExportFile = {
    dfeNumber: school.dfeNumber,
    exportedAt: `${la.today}T18:00:00Z`,
    source: 'integris',
    reports: { students, staff: school.staff },
    completeness: {
      students: { totalRecords: students.length, pages: 1 },
      staff: { totalRecords: school.staff.length, pages: 1 },
    },
  };
  const path = join(dir, `export-${randomBytes(3).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(file));
  return path;
}

describe('uso', () => {
  it('answers usage mistakes with exit code 2 and the usage line', async () => {
    expect((await uso('frobnicate')).code).toBe(2);
    const bad = await uso('match', '12', 'P1', '--to', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expected a 7-digit DfE number[\s\S]*Usage: uso match DFE PERSON_ID/);
    expect((await uso('match', '--help')).code).toBe(0);
    expect((await uso('status', '2099999')).code).toBe(0);
  });

  it('imports schools, syncs an export file and prints the run with every outcome as JSON', async () => {
    const schools = join(dir, 'schools.json');
    writeFileSync(
      schools,
      JSON.stringify([
        {
          dfeNumber: school.dfeNumber,
          name: school.name,
          laCode: school.laCode,
          acceptedReports: ['students', 'staff'],
        },
        { dfeNumber: '2991234', name: 'Bad', laCode: '209' },
      ]),
    );
    const rejected = await uso('schools', 'import', schools);
    expect(rejected.code).toBe(2);
    expect(rejected.err).toMatch(/the DfE number must start with the LA code/);
    writeFileSync(
      schools,
      JSON.stringify([
        {
          dfeNumber: school.dfeNumber,
          name: school.name,
          laCode: school.laCode,
          acceptedReports: ['students', 'staff'],
        },
      ]),
    );
    expect((await uso('schools', 'import', schools)).code).toBe(0);

    const dry = JSON.parse(
      (await uso('sync', school.dfeNumber, '--file', exportFile(), '--dry-run', '--json', '--today', la.today)).out,
    );
    expect(dry.status).toBe('dry_run');
    const run = JSON.parse(
      (await uso('sync', school.dfeNumber, '--file', exportFile(), '--json', '--today', la.today)).out,
    );
    expect(run).toMatchObject({
      dfeNumber: school.dfeNumber,
      status: 'succeeded',
      counts: { created: school.students.length + school.staff.length },
    });
    expect(run.outcomes[0]).toEqual({
      report: expect.any(String),
      personId: expect.any(String),
      outcome: 'created',
      username: expect.stringMatching(/^[a-z.0-9]+$/),
    });
    const again = JSON.parse(
      (await uso('sync', school.dfeNumber, '--file', exportFile(), '--json', '--today', la.today)).out,
    );
    expect(again.counts.unchanged).toBe(school.students.length + school.staff.length);
  });

  it('holds a look-alike and lets an admin match, create or exclude from the command line', async () => {
    const base = school.students[0]!;
    const lookalikes = [1, 2, 3].map((i) => ({
      ...base,
      personId: `DUP${i}`,
      legalSurname: `${base.legalSurname}${'x'.repeat(i === 1 ? 1 : 0)}`,
      legalForename: i === 3 ? `${base.legalForename}e` : base.legalForename,
      upn: undefined,
    }));
    for (const l of lookalikes) delete (l as { upn?: string }).upn;
    const run = JSON.parse(
      (
        await uso(
          'sync',
          school.dfeNumber,
          '--file',
          exportFile([...school.students, ...lookalikes]),
          '--json',
          '--today',
          la.today,
        )
      ).out,
    );
    const held = run.outcomes.filter((o: { outcome: string }) => o.outcome === 'held_for_matching');
    expect(held.map((o: { personId: string }) => o.personId).sort()).toEqual(['DUP1', 'DUP2', 'DUP3']);
    const matches = JSON.parse((await uso('matches', school.dfeNumber, '--json')).out);
    expect(matches).toHaveLength(3);
    const candidate = held[0].candidates[0].username;

    expect((await uso('match', school.dfeNumber, 'DUP2', '--create')).out).toMatch(/^Created \S+ for DUP2\.\n$/);
    expect((await uso('match', school.dfeNumber, 'DUP3', '--exclude')).code).toBe(0);
    expect((await uso('exclusions', 'list', school.dfeNumber)).out).toContain(
      `${base.legalForename}e ${base.legalSurname}`,
    );
    const stale = await uso('match', school.dfeNumber, 'DUP2', '--exclude');
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/was already created by cli:/);
    // the candidate is another pupil present in the MIS: linking would give one account two people
    const refused = await uso('match', school.dfeNumber, 'DUP1', '--to', candidate);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already linked to another MIS person/);
    const status = JSON.parse((await uso('status', school.dfeNumber, '--json')).out);
    expect(status.schools[0].openMatches).toBe(1);
  });

  it('lists the accounts that lost the school, and those the MIS does not know', async () => {
    // the first pupil (and the account just created for a look-alike of them) leave the MIS
    await uso('sync', school.dfeNumber, '--file', exportFile(school.students.slice(1)), '--today', la.today);
    const unallocated = await uso('unallocated', school.dfeNumber);
    expect(unallocated.out.split('\n')[0]).toMatch(/^USERNAME +KIND +NAME +STATUS +UNTIL$/);
    const json = JSON.parse((await uso('unallocated', school.dfeNumber, '--json')).out) as {
      username: string;
      legalSurname: string;
    }[];
    expect(json).toHaveLength(2);
    expect(json.every((a) => a.legalSurname === school.students[0]!.legalSurname)).toBe(true);
    for (const a of json) expect(unallocated.out).toContain(a.username);
    expect((await uso('non-mis', school.dfeNumber)).out).toBe('None.\n');
  });

  it('answers who, held, approve --only, new-accounts and invalid, with --json', async () => {
    const students = school.students.slice(1);
    const leavers = students.slice(0, Math.ceil(students.length / 4));
    const stay = students.slice(leavers.length);
    const base = stay[0]!;
    const newcomers = [
      { ...base, personId: 'NEW1', legalForename: 'Zephyrine', legalSurname: 'Okonkwo-Blythe', upn: undefined },
      { ...base, personId: 'NEW2', legalForename: 'Quillan', legalSurname: 'Marchetti', upn: undefined },
    ];
    const broken = {
      ...base,
      personId: 'BAD1',
      legalForename: 'Ottoline',
      legalSurname: 'Fairweather',
      upn: undefined,
    };
    delete (broken as { dateOfBirth?: string }).dateOfBirth;
    for (const n of [...newcomers, broken]) delete (n as { upn?: string }).upn;
    const run = JSON.parse(
      (
        await uso(
          'sync',
          school.dfeNumber,
          '--file',
          exportFile([...stay, ...newcomers, broken]),
          '--json',
          '--today',
          la.today,
        )
      ).out,
    );
    expect(run.counts.held_unallocation).toBe(leavers.length);
    expect(run.counts.created).toBe(2);

    // held: every person with what would happen, and the guard with its numbers
    const held = JSON.parse((await uso('held', run.runId, '--json')).out);
    expect(held.changes).toHaveLength(leavers.length);
    expect(held.guards[0]).toMatch(
      new RegExp(`^${leavers.length} of \\d+ pupils would leave: over this school's \\d+% threshold$`),
    );
    const two = held.changes.slice(0, 2).map((c: { username: string }) => c.username);
    const approved = JSON.parse((await uso('approve', run.runId, '--only', two.join(','), '--json')).out);
    expect(approved).toMatchObject({ applied: 2, decided: two, remaining: leavers.length - 2 });
    const after = JSON.parse((await uso('held', run.runId, '--json')).out);
    expect(after.open).toBe(leavers.length - 2);
    expect(
      after.changes
        .filter((c: { state: string }) => c.state === 'approved')
        .map((c: { username: string }) => c.username)
        .sort(),
    ).toEqual([...two].sort());
    expect((await uso('approve', run.runId, '--only', two[0])).err).toMatch(/already decided \(approved by cli:/);
    // each applied change has its own audit entry naming the approver, read back by user
    for (const u of two) {
      const entries = JSON.parse((await uso('audit', '--user', u, '--json')).out).entries;
      expect(
        entries.filter(
          (e: { action: string; runId?: string }) => e.action === 'account.unallocated' && e.runId === run.runId,
        ),
      ).toEqual([expect.objectContaining({ actor: expect.stringMatching(/^cli:/), detail: 'held change approved' })]);
    }
    expect(await auditCount(run.runId)).toBe(2);
    expect((await uso('held', run.runId)).out).toMatch(/^held because: \d+ of \d+ pupils would leave/);

    // new accounts: the two newcomers, as JSON, a table and CSV
    const fresh = JSON.parse((await uso('new-accounts', school.dfeNumber, '--json')).out);
    expect(fresh.accounts.map((a: { name: string }) => a.name).sort()).toEqual([
      'Quillan Marchetti',
      'Zephyrine Okonkwo-Blythe',
    ]);
    expect(fresh.accounts.every((a: { how: string; firstDay: string }) => a.how === 'created' && a.firstDay)).toBe(
      true,
    );
    const since = JSON.parse((await uso('new-accounts', school.dfeNumber, '--since', la.today, '--json')).out);
    expect(since.accounts.length).toBeGreaterThanOrEqual(2);
    const csv = (await uso('new-accounts', school.dfeNumber, '--csv')).out.split('\r\n');
    expect(csv[0]).toBe('Name,Username,Pupil or staff,Year / role,First day,How,Date');
    expect(csv.some((l) => l.startsWith('Quillan Marchetti,'))).toBe(true);

    // who: a misspelt name, a UPN, a username; an invalid record with its field and reason
    const username = fresh.accounts.find((a: { name: string }) => a.name === 'Quillan Marchetti').username;
    const misspelt = JSON.parse((await uso('who', school.dfeNumber, 'quillan', 'marchetty', '--json')).out);
    expect(misspelt.found[0].account.username).toBe(username);
    // the run that created the account, and the audit of it (naming who: the sync)
    expect(misspelt.found[0].history.map((h: { what: string }) => h.what)).toEqual(
      expect.arrayContaining(['account created', 'account.created']),
    );
    const withUpn = stay.find((p) => p.upn)!;
    const byUpn = JSON.parse((await uso('who', school.dfeNumber, withUpn.upn!, '--json')).out);
    expect(byUpn.found).toHaveLength(1);
    expect(byUpn.found[0].account.associations[0]).toMatchObject({ dfeNumber: school.dfeNumber, status: 'active' });
    expect(JSON.parse((await uso('who', school.dfeNumber, username, '--json')).out).found[0].name).toBe(
      'Quillan Marchetti',
    );
    const invalid = JSON.parse((await uso('who', school.dfeNumber, 'Ottoline Fairweather', '--json')).out);
    expect(invalid.found[0]).toMatchObject({ mis: { personId: 'BAD1', role: 'pupil' } });
    expect(invalid.found[0].history[0]).toMatchObject({
      what: 'invalid record: no account',
      reason: expect.stringMatching(/^dateOfBirth: /),
    });
    const human = (await uso('who', school.dfeNumber, 'Ottoline')).out;
    expect(human).toMatch(
      /Ottoline Fairweather +MIS pupil BAD1 .*no account\n +\S+ \S+ +invalid record: no account: dateOfBirth: /,
    );
    const listed = JSON.parse((await uso('invalid', school.dfeNumber, '--json')).out);
    expect(listed.records).toEqual([
      {
        personId: 'BAD1',
        report: 'students',
        name: 'Ottoline Fairweather',
        field: 'dateOfBirth',
        reason: expect.any(String),
      },
    ]);
    // the date of birth never shows in full
    expect(JSON.stringify(misspelt)).not.toContain(base.dateOfBirth);
  });

  it('reads the audit newest first, by school, user and actor, a page at a time, with changed field names only', async () => {
    const renamed = school.students.map((p, i) =>
      i === 1 ? { ...p, registrationGroup: 'Z9', legalSurname: `${p.legalSurname}-Renamed` } : p,
    );
    await uso('sync', school.dfeNumber, '--file', exportFile(renamed), '--today', la.today);
    const all = (await uso('audit', '--school', school.dfeNumber, '--limit', '1000', '--json')).json() as {
      entries: { at: string; action: string; username?: string; detail?: string; actor: string }[];
    };
    const times = all.entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const update = all.entries.find((e) => e.action === 'account.updated' && e.detail?.includes('legalSurname'))!;
    expect(update.detail).toBe('fields: associations, legalSurname');
    expect(JSON.stringify(all)).not.toContain('-Renamed'); // the audit names fields, never their values
    const mine = (await uso('audit', '--user', update.username!, '--json')).json() as {
      entries: { username: string }[];
    };
    expect(mine.entries.length).toBeGreaterThanOrEqual(2);
    expect(mine.entries.every((e) => e.username === update.username)).toBe(true);
    const page = (await uso('audit', '--school', school.dfeNumber, '--limit', '2', '--json')).json() as {
      entries: { at: string }[];
      next: { before: string };
    };
    expect(page.entries).toHaveLength(2);
    const next = (
      await uso('audit', '--school', school.dfeNumber, '--limit', '2', '--before', page.next.before, '--json')
    ).json() as { entries: { at: string }[] };
    expect(Date.parse(next.entries[0]!.at)).toBeLessThan(Date.parse(page.entries[1]!.at));
    expect((await uso('audit', '--actor', 'nobody:at-all')).out).toBe('No entries.\n');
  });
});
