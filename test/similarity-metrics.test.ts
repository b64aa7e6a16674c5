import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  METRICS,
  getMetric,
  cosineSimilarity,
  euclideanDistance,
  manhattanDistance,
  pearsonCorrelation,
  jaccardSimilarity,
  softJaccard,
  softJaccardMetric,
  distanceToSimilarity,
  sparseCosineSimilarity,
  toUnitScore,
} from '../src/similarity/index.ts';
import { isProdsimError } from '../src/errors.ts';

const close = (actual: number | undefined, expected: number, eps = 1e-9) => {
  assert.ok(actual !== undefined, `expected ${expected}, got undefined`);
  assert.ok(Math.abs(actual - expected) < eps, `expected ${expected}, got ${actual}`);
};

const a = new Float32Array([1, 2, 3]);
const b = new Float32Array([4, 5, 6]);

test('cosine, euclidean, manhattan and fuzzy on hand-computed vectors', () => {
  // a·b = 32, |a| = √14, |b| = √77
  close(cosineSimilarity(a, b), 32 / Math.sqrt(14 * 77));
  close(METRICS.cosine.compute(a, b), 0.9746318461970762, 1e-7);
  // differences 3,3,3
  close(euclideanDistance(a, b), Math.sqrt(27));
  close(manhattanDistance(a, b), 9);
  close(METRICS.fuzzy.compute(a, b), 1 / (1 + Math.sqrt(27)));
  close(cosineSimilarity([1, 0], [0, 1]), 0);
  close(cosineSimilarity([1, 1], [-1, -1]), -1);
});

test('pearson and jaccard on hand-computed inputs', () => {
  // deviations (−1.5, −.5, .5, 1.5) and (−.5, −1.5, 1.5, .5): cov 3, variances 5 and 5
  close(pearsonCorrelation([1, 2, 3, 4], [2, 1, 4, 3]), 0.6);
  close(pearsonCorrelation([1, 2, 3], [10, 20, 30]), 1);
  close(jaccardSimilarity(['a', 'b', 'c'], ['b', 'c', 'd']), 0.5);
  close(jaccardSimilarity(['a', 'a', 'b'], ['a']), 0.5);
  close(METRICS.jaccard.compute(new Set([1, 2]), new Set([3])), 0);
});

test('each metric says whether it is a similarity or a distance, and its range', () => {
  assert.equal(METRICS.euclidean.kind, 'distance');
  assert.equal(METRICS.manhattan.kind, 'distance');
  assert.deepEqual(METRICS.euclidean.range, [0, Infinity]);
  assert.equal(METRICS.cosine.kind, 'similarity');
  assert.deepEqual(METRICS.cosine.range, [-1, 1]);
  assert.equal(METRICS.fuzzy.kind, 'similarity');
  assert.deepEqual(METRICS.fuzzy.range, [0, 1]);
  assert.equal(METRICS.pearson.kind, 'similarity');
  assert.equal(METRICS.jaccard.kind, 'similarity');
  for (const m of Object.values(METRICS)) assert.ok(m.description.length > 0, `${m.name} has a description`);
  assert.equal(getMetric('manhattan'), METRICS.manhattan);
  assert.throws(() => getMetric('hamming'), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
});

test('toUnitScore never passes a distance off as a similarity', () => {
  // distance 0 is the most similar, a large distance the least
  assert.equal(toUnitScore(METRICS.euclidean, 0), 1);
  close(toUnitScore(METRICS.manhattan, 9), 0.1);
  assert.equal(toUnitScore(METRICS.euclidean, Infinity), 0);
  assert.equal(toUnitScore(METRICS.cosine, -0.4), 0);
  close(toUnitScore(METRICS.cosine, -0.4, 'rescale'), 0.3);
  close(toUnitScore(METRICS.jaccard, 0.25), 0.25);
  close(distanceToSimilarity(1), 0.5);
  assert.throws(() => distanceToSimilarity(-1), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
});

test('edge cases are explicit: zero vectors, constant vectors, empty sets, length mismatch', () => {
  const zero = new Float32Array(3);
  assert.equal(cosineSimilarity(zero, a), undefined);
  assert.equal(pearsonCorrelation([2, 2, 2], [1, 2, 3]), undefined);
  assert.equal(pearsonCorrelation([], []), undefined);
  assert.equal(jaccardSimilarity([], []), undefined);
  assert.equal(jaccardSimilarity([], ['x']), 0);
  assert.equal(euclideanDistance(zero, zero), 0);
  assert.equal(softJaccard([], [], () => 1), undefined);
  assert.equal(sparseCosineSimilarity({ indices: new Uint32Array(), values: new Float32Array() }, { indices: new Uint32Array([1]), values: new Float32Array([1]) }), undefined);
  assert.throws(() => cosineSimilarity([1, 2], [1, 2, 3]), (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH');
  assert.throws(() => manhattanDistance([1], [1, 2]), (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH');
  for (const m of Object.values(METRICS)) {
    if (m.name === 'jaccard' || m.name === 'softJaccard' || m.name === 'sparseCosine') continue;
    const v = (m.compute as (x: Float32Array, y: Float32Array) => number | undefined)(zero, zero);
    assert.ok(v === undefined || Number.isFinite(v), `${m.name}(0, 0) is ${v}`);
  }
});

test('sparse cosine matches dense cosine on the same vectors', () => {
  const sa = { indices: new Uint32Array([0, 2, 5]), values: new Float32Array([1, 2, 3]) };
  const sb = { indices: new Uint32Array([5, 0, 3]), values: new Float32Array([1, 1, 4]) };
  const da = [1, 0, 2, 0, 0, 3];
  const db = [1, 0, 0, 4, 0, 1];
  close(sparseCosineSimilarity(sa, sb), cosineSimilarity(da, db)!, 1e-6);
});

test('soft Jaccard: greedy one-to-one matching, reduces to Jaccard with exact similarity', () => {
  const exact = (x: string, y: string) => (x === y ? 1 : 0);
  close(softJaccard(['a', 'b', 'c'], ['b', 'c', 'd'], exact)!.score, 0.5);
  close(softJaccardMetric(exact).compute(['a'], ['b']) ?? NaN, 0);

  // one near match: M = 0.8, score = 0.8 / (2 + 2 − 0.8)
  const near = (x: string, y: string) => (x === y ? 1 : (x === 'red' && y === 'crimson') || (x === 'crimson' && y === 'red') ? 0.8 : 0);
  const r = softJaccard(['red', 'cotton'], ['crimson', 'silk'], near)!;
  close(r.score, 0.8 / 3.2);
  assert.deepEqual(r.matches, [{ a: 'red', b: 'crimson', similarity: 0.8 }]);
  assert.deepEqual(r.unmatchedA, ['cotton']);

  // greedy takes the single best pair first (0.9) even though 0.8 + 0.7 would sum higher
  const table: Record<string, number> = { 'a1|b1': 0.9, 'a1|b2': 0.8, 'a2|b1': 0.7, 'a2|b2': 0 };
  const g = softJaccard(['a1', 'a2'], ['b1', 'b2'], (x, y) => table[`${x}|${y}`] ?? 0, { minSimilarity: 0.5 })!;
  close(g.score, 0.9 / 3.1);
  assert.deepEqual(g.matches.map((m) => `${m.a}|${m.b}`), ['a1|b1']);

  // pairs under minSimilarity are not matched
  close(softJaccard(['red'], ['crimson'], near, { minSimilarity: 0.9 })!.score, 0);
  assert.throws(() => softJaccard(['x'], ['y'], () => 2), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
});
