// Starts and stops the long-running parts in order: store, HTTP server (and the scheduler once configured).
// Stopping reverses it: stop taking requests, let in-flight ones finish, close the store, stop embedded FerretDB.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { openStore, type Store } from './store/index.js';

export interface Service {
  store: Store;
  url: string;
  stop(): Promise<void>;
}

export function storeOptions(config: Config, logger: Logger) {
  return {
    uri: config.MONGODB_URI,
    dbName: config.MONGODB_DB,
    dataDir: config.DATA_DIR,
    timeoutMs: config.STORE_TIMEOUT_MS,
    ferretdbBin: config.FERRETDB_BIN,
    logger,
  };
}

export async function startService(config: Config, logger: Logger): Promise<Service> {
  const store = await openStore(storeOptions(config, logger));
  const app = createApp({ store, logger });
  const server = await new Promise<Server>((ok) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => ok(s as Server));
  }).catch(async (err) => {
    await store.close();
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;
  logger.info({ url, store: store.kind }, 'uso-autoupdate listening');

  let stopping: Promise<void> | undefined;
  return {
    store,
    url,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeIdleConnections();
        });
        await store.close();
        logger.info('uso-autoupdate stopped');
      })();
      return stopping;
    },
  };
}
