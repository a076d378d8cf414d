// Entry point: parse the environment, start the service, stop cleanly on SIGTERM/SIGINT.
import { configOrExit, startOrExit, stopOnSignals } from './entry.js';
import { createLogger } from './log.js';

const config = configOrExit();
const logger = createLogger({ level: config.LOG_LEVEL });
const service = await startOrExit(config, logger);
stopOnSignals(logger, () => service.stop());
