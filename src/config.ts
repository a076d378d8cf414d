// The whole environment, parsed once at start-up. Every variable is described here; the README's table and
// .env.example are checked against this schema by a test so they cannot drift.
import { z } from 'zod';
import { UsoError } from './errors.js';

const optionalText = z.string().trim().min(1).optional();
const port = z.coerce.number({ error: 'expected a port number 1-65535' }).int().min(1).max(65535);
const positiveInt = z.coerce.number({ error: 'expected a whole number' }).int().positive();
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters')).min(1));

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const configSchema = z
  .object({
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// connection string')
      .optional()
      .describe('MongoDB connection string. Unset: the embedded FerretDB store under DATA_DIR is started.'),
    MONGODB_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'expected a database name')
      .default('uso')
      .describe('Database name used when MONGODB_URI names none.'),
    STORE_TIMEOUT_MS: positiveInt
      .default(5000)
      .describe('How long to wait for the store at start-up before giving up.'),
    STORE_OP_TIMEOUT_MS: positiveInt
      .default(60_000)
      .describe(
        'Store watchdog: an operation with no answer for this long fails (a run fails with store_timeout) instead of hanging.',
      ),
    FERRETDB_BIN: optionalText.describe(
      'Path of a FerretDB 1.24 binary for the embedded store (default: built into .tools/bin).',
    ),
    DATA_DIR: z.string().min(1).default('./data').describe('Where the embedded store and export files live.'),
    HOST: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the HTTP server listens on (0.0.0.0 behind a proxy).'),
    PORT: port.default(3000).describe('HTTP port.'),
    TZ: z
      .string()
      .default('Europe/London')
      .refine(validTimeZone, 'expected an IANA time zone such as Europe/London')
      .describe('Time zone of school days and schedules.'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Log level.'),
    NIGHTLY_EXPORT_TIME: timeOfDay
      .default('18:00')
      .describe('Default weekday export time for a school (HH:MM, local).'),
    PROCESS_DELAY_MINUTES: z.coerce
      .number({ error: 'expected minutes 0-240' })
      .int()
      .min(0)
      .max(240)
      .default(30)
      .describe('Minutes between a nightly export and its processing.'),
    SYNC_CONCURRENCY: z.coerce
      .number({ error: 'expected a whole number 1-64' })
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('Schools processed at once.'),
    EXPORT_KEEP_NIGHTS: z.coerce
      .number({ error: 'expected a whole number 1-365' })
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe(
        'Processed export files kept per school (the newest); older ones are deleted by the daily retention job.',
      ),
    RUN_OUTCOME_KEEP_DAYS: z.coerce
      .number({ error: 'expected a whole number 1-3650' })
      .int()
      .min(1)
      .max(3650)
      .default(400)
      .describe(
        "Days a run keeps every record's outcome (the run's counts stay); a school year and a term by default.",
      ),
    REVOKE_GRACE_DAYS: z.coerce
      .number({ error: 'expected a whole number 0-365' })
      .int()
      .min(0)
      .max(365)
      .default(14)
      .describe(
        "Days after a Datashare grant is revoked (or a report is no longer shared or accepted) before the school's stored data from it is erased; granting again in that time cancels it.",
      ),
    API_RATE_PER_MINUTE: z.coerce
      .number({ error: 'expected a whole number 1-100000' })
      .int()
      .min(1)
      .max(100_000)
      .default(120)
      .describe('Read API requests one subscriber key may make per minute (a burst of that many); more get 429.'),
    INTEGRIS_BASE_URL: z
      .url()
      .optional()
      .describe('Integris Datashare base URL. Unset: no Integris exports (files only).'),
    INTEGRIS_CLIENT_ID: optionalText.describe('Integris OAuth client id.'),
    INTEGRIS_CLIENT_SECRET: optionalText.describe('Integris OAuth client secret.'),
    INTEGRIS_WEBHOOK_SECRETS: csv
      .optional()
      .describe('Integris webhook signing secrets, comma-separated (two during a rotation).'),
    SLACK_SIGNING_SECRET: optionalText.describe('Slack signing secret. Unset: the Slack endpoint is off.'),
    SLACK_BOT_TOKEN: z
      .string()
      .startsWith('xoxb-', 'expected a bot token starting xoxb-')
      .optional()
      .describe('Slack bot token for a single workspace.'),
    SLACK_CLIENT_ID: optionalText.describe('Slack OAuth client id (multi-workspace installs).'),
    SLACK_CLIENT_SECRET: optionalText.describe('Slack OAuth client secret (multi-workspace installs).'),
    SLACK_STATE_SECRET: optionalText.describe('Secret for Slack OAuth state (multi-workspace installs).'),
    TEAMS_APP_ID: z
      .uuid('expected the bot app id (a GUID)')
      .optional()
      .describe(
        'Microsoft Teams bot app id (Azure Bot registration). Set with TEAMS_APP_PASSWORD to serve POST /api/messages; unset: Teams is off.',
      ),
    TEAMS_APP_PASSWORD: optionalText.describe(
      'Microsoft Teams bot client secret, for the tokens the bot sends with its messages.',
    ),
    TEAMS_APP_TYPE: z
      .enum(['MultiTenant', 'SingleTenant'])
      .default('MultiTenant')
      .describe('Bot app registration type. A SingleTenant bot answers only TEAMS_TENANT_ID.'),
    TEAMS_TENANT_ID: z.uuid('expected a tenant id (a GUID)').optional().describe('Tenant id for a SingleTenant bot.'),
    WEB_PUBLIC_URL: z
      .url('expected the https:// address people open the console at')
      .optional()
      .describe(
        'Public address of the web console (https://uso.example.org), for sign-in redirects. Set with WEB_SESSION_SECRET and a sign-in provider to serve the console.',
      ),
    WEB_SESSION_SECRET: z
      .string()
      .min(32, 'expected at least 32 characters')
      .optional()
      .describe('Secret that signs the console session cookie (32 characters or more).'),
    WEB_SLACK_CLIENT_ID: optionalText.describe('"Sign in with Slack" (OpenID Connect) client id, for the console.'),
    WEB_SLACK_CLIENT_SECRET: optionalText.describe('"Sign in with Slack" client secret.'),
    WEB_SLACK_ISSUER: z
      .url()
      .default('https://slack.com')
      .describe('OpenID issuer of "Sign in with Slack" (change only to test against another provider).'),
    WEB_ENTRA_CLIENT_ID: optionalText.describe('Microsoft Entra ID app (multi-tenant) client id, for the console.'),
    WEB_ENTRA_CLIENT_SECRET: optionalText.describe('Microsoft Entra ID app client secret.'),
    WEB_ENTRA_AUTHORITY: z
      .string()
      .default('https://login.microsoftonline.com/{tenant}/v2.0')
      .describe(
        "OpenID issuer of Microsoft sign-in, {tenant} standing for the organisation's tenant id or domain (asked on the sign-in page).",
      ),
  })
  .superRefine((c, ctx) => {
    const requireAll = (group: string, keys: (keyof typeof c)[]) => {
      if (!keys.some((k) => c[k] !== undefined)) return;
      for (const k of keys) {
        if (c[k] === undefined)
          ctx.addIssue({ code: 'custom', path: [k], message: `required when any ${group} setting is set` });
      }
    };
    requireAll('Integris', ['INTEGRIS_BASE_URL', 'INTEGRIS_CLIENT_ID', 'INTEGRIS_CLIENT_SECRET']);
    requireAll('Slack OAuth', ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET']);
    requireAll('Teams', ['TEAMS_APP_ID', 'TEAMS_APP_PASSWORD']);
    requireAll('Slack sign-in', ['WEB_SLACK_CLIENT_ID', 'WEB_SLACK_CLIENT_SECRET']);
    requireAll('Microsoft sign-in', ['WEB_ENTRA_CLIENT_ID', 'WEB_ENTRA_CLIENT_SECRET']);
    if (c.WEB_SLACK_CLIENT_ID || c.WEB_ENTRA_CLIENT_ID)
      for (const k of ['WEB_PUBLIC_URL', 'WEB_SESSION_SECRET'] as const)
        if (!c[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'required when a console sign-in is set' });
    if ((c.SLACK_BOT_TOKEN || c.SLACK_CLIENT_ID) && !c.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'required when Slack is configured' });
    }
    if (c.TEAMS_APP_TYPE === 'SingleTenant' && c.TEAMS_APP_ID && !c.TEAMS_TENANT_ID) {
      ctx.addIssue({ code: 'custom', path: ['TEAMS_TENANT_ID'], message: 'required for a SingleTenant bot' });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** The variables this service reads, in the order of the schema. */
export const configKeys = Object.keys(configSchema.shape) as (keyof Config)[];

/**
 * Parses the environment. Empty strings count as unset. Every offending variable is named in one message,
 * and values are never echoed back (some are secrets).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of configKeys) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.') || 'environment';
    const message = issue.code === 'invalid_type' && input[key] === undefined ? 'is required' : issue.message;
    return `  ${key}: ${message}`;
  });
  throw new UsoError('config_invalid', `Invalid configuration:\n${lines.join('\n')}`);
}
