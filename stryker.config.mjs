// Mutation testing of the pure core (`npm run test:mutation`): planning, matching and the domain rules, against their
// own unit and property tests (vitest.mutation.config.ts). The HTML report goes to reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'src/sync/plan.ts',
    'src/sync/plan-accounts.ts',
    'src/sync/match.ts',
    'src/sync/match-weights.ts',
    'src/domain/**/*.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
