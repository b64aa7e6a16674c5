import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareProducts, fieldConflict, formatExplanation, fuse, profileFromWeights, representProduct } from '../src/similarity/index.ts';
import { catalogStatisticsOf } from '../src/similarity/catalog-statistics.ts';
import { UNNAMED_CODES_FACTOR } from '../src/similarity/fusion.ts';
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

test('unrelated codes of one format conflict only for products of one maker (shops number their own 货号)', () => {
  // Two shops' listings of one dress: no brand, each shop's own article number (both digits only).
  const listing = (id: string, title: string, code: string, brand?: string): Product => ({
    id,
    title,
    tags: [],
    images: [],
    attributes: { 货号: code, 面料: '雪纺', 裙长: '长裙' },
    ...(brand ? { brand } : {}),
  });
  const shopA = representProduct(listing('a', '2020夏季新款韩版雪纺连衣裙修身长裙V领无袖', '1890'), analyzer);
  const shopB = representProduct(listing('b', '女夏装2020新款雪纺连衣裙长款碎花显瘦大摆长裙', '3566'), analyzer);
  const unbranded = compareProducts(shopA, shopB, { profile: 'sameProduct' });
  assert.equal((unbranded.fields.find((f) => f.field === 'modelNumber')?.evidence as { kind?: string } | undefined)?.kind, 'different');
  assert.deepEqual(unbranded.conflicts, [], 'two shops’ article numbers say nothing of the item');
  assert.equal(unbranded.conflictFactor, 1);
  // One maker's two numbers of its own scheme are two items.
  const makerA = representProduct(listing('c', 'Anker waterproof phone case', 'MX7805-23', 'Anker'), analyzer);
  const makerB = representProduct(listing('d', 'Anker waterproof phone case', 'X6635-94', 'Anker'), analyzer);
  const branded = compareProducts(makerA, makerB, { profile: 'sameProduct' });
  assert.ok(branded.conflicts.some((c) => c.startsWith('model number')), branded.conflicts.join('; '));
  assert.equal(branded.conflictFactor, 0.5);
});

test('unrelated codes weigh less when neither title names a code (each shop’s own 货号)', () => {
  const listing = (id: string, title: string, code: string): Product => ({ id, title, tags: [], images: [], attributes: { 货号: code, 材质: '头层牛皮', 风格: '商务' } });
  // One belt listed by two shops with the same title, each with its own article number.
  const a = representProduct(listing('a', 'golf高尔夫皮带男真皮自动扣商务腰带', 'P0GF34998F'), analyzer);
  const b = representProduct(listing('b', 'golf高尔夫皮带男真皮自动扣商务腰带', '3S367221Z'), analyzer);
  // Two products whose titles name their codes: the codes are what tells them apart.
  const c = representProduct(listing('c', 'Anker waterproof phone case MX7805-23', 'MX7805-23'), analyzer);
  const d = representProduct(listing('d', 'Anker waterproof phone case X6635-94', 'X6635-94'), analyzer);
  const filler = ['保温杯 不锈钢 大容量', '蚕丝被 春秋被', '连衣裙 雪纺 长裙'].map((t, i) => representProduct(listing(`f${i}`, t, `Z${i}00`), analyzer));
  const catalog = catalogStatisticsOf([a, b, c, d, ...filler]);
  const unnamed = compareProducts(a, b, { profile: 'sameProduct', catalog });
  const mn = unnamed.fields.find((f) => f.field === 'modelNumber')!;
  assert.equal(mn.score, 0);
  assert.equal(mn.weightFactor, UNNAMED_CODES_FACTOR);
  const present = unnamed.fields.filter((f) => !f.missing);
  const fullWeight = present.reduce((s, f) => s + f.score! * f.weight, 0) / present.reduce((s, f) => s + f.weight, 0);
  assert.ok(unnamed.score! > fullWeight, `same title, shops' own codes: ${unnamed.score} vs ${fullWeight} at full weight`);
  const named = compareProducts(c, d, { profile: 'sameProduct', catalog });
  assert.equal(named.fields.find((f) => f.field === 'modelNumber')!.weightFactor, undefined);
});
