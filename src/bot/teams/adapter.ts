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

/** How long Microsoft's signing keys are taken to be unreachable after a failed fetch (no fetch meanwhile). */
const KEYS_DOWN_MS = 30_000;

/**
 * Guards the token check: anything that stops botbuilder from checking a token (Microsoft's OpenID metadata or
 * keys unreachable, a malformed token) is a 401, never a 500; after the keys could not be fetched, requests are
 * refused at once for a while instead of each one (forged ones included) triggering another fetch; and the outage
 * is logged once when it starts and once when it ends.
 */
export class TokenGate {
  private downUntil = 0;
  private down = false;

  constructor(
    private readonly log: { warn(o: object, m: string): void; info(o: object, m: string): void },
    private readonly now = () => Date.now(),
  ) {}

  /** A reason to refuse without asking botbuilder, while the keys are known to be unreachable. */
  refuseNow(): string | undefined {
    return this.now() < this.downUntil ? "Microsoft's signing keys are unreachable" : undefined;
  }

  /** Records why a token check failed; true when it was the keys that could not be fetched. */
  failed(err: unknown): boolean {
    const e = err as { name?: string; message?: string; type?: string };
    const unreachable =
      e.name === 'FetchError' || e.type === 'system' || /Failed to load (openID config|Keys)/.test(e.message ?? '');
    if (!unreachable) return false;
    this.downUntil = this.now() + KEYS_DOWN_MS;
    if (!this.down)
      this.log.warn(
        { code: 'teams_keys_unreachable', reason: e.message?.slice(0, 200) },
        "teams: cannot fetch Microsoft's OpenID metadata or signing keys; refusing every activity (401) until they answer",
      );
    this.down = true;
    return true;
  }

  passed(): void {
    if (this.down) this.log.info({ code: 'teams_keys_reachable' }, "teams: Microsoft's signing keys answer again");
    this.down = false;
    this.downUntil = 0;
  }
}

/**
 * Runs one Bot Framework request through the adapter: the token is checked before the bot sees the activity, and the
 * answer is an invoke's response (a card action's result), 200 for other activities, or 401 for any request whose
 * token was not accepted, whatever stopped the check. An error from the bot itself, after the token passed, is thrown.
 */
export async function processActivity(
  c: Context,
  adapter: BotAdapter,
  logic: (context: TurnContext) => Promise<void>,
  onRefused: (reason: string) => void = () => {},
  gate?: TokenGate,
): Promise<Response> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'payload_invalid', message: 'the body is not JSON' }, 400);
  }
  const envelope = activityEnvelope.safeParse(body);
  if (!envelope.success) {
    return c.json(
      {
        error: 'payload_invalid',
        message: envelope.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      },
      400,
    );
  }
  const early = gate?.refuseNow();
  if (early) {
    onRefused(early);
    return c.json({ error: 'signature_invalid' }, 401);
  }
  let authenticated = false;
  try {
    const invoke = await adapter.authenticateAndRun(
      c.req.header('authorization') ?? '',
      envelope.data as unknown as Activity,
      (context) => {
        authenticated = true;
        gate?.passed();
        return logic(context);
      },
    );
    // botbuilder answers an invoke no handler knows with 501; to the caller that is a request we do not take
    if (invoke?.status === 501)
      return c.json(
        {
          error: 'payload_invalid',
          message: `this bot does not handle that invoke${envelope.data.name ? ` (${String(envelope.data.name).slice(0, 60)})` : ''}`,
        },
        400,
      );
    if (invoke?.body === undefined) return c.body(null, (invoke?.status ?? 200) as 200);
    return c.json(invoke.body as object, (invoke.status ?? 200) as 200);
  } catch (err) {
    if (authenticated) throw err;
    gate?.failed(err);
    onRefused((err as Error).message);
    return c.json({ error: 'signature_invalid' }, 401);
  }
}
