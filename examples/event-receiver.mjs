// A service receiving uso-autoupdate events, verified as Standard Webhooks with the published `standardwebhooks`
// library (webhook-id, webhook-timestamp within 5 minutes, webhook-signature with any of the secrets), each event
// taken once: a repeat of an id seen in the last 10 minutes is answered 200 and dropped. Anything else gets 401. Run:
//   USO_SECRETS=whsec_...[,whsec_...] PORT=8080 node examples/event-receiver.mjs
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';

const verifiers = (process.env.USO_SECRETS ?? '')
  .split(',')
  .filter(Boolean)
  .map((s) => new Webhook(s));
const seen = new Map(); // webhook-id -> when it was first taken

/** The event when the delivery is signed with one of the secrets and fresh; undefined otherwise. */
export function verify(headers, body) {
  for (const v of verifiers) {
    try {
      return v.verify(body, headers);
    } catch {
      // not this secret: try the next (during a rotation)
    }
  }
  return undefined;
}

/** True the first time an id is taken; repeats (a retry after a lost answer, a replay) are dropped. */
export function firstTime(id, now = Date.now()) {
  for (const [k, at] of seen) if (now - at > 10 * 60_000) seen.delete(k);
  if (seen.has(id)) return false;
  seen.set(id, now);
  return true;
}

// run as a program (imported, it only lends its two functions)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const event = verify(req.headers, body);
      if (!event) return void res.writeHead(401).end();
      if (firstTime(req.headers['webhook-id'])) console.log(body); // one event per line: {"id","type","occurredAt","dfeNumber","data"}
      res.writeHead(200).end();
    });
  }).listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.error('listening'));
