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
          (context) => app.run(context).then(() => undefined),
          (reason) => logger.warn({ reason }, 'teams request refused: token not valid'),
          gate,
        ),
      );
    },
  };
}
