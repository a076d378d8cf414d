// Lint: typescript-eslint's recommended rules, and the layers the code keeps, enforced:
//   domain <- store <- sync <- bot, webhooks, api <- app, service, cli, main, demo
// (errors, log, metrics and config sit under everything); no import cycles; the pure core (planning, matching,
// views) does no I/O. See the README's layout section.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const entry = [
  'src/app.ts',
  'src/home.ts',
  'src/grant-alerts.ts',
  'src/service.ts',
  'src/cli.ts',
  'src/cli',
  'src/main.ts',
  'src/demo.ts',
  'src/entry.ts',
];
const base = ['src/errors.ts', 'src/log.ts', 'src/metrics.ts', 'src/config.ts'];
const layer = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'dist/**',
      '.tools/**',
      'coverage/**',
      'reports/**',
      '.stryker-tmp/**',
      'scripts/ensure-ferretdb.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            layer(
              'src/domain',
              ['src/store', 'src/sync', 'src/bot', 'src/webhooks', 'src/api', 'src/web', ...entry, ...base],
              'domain is the bottom layer: pure rules and types, importing nothing else of ours',
            ),
            layer(
              'src/store',
              ['src/sync', 'src/bot', 'src/webhooks', 'src/api', 'src/web', ...entry],
              'store imports only domain (and the base modules): stored documents must not depend on the sync or chat',
            ),
            layer(
              'src/sync',
              ['src/bot', 'src/webhooks', 'src/api', 'src/web', ...entry],
              'sync imports domain and store, never chat, webhooks, the API or the entry points',
            ),
            layer(
              'src/bot',
              ['src/webhooks', 'src/api', 'src/web', ...entry],
              'chat imports domain, store and sync, never webhooks, the API or the entry points',
            ),
            layer(
              'src/webhooks',
              ['src/bot', 'src/api', ...entry],
              'webhooks import domain, store and sync, never chat, the API or the entry points',
            ),
            layer(
              'src/api',
              ['src/bot', 'src/webhooks', ...entry],
              'the read API imports domain, store and sync, never chat, webhooks or the entry points',
            ),
            layer(
              'src/web',
              ['src/webhooks', 'src/api', 'src/bot/slack', 'src/bot/teams', ...entry],
              'the console imports domain, store, sync and platform-neutral chat (the same actions), never an adapter, webhooks, the API or the entry points',
            ),
            layer(
              base,
              ['src/domain', 'src/store', 'src/sync', 'src/bot', 'src/webhooks', 'src/api', 'src/web', ...entry],
              'errors, log, metrics and config sit under every layer',
            ),
            layer(
              ['src/bot/*.ts', 'src/bot/views/**'],
              ['src/bot/slack', 'src/bot/teams'],
              'chat outside an adapter is platform-neutral: nothing in bot/ but an adapter imports an adapter',
            ),
            layer('src/bot/slack', ['src/bot/teams'], 'one chat adapter never imports the other'),
            layer('src/bot/teams', ['src/bot/slack'], 'one chat adapter never imports the other'),
            layer(
              [
                'src/sync/plan.ts',
                'src/sync/plan-accounts.ts',
                'src/sync/plan-types.ts',
                'src/sync/match.ts',
                'src/bot/views',
                'src/web/pages.tsx',
                'src/web/school-page.tsx',
                'src/web/record-pages.tsx',
                'src/web/form-page.tsx',
              ],
              ['src/store', 'src/sync/process.ts', 'src/sync/jobs.ts'],
              'the pure core does no I/O',
            ),
          ],
        },
      ],
    },
  },
  {
    // small rooms: a module that grows past this is split by what it does
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: { 'max-lines': ['error', { max: 500 }] },
  },
  {
    // nothing outside the store builds a query or names a collection
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { property: 'collection', message: 'only src/store reads and writes collections' },
      ],
    },
  },
  {
    // a bulk write goes out only through the helper that splits it under the embedded store's statement limit
    files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/store/bulk.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='bulkWrite']",
          message:
            'send bulk writes through bulkWriteInBatches (src/store/bulk.ts): 100 statements wedge the embedded store',
        },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
