import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fuse,
  compareProducts,
  profileFromWeights,
  getProfile,
  PROFILES,
  FIELD_NAMES,
  formatExplanation,
  explanationToJSON,
  createTagsSimilarity,
  rankByFusedScore,
  computeFieldScores,
  createFieldSimilarities,
  representProduct,
  type FieldName,
  type FieldScores,
  type ProductRepresentation,
} from '../src/similarity/index.ts';
import type { Product } from '../src/catalog/product.ts';
import type { AnalyzedText, Quantity } from '../src/text/analyzer.ts';
import { isProdsimError } from '../src/errors.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { seededRandom } from '../src/random.ts';

// Deterministic PRNG so a failing property run can be replayed.
const rng = seededRandom;

const fieldScore = (score: number) => ({ score, evidence: { summary: `s=${score}` } });

test('contributions add up exactly to the fused score (property over random inputs)', () => {
  const rand = rng(20261124);
  for (let run = 0; run < 500; run++) {
    const weights: Record<string, number> = {};
    for (const f of FIELD_NAMES) if (rand() < 0.6) weights[f] = rand() < 0.1 ? 0 : rand() * 3;
    if (!Object.values(weights).some((w) => w > 0)) weights.brand = 1;
    const profile = profileFromWeights(`random-${run}`, weights);
    const scores: FieldScores = {};
    for (const f of FIELD_NAMES) if (rand() < 0.7) scores[f] = fieldScore(rand() < 0.1 ? 0 : rand() < 0.1 ? 1 : rand());
    const r = fuse(scores, profile);
    const present = r.fields.filter((f) => !f.missing);
    if (present.length === 0) {
      assert.equal(r.score, undefined);
      continue;
    }
    assert.ok(r.score !== undefined);
    assert.equal(r.fields.reduce((s, f) => s + f.contribution, 0), r.score, `run ${run}: contributions sum to the score`);
    const nw = present.reduce((s, f) => s + f.normalizedWeight, 0);
    assert.ok(Math.abs(nw - 1) < 1e-12, `run ${run}: normalised weights of present fields sum to 1 (${nw})`);
    const lo = Math.min(...present.map((f) => f.score!));
    const hi = Math.max(...present.map((f) => f.score!));
    assert.ok(r.score >= lo - 1e-11 && r.score <= hi + 1e-11, `run ${run}: a weighted mean stays within the field scores`);
    assert.ok(r.score >= 0 && r.score <= 1, `run ${run}: score ${r.score} in [0, 1]`);
    assert.equal([...r.fields].reverse().reduce((s, f) => s + f.contribution, 0), r.score, `run ${run}: in any order`);
    for (const f of r.fields) {
      if (f.missing) assert.equal(f.contribution, 0);
      else assert.ok(Math.abs(f.contribution - f.score! * f.normalizedWeight) <= 1e-11, `run ${run}: contribution = score × weight`);
    }
  }
});

test('missing fields renormalise the weights, are listed, and the explanation says so', () => {
  const profile = profileFromWeights('t', { brand: 0.5, price: 0.3, image: 0.2 });
  const r = fuse({ brand: fieldScore(1), image: fieldScore(0.5), price: undefined }, profile);
  assert.deepEqual(r.missingFields, ['price']);
  const byField = Object.fromEntries(r.fields.map((f) => [f.field, f]));
  assert.equal(byField.price!.missing, true);
  assert.equal(byField.price!.score, undefined);
  assert.ok(Math.abs(byField.brand!.normalizedWeight - 0.5 / 0.7) < 1e-12);
  assert.ok(Math.abs(r.score! - (0.5 * 1 + 0.2 * 0.5) / 0.7) < 1e-11);
  assert.ok(Math.abs(r.coverage - 0.7) < 1e-12);
  // missing is not 0: scoring price as 0 would give a lower score
  const asZero = fuse({ brand: fieldScore(1), image: fieldScore(0.5), price: fieldScore(0) }, profile);
  assert.ok(asZero.score! < r.score!);

  const text = formatExplanation(r);
  assert.match(text, /^ {2}price\s+·+ missing/m);
  assert.match(text, /missing: price; the other weights were renormalised/);
  assert.match(text, /brand\s+█{10} 1\.00 × 0\.71 = 0\.71 \(w 0\.50\)/);
  const json = explanationToJSON(r);
  const price = json.fields.find((f) => f.field === 'price')!;
  assert.equal(price.score, null);
  assert.equal(price.missing, true);
  assert.deepEqual(json.missingFields, ['price']);
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'the JSON form survives a round trip');
  assert.equal(formatExplanation(JSON.parse(JSON.stringify(json))), text, 'the JSON form prints like the result');

  const none = fuse({}, profile);
  assert.equal(none.score, undefined);
  assert.equal(explanationToJSON(none).score, null);
  assert.match(formatExplanation(none), /no score/);
});

test('profiles are frozen, explicit, validated; learned weights arrive as a profile', () => {
  for (const p of Object.values(PROFILES)) {
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.weights));
    assert.equal(p.missing, 'renormalize');
    assert.ok(Math.abs(Object.values(p.weights).reduce((s, w) => s + (w ?? 0), 0) - 1) < 1e-9, `${p.name} weights sum to 1`);
  }
  assert.ok(PROFILES.similarStyle.weights.image! > (PROFILES.similarStyle.weights.modelNumber ?? 0));
  assert.ok(PROFILES.sameProduct.weights.modelNumber! > (PROFILES.sameProduct.weights.image ?? 0));
  assert.equal(getProfile('sameProduct'), PROFILES.sameProduct);
  assert.throws(() => getProfile('nope'), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => profileFromWeights('x', { colour: 1 }), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
  assert.throws(() => profileFromWeights('x', { brand: -1 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => profileFromWeights('x', { brand: 0 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  const learned = profileFromWeights('learned', { brand: 2, titleLexical: 6 }, { source: 'logistic regression' });
  const r = fuse({ brand: fieldScore(1), titleLexical: fieldScore(0.5) }, learned);
  assert.ok(Math.abs(r.score! - (2 + 3) / 8) < 1e-11);
  // every field at 1 gives exactly 1, not 1.0000000000000002
  const thirds = profileFromWeights('thirds', { brand: 0.1, price: 0.7, image: 0.2, tags: 0.3 });
  assert.equal(fuse({ brand: fieldScore(1), price: fieldScore(1), image: fieldScore(1), tags: fieldScore(1) }, thirds).score, 1);
  assert.throws(() => fuse({ brand: fieldScore(1.5) }, learned), (e) => isProdsimError(e) && e.code === 'INTERNAL');
});

// --- whole-product comparisons --------------------------------------------------------------

function text(tokens: string[], modelNumbers: string[] = [], quantities: Quantity[] = []): AnalyzedText {
  return { normalized: tokens.join(' '), tokens, modelNumbers, quantities, sizes: [] };
}

function rep(product: Partial<Product> & { id: string; title: string }, t: AnalyzedText, extra: Partial<ProductRepresentation> = {}): ProductRepresentation {
  return {
    product: { tags: [], images: [], attributes: {}, ...product },
    text: { title: t },
    dense: {},
    sparse: {},
    ...extra,
  };
}

const gb = (v: number): Quantity => ({ value: v, unit: 'gb', raw: `${v}GB` });
const vec = (...x: number[]) => new Float32Array(x);

// A: a Samsung phone. B: the same phone from an English shop (other photo, other category tree).
// C: another brand's phone that looks alike and sits in the same category with the same tags.
const A = rep(
  { id: 'A', title: '三星 Galaxy S21 Ultra 5G 256GB 幻夜黑', brand: '三星', category: '数码/手机/智能手机', price: 6999, currency: 'CNY', tags: ['旗舰', '5G', '曲面屏'], attributes: { 颜色: '黑色', 容量: '256GB' } },
  text(['三星', 'galaxy', 's21', 'ultra', '5g', '256gb', '幻夜', '黑'], ['sm-g9980'], [gb(256)]),
  { dense: { title: vec(1, 0.2, 0, 0), image: vec(1, 0, 0.1, 0) } },
);
const B = rep(
  { id: 'B', title: 'Samsung Galaxy S21 Ultra SM-G9980 256GB Phantom Black', brand: 'Samsung', category: 'Electronics/Cell Phones', price: 999, currency: 'USD', tags: ['flagship'], attributes: { color: 'black', storage: '256 GB' } },
  text(['samsung', 'galaxy', 's21', 'ultra', 'smg9980', '256gb', 'phantom', 'black'], ['SM-G9980'], [gb(256)]),
  { dense: { title: vec(0.8, 0.5, 0.2, 0.1), image: vec(0.2, 1, 0, 0.3) } },
);
const C = rep(
  { id: 'C', title: '小米11 Ultra 5G 256GB 黑色 曲面屏旗舰', brand: '小米', category: '数码/手机/智能手机', price: 5999, currency: 'CNY', tags: ['旗舰', '5G', '曲面屏'], attributes: { 颜色: '黑色', 容量: '256GB' } },
  text(['小米', '11', 'ultra', '5g', '256gb', '黑色', '曲面屏', '旗舰'], ['m2102k1c'], [gb(256)]),
  { dense: { title: vec(0.95, 0.25, 0.05, 0), image: vec(0.98, 0.05, 0.12, 0) } },
);

test('the sameProduct profile ranks the same-product pair above the same-style pair', () => {
  const ab = compareProducts(A, B, { profile: 'sameProduct' });
  const ac = compareProducts(A, C, { profile: 'sameProduct' });
  assert.ok(ab.score! > ac.score!, `same product ${ab.score} > same style ${ac.score}`);
  assert.deepEqual(ab.matched.modelNumbers, ['smg9980']);
  assert.ok(ab.matched.tokens.includes('galaxy'));
  const brand = ab.fields.find((f) => f.field === 'brand')!;
  assert.equal(brand.score, 1, '三星 ≡ Samsung');
  assert.match(formatExplanation(ab), /matched model numbers: smg9980/);
  assert.equal(formatExplanation(explanationToJSON(ab)), formatExplanation(ab));
});

test('the similarStyle profile ranks the same-style pair above the same-product pair', () => {
  const ab = compareProducts(A, B, { profile: PROFILES.similarStyle });
  const ac = compareProducts(A, C, { profile: PROFILES.similarStyle });
  assert.ok(ac.score! > ab.score!, `same style ${ac.score} > same product ${ab.score}`);
  const fields = ac.fields.map((f) => f.field);
  assert.deepEqual(fields, ['image', 'category', 'tags', 'titleDense', 'attributes']);
  assert.equal(ac.missingFields.length, 0);
});

test('compareProducts: default profile, injected field similarities, missing image listed', () => {
  const noImage = { ...C, dense: { title: C.dense.title! } };
  const r = compareProducts(A, noImage);
  assert.equal(r.profile, 'default');
  assert.ok(r.missingFields.includes('image'));
  assert.ok(r.missingFields.includes('descriptionDense'));
  assert.ok(!r.fields.some((f) => f.field === 'quantities'), 'default profile does not weigh quantities');
  assert.equal(r.fields.reduce((s, f) => s + f.contribution, 0), r.score);

  const before = compareProducts(A, B, { profile: 'similarStyle' }).fields.find((f) => f.field === 'tags')!.score!;
  const tags = createTagsSimilarity({ tagSimilarity: (x, y) => (x === y || (x === '旗舰' && y === 'flagship') || (x === 'flagship' && y === '旗舰') ? 1 : 0) });
  const after = compareProducts(A, B, {
    profile: 'similarStyle',
    fieldSimilarities: { tags: (a, b) => tags(a.product.tags, b.product.tags) },
  }).fields.find((f) => f.field === 'tags')!.score!;
  assert.ok(after > before, `injected tag similarity is used (${before} → ${after})`);
  assert.throws(() => compareProducts(A, B, { fieldSimilarities: { colour: () => undefined } as never }), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
});

test('brandFromTitle option: a brand given on one side is found in the other title', () => {
  const x = rep({ id: 'x', title: '三星 Galaxy S21' }, text(['三星', 'galaxy', 's21']));
  const y = rep({ id: 'y', title: 'Galaxy S21', brand: 'Samsung' }, text(['galaxy', 's21']));
  const only = profileFromWeights('brandOnly', { brand: 1 });
  assert.equal(compareProducts(x, y, { profile: only }).score, undefined, 'off by default: brand missing');
  const withTitle = createFieldSimilarities({ brandFromTitle: true });
  const r = compareProducts(x, y, { profile: only, fieldSimilarities: { brand: withTitle.brand } });
  assert.equal(r.score, 1);
  assert.match(formatExplanation(r), /found in the other title/);
});

test('title lexical similarity counts brand names in either language as one token', () => {
  const x = rep({ id: 'x', title: '苹果 iPhone 15' }, text(['苹果', 'iphone', '15']));
  const y = rep({ id: 'y', title: 'Apple iPhone 15' }, text(['apple', 'iphone', '15']));
  const only = profileFromWeights('lex', { titleLexical: 1 } satisfies Partial<Record<FieldName, number>>);
  const r = compareProducts(x, y, { profile: only });
  assert.equal(r.score, 1);
  assert.deepEqual(r.matched.tokens, ['iphone', '15'], 'matched tokens are reported as written');
});

test('rankByFusedScore puts the right neighbour first for each profile, unscored candidates last', () => {
  const empty = rep({ id: 'E', title: '?' }, text([]));
  assert.deepEqual(rankByFusedScore(A, [empty, C, B], { profile: 'sameProduct' }).map((r) => r.b), ['B', 'C', 'E']);
  assert.deepEqual(rankByFusedScore(A, [B, empty, C], { profile: 'similarStyle' }).map((r) => r.b), ['C', 'B', 'E']);
  const last = rankByFusedScore(A, [empty, C], { profile: 'similarStyle' }).at(-1)!;
  assert.equal(last.score, undefined);
});

test('computeFieldScores gives every field, missing ones as undefined', () => {
  const scores = computeFieldScores(A, B);
  assert.deepEqual(Object.keys(scores).sort(), [...FIELD_NAMES].sort());
  assert.equal(scores.brand?.score, 1);
  assert.equal(scores.descriptionLexical, undefined);
  assert.deepEqual(Object.keys(computeFieldScores(A, B, { fields: ['price'] })), ['price']);
  assert.throws(() => computeFieldScores(A, B, { fields: ['colour' as FieldName] }), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
});

test('with the real text analyzer: codes and quantities from titles reach the model-number and quantity fields', () => {
  const analyzer = createTextAnalyzer();
  const p = (id: string, title: string, brand: string): Product => ({ id, title, brand, tags: [], images: [], attributes: {} });
  const sonyA = representProduct(p('s1', 'Sony Cyber-shot DSC-W120/P 7.2MP 数码相机 粉色', 'Sony'), analyzer);
  const sonyB = representProduct(p('s2', '索尼 DSCW120 卡片机 pink 720万像素', '索尼'), analyzer);
  const sony = compareProducts(sonyA, sonyB, { profile: 'sameProduct' });
  const byField = Object.fromEntries(sony.fields.map((f) => [f.field, f]));
  assert.ok(byField.modelNumber!.score! > 0.5, `DSC-W120/P ~ DSCW120: ${byField.modelNumber!.evidence?.summary}`);
  assert.equal(byField.brand!.score, 1);
  assert.ok(byField.titleLexical!.score! > 0, '索尼 and sony count as one title word');

  const s21Ultra = representProduct(p('g1', '三星 Galaxy S21 Ultra SM-G9980 256GB', '三星'), analyzer);
  const s21 = representProduct(p('g2', 'Samsung Galaxy S21 SM-G9910 128GB', 'Samsung'), analyzer);
  const galaxy = compareProducts(s21Ultra, s21, { profile: 'sameProduct' });
  const g = Object.fromEntries(galaxy.fields.map((f) => [f.field, f]));
  assert.equal(g.modelNumber!.score, 0, `SM-G9980 vs SM-G9910: ${g.modelNumber!.evidence?.summary}`);
  assert.equal(g.quantities!.score, 0, '256GB vs 128GB');
  assert.ok(sony.score! > galaxy.score!, `same camera ${sony.score} > two Galaxy models ${galaxy.score}`);
});

test('odd inputs never give NaN or throw: every score is undefined or in [0, 1]', () => {
  const rand = rng(42);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const prices = [undefined, 0, -5, NaN, Infinity, 1e-9, 12.5, 1e9];
  const currencies = [undefined, '', 'usd', 'CNY', 'XYZ', ' eur '];
  const categories = [undefined, '', '///', '服装', '服装/女装/连衣裙', 'a > b > c'];
  const brands = [undefined, '', '  ', 'other/其他', '苹果', 'Apple', '???', 'x'];
  const tagSets = [[], [''], ['#'], ['红色', 'Red'], ['a', 'a', 'b']];
  const attrSets: Record<string, string>[] = [{}, { 颜色: '' }, { 颜色: '黑色', 容量: '1TB' }, { '': 'x' }, { 型号: 'SM-G9910' }];
  const vectors = [undefined, new Float32Array(3), new Float32Array([1, 0, 0]), new Float32Array([-1, 2, 0.5])];
  const codeSets = [[], ['a'], ['smg9910'], ['smg9960', 's21'], ['!!']];
  const make = (id: string): ProductRepresentation => {
    const title = pick(['', '苹果 iPhone', 'x']);
    const dense: Record<string, Float32Array> = {};
    const v = pick(vectors);
    if (v) dense.title = v;
    const w = pick(vectors);
    if (w) dense.image = w;
    const price = pick(prices);
    const currency = pick(currencies);
    const category = pick(categories);
    const brand = pick(brands);
    return {
      product: {
        id, title, tags: pick(tagSets), images: [], attributes: pick(attrSets),
        ...(price !== undefined ? { price } : {}), ...(currency !== undefined ? { currency } : {}),
        ...(category !== undefined ? { category } : {}), ...(brand !== undefined ? { brand } : {}),
      },
      text: { title: text(title.split(' ').filter((t) => t.length > 0), pick(codeSets), rand() < 0.5 ? [gb(128)] : []) },
      dense,
      sparse: {},
      ...(rand() < 0.3 ? { image: { phash: pick(['ff00ff00ff00ff00', '0000000000000000']), histogram: pick([new Float32Array([0, 0]), new Float32Array([1, 0])]) } } : {}),
    };
  };
  for (let run = 0; run < 300; run++) {
    const a = make(`a${run}`);
    const b = make(`b${run}`);
    for (const profile of Object.values(PROFILES)) {
      const r = compareProducts(a, b, { profile });
      assert.ok(r.score === undefined || (r.score >= 0 && r.score <= 1), `run ${run} ${profile.name}: score ${r.score}`);
      for (const f of r.fields) {
        assert.ok(f.score === undefined || (f.score >= 0 && f.score <= 1), `run ${run} ${f.field}: ${f.score}`);
        assert.ok(Number.isFinite(f.contribution) && Number.isFinite(f.normalizedWeight));
      }
      assert.doesNotThrow(() => JSON.stringify(explanationToJSON(r)));
      assert.ok(!formatExplanation(r).includes('NaN'));
    }
  }
});

test('evidence built on first read is the same in JSON, in explanations and on every read', () => {
  const analyzer = createTextAnalyzer();
  const p = (id: string, title: string, price: number, tags: string[]): Product => ({ id, title, price, currency: 'CNY', tags, images: [], brand: 'Sony', category: '数码/耳机', attributes: { 颜色: '黑色' } });
  const a = representProduct(p('a', 'Sony WH-1000XM5 降噪耳机 黑色', 2499, ['降噪', '黑色']), analyzer);
  const b = representProduct(p('b', '索尼 WH-1000XM5 头戴式耳机', 2299, ['降噪', '头戴']), analyzer);
  const r = compareProducts(a, b);
  const json = JSON.parse(JSON.stringify(r)) as { fields: { field: string; missing: boolean; evidence?: { summary: string } }[]; matched: { modelNumbers: string[] }; score: number };
  assert.equal(json.score, r.score);
  for (const f of json.fields) {
    if (f.missing) continue;
    assert.equal(typeof f.evidence?.summary, 'string', `${f.field} evidence in JSON`);
    assert.equal(f.evidence!.summary, r.fields.find((x) => x.field === f.field)!.evidence!.summary);
  }
  const price = r.fields.find((f) => f.field === 'price')!;
  assert.equal(price.evidence, price.evidence, 'one object on every read');
  assert.match(price.evidence!.summary, /2499 vs 2299 CNY/);
  assert.match(r.fields.find((f) => f.field === 'tags')!.evidence!.summary, /matched 降噪/);
  assert.deepEqual(json.matched.modelNumbers, ['wh1000xm5']);
  assert.deepEqual(Object.keys(json).slice(0, 3), ['a', 'b', 'score']);
  assert.match(formatExplanation(r), /price .*2499 vs 2299/s);
  const fields = explanationToJSON(r).fields;
  assert.ok(fields.every((f) => f.score === null || typeof f.evidence?.summary === 'string'));
});
