// The services that receive events and read the API: added, listed, revoked, rotated, resumed.
import { z } from 'zod';
import type { Command } from '../command.js';
import { UsoError } from '../../errors.js';
import {
  addSubscriber,
  getSubscriber,
  listSubscribers,
  OPTIONAL_FIELDS,
  resumeSubscriber,
  revokeSubscriber,
  rotateApiKey,
  rotateSecret,
} from '../../store/subscribers.js';
import { queueState } from '../../store/deliveries.js';
import { audit } from '../../store/audit.js';
import { dfeNumberSchema as dfe, reportNameSchema } from '../../domain/records.js';
import { checkDestinationUrl, resolveDestination } from '../../sync/destinations.js';
import { describeShare, preApprove } from '../../sync/sharing.js';
import { announcePreApproval } from '../../bot/sharing-actions.js';
import { table } from '../table.js';

export const subscribersCommands: Record<string, Command> = {
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
};
