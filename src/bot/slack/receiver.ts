// A Web-standard Bolt receiver for Hono: Request in, Response out. Slack's v0 signature and 5-minute window are
// checked with Bolt's own verifier on the raw body; the HTTP answer goes back as soon as a listener acks (Slack
// wants it within 3 s) while the listener's remaining work carries on.
import { verifySlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Context } from 'hono';
import { parseSlackBody } from './payloads.js';

export class HonoReceiver implements Receiver {
  private app?: App;

  constructor(
    private readonly options: {
      signingSecret: string;
      /** Seen event ids, so Slack's retries of an event are not processed twice. */
      firstDelivery?: (eventId: string) => Promise<boolean>;
      ackTimeoutMs?: number;
      onError?: (err: unknown) => void;
      /** Slack says it is dropping this app's events for a while. */
      onRateLimited?: () => void;
      /** No listener acknowledged in time (Slack would show the user an error). */
      onSlowAck?: () => void;
    },
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async handle(c: Context): Promise<Response> {
    const raw = await c.req.text();
    // Bolt's check allows five minutes either way; a request from the future is only clock skew up to a minute
    const sentAt = Number(c.req.header('x-slack-request-timestamp'));
    if (Number.isFinite(sentAt) && sentAt > Date.now() / 1000 + 60) return c.json({ error: 'signature_invalid' }, 401);
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        headers: {
          'x-slack-signature': c.req.header('x-slack-signature') ?? '',
          'x-slack-request-timestamp': Number(c.req.header('x-slack-request-timestamp')),
        },
      });
    } catch {
      return c.json({ error: 'signature_invalid' }, 401);
    }
    const parsed = parseSlackBody(raw, c.req.header('content-type') ?? '');
    if (!parsed.ok) return c.json({ error: 'payload_invalid', message: parsed.reason }, 400);
    const body = parsed.body;
    if (body.type === 'url_verification') return c.json({ challenge: body.challenge });
    if (body.type === 'app_rate_limited') {
      this.options.onRateLimited?.();
      return c.body(null, 200);
    }
    const retryNum = c.req.header('x-slack-retry-num');
    if (
      typeof body.event_id === 'string' &&
      this.options.firstDelivery &&
      !(await this.options.firstDelivery(body.event_id))
    ) {
      return c.body(null, 200); // a retry of an event already taken
    }
    if (!this.app) return c.json({ error: 'not ready' }, 503);
    let settle!: (r: Response) => void;
    const answered = new Promise<Response>((ok) => (settle = ok));
    let acked = false;
    const event: ReceiverEvent = {
      body,
      ...(retryNum ? { retryNum: Number(retryNum), retryReason: c.req.header('x-slack-retry-reason') } : {}),
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        if (response === undefined || response === '') settle(new Response(null, { status: 200 }));
        else if (typeof response === 'string') settle(new Response(response, { status: 200 }));
        else settle(Response.json(response));
      },
    };
    const timeout = setTimeout(() => {
      // Slack shows the user an error after 3 s: answer empty rather than late, and say so
      if (!acked) this.options.onSlowAck?.();
      settle(new Response(null, { status: 200 }));
    }, this.options.ackTimeoutMs ?? 2500);
    this.app.processEvent(event).then(
      () => settle(new Response(null, { status: 200 })),
      (err: unknown) => {
        this.options.onError?.(err);
        settle(acked ? new Response(null, { status: 200 }) : new Response(null, { status: 500 }));
      },
    );
    try {
      return await answered;
    } finally {
      clearTimeout(timeout);
    }
  }
}
