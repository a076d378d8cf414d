// Data protection and integrity: subject access, erasure, retention, and one person, one account checked.
import { z } from 'zod';
import type { Db } from 'mongodb';
import type { Command } from '../command.js';
import { dfeNumberSchema as dfe } from '../../domain/records.js';
import { checkStore, fileUnfiled, repairStore } from '../../sync/doctor.js';
import { filePending } from '../../sync/lookalike-filing.js';
import { schoolsOfViolation, VIOLATION_WORDS } from '../../domain/invariants.js';
import { runRetention } from '../../sync/retention.js';
import { findSubject, subjectAccessReport } from '../../sync/subject-access.js';
import { erasePerson } from '../../sync/erasure.js';
import { writeFileSync } from 'node:fs';
import { table } from '../table.js';

/** The person a data-protection command is about: a username, or a school and MIS person id. */
const subjectOf = (db: Db, username: string | undefined, v: { school?: string; person?: string }) =>
  findSubject(db, {
    ...(username ? { username } : {}),
    ...(v.school ? { dfeNumber: v.school } : {}),
    ...(v.person ? { personId: v.person } : {}),
  });

export const dataCommands: Record<string, Command> = {
  'person export': {
    usage: 'person export (USERNAME | --school DFE --person MIS_ID) [--out FILE]',
    summary: 'Subject access: everything held about one person, as one JSON document (to FILE, or printed)',
    options: { school: { type: 'string' }, person: { type: 'string' }, out: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const v = z
        .object({ school: dfe.optional(), person: z.string().min(1).optional(), out: z.string().min(1).optional() })
        .parse(values);
      const { db } = await ctx.store();
      const account = await subjectOf(db, positionals[0], v);
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
      const account = await subjectOf(db, positionals[0], v);
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
      'Check every account against one person, one account (a UPN on two accounts, an account with two MIS persons of a school, an MIS person on two accounts, an unaudited write, an account missing from the look-alike index); --fix merges or holds them, audited, and files what the index lacks',
    options: { fix: { type: 'boolean' } },
    async run(ctx, { values }) {
      const v = z.object({ fix: z.boolean().optional() }).parse(values);
      const { db } = await ctx.store();
      const found = await checkStore(db, { lookalikes: true });
      const repairs = v.fix ? await repairStore(db, ctx.actor, found.violations) : [];
      const refiled =
        (v.fix ? (await filePending(db)).accounts : 0) +
        (v.fix && found.unfiled?.length ? await fileUnfiled(db, found.unfiled) : 0);
      const left = v.fix ? await checkStore(db, { lookalikes: true }) : found;
      const unfiledCount = found.unfiled?.length ?? 0;
      const lines = [
        `${found.accounts} accounts checked: ${found.violations.length} problem(s) of identity, ${found.unaudited.length} account(s) whose last change is not audited, ${unfiledCount} missing from the look-alike index.`,
        ...found.violations.map(
          (x) => `- ${VIOLATION_WORDS[x.kind]}: ${x.usernames.join(', ')} (${schoolsOfViolation(x).join(', ')})`,
        ),
        ...(found.unaudited.length ? [`- not audited: ${found.unaudited.slice(0, 20).join(', ')}`] : []),
        ...(unfiledCount ? [`- not in the look-alike index: ${found.unfiled!.slice(0, 20).join(', ')}`] : []),
        ...(refiled ? [`filed ${refiled} account(s) in the look-alike index`] : []),
        ...repairs.map((r) => `${r.action}: ${r.detail}`),
        ...(v.fix ? [`${left.violations.length} problem(s) left.`] : []),
        ...(!v.fix && found.violations.length ? ['Run `uso doctor --fix` to merge or hold them.'] : []),
      ];
      return {
        human: lines.join('\n'),
        json: { ...found, repairs, ...(v.fix ? { left: left.violations } : {}) },
        ...(left.violations.length || left.unfiled?.length ? { exitCode: 1 } : {}),
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
};
