/**
 * `npm run build`: compiles src/ to dist/ (JavaScript, .d.ts, source maps) for the published package,
 * then copies the files the runtime reads beside its modules (the web UI, word lists, brand aliases),
 * so `new URL('./web/', import.meta.url)` finds them from dist/ as it does from src/.
 *
 * Relative imports end in `.ts` in the sources; tsc rewrites them to `.js` in the JavaScript
 * (`rewriteRelativeImportExtensions`) but not in the declarations (TypeScript issue 61037), so this
 * script rewrites those too: TypeScript before 5.7 and other tools reading the .d.ts expect `.js`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Files under src/ that are neither compiled nor read at run time. */
const NOT_SHIPPED = new Set(['.ts', '.md']);
/** Worker entries that register tsx for the sources; dist/ starts the compiled workers (src/engine/module-url.ts). */
const SOURCE_ONLY = /-entry\.mjs$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

rmSync(DIST, { recursive: true, force: true });
const started = performance.now();
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

let assets = 0;
for (const file of filesUnder(SRC)) {
  if (NOT_SHIPPED.has(extname(file)) || SOURCE_ONLY.test(file)) continue;
  cpSync(file, join(DIST, relative(SRC, file)));
  assets += 1;
}

const RELATIVE_TS_SPECIFIER = /((?:from |import\()['"]\.{1,2}\/[^'"]*)\.ts(['"])/g;
let declarations = 0;
for (const file of filesUnder(DIST)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(RELATIVE_TS_SPECIFIER, '$1.js$2');
  if (rewritten !== text) writeFileSync(file, rewritten);
  declarations += 1;
}

console.log(`dist/: ${declarations} declaration files, ${assets} runtime assets copied, ${((performance.now() - started) / 1000).toFixed(1)} s`);
