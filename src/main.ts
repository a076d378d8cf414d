// Entry point: parse the environment, start the service, stop cleanly on SIGTERM/SIGINT.
import { loadConfig } from './config.js';
import { isUsoError } from './errors.js';
import { createLogger } from './log.js';
import { startService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  let service;
  try {
    service = await startService(config, logger);
  } catch (err) {
    if (!isUsoError(err)) throw err;
    process.stderr.write(`uso-autoupdate cannot start: ${err.message}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: { message: err.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

await main();
