// The `uso` commands. Each parses its arguments with zod, calls the same store and sync functions the service
// and chat use, and returns both a human rendering and a JSON value.
import { z } from 'zod';
import type { Command, CliContext } from './command.js';
import type { Db } from 'mongodb';
import { UsoError, asUsoError } from '../errors.js';
import { insertAccountsReporting } from '../store/accounts.js';
import { openMatches } from '../store/matches.js';
import { getRun } from '../store/runs.js';
import {
  addSubscriber,
  getSubscriber,
  listSubscribers,
  OPTIONAL_FIELDS,
  resumeSubscriber,
  revokeSubscriber,
  rotateApiKey,
  rotateSecret,
} from '../store/subscribers.js';
import { queueState } from '../store/deliveries.js';
import { addExclusion, listExclusions, removeExclusion } from '../store/exclusions.js';
import { getSchool, listSchools, setGlobalPause, updateSchool, upsertSchool } from '../store/schools.js';
import { audit, auditEntries } from '../store/audit.js';
import { nonMisAccounts, unallocatedAccounts } from '../sync/admin.js';
import {
  alerts,
  approveHeldChanges,
  listHeld,
  listInvalid,
  listNewAccounts,
  newAccountsCsv,
  who,
  createLinkCode,
  createNew,
  exclude,
  grantRole,
  match,
  rejectHeldChanges,
  restore,
  type Actor,
} from '../bot/index.js';
import { createLogger } from '../log.js';
import { integrisClient } from '../connections.js';
import { dfeNumberSchema as dfe, exportFileSchema, reportNameSchema } from '../domain/records.js';
import { mergeSettings, newAccount, type Account } from '../domain/model.js';
import { syncSchool, type RunSummary } from '../sync/process.js';
import { schoolStatus } from '../sync/status.js';
import { recoverInterruptedRuns } from '../sync/recovery.js';
import { unmatchPerson, unrestoreAccount } from '../sync/corrections.js';
import { checkStore, repairStore } from '../sync/doctor.js';
import { checkDestinationUrl, resolveDestination } from '../sync/destinations.js';
import { schoolsOfViolation, VIOLATION_WORDS } from '../domain/invariants.js';
import { requestAccount } from '../sync/school-admin.js';
import { todayIn } from '../domain/dates.js';
import { runRetention } from '../sync/retention.js';
import { describeShare, preApprove } from '../sync/sharing.js';
import { announcePreApproval } from '../bot/sharing-actions.js';
import { findSubject, subjectAccessReport } from '../sync/subject-access.js';
import { erasePerson } from '../sync/erasure.js';
import { writeFileSync } from 'node:fs';
import { accountLineSchema, readInput, readJsonInput, schoolImportSchema } from './inputs.js';
import { progressBar } from './progress.js';
import { table } from './table.js';
import { sharingCommands } from './sharing-commands.js';

const isoDay = z.iso.date('expected a date YYYY-MM-DD');

const accountRow = (a: Account, dfeNumber: string) => {
  const here = a.associations.find((x) => x.dfeNumber === dfeNumber);
  return [
    a.username,
    a.kind,
    `${a.preferredForename ?? a.legalForename} ${a.preferredSurname ?? a.legalSurname}`,
    here?.status ?? '',
    here?.until ?? '',
  ];
};

/** A command listing a school's accounts of one kind (unallocated, not in the MIS) as a table or JSON. */
function accountList(
  usage: string,
  summary: string,
  list: (db: Db, dfeNumber: string) => Promise<Account[]>,
  lastColumn: string,
): Command {
  return {
    usage,
    summary,
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const accounts = await list((await ctx.store()).db, dfeNumber);
      return {
        human:
          table([
            ['USERNAME', 'KIND', 'NAME', 'STATUS', lastColumn],
            ...accounts.map((a) => accountRow(a, dfeNumber)),
          ]) || 'None.',
        json: accounts,
      };
    },
  };
}

function runHuman(r: RunSummary): string {
  const counts = Object.entries(r.counts)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${r.dfeNumber}: run ${r.runId || '-'} ${r.status}${r.exportSeq ? ` (export #${r.exportSeq})` : ''}${counts ? `: ${counts}` : ''}${r.note ? `\n  note: ${r.note}` : ''}`;
}

/** The operator at the command line: the CLI may act for every school. */
const cliActor = (ctx: CliContext): Actor => ({
  platform: 'cli',
  userId: ctx.actor.replace(/^cli:/, ''),
  displayName: ctx.actor,
});

/** `--pupils` or `--staff`: one kind of person only. */
function kindFilter(values: Record<string, unknown>): 'pupil' | 'staff' | undefined {
  if (values.pupils && values.staff) throw new UsoError('usage', 'give --pupils or --staff, not both');
  return values.pupils ? 'pupil' : values.staff ? 'staff' : undefined;
}

/** `--only a,b`: the named usernames, or undefined for all. */
function onlyList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = z
    .string()
    .parse(value)
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsoError('usage', '--only needs at least one USERNAME');
  return list;
}

async function getRunOrThrow(db: Db, runId: string) {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  return run;
}

/** How many rejected lines a human-readable answer lists before it only counts them. */
const MAX_LISTED = 20;

export const commands: Record<string, Command> = {
  ...sharingCommands,
  'link-code': {
    usage: 'link-code DFE',
    summary: 'Print a one-time code that links a Slack channel or Teams conversation to the school (/uso link CODE)',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const code = await createLinkCode((await ctx.store()).db, dfeNumber, cliActor(ctx));
      return {
        human: `Link code for ${dfeNumber}: ${code} (valid for 24 hours, once). In the channel: /uso link ${code}`,
        json: { dfeNumber, code },
      };
    },
  },
  'admins add': {
    usage: 'admins add DFE slack:TEAM:USER|teams:TENANT:USER --role head|contact|la',
    summary: 'Give a chat user a role at a school (la: every school of its local authority)',
    options: { role: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const who = z
        .string({ error: 'the chat user is required' })
        .regex(/^(slack|teams):[^:\s]+(:\S+)?$/, 'expected slack:TEAM:USER or teams:TENANT:USER')
        .parse(positionals[1]);
      const role = z
        .enum(['head', 'contact', 'la'], { error: 'expected --role head, contact or la' })
        .parse(values.role);
      await grantRole((await ctx.store()).db, cliActor(ctx), dfeNumber, who, role);
      return { human: `${who} is now ${role} at ${dfeNumber}.`, json: { dfeNumber, actor: who, role } };
    },
  },
  'schools import': {
    usage: 'schools import FILE   (a JSON array of {dfeNumber, name, laCode, acceptedReports, settings?})',
    summary: 'Create or update schools from a file',
    async run(ctx, { positionals }) {
      const file = z.string({ error: 'FILE is required' }).parse(positionals[0]);
      const schools = schoolImportSchema.parse(readJsonInput(file));
      const { db } = await ctx.store();
      for (const s of schools) await upsertSchool(db, s);
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'schools.imported',
        detail: `${schools.length} schools`,
      });
      return { human: `Imported ${schools.length} schools.`, json: { imported: schools.length } };
    },
  },
  'schools list': {
    usage: 'schools list',
    summary: 'List schools with their accepted reports and settings',
    async run(ctx) {
      const schools = await listSchools((await ctx.store()).db);
      return {
        human:
          table([
            ['DFE', 'NAME', 'LA', 'REPORTS', 'PAUSED'],
            ...schools.map((s) => [
              s.dfeNumber,
              s.name,
              s.laCode,
              s.acceptedReports.join(','),
              s.settings.paused ? 'yes' : '',
            ]),
          ]) || 'No schools yet.',
        json: schools,
      };
    },
  },
  'schools set': {
    usage:
      'schools set DFE [--accepted-reports students,staff,...] [--unallocation-threshold PCT] [--held-min N] [--update-threshold PCT] [--grace-days N] [--pre-provision-days N] [--username-from preferred|legal] [--export-time HH:MM] [--pause | --resume]',
    summary: "Change a school's accepted reports, thresholds, lifecycle settings or pause",
    options: {
      'accepted-reports': { type: 'string' },
      'unallocation-threshold': { type: 'string' },
      'held-min': { type: 'string' },
      'unallocation-min': { type: 'string' }, // the earlier name of --held-min
      'update-threshold': { type: 'string' },
      'grace-days': { type: 'string' },
      'pre-provision-days': { type: 'string' },
      'username-from': { type: 'string' },
      'export-time': { type: 'string' },
      pause: { type: 'boolean' },
      resume: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const v = z
        .object({
          'accepted-reports': z
            .string()
            .transform((s) => s.split(','))
            .pipe(z.array(reportNameSchema))
            .optional(),
          'unallocation-threshold': z.coerce.number().min(0).max(100).optional(),
          'held-min': z.coerce.number().int().min(0).optional(),
          'unallocation-min': z.coerce.number().int().min(0).optional(),
          'update-threshold': z.coerce.number().min(0).max(100).optional(),
          'grace-days': z.coerce.number().int().min(0).max(60).optional(),
          'pre-provision-days': z.coerce.number().int().min(0).max(60).optional(),
          'username-from': z.enum(['preferred', 'legal']).optional(),
          'export-time': z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
            .optional(),
          pause: z.boolean().optional(),
          resume: z.boolean().optional(),
        })
        .refine((x) => !(x.pause && x.resume), 'give --pause or --resume, not both')
        .parse(values);
      const { db } = await ctx.store();
      const school = await getSchool(db, dfeNumber);
      if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
      const settings = mergeSettings({
        ...school.settings,
        ...(v['unallocation-threshold'] !== undefined
          ? { unallocationThresholdPercent: v['unallocation-threshold'] }
          : {}),
        ...((v['held-min'] ?? v['unallocation-min']) !== undefined
          ? { heldChangesMin: v['held-min'] ?? v['unallocation-min'] }
          : {}),
        ...(v['update-threshold'] !== undefined ? { updateThresholdPercent: v['update-threshold'] } : {}),
        ...(v['grace-days'] !== undefined ? { graceDays: v['grace-days'] } : {}),
        ...(v['pre-provision-days'] !== undefined ? { preProvisionDays: v['pre-provision-days'] } : {}),
        ...(v['username-from'] ? { usernameFrom: v['username-from'] } : {}),
        ...(v['export-time'] ? { exportTime: v['export-time'] } : {}),
        ...(v.pause ? { paused: true } : v.resume ? { paused: false } : {}),
      });
      await updateSchool(db, dfeNumber, {
        settings,
        ...(v['accepted-reports'] ? { acceptedReports: v['accepted-reports'] } : {}),
      });
      if (v.pause || v.resume) await alerts.pauseChanged(db, { dfeNumber }, v.pause === true);
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'school.settings',
        dfeNumber,
        detail: Object.keys(values)
          .filter((k) => k !== 'json')
          .join(','),
      });
      return {
        human: `Updated ${dfeNumber}.`,
        json: { dfeNumber, settings, acceptedReports: v['accepted-reports'] ?? school.acceptedReports },
      };
    },
  },
  'schools set-mis': {
    usage: 'schools set-mis DFE MIS   (e.g. integris)',
    summary: 'Record that a school changed MIS: its first export then re-keys accounts instead of churning them',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const mis = z.string({ error: 'MIS is required' }).min(2).toLowerCase().parse(positionals[1]);
      const { db } = await ctx.store();
      const school = await getSchool(db, dfeNumber);
      if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
      if (school.mis === mis)
        return { human: `${dfeNumber} already uses ${mis}.`, json: { dfeNumber, mis, changed: false } };
      await updateSchool(db, dfeNumber, { mis, misChangePending: { from: school.mis, at: new Date().toISOString() } });
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'school.mis_changed',
        dfeNumber,
        detail: `${school.mis} -> ${mis}`,
      });
      return {
        human: `${dfeNumber} now uses ${mis} (was ${school.mis}); its next export re-keys accounts.`,
        json: { dfeNumber, mis, from: school.mis, changed: true },
      };
    },
  },
  'accounts import': {
    usage:
      'accounts import FILE   (JSON Lines of {username, kind, legalForename, legalSurname, ..., associations: [{dfeNumber, role?, source, misPersonId?}]})',
    summary: 'Migrate existing accounts in; bad lines are reported and skipped',
    async run(ctx, { positionals }) {
      const file = z.string({ error: 'FILE is required' }).parse(positionals[0]);
      const { db } = await ctx.store();
      const schools = new Map((await listSchools(db)).map((s) => [s.dfeNumber, s]));
      const errors: { line: number; reason: string }[] = [];
      const accounts: Account[] = [];
      const lineOf: number[] = [];
      const now = new Date().toISOString();
      const lines = readInput(file).split('\n');
      const progress = progressBar(lines.length, !ctx.json);
      lines.forEach((text, i) => {
        progress.tick();
        if (!text.trim()) return;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          errors.push({ line: i + 1, reason: 'not valid JSON' });
          return;
        }
        const parsed = accountLineSchema.safeParse(raw);
        if (!parsed.success) {
          errors.push({
            line: i + 1,
            reason: parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '),
          });
          return;
        }
        const { associations, username, ...fields } = parsed.data;
        const unknown = associations.find((x) => !schools.has(x.dfeNumber));
        if (unknown) {
          errors.push({ line: i + 1, reason: `school ${unknown.dfeNumber} is not known` });
          return;
        }
        lineOf.push(i + 1);
        const made = associations.map((x) => ({
          dfeNumber: x.dfeNumber,
          laCode: schools.get(x.dfeNumber)!.laCode,
          role: x.role ?? fields.kind,
          status: 'active' as const,
          source: x.source,
          ...(x.misPersonId ? { misPersonId: x.misPersonId } : {}),
          since: now.slice(0, 10),
        }));
        accounts.push({ ...newAccount(fields, made, now), username });
      });
      progress.done();
      const stored = await insertAccountsReporting(db, accounts);
      for (const f of stored.failed)
        errors.push({ line: lineOf[f.index]!, reason: `${accounts[f.index]!.username}: ${f.reason}` });
      errors.sort((a, b) => a.line - b.line);
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'accounts.imported',
        detail: `${stored.inserted} imported, ${errors.length} rejected`,
      });
      // junk input must not flood the terminal: the first rejections are listed, the rest counted
      const shown = errors.slice(0, MAX_LISTED);
      const human = [
        `Imported ${stored.inserted} accounts${errors.length ? `; rejected ${errors.length}` : ''}.`,
        ...shown.map((e) => `  line ${e.line}: ${e.reason}`),
        ...(errors.length > shown.length
          ? [`  ... and ${errors.length - shown.length} more (use --json for all)`]
          : []),
      ].join('\n');
      return { human, json: { imported: stored.inserted, rejected: errors } };
    },
  },
  sync: {
    usage: 'sync DFE|--all [--file EXPORT.json] [--dry-run] [--today YYYY-MM-DD]',
    summary: 'Export a school from Integris (or take an export file) and process it now',
    options: {
      file: { type: 'string' },
      'dry-run': { type: 'boolean' },
      today: { type: 'string' },
      all: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({
          file: z.string().optional(),
          'dry-run': z.boolean().optional(),
          today: isoDay.optional(),
          all: z.boolean().optional(),
        })
        .parse(values);
      const { db } = await ctx.store();
      const targets = v.all ? (await listSchools(db)).map((s) => s.dfeNumber) : [dfe.parse(positionals[0])];
      if (v.all && v.file) throw new UsoError('usage', '--file goes with one school, not --all');
      const file = v.file ? exportFileSchema.parse(readJsonInput(v.file)) : undefined;
      const logger = createLogger({ level: 'silent', pretty: false });
      const deps = { db, logger, integris: integrisClient(ctx.config, logger), timeZone: ctx.config.TZ };
      const progress = progressBar(targets.length, !ctx.json && targets.length > 1);
      const runs: (RunSummary | { dfeNumber: string; status: 'failed'; error: { code: string; message: string } })[] =
        [];
      for (const dfeNumber of targets) {
        try {
          runs.push(
            await syncSchool({ ...deps, signal: ctx.signal }, dfeNumber, {
              trigger: v.file ? 'file' : 'cli',
              dryRun: v['dry-run'],
              today: v.today,
              file,
            }),
          );
        } catch (err) {
          // one school's failure is that school's (recorded as a failed run); --all carries on with the rest
          const e = asUsoError(err);
          if (!v.all || e.code === 'run_interrupted') throw e;
          runs.push({ dfeNumber, status: 'failed', error: { code: e.code, message: e.message } });
        }
        progress.tick(dfeNumber);
      }
      progress.done();
      const json = runs.map((r) =>
        'runId' in r
          ? {
              runId: r.runId,
              dfeNumber: r.dfeNumber,
              status: r.status,
              counts: r.counts,
              outcomes: r.outcomes,
              ...(r.note ? { note: r.note } : {}),
            }
          : r,
      );
      const human = runs
        .map((r) => ('runId' in r ? runHuman(r) : `${r.dfeNumber}: failed (${r.error.code}): ${r.error.message}`))
        .join('\n');
      const failed = runs.filter((r) => r.status === 'failed').length;
      if (failed && v.all) return { human: `${human}\n${failed} of ${runs.length} schools failed.`, json, exitCode: 1 };
      return { human, json: v.all ? json : json[0] };
    },
  },
  audit: {
    usage: 'audit [--school DFE] [--user USERNAME] [--actor ID] [--since YYYY-MM-DD] [--before TIMESTAMP] [--limit N]',
    summary: 'Who changed what, and when: the audit, newest first, a page at a time',
    options: {
      school: { type: 'string' },
      user: { type: 'string' },
      actor: { type: 'string' },
      since: { type: 'string' },
      before: { type: 'string' },
      limit: { type: 'string' },
    },
    async run(ctx, { values }) {
      const v = z
        .object({
          school: dfe.optional(),
          user: z.string().min(1).optional(),
          actor: z.string().min(1).optional(),
          since: isoDay.optional(),
          before: z.iso.datetime({ offset: true }).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        })
        .parse(values);
      const { db } = await ctx.store();
      const entries = await auditEntries(
        db,
        {
          ...(v.school ? { dfeNumber: v.school } : {}),
          ...(v.user ? { username: v.user } : {}),
          ...(v.actor ? { actor: v.actor } : {}),
          ...(v.since ? { since: new Date(`${v.since}T00:00:00Z`) } : {}),
          ...(v.before ? { before: new Date(v.before) } : {}),
        },
        v.limit,
      );
      const next = entries.length === v.limit ? entries.at(-1)!.at.toISOString() : undefined;
      const rows = [
        ['AT', 'ACTOR', 'ACTION', 'SCHOOL', 'USERNAME', 'DETAIL'],
        ...entries.map((e) => [
          e.at.toISOString().slice(0, 19),
          e.actor,
          e.action,
          e.dfeNumber ?? '',
          e.username ?? '',
          (e.detail ?? '').slice(0, 80),
        ]),
      ];
      const human = entries.length ? `${table(rows)}${next ? `\nMore: --before ${next}` : ''}` : 'No entries.';
      return { human, json: { entries, ...(next ? { next: { before: next } } : {}) } };
    },
  },
  'person export': {
    usage: 'person export (USERNAME | --school DFE --person MIS_ID) [--out FILE]',
    summary: 'Subject access: everything held about one person, as one JSON document (to FILE, or printed)',
    options: { school: { type: 'string' }, person: { type: 'string' }, out: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({ school: dfe.optional(), person: z.string().min(1).optional(), out: z.string().min(1).optional() })
        .parse(values);
      const { db } = await ctx.store();
      const account = await findSubject(db, {
        ...(positionals[0] ? { username: positionals[0] } : {}),
        ...(v.school ? { dfeNumber: v.school } : {}),
        ...(v.person ? { personId: v.person } : {}),
      });
      const report = await subjectAccessReport(db, account, ctx.actor);
      const text = `${JSON.stringify(report, null, 2)}\n`;
      if (v.out) writeFileSync(v.out, text, { mode: 0o600 });
      const records = report.schools.reduce((n, s) => n + s.misRecords.length, 0);
      const summary = `${account.username}: ${report.schools.length} school(s), ${records} MIS record(s), ${report.audit.length} audit entries`;
      return {
        human: v.out ? `${summary}; written to ${v.out}` : text.trimEnd(),
        json: v.out ? { username: account.username, out: v.out } : report,
      };
    },
  },
  'person erase': {
    usage: 'person erase (USERNAME | --school DFE --person MIS_ID) [--and-exclude]',
    summary:
      "Erasure: remove everything held about one person, leaving an audit tombstone; refused while a school's current MIS export lists them, unless --and-exclude also puts the name on that school's exclusion list",
    options: { school: { type: 'string' }, person: { type: 'string' }, 'and-exclude': { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({ school: dfe.optional(), person: z.string().min(1).optional(), 'and-exclude': z.boolean().optional() })
        .parse(values);
      const { db } = await ctx.store();
      const account = await findSubject(db, {
        ...(positionals[0] ? { username: positionals[0] } : {}),
        ...(v.school ? { dfeNumber: v.school } : {}),
        ...(v.person ? { personId: v.person } : {}),
      });
      const report = await erasePerson(db, account, ctx.actor, { andExclude: v['and-exclude'] === true });
      const r = report.removed;
      return {
        human: `Erased ${report.username} (${report.schools.join(', ')}): account ${r.account}, export chunks ${r.exportChunks}, school data ${r.schoolData}, run records ${r.runOutcomes}, matches and decisions ${r.matches}, audit entries ${r.audit}${report.excludedAt.length ? `; name excluded at ${report.excludedAt.join(', ')}` : ''}. An audit tombstone records the erasure.`,
        json: report,
      };
    },
  },
  doctor: {
    usage: 'doctor [--fix]',
    summary:
      'Check every account against one person, one account (a UPN on two accounts, an account with two MIS persons of a school, an MIS person on two accounts, an unaudited write); --fix merges or holds them, audited',
    options: { fix: { type: 'boolean' } },
    async run(ctx, { values }) {
      const v = z.object({ fix: z.boolean().optional() }).parse(values);
      const { db } = await ctx.store();
      const found = await checkStore(db);
      const repairs = v.fix ? await repairStore(db, ctx.actor, found.violations) : [];
      const left = v.fix ? await checkStore(db) : found;
      const lines = [
        `${found.accounts} accounts checked: ${found.violations.length} problem(s) of identity, ${found.unaudited.length} account(s) whose last change is not audited.`,
        ...found.violations.map(
          (x) => `- ${VIOLATION_WORDS[x.kind]}: ${x.usernames.join(', ')} (${schoolsOfViolation(x).join(', ')})`,
        ),
        ...(found.unaudited.length ? [`- not audited: ${found.unaudited.slice(0, 20).join(', ')}`] : []),
        ...repairs.map((r) => `${r.action}: ${r.detail}`),
        ...(v.fix ? [`${left.violations.length} problem(s) left.`] : []),
        ...(!v.fix && found.violations.length ? ['Run `uso doctor --fix` to merge or hold them.'] : []),
      ];
      return {
        human: lines.join('\n'),
        json: { ...found, repairs, ...(v.fix ? { left: left.violations } : {}) },
        ...(left.violations.length ? { exitCode: 1 } : {}),
      };
    },
  },
  retention: {
    usage: 'retention [--dry-run]',
    summary:
      'Remove what is kept no longer than needed (old export files, old run outcomes, finished bookkeeping), now',
    options: { 'dry-run': { type: 'boolean' } },
    async run(ctx, { values }) {
      const v = z.object({ 'dry-run': z.boolean().optional() }).parse(values);
      const { db } = await ctx.store();
      const report = await runRetention(
        db,
        {
          exportKeepNights: ctx.config.EXPORT_KEEP_NIGHTS,
          runOutcomeKeepDays: ctx.config.RUN_OUTCOME_KEEP_DAYS,
          revokeGraceDays: ctx.config.REVOKE_GRACE_DAYS,
        },
        { dryRun: v['dry-run'] === true, actor: ctx.actor },
      );
      const rows = [
        ['KIND', report.dryRun ? 'WOULD REMOVE' : 'REMOVED'],
        ['export files', String(report.exports)],
        ['export files never processed', String(report.unprocessedExports)],
        ['run outcomes', String(report.runOutcomes)],
        ['sent chat messages', String(report.sentMessages)],
        ['link codes', String(report.linkCodes)],
        ['webhook event ids', String(report.webhookEventIds)],
      ];
      return { human: table(rows), json: report };
    },
  },
  status: {
    usage: 'status [DFE]',
    summary: 'Last processed export and run per school, open matches, held changes',
    async run(ctx, { positionals }) {
      const dfeNumber = positionals[0] ? dfe.parse(positionals[0]) : undefined;
      const { db } = await ctx.store();
      // a run whose process died shows as failed (interrupted), not as running for ever
      await recoverInterruptedRuns(
        db,
        createLogger({ level: 'silent', pretty: false }),
        dfeNumber ? { dfeNumber } : {},
      );
      const status = await schoolStatus(db, dfeNumber);
      const rows = status.schools.map((s) => [
        s.dfeNumber,
        s.name,
        s.lastExport ? `#${s.lastExport.seq} ${s.lastExport.exportedAt.slice(0, 16)}` : '-',
        s.lastRun ? `${s.lastRun.status}${s.lastRun.error ? ` (${s.lastRun.error})` : ''}` : '-',
        String(s.openMatches),
        String(s.heldChanges.reduce((n, h) => n + h.count, 0)),
        s.paused ? 'paused' : '',
      ]);
      const head = status.paused ? `All runs are paused${status.pauseReason ? `: ${status.pauseReason}` : ''}.\n` : '';
      return {
        human:
          head +
          (rows.length
            ? table([['DFE', 'SCHOOL', 'LAST EXPORT', 'LAST RUN', 'MATCHES', 'HELD', ''], ...rows])
            : 'No schools yet.'),
        json: status,
      };
    },
  },
  matches: {
    usage: 'matches DFE',
    summary: 'People held for matching, with their candidate accounts and why',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const open = await openMatches((await ctx.store()).db, dfeNumber);
      const human = open.length
        ? open
            .map(
              (m) =>
                `${m.misPersonId}  ${m.person.legalForename} ${m.person.legalSurname}\n${m.candidates.map((c) => `    -> ${c.username} (${c.score.toFixed(2)}): ${c.reasons.join('; ')}`).join('\n')}`,
            )
            .join('\n')
        : `Nobody is held for matching at ${dfeNumber}.`;
      return { human, json: open.map(({ _id, ...m }) => m) };
    },
  },
  match: {
    usage: 'match DFE PERSON_ID --to USERNAME [--force --reason TEXT] | --create | --exclude',
    summary:
      'Decide a held person: link to an account (one that does not look like them only with --force and a reason, audited), create a new one, or exclude the name',
    options: {
      to: { type: 'string' },
      create: { type: 'boolean' },
      exclude: { type: 'boolean' },
      force: { type: 'boolean' },
      reason: { type: 'string' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const personId = z.string({ error: 'PERSON_ID is required' }).min(1).parse(positionals[1]);
      const chosen = [values.to, values.create, values.exclude].filter(Boolean).length;
      if (chosen !== 1) throw new UsoError('usage', 'give exactly one of --to USERNAME, --create or --exclude');
      const actions = { db: (await ctx.store()).db };
      if ((values.force || values.reason !== undefined) && typeof values.to !== 'string')
        throw new UsoError('usage', '--force and --reason go with --to USERNAME');
      if (values.force && !(typeof values.reason === 'string' && values.reason.trim()))
        throw new UsoError('usage', '--force needs --reason TEXT: why this account is the person (it is audited)');
      if (typeof values.to === 'string') {
        const force = values.force ? { reason: String(values.reason).trim().slice(0, 500) } : undefined;
        await match(actions, cliActor(ctx), { dfeNumber, personId, username: values.to, ...(force ? { force } : {}) });
        return {
          human: `Linked ${personId} to ${values.to}.`,
          json: { dfeNumber, personId, decision: 'matched', username: values.to },
        };
      }
      if (values.create) {
        const view = await createNew(actions, cliActor(ctx), { dfeNumber, personId });
        const username = view.kind === 'decided' ? view.username : undefined;
        return {
          human: `Created ${username} for ${personId}.`,
          json: { dfeNumber, personId, decision: 'created', username },
        };
      }
      await exclude(actions, cliActor(ctx), { dfeNumber, personId });
      return {
        human: `Excluded ${personId}; the name is on the school's exclusion list.`,
        json: { dfeNumber, personId, decision: 'excluded' },
      };
    },
  },
  unallocated: accountList(
    'unallocated DFE',
    'Accounts whose association with the school ended and that have no other',
    unallocatedAccounts,
    'UNTIL',
  ),
  restore: {
    usage: 'restore USERNAME --school DFE',
    summary: 'Restore an unallocated account at a school (kept by hand until the MIS has the person again)',
    options: { school: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const username = z.string({ error: 'USERNAME is required' }).min(1).parse(positionals[0]);
      const dfeNumber = dfe.parse(values.school);
      await restore({ db: (await ctx.store()).db }, cliActor(ctx), { dfeNumber, username });
      return { human: `Restored ${username} at ${dfeNumber}.`, json: { username, dfeNumber, restored: true } };
    },
  },
  exclusions: {
    usage: 'exclusions add|remove|list DFE ["FORENAME SURNAME"] [--dob YYYY-MM-DD]',
    summary: 'Names the sync must never create accounts for (with --dob, only the person born that day)',
    options: { dob: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const action = z.enum(['add', 'remove', 'list'], { error: 'expected add, remove or list' }).parse(positionals[0]);
      const dfeNumber = dfe.parse(positionals[1]);
      const { db } = await ctx.store();
      if (action === 'list') {
        const list = await listExclusions(db, dfeNumber);
        return {
          human: list.map((e) => `${e.name}  (added by ${e.addedBy})`).join('\n') || 'No exclusions.',
          json: list.map(({ name, addedBy, addedAt }) => ({ name, addedBy, addedAt })),
        };
      }
      const name = z
        .string({ error: 'a name is required' })
        .regex(/^\S+(\s+\S+)+$/, 'expected "FORENAME SURNAME"')
        .parse(positionals.slice(2).join(' ') || undefined);
      const [forename, ...rest] = name.trim().split(/\s+/);
      const surname = rest.join(' ');
      const dob = values.dob === undefined ? undefined : isoDay.parse(values.dob);
      const changed =
        action === 'add'
          ? await addExclusion(db, dfeNumber, forename!, surname, ctx.actor, dob)
          : await removeExclusion(db, dfeNumber, forename!, surname, dob);
      await audit(db, { at: new Date(), actor: ctx.actor, action: `exclusion.${action}`, dfeNumber });
      return {
        human: changed ? `${action === 'add' ? 'Added' : 'Removed'}.` : 'Nothing to change.',
        json: { dfeNumber, action, changed },
      };
    },
  },
  unmatch: {
    usage: 'unmatch DFE PERSON_ID',
    summary: 'Undo a match of the last week: the MIS association leaves the account and the person is held again',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const personId = z.string({ error: 'PERSON_ID is required' }).min(1).parse(positionals[1]);
      const username = await unmatchPerson((await ctx.store()).db, dfeNumber, personId, ctx.actor);
      return {
        human: `Unmatched ${personId} from ${username}; they are held for matching again.`,
        json: { dfeNumber, personId, username },
      };
    },
  },
  unrestore: {
    usage: 'unrestore USERNAME --school DFE',
    summary: 'Undo a restore of the last week: the association kept by hand ends and the account is unallocated again',
    options: { school: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const username = z.string({ error: 'USERNAME is required' }).min(1).parse(positionals[0]);
      const dfeNumber = dfe.parse(values.school);
      await unrestoreAccount((await ctx.store()).db, username, dfeNumber, ctx.actor);
      return {
        human: `Undid the restore of ${username} at ${dfeNumber}.`,
        json: { username, dfeNumber, unrestored: true },
      };
    },
  },
  request: {
    usage:
      'request DFE --forename NAME --surname NAME --kind pupil|staff [--dob YYYY-MM-DD] [--start YYYY-MM-DD] [--group CLASS_OR_ROLE]',
    summary:
      'Make an account before the MIS has the person (kept by hand; the nightly run links it when the MIS exports them)',
    options: {
      forename: { type: 'string' },
      surname: { type: 'string' },
      kind: { type: 'string' },
      dob: { type: 'string' },
      start: { type: 'string' },
      group: { type: 'string' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const v = z
        .object({
          forename: z.string({ error: '--forename is required' }).trim().min(1),
          surname: z.string({ error: '--surname is required' }).trim().min(1),
          kind: z.enum(['pupil', 'staff'], { error: '--kind must be pupil or staff' }),
          dob: isoDay.optional(),
          start: isoDay.optional(),
          group: z.string().trim().min(1).optional(),
        })
        .parse(values);
      const username = await requestAccount(
        (await ctx.store()).db,
        dfeNumber,
        {
          kind: v.kind,
          legalForename: v.forename,
          legalSurname: v.surname,
          ...(v.dob ? { dateOfBirth: v.dob } : {}),
          startDate: v.start ?? todayIn(ctx.config.TZ),
          ...(v.group ? { group: v.group } : {}),
        },
        ctx.actor,
      );
      return {
        human: `Made ${username}, kept by hand at ${dfeNumber} until the MIS has them.`,
        json: { dfeNumber, username },
      };
    },
  },
  'non-mis': accountList(
    'non-mis DFE',
    'Accounts at the school that the MIS does not know (created or restored by hand): review them',
    nonMisAccounts,
    '',
  ),
  held: {
    usage: 'held RUN_ID [--pupils|--staff]',
    summary: 'The changes a run held, person by person: what would happen to each, and what is decided',
    options: { pupils: { type: 'boolean' }, staff: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const runId = z.string({ error: 'RUN_ID is required' }).min(1).parse(positionals[0]);
      const { db } = await ctx.store();
      const run = await getRunOrThrow(db, runId);
      const view = await listHeld({ db }, cliActor(ctx), {
        dfeNumber: run.dfeNumber,
        runId,
        filter: kindFilter(values),
      });
      const rows = view.changes.map((c) => [
        c.username,
        c.role,
        c.name,
        c.change === 'unallocation'
          ? 'loses access'
          : c.fields.map((f) => `${f.field} ${f.from} -> ${f.to}`).join('; '),
        `${c.state}${c.by ? ` by ${c.by}` : ''}`,
      ]);
      const guards = view.guards.map((g) => `held because: ${g}`).join('\n');
      return {
        human: `${guards ? `${guards}\n` : ''}${table([['USERNAME', 'KIND', 'NAME', 'WOULD', 'STATE'], ...rows]) || 'No held changes.'}\n${view.open} still to decide.`,
        json: view,
      };
    },
  },
  approve: {
    usage: 'approve RUN_ID [--only USERNAME,...]',
    summary: 'Apply the unallocations and updates a run held: all still undecided, or only the named accounts',
    options: { only: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = z.string({ error: 'RUN_ID is required' }).min(1).parse(positionals[0]);
      const only = onlyList(values.only);
      const r = await approveHeldChanges({ db: (await ctx.store()).db }, cliActor(ctx), runId, only ? { only } : {});
      return {
        human: `Applied ${r.applied} held change(s)${r.stale.length ? `; ${r.stale.length} skipped because the account changed since: ${r.stale.join(', ')}` : ''}.${r.remaining ? ` ${r.remaining} still held.` : ''}`,
        json: {
          applied: r.applied,
          stale: r.stale,
          decided: r.decided,
          remaining: r.remaining,
          dfeNumber: r.dfeNumber,
        },
      };
    },
  },
  reject: {
    usage: 'reject RUN_ID [--only USERNAME,...]',
    summary: 'Discard the changes a run held: all still undecided, or only the named accounts',
    options: { only: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const runId = z.string({ error: 'RUN_ID is required' }).min(1).parse(positionals[0]);
      const only = onlyList(values.only);
      const r = await rejectHeldChanges({ db: (await ctx.store()).db }, cliActor(ctx), runId, only ? { only } : {});
      return {
        human: `Discarded ${r.decided.length} held change(s) of run ${runId}.${r.remaining ? ` ${r.remaining} still held.` : ''}`,
        json: { decided: r.decided, remaining: r.remaining, dfeNumber: r.dfeNumber },
      };
    },
  },
  who: {
    usage: 'who DFE TEXT',
    summary: 'Find a person by name (forgiving), UPN, username or MIS id: their account and what each run did, and why',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const text = z
        .string({ error: 'TEXT is required' })
        .min(1, 'TEXT is required')
        .parse(positionals.slice(1).join(' ') || undefined);
      const view = await who({ db: (await ctx.store()).db }, cliActor(ctx), { text, dfeNumber });
      const human = view.found.length
        ? view.found
            .map((f) => {
              const head = f.account
                ? `${f.name}  ${f.account.username}  ${f.account.status}  born ${f.maskedDob ?? '?'}  latest move or create ${f.account.latestMoveOrCreateAt.slice(0, 10)}\n${f.account.associations.map((x) => `  ${x.dfeNumber} ${x.role}${x.group ? ` (${x.group})` : ''} ${x.status}${x.source === 'manual' ? ' by hand' : ''} from ${x.since}${x.until ? ` to ${x.until}` : ''}`).join('\n')}`
                : `${f.name}  MIS ${f.mis!.role} ${f.mis!.personId}  born ${f.maskedDob ?? '?'}  no account`;
              const history = f.history
                .map(
                  (h) =>
                    `    ${h.at.slice(0, 16).replace('T', ' ')}  ${h.what}${h.reason ? `: ${h.reason}` : ''}${h.by ? ` (${h.by})` : ''}`,
                )
                .join('\n');
              return `${head}${history ? `\n${history}` : ''}`;
            })
            .join('\n\n')
        : `Nobody matching "${text}" at ${dfeNumber}.`;
      return { human, json: view };
    },
  },
  'new-accounts': {
    usage: 'new-accounts DFE [--since YYYY-MM-DD | --run RUN_ID] [--pupils|--staff] [--csv]',
    summary: 'Accounts new at the school (created, moved in, restored, ready for a future start): logins to hand out',
    options: {
      since: { type: 'string' },
      run: { type: 'string' },
      csv: { type: 'boolean' },
      pupils: { type: 'boolean' },
      staff: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const since = values.since === undefined ? undefined : isoDay.parse(values.since);
      const runId = typeof values.run === 'string' ? values.run : undefined;
      if (since && runId) throw new UsoError('usage', 'give --since or --run, not both');
      const view = await listNewAccounts({ db: (await ctx.store()).db }, cliActor(ctx), {
        dfeNumber,
        ...(since ? { since } : {}),
        ...(runId ? { runId } : {}),
        filter: kindFilter(values),
      });
      if (values.csv) return { human: newAccountsCsv(view).trimEnd(), json: view };
      return {
        human:
          table([
            ['USERNAME', 'NAME', 'KIND', 'YEAR/ROLE', 'FIRST DAY', 'HOW', 'DATE'],
            ...view.accounts.map((a) => [
              a.username,
              a.name,
              a.role,
              a.group ?? '',
              a.firstDay ?? '',
              a.how,
              a.at.slice(0, 10),
            ]),
          ]) || `No new accounts at ${dfeNumber}, ${view.scope}.`,
        json: view,
      };
    },
  },
  invalid: {
    usage: 'invalid DFE [--run RUN_ID]',
    summary: "The MIS records a run (default: the school's latest) could not use, with the field and what is wrong",
    options: { run: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const view = await listInvalid({ db: (await ctx.store()).db }, cliActor(ctx), {
        dfeNumber,
        ...(typeof values.run === 'string' ? { runId: values.run } : {}),
      });
      return {
        human:
          table([
            ['REPORT', 'RECORD', 'NAME', 'FIELD', 'REASON'],
            ...view.records.map((r) => [r.report, r.personId, r.name ?? '', r.field, r.reason]),
          ]) || 'No invalid records.',
        json: view,
      };
    },
  },
  'subscribers add': {
    usage:
      'subscribers add NAME URL --events account.*,school.*,run.finished [--schools DFE,... | --la CODE] --purpose TEXT [--reports students,staff,...] [--fields dateOfBirth,upn,email] [--pre-approved] [--allow-http] [--allow-private]',
    summary:
      'Register a service that receives signed events and reads the API; prints its signing secret and API key once',
    options: {
      events: { type: 'string' },
      schools: { type: 'string' },
      la: { type: 'string' },
      reports: { type: 'string' },
      fields: { type: 'string' },
      purpose: { type: 'string' },
      'pre-approved': { type: 'boolean' },
      'allow-http': { type: 'boolean' },
      'allow-private': { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const list = (v: unknown) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
          : undefined;
      const v = z
        .object({
          name: z.string({ error: 'NAME is required' }).min(1).max(100),
          url: z
            .url({ error: 'URL must be an http(s) address' })
            .refine((u) => /^https?:\/\//.test(u), 'URL must be http(s)'),
          events: z
            .array(
              z.string().regex(/^(\*|[a-z_]+\.(\*|[a-z_]+))$/, 'expected event types like account.* or run.finished'),
            )
            .min(1, '--events is required'),
          schools: z.array(dfe).optional(),
          la: z
            .string()
            .regex(/^\d{3}$/, 'expected a 3-digit LA code')
            .optional(),
          reports: z.array(reportNameSchema).default(['students', 'staff']),
          fields: z.array(z.enum(OPTIONAL_FIELDS)).default([]),
          purpose: z
            .string({ error: '--purpose is required: schools read it when they decide' })
            .min(10, '--purpose: say what the service does with the data, in a sentence')
            .max(300),
        })
        .refine((x) => !!x.schools !== !!x.la, 'give --schools or --la (one of them)')
        .parse({
          name: positionals[0],
          url: positionals[1],
          events: list(values.events) ?? [],
          schools: list(values.schools),
          la: values.la,
          ...(list(values.reports) ? { reports: list(values.reports) } : {}),
          ...(list(values.fields) ? { fields: list(values.fields) } : {}),
          purpose: values.purpose,
        });
      // https to a public address only, unless the operator says otherwise for this subscriber (checked again at
      // every delivery)
      const policy = { allowHttp: values['allow-http'] === true, allowPrivate: values['allow-private'] === true };
      await (async () => resolveDestination(checkDestinationUrl(v.url, policy), policy))().catch((err: unknown) => {
        throw err instanceof UsoError
          ? new UsoError('usage', err.message)
          : new UsoError('usage', `URL: ${String(err)}`);
      });
      const { db } = await ctx.store();
      const made = await addSubscriber(db, {
        name: v.name,
        url: v.url,
        events: v.events,
        scope: v.schools ? { schools: v.schools } : { laCode: v.la! },
        reports: v.reports,
        fields: v.fields,
        purpose: v.purpose,
        ...(values['pre-approved'] === true ? { preApproved: true } : {}),
        ...(policy.allowHttp ? { allowHttp: true } : {}),
        ...(policy.allowPrivate ? { allowPrivate: true } : {}),
      });
      const allowed = [
        policy.allowHttp ? 'plain http allowed' : '',
        policy.allowPrivate ? 'internal addresses allowed' : '',
      ]
        .filter(Boolean)
        .join(', ');
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'subscriber.added',
        detail: `${made.id} ${v.name}${allowed ? ` (${allowed})` : ''}`,
      });
      // pre-approved: approved at each school in scope that allows it, and each of them told; the others wait
      const preApproved =
        values['pre-approved'] === true ? await preApprove(db, (await getSubscriber(db, made.id))!, ctx.actor) : [];
      await announcePreApproval({ db }, preApproved, v.name, describeShare(v));
      const waiting = preApproved.length
        ? `Pre-approved at ${preApproved.length} school(s), each told; any other school in scope decides with /uso sharing.`
        : 'Nothing of a school reaches it until the school approves it (/uso sharing).';
      return {
        human: `Subscriber ${made.id} added.\nSigning secret (shown once): ${made.secret}\nAPI key (shown once): ${made.apiKey}\n${waiting}`,
        json: { ...made, preApprovedAt: preApproved },
      };
    },
  },
  'subscribers list': {
    usage: 'subscribers list',
    summary: 'Registered subscribers: scope, events, reports, state, undelivered events',
    async run(ctx) {
      const { db } = await ctx.store();
      const subs = await listSubscribers(db);
      const rows = [];
      for (const s of subs) {
        // how many wait, and why the oldest has not gone (a refused address, a redirect, an error answer)
        const { pending, lastError } = await queueState(db, s._id);
        rows.push({
          id: s._id,
          name: s.name,
          url: s.url,
          events: s.events,
          scope: s.scope,
          reports: s.reports,
          state: s.revokedAt ? 'revoked' : s.pausedAt ? `paused: ${s.pauseReason ?? ''}` : 'active',
          pending,
          ...(lastError ? { lastError } : {}),
          ...(s.allowHttp ? { allowHttp: true } : {}),
          ...(s.allowPrivate ? { allowPrivate: true } : {}),
        });
      }
      return {
        human:
          table([
            ['ID', 'NAME', 'SCOPE', 'EVENTS', 'STATE', 'PENDING', 'LAST FAILURE'],
            ...rows.map((r) => [
              r.id,
              r.name,
              r.scope.laCode ? `LA ${r.scope.laCode}` : (r.scope.schools ?? []).join(','),
              r.events.join(','),
              r.state,
              String(r.pending),
              r.lastError ?? '',
            ]),
          ]) || 'No subscribers.',
        json: rows,
      };
    },
  },
  'subscribers revoke': {
    usage: 'subscribers revoke ID',
    summary: 'Revoke a subscriber: its API key stops working and no more events are sent to it',
    async run(ctx, { positionals }) {
      const id = z.string({ error: 'ID is required' }).min(1).parse(positionals[0]);
      const { db } = await ctx.store();
      if (!(await revokeSubscriber(db, id))) throw new UsoError('not_found', `no active subscriber ${id}`);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'subscriber.revoked', detail: id });
      return { human: `Revoked ${id}.`, json: { id, revoked: true } };
    },
  },
  'subscribers rotate': {
    usage: 'subscribers rotate ID [--api-key]',
    summary:
      'A new signing secret (events are signed with it and the previous one until the next rotation); with --api-key, a new API key alone (the old one stops at once)',
    options: { 'api-key': { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const id = z.string({ error: 'ID is required' }).min(1).parse(positionals[0]);
      const { db } = await ctx.store();
      if (values['api-key']) {
        const apiKey = await rotateApiKey(db, id);
        if (!apiKey) throw new UsoError('not_found', `no subscriber ${id}`);
        await audit(db, { at: new Date(), actor: ctx.actor, action: 'subscriber.key_rotated', detail: id });
        return { human: `New API key (shown once): ${apiKey}`, json: { id, apiKey } };
      }
      const secret = await rotateSecret(db, id);
      if (!secret) throw new UsoError('not_found', `no subscriber ${id}`);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'subscriber.rotated', detail: id });
      return { human: `New signing secret (shown once): ${secret}`, json: { id, secret } };
    },
  },
  'subscribers resume': {
    usage: 'subscribers resume ID',
    summary: 'Resume deliveries to a subscriber that was paused after failing',
    async run(ctx, { positionals }) {
      const id = z.string({ error: 'ID is required' }).min(1).parse(positionals[0]);
      const { db } = await ctx.store();
      await resumeSubscriber(db, id);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'subscriber.resumed', detail: id });
      return { human: `Resumed ${id}.`, json: { id, resumed: true } };
    },
  },
  pause: {
    usage: 'pause [--reason TEXT]',
    summary: "Pause every school's runs (e.g. over the summer rollover)",
    options: { reason: { type: 'string' } },
    async run(ctx, { values }) {
      const { db } = await ctx.store();
      const reason = typeof values.reason === 'string' ? values.reason : undefined;
      await setGlobalPause(db, true, reason);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'service.paused' });
      await alerts.pauseChanged(db, {}, true, reason);
      return { human: 'All runs are paused.', json: { paused: true } };
    },
  },
  resume: {
    usage: 'resume',
    summary: 'Resume runs after a pause',
    async run(ctx) {
      const { db } = await ctx.store();
      await setGlobalPause(db, false);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'service.resumed' });
      await alerts.pauseChanged(db, {}, false);
      return { human: 'Runs resumed.', json: { paused: false } };
    },
  },
};
