import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parseWdcProductPairs, type LabeledPair } from '../src/learning/pairs.ts';
import { recordDisjointSplit, sharedRecordCount } from '../src/learning/splits.ts';
import { calibrate, calibrateAll, chooseThresholdRule, decideByRules, fitIsotonic, fitPlatt, oneToOneAssignment } from '../src/learning/calibration.ts';
import { readTaobaoClusters, readTaobaoPairs } from '../src/learning/zh/taobao.ts';
import { zScoreFusion } from '../src/learning/unsupervised-fusion.ts';

const rec = (title: string) => ({ title });

test('WDC Products loader keeps product text and keeps cluster ids out of the records', () => {
  const line = JSON.stringify({
    id_left: 1,
    title_left: 'Sandisk Cruzer 16GB',
    brand_left: null,
    description_left: 'USB 2.0',
    price_left: '5.00',
    priceCurrency_left: 'EUR',
    cluster_id_left: 77,
    id_right: 2,
    title_right: 'SanDisk Cruzer Glide 64GB',
    brand_right: 'Sandisk',
    cluster_id_right: 78,
    pair_id: '1#2',
    label: 0,
    is_hard_negative: true,
  });
  const { pairs, clusterOf } = parseWdcProductPairs(`${line}\n`);
  assert.equal(pairs.length, 1);
  const p = pairs[0]!;
  assert.deepEqual(p.left, { title: 'Sandisk Cruzer 16GB', description: 'USB 2.0', price: '5.00', priceCurrency: 'EUR' });
  assert.deepEqual(p.right, { title: 'SanDisk Cruzer Glide 64GB', brand: 'Sandisk' });
  assert.equal(p.label, 0);
  assert.equal(p.leftId, '1');
  assert.equal(p.rightId, '2');
  assert.equal(clusterOf.get('1'), '77');
  assert.equal(clusterOf.get('2'), '78');
  for (const r of [p.left, p.right]) for (const k of Object.keys(r)) assert.ok(!/cluster|pair_id|hard/.test(k), `leaked field ${k}`);
});

/** Pairs over 60 products in 20 clusters of 3 records: matches inside a cluster, non-matches across. */
function clusteredPairs(): LabeledPair[] {
  const pairs: LabeledPair[] = [];
  for (let c = 0; c < 20; c++) {
    pairs.push({ left: rec(`p${c}a`), right: rec(`p${c}b`), label: 1 });
    pairs.push({ left: rec(`p${c}b`), right: rec(`p${c}c`), label: 1 });
    for (let d = 0; d < 20; d++) if (d !== c) pairs.push({ left: rec(`p${c}a`), right: rec(`p${d}c`), label: 0 });
  }
  return pairs;
}

test('record-disjoint split: no record and no product cluster in two parts', () => {
  const pairs = clusteredPairs();
  const split = recordDisjointSplit(pairs, { seed: 3 });
  assert.equal(split.clusters, 20);
  const recordsOf = (ps: LabeledPair[]) => new Set(ps.flatMap((p) => [p.left['title']!, p.right['title']!]));
  const [tr, va, te] = [recordsOf(split.train), recordsOf(split.valid), recordsOf(split.test)];
  for (const r of te) assert.ok(!tr.has(r) && !va.has(r), `${r} is in test and in another part`);
  for (const r of va) assert.ok(!tr.has(r), `${r} is in valid and in train`);
  const clusterOfTitle = (t: string) => t.slice(0, -1);
  const clusters = (s: Set<string>) => new Set([...s].map(clusterOfTitle));
  for (const c of clusters(te)) assert.ok(!clusters(tr).has(c), `cluster ${c} in test and train`);
  assert.equal(sharedRecordCount(split.train, split.test).shared, 0);
  assert.ok(split.train.length > 0 && split.valid.length > 0 && split.test.length > 0);
  assert.equal(split.train.length + split.valid.length + split.test.length + split.dropped, pairs.length);
  // Every kept match stays a match, and each part has some.
  for (const part of [split.train, split.valid, split.test]) assert.ok(part.some((p) => p.label === 1));
  // Valid and test keep the match rate of all pairs (2 in 21 here), not every match of their clusters.
  const rate = (ps: LabeledPair[]) => ps.filter((p) => p.label === 1).length / ps.length;
  for (const part of [split.valid, split.test]) assert.ok(Math.abs(rate(part) - rate(pairs)) < 0.03, `match rate ${rate(part)} vs ${rate(pairs)}`);
  const unbalanced = recordDisjointSplit(pairs, { seed: 3, keepMatchRate: false });
  assert.ok(rate(unbalanced.test) > 2 * rate(pairs), 'without rebalancing, test is match-heavy');
  // A plain random split of the same pairs shares records: the helper sees it.
  assert.ok(sharedRecordCount(pairs.slice(0, 200), pairs.slice(200)).shared > 0);
});

test('record-disjoint split follows given cluster ids (records of one product never split)', () => {
  // Two records of cluster X never paired as a match: connected components alone would separate them.
  const pairs: LabeledPair[] = [];
  for (let i = 0; i < 30; i++) {
    pairs.push({ left: rec(`x${i}`), right: rec(`y${i}`), label: 0, leftId: `x${i}`, rightId: `y${i}` });
  }
  const cluster = (id: string) => `c${Number(id.slice(1)) % 5}`;
  const split = recordDisjointSplit(pairs, { clusterOf: (_r, p, side) => cluster((side === 'left' ? p.leftId : p.rightId)!), seed: 2 });
  const clustersOf = (ps: LabeledPair[]) => new Set(ps.flatMap((p) => [cluster(p.leftId!), cluster(p.rightId!)]));
  const tr = clustersOf(split.train);
  for (const c of clustersOf(split.test)) assert.ok(!tr.has(c));
  assert.equal(split.clusters, 5);
});

test('Platt calibration maps scores onto the observed match rate', () => {
  // Scores 0.9 match 3 times in 4; 0.2 match 1 time in 4.
  const scores = [0.9, 0.9, 0.9, 0.9, 0.2, 0.2, 0.2, 0.2];
  const labels = [1, 1, 1, 0, 1, 0, 0, 0];
  const platt = fitPlatt(Array(50).fill(scores).flat(), Array(50).fill(labels).flat());
  assert.ok(Math.abs(calibrate(platt, 0.9) - 0.75) < 0.02, `got ${calibrate(platt, 0.9)}`);
  assert.ok(Math.abs(calibrate(platt, 0.2) - 0.25) < 0.02, `got ${calibrate(platt, 0.2)}`);
  assert.ok(calibrate(platt, 0.95) > calibrate(platt, 0.5));
});

test('isotonic calibration is non-decreasing and fits block means', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  const labels = [0, 1, 0, 0, 1, 1];
  const iso = fitIsotonic(scores, labels);
  const out = calibrateAll(iso, scores);
  for (let i = 1; i < out.length; i++) assert.ok(out[i]! >= out[i - 1]!, 'not monotone');
  assert.equal(out[0], 0);
  assert.ok(Math.abs(out[2]! - 1 / 3) < 1e-9, `pooled block 0.2–0.4 should be 1/3, got ${out[2]}`);
  assert.equal(out[5], 1);
});

test('one-to-one assignment keeps only the best pair of each record', () => {
  const pairs: LabeledPair[] = [
    { left: rec('a'), right: rec('x'), leftId: 'a', rightId: 'x' },
    { left: rec('a'), right: rec('y'), leftId: 'a', rightId: 'y' },
    { left: rec('b'), right: rec('x'), leftId: 'b', rightId: 'x' },
    { left: rec('b'), right: rec('z'), leftId: 'b', rightId: 'z' },
  ];
  const decided = oneToOneAssignment(pairs, [0.9, 0.8, 0.85, 0.3], 0.5);
  assert.deepEqual([...decided], [1, 0, 0, 0]);
  const rules = decideByRules({ scores: [0.1, 0.2, 0.8, 0.9], labels: [0, 0, 1, 1] }, { scores: [0.9, 0.8, 0.85, 0.3], pairs });
  assert.deepEqual([...rules['1:1 assignment']], [1, 0, 0, 0]);
  assert.deepEqual([...rules['max-F1 on valid']], [1, 1, 1, 0]);
});

test('the threshold rule is chosen on valid alone: 1:1 when each record has one match among close decoys, else max-F1', () => {
  // Each left record: its match scores 0.6–0.87, its two decoys 0.1 and 0.2 lower. A single threshold
  // cannot tell them apart across records (some matches score below other records' decoys); one-to-one can.
  const pairs: LabeledPair[] = [];
  const scores: number[] = [];
  for (let i = 0; i < 60; i++) {
    const top = 0.6 + (i % 10) * 0.03;
    pairs.push({ left: rec(`l${i}`), right: rec(`m${i}`), leftId: `l${i}`, rightId: `m${i}`, label: 1 });
    scores.push(top);
    for (const d of [1, 2]) {
      pairs.push({ left: rec(`l${i}`), right: rec(`d${i}-${d}`), leftId: `l${i}`, rightId: `d${i}-${d}`, label: 0 });
      scores.push(top - 0.1 * d);
    }
  }
  const choice = chooseThresholdRule({ pairs, scores });
  assert.equal(choice.rule, '1:1 assignment', JSON.stringify(choice.validF1));
  assert.ok(choice.validF1['1:1 assignment'] > choice.validF1['max-F1 on valid']);
  // Separable scores, no structure: every rule is perfect, and the tie goes to max-F1.
  const easy = pairs.map((p, i) => ({ ...p, leftId: `e${i}`, rightId: `f${i}` }));
  const separated = easy.map((p) => (p.label === 1 ? 0.9 : 0.1));
  assert.equal(chooseThresholdRule({ pairs: easy, scores: separated }).rule, 'max-F1 on valid');
});

const TAOBAO = new URL('../../shared/datasets/zh-product-matching/', import.meta.url).pathname;
test('Taobao clusters: equal cluster ids are exactly the matching pairs', { skip: existsSync(TAOBAO) ? false : 'needs ../shared/datasets/zh-product-matching (not in a fresh clone)' }, () => {
  const clusters = readTaobaoClusters(`${TAOBAO}val.jsonl`);
  const pairs = readTaobaoPairs(`${TAOBAO}val.jsonl`);
  for (const p of pairs) assert.equal(clusters.get(p.leftId!) === clusters.get(p.rightId!), p.label === 1);
});

test('z-score fusion: a part on a small scale counts as much as one on a large scale; a constant part adds nothing', () => {
  const wide = [0.1, 0.5, 0.9];
  const narrow = [0.88, 0.9, 0.92];
  const flat = [0.5, 0.5, 0.5];
  const fused = zScoreFusion([wide, narrow, flat]);
  // Both informative parts agree on the order and are standardised to the same values.
  const z = Math.sqrt(1.5); // (x − mean) / sd for three evenly spaced values
  assert.ok(Math.abs(fused[0]! + (2 * z) / 3) < 1e-9 && Math.abs(fused[1]!) < 1e-9 && Math.abs(fused[2]! - (2 * z) / 3) < 1e-9, `got ${[...fused]}`);
  // A raw mean would let the wide part decide alone when the two disagree; standardised, they cancel.
  const cancel = zScoreFusion([wide, [0.92, 0.9, 0.88]]);
  for (const v of cancel) assert.ok(Math.abs(v) < 1e-9);
});
