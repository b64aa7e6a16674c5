import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Product } from '../src/catalog/product.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { analyzeProduct, createSqliteSyncStore, KEYWORD_COMMON_TOKEN_PRUNING, productContentHash, type SyncProductStore as ProductStore } from '../src/store/index.ts';
import { isProdsimError } from '../src/errors.ts';

const analyzer = createTextAnalyzer();

function product(id: string, extra: Partial<Product> = {}): Product {
  return { id, title: `product ${id}`, tags: [], images: [], attributes: {}, ...extra };
}

function item(p: Product) {
  return { product: p, analyzed: analyzeProduct(p, analyzer) };
}

function tempStore(): { store: ProductStore; dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-store-'));
  const file = path.join(dir, 'sub', 'store.db');
  return { store: createSqliteSyncStore({ path: file }), dir, file };
}

const CATALOG: Product[] = [
  product('dress-red', {
    title: '红色连衣裙 夏季 雪纺',
    brand: '优衣库',
    category: '服装/女装/连衣裙',
    tags: ['红色', '雪纺'],
    price: 199,
    inStock: true,
    description: '轻薄透气的夏季连衣裙',
  }),
  product('dress-blue', {
    title: '蓝色连衣裙 长款',
    category: '服装/女装/连衣裙',
    tags: ['蓝色'],
    price: 299,
    inStock: false,
    description: '适合秋季的连衣裙',
  }),
  product('shoe', {
    title: '女装鞋 红色 高跟鞋',
    category: '服装/女装鞋',
    tags: ['红色'],
    price: 399,
    inStock: true,
  }),
  product('phone', {
    title: 'Apple iPhone 15 Pro 256GB black',
    brand: 'Apple',
    category: 'Electronics/Phones',
    tags: ['smartphone'],
    price: 999,
    inStock: true,
    description: 'A phone with a good camera',
  }),
  product('case', {
    title: 'Phone case for iPhone',
    category: 'Electronics/Accessories',
    tags: ['case'],
    price: 19,
    inStock: true,
    description: 'Fits iPhone 15 Pro and other Apple phones',
  }),
];

test('upsert reports added / updated / unchanged by content hash, and unchanged writes nothing', () => {
  const { store, dir } = tempStore();
  try {
    const first = store.upsertProducts(CATALOG.map(item));
    assert.deepEqual(first.map((r) => r.status), ['added', 'added', 'added', 'added', 'added']);
    assert.equal(store.count(), 5);
    const before = store.getProduct('phone')!;
    assert.equal(before.contentHash, productContentHash(CATALOG[3]!));

    // Same content, keys in another order: still unchanged.
    const reordered = CATALOG.map((p) => Object.fromEntries(Object.entries(p).reverse()) as unknown as Product);
    const second = store.upsertProducts(reordered.map(item));
    assert.ok(second.every((r) => r.status === 'unchanged'), JSON.stringify(second));
    assert.equal(store.getProduct('phone')!.updatedAt, before.updatedAt);

    const changed = { ...CATALOG[3]!, price: 899 };
    const third = store.upsertProducts([item(changed), item(product('new-one'))]);
    assert.deepEqual(third.map((r) => [r.id, r.status]), [['phone', 'updated'], ['new-one', 'added']]);
    assert.equal(third[0]!.key, before.key, 'an update keeps the numeric key');
    assert.equal(store.getProduct('phone')!.product.price, 899);
    assert.equal(store.count(), 6);
    assert.deepEqual(store.getProducts(['shoe', 'missing', 'phone']).map((p) => p.product.id), ['shoe', 'phone']);
    assert.equal(store.keyToId(before.key), 'phone');
    assert.equal(store.idToKey('phone'), before.key);
    const analyzed = store.getAnalyzed('dress-red')!;
    assert.ok(analyzed.tokens.title.includes('连衣裙'), JSON.stringify(analyzed.tokens.title));
    assert.deepEqual([...store.iterateProducts()].map((p) => p.product.id), ['dress-red', 'dress-blue', 'shoe', 'phone', 'case', 'new-one']);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('keyword search ranks the better match first, Chinese and English', () => {
  const { store, dir } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    const zh = store.keywordSearch(analyzer.tokenize('红色连衣裙'), { k: 10 });
    assert.equal(zh[0]?.id, 'dress-red', JSON.stringify(zh));
    assert.ok(zh.some((h) => h.id === 'dress-blue'), 'OR semantics: one shared token is enough');
    assert.ok(zh.every((h, i) => i === 0 || h.score <= zh[i - 1]!.score), 'scores descend');
    // With k filled by products that have every token, the answer is those products, same scores.
    const top1 = store.keywordSearch(analyzer.tokenize('红色连衣裙'), { k: 1 });
    assert.deepEqual(top1, zh.slice(0, 1));
    const allMode = store.keywordSearch(analyzer.tokenize('红色连衣裙'), { k: 10, match: 'all' }).map((h) => h.id);
    assert.deepEqual(allMode, ['dress-red']);

    const en = store.keywordSearch(analyzer.tokenize('apple iphone'), { k: 10 });
    assert.equal(en[0]?.id, 'phone', JSON.stringify(en));
    assert.ok(en.some((h) => h.id === 'case'));

    // Tokens that look like FTS5 syntax are plain text.
    assert.deepEqual(store.keywordSearch(['"', 'OR', 'NEAR(', '*', '-'], { k: 5 }), []);
    assert.deepEqual(store.keywordSearch([], { k: 5 }), []);
    // A quote inside a token is escaped, not a syntax error (no product has "iphone" then "case"); a two-word token is a phrase.
    assert.deepEqual(store.keywordSearch(['iphone"case'], { k: 5 }).map((h) => h.id), []);
    assert.deepEqual(store.keywordSearch(['phone case'], { k: 5 }).map((h) => h.id), ['case']);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('keyword filters: category prefix by whole levels, price range, in stock', () => {
  const { store, dir } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    const q = analyzer.tokenize('红色 连衣裙 女装鞋');
    const ids = (filter: Parameters<ProductStore['keywordSearch']>[1]['filter']) =>
      store.keywordSearch(q, { k: 10, filter }).map((h) => h.id).sort();
    assert.deepEqual(ids({}), ['dress-blue', 'dress-red', 'shoe']);
    assert.deepEqual(ids({ categoryPrefix: '服装/女装' }), ['dress-blue', 'dress-red']);
    assert.deepEqual(ids({ categoryPrefix: ' 服装 / 女装鞋 ' }), ['shoe']);
    assert.deepEqual(ids({ categoryPrefix: '服装' }), ['dress-blue', 'dress-red', 'shoe']);
    assert.deepEqual(ids({ minPrice: 250 }), ['dress-blue', 'shoe']);
    assert.deepEqual(ids({ minPrice: 250, maxPrice: 300 }), ['dress-blue']);
    assert.deepEqual(ids({ inStock: true }), ['dress-red', 'shoe']);
    assert.deepEqual(ids({ inStock: false }), ['dress-blue']);
    assert.throws(() => store.keywordSearch(q, { k: 0 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('delete removes the product, its keyword-index row and vectors; keys are not reused', () => {
  const { store, dir, file } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    const key = store.idToKey('phone')!;
    const countFts = (db: Database.Database) => db.prepare(`SELECT count(*) FROM keyword_index WHERE rowid = ?`).pluck().get(key);
    const before = new Database(file, { readonly: true });
    assert.equal(countFts(before), 1, 'the keyword-index row exists before the delete');
    before.close();
    store.putVectors('enc-a', [{ id: 'phone', contentHash: store.getProduct('phone')!.contentHash, vector: new Float32Array([1, 0, 0]) }]);
    assert.equal(store.deleteProducts(['phone', 'nope']), 1);
    assert.equal(store.getProduct('phone'), undefined);
    assert.equal(store.count(), 4);
    const hits = store.keywordSearch(['apple'], { k: 10 }).map((h) => h.id);
    assert.deepEqual(hits, ['case'], 'the deleted product is gone from the keyword index');
    assert.equal(store.stats().vectors['enc-a'], undefined);
    store.close();
    const raw = new Database(file, { readonly: true });
    const ftsRows = countFts(raw);
    raw.close();
    assert.equal(ftsRows, 0);
    const reopened = createSqliteSyncStore({ path: file });
    const [again] = reopened.upsertProducts([item(CATALOG[3]!)]);
    assert.equal(again!.status, 'added');
    assert.notEqual(again!.key, key, 'a deleted key is never handed out again');
    reopened.close();
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vectors: cache by content hash, stale vectors hidden, dimension checked', () => {
  const { store, dir } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    const h = (id: string) => store.getProduct(id)!.contentHash;
    store.putVectors('enc', [
      { id: 'phone', contentHash: h('phone'), vector: new Float32Array([0.6, 0.8]) },
      { id: 'case', contentHash: h('case'), vector: new Float32Array([1, 0]) },
    ]);
    assert.deepEqual([...store.getVector('enc', 'phone')!], [Math.fround(0.6), Math.fround(0.8)]);
    assert.deepEqual([...store.getCachedVector('enc', h('case'))!], [1, 0]);
    assert.equal(store.getVector('other', 'phone'), undefined);
    assert.deepEqual([...store.cachedHashes('enc', [h('phone'), h('shoe')])], [h('phone')]);
    assert.deepEqual([...store.vectorsFor('enc')].map((v) => v.id), ['phone', 'case']);
    assert.deepEqual(store.vectorEncodersOf('phone'), ['enc']);
    assert.deepEqual(store.vectorEncodersOf('shoe'), []);
    store.upsertProducts([item({ ...CATALOG[3]!, title: 'Apple iPhone 16' })]);
    assert.equal(store.getVector('enc', 'phone'), undefined, 'a vector of old content is stale');
    assert.deepEqual([...store.vectorsFor('enc')].map((v) => v.id), ['case']);
    assert.throws(
      () => store.putVectors('enc', [{ id: 'shoe', contentHash: h('shoe'), vector: new Float32Array(3) }]),
      (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH',
    );
    assert.throws(
      () => store.putVectors('enc', [{ id: 'ghost', contentHash: 'x', vector: new Float32Array(2) }]),
      (e) => isProdsimError(e) && e.code === 'PRODUCT_NOT_FOUND',
    );
    assert.deepEqual(store.stats().vectors, { enc: { count: 2, dimension: 2 } });
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('labels, meta, stats and schema version', () => {
  const { store, dir, file } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    store.putLabels([
      { leftId: 'phone', rightId: 'case', label: 0, source: 'manual' },
      { leftId: 'dress-red', rightId: 'dress-blue', label: 0, source: 'manual' },
      { leftId: 'phone', rightId: 'case', label: 1, source: 'bench' },
    ]);
    store.putLabels([{ leftId: 'phone', rightId: 'case', label: 0.5, source: 'manual' }]);
    assert.equal(store.countLabels(), 3);
    assert.equal(store.countLabels('manual'), 2);
    assert.deepEqual(
      store.getLabels({ id: 'case', source: 'manual' }).map((l) => [l.leftId, l.rightId, l.label]),
      [['phone', 'case', 0.5]],
    );
    assert.equal(store.deleteLabels({ source: 'bench' }), 1);
    store.setMeta('ann.enc', '{"built":1}');
    assert.equal(store.getMeta('ann.enc'), '{"built":1}');
    assert.equal(store.getMeta('missing'), undefined);
    assert.throws(() => store.setMeta('schema_version', '9'));
    const s = store.stats();
    assert.equal(s.products, 5);
    assert.equal(s.labels, 2);
    assert.equal(s.schemaVersion, 1);
    assert.ok(s.sizeBytes > 0 && s.bytesPerProduct > 0);
    store.close();

    const raw = new Database(file);
    raw.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    raw.close();
    assert.throws(() => createSqliteSyncStore({ path: file }), (e) => isProdsimError(e) && e.code === 'STORE_ERROR' && /newer/.test(e.message));
    assert.throws(() => createSqliteSyncStore({ path: file, bogus: 1 } as never), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a store whose meta table is WITHOUT ROWID (before the rowid one) is migrated on a writable open, values kept', () => {
  const { store, dir, file } = tempStore();
  const metaSql = (db: Database.Database) => db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).pluck().get() as string;
  try {
    store.upsertProducts(CATALOG.map(item));
    store.setMeta('textSpace.state', 'x'.repeat(100_000));
    store.setMeta('textSpace.stateId', 'id-1');
    const revision = store.revision();
    store.close();
    // Turn the table back into the layout stores had before.
    const raw = new Database(file);
    assert.doesNotMatch(metaSql(raw), /WITHOUT ROWID/i);
    raw.exec(`CREATE TABLE meta_old (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; INSERT INTO meta_old SELECT key, value FROM meta; DROP TABLE meta; ALTER TABLE meta_old RENAME TO meta;`);
    assert.match(metaSql(raw), /WITHOUT ROWID/i);
    raw.close();

    const readOnly = createSqliteSyncStore({ path: file, readonly: true });
    assert.equal(readOnly.getMeta('textSpace.stateId'), 'id-1', 'a read-only open reads the old layout as it is');
    readOnly.close();
    const reopened = createSqliteSyncStore({ path: file });
    assert.equal(reopened.getMeta('textSpace.state'), 'x'.repeat(100_000));
    assert.equal(reopened.getMeta('textSpace.stateId'), 'id-1');
    assert.equal(reopened.revision(), revision);
    assert.equal(reopened.stats().schemaVersion, 1);
    assert.equal(reopened.count(), CATALOG.length);
    reopened.close();
    const check = new Database(file, { readonly: true });
    assert.doesNotMatch(metaSql(check), /WITHOUT ROWID/i);
    check.close();
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a store whose keyword index has contentless_delete (drifting bm25) is rebuilt on a writable open', () => {
  const { store, dir, file } = tempStore();
  const fresh = tempStore();
  const indexSql = (db: Database.Database) => db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keyword_index'`).pluck().get() as string;
  const scores = (s: ProductStore) => s.keywordSearch(['红色', '连衣裙', 'iphone'], { k: 10 }).map((h) => `${h.id} ${h.score.toFixed(6)}`);
  try {
    store.upsertProducts(CATALOG.map(item));
    fresh.store.upsertProducts(CATALOG.map(item));
    store.close();
    // The layout stores had before, with the drift its plain DELETE left: rows deleted and written again.
    const raw = new Database(file);
    const columns = raw.prepare(`SELECT name FROM pragma_table_info('keyword_index')`).pluck().all() as string[];
    raw.exec(`DROP TABLE keyword_index; CREATE VIRTUAL TABLE keyword_index USING fts5(${columns.join(', ')}, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`);
    const insert = raw.prepare(`INSERT INTO keyword_index (rowid, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`);
    const rows = raw.prepare(`SELECT key, analyzed FROM products ORDER BY key`).all() as { key: number; analyzed: string }[];
    const write = () => {
      for (const r of rows) insert.run(r.key, ...columns.map((c) => (JSON.parse(r.analyzed) as { tokens: Record<string, string[]> }).tokens[c]!.join(' ')));
    };
    write();
    raw.exec(`DELETE FROM keyword_index`);
    write();
    assert.match(indexSql(raw), /contentless_delete/);
    raw.close();

    const readOnly = createSqliteSyncStore({ path: file, readonly: true });
    assert.notDeepEqual(scores(readOnly), scores(fresh.store), 'the old layout drifted');
    readOnly.close();
    const reopened = createSqliteSyncStore({ path: file });
    assert.deepEqual(scores(reopened), scores(fresh.store));
    // and writes keep it right: an update and a delete, on both
    for (const s of [reopened, fresh.store]) {
      s.upsertProducts([item({ ...CATALOG[4]!, title: 'Phone case 红色' })]);
      s.deleteProducts(['shoe']);
    }
    assert.deepEqual(scores(reopened), scores(fresh.store));
    reopened.close();
    const check = new Database(file, { readonly: true });
    assert.doesNotMatch(indexSql(check), /contentless_delete/);
    check.close();
  } finally {
    store.close();
    fresh.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(fresh.dir, { recursive: true, force: true });
  }
});

test('batch key mapping, iteration with analysed text, document frequencies', () => {
  const { store, dir } = tempStore();
  try {
    store.upsertProducts(CATALOG.map(item));
    const keys = store.idsToKeys(['shoe', 'nope', 'phone']);
    assert.equal(keys[1], undefined);
    assert.equal(keys[0], store.idToKey('shoe'));
    assert.deepEqual(store.keysToIds([keys[2]!, 999_999, keys[0]!]), ['phone', undefined, 'shoe']);
    const all = [...store.iterateProducts({ withAnalyzed: true })];
    assert.equal(all.length, 5);
    assert.ok(all[0]!.analyzed!.tokens.title.includes('连衣裙'));
    const df = store.documentFrequencies(['连衣裙', 'iphone', 'absent']);
    assert.equal(df.get('连衣裙'), 2);
    assert.equal(df.get('iphone'), 2, 'counted once per product whatever the field');
    assert.equal(df.get('absent'), 0);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('large stores: common tokens are left out of an OR query while the rarer ones fill k', () => {
  const { store, dir } = tempStore();
  try {
    const empty = { title: [], brand: [], tags: [], category: [], description: [], attributes: [] };
    const n = KEYWORD_COMMON_TOKEN_PRUNING.minProducts + 10;
    const batch = Array.from({ length: n }, (_, i) => {
      const title = i < 10 ? ['everyday', 'zzrare', `u${i}`] : ['everyday', `u${i}`];
      return { product: product(`g${i}`, { title: title.join(' ') }), analyzed: { tokens: { ...empty, title }, modelNumbers: [], quantities: [], sizes: [] } };
    });
    store.upsertProducts(batch);
    assert.equal(store.documentFrequencies(['everyday']).get('everyday'), n);
    // No product has all three tokens; "everyday" is in every product, so the rare tokens decide.
    const top = store.keywordSearch(['everyday', 'zzrare', 'nothing'], { k: 5 }).map((h) => h.id);
    assert.equal(top.length, 5);
    assert.ok(top.every((id) => Number(id.slice(1)) < 10), JSON.stringify(top));
    // Scored without the common token: the same scores as a query without it.
    const scores = store.keywordSearch(['everyday', 'zzrare', 'nothing'], { k: 5 }).map((h) => h.score);
    assert.deepEqual(scores, store.keywordSearch(['zzrare', 'nothing'], { k: 5 }).map((h) => h.score));
    // When the rare tokens cannot fill k, the full OR query runs and common-only products come in.
    const wide = store.keywordSearch(['everyday', 'zzrare', 'nothing'], { k: 20 }).map((h) => h.id);
    assert.equal(wide.length, 20);
    assert.deepEqual(wide.slice(0, 10).map((id) => Number(id.slice(1))).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(wide.slice(10).every((id) => Number(id.slice(1)) >= 10));
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
