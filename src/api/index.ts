// The read API for the services that trust USO, under /api/v1 on the same Hono app: a school's accounts (paged,
// `updatedSince` for deltas), one account, its groups, contacts and attendance where the school accepted those
// reports. Each request carries a subscriber's key (`Authorization: Bearer KEY`, hashed at rest), is kept to the
// schools and reports that subscriber is scoped to, is rate-limited per key, and is audited as counts. The OpenAPI
// 3.1 document at /api/v1/openapi.json is generated from the zod schemas these handlers validate with.
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import type { Db } from 'mongodb';
import { accountsForSchool, getAccount } from '../store/accounts.js';
import { audit } from '../store/audit.js';
import { attendanceOf, contactsOf, groupsOf } from '../store/schoolData.js';
import { getSchool } from '../store/schools.js';
import { isApproved } from '../store/sharing.js';
import { subscriberByKey, type SubscriberDoc } from '../store/subscribers.js';
import { accountFor, inScope } from '../sync/outbound.js';
import type { School } from '../domain/model.js';
import { attendanceMarkSchema, contactSchema, groupSchema } from '../domain/records.js';

type Env = { Variables: { subscriber: SubscriberDoc } };

export interface ApiDeps {
  db: Db;
  /** Requests a key may make per minute (a burst of that many, refilled evenly). */
  perMinute?: number;
}

const ErrorBody = z
  .object({ error: z.string(), message: z.string() })
  .openapi('Error', { description: 'What went wrong, in a sentence' });

const Association = z.object({
  dfeNumber: z.string(),
  role: z.enum(['pupil', 'staff']),
  status: z.enum(['active', 'ended']),
  source: z.enum(['mis', 'manual']),
  since: z.string(),
  until: z.string().optional(),
  yearGroup: z.string().optional(),
  registrationGroup: z.string().optional(),
  roles: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
});

const Account = z
  .object({
    username: z.string(),
    kind: z.enum(['pupil', 'staff']),
    // absent only for someone who left the school before the service kept what they were when they left
    legalForename: z.string().optional(),
    legalSurname: z.string().optional(),
    preferredForename: z.string().optional(),
    preferredSurname: z.string().optional(),
    dateOfBirth: z.string().optional(),
    upn: z.string().optional(),
    email: z.string().optional(),
    status: z.enum(['active', 'unallocated']),
    updatedAt: z.string(),
    school: z.array(Association),
  })
  .openapi('Account', {
    description:
      'An account as the subscriber may see it: only the fields of reports it and the school accept; someone who left the school as they were when they left (status unallocated, updatedAt when they left)',
  });

const dfeParam = z
  .string()
  .regex(/^\d{7}$/)
  .openapi({ param: { name: 'dfeNumber', in: 'path' }, example: '2092000' });

const errors = {
  400: { description: 'A parameter is not valid', content: { 'application/json': { schema: ErrorBody } } },
  401: {
    description: 'No key, or a key that is not valid or was revoked',
    content: { 'application/json': { schema: ErrorBody } },
  },
  403: {
    description: 'The key is not scoped to this school, or the school has not approved this service',
    content: { 'application/json': { schema: ErrorBody } },
  },
  404: {
    description: 'No such school, account or accepted report',
    content: { 'application/json': { schema: ErrorBody } },
  },
  429: {
    description: 'Too many requests: wait for Retry-After seconds',
    content: { 'application/json': { schema: ErrorBody } },
  },
} as const;

const security = [{ bearer: [] }];

const listAccounts = createRoute({
  method: 'get',
  path: '/schools/{dfeNumber}/accounts',
  summary: "A school's accounts, a page at a time (oldest username first)",
  security,
  request: {
    params: z.object({ dfeNumber: dfeParam }),
    query: z.object({
      updatedSince: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: 'Only accounts changed at or after this time' }),
      after: z.string().min(1).max(200).optional().openapi({ description: 'The `next` of the previous page' }),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: {
      description: 'One page of accounts',
      content: {
        'application/json': { schema: z.object({ accounts: z.array(Account), next: z.string().nullable() }) },
      },
    },
    ...errors,
  },
});

const oneAccount = createRoute({
  method: 'get',
  path: '/schools/{dfeNumber}/accounts/{username}',
  summary: 'One account at the school',
  security,
  request: {
    params: z.object({
      dfeNumber: dfeParam,
      username: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: 'username', in: 'path' } }),
    }),
  },
  responses: { 200: { description: 'The account', content: { 'application/json': { schema: Account } } }, ...errors },
});

// the records' own schemas (what every stored record was checked against when it arrived) describe the responses;
// wrapped here, since a zod schema made before this module extended zod has no `.openapi()`
const Group = z
  .object(groupSchema.shape)
  .openapi('Group', { description: 'A class or group with its members’ MIS ids' });
const groupsRoute = createRoute({
  method: 'get',
  path: '/schools/{dfeNumber}/groups',
  summary: "The school's classes and groups with their members' MIS ids (Groups & Classes accepted)",
  security,
  request: { params: z.object({ dfeNumber: dfeParam }) },
  responses: {
    200: {
      description: 'The groups',
      content: { 'application/json': { schema: z.object({ groups: z.array(Group) }) } },
    },
    ...errors,
  },
});

const Contact = z.object(contactSchema.shape).openapi('Contact', { description: 'A contact as the MIS reports it' });
const contactsRoute = createRoute({
  method: 'get',
  path: '/schools/{dfeNumber}/contacts',
  summary: "The school's contacts (Contacts accepted)",
  security,
  request: { params: z.object({ dfeNumber: dfeParam }) },
  responses: {
    200: {
      description: 'The contacts',
      content: { 'application/json': { schema: z.object({ contacts: z.array(Contact) }) } },
    },
    ...errors,
  },
});

const Mark = z
  .object(attendanceMarkSchema.shape)
  .openapi('AttendanceMark', { description: 'One session mark of one pupil' });
const attendanceRoute = createRoute({
  method: 'get',
  path: '/schools/{dfeNumber}/attendance',
  summary: "The school's attendance marks kept (Attendance accepted), optionally one day",
  security,
  request: {
    params: z.object({ dfeNumber: dfeParam }),
    query: z.object({ date: z.iso.date().optional() }),
  },
  responses: {
    200: { description: 'The marks', content: { 'application/json': { schema: z.object({ marks: z.array(Mark) }) } } },
    ...errors,
  },
});

/** The caller's address, where the server knows it (behind a proxy, the proxy's). */
const clientAddress = (c: Context) =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ??
  'unknown';

const fail = (c: Context, status: 401 | 403 | 404 | 429, error: string, message: string) =>
  c.json({ error, message }, status);

/** A token bucket per key: `perMinute` requests at once, refilled evenly. */
function limiter(perMinute: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string): number | undefined => {
    const now = Date.now();
    const b = buckets.get(key) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) * 60) / perMinute);
    b.tokens -= 1;
    return undefined;
  };
}

export function apiRoutes(deps: ApiDeps): (app: Hono) => void {
  const { db } = deps;
  const api = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json(
          {
            error: 'payload_invalid',
            message: result.error.issues
              .slice(0, 3)
              .map((i) => `${i.path.join('.') || 'request'}: ${i.message}`)
              .join('; '),
          },
          400,
        );
    },
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const limited = limiter(deps.perMinute ?? 120);

  // a refused read is audited (who, which school, the status: counts, never what was asked for by name)
  const refused = (actor: string, path: string, status: number) => {
    const dfeNumber = /\/schools\/(\d{7})(?:\/|$)/.exec(path)?.[1];
    return audit(db, {
      at: new Date(),
      actor,
      action: 'api.refused',
      ...(dfeNumber ? { dfeNumber } : {}),
      detail: `HTTP ${status}`,
    });
  };
  // every API request: a key that is ours and not revoked, within its rate; requests without one are limited too,
  // per address, so keys cannot be guessed at speed
  api.use('/schools/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const subscriber = key ? await subscriberByKey(db, key) : undefined;
    const wait = limited(subscriber && !subscriber.revokedAt ? subscriber._id : `unknown:${clientAddress(c)}`);
    if (wait !== undefined) {
      c.header('retry-after', String(wait));
      return fail(c, 429, 'rate_limited', `too many requests: try again in ${wait} s`);
    }
    if (!subscriber || subscriber.revokedAt) {
      await refused('api:unknown', c.req.path, 401);
      return fail(c, 401, 'signature_invalid', 'a valid API key is required (Authorization: Bearer KEY)');
    }
    c.set('subscriber', subscriber);
    await next();
    if (c.res.status === 403 || c.res.status === 404) await refused(`api:${subscriber._id}`, c.req.path, c.res.status);
  });

  /** The school, when the key may read it: 403 outside its scope, 404 unknown. */
  const schoolFor = async (c: Context<Env>, dfeNumber: string): Promise<School | Response> => {
    if (!inScope(c.get('subscriber'), dfeNumber))
      return fail(c, 403, 'forbidden', `this key is not scoped to school ${dfeNumber}`);
    // the school decides: nothing of it is answered until it approved this service, and nothing once it revoked it
    if (!(await isApproved(db, dfeNumber, c.get('subscriber')._id)))
      return fail(c, 403, 'forbidden', `school ${dfeNumber} has not approved sharing its data with this service`);
    const school = await getSchool(db, dfeNumber);
    return school ?? fail(c, 404, 'not_found', `school ${dfeNumber} is not known`);
  };
  /** The school, when the key may read this report of it: as schoolFor, and 404 unless both it and the school accept it. */
  const reportOf = async (c: Context<Env>, dfeNumber: string, report: 'groups' | 'contacts' | 'attendance') => {
    const school = await schoolFor(c, dfeNumber);
    if (school instanceof Response) return school;
    return c.get('subscriber').reports.includes(report) && school.acceptedReports.includes(report)
      ? school
      : fail(c, 404, 'not_found', `${report} of ${dfeNumber} are not shared with this key`);
  };
  const audited = (c: Context<Env>, dfeNumber: string, what: string, count: number) =>
    audit(db, {
      at: new Date(),
      actor: `api:${c.get('subscriber')._id}`,
      action: 'api.read',
      dfeNumber,
      detail: `${what} ${count}`,
    });

  api.openapi(listAccounts, async (c) => {
    const { dfeNumber } = c.req.valid('param');
    const { updatedSince, after, limit } = c.req.valid('query');
    const school = await schoolFor(c, dfeNumber);
    if (school instanceof Response) return school as never;
    const since = updatedSince ? new Date(updatedSince).toISOString() : undefined;
    // `updatedSince` asks of each account as this school's subscribers see it (someone who left: when they left)
    const visible = (await accountsForSchool(db, dfeNumber))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .filter((a) => !after || a.username > after)
      .map((a) => accountFor(a, school, c.get('subscriber')))
      .filter((a): a is NonNullable<typeof a> => !!a && (!since || String(a.updatedAt) >= since));
    const page = visible.slice(0, limit);
    await audited(c, dfeNumber, 'accounts', page.length);
    return c.json(
      {
        accounts: page as z.infer<typeof Account>[],
        next: visible.length > limit ? String(page.at(-1)!.username) : null,
      },
      200,
    );
  });

  api.openapi(oneAccount, async (c) => {
    const { dfeNumber, username } = c.req.valid('param');
    const school = await schoolFor(c, dfeNumber);
    if (school instanceof Response) return school as never;
    const account = await getAccount(db, username);
    const visible =
      account && account.associations.some((x) => x.dfeNumber === dfeNumber)
        ? accountFor(account, school, c.get('subscriber'))
        : undefined;
    if (!visible)
      return fail(c, 404, 'not_found', `no account ${username} at ${dfeNumber} that this key may read`) as never;
    await audited(c, dfeNumber, 'accounts', 1);
    return c.json(visible as z.infer<typeof Account>, 200);
  });

  api.openapi(groupsRoute, async (c) => {
    const { dfeNumber } = c.req.valid('param');
    const school = await reportOf(c, dfeNumber, 'groups');
    if (school instanceof Response) return school as never;
    const groups = await groupsOf(db, dfeNumber);
    await audited(c, dfeNumber, 'groups', groups.length);
    return c.json({ groups }, 200);
  });

  api.openapi(contactsRoute, async (c) => {
    const { dfeNumber } = c.req.valid('param');
    const school = await reportOf(c, dfeNumber, 'contacts');
    if (school instanceof Response) return school as never;
    const contacts = await contactsOf(db, dfeNumber);
    await audited(c, dfeNumber, 'contacts', contacts.length);
    return c.json({ contacts }, 200);
  });

  api.openapi(attendanceRoute, async (c) => {
    const { dfeNumber } = c.req.valid('param');
    const { date } = c.req.valid('query');
    const school = await reportOf(c, dfeNumber, 'attendance');
    if (school instanceof Response) return school as never;
    const marks = (await attendanceOf(db, dfeNumber)).filter((m) => !date || m.date === date);
    await audited(c, dfeNumber, 'attendance', marks.length);
    return c.json({ marks }, 200);
  });

  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'USO autoupdate read API',
      version: '1',
      description: 'Accounts, groups, contacts and attendance of the schools a subscriber is scoped to.',
    },
    servers: [{ url: '/api/v1' }],
  });
  return (app) => {
    app.route('/api/v1', api as unknown as Hono);
  };
}
