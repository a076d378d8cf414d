// A school's contacts, groups and attendance are stored at once by a run; what each keeps of its state must survive
// the others' writes on the embedded store, which applies a `$set` by rewriting the whole document it read.
import { describe, expect, it } from 'vitest';
import {
  attendanceOf,
  contactsOf,
  groupsOf,
  replaceSchoolRecords,
  schoolDataState,
  storeAttendance,
} from '../../src/store/schoolData.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 5, schools: 12, sizeFactor: 0.05 });

describe("a school's own data, stored at once", () => {
  it('keeps every report stored when contacts, groups and attendance are written together, school after school', async () => {
    const db = ctx.store.db;
    const records = <T>(list: readonly T[]) => ({ exported: list as readonly unknown[], parse: () => list });
    await Promise.all(
      la.schools.map(async (s) => {
        const stored = await schoolDataState(db, s.dfeNumber, { fold: true });
        await Promise.all([
          replaceSchoolRecords(db, s.dfeNumber, 'contacts', records(s.contacts), stored),
          replaceSchoolRecords(db, s.dfeNumber, 'groups', records(s.groups), stored),
          storeAttendance(db, s.dfeNumber, records(s.attendance), '2000-01-01', stored),
        ]);
      }),
    );
    for (const s of la.schools) {
      expect((await contactsOf(db, s.dfeNumber)).length, s.dfeNumber).toBe(s.contacts.length);
      expect((await groupsOf(db, s.dfeNumber)).length, s.dfeNumber).toBe(s.groups.length);
      expect((await attendanceOf(db, s.dfeNumber)).length, s.dfeNumber).toBe(s.attendance.length);
    }
  });
});
