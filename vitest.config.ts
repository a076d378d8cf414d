import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/ferretdb.ts'],
    setupFiles: ['test/setup/nock.ts'],
    // generous: two workers share two cores with FerretDB, and store-heavy tests slow down under that load
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel against the one FerretDB, each in its own database.
    pool: 'forks',
    maxWorkers: 2,
  },
});
