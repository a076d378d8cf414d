// The web console: the LA's schools at a glance and each school's decisions, for the people who act for them in chat,
// signed in with the same Slack or Microsoft account. Every view reads through the same role checks as chat, and
// every form runs the same action definition a chat button does (bot/action-defs.ts), so what may be done, what it
// does and how it is audited cannot differ between chat and the console.
import { timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import type { Db } from 'mongodb';
import { isUsoError, UsoError } from '../errors.js';
import type { Logger } from '../log.js';
import { actionDefs } from '../bot/action-defs.js';
import type { ActionContext } from '../bot/action-base.js';
import { authorise, schoolsOf, type Actor } from '../bot/access.js';
import { buttonData, type ChatAction, type FormId } from '../bot/chat-actions.js';
import { FormErrors, formFor, submitForm } from '../bot/forms.js';
import { FormPage } from './form-page.js';
import * as actions from '../bot/actions.js';
import * as schoolActions from '../bot/school-actions.js';
import { newAccountsCsv } from '../bot/index.js';
import type { View } from '../bot/view-model.js';
import { dfeNumberSchema } from '../domain/records.js';
import { schoolStatus } from '../sync/status.js';
import { schoolAccountList } from '../sync/people.js';
import {
  createWebSession,
  endWebSession,
  saveWebLogin,
  takeWebLogin,
  teamsUserId,
  webSession,
  type WebSession,
} from '../store/web-sessions.js';
import { finishSignIn, identityOf, issuerOf, startSignIn, type OidcSettings, type Provider } from './oidc.js';
import { BoardPage, MessagePage, SignInPage, type BoardSort, type NightState, type Who } from './pages.js';
import { SchoolPage } from './school-page.js';
import { getRun, runsSince } from '../store/runs.js';
import { auditEntries } from '../store/audit.js';
import { openAlerts } from '../store/alerts.js';
import { AuditPage, PAGE_SIZE, RunPage, WhoPage } from './record-pages.js';

export interface ConsoleOptions {
  db: Db;
  logger: Logger;
  oidc: OidcSettings;
  sessionSecret: string;
  ctx: ActionContext;
  /** How long a sign-in lasts (default 8 hours). */
  sessionTtlMs?: number;
}

const COOKIE = 'uso_session';
/** The state of the sign-in this browser started, so the callback finishes only its own. */
const LOGIN_COOKIE = 'uso_login';
/** What a console form may do: the decisions of chat, nothing else. */
const FORM_ACTIONS = new Set<ChatAction>([
  'match',
  'create',
  'exclude',
  'restore',
  'approve',
  'reject',
  'approveOne',
  'rejectOne',
  'undo',
  'removeExclusion',
  'retire',
]);

const actorOf = (s: WebSession): Actor => ({ ...s.identity });
const whoOf = (s: WebSession): Who => ({ name: s.identity.displayName, csrf: s.csrf });
const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function consoleRoutes(options: ConsoleOptions): (app: Hono) => void {
  const { db, logger, oidc } = options;
  const ttlMs = options.sessionTtlMs ?? 8 * 3_600_000;
  const secure = oidc.publicUrl.startsWith('https:');

  const sessionOf = async (c: Context): Promise<WebSession | undefined> => {
    const id = await getSignedCookie(c, options.sessionSecret, COOKIE);
    return id ? webSession(db, id) : undefined;
  };
  /** A POST's session, if its form carries the CSRF token, and its fields (with `all`, checkboxes as lists). */
  const postedSession = async (
    c: Context,
    all = false,
  ): Promise<{ session: WebSession; form: Record<string, string | string[]> }> => {
    const session = await sessionOf(c);
    const form: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(await c.req.parseBody({ all })))
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))
        form[k] = v as string | string[];
    const csrf = typeof form.csrf === 'string' ? form.csrf : '';
    if (!session || !csrf || !sameText(csrf, session.csrf))
      throw new UsoError('forbidden', 'this form has expired or did not come from this console: open the page again');
    return { session, form };
  };

  const signInPage = (c: Context, error?: string, status: 200 | 400 | 403 = 200) =>
    c.html(<SignInPage slack={!!oidc.slack} entra={!!oidc.entra} error={error} />, status);

  return (app) => {
    app.use('/signin', secureHeaders());
    app.use('/auth/*', secureHeaders());
    app.use('/signout', secureHeaders());
    app.use('/schools/*', secureHeaders());

    app.get('/signin', (c) => signInPage(c));

    app.post('/auth/:provider', async (c) => {
      const provider = c.req.param('provider');
      if (provider !== 'slack' && provider !== 'entra') return c.notFound();
      const body = await c.req.parseBody();
      try {
        const issuer = issuerOf(oidc, provider, typeof body.tenant === 'string' ? body.tenant : undefined);
        const started = await startSignIn(oidc, provider, issuer);
        const state = await saveWebLogin(db, {
          provider,
          issuer,
          codeVerifier: started.codeVerifier,
          nonce: started.nonce,
        });
        // the sign-in belongs to this browser: a callback carrying someone else's state and code is refused
        await setSignedCookie(c, LOGIN_COOKIE, state, options.sessionSecret, {
          httpOnly: true,
          secure,
          sameSite: 'Lax',
          path: '/auth/callback',
          maxAge: 600,
        });
        return c.redirect(started.redirect(state), 303);
      } catch (err) {
        if (!isUsoError(err)) throw err;
        return signInPage(c, err.message, 400);
      }
    });

    app.get('/auth/callback', async (c) => {
      const state = c.req.query('state') ?? '';
      const started = await getSignedCookie(c, options.sessionSecret, LOGIN_COOKIE);
      deleteCookie(c, LOGIN_COOKIE, { path: '/auth/callback', secure });
      if (state && !(started && sameText(started, state)))
        return signInPage(c, 'That sign-in was not started in this browser: sign in again.', 400);
      const login = state ? await takeWebLogin(db, state) : undefined;
      if (!login) return signInPage(c, 'That sign-in has expired or was already used: sign in again.', 400);
      if (c.req.query('error')) return signInPage(c, 'The sign-in was cancelled or refused.', 400);
      try {
        const signedIn = await finishSignIn(
          oidc,
          { ...login, provider: login.provider as Provider, state },
          new URL(c.req.url),
        );
        const teamsId =
          signedIn.provider === 'entra' ? await teamsUserId(db, signedIn.workspace, signedIn.subject) : undefined;
        const session = await createWebSession(db, identityOf(signedIn, teamsId), ttlMs);
        await setSignedCookie(c, COOKIE, session._id, options.sessionSecret, {
          httpOnly: true,
          secure,
          sameSite: 'Lax',
          path: '/',
          maxAge: Math.floor(ttlMs / 1000),
        });
        logger.info({ platform: session.identity.platform }, 'console sign-in');
        return c.redirect('/', 303);
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message } }, 'console sign-in refused');
        return signInPage(c, 'The sign-in could not be checked: sign in again.', 400);
      }
    });

    app.post('/signout', async (c) => {
      try {
        const { session } = await postedSession(c);
        await endWebSession(db, session._id);
      } catch (err) {
        if (!isUsoError(err)) throw err;
      }
      deleteCookie(c, COOKIE, { path: '/', secure });
      return c.redirect('/signin', 303);
    });

    app.get('/', secureHeaders(), async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const actor = actorOf(session);
      const mine = new Map((await schoolsOf(db, actor)).map((s) => [s.dfeNumber, s.role]));
      // only the schools this person acts for are read: a contact of one school in a large LA reads one
      const status = await schoolStatus(db, [...mine.keys()]);
      const alertsBySchool = new Map<string, string[]>();
      for (const a of await openAlerts(db))
        alertsBySchool.set(a.dfeNumber, [...(alertsBySchool.get(a.dfeNumber) ?? []), a.kind]);
      const filter = (c.req.query('q') ?? '').trim().toLowerCase();
      const sortBy =
        (['school', 'status', 'held', 'matches', 'export'] as const).find((k) => k === c.req.query('sort')) ?? 'school';
      const rows = status.schools
        .filter((s) => !filter || s.name.toLowerCase().includes(filter) || s.dfeNumber.includes(filter))
        .map((s) => ({ ...s, role: mine.get(s.dfeNumber)!, alerts: alertsBySchool.get(s.dfeNumber) ?? [] }));
      rows.sort(boardOrder(sortBy));
      const chart = await nightsOf(db, new Set(rows.map((r) => r.dfeNumber)), new Date());
      return c.html(
        <BoardPage
          who={whoOf(session)}
          schools={rows}
          sort={sortBy}
          filter={filter}
          now={new Date()}
          paused={status.paused}
          days={chart.days}
          nights={chart.nights}
          laNights={chart.laNights}
        />,
      );
    });

    const schoolPage = async (c: Context, session: WebSession, dfeNumber: string, done?: View, error?: string) => {
      const actor = actorOf(session);
      const role = (await authorise(db, actor, dfeNumber, 'read')) ?? 'reader';
      const [status] = (await schoolStatus(db, dfeNumber)).schools;
      if (!status) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
      const held = await Promise.all(
        status.heldChanges.map(
          (h) =>
            actions.listHeld(options.ctx, actor, { dfeNumber, runId: h.runId }) as Promise<
              Extract<View, { kind: 'held' }>
            >,
        ),
      );
      const matches = (await actions.listMatches(options.ctx, actor, dfeNumber)) as Extract<View, { kind: 'matches' }>;
      const unallocated = (await actions.listUnallocated(options.ctx, actor, dfeNumber)) as Extract<
        View,
        { kind: 'accounts' }
      >;
      const nonMis = (await actions.listNonMis(options.ctx, actor, dfeNumber)) as Extract<View, { kind: 'accounts' }>;
      const excluded = (await schoolActions.exclusions(options.ctx, actor, dfeNumber)) as Extract<
        View,
        { kind: 'exclusions' }
      >;
      const since = /^\d{4}-\d{2}-\d{2}$/.test(c.req.query('since') ?? '') ? c.req.query('since') : undefined;
      const accounts = await schoolAccountList(db, dfeNumber, since ? { since } : {});
      return c.html(
        <SchoolPage
          who={whoOf(session)}
          status={status}
          role={role}
          held={held}
          matches={matches}
          accounts={accounts}
          unallocated={unallocated.accounts}
          nonMis={nonMis.accounts}
          exclusions={excluded.items}
          since={since}
          done={done}
          error={error}
        />,
        error ? 409 : 200,
      );
    };

    /** A refusal as a page: 403 for what the signed-in person may not see or do, 404 for what is not there. */
    const refused = (c: Context, session: WebSession | undefined, err: UsoError) =>
      c.html(
        <MessagePage
          title={err.code === 'not_found' ? 'Not found' : 'Not allowed'}
          text={err.message}
          who={session ? whoOf(session) : undefined}
        />,
        err.code === 'not_found' ? 404 : 403,
      );

    /** Runs a page's work, answering a refusal (another school's page, an unknown one) as a page of its own. */
    const refusing = async (c: Context, session: WebSession, work: () => Promise<Response>) => {
      try {
        return await work();
      } catch (err) {
        if (isUsoError(err, 'forbidden') || isUsoError(err, 'not_found')) return refused(c, session, err);
        throw err;
      }
    };

    app.get('/schools/:dfe', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const dfe = dfeNumberSchema.safeParse(c.req.param('dfe'));
      if (!dfe.success) return refused(c, session, new UsoError('not_found', 'there is no such school'));
      return refusing(c, session, () => schoolPage(c, session, dfe.data));
    });

    app.get('/schools/:dfe/new-accounts.csv', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const dfe = dfeNumberSchema.safeParse(c.req.param('dfe'));
      if (!dfe.success) return refused(c, session, new UsoError('not_found', 'there is no such school'));
      return refusing(c, session, async () => {
        const view = await actions.listNewAccounts(options.ctx, actorOf(session), { dfeNumber: dfe.data });
        return c.body(newAccountsCsv(view), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="new-accounts-${dfe.data}.csv"`,
          'cache-control': 'no-store',
        });
      });
    });

    app.get('/runs/:id', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const run = await getRun(db, c.req.param('id'));
      try {
        if (!run) throw new UsoError('not_found', 'there is no such run');
        await authorise(db, actorOf(session), run.dfeNumber, 'read');
      } catch (err) {
        if (isUsoError(err)) return refused(c, session, err);
        throw err;
      }
      const all = run.outcomes ?? [];
      const counts = new Map<string, number>();
      for (const o of all) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
      const kind = counts.has(c.req.query('kind') ?? '') ? c.req.query('kind') : undefined;
      const shown = kind ? all.filter((o) => o.outcome === kind) : all;
      const page = Math.max(0, Math.min(Number(c.req.query('page')) || 0, Math.ceil(shown.length / PAGE_SIZE) - 1));
      return c.html(
        <RunPage
          who={whoOf(session)}
          run={{
            id: run._id,
            dfeNumber: run.dfeNumber,
            status: run.status,
            trigger: run.trigger,
            startedAt: run.startedAt.toISOString(),
          }}
          counts={[...counts].sort((x, y) => y[1] - x[1])}
          outcomes={shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)}
          kind={kind}
          page={page}
          total={shown.length}
        />,
      );
    });

    app.get('/schools/:dfe/who', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const dfe = dfeNumberSchema.safeParse(c.req.param('dfe'));
      const query = (c.req.query('q') ?? '').trim().slice(0, 100);
      return refusing(c, session, async () => {
        if (!dfe.success) throw new UsoError('not_found', 'there is no such school');
        await authorise(db, actorOf(session), dfe.data, 'read');
        const view = query
          ? await actions.who(options.ctx, actorOf(session), { text: query, dfeNumber: dfe.data })
          : { found: [] };
        return c.html(<WhoPage who={whoOf(session)} dfeNumber={dfe.data} query={query} found={view.found} />);
      });
    });

    app.get('/schools/:dfe/audit', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      const dfe = dfeNumberSchema.safeParse(c.req.param('dfe'));
      try {
        if (!dfe.success) throw new UsoError('not_found', 'there is no such school');
        await authorise(db, actorOf(session), dfe.data, 'read');
      } catch (err) {
        if (isUsoError(err)) return refused(c, session, err);
        throw err;
      }
      const user = (c.req.query('user') ?? '').trim() || undefined;
      const before = Date.parse(c.req.query('before') ?? '');
      const entries = await auditEntries(
        db,
        { dfeNumber: dfe.data, ...(user ? { username: user } : {}), ...(before ? { before: new Date(before) } : {}) },
        PAGE_SIZE,
      );
      const next = entries.length === PAGE_SIZE ? entries.at(-1)!.at.toISOString() : undefined;
      return c.html(<AuditPage who={whoOf(session)} dfeNumber={dfe.data} entries={entries} user={user} next={next} />);
    });

    const FORMS = new Set<FormId>(['exclusion', 'request', 'keep', 'settings']);
    /** The school and form a URL names, and the form as this person may fill it in. */
    const formOf = async (c: Context, session: WebSession, extra: { u?: string } = {}) => {
      const dfe = dfeNumberSchema.safeParse(c.req.param('dfe'));
      const id = c.req.param('form') as FormId;
      if (!dfe.success || !FORMS.has(id)) throw new UsoError('not_found', 'there is no such form');
      const data = buttonData.safeParse({ d: dfe.data, form: id, ...extra });
      if (!data.success) throw new UsoError('not_found', 'there is no such form');
      await authorise(db, actorOf(session), dfe.data, actionDefs.openForm.need);
      return formFor(options.ctx, actorOf(session), data.data);
    };

    app.get('/schools/:dfe/forms/:form', async (c) => {
      const session = await sessionOf(c);
      if (!session) return c.redirect('/signin', 303);
      try {
        const u = c.req.query('u');
        return c.html(<FormPage who={whoOf(session)} form={await formOf(c, session, u ? { u } : {})} />);
      } catch (err) {
        if (isUsoError(err)) return refused(c, session, err);
        throw err;
      }
    });

    app.post('/schools/:dfe/forms/:form', async (c) => {
      let posted: Awaited<ReturnType<typeof postedSession>>;
      try {
        posted = await postedSession(c, true);
      } catch (err) {
        if (isUsoError(err, 'forbidden')) return refused(c, await sessionOf(c), err);
        throw err;
      }
      const { session, form: values } = posted;
      const { csrf: _c, u, ...fields } = values;
      try {
        const form = await formOf(c, session, typeof u === 'string' ? { u } : {});
        try {
          const done = await submitForm(options.ctx, actorOf(session), form.id, form.meta, fields);
          return await schoolPage(c, session, form.meta.d, done);
        } catch (err) {
          if (err instanceof FormErrors)
            return c.html(<FormPage who={whoOf(session)} form={form} errors={err.fields} values={fields} />, 400);
          throw err;
        }
      } catch (err) {
        if (isUsoError(err, 'forbidden') || isUsoError(err, 'not_found')) return refused(c, session, err);
        if (isUsoError(err)) return schoolPage(c, session, c.req.param('dfe'), undefined, err.message);
        throw err;
      }
    });

    app.post('/schools/:dfe/actions/:action', async (c) => {
      let posted: Awaited<ReturnType<typeof postedSession>>;
      try {
        posted = await postedSession(c);
      } catch (err) {
        if (isUsoError(err, 'forbidden')) return refused(c, await sessionOf(c), err);
        throw err;
      }
      const { session, form } = posted;
      const action = c.req.param('action') as ChatAction;
      if (!FORM_ACTIONS.has(action)) return refused(c, session, new UsoError('not_found', 'there is no such action'));
      const { csrf: _csrf, ...fields } = form;
      const data = buttonData.safeParse({ ...fields, d: c.req.param('dfe') });
      if (!data.success)
        return refused(c, session, new UsoError('not_found', 'that form is not one this console made'));
      const actor = actorOf(session);
      try {
        await authorise(db, actor, data.data.d, actionDefs[action].need);
        const effect = await actionDefs[action].run(options.ctx, actor, data.data);
        const done = effect.kind === 'views' ? effect.views[0] : undefined;
        return await schoolPage(c, session, data.data.d, done);
      } catch (err) {
        if (!isUsoError(err)) throw err;
        if (err.code === 'forbidden' || err.code === 'not_found') return refused(c, session, err);
        return schoolPage(c, session, data.data.d, undefined, err.message);
      }
    });
  };
}

type BoardRow = Awaited<ReturnType<typeof schoolStatus>>['schools'][number];
const held = (s: BoardRow) => s.heldChanges.reduce((n, h) => n + h.count, 0);

function boardOrder(sort: BoardSort): (a: BoardRow, b: BoardRow) => number {
  const byName = (a: BoardRow, b: BoardRow) => a.name.localeCompare(b.name);
  switch (sort) {
    case 'status':
      return (a, b) => Number(b.lastRun?.status === 'failed') - Number(a.lastRun?.status === 'failed') || byName(a, b);
    case 'held':
      return (a, b) => held(b) - held(a) || byName(a, b);
    case 'matches':
      return (a, b) => b.openMatches - a.openMatches || byName(a, b);
    case 'export':
      return (a, b) => (a.lastExport?.exportedAt ?? '').localeCompare(b.lastExport?.exportedAt ?? '') || byName(a, b);
    default:
      return byName;
  }
}

const WORST: NightState[] = ['failed', 'skipped', 'succeeded'];
const worse = (a: NightState | undefined, b: NightState): NightState =>
  a && WORST.indexOf(a) <= WORST.indexOf(b) ? a : b;

/** The last 30 nights of the schools shown, per school and across them: one read of the runs since then. */
async function nightsOf(db: Db, schools: Set<string>, now: Date) {
  const days = Array.from({ length: 30 }, (_, i) =>
    new Date(now.getTime() - (29 - i) * 86_400_000).toISOString().slice(0, 10),
  );
  const nights = new Map<string, Map<string, NightState>>();
  const laNights = new Map<string, NightState>();
  for (const run of await runsSince(db, new Date(`${days[0]}T00:00:00Z`))) {
    if (!schools.has(run.dfeNumber) || !WORST.includes(run.status as NightState)) continue;
    const day = run.startedAt.toISOString().slice(0, 10);
    const state = run.status as NightState;
    const mine = nights.get(run.dfeNumber) ?? new Map<string, NightState>();
    mine.set(day, worse(mine.get(day), state));
    nights.set(run.dfeNumber, mine);
    laNights.set(day, worse(laNights.get(day), state));
  }
  return { days, nights, laNights };
}
