// Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
// `webhook-signature` ("v1," + base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", keyed by the secret's bytes: the
// base64 after "whsec_"), one signature per secret while one rotates, space-separated. Any published verifier
// (the `standardwebhooks` libraries) checks our deliveries as they are.
import { createHmac } from 'node:crypto';

/** The secret's key bytes (standard or URL-safe base64: secrets made before were URL-safe). */
const keyOf = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

export function standardWebhookHeaders(
  id: string,
  body: string,
  secrets: readonly string[],
  timestamp: number,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const signed = `${id}.${timestamp}.${body}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets
      .map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).digest('base64')}`)
      .join(' '),
  };
}
