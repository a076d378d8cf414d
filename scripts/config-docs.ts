// Prints the README's configuration table and rewrites .env.example from the schema in src/config.ts.
// Run `npm run config-docs` after changing the schema; a test fails while either is out of step.
import { writeFileSync } from 'node:fs';
import { configKeys, configSchema } from '../src/config.js';

const shape = configSchema.shape as Record<
  string,
  { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } }
>;
const rows = ['| Variable | Default | What it does |', '| --- | --- | --- |'];
const example: string[] = [
  '# uso-autoupdate settings. Every one is optional: unset, the service runs on its embedded defaults.',
];
for (const key of configKeys) {
  const field = shape[key]!;
  const parsed = field.safeParse(undefined);
  const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
  rows.push(`| \`${key}\` | ${fallback ? `\`${fallback}\`` : ''} | ${field.description ?? ''} |`);
  example.push('', `# ${field.description ?? ''}`, `# ${key}=${fallback}`);
}
writeFileSync(new URL('../.env.example', import.meta.url), `${example.join('\n')}\n`);
process.stdout.write(`${rows.join('\n')}\n`);
