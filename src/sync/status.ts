// What an admin asks first: per school, the last processed export and run, open matches, held changes.
import type { Db } from 'mongodb';
import { lastProcessedExport } from '../store/exports.js';
import { openMatches } from '../store/matches.js';
import { heldDecisionCount } from '../store/heldDecisions.js';
import { lastRun, runsWithPendingHeld } from '../store/runs.js';
import { getSchool, globalPause, listSchools } from '../store/schools.js';

export interface SchoolStatus {
  dfeNumber: string;
  name: string;
  paused: boolean;
  grant: string;
  lastExport?: { seq: number; exportedAt: string; processedAt?: string };
  lastRun?: {
    runId: string;
    status: string;
    trigger: string;
    startedAt: string;
    counts?: Record<string, number>;
    error?: string;
    note?: string;
  };
  openMatches: number;
  heldChanges: { runId: string; count: number }[];
}

export async function schoolStatus(
  db: Db,
  /** One school, some (each read by its DfE number: a contact of one school reads one), or every school. */
  which?: string | readonly string[],
): Promise<{ paused: boolean; pauseReason?: string; schools: SchoolStatus[] }> {
  const pause = await globalPause(db);
  const schools =
    which === undefined
      ? await listSchools(db)
      : (await Promise.all([which].flat().map((dfe) => getSchool(db, dfe)))).filter((s) => s !== undefined);
  const out: SchoolStatus[] = [];
  for (const school of schools) {
    const [exp, run, matches, held] = await Promise.all([
      lastProcessedExport(db, school.dfeNumber),
      lastRun(db, school.dfeNumber),
      openMatches(db, school.dfeNumber),
      runsWithPendingHeld(db, school.dfeNumber),
    ]);
    out.push({
      dfeNumber: school.dfeNumber,
      name: school.name,
      paused: school.settings.paused,
      grant: school.grant.state,
      ...(exp
        ? { lastExport: { seq: exp.seq, exportedAt: exp.exportedAt, processedAt: exp.processedAt?.toISOString() } }
        : {}),
      ...(run
        ? {
            lastRun: {
              runId: run._id,
              status: run.status,
              trigger: run.trigger,
              startedAt: run.startedAt.toISOString(),
              ...(run.counts
                ? {
                    counts: Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n)) as Record<
                      string,
                      number
                    >,
                  }
                : {}),
              ...(run.error ? { error: `${run.error.code}: ${run.error.message}` } : {}),
              ...(run.note ? { note: run.note } : {}),
            },
          }
        : {}),
      openMatches: matches.length,
      heldChanges: await Promise.all(
        held.map(async (r) => ({
          runId: r._id,
          count:
            (r.counts?.held_unallocation ?? 0) + (r.counts?.held_update ?? 0) - (await heldDecisionCount(db, r._id)),
        })),
      ),
    });
  }
  return { paused: pause.paused, ...(pause.reason ? { pauseReason: pause.reason } : {}), schools: out };
}
