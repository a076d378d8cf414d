// A loopback proxy in front of the test store that every test's connection goes through (the suite's own clients,
// the service, the CLI processes it starts), checking each write command's size on the wire. A command with more
// statements than the store may take at once (WRITE_BATCH updates or deletes; an insert is one statement, taken up
// to INSERT_LIMIT documents) is not sent: its connection is closed, so the test that sent it fails at once, and
// the whole run fails at teardown with the list. That is how "no write command of 100 or more statements" is kept
// true of every path the tests reach, not only of those that remember to check.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { BSON } from 'mongodb';
import { WRITE_BATCH } from '../../src/store/kind.js';

/** Documents one insert command may carry (the accounts module sends at most 1,000). */
export const INSERT_LIMIT = 1000;

const STATEMENTS: Record<string, string> = { update: 'updates', delete: 'deletes', insert: 'documents' };

export interface OversizedWrite {
  command: string;
  collection: string;
  statements: number;
}

/** The write command in one whole OP_MSG, with the number of statements it carries; undefined for anything else. */
export function writeCommandOf(msg: Buffer): OversizedWrite | undefined {
  if (msg.readInt32LE(12) !== 2013) return undefined; // only OP_MSG (the driver sends nothing else uncompressed)
  const end = msg.readUInt32LE(16) & 1 ? msg.length - 4 : msg.length; // a checksum closes the message
  let at = 20;
  let body: Buffer | undefined;
  const sequences = new Map<string, number>();
  while (at < end) {
    const kind = msg[at]!;
    at += 1;
    const size = msg.readInt32LE(at);
    if (kind === 0) body = msg.subarray(at, at + size);
    else {
      const nul = msg.indexOf(0, at + 4);
      const id = msg.toString('utf8', at + 4, nul);
      let count = 0;
      for (let d = nul + 1; d < at + size; d += msg.readInt32LE(d)) count++;
      sequences.set(id, count);
    }
    at += size;
  }
  if (!body) return undefined;
  const type = body[4];
  const nameEnd = body.indexOf(0, 5);
  const command = body.toString('utf8', 5, nameEnd);
  const field = STATEMENTS[command];
  if (!field || type !== 2) return undefined;
  const doc = BSON.deserialize(body, { promoteBuffers: true });
  const listed = Array.isArray(doc[field]) ? (doc[field] as unknown[]).length : 0;
  return { command, collection: String(doc[command]), statements: listed + (sequences.get(field) ?? 0) };
}

const tooBig = (w: OversizedWrite) => w.statements > (w.command === 'insert' ? INSERT_LIMIT : WRITE_BATCH);

export async function writeGuardProxy(targetUri: string) {
  const target = new URL(targetUri.replace(/^mongodb:/, 'http:'));
  const oversized: OversizedWrite[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const size = pending.readInt32LE(0);
        const msg = pending.subarray(0, size);
        pending = pending.subarray(size);
        const write = writeCommandOf(msg);
        if (write && tooBig(write)) {
          oversized.push(write);
          close();
          return;
        }
        upstream.write(msg);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const query = targetUri.includes('?') ? targetUri.slice(targetUri.indexOf('?')) : '';
  return {
    uri: `mongodb://127.0.0.1:${port}/${query}`,
    oversized,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
