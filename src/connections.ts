// How the configuration becomes connections: the store's options and the Integris client. Shared by the service
// and the CLI, so the CLI can reach the store and Integris without loading the service (and its chat SDKs).
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { StoreOptions } from './store/index.js';
import { IntegrisClient } from './sync/integris/client.js';

export function storeOptions(config: Config, logger: Logger): StoreOptions {
  return {
    uri: config.MONGODB_URI,
    dbName: config.MONGODB_DB,
    dataDir: config.DATA_DIR,
    timeoutMs: config.STORE_TIMEOUT_MS,
    opTimeoutMs: config.STORE_OP_TIMEOUT_MS,
    ferretdbBin: config.FERRETDB_BIN,
    logger,
  };
}

export function integrisClient(config: Config, logger: Logger): IntegrisClient | undefined {
  if (!config.INTEGRIS_BASE_URL || !config.INTEGRIS_CLIENT_ID || !config.INTEGRIS_CLIENT_SECRET) return undefined;
  return new IntegrisClient({
    baseUrl: config.INTEGRIS_BASE_URL,
    clientId: config.INTEGRIS_CLIENT_ID,
    clientSecret: config.INTEGRIS_CLIENT_SECRET,
    concurrency: config.SYNC_CONCURRENCY * 2,
    logger,
  });
}
