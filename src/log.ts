// Structured JSON logs (pretty in a terminal). Log ids, counts and codes, never names, dates of birth or
// UPNs: redaction below is only a safety net for fields that must never appear.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const personalFields = [
  'legalForename',
  'legalSurname',
  'preferredForename',
  'preferredSurname',
  'forename',
  'surname',
  'middleNames',
  'dateOfBirth',
  'upn',
  'email',
  'phones',
  'address',
  'name',
];

export const redactPaths = personalFields.flatMap((f) => [f, `*.${f}`]);

export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: DestinationStream } = {},
): Logger {
  const base = {
    level: options.level ?? 'info',
    base: { service: 'uso-autoupdate' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty ?? process.stdout.isTTY) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service' } },
    });
  }
  return pino(base);
}

/**
 * What of a chat SDK's log argument may be logged: an error's message, and of a text the part before any payload it
 * quotes (at debug level the SDKs log request and response bodies: messages with pupils' names, usernames, birth
 * years). Objects are never logged, at any level: they are those bodies.
 */
export function loggableText(m: unknown): string {
  if (m instanceof Error)
    return m.message
      .split('\n')[0]!
      .replace(/[{["'].*$/s, '')
      .slice(0, 200);
  if (typeof m !== 'string') return `[${m === null ? 'null' : typeof m}]`;
  return m
    .split('\n')[0]!
    .replace(/[{["'`].*$/s, '…')
    .slice(0, 200);
}

/**
 * The service's console goes to its log, through `loggableText`: libraries without a logger of their own (the Teams
 * SDKs, botbuilder and teams-ai, write errors and warnings with `console`, payloads included) log only that much.
 */
export function routeConsoleTo(logger: Logger): () => void {
  const saved = {
    log: console.log,
    info: console.info,
    warn: console.warn,
    error: console.error,
    debug: console.debug,
  };
  const child = logger.child({ source: 'console' });
  // the first argument is the library's own words; any later one that is not an error is data it passes along
  const line =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      child[level](
        args
          .map((a, i) => (i === 0 || a instanceof Error ? loggableText(a) : `[${a === null ? 'null' : typeof a}]`))
          .join(' ')
          .slice(0, 500),
      );
  console.log = line('info');
  console.info = line('info');
  console.warn = line('warn');
  console.error = line('error');
  console.debug = line('debug');
  return () => Object.assign(console, saved);
}
