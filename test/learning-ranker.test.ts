import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fitGradientBoosting,
  groupRows,
  meanGroupNdcg,
  predictGradientBoostingLogit,
  seededRandom,
} from '../src/learning/gradient-boosting.ts';
import { gradientBoostingContributions } from '../src/learning/contributions.ts';
import { explainRanker, fitRanker, loadRankerModel, queryFolds, rankerScore, saveRankerModel, type RankingExample } from '../src/learning/ranker.ts';
import { addRelativeFeatures, lightStem, QUERY_PRODUCT_FEATURES, queryProductFeatures } from '../src/learning/query-features.ts';
import { representProduct } from '../src/similarity/representation.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

/**
 * Graded synthetic queries: `found` tells relevant (grade ≥ 1) from irrelevant rows well, and
 * only `exact` tells the perfect rows (grade 3) from the merely related (1). A pointwise
 * classifier of relevant vs not never needs `exact`; nDCG rewards putting grade 3 first.
 */
function gradedSet(seed: number, queries: number) {
  const rand = seededRandom(seed);
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  for (let q = 0; q < queries; q++) {
    // Grades in a shuffled order, so the row order of a group says nothing.
    const order = Array.from({ length: 20 }, (_, d) => d).sort(() => rand() - 0.5);
    for (const d of order) {
      const grade = d < 2 ? 3 : d < 8 ? 1 : 0;
      const found = (grade > 0 ? 0.6 : 0.2) + rand() * 0.35;
      const exact = grade === 3 ? 0.5 + rand() * 0.5 : rand() * 0.6;
      const noise = rand();
      rows.push(Float64Array.from([found, exact, noise]));
      labels.push(grade);
      groups.push(q);
    }
  }
  return { rows, labels, groups };
}

const NAMES = ['found', 'exact', 'noise'];

test('LambdaMART raises nDCG@10 over a unit ranker and beats a pointwise fit of the same trees', () => {
  const train = gradedSet(1, 60);
  const valid = gradedSet(2, 20);
  const test_ = gradedSet(3, 40);
  const groups = groupRows(test_.groups);
  const ndcg = (score: (r: Float64Array) => number) => meanGroupNdcg(groups, test_.rows.map(score), test_.labels, 10);

  const unit = ndcg(() => 0);
  const rand = seededRandom(9);
  const random = ndcg(() => rand());
  const lambda = fitGradientBoosting(train, NAMES, { objective: 'lambdarank', trees: 200, minChildWeight: 0.01, earlyStoppingRounds: 40 }, valid);
  const pointwise = fitGradientBoosting(train, NAMES, { trees: 200, earlyStoppingRounds: 40 }, valid);
  const ranked = ndcg((r) => predictGradientBoostingLogit(lambda, r));
  const classified = ndcg((r) => predictGradientBoostingLogit(pointwise, r));
  assert.equal(lambda.objective, 'lambdarank');
  assert.ok(ranked > unit + 0.2 && ranked > random + 0.2, `lambdarank ${ranked} vs unit ${unit}, random ${random}`);
  assert.ok(ranked > classified + 0.05, `lambdarank ${ranked} vs pointwise ${classified}`);
  assert.ok(ranked > 0.9, `lambdarank ${ranked}`);
});

test('lambdarank without query groups is refused', () => {
  const { rows, labels } = gradedSet(1, 2);
  assert.throws(() => fitGradientBoosting({ rows, labels }, NAMES, { objective: 'lambdarank', trees: 2 }), /query groups/);
});

test('path contributions sum with the base score to the prediction', () => {
  const train = gradedSet(4, 20);
  const model = fitGradientBoosting(train, NAMES, { objective: 'lambdarank', trees: 30 });
  for (const row of train.rows.slice(0, 25)) {
    const { base, contributions } = gradientBoostingContributions(model, row);
    const total = base + contributions.reduce((s, c) => s + c.contribution, 0);
    assert.ok(Math.abs(total - predictGradientBoostingLogit(model, row)) < 1e-9);
  }
  // The noise feature earns less than the informative ones.
  const mean = (name: string) => train.rows.reduce((s, r) => s + Math.abs(gradientBoostingContributions(model, r).contributions.find((c) => c.feature === name)?.contribution ?? 0), 0);
  assert.ok(mean('noise') < mean('exact') && mean('noise') < mean('found'));
});

test('query folds never put one query in two folds, and cover every query', () => {
  const queries = Array.from({ length: 130 }, (_, i) => `q${i}`);
  const folds = queryFolds([...queries, ...queries.slice(0, 40)], 5, 42);
  assert.equal(folds.size, 130);
  const sizes = [0, 0, 0, 0, 0];
  for (const f of folds.values()) sizes[f]!++;
  assert.deepEqual(sizes, [26, 26, 26, 26, 26]);
  // Train and evaluation examples of each fold share no query.
  const examples = queries.flatMap((q) => [q, q, q]);
  for (let f = 0; f < 5; f++) {
    const trainQ = new Set(examples.filter((q) => folds.get(q) !== f));
    const evalQ = new Set(examples.filter((q) => folds.get(q) === f));
    for (const q of evalQ) assert.ok(!trainQ.has(q), `${q} in both`);
  }
  assert.deepEqual(queryFolds(queries, 5, 42), queryFolds([...queries].reverse(), 5, 42), 'order of arrival does not matter');
  assert.throws(() => queryFolds(queries, 1, 1), /folds/);
});

test('a ranker is fitted, saved, loaded and explained; other files are refused', () => {
  const { rows, labels, groups } = gradedSet(5, 30);
  const width = QUERY_PRODUCT_FEATURES.length;
  const widen = (r: Float64Array) => Float64Array.from({ length: width }, (_, j) => r[j] ?? 0);
  const examples: RankingExample[] = rows.map((r, i) => ({ query: `q${groups[i]}`, productId: `p${i}`, label: labels[i]!, features: widen(r) }));
  const model = fitRanker(examples, { averageTokens: { title: 8, description: 40, all: 48 }, irrelevantGrade: 0 }, { gbdt: { trees: 60 }, validationShare: 0.2 });
  assert.equal(model.training.queries, 30);
  assert.ok(model.training.validationQueries > 0 && model.training.validationNdcg !== null);
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-ranker-'));
  try {
    const file = join(dir, 'ranker.json');
    saveRankerModel(model, file);
    const loaded = loadRankerModel(file);
    const row = examples[0]!.features;
    assert.equal(rankerScore(loaded, row), rankerScore(model, row));
    const explained = explainRanker(loaded, row);
    const sum = explained.base + explained.features.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(sum - rankerScore(loaded, row)) < 1e-9 && Math.abs(explained.score - sum) < 1e-12);
    assert.equal(explained.features.length, width);
    writeFileSync(file, JSON.stringify({ ...model, featureNames: ['x'] }));
    assert.throws(() => loadRankerModel(file), /other features/);
    writeFileSync(file, '{"kind":"gbdt"}');
    assert.throws(() => loadRankerModel(file), /not a prodsim ranker/);
    assert.throws(() => loadRankerModel(join(dir, 'missing.json')), /cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('query–product features: coverage, phrase, character n-grams, agreements', () => {
  const analyzer = createTextAnalyzer();
  const stats = { documents: 100, documentFrequency: new Map([['mason', 3], ['jars', 5]]), averageTokens: { title: 6, description: 20, all: 26 } };
  const query = (text: string) => ({ text, analyzed: analyzer.analyze(text), vector: undefined });
  const rep = (title: string, extra: Record<string, unknown> = {}) =>
    representProduct({ id: 'p', title, tags: [], images: [], attributes: {}, ...extra }, analyzer);
  const at = (v: Float64Array, name: (typeof QUERY_PRODUCT_FEATURES)[number]) => v[QUERY_PRODUCT_FEATURES.indexOf(name)]!;
  const opts = { pretrainedDimension: undefined };
  const hit = queryProductFeatures(query('8 ounce mason jars'), rep('Ball 8 ounce mason jars, set of 12', { price: 12.5, inStock: true }), stats, opts);
  const miss = queryProductFeatures(query('8 ounce mason jars'), rep('Red accent pillow'), stats, opts);
  assert.equal(hit.length, QUERY_PRODUCT_FEATURES.length);
  assert.ok(at(hit, 'bm25.title') > 0 && at(miss, 'bm25.title') === 0);
  assert.equal(at(hit, 'coverage.titleTerms'), 1);
  assert.equal(at(hit, 'phrase.titleBigrams'), 1);
  assert.equal(at(hit, 'phrase.titleExact'), 1);
  assert.equal(at(hit, 'product.inStock'), 1);
  assert.ok(Math.abs(at(hit, 'product.logPrice') - Math.log1p(12.5)) < 1e-12);
  assert.equal(at(miss, 'product.logPrice'), -1, 'no price');
  // Chinese: a query segmented unlike the title still covers its characters and bigrams.
  const zh = queryProductFeatures(query('种花吕线'), rep('盆景扦正线矫型攀扎丝种花罗汉松整形吕条线'), stats, opts);
  assert.ok(at(zh, 'coverage.titleChars') === 1 && at(zh, 'coverage.titleCharBigrams') > 0);
  const colour = (title: string) => at(queryProductFeatures(query('red pillow'), rep(title), stats, opts), 'agree.colour');
  assert.deepEqual([colour('Red accent pillow'), colour('Blue accent pillow'), colour('Accent pillow')], [1, -1, 0]);
  const code = (title: string) => at(queryProductFeatures(query('sony dsc-w120'), rep(title), stats, opts), 'agree.modelNumber');
  assert.equal(code('Sony DSC-W120 camera'), 1);
  assert.equal(code('Sony DSC-HX90 camera'), -1);
  const brand = at(queryProductFeatures(query('sony camera'), rep('DSC-W120 camera', { brand: 'Sony' }), stats, opts), 'agree.brand');
  assert.equal(brand, 1);
  const quantity = (title: string) => at(queryProductFeatures(query('water 500ml'), rep(title), stats, opts), 'agree.quantity');
  assert.deepEqual([quantity('Water 500 ml bottle'), quantity('Water 1.5L bottle')], [1, -1]);
});

test('character n-gram BM25 for Chinese queries, query coverage of the description and of brand, tags and category', () => {
  const analyzer = createTextAnalyzer();
  const characters = { documents: 100, documentFrequency: new Map([['种', 4], ['种花', 2], ['吕', 1], ['线', 30]]) };
  const stats = { documents: 100, documentFrequency: new Map<string, number>(), averageTokens: { title: 6, description: 20, all: 26, characters: 12 }, characters };
  const query = (text: string) => ({ text, analyzed: analyzer.analyze(text), vector: undefined });
  const rep = (title: string, extra: Record<string, unknown> = {}) => representProduct({ id: 'p', title, tags: [], images: [], attributes: {}, ...extra }, analyzer);
  const at = (v: Float64Array, name: (typeof QUERY_PRODUCT_FEATURES)[number]) => v[QUERY_PRODUCT_FEATURES.indexOf(name)]!;
  const opts = { pretrainedDimension: undefined };
  const rope = at(queryProductFeatures(query('种花吕线'), rep('盆景扦正线矫型攀扎丝种花罗汉松整形吕条线'), stats, opts), 'bm25.characters');
  const paint = at(queryProductFeatures(query('种花吕线'), rep('多乐士白色乳胶漆'), stats, opts), 'bm25.characters');
  assert.ok(rope > 5 && paint === 0, `${rope} ${paint}`);
  // English queries have no character n-grams: the word BM25 scores them.
  assert.equal(at(queryProductFeatures(query('mason jars'), rep('Ball mason jars'), stats, opts), 'bm25.characters'), 0);
  const jar = queryProductFeatures(query('ball mason jars'), rep('Jar set of 12', { description: 'Mason jars for canning', brand: 'Ball' }), stats, opts);
  assert.ok(Math.abs(at(jar, 'coverage.descriptionTerms') - 2 / 3) < 1e-12);
  assert.ok(Math.abs(at(jar, 'coverage.brandTagsCategory') - 1 / 3) < 1e-12);
});

test('a linear prior the trees correct: score = prior + trees, and the explanation still adds up', () => {
  const { rows, labels, groups } = gradedSet(9, 30);
  const width = QUERY_PRODUCT_FEATURES.length;
  const found = QUERY_PRODUCT_FEATURES.indexOf('coverage.evidence');
  // The synthetic `found` column goes where the prior reads it.
  const widen = (r: Float64Array) => Float64Array.from({ length: width }, (_, j) => (j === found ? r[0]! : (r[j] ?? 0)));
  const examples: RankingExample[] = rows.map((r, i) => ({ query: `q${groups[i]}`, productId: `p${i}`, label: labels[i]!, features: widen(r) }));
  const context = { averageTokens: { title: 8, description: 40, all: 48 }, irrelevantGrade: 0 };
  const model = fitRanker(examples, context, { gbdt: { trees: 20 }, prior: { 'coverage.evidence': 3 } });
  assert.deepEqual(model.prior, [{ feature: 'coverage.evidence', weight: 3 }]);
  const row = examples[0]!.features;
  assert.ok(Math.abs(rankerScore(model, row) - (predictGradientBoostingLogit(model.gbdt, row) + 3 * row[found]!)) < 1e-12);
  const explained = explainRanker(model, row);
  assert.ok(Math.abs(explained.base + explained.features.reduce((s, f) => s + f.contribution, 0) - rankerScore(model, row)) < 1e-9);
  assert.throws(() => fitRanker(examples, context, { prior: { 'no.such': 1 } }), /unknown feature/);
});

test('light stems and query-relative features', () => {
  assert.deepEqual(['jars', 'holders', 'batteries', 'boxes', 'glass', 'women\'s', 'bus', 'iphone'].map(lightStem), ['jar', 'holder', 'battery', 'box', 'glass', 'women', 'bus', 'iphone']);
  const at = (name: (typeof QUERY_PRODUCT_FEATURES)[number]) => QUERY_PRODUCT_FEATURES.indexOf(name);
  const rows = [0.2, 0.9, 0.5].map((cosine) => {
    const r = new Float64Array(QUERY_PRODUCT_FEATURES.length);
    r[at('dense.combined')] = cosine;
    return r;
  });
  addRelativeFeatures(rows);
  assert.deepEqual(rows.map((r) => Number(r[at('relative.dense.combined')]!.toFixed(6))), [-0.7, 0, -0.4]);
});
