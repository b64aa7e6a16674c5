import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePvPairs, pvPairsToMap, pvPairsText, parseTaobaoPairs, readTaobaoPairs, taobaoRecordsById } from '../src/learning/zh/taobao.ts';
import { brandParts, canonicalModelValue, extractZhAttributes, genderOfTitle, genderOfValue } from '../src/learning/zh/attributes.ts';
import { adjustWithZhRules, zhAttributeFeatures, zhConflicts } from '../src/learning/zh/conflicts.ts';
import { averageRanks, parseStsPairs, spearman } from '../src/learning/zh/sts.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TRAIN = join(ROOT, '../shared/datasets/zh-product-matching/train.jsonl');
const missing = !existsSync(TRAIN);
const skip = missing ? 'needs ../shared/datasets/zh-product-matching (not in a fresh clone)' : false;

test('parsePvPairs reads key#:#value#;# pairs, skips broken pieces, keeps repeated keys', () => {
  const raw = '品牌#:#JEEP/吉普#;#货号#:#JS9WV011#;#坏的#;##:#无键#;#颜色分类#:#黑色#;#颜色分类#:#白色';
  assert.deepEqual(parsePvPairs(raw), [['品牌', 'JEEP/吉普'], ['货号', 'JS9WV011'], ['颜色分类', '黑色'], ['颜色分类', '白色']]);
  assert.equal(pvPairsToMap(raw).get('颜色分类'), '黑色、白色');
  assert.equal(pvPairsText('品牌#:#耐克#;#尺码#:#42'), '品牌 耐克 尺码 42');
  assert.deepEqual(parsePvPairs(''), []);
});

test('parseTaobaoPairs never copies cluster ids or image URLs into records', () => {
  const line = JSON.stringify({ id_left: 1, title_left: '女鞋', cate_name_left: '帆布鞋', cate_level_name_left: '女鞋/帆布鞋', pv_pairs_left: '品牌#:#回力', cluster_id_left: 7, pict_url_left: 'x', id_right: 2, title_right: '男鞋', cate_name_right: '帆布鞋', cate_level_name_right: '流行男鞋/帆布鞋', pv_pairs_right: '', cluster_id_right: 7, label: 0 });
  const [pair] = parseTaobaoPairs(line);
  assert.ok(pair);
  assert.equal(pair.label, 0);
  assert.equal(pair.left['title'], '女鞋');
  assert.equal(pair.left['pv_text'], '品牌 回力');
  for (const r of [pair.left, pair.right]) for (const k of Object.keys(r)) assert.ok(!/cluster|pict|id/.test(k), `unexpected field ${k}`);
  assert.throws(() => parseTaobaoPairs('{"title_left":"a","title_right":"b","label":2}'), /label/);
});

test('taobaoRecordsById: each record once, as first met; records without an id left out', () => {
  const pair = (l: string | undefined, lt: string, r: string | undefined, rt: string) =>
    JSON.stringify({ ...(l ? { id_left: l } : {}), title_left: lt, ...(r ? { id_right: r } : {}), title_right: rt, label: 0 });
  const pairs = parseTaobaoPairs([pair('1', 'a', '2', 'b'), pair('2', 'b again', '3', 'c'), pair(undefined, 'no id', '1', 'a again')].join('\n'));
  const records = taobaoRecordsById(pairs);
  assert.deepEqual([...records.keys()], ['1', '2', '3']);
  assert.deepEqual([...records.values()].map((r) => r['title']), ['a', 'b', 'c']);
});

test('brand parts: bilingual brands split, placeholders dropped, traditional folded', () => {
  assert.deepEqual(brandParts('Under Armour/安德玛').sort(), ['underarmour', '安德玛'].sort());
  assert.deepEqual(brandParts('茵宝/ Umbro').sort(), ['umbro', '茵宝'].sort());
  assert.deepEqual(brandParts('other/其他'), []);
  assert.deepEqual(brandParts('其他'), []);
  assert.deepEqual(brandParts('愛迪達'), ['爱迪达']);
  assert.equal(canonicalModelValue('BV3095-010'), 'bv3095010');
  assert.equal(canonicalModelValue('无'), '');
});

test('gender from values and from keyword-soup titles', () => {
  assert.equal(genderOfValue('男'), 'male');
  assert.equal(genderOfValue('男女通用'), 'unisex');
  assert.equal(genderOfTitle('2018秋季新款休闲男鞋学生帆布鞋男士板鞋韩版潮流百搭低帮鞋子'), 'male');
  assert.equal(genderOfTitle('小白鞋女2020爆款百搭学生基础板鞋韩版平底秋冬新款加绒休闲女鞋'), 'female');
  assert.equal(genderOfTitle('厚底网鞋袜子鞋女高筒男女软底'), 'unisex');
  assert.equal(genderOfTitle('雅诗兰黛小棕瓶精华50ml'), undefined);
});

test('conflict rules: 男鞋 vs 女鞋, different brands, equal 货号 (synthetic records)', () => {
  const man = extractZhAttributes({ title: '回力男鞋帆布鞋', pv_pairs: '品牌#:#Warrior/回力#;#货号#:#WXY-A123#;#颜色分类#:#黑色' });
  const woman = extractZhAttributes({ title: '回力女鞋帆布鞋', pv_pairs: '品牌#:#回力#;#货号#:#WXY-A123#;#颜色分类#:#白色' });
  const f = zhAttributeFeatures(man, woman);
  assert.equal(f['brand_equal'], 1);
  assert.equal(f['model_equal'], 1);
  assert.equal(f['gender_conflict'], 1);
  assert.equal(f['colour_pv_conflict'], 1);
  assert.deepEqual(zhConflicts(man, woman).sort(), ['colour', 'gender'].sort());
  assert.equal(f['model_related'], 0);
  // 0.5 + model_equal 0.5 + brand_equal 0.1 − gender_conflict 0.3 − colour_pv_conflict 0.1
  assert.ok(Math.abs(adjustWithZhRules(0.5, f) - 0.7) < 1e-9, String(adjustWithZhRules(0.5, f)));
  const other = extractZhAttributes({ title: '匡威男鞋', pv_pairs: '品牌#:#Converse/匡威#;#货号#:#101001' });
  assert.ok(zhConflicts(man, other).includes('brand'));
  assert.ok(zhConflicts(man, other).includes('modelNumber'));
});

test('real Taobao titles: Under Armour vs Umbro is a brand and model conflict', { skip }, () => {
  const pairs = readTaobaoPairs(TRAIN);
  const p = pairs[4]!;
  assert.match(p.left['title']!, /安德玛/);
  assert.equal(p.label, 0);
  const a = extractZhAttributes(p.left);
  const b = extractZhAttributes(p.right);
  assert.equal(a.modelNumber, '1351533');
  assert.deepEqual(a.pvColours, ['black']);
  const c = zhConflicts(a, b);
  assert.ok(c.includes('brand'), `conflicts: ${c.join(',')}`);
  assert.ok(c.includes('modelNumber'), `conflicts: ${c.join(',')}`);
});

test('real Taobao titles: JEEP vests with the same 货号 agree on brand and model number', { skip }, () => {
  const pairs = readTaobaoPairs(TRAIN);
  const p = pairs[63]!;
  assert.equal(p.label, 1);
  const a = extractZhAttributes(p.left);
  const b = extractZhAttributes(p.right);
  const f = zhAttributeFeatures(a, b);
  assert.equal(f['model_equal'], 1);
  assert.equal(f['brand_equal'], 1);
  assert.equal(f['brand_conflict'], 0);
  assert.ok(!zhConflicts(a, b).includes('brand'));
  assert.equal(a.gender, 'male');
});

test('real Taobao titles: 男鞋 vs 女鞋 board shoes conflict on gender', { skip }, () => {
  const pairs = readTaobaoPairs(TRAIN);
  const p = pairs[1164]!;
  assert.equal(p.label, 0);
  assert.match(p.left['title']!, /男鞋/);
  assert.match(p.right['title']!, /女鞋/);
  const c = zhConflicts(extractZhAttributes(p.left), extractZhAttributes(p.right));
  assert.ok(c.includes('gender'), `conflicts: ${c.join(',')}`);
  // The matching pair of the same left product (another men's board shoe) has no gender conflict.
  const m = pairs[464]!;
  assert.equal(m.label, 1);
  assert.ok(!zhConflicts(extractZhAttributes(m.left), extractZhAttributes(m.right)).includes('gender'));
});

test('Spearman: tie-averaged ranks, perfect and reversed orders', () => {
  assert.deepEqual([...averageRanks([10, 20, 20, 30])], [1, 2.5, 2.5, 4]);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12);
  assert.deepEqual(parseStsPairs('一个女人在弹吉他。\t一个人在弹吉他。\t2\n'), [{ s1: '一个女人在弹吉他。', s2: '一个人在弹吉他。', label: 2 }]);
  assert.throws(() => parseStsPairs('a\tb\n'), /parts/);
});
