// Runs: a school synced now, its status, the changes a run held (approved or rejected), invalid records, the audit.
import { z } from 'zod';
import type { Command } from '../command.js';
import { UsoError, asUsoError } from '../../errors.js';
import { listSchools } from '../../store/schools.js';
import { auditEntries } from '../../store/audit.js';
import { approveHeldChanges, listHeld, listInvalid, rejectHeldChanges } from '../../bot/index.js';
import { createLogger } from '../../log.js';
import { integrisClient } from '../../connections.js';
import { Scheduler } from '../../sync/jobs.js';
import { grantAlerts } from '../../grant-alerts.js';
import { dfeNumberSchema as dfe, exportFileSchema } from '../../domain/records.js';
import { syncSchool, type RunSummary } from '../../sync/process.js';
import { schoolStatus } from '../../sync/status.js';
import { recoverInterruptedRuns } from '../../sync/recovery.js';
import { readJsonInput } from '../inputs.js';
import { progressBar } from '../progress.js';
import { table } from '../table.js';
import { isoDay, runHuman, cliActor, kindFilter, onlyList, getRunOrThrow } from './shared.js';

export const runsCommands: Record<string, Command> = {
  discover: {
    usage: 'discover',
    summary: 'Ask Integris now which schools have granted Datashare access (the service asks every hour and at start)',
    async run(ctx) {
      const { db } = await ctx.store();
      const logger = createLogger({ level: 'silent', pretty: false });
      const integris = integrisClient(ctx.config, logger);
      if (!integris)
        throw new UsoError(
          'usage',
          'Integris is not configured: set INTEGRIS_BASE_URL, INTEGRIS_CLIENT_ID and INTEGRIS_CLIENT_SECRET',
        );
      // admins are told of new and withdrawn grants as the hourly discovery tells them: the service sends what is queued
      const scheduler = new Scheduler({
        db,
        logger,
        integris,
        timeZone: ctx.config.TZ,
        concurrency: 1,
        processDelayMinutes: ctx.config.PROCESS_DELAY_MINUTES,
        ...grantAlerts(db, ctx.config.REVOKE_GRACE_DAYS, async () => {}),
      });
      try {
        await scheduler.agenda.ready;
        const found = await scheduler.discover();
        const schools = (await listSchools(db)).filter((s) => s.grant.state === 'granted');
        const waiting = schools.filter((s) => s.acceptedReports.length === 0).map((s) => s.dfeNumber);
        const lines = [
          `${schools.length} schools have granted access; ${found.granted.length} new, ${found.revoked.length} withdrawn.`,
          ...found.granted.map((d) => `  granted: ${d}`),
          ...found.revoked.map((d) => `  withdrawn: ${d}`),
          ...(waiting.length
            ? [
                `${waiting.length} accept no report yet (nothing is read until a head accepts, or: uso schools set DFE --accepted-reports students,staff).`,
              ]
            : []),
        ];
        return {
          human: lines.join('\n'),
          json: { ...found, grantedSchools: schools.length, acceptingNothing: waiting },
        };
      } finally {
        await scheduler.stop();
      }
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
};
