// `npm run lint`: typescript-eslint with type information over src/, test/, bench/ and scripts/, the
// stage-order rule of CONTRIBUTING.md (scripts/lint/stage-order.js) and, in src/, its rule that a
// catch says why (scripts/lint/catch-says-why.js).
// `npm run lint:fix` applies what can be fixed automatically.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { catchSaysWhyRule } from './scripts/lint/catch-says-why.js';
import { stageOrderRule } from './scripts/lint/stage-order.js';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'src/server/web/', 'docs/', 'data/', '.prodsim/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: ROOT } },
    plugins: { prodsim: { rules: { 'stage-order': stageOrderRule, 'catch-says-why': catchSaysWhyRule } } },
    rules: {
      'prodsim/stage-order': ['error', { srcDir: path.join(ROOT, 'src') }],
      // `_`-prefixed names are deliberately unused (rest-destructuring to drop keys, fixed callback shapes).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Encoders and fetchers implement Promise-returning contracts synchronously; an async method
      // without await is how they meet the contract, not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // CONTRIBUTING (Errors): errors reach people through the CLI entry point and the HTTP error
    // handler (and a job's failed state); every other catch in src/ says in a comment what it does.
    files: ['src/**/*.ts'],
    rules: { 'prodsim/catch-says-why': ['error', { srcDir: path.join(ROOT, 'src'), allow: ['cli/main.ts', 'server/app.ts'] }] },
  },
  {
    // node:test's test() and describe() return promises the runner awaits itself.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
    },
  },
  {
    // Tests, benchmarks and scripts read JSON (HTTP bodies, CLI output, reports) and assert on it
    // field by field (`Record<string, any>`); typing each such object would add casts, not safety.
    // src/ keeps these rules.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
