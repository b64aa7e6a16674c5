import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singleLinkThresholdForPairCount } from '../src/learning/baseline.ts';
import { pairwiseGroupingMetrics } from '../src/learning/metrics.ts';
import { groupPairsWithCannotLinks } from '../src/tasks/duplicate-groups.ts';

// Best first. Single link: 0.9 joins {0,1} (1 pair); 0.8 makes {0,1,2} and {3,4} (3 + 1 = 4 pairs);
// 0.7 is inside {0,1,2} (still 4); 0.5 joins the two groups (+ 3 × 2 = 10 pairs).
const sorted = [
  { a: 0, b: 1, score: 0.9 },
  { a: 1, b: 2, score: 0.8 },
  { a: 3, b: 4, score: 0.8 },
  { a: 0, b: 2, score: 0.7 },
  { a: 2, b: 3, score: 0.5 },
];

test('singleLinkThresholdForPairCount: the lowest threshold whose single-link groups hold at most the target pairs', () => {
  assert.equal(singleLinkThresholdForPairCount(sorted, 5, 10), 0.5);
  assert.equal(singleLinkThresholdForPairCount(sorted, 5, 9), 0.7, 'a pair inside a group adds no pair');
  assert.equal(singleLinkThresholdForPairCount(sorted, 5, 3), 0.9, 'a tie block is joined whole or not at all');
  assert.equal(singleLinkThresholdForPairCount(sorted, 5, 0), Number.POSITIVE_INFINITY);
  assert.equal(singleLinkThresholdForPairCount([], 5, 3), Number.POSITIVE_INFINITY);
});

test('singleLinkThresholdForPairCount agrees with the groups of the pairs above its threshold', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  for (const target of [1, 4, 9, 10]) {
    const threshold = singleLinkThresholdForPairCount(sorted, ids.length, target);
    const { groups } = groupPairsWithCannotLinks(
      sorted.filter((p) => p.score >= threshold),
      () => false,
    );
    const { predictedPairs } = pairwiseGroupingMetrics(
      groups.map((g) => g.map((i) => ids[i]!)),
      new Map(),
    );
    assert.equal(predictedPairs, target === 9 ? 4 : target, `target ${target}`);
  }
});
