import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import { stageOrderRule } from '../scripts/lint/stage-order.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const config = [
  {
    files: ['**/*.ts'],
    plugins: { prodsim: { rules: { 'stage-order': stageOrderRule } } },
    rules: { 'prodsim/stage-order': ['error', { srcDir: SRC }] },
  },
] as Linter.Config[];

/** Messages of the stage-order rule for `code` as if it were the file src/<file>. */
function lint(file: string, code: string): string[] {
  return new Linter({ configType: 'flat' }).verify(code, config, { filename: path.join(SRC, file) }).map((m) => m.message);
}

test('an import from a later stage is reported, with both stages named', () => {
  assert.deepEqual(lint('text/analyzer.ts', "import { createEngine } from '../engine/engine.ts';"), [
    "text must not import from a later stage (engine): ../engine/engine.ts",
  ]);
  assert.equal(lint('tasks/search.ts', "export * from '../cli/main.ts';").length, 1);
  assert.equal(lint('store/store.ts', "const m = await import('../similarity/fusion.ts');").length, 1);
  assert.equal(lint('errors.ts', "import { readCatalog } from './catalog/read-catalog.ts';").length, 1, 'errors.ts comes before every stage');
});

test('imports from the same or earlier stages, packages and the public API file pass', () => {
  assert.deepEqual(lint('engine/engine.ts', "import { createTextAnalyzer } from '../text/text-analyzer.ts';\nimport { z } from 'zod';"), []);
  assert.deepEqual(lint('cli/commands/serve.ts', "import { startServer } from '../../server/app.ts';"), []);
  assert.deepEqual(lint('store/keyword/build.ts', "import { x } from './fts5-terms.ts';\nimport { createError } from '../../errors.ts';"), []);
  assert.deepEqual(lint('index.ts', "export { main } from './cli/main.ts';"), []);
});
