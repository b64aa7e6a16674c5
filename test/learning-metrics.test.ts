import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestF1Threshold,
  confusion,
  evaluateRankings,
  metricsFromCounts,
  ndcgAtK,
  pairMetricsAt,
  pairwiseGroupingMetrics,
  prAuc,
  precisionRecallCurve,
  recallAtK,
  reciprocalRank,
  reliability,
} from '../src/learning/metrics.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
const labels = [1, 0, 1, 0, 0];

test('precision, recall, F1 at a threshold (hand-computed)', () => {
  // predicted 1,1,1,0,0 → TP 2, FP 1, FN 0, TN 2
  const m = pairMetricsAt(scores, labels, 0.65);
  assert.deepEqual({ tp: m.tp, fp: m.fp, fn: m.fn, tn: m.tn }, { tp: 2, fp: 1, fn: 0, tn: 2 });
  close(m.precision, 2 / 3);
  close(m.recall, 1);
  close(m.f1, 0.8);
  // threshold 0.85: TP 1, FP 0, FN 1 → P 1, R 0.5, F1 2/3
  const m2 = pairMetricsAt(scores, labels, 0.85);
  close(m2.precision, 1);
  close(m2.recall, 0.5);
  close(m2.f1, 2 / 3);
});

test('undefined ratios are 0, not NaN', () => {
  const m = metricsFromCounts({ tp: 0, fp: 0, fn: 3, tn: 4 });
  assert.equal(m.precision, 0);
  assert.equal(m.f1, 0);
  assert.deepEqual(confusion([0, 1], [1, 1]), { tp: 1, fp: 0, fn: 1, tn: 0 });
});

test('PR-AUC is average precision on a tiny case', () => {
  // ranks: 1 (P 1, R .5), 0, 1 (P 2/3, R 1) → AP = .5·1 + .5·2/3
  close(prAuc(scores, labels), 0.5 + 0.5 * (2 / 3));
  // a perfect ranking has PR-AUC 1
  close(prAuc([0.9, 0.8, 0.1], [1, 1, 0]), 1);
  // tied scores count together: one point at P .5, R 1
  const curve = precisionRecallCurve([0.5, 0.5], [1, 0]);
  assert.equal(curve.length, 1);
  close(curve[0]!.precision, 0.5);
  close(prAuc([0.5, 0.5], [1, 0]), 0.5);
});

test('bestF1Threshold picks the F1-maximising cut, between two scores', () => {
  const best = bestF1Threshold(scores, labels);
  close(best.f1, 0.8);
  close(best.threshold, 0.65);
  // applying the returned threshold reproduces the F1
  close(pairMetricsAt(scores, labels, best.threshold).f1, best.f1);
  // a case where the best cut keeps only the top score
  const b2 = bestF1Threshold([0.9, 0.4, 0.3, 0.2], [1, 0, 0, 0]);
  close(b2.f1, 1);
  assert.ok(b2.threshold > 0.4 && b2.threshold <= 0.9);
});

test('nDCG@k, MRR, Recall@k (hand-computed)', () => {
  const q = { ranked: ['a', 'b', 'c'], relevance: new Map([['b', 1], ['d', 1]]) };
  // DCG = 1/log2(3); IDCG = 1 + 1/log2(3)
  close(ndcgAtK(q, 3), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
  close(reciprocalRank(q), 0.5);
  close(recallAtK(q, 3), 0.5);
  close(recallAtK(q, 1), 0);
  // graded relevance: a=1, b=2 ranked a, b → DCG = 1 + 3/log2 3; IDCG = 3 + 1/log2 3
  const g = { ranked: ['a', 'b'], relevance: { a: 1, b: 2 } };
  close(ndcgAtK(g, 2), (1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)));
  const agg = evaluateRankings([q, g, { ranked: ['x'], relevance: {} }], 3);
  assert.equal(agg.queries, 2, 'a query without relevant ids is skipped');
  close(agg.mrr, (0.5 + 1) / 2);
});

test('reliability summary: calibrated bins have zero ECE, overconfident ones do not', () => {
  const probs = [0.05, 0.05, 0.95, 0.95];
  const ok = reliability([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75], [1, 0, 0, 0, 1, 1, 1, 0]);
  close(ok.ece, 0);
  const bad = reliability(probs, [1, 1, 0, 0]);
  close(bad.ece, 0.95);
  close(bad.brier, 0.95 ** 2);
});

test('pairwiseGroupingMetrics: hand-counted pairs of a grouping against clusters', () => {
  // True clusters {a,b,c} and {d,e}: 3 + 1 = 4 true pairs; f is in no cluster.
  const clusterOf = new Map([
    ['a', 'X'],
    ['b', 'X'],
    ['c', 'X'],
    ['d', 'Y'],
    ['e', 'Y'],
  ]);
  // Predicted {a,b,d}: pairs ab (right), ad, bd (wrong); {e,f}: ef (wrong).
  const m = pairwiseGroupingMetrics([['a', 'b', 'd'], ['e', 'f']], clusterOf);
  assert.deepEqual([m.predictedPairs, m.correctPairs, m.truePairs], [4, 1, 4]);
  close(m.precision, 0.25);
  close(m.recall, 0.25);
  close(m.f1, 0.25);
  assert.deepEqual(pairwiseGroupingMetrics([], clusterOf).precision, 0);
});
