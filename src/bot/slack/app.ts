// The Slack surface: a Bolt App behind the Web-standard Hono receiver (receiver.ts), its listeners (listeners.ts)
// wired in one place (register.ts), the outbox sender, and Bolt's logging into the service's log.
import { App } from '@slack/bolt';
import type { Db } from 'mongodb';
import type { Hono } from 'hono';
import { firstSighting } from '../../store/events.js';
import type { Logger } from '../../log.js';
import { boltLogger } from './bolt-logger.js';
import type * as actions from '../actions.js';
import type { ChatSenders } from '../outbox.js';
import { HonoReceiver } from './receiver.js';
import { slackSender } from './sender.js';
import { installationFor } from './install.js';
import { singleWorkspaceAuthorize } from './identity.js';
import { register } from './register.js';

export interface SlackOptions {
  db: Db;
  logger: Logger;
  signingSecret: string;
  /** One workspace: its bot token. Without it, each workspace's installation (stored by the OAuth flow) is used. */
  token?: string;
  scheduler?: actions.ActionContext['scheduler'];
  /** Offline and in tests: skip Bolt's auth.test at start-up. */
  botUserId?: string;
  botId?: string;
  /** The service's senders (read at each decision), so a decision here refreshes summaries on other platforms too. */
  senders?: ChatSenders;
}

export function createSlack(options: SlackOptions) {
  const receiver = new HonoReceiver({
    signingSecret: options.signingSecret,
    firstDelivery: (eventId) => firstSighting(options.db, `slack:${eventId}`, 86_400_000),
    onError: (err) => options.logger.error({ err: { message: (err as Error).message } }, 'slack listener failed'),
    onRateLimited: () =>
      options.logger.warn(
        { code: 'slack_events_rate_limited' },
        'slack: Slack is dropping events for this app for a while (app_rate_limited)',
      ),
    onSlowAck: () =>
      options.logger.warn(
        { code: 'slack_ack_late' },
        'slack: no listener answered within 2.5 s; Slack was sent an empty answer',
      ),
  });
  const app = new App({
    receiver,
    ...(options.token
      ? options.botUserId !== undefined
        ? { token: options.token, botUserId: options.botUserId, botId: options.botId, tokenVerificationEnabled: false }
        : { authorize: singleWorkspaceAuthorize(options.token, options.logger) }
      : {
          authorize: async ({ teamId }: { teamId?: string }) => {
            const installation = teamId ? await installationFor(options.db, teamId) : undefined;
            if (!installation) throw new Error(`no installation for workspace ${teamId}`);
            return {
              botToken: installation.botToken,
              botId: installation.botId,
              botUserId: installation.botUserId,
              teamId,
            };
          },
        }),
    // Bolt's own messages go into the service's JSON log, not as plain lines beside it
    logger: boltLogger(options.logger),
    // interactive paths fail fast (a rate limit, an unreachable API) instead of waiting it out for half an hour;
    // what must arrive goes through the outbox, which retries
    clientOptions: { rejectRateLimitedCalls: true, timeout: 10_000, retryConfig: { retries: 1 } },
  });
  // the outbox's Slack sender: the one workspace's token, or each workspace's installation
  const sender = slackSender(options.token ?? (async (team) => (await installationFor(options.db, team))?.botToken), {
    logger: options.logger,
  });
  register(app, {
    db: options.db,
    logger: options.logger,
    ctx: { db: options.db, ...(options.scheduler ? { scheduler: options.scheduler } : {}) },
    // read at each decision, so platforms the service adds later are refreshed too
    senders: () => ({ ...options.senders, slack: sender }),
  });

  return {
    app,
    sender,
    routes: (hono: Hono) => {
      hono.post('/slack/events', (c) => receiver.handle(c));
    },
  };
}
