// The service's version, from its package.json (beside src/ in a checkout and beside dist/ in a build).
import { createRequire } from 'node:module';

export const SERVICE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
