// A Web-standard Bolt receiver for Hono: Request in, Response out. Slack's v0 signature and 5-minute window are
// checked with Bolt's own verifier on the raw body; the HTTP answer goes back as soon as a listener acks (Slack
// wants it within 3 s) while the listener's remaining work carries on.
import { verifySlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Context } from 'hono';

export class HonoReceiver implements Receiver {
  private app?: App;

  constructor(
    private readonly options: {
      signingSecret: string;
      /** Seen event ids, so Slack's retries of an event are not processed twice. */
      firstDelivery?: (eventId: string) => Promise<boolean>;
      ackTimeoutMs?: number;
      onError?: (err: unknown) => void;
    },
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async handle(c: Context): Promise<Response> {
    const raw = await c.req.text();
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        headers: { 'x-slack-signature': c.req.header('x-slack-signature') ?? '', 'x-slack-request-timestamp': Number(c.req.header('x-slack-request-timestamp')) },
      });
    } catch {
      return c.json({ error: 'signature_invalid' }, 401);
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, c.req.header('content-type') ?? '');
    } catch {
      return c.json({ error: 'payload_invalid' }, 400);
    }
    if (body.type === 'url_verification') return c.json({ challenge: body.challenge });
    const retryNum = c.req.header('x-slack-retry-num');
    if (typeof body.event_id === 'string' && this.options.firstDelivery && !(await this.options.firstDelivery(body.event_id))) {
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
    const timeout = setTimeout(() => settle(new Response(null, { status: 200 })), this.options.ackTimeoutMs ?? 2500);
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

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = Object.fromEntries(new URLSearchParams(raw));
  return typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
}
