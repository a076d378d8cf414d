// People: held for matching, matched, restored, excluded, requested, found, and new accounts to hand out.
import { z } from 'zod';
import type { Command } from '../command.js';
import { UsoError } from '../../errors.js';
import { insertAccountsReporting } from '../../store/account-inserts.js';
import { openMatches } from '../../store/matches.js';
import { addExclusion, listExclusions, removeExclusion } from '../../store/exclusions.js';
import { listSchools } from '../../store/schools.js';
import { audit } from '../../store/audit.js';
import { nonMisAccounts, unallocatedAccounts } from '../../sync/admin.js';
import { listNewAccounts, newAccountsCsv, who, createNew, exclude, match, restore } from '../../bot/index.js';
import { dfeNumberSchema as dfe } from '../../domain/records.js';
import { newAccount, type Account } from '../../domain/model.js';
import { unmatchPerson, unrestoreAccount } from '../../sync/corrections.js';
import { requestAccount } from '../../sync/school-admin.js';
import { schoolAccountList } from '../../sync/people.js';
import { todayIn } from '../../domain/dates.js';
import { accountLineSchema, readInput } from '../inputs.js';
import { progressBar } from '../progress.js';
import { table } from '../table.js';
import { isoDay, accountList, cliActor, kindFilter, MAX_LISTED } from './shared.js';

export const peopleCommands: Record<string, Command> = {
  'accounts list': {
    usage: 'accounts list DFE [--since YYYY-MM-DD] [--pupils|--staff] [--name TEXT]',
    summary:
      "The school's accounts, newest 'latest move or create' first: made here, moved in, linked, back or restored since a day",
    options: {
      since: { type: 'string' },
      pupils: { type: 'boolean' },
      staff: { type: 'boolean' },
      name: { type: 'string' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const since = values.since === undefined ? undefined : isoDay.parse(values.since);
      const query = typeof values.name === 'string' && values.name.trim() ? values.name.trim() : undefined;
      const kind = kindFilter(values);
      const rows = await schoolAccountList((await ctx.store()).db, dfeNumber, {
        ...(since ? { since } : {}),
        ...(kind ? { kind } : {}),
        ...(query ? { query } : {}),
      });
      return {
        human:
          table([
            ['USERNAME', 'NAME', 'KIND', 'YEAR/ROLE', 'SOURCE', 'LATEST MOVE OR CREATE'],
            ...rows.map((r) => [
              r.username,
              r.name,
              r.role,
              r.group ?? '',
              r.source,
              r.latestMoveOrCreate.slice(0, 16).replace('T', ' '),
            ]),
          ]) || `No accounts at ${dfeNumber}${since ? ` moved in or made since ${since}` : ''}.`,
        json: { dfeNumber, ...(since ? { since } : {}), accounts: rows },
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
    "The school's leavers: accounts whose association with it ended (with no school left, or still active at another), restorable here",
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
};
