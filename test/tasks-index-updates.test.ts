/**
 * The catalog's indexes follow product writes without a full rebuild: after the sample catalog is
 * ingested, adding and deleting a product updates the in-memory keyword index from the store's
 * change log, and search, brand filters (through the index's brand column, aliases resolved) and
 * similar see the change at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import type { Product } from '../src/catalog/product.ts';
import { analyzeProduct } from '../src/store/product-record.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-index-updates-'));
let engine: Engine;

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db') });
  await engine.ingest('data/sample-catalog.jsonl');
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const headphones: Product = {
  id: 'NEW-1',
  title: '索尼 WH-1000ZQ7 zqxmarker 降噪耳机 黑色',
  brand: '索尼',
  category: '数码/耳机',
  price: 2499,
  currency: 'CNY',
  tags: ['耳机', '降噪'],
  images: [],
  attributes: {},
  inStock: true,
};

test('a product added and deleted is seen by search, brand filters and similar, through an updated (not rebuilt) keyword index', async () => {
  // A search first, so the model-number lookup exists before the write and must take it from the log.
  await engine.search({ query: 'wh1000xm4', k: 3 });
  await engine.upsertProducts([headphones]);
  const found = await engine.search({ query: 'zqxmarker', k: 5 });
  assert.equal(found.hits[0]?.product.id, 'NEW-1');
  // The model-number lookup (typo-tolerant) took the new product from the change log too.
  const typo = await engine.search({ query: 'wh1000zq8', k: 10 });
  assert.equal(typo.hits.find((h) => h.product.id === 'NEW-1')?.sources.modelNumber?.code, 'wh1000zq7');

  // The brand column holds 索尼; a filter written as Sony passes it through the alias table.
  const sony = await engine.search({ query: '降噪耳机', k: 50, filter: { brand: 'Sony' } });
  assert.ok(sony.hits.some((i) => i.product.id === 'NEW-1'), 'Sony filter keeps the 索尼 product');
  for (const item of sony.hits) assert.match(item.product.brand ?? '', /sony|索尼/i);
  const apple = await engine.search({ query: '降噪耳机', k: 50, filter: { brand: 'Apple' } });
  assert.ok(!apple.hits.some((i) => i.product.id === 'NEW-1'), 'Apple filter drops it');

  const anchor = (await engine.search({ query: '索尼 降噪耳机', k: 5 })).hits.find((i) => i.product.id !== 'NEW-1');
  assert.ok(anchor, 'the sample catalog has other headphones');
  const similar = await engine.similar({ id: anchor.product.id, k: 20, filter: { brand: 'SONY' } });
  assert.ok(similar.items.some((i) => i.product.id === 'NEW-1'), 'similar with a brand filter finds the new product');

  assert.equal(await engine.deleteProducts(['NEW-1']), 1);
  const refreshed = await engine.refresh();
  assert.equal(refreshed.representations.keywordIndex.source, 'updated');
  const gone = await engine.search({ query: 'zqxmarker', k: 5 });
  assert.ok(!gone.hits.some((i) => i.product.id === 'NEW-1'), 'deleted product no longer found');
  const typoGone = await engine.search({ query: 'wh1000zq8', k: 10 });
  assert.ok(!typoGone.hits.some((h) => h.sources.modelNumber?.code === 'wh1000zq7'), 'its model number left the lookup');
});

test('the ANN index follows writes from the change log: updated, not rebuilt, in memory and after reopening; it holds exactly the current vectors', async () => {
  const phone: Product = { ...headphones, id: 'NEW-2', title: '华为 Mate 60 Pro 12GB+512GB 雅川青 手机', brand: '华为', category: '手机/智能手机', tags: ['手机'] };
  await engine.upsertProducts([phone]);
  let refreshed = await engine.refresh();
  // upsertProducts refreshed already; this refresh finds the index current.
  assert.equal(refreshed.representations.index.rebuilt, false);
  const vector = await engine.store.getVector(engine.catalog.textEncoder.id, 'NEW-2');
  assert.ok(vector, 'the new product was encoded');
  const nearest = await engine.catalog.nearest(vector, 1);
  assert.equal(nearest[0]?.id, 'NEW-2', 'the ANN index has the new product');

  // A changed title: the product's vector is replaced, not duplicated.
  await engine.upsertProducts([{ ...phone, title: '华为 Mate 60 Pro 手机 12GB+1TB 白色 典藏版' }]);
  const changed = (await engine.store.getVector(engine.catalog.textEncoder.id, 'NEW-2'))!;
  assert.equal((await engine.catalog.nearest(changed, 1))[0]?.id, 'NEW-2');

  assert.equal(await engine.deleteProducts(['NEW-2']), 1);
  refreshed = await engine.refresh();
  assert.equal(refreshed.representations.index.rebuilt, false);
  assert.match(refreshed.representations.index.reason, /^updated: 1 change$/);
  assert.ok(!(await engine.catalog.nearest(changed, 5)).some((h) => h.id === 'NEW-2'), 'deleted product left the ANN index');
  const live = await engine.store.count();
  assert.equal(refreshed.representations.index.size, live, 'one vector per product');

  // Another process (here: a second engine on the same store) writes; this one reopens from the saved
  // file plus the log, without a rebuild.
  await engine.close();
  const writer = await createEngine({ storePath: join(dir, 'store.db') });
  await writer.upsertProducts([{ ...phone, id: 'NEW-3' }]);
  await writer.close();
  engine = await createEngine({ storePath: join(dir, 'store.db') });
  const reopened = await engine.refresh();
  assert.match(reopened.representations.index.reason, /^updated: /, 'loaded from the file and updated from the log');
  assert.equal(reopened.representations.index.size, await engine.store.count());
  const v3 = (await engine.store.getVector(engine.catalog.textEncoder.id, 'NEW-3'))!;
  assert.equal((await engine.catalog.nearest(v3, 1))[0]?.id, 'NEW-3');
});

test('a refresh encodes only the products that changed since the last one', async () => {
  const analyzer = engine.catalog.analyzer;
  const put = async (p: Product) => await engine.store.upsertProducts([{ product: p, analyzed: analyzeProduct(p, analyzer) }]);
  const total = await engine.store.count();
  const lamp: Product = { ...headphones, id: 'NEW-4', title: '米家 台灯 Pro 护眼 zqylamp', brand: '米家', category: '家居/灯具', tags: ['台灯'], images: ['images/bottle-pink.png'] };
  await put(lamp);
  let refreshed = await engine.refresh();
  assert.equal(refreshed.representations.encoded, 1);
  assert.equal(refreshed.representations.cached, total);
  // Image features too: only the written product is looked at, and its image gets features.
  assert.equal(refreshed.images?.checked, 'changed');
  assert.equal(refreshed.images?.computed, 1);
  assert.ok((await engine.catalog.represent('NEW-4'))?.image?.histogram, 'the new product has image features');

  // An existing product changed: only it is encoded again, and the ANN index holds its new vector.
  const before = (await engine.store.getVector(engine.catalog.textEncoder.id, 'P0001'))!;
  const p1 = (await engine.getProduct('P0001'))!;
  await put({ ...p1, title: `${p1.title} 限量版 zqyedition` });
  refreshed = await engine.refresh();
  assert.equal(refreshed.representations.encoded, 1);
  assert.match(refreshed.representations.index.reason, /^updated: /);
  const after = (await engine.store.getVector(engine.catalog.textEncoder.id, 'P0001'))!;
  assert.notDeepEqual(after, before);
  assert.equal((await engine.catalog.nearest(after, 1))[0]?.id, 'P0001');

  // Nothing changed: nothing to encode, nothing to update.
  refreshed = await engine.refresh();
  assert.equal(refreshed.representations.encoded, 0);
  assert.equal(refreshed.representations.index.reason, 'open');
  assert.deepEqual(await engine.store.productsWithoutVector(engine.catalog.textEncoder.id), []);
  await put(p1);
  await engine.deleteProducts(['NEW-4']);
  await engine.refresh();
});

test('catalog statistics follow writes: a new product counts at once, a common code is weighed down in dedup', async () => {
  const before = await engine.catalog.catalogStatistics();
  const count = before.documentCount;
  assert.equal(count, await engine.store.count(), 'scanned from the whole store');
  assert.equal(before.codeFrequency('zq900x'), 0);
  // Thirty accessories of other products all carry the same code (a series name read as a code).
  const accessories: Product[] = Array.from({ length: 30 }, (_, i) => ({
    ...headphones,
    id: `ACC-${i}`,
    title: `ZQ900X 配件 款式${i} 收纳包`,
    brand: `牌子${i}`,
    category: '数码/配件',
    attributes: {},
  }));
  await engine.upsertProducts(accessories);
  const after = await engine.catalog.catalogStatistics();
  assert.equal(after.codeFrequency('zq900x'), 30, 'taken from the change log');
  // The brand is a word of the text the sameProduct title comparison weighs (catalogTextSimilarity).
  assert.equal(after.wordFrequency('牌子0'), 1);
  assert.ok(after.documentCount >= count + 30);
  const similar = await engine.similar({ id: 'ACC-0', k: 5, profile: 'sameProduct', minScore: 0 });
  const model = similar.items[0]?.explanation.fields.find((f) => f.field === 'modelNumber');
  assert.ok(model && model.score === 1, 'the code is shared');
  assert.ok(model.weightFactor !== undefined && model.weightFactor < 0.3, `weight factor ${model.weightFactor}`);
  assert.equal(await engine.deleteProducts(accessories.map((p) => p.id)), 30);
});
