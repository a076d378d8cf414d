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
