// Slack's libraries (Bolt and its Web API clients) log through the service's logger: their messages become JSON lines
// with `source: bolt`, redacted as every log line is, instead of going to the console.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { loggableText, type Logger } from '../../log.js';

export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ source: 'bolt' });
  const line =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...msgs: unknown[]) =>
      child[level](msgs.map(loggableText).join(' ').slice(0, 500));
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}
