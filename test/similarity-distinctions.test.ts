/**
 * Negative evidence without labels (issue: related-but-different products treated as the same).
 * Unit cases for each kind of distinction, then the sample-catalog cases end to end: dedup must not
 * group a phone with a laptop, a MacBook Pro with a MacBook Air, a phone with earbuds; tag similarity
 * must not call two values of one dimension synonyms.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { representProduct } from '../src/similarity/representation.ts';
import { productDistinctions, textDistinctions, dimensionValuesOf } from '../src/similarity/distinctions.ts';
import { compareProducts } from '../src/similarity/fusion.ts';
import { quantitiesSimilarity } from '../src/similarity/field-similarities/quantities.ts';
import { groupPairsWithCannotLinks } from '../src/tasks/duplicate-groups.ts';
import { pairwiseGroupingMetrics } from '../src/learning/metrics.ts';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import type { Product } from '../src/catalog/product.ts';

const analyzer = createTextAnalyzer();
let nextId = 0;
function rep(title: string, extra: Partial<Product> = {}) {
  return representProduct({ id: `T${nextId++}`, title, ...extra } as Product, analyzer);
}
const dimensionsOf = (a: string, b: string, extraA: Partial<Product> = {}, extraB: Partial<Product> = {}) =>
  productDistinctions(rep(a, extraA), rep(b, extraB)).map((d) => d.dimension);

describe('distinctions between products', () => {
  test('product type from title and category: phone vs laptop vs headphones', () => {
    assert.deepEqual(dimensionsOf('HUAWEI/华为 Mate 60 Pro 手机 12GB+1TB 白色', '华为（HUAWEI）MateBook X Pro 2024 白色 16GB+1TB'), ['productType']);
    assert.ok(dimensionsOf('HUAWEI/华为 nova 12 手机 256GB 白色', 'HUAWEI/华为 FreeBuds Pro 3 真无线降噪耳机 白色').includes('productType'));
    // The category path names the type when the title does not.
    assert.ok(dimensionsOf('Apple iPhone 15 Pro 256GB Black', 'Apple iPad Air 256GB', { category: '手机/智能手机' }, { category: '数码/平板电脑' }).includes('productType'));
  });

  test('an accessory is typed by itself, not by the device it fits', () => {
    assert.deepEqual(dimensionValuesOf('图拉斯 磨砂半透明手机壳 蓝色 适用iphone 15 pro max 手机壳').get('productType'), ['case']);
    assert.ok(dimensionsOf('ESR Clear Magnetic Case for iPhone 15 Pro Black', 'Apple iPhone 15 Pro 128GB Black').includes('productType'));
    assert.ok(dimensionsOf('Baseus Tempered Glass Screen Protector for Xiaomi 14', 'Baseus Liquid Silicone Case for Xiaomi 14').includes('productType'));
  });

  test('a broader type is compatible with a narrower one (a laptop is a computer)', () => {
    assert.deepEqual(textDistinctions('苹果电脑', 'macbook 笔记本电脑'), []);
    assert.equal(textDistinctions('苹果手机', '苹果电脑')[0]?.dimension, 'productType');
  });

  test('exclusive values: over-ear vs in-ear, men vs women (unisex agrees with both), body only vs kit', () => {
    assert.ok(dimensionsOf('索尼 WH-1000XM5 头戴式无线降噪耳机', '索尼 WF-1000XM5 真无线降噪耳机').includes('wearingStyle'));
    assert.ok(dimensionsOf('耐克 男子跑步鞋 黑色', '耐克 女子跑步鞋 黑色').includes('gender'));
    assert.ok(!dimensionsOf('耐克 男女同款 跑步鞋 黑色', '耐克 女子跑步鞋 黑色').includes('gender'));
    assert.ok(dimensionsOf('Nikon Z6 II 微单相机 单机身 黑色', 'Nikon Z6 II Mirrorless Camera with Z 24-70mm Kit, Black').includes('bundle'));
  });

  test('model line: a line word on one side counts only after a word both titles share, never after the brand', () => {
    assert.deepEqual(dimensionsOf('Apple iPhone 15 128GB Black', 'Apple iPhone 15 Pro 128GB Black'), ['modelLine']);
    assert.ok(dimensionsOf('Apple MacBook Pro 14 M3 Laptop', 'Apple MacBook Air 13 M2 Laptop').includes('modelLine'));
    assert.ok(dimensionsOf('苹果 iPhone 15 Pro Max 512GB 蓝色', 'Apple iPhone 15 Pro 512GB Blue').includes('modelLine'));
    assert.deepEqual(dimensionsOf('Philips Air Fryer HD9252 Black', '飞利浦 空气炸锅 HD9252 黑色', { brand: 'Philips' }, { brand: '飞利浦' }), []);
  });

  test('series numbers: same series word with other numbers; within one brand, series that share nothing', () => {
    assert.deepEqual(dimensionsOf('Apple iPhone 15 128GB', 'Apple iPhone 14 128GB'), ['series']);
    assert.deepEqual(dimensionsOf('【现货速发】华为 P60 8GB+256GB 黑色 手机', '2024新款华为 nova 12 256GB 黑色 手机', { brand: '华为' }, { brand: '华为' }), ['series']);
    assert.deepEqual(dimensionsOf('HUAWEI Mate 60 Pro 12GB+1TB White', '华为 Mate 60 Pro 12GB+1TB 白色 手机', { brand: 'HUAWEI' }, { brand: '华为' }), []);
  });

  test('series names beside one number: P60 is not Mate 60 Pro; an abbreviated series word (A7 / Alpha 7) still agrees', () => {
    const huawei = { brand: '华为' };
    assert.ok(dimensionsOf('【顺丰包邮】华为 P60 12GB+512GB 紫色 手机', '【官方正品】华为 Mate 60 Pro 12GB+512GB 紫色 手机', huawei, huawei).includes('series'));
    assert.ok(dimensionsOf('华为 Mate 60 12GB+512GB 紫色 手机', '华为 P60 12GB+512GB 紫色 手机', huawei, huawei).includes('series'));
    const sony = { brand: 'Sony' };
    assert.deepEqual(dimensionsOf('Sony Alpha 7 IV Mirrorless Camera Body', 'Sony A7 IV Mirrorless Camera Body', sony, sony), []);
    const apple = { brand: 'Apple' };
    assert.deepEqual(dimensionsOf('Apple Watch Series 9 GPS 45mm', 'Apple Watch S9 GPS 45mm', apple, apple), []);
    // Other brands, or no brand on one side: the series rule across lines does not apply.
    assert.ok(!dimensionsOf('华为 P60 手机', '华为 Mate 60 手机', huawei, {}).includes('series'));
  });

  test('two different brands the alias table knows are a conflict, named brand; sub-brands are not', () => {
    const sony = rep('Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black', { brand: 'Sony', category: '数码/耳机' });
    const bose = rep('Bose QuietComfort 45 Wireless Noise Cancelling Headphones Black', { brand: 'Bose', category: '数码/耳机' });
    const r = compareProducts(sony, bose, { profile: 'sameProduct' });
    const brand = r.distinctions.find((d) => d.dimension === 'brand');
    assert.deepEqual(brand && { kind: brand.kind, a: brand.a, b: brand.b }, { kind: 'variant', a: ['sony'], b: ['bose'] });
    assert.ok(r.conflicts.includes('brand: sony ≠ bose'), r.conflicts.join('; '));
    assert.equal(r.conflictFactor, 0.5);
    assert.deepEqual(dimensionsOf('Redmi Note 13 手机', '小米 Redmi Note 13 手机', { brand: 'Redmi' }, { brand: '小米' }), []);
    assert.deepEqual(dimensionsOf('索尼 WH-1000XM5 耳机', 'Sony WH-1000XM5 Headphones', { brand: '索尼' }, { brand: 'Sony' }), []);
  });

  test('colour, year and generation conflict only when both sides name one', () => {
    assert.deepEqual(dimensionsOf('苹果 iPhone 15 Pro 128GB 黑色 手机', 'Apple iPhone 15 Pro Smartphone - Natural Titanium 128GB'), ['colour']);
    assert.deepEqual(dimensionsOf('vivo X100 12GB+256GB Black 2024新款', 'vivo X100 12GB+256GB Black'), []);
    assert.deepEqual(dimensionsOf('AirPods Pro (第二代) 白色', 'AirPods Pro (第三代) 白色'), ['generation']);
    // 金属 is metal, not gold: titanium colours are not read as two colours.
    assert.deepEqual(dimensionsOf('iPhone 15 Pro 原色钛金属', 'iPhone 15 Pro Natural Titanium'), []);
  });

  test('capacities: naming fewer values agrees, naming other values conflicts', () => {
    const q = (t: string) => analyzer.analyze(t);
    assert.equal(quantitiesSimilarity(q('Mate 60 Pro 12GB+512GB'), q('Mate 60 Pro 12GB+256GB'))!.score, 0);
    assert.equal(quantitiesSimilarity(q('Galaxy S24 256GB'), q('Galaxy S24 8GB+256GB'))!.score, 1);
  });

  test('fusion applies the profile factor per kind and explains it', () => {
    const phone = rep('HUAWEI/华为 Mate 60 Pro 手机 12GB+1TB 白色', { brand: '华为', category: '手机/智能手机' });
    const laptop = rep('华为（HUAWEI）MateBook X Pro 白色 笔记本电脑', { brand: '华为', category: '电脑/笔记本电脑' });
    const r = compareProducts(phone, laptop, { profile: 'sameProduct' });
    assert.equal(r.distinctions[0]?.kind, 'type');
    assert.ok(r.conflicts.some((c) => c.startsWith('productType')));
    assert.equal(r.conflictFactor, 0.25);
    const d = compareProducts(phone, laptop, { profile: 'default' });
    assert.equal(d.conflictFactor, 0.5);
    const plain = r.fields.filter((f) => !f.missing).reduce((s, f) => s + f.score! * f.normalizedWeight, 0);
    assert.ok(Math.abs(r.score! - plain * 0.25) < 1e-9, 'every contribution carries the factor');
  });
});

describe('duplicate groups with cannot-links', () => {
  test('a vague listing does not bridge two products known to differ', () => {
    // 0 black, 1 white, 2 no colour named: 0–2 and 1–2 are above the threshold, 0–1 conflict.
    const pairs = [
      { a: 0, b: 2, score: 0.9 },
      { a: 1, b: 2, score: 0.85 },
    ];
    const { groups, keptApart } = groupPairsWithCannotLinks(pairs, (a, b) => (a === 0 && b === 1) || (a === 1 && b === 0));
    assert.deepEqual(groups, [[0, 2]]);
    assert.deepEqual(keptApart, [{ a: 1, b: 2, score: 0.85 }]);
  });
});

describe('tag similarity keeps dimension values apart', () => {
  test('values of one dimension, or of different dimensions, are not synonyms', () => {
    for (const [a, b] of [
      ['头戴式', '入耳式'],
      ['大屏', '复古'],
      ['苹果手机', '苹果电脑'],
      ['android', 'ios'],
      ['办公', '家用'],
      ['苹果手机', '三星手机'],
    ] as const) {
      assert.ok(textDistinctions(a, b).length > 0, `${a} / ${b} are told apart`);
    }
    for (const [a, b] of [
      ['红', 'red'],
      ['纯棉', 'cotton'],
      ['连衣裙', 'dress'],
      ['apple', '苹果'],
      ['黑色', 'black'],
    ] as const) {
      assert.deepEqual(textDistinctions(a, b), [], `${a} / ${b} may be synonyms`);
    }
  });
});

describe('the sample catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-distinctions-'));
  let engine: Engine;
  before(async () => {
    engine = await createEngine({ storePath: join(dir, 'store.db') });
    await engine.ingest('data/sample-catalog.jsonl');
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('dedup keeps phones, laptops and earbuds apart, MacBook Pro apart from Air, P60 from Mate 60 Pro, Sony from Bose', async () => {
    const { groups } = await engine.dedup();
    // Sony WH-1000XM5 and Bose QuietComfort 45: two brands' headphones of one type (0.503 before brands conflicted).
    assert.ok(!groups.some((g) => g.ids.includes('P0113') && g.ids.includes('P0118')), 'Sony and Bose headphones grouped');
    const titles = groups.map((g) => g.products.map((p) => p.title).join(' | '));
    for (const t of titles) {
      assert.ok(!(/Mate 60/u.test(t) && /MateBook/u.test(t)), `phone and laptop grouped: ${t}`);
      assert.ok(!(/MacBook Pro/u.test(t) && /MacBook Air/u.test(t)), `Pro and Air grouped: ${t}`);
      assert.ok(!(/nova 12/iu.test(t) && /FreeBuds/u.test(t)), `phone and earbuds grouped: ${t}`);
      assert.ok(!(/P60/u.test(t) && /Mate 60/u.test(t)), `P60 and Mate 60 grouped: ${t}`);
    }
  });

  test('dedup keeps brands the alias table does not know apart: FUANNA bedding is not MERCURY bedding', async () => {
    const { groups } = await engine.dedup();
    // P0243 / P0300 are one FUANNA set; P0237 is MERCURY's (grouped at 0.508 while only known brands conflicted).
    const fuanna = groups.find((g) => g.ids.includes('P0243'));
    assert.ok(fuanna?.ids.includes('P0300'), `the two FUANNA records are one product: ${JSON.stringify(groups.map((g) => g.ids))}`);
    assert.ok(!fuanna?.ids.includes('P0237'), `FUANNA and MERCURY grouped: ${fuanna?.ids.join(', ')}`);
  });

  test('dedup pairs against the listed duplicates: precision ≥ 0.95, recall ≥ 0.85', async () => {
    const rows = readFileSync('data/sample-catalog-pairs.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const parent = new Map<string, string>();
    const find = (x: string): string => (parent.get(x) === undefined || parent.get(x) === x ? x : find(parent.get(x)!));
    for (const [a, b] of rows) parent.set(find(b!), find(a!));
    const clusterOf = new Map(rows.flatMap(([a, b]) => [a!, b!]).map((id) => [id, find(id)] as const));
    const { groups } = await engine.dedup();
    const { precision, recall, correctPairs: correct, predictedPairs: predicted, truePairs } = pairwiseGroupingMetrics(
      groups.map((g) => g.ids),
      clusterOf,
    );
    assert.ok(precision >= 0.95, `precision ${precision.toFixed(3)} (${correct}/${predicted})`);
    assert.ok(recall >= 0.85, `recall ${recall.toFixed(3)} (${correct}/${truePairs})`);
  });

  test('matching the two sample shops: every pair above the default threshold is a true match', async () => {
    const r = await engine.match('data/shop-a.jsonl', 'data/shop-b.jsonl');
    const truth = new Set(
      readFileSync('data/shop-ab-matches.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((r) => r[2] === '1').map((r) => `${r[0]}|${r[1]}`),
    );
    const wrong = r.pairs.filter((p) => !truth.has(`${p.left.id}|${p.right.id}`));
    assert.ok(wrong.length <= 1, `false matches: ${wrong.map((p) => `${p.left.title} ~ ${p.right.title}`).join('; ')}`);
    assert.ok(r.pairs.length - wrong.length >= 54, `true matches found: ${r.pairs.length - wrong.length} of ${truth.size}`);
  });

  test('similar answers "no good match" for a product nothing in the catalog resembles', async () => {
    const lone = (id: string, title: string, category: string) =>
      ({ id, title, description: title, tags: [], brand: 'Yamaha', category, images: [], attributes: {}, price: 2299, currency: 'CNY', inStock: true }) as Product;
    await engine.upsertProducts([lone('LONE1', 'Yamaha YAS-209 Soundbar with Wireless Subwoofer', '影音/回音壁')]);
    const r = await engine.similar({ id: 'LONE1', k: 5 });
    assert.equal(r.noGoodMatch, true, `best ${r.bestScore}`);
    assert.deepEqual(r.items, []);
    assert.ok(r.bestScore !== undefined && r.bestScore < r.minScore);
    const phone = await engine.similar({ id: 'P0001', k: 5 });
    assert.equal(phone.noGoodMatch, false);
    for (const item of phone.items) assert.ok(item.score >= phone.minScore);
    const strict = await engine.similar({ id: 'P0001', k: 5, minScore: 0.999 });
    assert.equal(strict.noGoodMatch, true);
    await engine.deleteProducts(['LONE1']);
  });

  test('tag synonym groups never join two values of one dimension', async () => {
    const groups = await engine.tagGroups();
    assert.ok(groups.some((g) => g.members.length > 1), 'some synonyms are grouped');
    for (const g of groups) {
      const tags = g.members.map((m) => m.tag);
      for (let i = 0; i < tags.length; i++) {
        for (let j = i + 1; j < tags.length; j++) {
          const conflicts = textDistinctions(tags[i]!, tags[j]!).filter((d) => d.dimension !== 'attribute');
          assert.deepEqual(conflicts, [], `${tags[i]} / ${tags[j]} grouped`);
        }
      }
    }
  });
});
