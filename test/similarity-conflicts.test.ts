import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareProducts, fieldConflict, formatExplanation, fuse, profileFromWeights, representProduct } from '../src/similarity/index.ts';
import type { Product } from '../src/catalog/product.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const analyzer = createTextAnalyzer();
const product = (id: string, title: string, attributes: Record<string, string> = {}): Product => ({ id, title, tags: [], images: [], attributes, brand: 'Sony' });

test('another colour is an identity conflict: sameProduct halves the score, contributions still add up', () => {
  const black = representProduct(product('a', 'Sony WH-1000XM5 头戴式降噪耳机 黑色', { 颜色: '黑色' }), analyzer);
  const silver = representProduct(product('b', 'Sony WH-1000XM5 Headphones Silver', { colour: 'Silver' }), analyzer);
  const silverZh = representProduct(product('c', '索尼 WH-1000XM5 银色 耳机', { 颜色: '银色' }), analyzer);
  const conflict = compareProducts(black, silver, { profile: 'sameProduct' });
  const same = compareProducts(silverZh, silver, { profile: 'sameProduct' });
  assert.equal(conflict.conflictFactor, 0.5);
  assert.ok(conflict.conflicts.some((c) => c.startsWith('color')), conflict.conflicts.join('; '));
  assert.deepEqual(same.conflicts, [], 'Silver and 银色 are one colour');
  assert.ok(same.score! > conflict.score!);
  const total = conflict.fields.reduce((s, f) => s + f.contribution, 0);
  assert.equal(total, conflict.score);
  assert.match(formatExplanation(conflict), /conflict: color/);
});

test('a profile without a factor reports conflicts but leaves the score alone', () => {
  const evidence = { summary: 'conflict: sm-g9910 vs sm-g9960', kind: 'conflict' };
  assert.match(fieldConflict('modelNumber', evidence) ?? '', /model number/);
  const profile = profileFromWeights('plain', { modelNumber: 1, brand: 1 });
  const r = fuse({ modelNumber: { score: 0, evidence }, brand: { score: 1, evidence: { summary: 'same' } } }, profile);
  assert.equal(r.score, 0.5);
  assert.equal(r.conflictFactor, 1);
  assert.equal(r.conflicts.length, 1);
  assert.throws(() => profileFromWeights('bad', { brand: 1 }, { conflictFactor: 2 }));
});
