// Who the bot is in a single-workspace install, without letting Slack's Web API hold up every request: Bolt's own
// single-token authorisation calls auth.test once and then awaits that one promise for every event, so while the
// API is unreachable nothing runs (and a failed first call fails every later event). Here the identity is fetched
// with a short timeout and no retries, cached once known, tried again at most once a minute while unknown, and
// requests go on without it meanwhile (commands are answered from the request itself). An outage is logged once
// when it starts and once when it ends.
import { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import { boltLogger } from './bolt-logger.js';

export interface BotIdentity {
  botToken: string;
  botId?: string;
  botUserId?: string;
}

const RETRY_MS = 60_000;

export function singleWorkspaceAuthorize(
  token: string,
  logger: Logger,
  options: { client?: WebClient; now?: () => number } = {},
) {
  const client =
    options.client ??
    new WebClient(token, {
      timeout: 3000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: boltLogger(logger),
    });
  const now = options.now ?? Date.now;
  let known: BotIdentity | undefined;
  let lastTry = -Infinity;
  let unreachable = false;
  let inFlight: Promise<void> | undefined;

  const lookUp = async () => {
    try {
      const me = await client.auth.test();
      known = {
        botToken: token,
        ...(me.bot_id ? { botId: me.bot_id } : {}),
        ...(me.user_id ? { botUserId: me.user_id } : {}),
      };
      if (unreachable)
        logger.info({ code: 'slack_api_reachable' }, "slack: the Web API answers again; the bot's identity is known");
      unreachable = false;
    } catch (err) {
      if (!unreachable) {
        const e = err as { code?: string; data?: { error?: string }; message?: string };
        logger.warn(
          { code: 'slack_api_unreachable', reason: e.data?.error ?? e.code ?? e.message?.slice(0, 120) },
          'slack: the Web API does not answer (auth.test failed); commands are still answered, but nothing can be posted or updated until it does',
        );
      }
      unreachable = true;
    }
  };

  return async (): Promise<BotIdentity> => {
    if (known) return known;
    if (!inFlight && now() - lastTry >= RETRY_MS) {
      lastTry = now();
      inFlight = lookUp().finally(() => (inFlight = undefined));
    }
    // wait for a look-up in flight only briefly: a request never waits for Slack's API to come back
    await Promise.race([inFlight, new Promise((ok) => setTimeout(ok, 1000).unref())]);
    return known ?? { botToken: token };
  };
}
