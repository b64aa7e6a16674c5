/**
 * Learning to rank end to end on the sample catalog, through the command line: ingest, then
 * `train-ranker` on the tiny judgment file in data/, then `search --ranker`, whose hits carry
 * feature contributions that add up (with the base) to the ranker's score.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/cli/main.ts';
import { loadRankerModel } from '../src/learning/ranker.ts';
import { QUERY_PRODUCT_FEATURES } from '../src/learning/query-features.ts';
import type { SearchResult } from '../src/tasks/search.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-ranker-e2e-'));
const store = join(dir, 'store.db');
const rankerFile = join(dir, 'ranker.json');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['node', 'prodsim', '--store', store, ...args], { stdout, stderr });
  return { code, out, err };
}

before(async () => {
  const ingested = await cli(['ingest', 'data/sample-catalog.jsonl']);
  assert.equal(ingested.code, 0, ingested.err);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('train-ranker → search --ranker: reranked hits, explained by feature contributions', async () => {
  const trained = await cli(['--json', 'train-ranker', 'data/sample-search-judgments.csv', '-o', rankerFile]);
  assert.equal(trained.code, 0, trained.err);
  const summary = JSON.parse(trained.out).summary as { queries: number; examples: number; unknownProducts: string[]; training: { trees: number } };
  assert.equal(summary.queries, 10);
  assert.equal(summary.examples, 70);
  assert.deepEqual(summary.unknownProducts, []);
  assert.ok(existsSync(rankerFile));
  const model = loadRankerModel(rankerFile);
  assert.ok(model.gbdt.trees.length > 0 && model.gbdt.trees.length === summary.training.trees);

  const searched = await cli(['--json', 'search', 'iphone 15 pro 256gb black', '--ranker', rankerFile, '-k', '8']);
  assert.equal(searched.code, 0, searched.err);
  const result = JSON.parse(searched.out) as SearchResult;
  assert.equal(result.rerank, 'ranker');
  assert.equal(result.hits.length, 8);
  for (const [i, hit] of result.hits.entries()) {
    const e = hit.rankerExplanation!;
    assert.ok(e, 'explained');
    assert.equal(e.features.length, QUERY_PRODUCT_FEATURES.length);
    const sum = e.base + e.features.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(sum - hit.rerankScore!) < 1e-9, `hit ${i}: ${sum} vs ${hit.rerankScore}`);
    assert.equal(hit.score, hit.rerankScore);
    if (i > 0) assert.ok(hit.score <= result.hits[i - 1]!.score, 'ordered by the ranker');
  }
  // The features the tasks stage fills in: the field reranker's score and the query coverage of the product's words.
  const valueOf = (name: string) => result.hits[0]!.rankerExplanation!.features.find((f) => f.feature === name)!.value;
  assert.ok(valueOf('rerank.fields') > 0.3 && valueOf('coverage.evidence') === 1, `${valueOf('rerank.fields')} ${valueOf('coverage.evidence')}`);
  // The two products judged perfect for this training query lead; the phone cases judged irrelevant do not make the top three.
  const top = result.hits.map((h) => h.product.id);
  assert.deepEqual(top.slice(0, 2).sort(), ['P0249', 'P0250'], top.join(' '));
  assert.ok(!top.slice(0, 3).some((id) => ['P0083', 'P0093'].includes(id)), top.join(' '));

  const text = await cli(['search', '降噪耳机', '--ranker', rankerFile, '--explain', '2']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /rerank ranker/);
  assert.match(text.out, /#1 \S+ .*ranker score -?\d+\.\d+ = base -?\d+\.\d+ \+ contributions/);
  assert.match(text.out, /the other \d+ features/);
});

test('TREC qrels with a queries file train a ranker, unjudged candidates standing in as irrelevant', async () => {
  writeFileSync(join(dir, 'queries.tsv'), '1\t降噪耳机\n2\tsony camera\n3\tmacbook air\n4\t保温杯\n5\tiphone 15 case\n');
  writeFileSync(join(dir, 'qrels.tsv'), '1 0 P0113 1\n2 0 P0131 1\n3 0 P0145 1\n4 0 P0229 1\n5 0 P0079 1\n');
  const trained = await cli(['--json', 'train-ranker', join(dir, 'qrels.tsv'), '--queries', join(dir, 'queries.tsv'), '-o', join(dir, 'qrels-ranker.json')]);
  assert.equal(trained.code, 0, trained.err);
  const summary = JSON.parse(trained.out).summary as { queries: number; negatives: number; examples: number };
  assert.equal(summary.queries, 5);
  assert.ok(summary.negatives > 20, `negatives ${summary.negatives}`);
  assert.equal(summary.examples, 5 + summary.negatives);
});

test('a ranker file that is not one fails before searching', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"kind":"matcher"}');
  const r = await cli(['search', 'iphone', '--ranker', bad]);
  assert.equal(r.code, 2);
  assert.match(r.err, /not a prodsim ranker/);
  const missing = await cli(['search', 'iphone', '--ranker', join(dir, 'nope.json')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /cannot be read/);
});
