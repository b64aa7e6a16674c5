import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import { catchSaysWhyRule } from '../scripts/lint/catch-says-why.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const config = [
  {
    files: ['**/*.ts'],
    plugins: { prodsim: { rules: { 'catch-says-why': catchSaysWhyRule } } },
    rules: { 'prodsim/catch-says-why': ['error', { srcDir: SRC, allow: ['cli/main.ts', 'server/app.ts'] }] },
  },
] as Linter.Config[];

/** Lines of the catch-says-why reports for `code` as if it were the file src/<file>. */
function lint(file: string, code: string): number[] {
  return new Linter({ configType: 'flat' }).verify(code, config, { filename: path.join(SRC, file) }).map((m) => m.line);
}

test('a catch clause or a .catch() handler without a comment is reported', () => {
  assert.deepEqual(lint('store/x.ts', 'try {\n  f();\n} catch (e) {\n  g(e);\n}'), [3]);
  assert.deepEqual(lint('store/x.ts', 'try {\n  f();\n} catch {\n  x = 0;\n}'), [3]);
  assert.deepEqual(lint('store/x.ts', 'p.catch(() => {});'), [1]);
  assert.deepEqual(lint('store/x.ts', 'p.then(f)\n  .catch(onError);'), [2]);
  // A comment at the end of the try block's last statement is about that statement, not the catch.
  assert.deepEqual(lint('store/x.ts', 'try {\n  f(); // f may throw\n} catch (e) {\n  g(e);\n}'), [3]);
  // A comment further up does not count.
  assert.deepEqual(lint('store/x.ts', '// about f\nf();\np.catch(() => {});'), [3]);
});

test('a comment inside the block, on the line(s) above or on the catch line passes', () => {
  assert.deepEqual(lint('store/x.ts', 'try {\n  f();\n} catch (e) {\n  // Into a catalogue error: why.\n  g(e);\n}'), []);
  assert.deepEqual(lint('store/x.ts', 'try {\n  f();\n  // Expected failure as a value: why.\n} catch {\n  x = 0;\n}'), []);
  assert.deepEqual(lint('store/x.ts', '// Clean up and rethrow: why,\n// over two lines.\np.catch(() => {});'), []);
  assert.deepEqual(lint('store/x.ts', 'p.catch(() => {}); // Expected failure as a value: why.'), []);
  assert.deepEqual(lint('store/x.ts', 'p.catch(() => {\n  /* Clean up and rethrow: why. */\n});'), []);
});

test('the CLI entry point and the HTTP error handler (the allow option) are not checked', () => {
  assert.deepEqual(lint('cli/main.ts', 'try {\n  f();\n} catch (e) {\n  g(e);\n}'), []);
  assert.deepEqual(lint('server/app.ts', 'p.catch(() => {});'), []);
  assert.deepEqual(lint('../bench/x.ts', 'p.catch(() => {});'), [1], 'the rule itself checks any file; eslint.config.js gives it src/ only');
});
