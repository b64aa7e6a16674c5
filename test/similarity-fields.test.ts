import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brandSimilarity,
  brandInTitle,
  createBrandTokenCanonicalizer,
  createBrandSimilarity,
  normalizeBrand,
  categorySimilarity,
  createCategorySimilarity,
  priceSimilarity,
  createPriceSimilarity,
  DEFAULT_CURRENCY_RATES,
  modelNumberSimilarity,
  canonicalModelNumber,
  attributesSimilarity,
  createAttributesSimilarity,
  tagsSimilarity,
  createTagsSimilarity,
  embeddingTagSimilarity,
  colourTagSimilarity,
  maxTagSimilarity,
  imageSimilarity,
  hashSimilarity,
  denseTextSimilarity,
  lexicalTextSimilarity,
  quantitiesSimilarity,
  idfTokenWeights,
} from '../src/similarity/index.ts';
import { isProdsimError } from '../src/errors.ts';
import { bagDistance, editDistance, editSimilarity, editSimilarityAtLeast } from '../src/similarity/field-similarities/types.ts';

const close = (actual: number | undefined, expected: number, eps = 1e-9) => {
  assert.ok(actual !== undefined, `expected ${expected}, got undefined`);
  assert.ok(Math.abs(actual - expected) < eps, `expected ${expected}, got ${actual}`);
};

test('brand: Chinese and English forms of one brand are the same brand', () => {
  const pairs: [string, string][] = [
    ['苹果', 'Apple'], ['华为', 'HUAWEI'], ['小米', 'Xiaomi'], ['三星', 'Samsung'], ['耐克', 'Nike'], ['阿迪达斯', 'adidas'],
    ['优衣库', 'UNIQLO'], ['索尼', 'Sony'], ['佳能', 'Canon'], ['美的', 'Midea'], ['海尔', 'Haier'], ['联想', 'Lenovo'],
    ['戴尔', 'Dell'], ['惠普', 'HP'], ['罗技', 'Logitech'], ['李宁', 'Li-Ning'], ['安踏', 'ANTA'], ['格力', 'Gree'],
  ];
  for (const [zh, en] of pairs) {
    const r = brandSimilarity(zh, en);
    assert.equal(r?.score, 1, `${zh} ≡ ${en}`);
    assert.equal(r?.evidence.kind, 'alias');
  }
  assert.equal(brandSimilarity('苹果', '华为')?.score, 0);
  assert.equal(brandSimilarity('苹果', '华为')?.evidence.kind, 'different');
});

test('brand: normalisation of case, shop and company suffixes, combined forms', () => {
  assert.equal(normalizeBrand('Apple Inc.'), 'apple');
  assert.equal(normalizeBrand('华为技术有限公司'), '华为');
  assert.equal(normalizeBrand('罗技官方旗舰店'), '罗技');
  assert.equal(brandSimilarity('苹果（Apple）', 'APPLE')?.score, 1);
  assert.equal(brandSimilarity('Li Ning', '李宁')?.score, 1);
  assert.equal(brandSimilarity('L’Oréal', '欧莱雅')?.score, 1);
  // unknown to the table: exact after normalisation, and a typo is close but not 1
  assert.equal(brandSimilarity('Bestore', 'BESTORE ')?.score, 1);
  const typo = brandSimilarity('Acmecorp', 'Acmekorp')!;
  assert.equal(typo.evidence.kind, 'similar-spelling');
  assert.ok(typo.score > 0.7 && typo.score < 1);
  assert.equal(brandSimilarity('Foo', 'Zebra')?.score, 0);
  // sub-brand
  assert.equal(brandSimilarity('Redmi', '小米')?.evidence.kind, 'sub-brand');
  // missing is not 0
  assert.equal(brandSimilarity(undefined, 'Apple'), undefined);
  assert.equal(brandSimilarity('  ', 'Apple'), undefined);
  // placeholder brands mean "no brand", not a brand that matches every other placeholder
  assert.equal(brandSimilarity('other/其他', 'other/其他'), undefined);
  assert.equal(brandSimilarity('无品牌', 'MLB'), undefined);
  // extra aliases
  const custom = createBrandSimilarity({ aliases: [{ canonical: 'bestore', forms: ['良品铺子'] }] });
  assert.equal(custom('良品铺子', 'Bestore')?.score, 1);
  assert.equal(brandSimilarity('良品铺子', 'Bestore')?.score, 0);
  assert.throws(() => createBrandSimilarity({ alias: [] } as never), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
});

test('brand in the other title: found counts, not found is missing', () => {
  const canon = createBrandTokenCanonicalizer();
  assert.equal(brandInTitle('Samsung', ['三星', 'galaxy', 's21'], canon, 'b')?.evidence.kind, 'in-title');
  assert.equal(brandInTitle('New Balance', ['new', 'balance', '574'], canon, 'b')?.score, 1);
  assert.equal(brandInTitle('Sony', ['galaxy', 's21'], canon, 'b'), undefined);
  assert.equal(brandInTitle('other/其他', ['other', '其他'], canon, 'b'), undefined);
});

test('category: shared prefix depth / max depth', () => {
  close(categorySimilarity('服装/女装/连衣裙', '服装/女装/连衣裙')?.score, 1);
  close(categorySimilarity('服装/女装/连衣裙', '服装/女装/半身裙')?.score, 2 / 3);
  close(categorySimilarity('服装/女装/连衣裙', '服装/男装/衬衫')?.score, 1 / 3);
  close(categorySimilarity('服装', '服装/女装/连衣裙')?.score, 1 / 3);
  close(categorySimilarity('服装/女装', '数码/手机')?.score, 0);
  close(categorySimilarity('Home / Kitchen > Knives', 'home/kitchen/knives')?.score, 1);
  const r = categorySimilarity('a/b/c/d', 'a/b/x')!;
  close(r.score, 2 / 4);
  assert.deepEqual(r.evidence.sharedPath, ['a', 'b']);
  assert.equal(categorySimilarity(undefined, '服装'), undefined);
  // an injected level similarity compares trees written in two languages
  const names: Record<string, string> = { 服装: 'apparel', 女装: 'women', 连衣裙: 'dresses' };
  const crossLanguage = createCategorySimilarity({ levelSimilarity: (x, y) => ((names[x] ?? x).toLowerCase() === (names[y] ?? y).toLowerCase() ? 1 : 0) });
  close(crossLanguage('服装/女装/连衣裙', 'Apparel/Women/Skirts')?.score, 2 / 3);
  close(categorySimilarity('服装/女装/连衣裙', 'Apparel/Women/Skirts')?.score, 0);
  const soft = createCategorySimilarity({ levelSimilarity: (x, y) => (x === y ? 1 : 0.6) });
  close(soft('a/b/c', 'a/x/y')?.score, (1 + 0.6 + 0.6) / 3);
  close(createCategorySimilarity({ levelSimilarity: (x, y) => (x === y ? 1 : 0.6), minLevelSimilarity: 0.7 })('a/b/c', 'a/x/y')?.score, 1 / 3);
  assert.equal(categorySimilarity('', '服装'), undefined);
});

test('price: log-ratio, symmetric, tolerance band', () => {
  const p = (x: number, y: number) => priceSimilarity({ price: x, currency: 'CNY' }, { price: y, currency: 'CNY' })!.score;
  for (const [x, y] of [[10, 20], [99, 350], [1, 1.5], [5000, 5999]] as const) close(p(x, y), p(y, x));
  // the same ratio scores the same at any price level
  close(p(10, 20), p(100, 200));
  // r = ln 2, flat = ln 1.05, zero = ln 4
  close(p(100, 200), 1 - (Math.log(2) - Math.log(1.05)) / (Math.log(4) - Math.log(1.05)));
  assert.equal(p(100, 104), 1);
  assert.equal(p(100, 400), 0);
  assert.equal(p(100, 1000), 0);
  assert.ok(p(100, 120) > p(100, 150));
  assert.equal(priceSimilarity({ price: 0 }, { price: 10 }), undefined);
  assert.equal(priceSimilarity({}, { price: 10 }), undefined);
  assert.throws(() => createPriceSimilarity({ maxRatio: 1 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
});

test('price: currency-aware with a dated rate table, unknown currencies give undefined', () => {
  const usd = DEFAULT_CURRENCY_RATES.rates.USD!;
  const r = priceSimilarity({ price: 100, currency: 'USD' }, { price: 100 * usd, currency: 'CNY' })!;
  close(r.score, 1);
  assert.equal(r.evidence.ratesAsOf, DEFAULT_CURRENCY_RATES.asOf);
  assert.match(r.evidence.summary, /rates of \d{4}-\d{2}-\d{2}/);
  // 100 USD vs 100 CNY is a ×7 difference, not equal prices
  assert.equal(priceSimilarity({ price: 100, currency: 'USD' }, { price: 100, currency: 'CNY' })!.score, 0);
  // symmetric across currencies
  close(
    priceSimilarity({ price: 80, currency: 'EUR' }, { price: 500, currency: 'CNY' })!.score,
    priceSimilarity({ price: 500, currency: 'CNY' }, { price: 80, currency: 'EUR' })!.score,
  );
  assert.equal(priceSimilarity({ price: 100, currency: 'XYZ' }, { price: 100, currency: 'CNY' }), undefined);
  close(priceSimilarity({ price: 100, currency: 'XYZ' }, { price: 100, currency: 'xyz' })?.score, 1);
  for (const [code, rate] of Object.entries(DEFAULT_CURRENCY_RATES.rates)) {
    assert.match(code, /^[A-Z]{3}$/);
    assert.ok(rate > 0 && Number.isFinite(rate), `${code} rate ${rate}`);
  }
  assert.equal(DEFAULT_CURRENCY_RATES.rates[DEFAULT_CURRENCY_RATES.base], 1);
  const custom = createPriceSimilarity({ rates: { asOf: '2030-01-01', base: 'CNY', rates: { CNY: 1, USD: 1 } } });
  close(custom({ price: 100, currency: 'USD' }, { price: 100, currency: 'CNY' })?.score, 1);
  const assumed = priceSimilarity({ price: 100 }, { price: 100, currency: 'USD' })!;
  assert.equal(assumed.evidence.currencyAssumed, true);
  const withDefault = createPriceSimilarity({ defaultCurrency: 'CNY' });
  assert.equal(withDefault({ price: 100 }, { price: 100, currency: 'USD' })?.score, 0);
});

test('model numbers: exact, partial, conflict, missing', () => {
  assert.equal(canonicalModelNumber('DSC-W120/P'), 'dscw120p');
  const exact = modelNumberSimilarity(['SM-G9910'], ['smg9910'])!;
  assert.equal(exact.score, 1);
  assert.equal(exact.evidence.kind, 'exact');
  assert.deepEqual(exact.evidence.matched, ['smg9910']);

  const conflict = modelNumberSimilarity(['sm-g9910'], ['sm-g9960'])!;
  assert.equal(conflict.score, 0);
  assert.equal(conflict.evidence.kind, 'conflict');
  assert.equal(modelNumberSimilarity(['WH-1000XM4'], ['WH-1000XM5'])?.evidence.kind, 'conflict');

  const prefix = modelNumberSimilarity(['SM-G9910'], ['SM-G9910ZKD'])!;
  assert.equal(prefix.evidence.kind, 'partial');
  assert.ok(prefix.score > 0 && prefix.score < 1);
  const spelling = modelNumberSimilarity(['DSC-W120P'], ['DSC-W120B'])!;
  assert.equal(spelling.evidence.kind, 'partial');
  assert.ok(spelling.score > 0.5 && spelling.score < 1);

  // same shape, other number, even when the leading run differs
  assert.equal(modelNumberSimilarity(['26AV502U'], ['32AV502U'])?.evidence.kind, 'conflict');
  assert.equal(modelNumberSimilarity(['TX-SR806B'], ['TX-SR706'])?.evidence.kind, 'conflict');
  // letters-only differences are partial, a different number is not "spelling"
  assert.equal(modelNumberSimilarity(['KX-TSC14W'], ['KX-TSC14B'])?.evidence.kind, 'partial');
  const digitsOnly = modelNumberSimilarity(['0101072303'], ['0101082303'])!;
  assert.equal(digitsOnly.score, 0);
  assert.notEqual(digitsOnly.evidence.kind, 'partial');
  // a shared short spec code (6ms) does not outweigh a conflict between the real codes
  const spec = modelNumberSimilarity(['ln46a850', '6ms'], ['ln46a650', '6ms'])!;
  assert.equal(spec.score, 0);
  assert.equal(spec.evidence.kind, 'conflict');
  assert.match(spec.evidence.summary, /shared only 6ms/);
  // a code inside a longer string (a word glued to it) is partial, a code cut inside a number is not
  const glued = modelNumberSimilarity(['DW00100036'], ['WellingtonDW00100036'])!;
  assert.equal(glued.evidence.kind, 'partial');
  assert.equal(glued.evidence.best?.relation, 'contains');
  assert.equal(modelNumberSimilarity(['ML140'], ['ML1400'])?.evidence.kind, 'conflict');
  // a shared code wins over a conflicting one of the same length
  assert.equal(modelNumberSimilarity(['smg9910', 'smg9960'], ['smg9960'])?.score, 1);
  assert.equal(modelNumberSimilarity(['abc123'], ['xyz789'])?.evidence.kind, 'different');
  assert.equal(modelNumberSimilarity([], ['smg9910']), undefined);
  assert.equal(modelNumberSimilarity(['smg9910'], undefined), undefined);
  // too short or digit-free strings are not codes
  assert.equal(modelNumberSimilarity(['x1'], ['pro']), undefined);
});

test('attributes: normalised keys, value agreement', () => {
  const r = attributesSimilarity(
    { 颜色: '黑色', 容量: '256GB', 材质: '棉/聚酯', 型号: 'A1' },
    { Colour: 'Black', capacity: '256 G', material: '棉', model: 'B2' },
  )!;
  const byKey = Object.fromEntries(r.evidence.compared.map((c) => [c.key, c.score]));
  assert.deepEqual(byKey, { color: 1, capacity: 1, material: 0.5 });
  close(r.score, 2.5 / 3);
  close(attributesSimilarity({ 尺码: 'XL' }, { size: 'xl' })?.score, 1);
  close(attributesSimilarity({ 容量: '256GB' }, { 容量: '512GB' })?.score, 0);
  close(attributesSimilarity({ 容量: '1TB' }, { storage: '1024GB' })?.score, 1);
  close(attributesSimilarity({ 颜色: '白色' }, { color: 'black' })?.score, 0);
  assert.equal(attributesSimilarity({ 颜色: '白色' }, { 尺码: 'M' }), undefined);
  assert.equal(attributesSimilarity({}, { 尺码: 'M' }), undefined);
  assert.equal(attributesSimilarity({ 型号: 'A1' }, { model: 'A1' }), undefined, 'model numbers are their own field');
  close(attributesSimilarity({ 尺码: 'S M L XL' }, { size: 'M/L' })?.score, 2 / 4);
  // placeholder values are not values
  assert.equal(attributesSimilarity({ 材质: '其他' }, { material: '其他' }), undefined);
  close(createAttributesSimilarity({ ignorePlaceholderValues: false })({ 材质: '其他' }, { material: '其他' })?.score, 1);
});

test('tags: soft Jaccard with the default exact similarity and an injected one', () => {
  const r = tagsSimilarity(['#复古', '碎花', 'Summer'], ['summer', '碎花', '长裙'])!;
  close(r.score, 2 / 4);
  assert.deepEqual(r.evidence.unmatchedA, ['复古']);
  const synonyms = new Set(['碎花|floral', 'floral|碎花']);
  const soft = createTagsSimilarity({ tagSimilarity: (x, y) => (x === y ? 1 : synonyms.has(`${x}|${y}`) ? 0.9 : 0) });
  close(soft(['碎花', '长裙'], ['floral', 'maxi'])?.score, 0.9 / (4 - 0.9));
  close(tagsSimilarity(['碎花', '长裙'], ['floral', 'maxi'])?.score, 0);
  assert.equal(tagsSimilarity([], ['x']), undefined);
});

test('tags: colour-aware and embedding-based tag similarities', () => {
  assert.equal(colourTagSimilarity('红色', 'red'), 1);
  assert.equal(colourTagSimilarity('黑白', 'black'), 0, 'two colours are not one');
  const vectors: Record<string, Float32Array> = { 碎花: new Float32Array([1, 0]), floral: new Float32Array([0.9, 0.1]), 长裙: new Float32Array([0, 1]) };
  const emb = embeddingTagSimilarity((t) => vectors[t], 0.3);
  assert.ok(emb('碎花', 'floral') > 0.9);
  assert.equal(emb('碎花', '长裙'), 0);
  assert.equal(emb('碎花', 'unknown'), 0);
  assert.equal(emb('x', 'x'), 1);
  const tags = createTagsSimilarity({ tagSimilarity: maxTagSimilarity(colourTagSimilarity, emb) });
  const r = tags(['红色', '碎花', '长裙'], ['red', 'floral', 'mini'])!;
  assert.deepEqual(r.evidence.matches.map((m) => `${m.a}|${m.b}`).sort(), ['碎花|floral', '红色|red']);
  assert.ok(r.score > 0.4 && r.score < 0.5);
});

test('image: hashes, histograms and embeddings with explicit component weights', () => {
  assert.equal(hashSimilarity(0xffffn, 0xffffn).score, 1);
  close(hashSimilarity('ffffffffffffffff', 'ffffffff00000000').score, 0); // 32 of 64 bits differ
  close(hashSimilarity('00000000000000ff', '0000000000000000').score, 0.75); // 8 of 64
  const h1 = new Float32Array([0.5, 0.5, 0]);
  const h2 = new Float32Array([0.5, 0, 0.5]);
  const r = imageSimilarity({ histogram: h1, phash: '00000000000000ff' }, { histogram: h2, phash: '0000000000000000' })!;
  // histogram 0.5 (weight 0.3), phash 0.75 (weight 0.05): renormalised over 0.35
  close(r.score, (0.5 * 0.3 + 0.75 * 0.05) / 0.35);
  assert.ok(r.evidence.components.every((c) => c.weight > 0 && c.weight < 1));
  assert.deepEqual(r.evidence.components.map((c) => c.component), ['histogram', 'phash']);
  close(imageSimilarity({ embedding: new Float32Array([1, 0]) }, { embedding: new Float32Array([1, 1]) })?.score, Math.SQRT1_2, 1e-6);
  assert.equal(imageSimilarity({ phash: 'ff' }, { histogram: h1 }), undefined);
  // incomparable components are skipped and reported, not thrown
  const mixed = imageSimilarity(
    { histogram: h1, histogramSpace: 'hsv-v1', phash: '00000000000000ff', embedding: new Float32Array([1, 0]) },
    { histogram: h2, histogramSpace: 'hsv-v2', phash: '0000000000000000', embedding: new Float32Array([1, 0, 0]) },
  )!;
  close(mixed.score, 0.75);
  assert.equal(mixed.evidence.skipped?.length, 2);
  assert.match(mixed.evidence.summary, /not comparable/);
  assert.equal(imageSimilarity({ histogram: h1 }, { histogram: new Float32Array(4) }), undefined);
  assert.equal(imageSimilarity(undefined, { phash: 'ff' }), undefined);
});

test('text: dense cosine and lexical overlap with matched tokens', () => {
  close(denseTextSimilarity(new Float32Array([1, 0]), new Float32Array([0.6, 0.8]))?.score, 0.6, 1e-6);
  assert.equal(denseTextSimilarity(new Float32Array([1, 0]), new Float32Array([-1, 0]))?.score, 0);
  assert.equal(denseTextSimilarity(undefined, new Float32Array([1])), undefined);
  const lx = lexicalTextSimilarity({ text: { tokens: ['iphone', '15', '黑色'] } }, { text: { tokens: ['iphone', '15', 'pro', '手机'] } })!;
  close(lx.score, 2 / 5);
  assert.deepEqual(lx.evidence.matchedTokens, ['iphone', '15']);
  close(lexicalTextSimilarity({ text: { tokens: ['a', 'b'] } }, { text: { tokens: ['a', 'c', 'd'] } }, 'dice')?.score, 2 / 5);
  close(lexicalTextSimilarity({ text: { tokens: ['a', 'b'] } }, { text: { tokens: ['a', 'c', 'd'] } }, 'overlap')?.score, 1 / 2);
  assert.equal(lexicalTextSimilarity({ text: { tokens: [] } }, { text: { tokens: ['a'] } }), undefined);
});

test('text: IDF-weighted lexical similarity counts rare shared words more than common ones', () => {
  // 新款 is in every document, iphone in one of four
  const idf = idfTokenWeights([['新款', 'iphone'], ['新款', '连衣裙'], ['新款', '衬衫'], ['新款', '裤子']]);
  close(idf('新款'), Math.log(1 + 4 / 5));
  close(idf('iphone'), Math.log(1 + 4 / 2));
  const shareCommon = lexicalTextSimilarity({ text: { tokens: ['新款', 'iphone'] } }, { text: { tokens: ['新款', '衬衫'] } }, { tokenWeight: idf })!;
  const shareRare = lexicalTextSimilarity({ text: { tokens: ['新款', 'iphone'] } }, { text: { tokens: ['iphone', '衬衫'] } }, { tokenWeight: idf })!;
  // unweighted both are 1/3; weighted, sharing the rare word scores higher
  assert.ok(shareRare.score > shareCommon.score, `${shareRare.score} > ${shareCommon.score}`);
  close(shareCommon.score, idf('新款') / (idf('新款') + idf('iphone') + idf('衬衫')));
  assert.match(shareRare.evidence.summary, /^weighted jaccard/);
});

test('quantities: units compared after conversion, sizes compared as sizes', () => {
  const q = (value: number, unit: string) => ({ value, unit, raw: `${value}${unit}` });
  assert.equal(quantitiesSimilarity({ quantities: [q(128, 'gb')], sizes: [] }, { quantities: [q(256, 'gb')], sizes: [] })?.score, 0);
  assert.equal(quantitiesSimilarity({ quantities: [q(1, 'l')], sizes: [] }, { quantities: [q(1000, 'ml')], sizes: [] })?.score, 1);
  close(
    quantitiesSimilarity({ quantities: [q(1, 'tb')], sizes: ['XL'] }, { quantities: [q(1024, 'gb')], sizes: ['M'] })?.score,
    0.5,
  );
  assert.equal(quantitiesSimilarity({ quantities: [q(1, 'kg')], sizes: [] }, { quantities: [q(5, 'w')], sizes: [] }), undefined);
});

test('editSimilarityAtLeast equals editSimilarity when it reaches the bound, and the bag distance never exceeds the edit distance', () => {
  let seed = 11;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const word = () => Array.from({ length: Math.floor(next() * 8) }, () => 'ab1字2'[Math.floor(next() * 5)]).join('');
  for (let i = 0; i < 3000; i++) {
    const a = word();
    const b = word();
    const min = [0, 0.5, 0.75, 1][i % 4]!;
    const s = editSimilarity(a, b);
    assert.ok(bagDistance(a, b) <= editDistance(a, b), `${a} / ${b}`);
    assert.equal(editSimilarityAtLeast(a, b, min), s >= min ? s : undefined, `${a} / ${b} at ${min}`);
  }
});
