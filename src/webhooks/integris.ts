// POST /webhooks/integris: verify the signature (with rotation and a 5-minute window), validate the body, drop
// duplicate event ids, and hand the work to a job so Integris gets its answer within 2 seconds.
import type { Hono } from 'hono';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { UsoError } from '../errors.js';
import type { Logger } from '../log.js';
import { firstSighting, forgetSighting } from '../store/events.js';
import { getSchool, upsertSchool } from '../store/schools.js';
import { verifyIntegrisSignature } from '../sync/integris/signature.js';
import { dfeNumberSchema, reportNameSchema } from '../domain/records.js';
import type { School } from '../domain/model.js';

export const webhookEventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.enum(['datashare.access_granted', 'datashare.access_revoked', 'records.changed', 'export.ready']),
  dfeNumber: dfeNumberSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  data: z
    .object({
      reports: z.array(reportNameSchema).optional(),
      personIds: z.array(z.string()).optional(),
      name: z.string().optional(),
      permissions: z.array(reportNameSchema).optional(),
    })
    .default({}),
});
export type WebhookEventBody = z.infer<typeof webhookEventSchema>;

export interface WebhookDeps {
  db: Db;
  logger: Logger;
  secrets: readonly string[];
  /** How long event ids are remembered for de-duplication. */
  dedupeDays?: number;
  scheduler: {
    recordsChanged(dfeNumber: string): Promise<void>;
    revoke(dfeNumber: string): Promise<void>;
    /** Told of a grant as it was and is now (a restored grant, reports no longer shared). */
    grantChanged?(before: School | undefined, after: School): Promise<void>;
    scheduleNightly(dfeNumber: string, exportTime: string): Promise<void>;
  };
  now?: () => number;
}

export function integrisWebhookRoutes(deps: WebhookDeps) {
  return (app: Hono) => {
    app.post('/webhooks/integris', async (c) => {
      const now = deps.now?.() ?? Date.now();
      if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
        throw new UsoError('unsupported_media_type', 'Integris webhooks are JSON: send Content-Type: application/json');
      }
      // the signature covers the bytes as sent: verify those, then decode (strictly: bad UTF-8 is a bad body)
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const check = verifyIntegrisSignature(
        c.req.header('integris-signature'),
        raw,
        deps.secrets,
        Math.floor(now / 1000),
      );
      if (!check.ok) {
        deps.logger.warn({ reason: check.reason }, 'integris webhook refused: signature');
        throw new UsoError('signature_invalid', `signature ${check.reason}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
      } catch {
        throw new UsoError('payload_invalid', 'body is not JSON (UTF-8)');
      }
      const parsed = webhookEventSchema.safeParse(json);
      if (!parsed.success)
        throw new UsoError(
          'payload_invalid',
          parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        );
      const event = parsed.data;
      const headerId = c.req.header('integris-event-id');
      if (headerId && headerId !== event.id)
        throw new UsoError('payload_invalid', 'Integris-Event-Id does not match the body id');
      const seenKey = `integris:${event.id}`;
      if (!(await firstSighting(deps.db, seenKey, (deps.dedupeDays ?? 7) * 86_400_000, now)))
        return c.json({ ok: true, duplicate: true });
      try {
        await handle(deps, event);
      } catch (err) {
        // the id is forgotten again, so Integris' retry of this event is done, not dropped as a duplicate
        await forgetSighting(deps.db, seenKey).catch(() => {});
        throw err;
      }
      deps.logger.info({ eventType: event.type, dfeNumber: event.dfeNumber }, 'integris webhook accepted');
      return c.json({ ok: true });
    });
  };
}

/** The work an accepted event asks for; quick (it records and schedules), so Integris has its answer within 2 s. */
async function handle(deps: WebhookDeps, event: WebhookEventBody): Promise<void> {
  const school = await getSchool(deps.db, event.dfeNumber);
  switch (event.type) {
    case 'datashare.access_granted': {
      const saved = await upsertSchool(deps.db, {
        dfeNumber: event.dfeNumber,
        name: event.data.name ?? school?.name ?? event.dfeNumber,
        laCode: event.dfeNumber.slice(0, 3),
        ...(event.data.permissions
          ? {
              // a new school reads nothing until its head accepts reports
              acceptedReports: school ? school.acceptedReports.filter((r) => event.data.permissions!.includes(r)) : [],
            }
          : {}),
        grant: {
          state: 'granted',
          grantedAt: event.occurredAt,
          ...(event.data.permissions ? { permissions: event.data.permissions } : {}),
        },
      });
      await deps.scheduler.grantChanged?.(school, saved);
      await deps.scheduler.scheduleNightly(event.dfeNumber, saved.settings.exportTime);
      break;
    }
    case 'datashare.access_revoked':
      if (school) await deps.scheduler.revoke(event.dfeNumber);
      break;
    case 'records.changed':
    case 'export.ready':
      if (!school || school.grant.state === 'revoked') break;
      await deps.scheduler.recordsChanged(event.dfeNumber);
      break;
  }
}
