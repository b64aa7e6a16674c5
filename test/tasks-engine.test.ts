/**
 * The applications end to end on the sample catalog shipped in data/: ingest through the engine,
 * then similar/substitutes, search, tags, match, dedup, recommend, price. Behaviour that can fail:
 * filters hold, substitutes are in stock, a cross-language twin is matched, explanations add up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { runTask } from '../src/engine/task-registry.ts';
import { isProdsimError } from '../src/errors.ts';
import { MORE_LIKE_THIS, rarestTokens } from '../src/tasks/similar.ts';
import { DEFAULT_MATCH_OPTIONS } from '../src/tasks/match.ts';
import { storedFieldAnalysis } from '../src/store/product-record.ts';
import { collectAll } from '../src/store/store.ts';
import type { AnalyzedText } from '../src/text/analyzer.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-tasks-'));
let engine: Engine;

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db') });
  const summary = await engine.ingest('data/sample-catalog.jsonl');
  assert.ok(summary.added >= 300, `sample catalog ingested (${summary.added})`);
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

function sumOfContributions(e: { fields: { contribution: number }[] }): number {
  return e.fields.reduce((s, f) => s + f.contribution, 0);
}

describe('similar items', () => {
  test('every result carries an explanation whose contributions add up to its score', async () => {
    const r = await engine.similar({ id: 'P0001', k: 5 });
    assert.equal(r.items.length, 5);
    for (const item of r.items) {
      assert.notEqual(item.product.id, 'P0001');
      assert.ok(Math.abs(sumOfContributions(item.explanation) - item.score) < 1e-9);
    }
    // Scores are sorted best first.
    for (let i = 1; i < r.items.length; i++) assert.ok(r.items[i - 1]!.score >= r.items[i]!.score);
  });

  test('the most similar item to an iPhone 15 is another iPhone', async () => {
    const r = await engine.similar({ id: 'P0001', k: 3 });
    assert.match(r.items[0]!.product.title, /iPhone/);
  });

  test('substitutes are in stock and from the same category', async () => {
    const out = (await collectAll(engine.store.iterateProducts())).map((s) => s.product).find((p) => p.inStock === false && p.category);
    assert.ok(out, 'the sample has an out-of-stock product');
    const r = await engine.similar({ id: out.id, k: 10, substitutes: true });
    assert.ok(r.items.length > 0);
    for (const item of r.items) {
      assert.equal(item.product.inStock, true, `${item.product.id} is in stock`);
      assert.ok(item.product.category?.startsWith(r.filter.category!), `${item.product.category} under ${r.filter.category}`);
    }
  });

  test('filters hold: price band and brand', async () => {
    const r = await engine.similar({ id: 'P0001', k: 10, filter: { maxPrice: 6500, minPrice: 1000 } });
    for (const item of r.items) assert.ok(item.product.price! >= 1000 && item.product.price! <= 6500);
    const b = await engine.similar({ id: 'P0001', k: 10, filter: { brand: '苹果' } });
    assert.ok(b.items.length > 0);
    for (const item of b.items) assert.match(item.product.brand!, /Apple|苹果/);
  });

  test('missing fields are renormalised and listed', async () => {
    const r = await engine.similar({ id: 'P0001', k: 1 });
    const e = r.items[0]!.explanation;
    const missing = e.fields.filter((f) => f.missing);
    assert.deepEqual(e.missingFields.sort(), missing.map((f) => f.field).sort());
    const present = e.fields.filter((f) => !f.missing).reduce((s, f) => s + f.normalizedWeight, 0);
    assert.ok(Math.abs(present - 1) < 1e-9, 'present weights renormalised to 1');
  });

  test('the keyword retriever of similar asks only for rare title tokens (MoreLikeThis)', async () => {
    const title = (await engine.catalog.represent('P0001'))!.text.title.tokens;
    const rare = await rarestTokens(engine.catalog, title);
    const df = await engine.store.documentFrequencies(title);
    assert.ok(rare.length <= MORE_LIKE_THIS.maxTokens);
    for (const t of rare) assert.ok((df.get(t) ?? 0) <= MORE_LIKE_THIS.minDocumentLimit, `${t} df ${df.get(t)}`);
    const common = title.filter((t) => (df.get(t) ?? 0) > MORE_LIKE_THIS.minDocumentLimit);
    assert.ok(common.length > 0, 'the sample title has a common token (iphone, apple…)');
    for (const t of common) assert.ok(!rare.includes(t));
  });

  test('representations: many at once align with the ids, carry the text vector, and unknown ids are undefined', async () => {
    await engine.catalog.nearest(new Float32Array(engine.catalog.textEncoder.dimension).fill(0.1), 1); // the index is open
    const reps = await engine.catalog.representIds(['P0002', 'no-such-id', 'P0001']);
    assert.deepEqual(reps.map((r) => r?.product.id), ['P0002', undefined, 'P0001']);
    const stored = (await engine.store.getVector(engine.catalog.textEncoder.id, 'P0001'))!;
    const fromIndex = reps[2]!.dense.title!;
    assert.equal(fromIndex.length, stored.length);
    // The index keeps the normalised vector; the store's is normalised too (the text space is).
    for (let i = 0; i < stored.length; i++) assert.ok(Math.abs(fromIndex[i]! - stored[i]!) < 1e-6);
  });

  test('representations of index hits are read by key and equal those read by id', async () => {
    const v = (await engine.store.getVector(engine.catalog.textEncoder.id, 'P0003'))!;
    const hits = await engine.catalog.nearest(v, 8);
    const byKey = await engine.catalog.representHits([...hits, { id: 'no-such-id', key: 1e9 }]);
    assert.equal(byKey.length, hits.length + 1);
    assert.equal(byKey.at(-1), undefined);
    const byId = await engine.catalog.representIds(hits.map((h) => h.id));
    hits.forEach((h, i) => {
      assert.equal(byKey[i]!.product.id, h.id);
      assert.deepEqual(byKey[i]!.product, byId[i]!.product);
      assert.deepEqual(byKey[i]!.text.title.tokens, byId[i]!.text.title.tokens);
    });
    const fromStore = await engine.store.getAnalyzedProductsByKeys([...hits.map((h) => h.key).reverse(), 1e9]);
    assert.ok(fromStore.every((s, i) => i === 0 || s.key > fromStore[i - 1]!.key), 'in key order');
    const byIdFromStore = (await engine.store.getAnalyzedProducts(hits.map((h) => h.id))).sort((a, b) => a.key - b.key);
    assert.deepEqual(fromStore, byIdFromStore);
  });

  test('representations rebuilt from the stored analysis equal a fresh analysis of title and description', async () => {
    const ids = (await collectAll(engine.store.iterateProducts())).map((s) => s.product.id);
    const reps = await engine.catalog.representIds(ids);
    let withDescription = 0;
    for (const rep of reps) {
      const p = rep!.product;
      // Field by field: the stored form computes `normalized` when read (a getter, not an own property).
      const plain = (t: AnalyzedText | undefined) => t && { normalized: t.normalized, tokens: t.tokens, modelNumbers: t.modelNumbers, quantities: t.quantities, sizes: t.sizes };
      assert.deepEqual(plain(rep!.text.title), engine.catalog.analyzer.analyze(p.title), p.id);
      const description = p.description?.trim() ? engine.catalog.analyzer.analyze(p.description) : undefined;
      assert.deepEqual(plain(rep!.text.description), description, p.id);
      assert.deepEqual(JSON.parse(JSON.stringify(rep!.text.title)), engine.catalog.analyzer.analyze(p.title), p.id);
      if (description) withDescription++;
    }
    assert.ok(ids.length >= 300 && withDescription > 100, `${ids.length} products, ${withDescription} with a description`);
    // A store written before per-field facts existed has none: the product is analysed instead.
    const stored = (await engine.store.getAnalyzedProducts(['P0001']))[0]!;
    assert.ok(stored.analyzed.fieldFacts, 'ingest keeps per-field facts');
    const { fieldFacts: _dropped, ...older } = stored.analyzed;
    assert.equal(storedFieldAnalysis(stored.product, older, engine.catalog.analyzer), undefined);
  });

  test('nearest maps index keys back to ids and leaves excluded ids out', async () => {
    const v = (await engine.store.getVector(engine.catalog.textEncoder.id, 'P0001'))!;
    const withSelf = await engine.catalog.nearest(v, 5);
    assert.equal(withSelf[0]!.id, 'P0001');
    const without = await engine.catalog.nearest(v, 5, { exclude: new Set(['P0001']) });
    assert.equal(without.length, 5);
    assert.ok(!without.some((h) => h.id === 'P0001'));
    assert.deepEqual(without.map((h) => h.id), withSelf.slice(1, 5).concat(without[4]!).map((h) => h.id));
  });

  test('timings: true reports milliseconds per stage; without it there are none', async () => {
    const timed = await runTask(engine, 'similar', { id: 'P0001', timings: true });
    assert.deepEqual(Object.keys(timed.timings!), ['represent source', 'retrieve dense and keyword', 'represent candidates', 'score fields', 'explain']);
    assert.ok(Object.values(timed.timings!).every((ms) => ms >= 0));
    assert.equal((await engine.similar({ id: 'P0001' })).timings, undefined);
    const search = await engine.search({ query: '红色连衣裙', timings: true });
    assert.ok(search.timings!['retrieve keyword']! >= 0 && search.timings!['rerank']! >= 0);
  });

  test('an unknown id is a PRODUCT_NOT_FOUND error', async () => {
    await assert.rejects(engine.similar({ id: 'nope' }), (e) => isProdsimError(e) && e.code === 'PRODUCT_NOT_FOUND');
  });
});

describe('search', () => {
  test('Chinese and English queries find the right products; probabilities sum to 1', async () => {
    const zh = await engine.search({ query: '红色连衣裙', k: 5 });
    assert.match(zh.hits[0]!.product.title, /连衣裙/);
    const en = await engine.search({ query: 'sony noise cancelling headphones', k: 5 });
    assert.match(en.hits[0]!.product.title, /Sony|索尼/);
    const total = en.hits.reduce((s, h) => s + h.probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
  });

  test('a model number with one typo still finds the product', async () => {
    const r = await engine.search({ query: 'wh1000xm6', k: 5 });
    assert.ok(r.hits.some((h) => h.sources.modelNumber?.edits === 1 && /WH-1000XM5/i.test(h.product.title)));
  });

  test('filters hold in search', async () => {
    const r = await engine.search({ query: 'phone', k: 10, filter: { inStock: true, category: '手机' } });
    assert.ok(r.hits.length > 0);
    for (const h of r.hits) {
      assert.equal(h.product.inStock, true);
      assert.ok(h.product.category!.startsWith('手机'));
    }
  });

  test('the task registry rejects unknown keys and out-of-range k', async () => {
    await assert.rejects(runTask(engine, 'search', { query: 'x', kk: 3 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(runTask(engine, 'search', { query: 'x', k: 100_000 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  });
});

describe('tags', () => {
  test('red clothes vs red dress are similar; red vs blue are not', async () => {
    assert.equal((await engine.tagSimilarity('红色衣服', '红色连衣裙')).similar, true);
    assert.equal((await engine.tagSimilarity('红', 'red')).similar, true);
    assert.equal((await engine.tagSimilarity('红色', '蓝色')).similar, false);
  });

  test('catalog tags group across languages', async () => {
    const groups = await engine.tagGroups();
    const black = groups.find((g) => g.members.some((m) => m.tag === '黑色'));
    assert.ok(black && black.members.some((m) => m.tag === 'black'), 'black and 黑色 in one group');
    const blue = groups.find((g) => g.members.some((m) => m.tag === '蓝色'));
    assert.ok(blue && !blue.members.some((m) => m.tag === '黑色'), 'blue and black in different groups');
  });
});

describe('catalog matching and dedup', () => {
  test('a cross-language twin (苹果 iPhone ↔ Apple iPhone) is matched, one-to-one', async () => {
    const r = await engine.match('data/shop-a.jsonl', 'data/shop-b.jsonl');
    const twin = r.pairs.find((p) => p.left.id === 'A10025');
    assert.ok(twin, 'A10025 is matched');
    assert.equal(twin.right.id, 'SKU-50169');
    const lefts = r.pairs.map((p) => p.left.id);
    const rights = r.pairs.map((p) => p.right.id);
    assert.equal(new Set(lefts).size, lefts.length);
    assert.equal(new Set(rights).size, rights.length);
    for (const p of r.pairs) assert.ok(Math.abs(sumOfContributions(p.explanation) - p.fusedScore) < 1e-9);
  });

  test('dedup groups the near-duplicates of the sample catalog', async () => {
    const r = await engine.dedup();
    assert.ok(r.groups.length > 0);
    for (const g of r.groups) assert.ok(g.ids.length >= 2 && g.minScore >= DEFAULT_MATCH_OPTIONS.threshold, `${g.ids.join(', ')}: ${g.minScore}`);
  });
});

describe('recommendation and price', () => {
  test('recommendations exclude the history and prefer its categories', async () => {
    const r = await engine.recommend({ history: ['P0001', 'P0002'], k: 5 });
    assert.ok(r.items.length > 0);
    for (const item of r.items) assert.ok(!['P0001', 'P0002'].includes(item.product.id));
    assert.ok(r.items.filter((i) => i.product.category?.startsWith('手机')).length >= 1);
  });

  test('cold start: a new product gets neighbours of its kind', async () => {
    const r = await engine.coldStart({ product: { id: 'new-1', title: '华为 Mate 60 手机 256GB 黑色', tags: [], images: [], attributes: {}, brand: '华为' } });
    assert.ok(r.items.length > 0);
    assert.match(r.items[0]!.product.category ?? '', /手机/);
  });

  test('price reference lies within the neighbours price range', async () => {
    const r = await engine.price({ id: 'P0001' });
    assert.ok(r.median !== undefined && r.min !== undefined && r.max !== undefined);
    assert.ok(r.min <= r.median && r.median <= r.max);
  });
});
