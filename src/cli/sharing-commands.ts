// The operator's side of schools' approval of services: what each school decided about each service (with the
// receipts), and a decision taken on a school's written request (`--request` says which, and goes on the receipt).
// Heads decide in chat (`/uso sharing`); everything here goes through the same actions, audit and announcements.
import { z } from 'zod';
import { decideSharingFor, receiptText, setPreApprovalFor } from '../bot/sharing-actions.js';
import { dfeNumberSchema as dfe } from '../domain/records.js';
import { UsoError } from '../errors.js';
import { listSchools } from '../store/schools.js';
import type { SharingState } from '../store/sharing.js';
import { sharingRequests } from '../sync/sharing.js';
import type { Command } from './command.js';
import { cliActor } from './commands/shared.js';
import { table } from './table.js';

const decision = (state: SharingState, verb: string, summary: string): Command => ({
  usage: `sharing ${verb} DFE SUBSCRIBER_ID --request TEXT`,
  summary,
  options: { request: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const v = z
      .object({
        dfeNumber: dfe,
        subscriberId: z.string({ error: 'SUBSCRIBER_ID is required' }).uuid('SUBSCRIBER_ID is a subscriber id'),
        note: z
          .string({ error: "--request is required: which of the school's written requests this acts on" })
          .min(3)
          .max(300),
      })
      .parse({ dfeNumber: positionals[0], subscriberId: positionals[1], note: values.request });
    const { db } = await ctx.store();
    const view = await decideSharingFor({ db }, cliActor(ctx), { ...v, decision: state });
    return { human: view.done ?? '', json: view };
  },
});

export const sharingCommands: Record<string, Command> = {
  'sharing list': {
    usage: 'sharing list [DFE]',
    summary: "Each school's decision about each service asking for its data, with the receipt (who, when, what)",
    async run(ctx, { positionals }) {
      const { db } = await ctx.store();
      const only = positionals[0] ? dfe.parse(positionals[0]) : undefined;
      const schools = (await listSchools(db)).filter((s) => !only || s.dfeNumber === only);
      if (only && schools.length === 0) throw new UsoError('not_found', `school ${only} is not known`);
      const rows = [];
      for (const school of schools)
        for (const r of await sharingRequests(db, school.dfeNumber))
          rows.push({
            dfeNumber: school.dfeNumber,
            subscriberId: r.subscriberId,
            name: r.name,
            state: r.state,
            receipt: r.decided ? receiptText(r.decided) : undefined,
            receipts: r.receipts.length,
          });
      return {
        human:
          table([
            ['DFE', 'SUBSCRIBER', 'NAME', 'STATE', 'RECEIPT'],
            ...rows.map((r) => [r.dfeNumber, r.subscriberId, r.name, r.state, r.receipt ?? '']),
          ]) || 'No service asks for data of these schools.',
        json: rows,
      };
    },
  },
  'sharing approve': decision(
    'approved',
    'approve',
    "Approve a service at a school, on the head's written request (heads approve in chat: /uso sharing)",
  ),
  'sharing decline': decision('declined', 'decline', "Decline a service's request for a school's data"),
  'sharing revoke': decision(
    'revoked',
    'revoke',
    "Revoke a school's approval of a service: its events and API reads of the school stop at once",
  ),
  'sharing pre-approval': {
    usage: 'sharing pre-approval DFE allow|refuse',
    summary: 'Whether the LA may pre-approve services for the school (a head decides this in chat too)',
    async run(ctx, { positionals }) {
      const v = z
        .object({ dfeNumber: dfe, choice: z.enum(['allow', 'refuse'], { error: 'say allow or refuse' }) })
        .parse({ dfeNumber: positionals[0], choice: positionals[1] });
      const { db } = await ctx.store();
      const view = await setPreApprovalFor({ db }, cliActor(ctx), v.dfeNumber, v.choice);
      return { human: view.done ?? 'Unchanged.', json: view };
    },
  },
};
