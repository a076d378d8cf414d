// Bot Framework on Hono: the teams-ai adapter (botbuilder's CloudAdapter) checks each request's JWT against the
// Bot Framework OpenID metadata and keys (issuer, audience = our app id, expiry with 5 minutes' allowance, signing
// key and its "msteams" endorsement, service URL claim) and runs the bot. The adapter's `processActivity` is called
// directly with the header and the parsed activity, so a refused token of any kind is a 401 here (through
// `process` a bad signature would be a 500) and the answer is an ordinary web Response.
import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, TurnContext } from 'botbuilder';
import type { Context } from 'hono';
import { z } from 'zod';

export interface TeamsAuth {
  appId: string;
  appPassword: string;
  appType: 'MultiTenant' | 'SingleTenant';
  /** Required for a SingleTenant registration: tokens come from, and are accepted for, this tenant. */
  tenantId?: string;
}

/** The teams-ai adapter, with its authenticate-then-run step open to the Hono shell. */
export class BotAdapter extends TeamsAdapter {
  /** Checks the request's token for the activity, then runs the bot; resolves to an invoke's response, if any. */
  authenticateAndRun(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authHeader, activity, logic);
  }
}

export function teamsAdapter(auth: TeamsAuth): BotAdapter {
  return new BotAdapter({
    MicrosoftAppId: auth.appId,
    MicrosoftAppPassword: auth.appPassword,
    MicrosoftAppType: auth.appType,
    ...(auth.tenantId ? { MicrosoftAppTenantId: auth.tenantId } : {}),
  });
}

/** Just enough of an activity to know it is one; botbuilder checks the rest, the bot parses what it uses. */
const activityEnvelope = z.looseObject({
  type: z.string().min(1),
  serviceUrl: z.url(),
  conversation: z.looseObject({ id: z.string().min(1) }),
});

/** What botbuilder and the JWT library throw for a token they refuse. */
const refusedToken = (err: unknown) => {
  const e = err as { name?: string; statusCode?: number };
  return e.statusCode === 401 || ['AuthenticationError', 'JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError'].includes(e.name ?? '');
};

/**
 * Runs one Bot Framework request through the adapter: the token is checked before the bot sees the activity, and the
 * answer is an invoke's response (a card action's result), 200 for other activities, or 401 for a refused token.
 */
export async function processActivity(
  c: Context,
  adapter: BotAdapter,
  logic: (context: TurnContext) => Promise<void>,
  onRefused: (reason: string) => void = () => {},
): Promise<Response> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'payload_invalid', message: 'the body is not JSON' }, 400);
  }
  const envelope = activityEnvelope.safeParse(body);
  if (!envelope.success) {
    return c.json({ error: 'payload_invalid', message: envelope.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') }, 400);
  }
  try {
    const invoke = await adapter.authenticateAndRun(c.req.header('authorization') ?? '', envelope.data as unknown as Activity, logic);
    if (invoke?.body === undefined) return c.body(null, (invoke?.status ?? 200) as 200);
    return c.json(invoke.body as object, (invoke.status ?? 200) as 200);
  } catch (err) {
    if (!refusedToken(err)) throw err;
    onRefused((err as Error).message);
    return c.json({ error: 'signature_invalid' }, 401);
  }
}
