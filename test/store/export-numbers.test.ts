// Export numbers: each school's exports numbered one after another by a counter of its own, so saving an export
// never reads the exports of the whole store (on the embedded store, a query by school reads every export kept).
// A store whose exports predate the counter, or whose counter is behind them (a restore), carries on after the last
// export; writers at once each get a number of their own.
import { describe, expect, it } from 'vitest';
import { exportMeta, saveExport } from '../../src/store/exports.js';
import type { ExportFile } from '../../src/domain/records.js';
import { useTestStore, watchCommands } from '../helpers/store.js';

const ctx = useTestStore();

const fileOf = (dfeNumber: string, at = '2026-12-07T18:00:00Z'): ExportFile => ({
  dfeNumber,
  exportedAt: at,
  source: 'integris',
  reports: { students: [] },
  completeness: { students: { totalRecords: 0, pages: 1 } },
});

const counters = () => ctx.store.db.collection<{ _id: string; seq: number }>('globals');

describe('export numbers', () => {
  const { db: watchedDb, seen } = watchCommands();

  it('numbers each school on its own, one after another, without reading the exports once counted', async () => {
    const db = ctx.store.db;
    const a = [];
    for (let i = 0; i < 3; i++) a.push((await saveExport(db, fileOf('8014001'))).seq);
    const b = (await saveExport(db, fileOf('8014002'))).seq;
    expect(a).toEqual([1, 2, 3]);
    expect(b).toBe(1);
    // with the counter there, a save asks nothing of the exports but to insert its own
    const watched = watchedDb(db.databaseName);
    seen.length = 0;
    expect((await saveExport(watched, fileOf('8014001'))).seq).toBe(4);
    expect(seen.filter((e) => e.commandName === 'find' && e.command.find === 'exports')).toEqual([]);
    expect((await exportMeta(db, '8014001'))?.seq).toBe(4);
  });

  it('carries on after the last export when the counter is missing or behind it', async () => {
    const db = ctx.store.db;
    for (let i = 0; i < 3; i++) await saveExport(db, fileOf('8014003'));
    // exports saved before the counter existed
    await counters().deleteOne({ _id: 'exportSeq|8014003' });
    expect((await saveExport(db, fileOf('8014003'))).seq).toBe(4);
    // a counter restored from before the last exports
    await counters().updateOne({ _id: 'exportSeq|8014003' }, { $set: { seq: 1 } });
    expect((await saveExport(db, fileOf('8014003'))).seq).toBe(5);
    expect((await saveExport(db, fileOf('8014003'))).seq).toBe(6);
  });

  it('gives writers at once a number each, the first export of a school included', async () => {
    const db = ctx.store.db;
    const seqs = await Promise.all(Array.from({ length: 6 }, () => saveExport(db, fileOf('8014004'))));
    expect(seqs.map((m) => m.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
