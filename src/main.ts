// Entry point: parse the environment, start the service, stop cleanly on SIGTERM/SIGINT.
import { configOrExit, startOrExit, stopOnSignals } from './entry.js';
import { createLogger, routeConsoleTo } from './log.js';

const config = configOrExit();
const logger = createLogger({ level: config.LOG_LEVEL });
// dependencies that write to the console (the Teams SDKs) log through the service's log, without payloads
routeConsoleTo(logger);
const service = await startOrExit(config, logger);
stopOnSignals(logger, () => service.stop());
