import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitLogisticRegression, predictLogistic, rawUnitWeights, solveSpd } from '../src/learning/logistic-regression.ts';
import { fitGradientBoosting, predictGradientBoosting, seededRandom } from '../src/learning/gradient-boosting.ts';
import { applyMatcher, loadMatcherModel, matcherFromModel, saveMatcherModel, toLinearMatcherProfile, trainMatcher } from '../src/learning/matcher.ts';
import { pairMetricsAt } from '../src/learning/metrics.ts';
import { evaluatePairs, writeEvalReport } from '../src/learning/eval-report.ts';
import type { LabeledPair } from '../src/learning/pairs.ts';
import { earlyStoppingSplit } from '../src/learning/splits.ts';

test('Cholesky solve', () => {
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2);
  assert.ok(Math.abs(x[0]! - 0.5) < 1e-12 && Math.abs(x[1]!) < 1e-12);
});

test('logistic regression separates two clusters, deterministically, with raw-unit weights', () => {
  const rand = seededRandom(7);
  const rows: Float64Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < 400; i++) {
    const label = i % 2;
    rows.push(Float64Array.from([label * 2 + rand() * 1.5, rand() * 10])); // feature 0 informative, 1 noise
    y.push(label);
  }
  const m = fitLogisticRegression(rows, y, ['signal', 'noise']);
  assert.ok(m.weights[0]! > 1, `signal weight ${m.weights[0]}`);
  assert.ok(Math.abs(m.weights[1]!) < Math.abs(m.weights[0]!) / 5, 'noise weighs little');
  const acc = rows.filter((r, i) => (predictLogistic(m, r) >= 0.5 ? 1 : 0) === y[i]).length / rows.length;
  assert.ok(acc > 0.85, `accuracy ${acc}`);
  const again = fitLogisticRegression(rows, y, ['signal', 'noise']);
  assert.deepEqual(again.weights, m.weights);
  // raw-unit weights give the same logit
  const { weights, bias } = rawUnitWeights(m);
  const r = rows[3]!;
  const z = bias + weights[0]! * r[0]! + weights[1]! * r[1]!;
  assert.ok(Math.abs(1 / (1 + Math.exp(-z)) - predictLogistic(m, r)) < 1e-9);
});

test('gradient boosting learns an interaction that a linear model cannot (XOR)', () => {
  const rand = seededRandom(3);
  const rows: Float64Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < 600; i++) {
    const a = rand();
    const b = rand();
    rows.push(Float64Array.from([a, b]));
    y.push((a > 0.5) !== (b > 0.5) ? 1 : 0);
  }
  const gb = fitGradientBoosting({ rows, labels: y }, ['a', 'b'], { trees: 200, subsample: 1 });
  const lr = fitLogisticRegression(rows, y, ['a', 'b']);
  const acc = (f: (r: Float64Array) => number) => rows.filter((r, i) => (f(r) >= 0.5 ? 1 : 0) === y[i]).length / rows.length;
  assert.ok(acc((r) => predictGradientBoosting(gb, r)) > 0.95, 'trees fit XOR');
  assert.ok(acc((r) => predictLogistic(lr, r)) < 0.7, 'a linear model cannot');
});

// A small synthetic catalog: matches share the model code and most words; non-matches differ.
function syntheticPairs(seed: number, n: number): LabeledPair[] {
  const rand = seededRandom(seed);
  const brands = ['sony', 'canon', 'nikon', 'samsung', 'lg', 'panasonic'];
  const kinds = ['camera', 'tv', 'printer', 'monitor', 'speaker', 'headphones'];
  const product = (i: number) => {
    const brand = brands[i % brands.length]!;
    const kind = kinds[(i * 7) % kinds.length]!;
    const code = `${brand.slice(0, 2)}${100 + ((i * 37) % 900)}`;
    return { brand, kind, code, price: 50 + ((i * 13) % 400) };
  };
  const pairs: LabeledPair[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rand() * 1000);
    const p = product(i);
    const left = { title: `${p.brand} ${p.kind} ${p.code} black`, price: String(p.price) };
    if (k % 2 === 0) {
      pairs.push({ left, right: { title: `${p.brand} ${p.code.toUpperCase()} ${p.kind}`, price: String(p.price * (0.9 + rand() * 0.2)) }, label: 1 });
    } else {
      // hard negatives: same brand and kind, another code
      const q = product(i + 6);
      pairs.push({ left, right: { title: `${p.brand} ${p.kind} ${q.code} black`, price: String(q.price) }, label: 0 });
    }
  }
  return pairs;
}

test('trainMatcher on a small synthetic set separates matches from non-matches; model file round-trips', () => {
  const train = syntheticPairs(1, 160);
  const valid = syntheticPairs(2, 60);
  const testPairs = syntheticPairs(3, 80);
  for (const classifier of ['logistic', 'gbdt'] as const) {
    const matcher = trainMatcher(train, valid, { classifier, gbdt: { trees: 60 } });
    const scores = matcher.score(testPairs);
    const y = testPairs.map((p) => p.label!);
    const meanOf = (lab: number) => scores.filter((_, i) => y[i] === lab).reduce((a, b) => a + b, 0) / y.filter((v) => v === lab).length;
    assert.ok(meanOf(1) > 0.8 && meanOf(0) < 0.2, `${classifier}: mean p(match) ${meanOf(1)}, p(non-match) ${meanOf(0)}`);
    assert.ok(pairMetricsAt(scores, y, matcher.model.threshold).f1 > 0.9, classifier);
    const dir = mkdtempSync(join(tmpdir(), 'prodsim-learning-'));
    try {
      const file = join(dir, 'model.json');
      saveMatcherModel(matcher.model, file);
      const reloaded = matcherFromModel(loadMatcherModel(file));
      const again = reloaded.score(testPairs);
      for (let i = 0; i < scores.length; i++) assert.ok(Math.abs(again[i]! - scores[i]!) < 1e-12);
      const applied = applyMatcher(reloaded, testPairs.slice(0, 4));
      assert.equal(applied.length, 4);
      assert.equal(applied[0]!.match, applied[0]!.probability >= matcher.model.threshold);
      // the report writes a table and two SVG plots
      const paths = writeEvalReport(evaluatePairs(scores, y, matcher.model.threshold), dir, { stem: 'syn' });
      assert.equal(paths.length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('linear matcher profile: weights per feature reproduce the logistic probability', () => {
  const train = syntheticPairs(4, 120);
  const matcher = trainMatcher(train, syntheticPairs(5, 40), { classifier: 'logistic' });
  const profile = toLinearMatcherProfile(matcher);
  assert.equal(profile.features.length, matcher.model.featureNames.length);
  // The classifier's row: the pair features, then the learned token model's logit (`tokens.learned`).
  const row = matcher.featurize([train[0]!])[0]!;
  assert.equal(row.length, profile.features.length);
  const z = profile.bias + profile.features.reduce((s, f, j) => s + f.weight * row[j]!, 0);
  assert.ok(Math.abs(1 / (1 + Math.exp(-z)) - predictLogistic(matcher.model.logistic, row)) < 1e-9);
  assert.ok(profile.threshold > 0 && profile.threshold < 1);
  assert.throws(() => trainMatcher(train.filter((p) => p.label === 1)), /both matches and non-matches/);
});

test('learnFusionProfile: learned weights form a valid similarity profile that separates the synthetic pairs', async () => {
  const { learnFusionProfile } = await import('../src/learning/fusion-learning.ts');
  const train = syntheticPairs(6, 120);
  const valid = syntheticPairs(7, 40);
  const learned = learnFusionProfile(train, valid, { mapping: { title: 'title', price: 'price' } });
  const weights = Object.values<number>(learned.profile.weights);
  assert.ok(weights.every((w) => w >= 0));
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  const testPairs = syntheticPairs(8, 60);
  const f1 = pairMetricsAt(learned.score(testPairs), testPairs.map((p) => p.label!), learned.threshold).f1;
  assert.ok(f1 > 0.8, `fusion F1 ${f1}`);
});

test('early stopping: validation pairs repeating training records are not what boosting stops on', () => {
  const train = syntheticPairs(1, 200);
  const testPairs = syntheticPairs(3, 80);
  // A validation set made of training pairs (a random pair split of one labelled file does this):
  // its loss falls with every tree, so stopping on it would run to the cap.
  const repeated = train.slice(0, 60);
  const cap = 400;
  const m = trainMatcher(train, repeated, { classifier: 'gbdt', gbdt: { trees: cap, earlyStoppingRounds: 20 }, gbdtSeeds: 2 });
  const es = m.model.training.earlyStopping;
  assert.ok(es, 'the model records what early stopping ran on');
  assert.equal(es.on, 'held-out training records');
  assert.equal(es.sharedRecordShare, 1);
  assert.ok(es.trees < cap, `stopped at ${es.trees} of ${cap} trees`);
  assert.equal(m.model.gbdt!.trees.length, 2 * es.trees, 'each seed refits on all training pairs with the tree count found');
  assert.ok(pairMetricsAt(m.score(testPairs), testPairs.map((p) => p.label!), m.model.threshold).f1 > 0.9);
  // Fresh validation pairs are stopped on as before.
  const seen = new Set(train.flatMap((p) => [JSON.stringify(p.left), JSON.stringify(p.right)]));
  const unseen = syntheticPairs(2, 120).filter((p) => !seen.has(JSON.stringify(p.left)) && !seen.has(JSON.stringify(p.right)));
  const fresh = trainMatcher(train, unseen, { classifier: 'gbdt', gbdt: { trees: cap, earlyStoppingRounds: 20 }, gbdtSeeds: 1 });
  assert.equal(fresh.model.training.earlyStopping?.on, 'valid');
});

test('earlyStoppingSplit holds out whole records', () => {
  const train = syntheticPairs(1, 200);
  const split = earlyStoppingSplit(train, train.slice(0, 50));
  assert.ok(split);
  const key = (r: object) => JSON.stringify(r);
  const fitRecords = new Set(split.fit.flatMap((i) => [key(train[i]!.left), key(train[i]!.right)]));
  for (const i of split.stop) for (const r of [train[i]!.left, train[i]!.right]) assert.ok(!fitRecords.has(key(r)), 'a held-out record is also fitted on');
  assert.ok(split.stop.length > 0 && split.fit.length > split.stop.length);
});
