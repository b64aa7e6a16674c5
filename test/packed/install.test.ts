/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into an empty
 * folder with the running Node, then the `prodsim` bin, a plain `.mjs` import and a `.ts` consumer
 * type-checked against the shipped declarations, all without tsx or the sources.
 *
 * Not part of `npm test` (it packs and installs: minutes): `npm run test:package`, which `.ci/run`
 * calls on every Node line. Dependencies come from the npm cache when it holds them
 * (`--prefer-offline`), else from the registry. better-sqlite3's install script looks for a prebuilt
 * binary on GitHub (unreachable here) and else compiles SQLite (9 min on the shared 2-core machine); the
 * checkout's own build for the running Node is handed to it as a local prebuild instead
 * (`.prebuild-installrc` in the consumer folder), so the install takes seconds, not minutes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMPLE_CATALOG = path.join(ROOT, 'data', 'sample-catalog.jsonl');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_WARNING = /^npm (warn|WARN)/m;
const MINUTES = 60_000;
/** The install compiles better-sqlite3: 9 min on a loaded 2-core machine; a kill at this bound says so. */
const COMMAND_TIMEOUT = 60 * MINUTES;

/**
 * The install scripts README tells a project to approve (`allowScripts`, npm 11): the consumer uses that
 * block as written, so the "no npm warning" check below fails when README and the dependencies drift apart.
 */
function readmeAllowScripts(): Record<string, boolean> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```json\n(\{ "allowScripts": .*\})\n```/.exec(readme);
  assert.ok(block, 'README shows the allowScripts block for a project that installs prodsim');
  return (JSON.parse(block[1]!) as { allowScripts: Record<string, boolean> }).allowScripts;
}

/** The consumer's package.json: README's approved install scripts (onnxruntime's CUDA download denied). */
const CONSUMER_PACKAGE = { name: 'prodsim-consumer', private: true, type: 'module', allowScripts: readmeAllowScripts() };

let work = '';
let consumer = '';

/**
 * Packs the checkout's better-sqlite3 binary as the prebuild that prebuild-install would download for
 * this Node, in a folder that the consumer's `.prebuild-installrc` names as `local-prebuilds`. Returns
 * why it could not (no build, or a build for another Node ABI): the install then compiles SQLite.
 */
function seedBetterSqlitePrebuild(): string {
  const pkgDir = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(binary)) return `no ${binary}`;
  try {
    createRequire(import.meta.url)(binary);
  } catch (e) {
    return `the checkout's better-sqlite3 was built for another Node (${(e as Error).message.split('\n')[0]})`;
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const prebuilds = path.join(work, 'prebuilds');
  fs.mkdirSync(prebuilds);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = spawnSync('tar', ['czf', path.join(prebuilds, name), '-C', pkgDir, 'build/Release/better_sqlite3.node'], { encoding: 'utf8' });
  if (tar.status !== 0) return `tar: ${tar.stderr}`;
  fs.writeFileSync(path.join(consumer, '.prebuild-installrc'), `local-prebuilds=${prebuilds}\n`);
  return '';
}

/**
 * The environment of a user's shell: `npm run -s test:package` exports npm_config_loglevel=silent, which
 * would silence the very warnings the install and npx checks look for.
 */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toLowerCase() !== 'npm_config_loglevel'));

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { cwd: consumer, encoding: 'utf8', timeout: COMMAND_TIMEOUT, env: USER_ENV, ...options });
  const killed = r.error ? ` (${r.error.message})` : '';
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) + killed, error: r.error };
}

function npx(args: string[]) {
  return run('npx', ['--no-install', 'prodsim', ...args]);
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-packed-'));
  consumer = path.join(work, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(CONSUMER_PACKAGE, null, 2));

  const notSeeded = seedBetterSqlitePrebuild();
  if (notSeeded) console.log(`# better-sqlite3 compiles from source in the install: ${notSeeded}`);

  // Built first, then packed without the prepack build, whose output would garble the JSON.
  const build = run('npm', ['run', 'build'], { cwd: ROOT });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  assert.equal(pack.code, 0, pack.stderr);
  const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];

  const typesNode = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
    .devDependencies['@types/node'];
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, filename), `@types/node@${typesNode}`]);
  assert.equal(install.code, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
  assert.doesNotMatch(install.stderr, NPM_WARNING, 'the install prints no npm warning');
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball ships compiled JavaScript, declarations and runtime assets, not the sources or tsx', () => {
  const pkg = path.join(consumer, 'node_modules', 'prodsim');
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/server/web/index.html', 'dist/text/dictionaries/ecommerce-zh.txt', 'dist/similarity/data/brand-aliases.json', 'dist/engine/task-process-worker.js', 'dist/engine/task-pool-worker.js', 'dist/server/learning-jobs.js']) {
    assert.ok(fs.existsSync(path.join(pkg, file)), `${file} is in the package`);
  }
  assert.ok(!fs.existsSync(path.join(pkg, 'src')), 'no sources');
  assert.ok(!fs.existsSync(path.join(pkg, 'dist', 'engine', 'task-process-entry.mjs')), 'no worker entry that registers tsx');
  assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', 'tsx')), 'tsx is not installed with prodsim');
  assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', '@huggingface', 'transformers')), 'the optional peer is not installed');
});

test('npx prodsim --help runs the compiled CLI and prints no npm warning', () => {
  const help = npx(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: prodsim /);
  assert.equal(help.stderr, '');
});

test('ingest then similar on the sample catalog, from the installed package', () => {
  const ingest = npx(['--json', 'ingest', SAMPLE_CATALOG]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal((JSON.parse(ingest.stdout) as { added: number }).added, 310);
  assert.doesNotMatch(ingest.stderr, NPM_WARNING);

  const similar = npx(['--json', 'similar', 'P0001', '-k', '3']);
  assert.equal(similar.code, 0, similar.stderr);
  const body = JSON.parse(similar.stdout) as { items: { product: { id: string } }[] };
  assert.equal(body.items.length, 3);
  assert.ok(!body.items.some((r) => r.product.id === 'P0001'), 'the query product is not its own neighbour');
});

test('a plain .mjs imports the library and its subpaths', () => {
  fs.writeFileSync(
    path.join(consumer, 'use.mjs'),
    [
      "import { createEngine, TASKS, createTextAnalyzer } from 'prodsim';",
      "import { createServerApp } from 'prodsim/server';",
      "import { createTransformerEncoder } from 'prodsim/transformers';",
      "const tokens = createTextAnalyzer().tokenize('红色连衣裙 Red Dress');",
      'console.log(JSON.stringify({ engine: typeof createEngine, server: typeof createServerApp, transformers: typeof createTransformerEncoder, tasks: Object.keys(TASKS).length, tokens }));',
    ].join('\n'),
  );
  const r = run(process.execPath, ['use.mjs']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { engine: string; server: string; transformers: string; tasks: number; tokens: string[] };
  assert.deepEqual([out.engine, out.server, out.transformers], ['function', 'function', 'function']);
  assert.ok(out.tasks > 5, r.stdout);
  assert.ok(out.tokens.includes('red'), r.stdout);
});

test('the compiled workers run: a pool of threads answers similar, a dedup job runs in a process of its own', () => {
  // The store is the one the ingest test above filled (.prodsim/store.db in the consumer folder).
  fs.writeFileSync(
    path.join(consumer, 'threads.mjs'),
    `import { createEngine } from 'prodsim';
import { startServer } from 'prodsim/server';
const engine = await createEngine({ storePath: '.prodsim/store.db' });
// Two pool threads for reads; every dedup becomes a job in a process of its own.
const server = await startServer({ engine, port: 0, writeToken: 't', workers: 2, taskJobs: { syncMaxProducts: 0 } });
const post = (path, body) => fetch(server.url + path, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(body) });
try {
  const similar = await Promise.all([1, 2, 3, 4].map(() => post('/v1/similar', { id: 'P0001', k: 3 }).then((r) => r.json())));
  const start = await post('/v1/dedup', {});
  const { id } = await start.json();
  let job;
  do {
    await new Promise((r) => setTimeout(r, 100));
    job = await (await fetch(server.url + '/v1/jobs/' + id, { headers: { authorization: 'Bearer t' } })).json();
  } while (job.state === 'queued' || job.state === 'running');
  console.log(JSON.stringify({ similar: similar.map((s) => s.items?.length ?? s), dedupStatus: start.status, job: { state: job.state, error: job.error, groups: job.result?.groups?.length } }));
} finally {
  await server.close();
  engine.close();
}
`,
  );
  const r = run(process.execPath, ['threads.mjs']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { similar: unknown[]; dedupStatus: number; job: { state: string; error?: unknown; groups?: number } };
  assert.deepEqual(out.similar, [3, 3, 3, 3], r.stdout);
  assert.equal(out.dedupStatus, 202, 'the dedup became a job');
  assert.equal(out.job.state, 'done', r.stdout);
  assert.equal(typeof out.job.groups, 'number', r.stdout);
});

test('a .ts consumer type-checks against the shipped declarations, and a wrong use fails', () => {
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['consumer.ts'] }),
  );
  const consumerSource = [
    "import { createEngine, runTask, type Engine, type Product } from 'prodsim';",
    "import type { ServerApp } from 'prodsim/server';",
    "const product: Product = { id: 'p1', title: '红色连衣裙', tags: [], images: [], attributes: {} };",
    'export async function open(): Promise<Engine> { return createEngine({ storePath: ".prodsim/store.db" }); }',
    'export type Run = typeof runTask;',
    'export type App = ServerApp;',
    'void product;',
  ].join('\n');
  fs.writeFileSync(path.join(consumer, 'consumer.ts'), consumerSource);
  const ok = run(process.execPath, [TSC, '-p', '.']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);

  // The declarations must carry real types: a product without a title is rejected.
  fs.writeFileSync(path.join(consumer, 'consumer.ts'), consumerSource.replace("title: '红色连衣裙', ", ''));
  const wrong = run(process.execPath, [TSC, '-p', '.']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stdout, /consumer\.ts.*title/s);
});
