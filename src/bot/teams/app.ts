// The Teams surface: a teams-ai Application on the Bot Framework adapter, its listeners (listeners.ts) wired in one
// place (register.ts), the outbox sender, and the /api/messages route with its token check (adapter.ts).
import { Application, type TurnState } from '@microsoft/teams-ai';
import type { Hono } from 'hono';
import type { Db } from 'mongodb';
import type { Logger } from '../../log.js';
import type * as actions from '../actions.js';
import type { ChatSender, ChatSenders } from '../outbox.js';
import { processActivity, teamsAdapter, TokenGate, type TeamsAuth } from './adapter.js';
import { register } from './register.js';
import { teamsSender } from './sender.js';
import { tenantOf } from './conversations.js';
import { recordTeamsUser } from '../../store/web-sessions.js';
import type { Activity } from 'botbuilder';

export interface TeamsOptions extends TeamsAuth {
  db: Db;
  logger: Logger;
  scheduler?: actions.ActionContext['scheduler'];
  /** The service's senders (read at each decision), so a decision here refreshes summaries on other platforms too. */
  senders?: ChatSenders;
}

export function createTeams(options: TeamsOptions) {
  const { db, logger } = options;
  const adapter = teamsAdapter(options);
  const gate = new TokenGate(logger);
  const app = new Application<TurnState>({
    adapter,
    botAppId: options.appId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const sender: ChatSender = teamsSender(db, adapter, options.appId);
  register(app, {
    db,
    logger,
    ctx: { db, ...(options.scheduler ? { scheduler: options.scheduler } : {}) },
    // read at each decision, so platforms the service adds later are refreshed too
    senders: () => ({ ...options.senders, teams: sender }),
    ...(options.appType === 'SingleTenant' && options.tenantId ? { tenantId: options.tenantId } : {}),
  });

  return {
    app,
    adapter,
    sender,
    routes: (hono: Hono) => {
      hono.post('/api/messages', (c) =>
        processActivity(
          c,
          adapter,
          async (context) => {
            await knowTeamsUser(db, context.activity);
            await app.run(context);
          },
          (reason) => logger.warn({ reason }, 'teams request refused: token not valid'),
          gate,
        ),
      );
    },
  };
}

/** When each user was last recorded by this process: their record is renewed at most once a day. */
const known = new Map<string, number>();
const DAY_MS = 86_400_000;
/** Keeps the Teams id of each user beside their directory id, for the console's Microsoft sign-in. */
async function knowTeamsUser(db: Db, activity: Partial<Activity>): Promise<void> {
  const tenant = tenantOf(activity);
  const aad = activity.from?.aadObjectId;
  const userId = activity.from?.id;
  if (!tenant || !aad || !userId) return;
  const key = `${tenant}:${aad}`;
  if (Date.now() - (known.get(key) ?? -Infinity) < DAY_MS) return;
  await recordTeamsUser(db, tenant, aad, userId);
  known.set(key, Date.now());
}
