// What the service's entry points share: a bad environment stops start-up with exit code 2 and one message, a
// store that cannot be reached with exit code 1 and one line, and SIGTERM/SIGINT stop everything in order.
import { loadConfig, type Config } from './config.js';
import { isUsoError } from './errors.js';
import type { Logger } from './log.js';
import { startService, type Service } from './service.js';

export function configOrExit(overrides: Partial<Config> = {}): Config {
  try {
    return { ...loadConfig(), ...overrides };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

export async function startOrExit(
  config: Config,
  logger: Logger,
  extra?: Parameters<typeof startService>[2],
): Promise<Service> {
  try {
    return await startService(config, logger, extra);
  } catch (err) {
    if (!isUsoError(err)) throw err;
    process.stderr.write(`uso-autoupdate cannot start: ${err.message}\n`);
    process.exit(1);
  }
}

export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    stop().then(
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
