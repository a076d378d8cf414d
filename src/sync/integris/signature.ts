// Integris webhook signatures: `Integris-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<raw body>")>`.
// Several v1 values may appear while a secret rotates; any one matching any configured secret is enough.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The HMAC over the timestamp and the body's bytes exactly as they arrived (never a decoded and re-encoded copy). */
export function signIntegrisBody(rawBody: string | Uint8Array, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export function integrisSignatureHeader(
  rawBody: string | Uint8Array,
  secrets: readonly string[],
  timestamp: number,
): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signIntegrisBody(rawBody, s, timestamp)}`)].join(',');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyIntegrisSignature(
  header: string | undefined,
  rawBody: string | Uint8Array,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  let timestamp: number | undefined;
  const given: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) given.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || given.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  for (const secret of secrets) {
    const expected = Buffer.from(signIntegrisBody(rawBody, secret, timestamp), 'hex');
    if (given.some((g) => timingSafeEqual(g, expected))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
