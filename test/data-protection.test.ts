// The record of processing stays true: every collection the code writes is in the inventory, and the committed
// docs/data-protection.md is what the inventory and the retention settings generate.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { dataProtectionDoc } from '../src/store/dp-doc.js';
import { inventory } from '../src/store/inventory.js';
import { JOB_COLLECTION } from '../src/sync/jobs.js';
import { apiRoutes, chatViews, cliCommands, ROLES } from '../src/disclosures.js';
import { commands } from '../src/cli/commands.js';
import { createLogger } from '../src/log.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('record of processing', () => {
  it('names every collection the code reads or writes', () => {
    const src = new URL('../src', import.meta.url).pathname;
    const used = new Set<string>([JOB_COLLECTION]);
    for (const file of sources(src))
      for (const m of readFileSync(file, 'utf8').matchAll(/\.collection(?:<[^()]*?>)?\(\s*'([A-Za-z]+)'/g))
        used.add(m[1]!);
    const listed = new Set(inventory.map((c) => c.name));
    expect([...used].filter((name) => !listed.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });

  it('is the document docs/data-protection.md holds (regenerate with npm run dp-docs)', () => {
    const shape = configSchema.shape as Record<
      string,
      { description?: string; safeParse(v: unknown): { data?: unknown } }
    >;
    const settings = ['EXPORT_KEEP_NIGHTS', 'RUN_OUTCOME_KEEP_DAYS', 'REVOKE_GRACE_DAYS'].map((key) => ({
      key,
      fallback: String(shape[key]!.safeParse(undefined).data ?? ''),
      description: shape[key]!.description ?? '',
    }));
    expect(readFileSync(new URL('../docs/data-protection.md', import.meta.url), 'utf8')).toBe(
      dataProtectionDoc(settings, { roles: ROLES, chatViews, cliCommands, apiRoutes }),
    );
  });
});

describe('who sees what', () => {
  it('lists every CLI command and every API route (chat views: the compiler wants every kind)', async () => {
    expect(Object.keys(cliCommands).sort()).toEqual(Object.keys(commands).sort());
    const { apiRoutes: routes } = await import('../src/api/index.js');
    const { createApp } = await import('../src/app.js');
    const app = createApp({
      store: { db: {} as never, client: {} as never, kind: 'mongodb', close: async () => {} } as never,
      logger: createLogger({ level: 'silent' }),
      routes: [routes({ db: {} as never, perMinute: 1 })],
    });
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(apiRoutes).sort()).toEqual(Object.keys(doc.paths).sort());
    for (const d of [...Object.values(chatViews), ...Object.values(cliCommands), ...Object.values(apiRoutes)])
      expect(Object.keys(d.seenBy).length).toBeGreaterThan(0);
  });
});
