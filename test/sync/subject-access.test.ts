// Subject access: everything held about a pupil registered at two schools, in one document.
import { inject, describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { Binary } from 'mongodb';
import { syncSchool } from '../../src/sync/process.js';
import { findSubject, subjectAccessReport } from '../../src/sync/subject-access.js';
import { uso } from '../helpers/cli.js';
import { registerSchools, simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();

describe('subject access', () => {
  it('exports a dual-registered pupil: both associations, their MIS records, groups, attendance, outcomes and audit', async () => {
    const db = ctx.store.db;
    const { la, client } = simulatedIntegris({ schools: 4, seed: 3 });
    await registerSchools(db, la);
    const dual = la.schools.flatMap((s) =>
      s.students.filter((p) => p.enrolmentStatus === 'S').map((p) => ({ school: s, pupil: p })),
    )[0]!;
    expect(dual).toBeDefined();
    // a birth date nobody else in the LA has, so the erasure scan below can look for it
    const everyone = la.schools.flatMap((s) => [...s.students, ...s.staff]);
    const dobs = new Set(everyone.map((p) => p.dateOfBirth));
    let unique = dual.pupil.dateOfBirth;
    for (let d = 1; dobs.has(unique); d++)
      unique = new Date(Date.parse(`${dual.pupil.dateOfBirth}T12:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
    for (const s of la.schools)
      for (const p of s.students) if (p.upn && p.upn === dual.pupil.upn) p.dateOfBirth = unique;
    const deps = { db, logger: captureLogger().logger, integris: client };
    for (const s of la.schools) await syncSchool(deps, s.dfeNumber, { trigger: 'cli', today: la.today });
    const account = await findSubject(db, { dfeNumber: dual.school.dfeNumber, personId: dual.pupil.personId });
    expect(new Set(account.associations.map((x) => x.dfeNumber)).size).toBe(2);

    const report = await subjectAccessReport(db, account, 'cli:dpo');
    expect(report.account.username).toBe(account.username);
    expect(report.schools).toHaveLength(2);
    for (const school of report.schools) {
      expect(school.misRecords.length).toBeGreaterThan(0);
      expect(school.misRecords.every((r) => (r.record as { personId: string }).personId === school.misPersonId)).toBe(
        true,
      );
      expect(school.runOutcomes.length).toBeGreaterThan(0);
    }
    // attendance where the school marks it (the generator gives a subsidiary registration none)
    expect(report.schools.some((s) => s.attendance.length > 0)).toBe(true);
    expect(report.audit.some((e) => e.action === 'account.created' || e.action === 'account.auto_matched')).toBe(true);
    expect(
      await db.collection('audit').findOne({ action: 'person.exported', username: account.username }),
    ).toMatchObject({ actor: 'cli:dpo' });

    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${db.databaseName}`;
    const cli = await uso('person', 'export', account.username, '--json');
    expect(cli.code).toBe(0);
    expect(
      cli
        .json()
        .schools.map((s: { dfeNumber: string }) => s.dfeNumber)
        .sort(),
    ).toEqual(report.schools.map((s) => s.dfeNumber).sort());
    expect((await uso('person', 'export', 'no.such.person')).code).toBe(1);

    // erasure: refused while the MIS still lists the pupil; with --and-exclude, nothing anywhere names them after
    const upn = dual.pupil.upn!;
    // every document of every collection, with what its binary fields hold read out
    const scan = async () => {
      const found: string[] = [];
      for (const { name } of await db.listCollections().toArray()) {
        for (const doc of await db.collection(name).find({}).toArray()) {
          // every binary field deflated: export chunks and school data (JSON), rosters (BSON and their keys)
          const packed = Object.values(doc)
            .filter((v): v is Binary => v instanceof Binary)
            .map((v) => inflateRawSync(v.buffer).toString('utf8'))
            .join(' ');
          const text = JSON.stringify(doc) + packed;
          if (text.includes(upn) || text.includes(unique)) found.push(`${name}: ${text.slice(0, 200)}`);
        }
      }
      return found;
    };
    const refused = await uso('person', 'erase', account.username);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/still in the current MIS export of .*--and-exclude/);
    // the scan sees the pupil where they are kept, inside export chunks too
    expect((await scan()).some((f) => f.startsWith('exportChunks:'))).toBe(true);
    // and inside the packed rosters of both schools
    expect((await scan()).filter((f) => f.startsWith('rosters:'))).toHaveLength(2);
    const erased = await uso('person', 'erase', account.username, '--and-exclude', '--json');
    expect(erased.code).toBe(0);
    expect(erased.json()).toMatchObject({ username: account.username, removed: { account: 1 } });
    expect(await scan()).toEqual([]);
    // what is left: the tombstone, and the name (not the birth date) on each school's exclusion list
    const left = await db.collection('audit').find({ username: account.username }).toArray();
    expect(left).toEqual([expect.objectContaining({ action: 'person.erased', actor: expect.stringMatching(/^cli:/) })]);
    expect(
      await db
        .collection('exclusions')
        .countDocuments({ name: `${dual.pupil.legalForename} ${dual.pupil.legalSurname}` }),
    ).toBe(2);
    // the next run does not make them again
    const again = await syncSchool(deps, dual.school.dfeNumber, { trigger: 'cli', today: la.today });
    expect(again.outcomes.find((o) => o.personId === dual.pupil.personId)?.outcome).toBe('excluded');
  });
});
