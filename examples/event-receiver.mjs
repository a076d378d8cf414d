// A service receiving uso-autoupdate events: checks each delivery's signature (HMAC-SHA256 of "<t>.<body>" with
// one of the secrets, within 5 minutes) and answers 200; anything else gets 401. Run:
//   USO_SECRETS=whsec_... PORT=8080 node examples/event-receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secrets = (process.env.USO_SECRETS ?? '').split(',').filter(Boolean);

export function verify(header = '', body, now = Date.now() / 1000) {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(now - t) > 300) return false;
  const given = parts.filter(([k]) => k === 'v1').map(([, v]) => Buffer.from(v ?? '', 'hex'));
  return secrets.some((s) => {
    const want = createHmac('sha256', s).update(`${t}.${body}`).digest();
    return given.some((g) => g.length === want.length && timingSafeEqual(g, want));
  });
}

createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const ok = verify(req.headers['uso-signature'], body);
    if (ok) console.log(body); // one verified event per line: {"id","type","occurredAt","dfeNumber","data"}
    res.writeHead(ok ? 200 : 401).end();
  });
}).listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.error('listening'));
