// What the CLI's commands share: how a run, an account row and a list read for people, the operator as an actor,
// and the small option parsers.
import { z } from 'zod';
import type { Command, CliContext } from '../command.js';
import type { Db } from 'mongodb';
import { UsoError } from '../../errors.js';
import { getRun } from '../../store/runs.js';
import type { Actor } from '../../bot/index.js';
import { dfeNumberSchema as dfe } from '../../domain/records.js';
import type { Account } from '../../domain/model.js';
import type { RunSummary } from '../../sync/process.js';
import { table } from '../table.js';
export const isoDay = z.iso.date('expected a date YYYY-MM-DD');

export const accountRow = (a: Account, dfeNumber: string) => {
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
export function accountList(
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

export function runHuman(r: RunSummary): string {
  const counts = Object.entries(r.counts)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${r.dfeNumber}: run ${r.runId || '-'} ${r.status}${r.exportSeq ? ` (export #${r.exportSeq})` : ''}${counts ? `: ${counts}` : ''}${r.note ? `\n  note: ${r.note}` : ''}`;
}

/** The operator at the command line: the CLI may act for every school. */
export const cliActor = (ctx: CliContext): Actor => ({
  platform: 'cli',
  userId: ctx.actor.replace(/^cli:/, ''),
  displayName: ctx.actor,
});

/** `--pupils` or `--staff`: one kind of person only. */
export function kindFilter(values: Record<string, unknown>): 'pupil' | 'staff' | undefined {
  if (values.pupils && values.staff) throw new UsoError('usage', 'give --pupils or --staff, not both');
  return values.pupils ? 'pupil' : values.staff ? 'staff' : undefined;
}

/** `--only a,b`: the named usernames, or undefined for all. */
export function onlyList(value: unknown): string[] | undefined {
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

export async function getRunOrThrow(db: Db, runId: string) {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  return run;
}

/** How many rejected lines a human-readable answer lists before it only counts them. */
export const MAX_LISTED = 20;
