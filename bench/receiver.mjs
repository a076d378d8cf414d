// A subscriber's receiver for the events bench, run in its own process and written without any of the project's code:
// it verifies each delivery with the published `standardwebhooks` library and keeps what it was sent. It prints its
// URL as the first line on stdout; `GET /received` answers what arrived, `GET /refused` how many it could not verify.
// Usage: node bench/receiver.mjs SECRET
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.argv[2]);
const received = [];
let refused = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const answer = req.url === '/received' ? received : { refused };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const e = webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers);
      received.push({ id: e.id, type: e.type, occurredAt: e.occurredAt, username: e.data?.account?.username });
      res.writeHead(200).end();
    } catch {
      refused++;
      res.writeHead(401).end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}/\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
