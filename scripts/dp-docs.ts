// Writes docs/data-protection.md, the record of processing, from src/store/inventory.ts and the retention settings
// in src/config.ts. Run `npm run dp-docs` after changing either; a test fails while the document is out of step.
import { writeFileSync } from 'node:fs';
import { dataProtectionDoc } from '../src/store/dp-doc.js';
import { configSchema } from '../src/config.js';
import { apiRoutes, chatViews, cliCommands, ROLES } from '../src/disclosures.js';

const shape = configSchema.shape as Record<
  string,
  { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } }
>;
const setting = (key: string) => ({
  key,
  fallback: String(shape[key]!.safeParse(undefined).data ?? ''),
  description: shape[key]!.description ?? '',
});
writeFileSync(
  new URL('../docs/data-protection.md', import.meta.url),
  dataProtectionDoc(['EXPORT_KEEP_NIGHTS', 'RUN_OUTCOME_KEEP_DAYS', 'REVOKE_GRACE_DAYS'].map(setting), {
    roles: ROLES,
    chatViews,
    cliCommands,
    apiRoutes,
  }),
);
