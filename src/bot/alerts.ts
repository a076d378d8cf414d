// Failures said out loud: a school's linked conversations are told when its run fails (with the coded reason and
// what to do), when its exports stop arriving, when its Datashare grant is revoked or a report is no longer shared,
// and when its runs (or all runs) are paused; and told once more when it comes right. Each problem is said once
// (an open alert claims it), not at every retry. Messages go through the outbox, rendered for each platform.
import type { Db } from 'mongodb';
import type { ErrorCode } from '../errors.js';
import { closeAlert, openAlert } from '../store/alerts.js';
import { exportMeta } from '../store/exports.js';
import { getSchool, listSchools } from '../store/schools.js';
import { weekdaysBetween, type IsoDate } from '../domain/dates.js';
import { conversationsOfSchool } from './access.js';
import { messageFor } from './notify.js';
import { enqueue } from './outbox.js';
import type { NoticeView } from './view-model.js';

/** What to do about a failed run, by its coded reason. */
export const ADVICE: Partial<Record<ErrorCode, string>> = {
  integris_auth:
    'Integris refused the service’s credentials: ask the operator to check the Integris client id and secret.',
  integris_unavailable:
    'Integris did not answer. The service retries on its own and again tonight; if this lasts, tell the operator.',
  integris_forbidden: 'Integris refused the export for this school: check the school’s Datashare grant in Integris.',
  integris_access_revoked:
    'Integris says the school’s Datashare access was withdrawn: grant it again in Integris to resume.',
  export_incomplete: 'Integris sent an incomplete export. The service retries; nothing was unallocated.',
  payload_invalid: 'The export from Integris could not be read: tell the operator (the run log names the problem).',
  store_timeout: 'The account store stopped answering; nothing was left half done. The service retries on its own.',
  store_unavailable: 'The account store could not be reached; nothing was changed. The service retries on its own.',
  run_interrupted: 'The service restarted during the run; it is picked up again on its own.',
  school_paused: 'Runs for this school are paused: the operator can resume them.',
};
const DEFAULT_ADVICE = 'Something went wrong in the service: tell the operator, giving the school’s DfE number.';

type Notice = Pick<NoticeView, 'tone' | 'title' | 'detail'>;

/** Queues a notice for each of the school's linked conversations, once per key. */
async function say(db: Db, dfeNumber: string, key: string, notice: Notice): Promise<number> {
  const links = await conversationsOfSchool(db, dfeNumber);
  if (links.length === 0) return 0;
  const school = await getSchool(db, dfeNumber);
  const view: NoticeView = { kind: 'notice', dfeNumber, schoolName: school?.name ?? dfeNumber, ...notice };
  let queued = 0;
  for (const link of links) {
    if (
      await enqueue(
        db,
        `notice:${key}:${link._id}`,
        { platform: link.platform, workspace: link.workspace, conversation: link.conversation },
        messageFor(link.platform, view),
      )
    )
      queued++;
  }
  return queued;
}

/** Opens an alert and says so, once per episode; returns the messages queued. */
async function raise(db: Db, dfeNumber: string, kind: string, notice: Notice, code?: string): Promise<number> {
  const opened = await openAlert(db, dfeNumber, kind, code);
  return opened ? say(db, dfeNumber, `${kind}:${opened.openedAt.getTime()}`, notice) : 0;
}

/** Closes an alert and says it came right, once; returns the messages queued. */
async function settle(db: Db, dfeNumber: string, kind: string, notice: Notice): Promise<number> {
  const closed = await closeAlert(db, dfeNumber, kind);
  return closed ? say(db, dfeNumber, `${kind}:ended:${closed.openedAt.getTime()}`, notice) : 0;
}

export function runFailed(db: Db, dfeNumber: string, code: ErrorCode): Promise<number> {
  return raise(
    db,
    dfeNumber,
    'run_failed',
    { tone: 'problem', title: `the run failed (${code})`, detail: ADVICE[code] ?? DEFAULT_ADVICE },
    code,
  );
}

/** A run finished: a failure or missing exports said before are said to be over. */
export async function runSucceeded(db: Db, dfeNumber: string): Promise<number> {
  return (
    (await settle(db, dfeNumber, 'run_failed', {
      tone: 'recovered',
      title: 'runs are working again',
      detail: 'The latest run finished; accounts are in step with the MIS again.',
    })) +
    (await settle(db, dfeNumber, 'no_export', {
      tone: 'recovered',
      title: 'exports are arriving again',
      detail: 'An export from Integris arrived and was processed.',
    }))
  );
}

export function grantRevoked(db: Db, dfeNumber: string, eraseOn?: string): Promise<number> {
  return raise(
    db,
    dfeNumber,
    'grant_revoked',
    {
      tone: 'problem',
      title: 'Integris Datashare access was withdrawn',
      detail: `Nightly runs have stopped and accounts are unchanged. Runs resume when the school grants access again in Integris.${eraseOn ? ` Unless access is granted again before ${eraseOn}, on that day the school's stored contacts, groups, attendance and export files are erased and its accounts leave it as leavers do (held for the head's approval where there are many).` : ''}`,
    },
    eraseOn,
  );
}

export function grantRestored(db: Db, dfeNumber: string): Promise<number> {
  return settle(db, dfeNumber, 'grant_revoked', {
    tone: 'recovered',
    title: 'Integris Datashare access was granted again',
    detail: 'Nightly runs resume at the school’s export time. Nothing will be erased.',
  });
}

/** Reports the school no longer shares (said once each), and reports shared again. */
export async function reportsChanged(
  db: Db,
  dfeNumber: string,
  change: { unshared: readonly string[]; shared: readonly string[] },
  eraseOn?: string,
): Promise<number> {
  let queued = 0;
  for (const report of change.unshared)
    queued += await raise(
      db,
      dfeNumber,
      `report_unshared:${report}`,
      {
        tone: 'problem',
        title: `the ${report} report is no longer shared`,
        detail: `The school stopped sharing ${report} in Integris Datashare: the service no longer reads it. Share it again in Integris if that was not meant.${eraseOn ? ` Otherwise the ${report} data stored for the school is erased on ${eraseOn}.` : ''}`,
      },
      eraseOn ?? report,
    );
  for (const report of change.shared)
    queued += await settle(db, dfeNumber, `report_unshared:${report}`, {
      tone: 'recovered',
      title: `the ${report} report is shared again`,
      detail: 'The next run reads it again.',
    });
  return queued;
}

/** A school's runs, or every school's (no DfE number), paused or resumed. */
export async function pauseChanged(
  db: Db,
  scope: { dfeNumber?: string },
  paused: boolean,
  reason?: string,
): Promise<number> {
  const kind = scope.dfeNumber ? 'school_paused' : 'service_paused';
  const schools = scope.dfeNumber ? [scope.dfeNumber] : (await listSchools(db)).map((s) => s.dfeNumber);
  const who = scope.dfeNumber ? 'Runs for this school' : 'All schools’ runs';
  let queued = 0;
  for (const dfeNumber of schools) {
    queued += paused
      ? await raise(db, dfeNumber, kind, {
          tone: 'info',
          title: `${who.toLowerCase()} are paused`,
          detail: `${who} are paused by the operator${reason ? `: ${reason}` : ''}. Accounts are unchanged until they resume.`,
        })
      : await settle(db, dfeNumber, kind, {
          tone: 'recovered',
          title: `${who.toLowerCase()} resumed`,
          detail: 'Nightly runs go ahead again at the school’s export time.',
        });
  }
  return queued;
}

/**
 * Schools whose exports stopped arriving: granted and not paused, with no export on the last two school days or
 * more. Checked each morning; said once until an export is processed again.
 */
export async function checkExportsArriving(db: Db, today: IsoDate): Promise<number> {
  let queued = 0;
  for (const school of await listSchools(db)) {
    if (school.grant.state !== 'granted' || school.settings.paused) continue;
    const last = (await exportMeta(db, school.dfeNumber))?.exportedAt ?? school.grant.grantedAt;
    if (!last) continue;
    const missed = weekdaysBetween(last.slice(0, 10), today);
    if (missed >= 2)
      queued += await raise(db, school.dfeNumber, 'no_export', {
        tone: 'problem',
        title: `no export from Integris for ${missed} school days`,
        detail: `The last export arrived on ${last.slice(0, 10)}. Check in Integris that Datashare still runs for this school; the operator can see the schedule with \`uso status\`.`,
      });
  }
  return queued;
}

/** A school that accepts no report yet: its head is asked to choose (once, until one is accepted). */
export function nothingAccepted(db: Db, dfeNumber: string): Promise<number> {
  return raise(db, dfeNumber, 'no_reports', {
    tone: 'info',
    title: 'no report is accepted yet',
    detail:
      'The school shares reports in Integris Datashare, but none is accepted here, so nothing is read. The school’s head chooses which with `/uso settings` in Slack or `settings` in Teams.',
  });
}

/** Reports were accepted: the question is settled. */
export function reportsAccepted(db: Db, dfeNumber: string): Promise<number> {
  return settle(db, dfeNumber, 'no_reports', {
    tone: 'recovered',
    title: 'reports accepted',
    detail: 'The next run reads them.',
  });
}
