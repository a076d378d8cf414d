// A logger whose lines tests can read, to assert both that an event was logged and that it holds no personal data.
import { createLogger, type Logger } from '../../src/log.js';

export function captureLogger(level = 'debug'): {
  logger: Logger;
  lines: Record<string, unknown>[];
  text: () => string;
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
