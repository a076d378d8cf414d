// Starts and stops the long-running parts in order: store, scheduler, HTTP server. Stopping reverses it: stop
// taking requests, let in-flight ones finish, stop the scheduler, close the store, stop embedded FerretDB.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { UsoError } from './errors.js';
import { openStore, type Store } from './store/index.js';
import type { IntegrisClient } from './sync/integris/client.js';
import { integrisClient, storeOptions } from './connections.js';
import { JOB, Scheduler } from './sync/jobs.js';
import { integrisWebhookRoutes } from './webhooks/index.js';
import { alerts, deliverDue, notifyRun, queueLaDigests, type ChatSenders } from './bot/index.js';
import { createSlack, slackInstallRoutes } from './bot/slack/index.js';
import { createTeams } from './bot/teams/index.js';
import { todayIn } from './domain/dates.js';
import { runRetention } from './sync/retention.js';
import { grantAlerts } from './grant-alerts.js';
import { checkStore, identityProblemsByLa } from './sync/doctor.js';
import { deliverEvents, fanOut } from './sync/outbound.js';
import { exclusively } from './sync/exclusive.js';
import { apiRoutes } from './api/index.js';
import { consoleRoutes } from './web/console.js';
import type { OidcSettings } from './web/oidc.js';

export interface Service {
  store: Store;
  scheduler: Scheduler;
  url: string;
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  logger: Logger,
  extra: { integris?: IntegrisClient; processEvery?: number } = {},
): Promise<Service> {
  const store = await openStore(storeOptions(config, logger));
  const integris = extra.integris ?? integrisClient(config, logger);
  // each chat adapter adds its outbox sender when it is configured
  const senders: ChatSenders = {};
  // aborted first at shutdown, so runs in progress stop at a batch boundary and are settled before the store closes
  const shutdown = new AbortController();
  // whatever a run or a grant change queues for chat is delivered at once
  const deliverIfQueued = async (queued: number) => {
    if (queued > 0) await scheduler.agenda.now(JOB.deliverOutbox);
  };
  const scheduler = new Scheduler({
    signal: shutdown.signal,
    onRun: async (run) => {
      await scheduler.agenda.now(JOB.deliverEvents);
      let queued = await notifyRun(store.db, run);
      if (run.status === 'succeeded') queued += await alerts.runSucceeded(store.db, run.dfeNumber);
      await deliverIfQueued(queued);
    },
    onRunFailed: async (dfeNumber, code) => deliverIfQueued(await alerts.runFailed(store.db, dfeNumber, code)),
    ...grantAlerts(store.db, config.REVOKE_GRACE_DAYS, deliverIfQueued),
    db: store.db,
    logger,
    integris,
    timeZone: config.TZ,
    concurrency: config.SYNC_CONCURRENCY,
    processDelayMinutes: config.PROCESS_DELAY_MINUTES,
    ...(extra.processEvery ? { processEvery: extra.processEvery } : {}),
  });
  const routes = config.INTEGRIS_WEBHOOK_SECRETS
    ? [integrisWebhookRoutes({ db: store.db, logger, secrets: config.INTEGRIS_WEBHOOK_SECRETS, scheduler })]
    : [];
  if (config.SLACK_SIGNING_SECRET && (config.SLACK_BOT_TOKEN || config.SLACK_CLIENT_ID)) {
    const slack = createSlack({
      db: store.db,
      logger,
      signingSecret: config.SLACK_SIGNING_SECRET,
      ...(config.SLACK_BOT_TOKEN ? { token: config.SLACK_BOT_TOKEN } : {}),
      scheduler,
      senders,
    });
    routes.push(slack.routes);
    senders.slack = slack.sender;
  }
  if (config.SLACK_CLIENT_ID && config.SLACK_CLIENT_SECRET && config.SLACK_STATE_SECRET) {
    routes.push(
      slackInstallRoutes({
        db: store.db,
        logger,
        clientId: config.SLACK_CLIENT_ID,
        clientSecret: config.SLACK_CLIENT_SECRET,
        stateSecret: config.SLACK_STATE_SECRET,
      }),
    );
  }
  if (config.TEAMS_APP_ID && config.TEAMS_APP_PASSWORD) {
    const teams = createTeams({
      db: store.db,
      logger,
      appId: config.TEAMS_APP_ID,
      appPassword: config.TEAMS_APP_PASSWORD,
      appType: config.TEAMS_APP_TYPE,
      ...(config.TEAMS_TENANT_ID ? { tenantId: config.TEAMS_TENANT_ID } : {}),
      scheduler,
      senders,
    });
    routes.push(teams.routes);
    senders.teams = teams.sender;
  }
  routes.push(apiRoutes({ db: store.db, perMinute: config.API_RATE_PER_MINUTE }));
  const oidc = consoleSettings(config);
  if (oidc && config.WEB_SESSION_SECRET)
    routes.push(
      consoleRoutes({
        db: store.db,
        logger,
        oidc,
        sessionSecret: config.WEB_SESSION_SECRET,
        ctx: { db: store.db, scheduler, revokeGraceDays: config.REVOKE_GRACE_DAYS },
      }),
    );
  const app = createApp({ store, logger, routes });
  // subscribers' events: new audit entries fanned out and delivered every minute, and at once after a run
  // (each holds a lease in the store while it runs: one delivery loop across every worker, however long a pass takes)
  scheduler.agenda.define(
    JOB.deliverEvents,
    async () =>
      void (await exclusively(store.db, `job:${JOB.deliverEvents}`, async () => {
        await fanOut(store.db, { logger });
        await deliverEvents(store.db, { logger });
      })),
    { concurrency: 1 },
  );
  let server: Server;
  // the outbox is delivered every minute, and at once after something is queued by a run
  scheduler.agenda.define(
    JOB.deliverOutbox,
    async () =>
      void (await exclusively(store.db, `job:${JOB.deliverOutbox}`, () => deliverDue(store.db, senders, logger))),
    { concurrency: 1 },
  );
  const retention = {
    exportKeepNights: config.EXPORT_KEEP_NIGHTS,
    runOutcomeKeepDays: config.RUN_OUTCOME_KEEP_DAYS,
    revokeGraceDays: config.REVOKE_GRACE_DAYS,
  };
  scheduler.agenda.define(
    JOB.retention,
    async () => {
      const report = await runRetention(store.db, retention, { logger });
      logger.info({ ...report }, 'retention job finished');
    },
    { concurrency: 1 },
  );
  // each school-day morning: schools whose exports stopped arriving are told, then LA admins get their digest
  scheduler.agenda.define(
    JOB.digest,
    async () => {
      const today = todayIn(config.TZ);
      await alerts.checkExportsArriving(store.db, today);
      // the whole store checked against one person, one account: what breaks it is in each LA's digest
      const identity = await checkStore(store.db);
      if (identity.violations.length || identity.unaudited.length)
        logger.warn(
          { violations: identity.violations.length, unaudited: identity.unaudited.length },
          'identity check found accounts to repair: uso doctor',
        );
      await queueLaDigests(store.db, today, identityProblemsByLa(identity.violations));
    },
    { concurrency: 1 },
  );
  try {
    await scheduler.start();
    await scheduler.agenda.every('1 minute', JOB.deliverOutbox);
    await scheduler.agenda.every('1 minute', JOB.deliverEvents);
    await scheduler.agenda.every('0 8 * * 1-5', JOB.digest, undefined, { timezone: config.TZ });
    await scheduler.agenda.every('30 2 * * *', JOB.retention, undefined, { timezone: config.TZ });
    server = await listen(app.fetch, config.HOST, config.PORT);
    // grants given since the last run are seen now, not at the next hour
    if (integris) await scheduler.agenda.now(JOB.discover);
  } catch (err) {
    await scheduler.stop().catch(() => {});
    await store.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;
  logger.info({ url, store: store.kind }, 'uso-autoupdate listening');

  let stopping: Promise<void> | undefined;
  return {
    store,
    scheduler,
    url,
    stop() {
      stopping ??= (async () => {
        shutdown.abort();
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeIdleConnections();
        });
        await scheduler.stop();
        await store.close();
        logger.info('uso-autoupdate stopped');
      })();
      return stopping;
    },
  };
}

/** Listens on the port, or fails with one line saying why (a port in use is the usual cause). */
async function listen(fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<Server> {
  return new Promise<Server>((ok, fail) => {
    const s = serve({ fetch, port, hostname }, () => ok(s as Server)) as Server;
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${port} on ${hostname} is already in use (another uso-autoupdate or demo?): stop it or set PORT`
          : err.code === 'EACCES'
            ? `not allowed to listen on port ${port} on ${hostname}: choose a port above 1023 or run behind a proxy`
            : `cannot listen on ${hostname}:${port} (${err.code ?? err.message})`;
      fail(new UsoError('port_unavailable', why, { cause: err }));
    });
  });
}

/** The console's sign-in settings, when a public address and at least one provider are configured. */
function consoleSettings(config: Config): OidcSettings | undefined {
  if (!config.WEB_PUBLIC_URL || !(config.WEB_SLACK_CLIENT_ID || config.WEB_ENTRA_CLIENT_ID)) return undefined;
  return {
    publicUrl: config.WEB_PUBLIC_URL,
    ...(config.WEB_SLACK_CLIENT_ID && config.WEB_SLACK_CLIENT_SECRET
      ? {
          slack: {
            issuer: config.WEB_SLACK_ISSUER,
            clientId: config.WEB_SLACK_CLIENT_ID,
            clientSecret: config.WEB_SLACK_CLIENT_SECRET,
          },
        }
      : {}),
    ...(config.WEB_ENTRA_CLIENT_ID && config.WEB_ENTRA_CLIENT_SECRET
      ? {
          entra: {
            authority: config.WEB_ENTRA_AUTHORITY,
            clientId: config.WEB_ENTRA_CLIENT_ID,
            clientSecret: config.WEB_ENTRA_CLIENT_SECRET,
          },
        }
      : {}),
  };
}
