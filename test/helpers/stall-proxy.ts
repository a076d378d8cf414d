// A loopback TCP proxy in front of the test store that can wedge one connection the way a stuck server does: once
// it sees a command matching `stallWhen`, that connection stops answering (the bytes go nowhere), while other
// connections carry on. It reads just enough of the MongoDB wire protocol (OP_MSG section 0) to name the command.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface Command {
  name: string;
  collection?: string;
}

/** The command name and its target collection from one OP_MSG, when the buffer starts with one. */
function commandOf(buf: Buffer): Command | undefined {
  if (buf.length < 26 || buf.readInt32LE(12) !== 2013) return undefined; // opCode OP_MSG
  let at = 20; // header (16) + flagBits (4)
  if (buf[at] !== 0) return undefined; // section kind 0: the command document
  at += 1 + 4; // kind byte, document length
  const type = buf[at];
  const end = buf.indexOf(0, at + 1);
  const name = buf.toString('utf8', at + 1, end);
  if (type !== 2) return { name };
  const len = buf.readInt32LE(end + 1);
  return { name, collection: buf.toString('utf8', end + 5, end + 4 + len) }; // the length counts the closing NUL
}

export async function stallProxy(targetUri: string) {
  const target = new URL(targetUri.replace(/^mongodb:/, 'http:'));
  let stallWhen: ((c: Command) => boolean) | undefined;
  let stalled = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    let wedged = false;
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      const cmd = commandOf(chunk);
      if (!wedged && cmd && stallWhen?.(cmd)) {
        wedged = true;
        stalled++;
        stallWhen = undefined; // one wedged connection per arming
      }
      if (!wedged) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!wedged) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    /** The next connection to send a matching command stops answering. */
    stallOn(when: (c: Command) => boolean) {
      stallWhen = when;
    },
    get stalled() {
      return stalled;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
