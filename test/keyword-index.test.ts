import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Product } from '../src/catalog/product.ts';
import { isProdsimError } from '../src/errors.ts';
import { seededRandom } from '../src/random.ts';
import {
  analyzeProduct,
  ANALYZED_FIELDS,
  createMemoryKeywordIndex,
  createMemoryKeywordIndexFromRows,
  createSqliteSyncStore,
  fts5Terms,
  KEYWORD_COLUMN_WEIGHTS,
  loadMemoryKeywordIndex,
  openMemoryKeywordIndex,
  readKeywordIndexRevision,
  REVISION_RECHECK_MS,
  toFtsPhrases,
  type KeywordFilter,
  type KeywordHit,
  type KeywordIndex,
  type KeywordRow,
  type SyncProductStore as ProductStore,
} from '../src/store/index.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const analyzer = createTextAnalyzer();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-kw-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ZH = ['红色', '黑色', '连衣裙', '雪纺', '夏季', '华为', '小米', '手机', '耳机', '蓝牙', '保温杯', '加厚', '宽松', '羽绒服'];
const EN = ['red', 'black', 'dress', 'wireless', 'headphones', 'phone', 'case', 'steel', 'bottle', 'running', 'shoes', 'slim'];
/** Tokens FTS5 splits into several terms (phrases) and a few that need folding. */
const SPLIT = ['1.5l', 'iphone-15', 'dsc-w120', 'a_b', 'Émile', 'x1.2.3'];
const CATEGORIES = ['服装/女装/连衣裙', '服装/女装鞋', '数码/手机', '数码/耳机', 'Home/Kitchen', 'Shoes/Running'];

/** Varied products (random lengths and repeats) so that most bm25 scores are distinct. */
function randomProduct(i: number): Product {
  const r = seededRandom(i * 7919 + 13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const words = (n: number): string => Array.from({ length: n }, () => (r() < 0.5 ? pick(ZH) : pick(EN))).join(' ');
  const title = `${words(1 + Math.floor(r() * 6))}${r() < 0.3 ? ` ${pick(SPLIT)}` : ''}`;
  return {
    id: `p${i}`,
    title,
    description: r() < 0.8 ? words(Math.floor(r() * 20)) : undefined,
    tags: Array.from({ length: Math.floor(r() * 3) }, () => pick([...ZH, ...EN])),
    brand: r() < 0.7 ? pick(['华为', '小米', 'Sony', 'Apple']) : undefined,
    category: r() < 0.9 ? pick(CATEGORIES) : undefined,
    price: r() < 0.9 ? Math.round(r() * 100000) / 100 : undefined,
    inStock: r() < 0.8 ? r() < 0.7 : undefined,
    images: [],
    attributes: r() < 0.5 ? { 颜色: pick(ZH), note: pick(SPLIT) } : {},
  };
}

const N = 400;
const storeFile = path.join(dir, 'store.db');
const store = createSqliteSyncStore({ path: storeFile });
store.upsertProducts(Array.from({ length: N }, (_, i) => randomProduct(i)).map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) })));
const index = createMemoryKeywordIndex(store);
const raw = new Database(storeFile, { readonly: true });
after(() => {
  raw.close();
  store.close();
});

const BM25 = ANALYZED_FIELDS.map((f) => KEYWORD_COLUMN_WEIGHTS[f]).join(', ');
/** The exact FTS5 OR query (the store's `any` path may answer with its AND-first heuristic instead). */
function ftsOr(tokens: readonly string[], k: number): KeywordHit[] {
  const phrases = toFtsPhrases(tokens);
  if (phrases.length === 0) return [];
  const rows = raw
    .prepare(
      `SELECT p.id AS id, p.key AS key, bm25(keyword_index, ${BM25}) AS rank FROM keyword_index JOIN products p ON p.key = keyword_index.rowid
       WHERE keyword_index MATCH ? ORDER BY rank LIMIT ?`,
    )
    .all(phrases.join(' OR '), k) as { id: string; key: number; rank: number }[];
  return rows.map((r) => ({ id: r.id, key: r.key, score: -r.rank }));
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b), 1e-12);

/**
 * Same scores position by position (1e-6 relative), and the same ids in the same order except
 * inside groups of tied scores, where FTS5's order is unspecified (there: same set of ids, unless
 * the group is cut by k).
 */
function assertSameRanking(actual: KeywordHit[], expected: KeywordHit[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} hits, FTS5 ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(close(actual[i]!.score, expected[i]!.score), `${what} #${i}: score ${actual[i]!.score} vs FTS5 ${expected[i]!.score}`);
  }
  let start = 0;
  while (start < expected.length) {
    let end = start + 1;
    while (end < expected.length && close(expected[end]!.score, expected[start]!.score)) end++;
    const cutByK = end === expected.length;
    if (end - start === 1) assert.equal(actual[start]!.id, expected[start]!.id, `${what} #${start}`);
    else if (!cutByK) {
      assert.deepEqual(
        actual.slice(start, end).map((h) => h.id).sort(),
        expected.slice(start, end).map((h) => h.id).sort(),
        `${what}: tie group at #${start}`,
      );
    }
    start = end;
  }
}

/** Query tokens: analyser tokens of random words, so they are exactly what a search would send. */
function queries(count: number, seed: number, maxWords: number): string[][] {
  const r = seededRandom(seed);
  const vocab = [...ZH, ...EN, ...SPLIT, '不存在的词', 'Sony', '华为'];
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(r() * maxWords);
    return analyzer.analyze(Array.from({ length: n }, () => vocab[Math.floor(r() * vocab.length)]!).join(' ')).tokens;
  });
}

const FILTERS: KeywordFilter[] = [
  {},
  { categoryPrefix: '服装/女装' },
  { categoryPrefix: '数码' },
  { minPrice: 100, maxPrice: 600 },
  { inStock: true },
  { inStock: false, categoryPrefix: 'Home' },
];

test('fts5Terms splits and folds like unicode61 (checked against FTS5 on every stored token)', () => {
  assert.deepEqual(fts5Terms('1.5l'), ['1', '5l']);
  assert.deepEqual(fts5Terms('Émile'), ['emile']);
  assert.deepEqual(fts5Terms('红色 t恤'), ['红色', 't恤']);
  // Every term FTS5 indexed for the test store, with its row count, is what the index counts.
  const vocab = new Database(storeFile, { readonly: true });
  vocab.exec(`CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, keyword_index, 'row')`);
  const rows = vocab.prepare(`SELECT term, doc FROM v`).all() as { term: string; doc: number }[];
  vocab.close();
  assert.ok(rows.length > 30);
  const df = index.documentFrequencies(rows.map((r) => r.term));
  for (const r of rows) assert.equal(df.get(r.term), r.doc, `term ${r.term}`);
});

test('single-token and all-token queries: same ids, order and scores as the store (FTS5 bm25), with and without filters', () => {
  let compared = 0;
  for (const filter of FILTERS) {
    for (const tokens of queries(40, 1, 4)) {
      const mode = tokens.length === 1 ? 'any' : 'all';
      const expected = store.keywordSearch(tokens, { k: 15, filter, match: mode });
      const actual = index.search(tokens, { k: 15, filter, match: mode });
      assertSameRanking(actual, expected, `${mode} ${tokens.join(' ')} ${JSON.stringify(filter)}`);
      compared += expected.length;
    }
  }
  assert.ok(compared > 200, `only ${compared} hits compared`);
});

test('idOf and keyFilter answer per store key from the index, as the store and matchesFilter-style SQL do', () => {
  const rows = [...store.iterateKeywordRows()];
  for (const row of rows) assert.equal(index.idOf(row.key), row.id);
  assert.equal(index.idOf(-5), undefined);
  for (const filter of FILTERS) {
    const pass = index.keyFilter(filter);
    // Expected from the store's own filter columns of each row (what its SQL filter reads).
    const levels = (filter.categoryPrefix ?? '').split('/').filter(Boolean).join('/');
    for (const row of rows) {
      const expected =
        (levels === '' || (row.category !== null && (row.category.toLowerCase() === levels.toLowerCase() || row.category.toLowerCase().startsWith(`${levels.toLowerCase()}/`)))) &&
        (filter.minPrice === undefined || (row.price !== null && row.price >= filter.minPrice)) &&
        (filter.maxPrice === undefined || (row.price !== null && row.price <= filter.maxPrice)) &&
        (filter.inStock === undefined || row.inStock === filter.inStock);
      assert.equal(pass(row.key), expected, `${row.id} ${JSON.stringify(filter)}`);
    }
    assert.equal(pass(-5), false);
  }
  for (const filter of FILTERS) {
    const pass = index.keyFilter(filter);
    assert.deepEqual(Array.from(index.keysMatching(filter)), rows.filter((r) => pass(r.key)).map((r) => r.key), JSON.stringify(filter));
  }
  const shoes = rows.filter((r) => r.category?.startsWith('Shoes/'));
  assert.ok(shoes.length > 0 && shoes.every((r) => index.keyFilter({ categoryPrefix: 'shoes' })(r.key)), 'category prefixes compare case-insensitively');
});

test('any (OR) queries: the exact FTS5 OR top-k, with and without filters', () => {
  let compared = 0;
  for (const filter of FILTERS) {
    for (const tokens of queries(40, 2, 6)) {
      const unfiltered = Object.keys(filter).length === 0;
      const expected = unfiltered ? ftsOr(tokens, 20) : undefined;
      const actual = index.search(tokens, { k: 20, filter });
      if (expected) {
        assertSameRanking(actual, expected, `any ${tokens.join(' ')}`);
        compared += expected.length;
      }
      // Pruned and exhaustive scoring agree exactly (same summation order), with every filter.
      assert.deepEqual(actual, index.search(tokens, { k: 20, filter, pruning: 'none' }), `pruning ${tokens.join(' ')} ${JSON.stringify(filter)}`);
    }
  }
  assert.ok(compared > 300, `only ${compared} hits compared`);
});

test('MaxScore gives the exhaustive top-k for every k, and filters are applied before ranking', () => {
  for (const tokens of queries(30, 3, 8)) {
    for (const k of [1, 2, 5, 50, 1000]) {
      assert.deepEqual(index.search(tokens, { k }), index.search(tokens, { k, pruning: 'none' }), `k=${k} ${tokens.join(' ')}`);
    }
  }
  const hits = index.search(['红色', '黑色', 'red'], { k: 1000, filter: { categoryPrefix: '服装/女装', inStock: true, minPrice: 50 } });
  assert.ok(hits.length > 0);
  for (const h of hits) {
    const p = store.getProduct(h.id)!.product;
    assert.ok(p.category!.startsWith('服装/女装/') && p.inStock === true && p.price! >= 50, h.id);
  }
});

test('save and load round trip; a stale or damaged file is refused with INDEX_STALE', () => {
  const file = path.join(dir, 'kw', 'index.bin');
  const bytes = index.save(file);
  assert.equal(fs.statSync(file).size, bytes);
  assert.equal(readKeywordIndexRevision(file), store.revision());
  const loaded = loadMemoryKeywordIndex(file, { revision: store.revision() });
  assert.deepEqual(loaded.stats(), index.stats());
  for (const tokens of queries(20, 4, 5)) {
    assert.deepEqual(loaded.search(tokens, { k: 10 }), index.search(tokens, { k: 10 }));
    assert.deepEqual(loaded.search(tokens, { k: 10, match: 'all', filter: { inStock: true } }), index.search(tokens, { k: 10, match: 'all', filter: { inStock: true } }));
  }
  const staleCode = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      assert.ok(isProdsimError(e));
      return `${e.code}:${String(e.details?.reason)}`;
    }
    return undefined;
  };
  assert.equal(staleCode(() => loadMemoryKeywordIndex(file, { revision: 'another' })), 'INDEX_STALE:revision');
  const damaged = path.join(dir, 'kw', 'damaged.bin');
  const buf = fs.readFileSync(file);
  buf[buf.length - 5] = buf[buf.length - 5]! ^ 0xff;
  fs.writeFileSync(damaged, buf);
  assert.equal(staleCode(() => loadMemoryKeywordIndex(damaged)), 'INDEX_STALE:damaged');
  fs.writeFileSync(damaged, buf.subarray(0, 100));
  assert.equal(staleCode(() => loadMemoryKeywordIndex(damaged)), 'INDEX_STALE:damaged');
  assert.equal(staleCode(() => loadMemoryKeywordIndex(path.join(dir, 'none.bin'))), 'FILE_NOT_FOUND:undefined');
});

test('revision changes on product writes and deletes, in the same transaction, and not on reads', () => {
  const s: ProductStore = createSqliteSyncStore({ path: ':memory:' });
  const items = [randomProduct(1), randomProduct(2)].map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) }));
  const r0 = s.revision();
  s.upsertProducts(items);
  const r1 = s.revision();
  assert.notEqual(r1, r0);
  // Reads, unchanged upserts, labels, vectors and meta leave it alone.
  s.getProduct('p1');
  s.keywordSearch(['红色'], { k: 3 });
  Array.from(s.iterateKeywordRows());
  s.upsertProducts(items);
  s.putLabels([{ leftId: 'p1', rightId: 'p2', label: 1, source: 'test' }]);
  s.putVectors('enc', [{ id: 'p1', contentHash: 'h', vector: new Float32Array([1, 2]) }]);
  s.setMeta('x', 'y');
  assert.equal(s.revision(), r1);
  assert.throws(() => s.setMeta('products.revision', 'forged'), (e: unknown) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  // An update, a re-index, a delete: each a new revision; deleting nothing is not a change.
  s.upsertProducts([{ product: { ...items[0]!.product, title: 'changed 红色' }, analyzed: analyzeProduct({ ...items[0]!.product, title: 'changed 红色' }, analyzer) }]);
  const r2 = s.revision();
  assert.notEqual(r2, r1);
  s.upsertProducts([items[1]!], { reindex: true });
  const r3 = s.revision();
  assert.notEqual(r3, r2);
  assert.equal(s.deleteProducts(['nope']), 0);
  assert.equal(s.revision(), r3);
  assert.equal(s.deleteProducts(['p2']), 1);
  const r4 = s.revision();
  assert.notEqual(r4, r3);
  // A rolled-back write rolls the revision back with it.
  assert.throws(() =>
    s.transaction(() => {
      s.deleteProducts(['p1']);
      throw new Error('abort');
    }),
  );
  assert.equal(s.revision(), r4);
  assert.equal(s.count(), 1);
  s.close();
});

test('an index is stale after a store write; openMemoryKeywordIndex loads a current file, updates a stale one from the change log, rebuilds a damaged one', () => {
  const file = path.join(dir, 'open', 'index.bin');
  const s = createSqliteSyncStore({ path: path.join(dir, 'open', 'store.db') });
  const add = (from: number, to: number): void => {
    s.upsertProducts(Array.from({ length: to - from }, (_, i) => randomProduct(from + i)).map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) })));
  };
  add(0, 50);
  const first = openMemoryKeywordIndex(s, file);
  assert.equal(first.source, 'built');
  assert.equal(first.reason, 'missing');
  assert.equal(openMemoryKeywordIndex(s, file).source, 'loaded');
  add(50, 60);
  assert.equal(first.index.isCurrent(s), false);
  const reopened = openMemoryKeywordIndex(s, file);
  assert.deepEqual([reopened.source, reopened.reason, reopened.changesApplied], ['loaded', undefined, 10]);
  assert.equal(reopened.index.size, 60);
  assert.ok(reopened.index.isCurrent(s));
  // The updated index was saved: the next open loads it as current.
  assert.deepEqual([openMemoryKeywordIndex(s, file).source, openMemoryKeywordIndex(s, file).changesApplied], ['loaded', undefined]);
  fs.writeFileSync(file, 'not an index');
  assert.deepEqual([openMemoryKeywordIndex(s, file).source, openMemoryKeywordIndex(s, file).source], ['built', 'loaded']);
  s.close();
});

test('query validation: k, match and options', () => {
  const idx: KeywordIndex = index;
  assert.throws(() => idx.search(['红色'], { k: 0 }), (e: unknown) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => idx.search(['红色'], { k: 3, typo: 1 } as never), (e: unknown) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
  assert.deepEqual(idx.search(['', '  ', '·'], { k: 3 }), []);
  assert.deepEqual(idx.search(['红色', '不存在的词'], { k: 3, match: 'all' }), []);
  assert.equal(idx.search(['红色', '不存在的词'], { k: 3 }).length, 3);
});

test('a store written before revisions existed: derived revision when read-only, a stored one from its first writable open', () => {
  const file = path.join(dir, 'legacy', 'store.db');
  const s = createSqliteSyncStore({ path: file });
  s.upsertProducts([randomProduct(5)].map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) })));
  s.close();
  const db = new Database(file);
  db.prepare(`DELETE FROM meta WHERE key = 'products.revision'`).run();
  db.close();
  const ro = createSqliteSyncStore({ path: file, readonly: true });
  const legacy = ro.revision();
  assert.match(legacy, /^legacy:1:/);
  const built = createMemoryKeywordIndex(ro);
  assert.equal(built.revision, legacy);
  ro.close();
  const rw = createSqliteSyncStore({ path: file });
  assert.doesNotMatch(rw.revision(), /^legacy/);
  assert.equal(built.isCurrent(rw), false);
  rw.close();
});

test('after updates and deletes the index scores with the live catalog statistics (as FTS5 on a fresh store of the same products)', () => {
  const edited = createSqliteSyncStore({ path: ':memory:' });
  const fresh = createSqliteSyncStore({ path: path.join(dir, 'fresh', 'store.db') });
  const itemOf = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });
  const products = Array.from({ length: 150 }, (_, i) => randomProduct(1000 + i));
  edited.upsertProducts(products.map(itemOf));
  // Update every fifth product, delete every seventh: FTS5's contentless_delete totals would now count them twice.
  const final = products.map((p, i) => (i % 5 === 0 ? { ...p, title: `${p.title} 红色 updated` } : p));
  edited.upsertProducts(final.filter((_, i) => i % 5 === 0).map(itemOf));
  const deleted = final.filter((_, i) => i % 7 === 0).map((p) => p.id);
  edited.deleteProducts(deleted);
  const remaining = final.filter((p) => !deleted.includes(p.id));
  fresh.upsertProducts(remaining.map(itemOf));
  const idx = createMemoryKeywordIndex(edited);
  assert.equal(idx.size, remaining.length);
  const freshFile = fresh.path;
  const freshRaw = new Database(freshFile, { readonly: true });
  for (const tokens of queries(25, 5, 4)) {
    const phrases = toFtsPhrases(tokens);
    if (phrases.length === 0) continue;
    const expected = (
      freshRaw
        .prepare(
          `SELECT p.id AS id, bm25(keyword_index, ${BM25}) AS rank FROM keyword_index JOIN products p ON p.key = keyword_index.rowid
           WHERE keyword_index MATCH ? ORDER BY rank LIMIT 20`,
        )
        .all(phrases.join(' OR ')) as { id: string; rank: number }[]
    ).map((r) => ({ id: r.id, key: 0, score: -r.rank }));
    const actual = idx.search(tokens, { k: 20 }).map((h) => ({ ...h, key: 0 }));
    assertSameRanking(actual, expected, `after edits: ${tokens.join(' ')}`);
  }
  freshRaw.close();
  fresh.close();
  edited.close();
});

test('revision: another handle\'s write is seen once REVISION_RECHECK_MS has passed; this handle\'s own at once', async () => {
  const file = path.join(dir, 'two-handles.db');
  const writer = createSqliteSyncStore({ path: file });
  const reader = createSqliteSyncStore({ path: file });
  try {
    writer.upsertProducts([{ product: randomProduct(1), analyzed: analyzeProduct(randomProduct(1), analyzer) }]);
    const before = reader.revision();
    writer.upsertProducts([{ product: randomProduct(2), analyzed: analyzeProduct(randomProduct(2), analyzer) }]);
    await new Promise((resolve) => setTimeout(resolve, REVISION_RECHECK_MS + 20));
    assert.notEqual(reader.revision(), before, 'the other handle\'s write is seen after the recheck interval');
    const own = writer.revision();
    writer.deleteProducts([randomProduct(1).id]);
    assert.notEqual(writer.revision(), own, 'own write seen at once');
  } finally {
    writer.close();
    reader.close();
  }
});

test('idOf with sparse keys (binary search instead of a key-indexed array)', () => {
  const row = (key: number, id: string) => ({ key, id, category: null, price: null, inStock: null, tokens: { ...Object.fromEntries(ANALYZED_FIELDS.map((f) => [f, []])), title: [id] } as KeywordRow['tokens'] });
  const sparse = createMemoryKeywordIndexFromRows([row(3, 'a'), row(5_000_000, 'b'), row(9_000_000_000, 'c')], 'r1');
  assert.deepEqual([3, 5_000_000, 9_000_000_000, 4].map((k) => sparse.idOf(k)), ['a', 'b', 'c', undefined]);
  assert.equal(sparse.search(['b'], { k: 1 })[0]?.key, 5_000_000);
  assert.deepEqual(Array.from(sparse.keysMatching({})), [3, 5_000_000, 9_000_000_000]);
});
