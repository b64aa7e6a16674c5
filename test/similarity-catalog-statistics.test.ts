import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  catalogDocument,
  catalogStatisticsOf,
  catalogTextSimilarity,
  compareProducts,
  createCatalogStatistics,
  explanationFromJSON,
  explanationToJSON,
  formatExplanation,
  modelNumberSpecificity,
  PROFILES,
  profileFromWeights,
  representProduct,
  type ProductRepresentation,
} from '../src/similarity/index.ts';
import type { Product } from '../src/catalog/product.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const analyzer = createTextAnalyzer();
const rep = (id: string, title: string, extra: Partial<Product> = {}): ProductRepresentation =>
  representProduct({ id, title, tags: [], images: [], attributes: {}, ...extra }, analyzer);

/**
 * An Amazon-Google-like software catalog: a hundred Creative Suite 3 boxes all carry `cs3`, which
 * the analyser reads as a model number; only the two listings of one box are the same product.
 */
function softwareCatalog(): { catalog: ProductRepresentation[]; photoshopA: ProductRepresentation; photoshopB: ProductRepresentation; illustrator: ProductRepresentation } {
  const apps = ['illustrator', 'indesign', 'dreamweaver', 'flash', 'fireworks', 'premiere', 'after effects', 'contribute', 'acrobat', 'soundbooth'];
  const editions = ['upgrade', 'full version', 'mac', 'win', 'academic', 'student edition', 'retail', 'oem', 'volume license', 'bundle'];
  const catalog: ProductRepresentation[] = [];
  for (const app of apps) for (const edition of editions) catalog.push(rep(`${app}-${edition}`, `adobe ${app} cs3 ${edition}`, { brand: 'Adobe' }));
  const photoshopA = rep('ps-a', 'adobe photoshop cs3 extended upgrade from photoshop 7 ( 21 ) mac', { brand: 'Adobe' });
  const photoshopB = rep('ps-b', 'photoshop cs3 extended upgrade mac', { brand: 'adobe' });
  const illustrator = rep('ill', 'adobe illustrator cs3 upgrade mac', { brand: 'Adobe' });
  catalog.push(photoshopA, photoshopB, illustrator);
  return { catalog, photoshopA, photoshopB, illustrator };
}

test('a code a hundred catalog products carry is not an exact model match (CS3)', () => {
  const { catalog, photoshopA, photoshopB, illustrator } = softwareCatalog();
  const stats = catalogStatisticsOf(catalog);
  assert.equal(stats.codeFrequency('cs3'), catalog.length);
  assert.ok(modelNumberSpecificity('CS3', stats) < 0.2, `specificity ${modelNumberSpecificity('CS3', stats)}`);

  const wrong = compareProducts(photoshopA, illustrator, { profile: 'sameProduct', catalog: stats });
  const right = compareProducts(photoshopA, photoshopB, { profile: 'sameProduct', catalog: stats });
  const model = wrong.fields.find((f) => f.field === 'modelNumber')!;
  assert.equal(model.score, 1, 'the code is shared');
  assert.ok(model.weightFactor !== undefined && model.weightFactor < 0.2, `weight factor ${model.weightFactor}`);
  assert.ok(wrong.confidence < wrong.coverage, 'the score rests on less evidence than the fields present');
  assert.ok(right.score! > wrong.score!, `photoshop/photoshop ${right.score} vs photoshop/illustrator ${wrong.score}`);
  // Without catalog statistics the shared `cs3` counts in full and the wrong pair looks like a match.
  const blind = compareProducts(photoshopA, illustrator, { profile: 'sameProduct' });
  assert.ok(blind.score! > wrong.score! + 0.1, `without statistics ${blind.score}, with ${wrong.score}`);
  assert.match(formatExplanation(wrong), /for common evidence/);
  assert.match(formatExplanation(wrong), /confidence \d+%/);
  const json = explanationToJSON(wrong);
  assert.equal(json.fields.find((f) => f.field === 'modelNumber')!.weightFactor, model.weightFactor);
  assert.equal(explanationFromJSON(json).confidence, wrong.confidence);
});

test('a rare code keeps its full weight; contributions still sum to the score', () => {
  const { catalog } = softwareCatalog();
  const a = rep('tv-a', 'Samsung LN46A850 46" LCD TV', { brand: 'Samsung' });
  const b = rep('tv-b', 'Samsung LN-46A850 1080p LCD HDTV', { brand: 'Samsung' });
  const stats = catalogStatisticsOf([...catalog, a, b]);
  const r = compareProducts(a, b, { profile: 'sameProduct', catalog: stats });
  const model = r.fields.find((f) => f.field === 'modelNumber')!;
  assert.equal(model.score, 1);
  assert.equal(model.weightFactor, undefined);
  assert.equal(r.confidence, r.coverage);
  assert.equal(r.fields.reduce((s, f) => s + f.contribution, 0), r.score);
});

test('title words shared by most of the catalog count less than rare ones', () => {
  const { catalog } = softwareCatalog();
  const stats = catalogStatisticsOf(catalog);
  // One shared word each: `adobe` is in every title, `soundbooth` in a tenth of them.
  const x = rep('x', 'adobe soundbooth');
  const commonOnly = rep('y', 'adobe premiere');
  const rareShared = rep('z', 'soundbooth premiere');
  const common = catalogTextSimilarity(x, commonOnly, stats)!;
  const rare = catalogTextSimilarity(x, rareShared, stats)!;
  assert.ok(rare.score > common.score, `rare ${rare.score} vs common ${common.score}`);
  assert.equal(rare.evidence.measure, 'catalogTfidf');
  assert.equal(rare.evidence.matchedTokens[0], 'soundbooth');
  // Identical titles score 1; a title without a token has no score.
  assert.ok(Math.abs(catalogTextSimilarity(x, rep('x2', 'adobe soundbooth'), stats)!.score - 1) < 1e-9);
  assert.equal(catalogTextSimilarity(x, rep('e', ''), stats), undefined);
});

test('brand and attribute values are compared with the title words as one text', () => {
  const { catalog } = softwareCatalog();
  // One shop names the brand in its field, the other in the title; the 货号 sits in an attribute on one side.
  const a = rep('a', 'WH-1000XM5 wireless headphones', { brand: 'Sony', attributes: { 货号: 'SN20231105' } });
  const b = rep('b', 'Sony WH-1000XM5 wireless headphones SN20231105');
  const c = rep('c', 'Bose WH-1000XM5 wireless headphones');
  const stats = catalogStatisticsOf([...catalog, a, b, c]);
  const same = catalogTextSimilarity(a, b, stats)!;
  const other = catalogTextSimilarity(a, c, stats)!;
  assert.ok(same.evidence.matchedTokens.includes('sony'), same.evidence.matchedTokens.join(' '));
  assert.ok(same.evidence.matchedTokens.includes('sn20231105'), same.evidence.matchedTokens.join(' '));
  assert.ok(same.score > other.score + 0.2, `same item ${same.score} vs other brand ${other.score}`);
  // The brand counts in the statistics like any word of the text; a placeholder brand is no word.
  assert.equal(stats.wordFrequency('sony'), 2);
  assert.deepEqual(catalogDocument(rep('p', 'headphones', { brand: '其他' })).words, ['headphones']);
  // The profile compares titles this way when it has the statistics.
  const fused = compareProducts(a, b, { profile: 'sameProduct', catalog: stats });
  assert.equal(fused.fields.find((f) => f.field === 'titleLexical')!.score, same.score);
});

test('statistics follow adds and removes; vectors are rebuilt after a change', () => {
  const stats = createCatalogStatistics();
  const a = rep('a', 'Sony WH-1000XM5 headphones');
  const b = rep('b', 'Sony WH-1000XM4 headphones');
  stats.add(catalogDocument(a));
  stats.add(catalogDocument(b));
  assert.equal(stats.documentCount, 2);
  assert.equal(stats.wordFrequency('headphones'), 2);
  assert.equal(stats.codeFrequency('wh1000xm5'), 1);
  const before = catalogTextSimilarity(a, b, stats)!.score;
  for (let i = 0; i < 50; i++) stats.add(catalogDocument(rep(`h${i}`, `headphones model ${i}`)));
  const after = catalogTextSimilarity(a, b, stats)!.score;
  assert.notEqual(after, before, 'a changed catalog changes the weights');
  stats.remove(catalogDocument(b));
  assert.equal(stats.codeFrequency('wh1000xm4'), 0);
  assert.equal(stats.documentCount, 51);
});

test('only profiles that weigh by the catalog use the statistics', () => {
  assert.equal(PROFILES.sameProduct.weighByCatalog, true);
  assert.equal(PROFILES.default.weighByCatalog, undefined);
  assert.equal(PROFILES.sameProduct.weights.modelNumber, 0.2);
  const { catalog, photoshopA, illustrator } = softwareCatalog();
  const stats = catalogStatisticsOf(catalog);
  const withStats = compareProducts(photoshopA, illustrator, { profile: 'default', catalog: stats });
  const without = compareProducts(photoshopA, illustrator, { profile: 'default' });
  assert.equal(withStats.score, without.score);
  assert.equal(withStats.confidence, withStats.coverage);
  // sameProduct weighs by its catalog weights only when given the statistics.
  const brandWeight = (r: ReturnType<typeof compareProducts>) => r.fields.find((f) => f.field === 'brand')!.weight;
  assert.equal(brandWeight(compareProducts(photoshopA, illustrator, { profile: 'sameProduct', catalog: stats })), PROFILES.sameProduct.catalogWeights!.brand);
  assert.equal(brandWeight(compareProducts(photoshopA, illustrator, { profile: 'sameProduct' })), PROFILES.sameProduct.weights.brand);
  assert.notEqual(PROFILES.sameProduct.catalogWeights!.brand, PROFILES.sameProduct.weights.brand);
  assert.throws(() => profileFromWeights('x', { brand: 1 }, { catalogWeights: { brand: 1 } }), /catalogWeights need weighByCatalog/);
});

test('attribute values are weighed by the catalog, whatever their keys; conflicts still count', () => {
  const dress = (id: string, attributes: Record<string, string>) => rep(id, '连衣裙 女 2019 夏季 新款', { attributes });
  const catalog: ProductRepresentation[] = [];
  for (let i = 0; i < 60; i++) catalog.push(dress(`d${i}`, { 袖型: '常规', 裙长: '中长裙', 上市年份季节: '2019年夏季', 货号: `AB${1000 + i}` }));
  const a = dress('a', { 袖型: '常规', 裙长: '中长裙', 上市年份季节: '2019年夏季', 货号: 'WSB190415403', 材质: '聚酯' });
  // The same item from another shop: other keys for the code and the fabric, other common values.
  const sameItem = dress('b', { 款号: 'WSB190415403', 面料: '聚酯', 袖型: '短袖' });
  // Another item sharing every common value.
  const other = dress('c', { 袖型: '常规', 裙长: '中长裙', 上市年份季节: '2019年夏季', 货号: 'AB1001' });
  const stats = catalogStatisticsOf([...catalog, a, sameItem, other]);
  const same = compareProducts(a, sameItem, { profile: 'sameProduct', catalog: stats });
  const diff = compareProducts(a, other, { profile: 'sameProduct', catalog: stats });
  const attr = (r: typeof same) => r.fields.find((f) => f.field === 'attributes')!;
  assert.ok(attr(same).score! > attr(diff).score!, `same item ${attr(same).score} vs shared common values ${attr(diff).score}`);
  assert.equal((attr(same).evidence as { measure?: string }).measure, 'catalogTfidf');
  // Without the catalog, key-by-key agreement prefers the item sharing the common values.
  const blindSame = compareProducts(a, sameItem, { profile: 'sameProduct' });
  const blindDiff = compareProducts(a, other, { profile: 'sameProduct' });
  assert.ok(attr(blindDiff).score! > attr(blindSame).score!);
  // A colour conflict in the attributes is still an identity conflict.
  const red = rep('r', 'Sony WH-1000XM5 耳机', { attributes: { 颜色: '红色', 型号: 'WH-1000XM5' } });
  const black = rep('k', 'Sony WH-1000XM5 耳机', { attributes: { 颜色: '黑色', 型号: 'WH-1000XM5' } });
  const colours = compareProducts(red, black, { profile: 'sameProduct', catalog: catalogStatisticsOf([red, black, ...catalog]) });
  assert.ok(colours.conflicts.some((c) => c.startsWith('color')), colours.conflicts.join('; '));
});
