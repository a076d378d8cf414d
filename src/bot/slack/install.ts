// Multi-workspace installs: "Add to Slack" (GET /slack/install), the OAuth v2 redirect (GET /slack/oauth_redirect)
// that stores the workspace's bot token in MongoDB, and the lookup Bolt and the outbox use per workspace.
// The OAuth state is signed and expires, so a redirect cannot be forged or replayed later.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { boltLogger } from './bolt-logger.js';
import type { Hono } from 'hono';
import type { Db } from 'mongodb';
import type { Logger } from '../../log.js';
import { saveSlackInstallation, slackInstallationOf, type SlackInstallation } from '../../store/chatConversations.js';

export const BOT_SCOPES = ['commands', 'chat:write', 'files:write'];

export type { SlackInstallation };

export async function installationFor(db: Db, teamId: string): Promise<SlackInstallation | undefined> {
  return slackInstallationOf(db, teamId);
}

function signState(secret: string, now: number): string {
  const body = `${randomBytes(12).toString('hex')}.${now + 10 * 60_000}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function stateIsValid(state: string, secret: string, now: number): boolean {
  const [nonce, expiry, mac] = state.split('.');
  if (!nonce || !expiry || !mac || !/^[0-9a-f]{64}$/.test(mac)) return false;
  const expected = createHmac('sha256', secret).update(`${nonce}.${expiry}`).digest();
  return timingSafeEqual(Buffer.from(mac, 'hex'), expected) && Number(expiry) > now;
}

export function slackInstallRoutes(options: {
  db: Db;
  logger: Logger;
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  now?: () => number;
}) {
  const now = options.now ?? Date.now;
  return (app: Hono) => {
    app.get('/slack/install', (c) => {
      const url = new URL('https://slack.com/oauth/v2/authorize');
      url.searchParams.set('client_id', options.clientId);
      url.searchParams.set('scope', BOT_SCOPES.join(','));
      url.searchParams.set('state', signState(options.stateSecret, now()));
      return c.redirect(url.toString(), 302);
    });
    app.get('/slack/oauth_redirect', async (c) => {
      const code = c.req.query('code');
      const state = c.req.query('state') ?? '';
      if (c.req.query('error')) return c.html('<p>The installation was cancelled.</p>', 400);
      if (!code || !stateIsValid(state, options.stateSecret, now()))
        return c.html(
          '<p>This installation link has expired or is not valid: start again from the Add to Slack button.</p>',
          400,
        );
      const res = await new WebClient(undefined, { logger: boltLogger(options.logger) }).oauth.v2.access({
        client_id: options.clientId,
        client_secret: options.clientSecret,
        code,
      });
      if (!res.ok || !res.access_token || !res.team?.id)
        return c.html('<p>Slack did not complete the installation.</p>', 502);
      await saveSlackInstallation(options.db, {
        teamId: res.team.id,
        ...(res.team.name ? { teamName: res.team.name } : {}),
        botToken: res.access_token,
        ...(res.bot_user_id ? { botUserId: res.bot_user_id } : {}),
        ...(res.app_id ? { botId: res.app_id } : {}),
        scopes: (res.scope ?? '').split(',').filter(Boolean),
        ...(res.authed_user?.id ? { installedBy: res.authed_user.id } : {}),
        installedAt: new Date(),
      });
      options.logger.info({ teamId: res.team.id }, 'slack app installed');
      return c.html('<p>USO autoupdate is installed. Link a channel to a school with <code>/uso link CODE</code>.</p>');
    });
  };
}
