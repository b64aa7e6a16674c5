/**
 * One way to learn a matcher: the CLI (`train`, `eval`), the engine (`trainMatcher`, `evalMatcher`),
 * the HTTP routes (`POST /v1/matcher/train`, `/v1/matcher/eval`) and the server's train job all run
 * the tasks of src/tasks/matcher-training.ts, so they give the same model and the same figures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { runTask } from '../src/engine/task-registry.ts';
import type { MatcherModel } from '../src/learning/matcher.ts';
import { createServerApp, type ServerApp } from '../src/server/app.ts';
import type { EvalMatcherTaskResult } from '../src/tasks/matcher-training.ts';
import { runCli } from './fixtures/run-cli.ts';

const TOKEN = 'parity-token';
const dir = mkdtempSync(join(tmpdir(), 'prodsim-parity-'));
const files = { pairs: 'data/shop-ab-matches.csv', left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl' };
const absolute = { pairs: resolve(files.pairs), left: resolve(files.left), right: resolve(files.right) };
let engine: Engine;
let server: ServerApp;

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false });
  // Files anywhere (the CLI's model is in a temp folder), given to HTTP as absolute paths.
  server = createServerApp({ engine, writeToken: TOKEN, catalogRoot: '/', evalDir: join(dir, 'eval'), modelPath: join(dir, 'server-matcher.json') });
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await server.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** The model without its wall-clock training time (the one field that may differ between runs). */
function comparable(model: MatcherModel): unknown {
  const { seconds: _s, ...training } = model.training;
  return JSON.parse(JSON.stringify({ ...model, training }));
}

test('CLI, engine and HTTP train the same matcher from a pairs file and evaluate it the same', async () => {
  const cliModel = join(dir, 'cli-matcher.json');
  const cli = await runCli(['--store', join(dir, 'absent.db'), '--json', 'train', files.pairs, '--left', files.left, '--right', files.right, '-m', cliModel]);
  assert.equal(cli.code, 0, cli.stderr);
  const fromCli = JSON.parse(readFileSync(cliModel, 'utf8')) as MatcherModel;

  const fromEngine = (await runTask(engine, 'trainMatcher', files)).model;
  const http = await post('/v1/matcher/train', absolute);
  assert.equal(http.status, 200, JSON.stringify(http.json));
  assert.deepEqual(comparable(fromCli), comparable(fromEngine));
  assert.deepEqual(comparable(http.json.model as MatcherModel), comparable(fromEngine));

  const cliEval = await runCli(['--store', join(dir, 'absent.db'), '--json', 'eval', files.pairs, '--left', files.left, '--right', files.right, '-m', cliModel, '--out', join(dir, 'report')]);
  assert.equal(cliEval.code, 0, cliEval.stderr);
  // the pairs are the training pairs: eval says so
  assert.match(cliEval.stderr, /were in the model's training or validation pairs/);
  const engineEval = await runTask(engine, 'evalMatcher', { ...files, model: cliModel });
  const httpEval = await post('/v1/matcher/eval', { ...absolute, model: cliModel });
  assert.equal(httpEval.status, 200, JSON.stringify(httpEval.json));
  const fromCliEval = JSON.parse(cliEval.stdout) as EvalMatcherTaskResult;
  for (const key of ['pairs', 'positives', 'threshold', 'precision', 'recall', 'f1', 'prAuc', 'pairsSeenInTraining'] as const) {
    assert.equal(fromCliEval[key], engineEval[key], key);
    assert.equal(httpEval.json[key], engineEval[key], key);
  }
  assert.equal(engineEval.pairsSeenInTraining, engineEval.pairs);
  assert.ok(engineEval.f1 > 0.5, `F1 ${engineEval.f1}`);
});

test('the server train job on stored labels trains what the trainMatcher task trains on them', async () => {
  await engine.ingest(files.left);
  await engine.ingest(files.right);
  const rows = parseCsv<{ left_id: string; right_id: string; label: string }>(readFileSync(files.pairs, 'utf8'), { columns: true });
  await engine.store.putLabels(rows.map((r) => ({ leftId: r.left_id, rightId: r.right_id, label: Number(r.label), source: 'parity' })));
  const job = await post('/v1/jobs/train', { source: 'parity' });
  assert.equal(job.status, 202);
  let state: any;
  for (let i = 0; i < 2400 && state?.state !== 'done' && state?.state !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    state = await (await server.app.request(`/v1/jobs/${job.json.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  }
  assert.equal(state.state, 'done', JSON.stringify(state.error));
  const saved = JSON.parse(readFileSync(join(dir, 'server-matcher.json'), 'utf8')) as MatcherModel;
  const fromTask = (await runTask(engine, 'trainMatcher', { source: 'parity' })).model;
  assert.deepEqual(comparable(saved), comparable(fromTask));
  assert.equal(saved.training.trainPairs + saved.training.validPairs, rows.length);
});
