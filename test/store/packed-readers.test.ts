// Exports, contacts, groups, attendance and run outcomes are stored packed (one deflated binary value per document).
// Every reader must give the same answer from the packed form as from the plain form documents were kept in before,
// so a store written by an earlier version reads exactly as it did.
import { describe, expect, it } from 'vitest';
import type { Binary, Db } from 'mongodb';
import { chunkRecords, loadExport, saveExport } from '../../src/store/exports.js';
import { finishRun, getRun, outcomesAbout, runDetailOf, startRun, type RunDetailDoc } from '../../src/store/runs.js';
import {
  attendanceOf,
  contactsOf,
  contactsOfPupil,
  groupsOf,
  replaceSchoolRecords,
  schoolDataState,
  storeAttendance,
} from '../../src/store/schoolData.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { reportNames, type ExportFile } from '../../src/domain/records.js';
import type { RecordOutcome } from '../../src/domain/outcomes.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const school = generateLocalAuthority({ seed: 41, schools: 1, sizeFactor: 0.2 }).schools[0]!;
const dfe = school.dfeNumber;

/** Rewrites every packed document of a collection the way it was kept before: its records as plain documents. */
async function unpackAll(db: Db, collection: string, field: 'records' | 'marks' = 'records'): Promise<number> {
  const docs = await db.collection<{ _id: string; data?: Binary }>(collection).find({}).toArray();
  let n = 0;
  for (const doc of docs) {
    if (!doc.data) continue;
    const { data, ...rest } = doc;
    await db
      .collection<{ _id: string }>(collection)
      .replaceOne({ _id: doc._id }, { ...rest, [field]: chunkRecords({ data }) });
    n++;
  }
  return n;
}

describe('readers of packed documents', () => {
  it('an export reads back the same, packed or plain', async () => {
    const file: ExportFile = {
      dfeNumber: dfe,
      exportedAt: '2026-11-27T18:00:00Z',
      source: 'integris',
      reports: {},
      completeness: {},
    };
    for (const r of reportNames) {
      file.reports[r] = school[r];
      file.completeness[r] = { totalRecords: school[r].length, pages: 1 };
    }
    const meta = await saveExport(ctx.store.db, file);
    const packed = await loadExport(ctx.store.db, meta);
    expect(packed.reports).toEqual(JSON.parse(JSON.stringify(file.reports)));
    expect(await unpackAll(ctx.store.db, 'exportChunks')).toBeGreaterThan(0);
    expect(await loadExport(ctx.store.db, meta)).toEqual(packed);
    // each report's hash is the one school data compares, so an unchanged report is neither parsed nor written again
    const contacts = { exported: packed.reports.contacts!, parse: () => school.contacts };
    expect(await replaceSchoolRecords(ctx.store.db, dfe, 'contacts', contacts)).toBeGreaterThan(0);
    let parsed = false;
    const again = { ...contacts, hash: meta.hashes?.contacts, parse: () => ((parsed = true), school.contacts) };
    expect(await replaceSchoolRecords(ctx.store.db, dfe, 'contacts', again)).toBe(0);
    expect(parsed).toBe(false);
  });

  it('contacts and groups read back the same, packed or plain', async () => {
    const raw = (r: 'contacts' | 'groups') => ({ exported: school[r], parse: () => school[r] });
    await replaceSchoolRecords(ctx.store.db, dfe, 'contacts', raw('contacts'));
    await replaceSchoolRecords(ctx.store.db, dfe, 'groups', raw('groups'));
    const pupil = school.students[0]!.personId;
    const before = {
      contacts: await contactsOf(ctx.store.db, dfe),
      ofPupil: await contactsOfPupil(ctx.store.db, dfe, pupil),
      groups: await groupsOf(ctx.store.db, dfe),
    };
    expect(before.contacts).toHaveLength(school.contacts.length);
    expect(before.ofPupil.length).toBeGreaterThan(0);
    expect(before.groups).toHaveLength(school.groups.length);
    expect(await unpackAll(ctx.store.db, 'contacts')).toBeGreaterThan(0);
    expect(await unpackAll(ctx.store.db, 'groups')).toBeGreaterThan(0);
    expect({
      contacts: await contactsOf(ctx.store.db, dfe),
      ofPupil: await contactsOfPupil(ctx.store.db, dfe, pupil),
      groups: await groupsOf(ctx.store.db, dfe),
    }).toEqual(before);
  });

  it('attendance reads back the same, packed or plain', async () => {
    const marks = school.attendance;
    await storeAttendance(ctx.store.db, dfe, { exported: marks, parse: () => marks }, '2000-01-01');
    const pupil = marks[0]!.studentPersonId;
    const all = await attendanceOf(ctx.store.db, dfe);
    const one = await attendanceOf(ctx.store.db, dfe, pupil);
    expect(all).toHaveLength(marks.length);
    expect(one.length).toBeGreaterThan(0);
    expect(await unpackAll(ctx.store.db, 'attendance', 'marks')).toBeGreaterThan(0);
    expect(await attendanceOf(ctx.store.db, dfe)).toEqual(all);
    expect(await attendanceOf(ctx.store.db, dfe, pupil)).toEqual(one);
  });

  it('what is stored of the three reports reads the same from the one document a school as from one a report', async () => {
    const db = ctx.store.db;
    const marks = school.attendance;
    const raw = (r: 'contacts' | 'groups') => ({ exported: school[r], parse: () => school[r] });
    await replaceSchoolRecords(db, dfe, 'contacts', raw('contacts'));
    await replaceSchoolRecords(db, dfe, 'groups', raw('groups'));
    await storeAttendance(db, dfe, { exported: marks, parse: () => marks }, '2000-01-01');
    const read = async () => ({
      contacts: await contactsOf(db, dfe),
      groups: await groupsOf(db, dfe),
      attendance: await attendanceOf(db, dfe),
    });
    const before = await read();
    const stored = await schoolDataState(db, dfe);
    expect(Object.keys(stored).sort()).toEqual(['attendance', 'contacts', 'groups']);
    // as an earlier version kept it: a document a report
    const globals = db.collection<{ _id: string }>('globals');
    await globals.deleteOne({ _id: `data:${dfe}` });
    for (const [report, state] of Object.entries(stored))
      await globals.insertOne({ _id: `data:${dfe}:${report}`, ...state });
    expect(await schoolDataState(db, dfe)).toEqual(stored);
    expect(await read()).toEqual(before);
    // the next write folds them into one, and finds nothing changed
    let parsed = false;
    const unchanged = { exported: school.contacts, parse: () => ((parsed = true), school.contacts) };
    expect(await replaceSchoolRecords(db, dfe, 'contacts', unchanged)).toBe(0);
    expect(parsed).toBe(false);
    expect(await globals.countDocuments({ _id: { $regex: `^data:${dfe}:` } })).toBe(0);
    expect(await schoolDataState(db, dfe)).toEqual(stored);
    expect(await read()).toEqual(before);
  });

  it("a run's outcomes read back the same, packed or plain", async () => {
    const run = (await startRun(ctx.store.db, { dfeNumber: dfe, trigger: 'cli' }))!;
    const outcomes: RecordOutcome[] = [
      { report: 'students', personId: 'P1', outcome: 'created', username: 'amelia.hughes' },
      { report: 'students', personId: 'P2', outcome: 'unchanged', username: 'ben.hughes' },
      { report: 'staff', personId: 'T1', outcome: 'held_for_matching', reason: 'looks like an account elsewhere' },
    ];
    await finishRun(ctx.store.db, run._id, { status: 'succeeded', outcomes, held: [] });
    const packed = await getRun(ctx.store.db, run._id);
    // unchanged outcomes are counted, not kept
    expect(packed?.outcomes?.map((o) => o.personId)).toEqual(['P1', 'T1']);
    const about = await outcomesAbout(ctx.store.db, dfe, { username: 'amelia.hughes' });
    expect(about).toHaveLength(1);
    const stored = await ctx.store.db.collection<RunDetailDoc>('runOutcomes').findOne({ _id: run._id });
    expect(stored!.data).toBeDefined();
    await ctx.store.db
      .collection<RunDetailDoc>('runOutcomes')
      .replaceOne({ _id: run._id }, { outcomes: runDetailOf(stored).outcomes, held: [] });
    expect(await getRun(ctx.store.db, run._id)).toEqual(packed);
    expect(await outcomesAbout(ctx.store.db, dfe, { username: 'amelia.hughes' })).toEqual(about);
  });
});
