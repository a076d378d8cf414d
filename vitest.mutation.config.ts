// The pure core's own tests, for mutation testing (`npm run test:mutation`): no store, no network, so StrykerJS can
// run them for each mutant in seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/sync/plan.test.ts',
      'test/sync/plan.property.test.ts',
      'test/sync/plan-accounts.test.ts',
      'test/sync/plan-rules.test.ts',
      'test/sync/match.test.ts',
      'test/sync/match-rules.test.ts',
      'test/sync/match-weights.test.ts',
      'test/domain/**/*.test.ts',
    ],
    pool: 'forks',
    maxWorkers: 1,
  },
});
