// Builds the Teams app package (the zip an admin uploads to Teams): manifest/teams/manifest.json with this
// deployment's bot app id and public host filled in, and the two icons.
//   npm run teams:package -- --host uso.example.org [--app-id GUID] [--version 1.2.0] [--out dist/uso-teams-app.zip]
// The app id defaults to TEAMS_APP_ID. The package is checked against the Teams manifest schema by the tests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));
const manifestDir = resolve(here, '../manifest/teams');

export const packageInput = z.object({
  appId: z.uuid('--app-id (or TEAMS_APP_ID) must be the bot app id, a GUID'),
  host: z
    .string()
    .regex(
      /^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?$/i,
      '--host must be the public host name the service is reached at, like uso.example.org (no scheme or path)',
    ),
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, '--version must look like 1.2.3')
    .default('1.0.0'),
});
export type PackageInput = z.input<typeof packageInput>;

/** The manifest for this deployment, as it goes into the package. */
export function teamsManifest(input: PackageInput): Record<string, unknown> {
  const { appId, host, version } = packageInput.parse(input);
  const text = readFileSync(resolve(manifestDir, 'manifest.json'), 'utf8')
    .replaceAll('HOST', host)
    .replaceAll('00000000-0000-4000-8000-000000000000', appId);
  return { ...(JSON.parse(text) as Record<string, unknown>), version };
}

/** The zip: manifest.json and the icons at its root, as Teams wants them. */
export function buildTeamsPackage(input: PackageInput): Uint8Array {
  return zipSync({
    'manifest.json': strToU8(JSON.stringify(teamsManifest(input), null, 2)),
    'color.png': readFileSync(resolve(manifestDir, 'color.png')),
    'outline.png': readFileSync(resolve(manifestDir, 'outline.png')),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      'app-id': { type: 'string' },
      host: { type: 'string' },
      version: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const input = packageInput.safeParse({
    appId: values['app-id'] ?? process.env.TEAMS_APP_ID,
    host: values.host,
    version: values.version,
  });
  if (!input.success) {
    process.stderr.write(`${input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')}\n`);
    process.exit(2);
  }
  const out = resolve(values.out ?? 'dist/uso-teams-app.zip');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buildTeamsPackage(input.data));
  process.stdout.write(`${out}\n`);
}
