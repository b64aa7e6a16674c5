/**
 * Incremental updates of the in-memory keyword index from the store's change log: after random
 * inserts, updates, deletes, delete-and-re-add and re-indexes, `updateMemoryKeywordIndex` must give
 * the same answers (hits, scores within 1e-9, tie-break by key) as a fresh full build of the same
 * store, and fall back to a full build when the log does not reach back. Real SQLite stores in a
 * temp folder.
 */
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
  CHANGE_LOG_ID_KEY,
  createMemoryKeywordIndex,
  KEYWORD_INDEX_FORMAT_VERSION,
  loadMemoryKeywordIndex,
  createSqliteSyncStore,
  brandColumnValue,
  openMemoryKeywordIndex,
  readKeywordIndexHeader,
  updateMemoryKeywordIndex,
  type KeywordFilter,
  type KeywordIndex,
  type SyncProductStore as ProductStore,
} from '../src/store/index.ts';
import { mergeMemoryKeywordIndex } from '../src/store/keyword/memory-bm25.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const analyzer = createTextAnalyzer();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-kw-incr-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const WORDS = ['红色', '黑色', '连衣裙', '夏季', '华为', '手机', '耳机', '蓝牙', 'red', 'black', 'dress', 'phone', 'case', 'steel', '1.5l', 'iphone-15'];
const BRANDS = ['华为', '小米', 'Sony', ' sony ', 'Apple', 'APPLE', '苹果'];
const CATEGORIES = ['服装/女装/连衣裙', '服装/女装鞋', '数码/手机', 'Home/Kitchen'];

/** Small products over a small vocabulary: many equal scores, so the tie-break by key is exercised. */
function randomProduct(id: string, r: () => number): Product {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  return {
    id,
    title: words(1 + Math.floor(r() * 4)),
    description: r() < 0.5 ? words(Math.floor(r() * 8)) : undefined,
    tags: r() < 0.3 ? [pick(WORDS)] : [],
    brand: r() < 0.7 ? pick(BRANDS) : undefined,
    category: r() < 0.9 ? pick(CATEGORIES) : undefined,
    price: r() < 0.9 ? Math.round(r() * 500) : undefined,
    inStock: r() < 0.8 ? r() < 0.6 : undefined,
    images: [],
    attributes: r() < 0.3 ? { 颜色: pick(WORDS) } : {},
  };
}

const item = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });

const FILTERS: KeywordFilter[] = [
  {},
  { categoryPrefix: '服装' },
  { minPrice: 100, maxPrice: 400 },
  { inStock: true },
  { brandIn: new Set(['华为', 'sony']) },
  { brandIn: new Set(['apple', '苹果']), inStock: false },
  { brandIn: new Set() },
];

function queries(count: number, seed: number): string[][] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(r() * 4);
    return analyzer.analyze(Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]!).join(' ')).tokens;
  });
}
const QUERIES = queries(40, 7);

/** Everything observable of two indexes agrees: hits and scores (1e-9), filters, ids, frequencies, brands. */
function assertSameIndex(actual: KeywordIndex, expected: KeywordIndex, store: ProductStore, what: string): void {
  assert.equal(actual.size, expected.size, `${what}: size`);
  assert.equal(actual.revision, expected.revision, `${what}: revision`);
  assert.equal(actual.changeSeq, expected.changeSeq, `${what}: change seq`);
  assert.deepEqual(actual.brands(), expected.brands(), `${what}: brands`);
  assert.equal(actual.stats().averageLength, expected.stats().averageLength, `${what}: avgdl`);
  assert.equal(actual.stats().postings, expected.stats().postings, `${what}: postings`);
  const maxKey = store.changeSeq() + 2; // keys never exceed the number of logged writes
  for (let key = 0; key <= maxKey; key++) assert.equal(actual.idOf(key), expected.idOf(key), `${what}: idOf(${key})`);
  for (const filter of FILTERS) {
    assert.deepEqual([...actual.keysMatching(filter)], [...expected.keysMatching(filter)], `${what}: keysMatching ${JSON.stringify(filter)}`);
    const fa = actual.keyFilter(filter);
    const fe = expected.keyFilter(filter);
    for (let key = 0; key <= maxKey; key++) assert.equal(fa(key), fe(key), `${what}: keyFilter(${key})`);
  }
  for (const [qi, q] of QUERIES.entries()) {
    assert.deepEqual(actual.documentFrequencies(q), expected.documentFrequencies(q), `${what}: df of query ${qi}`);
    for (const filter of FILTERS) {
      for (const match of ['any', 'all'] as const) {
        for (const pruning of ['blockmax', 'maxscore', 'none'] as const) {
          const label = `${what}: query ${qi} ${JSON.stringify(q)} ${match} ${pruning} ${JSON.stringify(filter, (_, v: unknown) => (v instanceof Set ? [...v] : v))}`;
          const a = actual.search(q, { k: 10, filter, match, pruning });
          const e = expected.search(q, { k: 10, filter, match, pruning });
          assert.deepEqual(a.map((h) => h.key), e.map((h) => h.key), `${label}: keys`);
          assert.deepEqual(a.map((h) => h.id), e.map((h) => h.id), `${label}: ids`);
          a.forEach((h, i) => assert.ok(Math.abs(h.score - e[i]!.score) <= 1e-9, `${label} #${i}: ${h.score} vs ${e[i]!.score}`));
        }
      }
    }
  }
}

/** One round of random writes: new products, content updates, deletes, delete-and-re-add (new key), re-indexes, copies (ties). */
function randomWrites(store: ProductStore, r: () => number, nextId: { n: number }, changes: number): void {
  const ids = [...store.iterateProducts()].map((p) => p.product.id);
  const pickId = (): string => ids[Math.floor(r() * ids.length)]!;
  for (let c = 0; c < changes; c++) {
    const op = r();
    if (op < 0.3 || ids.length < 5) store.upsertProducts([item(randomProduct(`p${nextId.n++}`, r))]);
    else if (op < 0.55) store.upsertProducts([item(randomProduct(pickId(), r))]);
    else if (op < 0.7) store.deleteProducts([pickId()]);
    else if (op < 0.8) {
      const id = pickId();
      store.deleteProducts([id]);
      store.upsertProducts([item(randomProduct(id, r))]);
    } else if (op < 0.9) {
      // Another product's content under an existing id: equal rows, equal scores, ordered by key.
      const copy = store.getProduct(pickId())!.product;
      store.upsertProducts([item({ ...copy, id: pickId() })]);
    } else {
      const p = store.getProduct(pickId())!.product;
      store.upsertProducts([item(p)], { reindex: true });
    }
  }
}

test('incremental updates after random writes equal a full build (hits, scores, filters, ids, brands)', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'random', 'store.db') });
  const r = seededRandom(42);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 200 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  const file = path.join(dir, 'random', 'keyword.idx');
  let savedSeq = -1;
  for (let round = 0; round < 6; round++) {
    if (round === 4) {
      // Saved here; the last two rounds and the ingest below (at most 75 changed products) are applied from the log when it is opened.
      index.save(file);
      savedSeq = index.changeSeq;
    }
    const before = index;
    const beforeHits = before.search(QUERIES[0]!, { k: 10 });
    randomWrites(store, r, nextId, 1 + Math.floor(r() * 30));
    assert.equal(index.isCurrent(store), false);
    const updated = updateMemoryKeywordIndex(index, store);
    assert.equal(updated.source, 'updated', `round ${round}`);
    assert.ok(updated.changesApplied > 0);
    index = updated.index;
    assert.ok(index.isCurrent(store));
    assertSameIndex(index, createMemoryKeywordIndex(store), store, `round ${round}`);
    // The index updated from stays usable at its old state.
    assert.deepEqual(before.search(QUERIES[0]!, { k: 10 }), beforeHits, `round ${round}: old index`);
    // Nothing written: the same index back.
    assert.equal(updateMemoryKeywordIndex(index, store).index, index);
  }
  // An ingest of new products only (rows appended after the last key: the block-copy path).
  store.upsertProducts(Array.from({ length: 15 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  const ingested = updateMemoryKeywordIndex(index, store);
  assert.equal(ingested.source, 'updated');
  index = ingested.index;
  assertSameIndex(index, createMemoryKeywordIndex(store), store, 'after an ingest');
  // The file saved before the rounds is brought up to date from the log when opened.
  const header = readKeywordIndexHeader(file);
  assert.equal(header?.changeSeq, savedSeq);
  const opened = openMemoryKeywordIndex(store, file);
  assert.equal(opened.source, 'loaded');
  assert.ok((opened.changesApplied ?? 0) > 0);
  assertSameIndex(opened.index, createMemoryKeywordIndex(store), store, 'opened from an old file');
  assert.equal(readKeywordIndexHeader(file)?.changeSeq, store.changeSeq());
  store.close();
});

test('many one-product updates (bounds scaled, not recomputed, between exact passes) keep the same top-k as a full build', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'single', 'store.db') });
  const r = seededRandom(23);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 150 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  for (let i = 0; i < 30; i++) {
    // Long and short products in turn, so avgdl moves both ways.
    const p = randomProduct(i % 3 === 2 ? `p${Math.floor(r() * nextId.n)}` : `p${nextId.n++}`, r);
    if (i % 2 === 0) p.description = `${p.description ?? ''} ${WORDS.join(' ')} ${WORDS.join(' ')}`;
    store.upsertProducts([item(p)]);
    index = updateMemoryKeywordIndex(index, store).index;
    const full = createMemoryKeywordIndex(store);
    for (const q of QUERIES) {
      for (const filter of [{}, { inStock: true }]) {
        const a = index.search(q, { k: 5, filter });
        const e = full.search(q, { k: 5, filter });
        assert.deepEqual(a.map((h) => h.key), e.map((h) => h.key), `update ${i}: ${JSON.stringify(q)}`);
        a.forEach((h, j) => assert.ok(Math.abs(h.score - e[j]!.score) <= 1e-9));
      }
    }
  }
  store.close();
});

test('a log that no longer reaches back, another store\'s log, or too many changes rebuild the index', () => {
  const file = path.join(dir, 'trim', 'store.db');
  const store = createSqliteSyncStore({ path: file, changeLogLimit: 5 });
  const r = seededRandom(3);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 100 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  const index = createMemoryKeywordIndex(store);
  const indexFile = path.join(dir, 'trim', 'keyword.idx');
  index.save(indexFile);
  assert.deepEqual(store.changesSince(index.changeSeq), []);
  // More writes than the log keeps (5, trimmed in steps of 1): it no longer reaches back to the index.
  randomWrites(store, r, nextId, 10);
  assert.equal(store.changesSince(index.changeSeq), undefined);
  const updated = updateMemoryKeywordIndex(index, store);
  assert.deepEqual([updated.source, updated.reason], ['built', 'log']);
  assertSameIndex(updated.index, createMemoryKeywordIndex(store), store, 'rebuilt after trim');
  const opened = openMemoryKeywordIndex(store, indexFile);
  assert.deepEqual([opened.source, opened.reason], ['built', 'revision']);
  // Within the kept log, an update applies it.
  const seq = store.changeSeq();
  randomWrites(store, r, nextId, 2);
  assert.ok(store.changesSince(seq) !== undefined);
  assert.equal(updateMemoryKeywordIndex(opened.index, store).source, 'updated');
  store.close();

  // The same path re-created: another log (same seqs, other products).
  fs.rmSync(path.dirname(file), { recursive: true });
  const again = createSqliteSyncStore({ path: file });
  again.upsertProducts(Array.from({ length: 120 }, () => item(randomProduct(`q${nextId.n++}`, r))));
  assert.notEqual(again.changeLogId(), index.revision);
  const rebuilt = updateMemoryKeywordIndex(opened.index, again);
  assert.deepEqual([rebuilt.source, rebuilt.reason], ['built', 'log']);
  assert.equal(rebuilt.index.size, 120);

  // More than KEYWORD_INCREMENTAL_MAX_FRACTION of the products changed: a full build.
  const current = rebuilt.index;
  again.upsertProducts(Array.from({ length: 70 }, () => item(randomProduct(`q${nextId.n++}`, r))));
  const many = updateMemoryKeywordIndex(current, again);
  assert.deepEqual([many.source, many.reason], ['built', 'changes']);
  assertSameIndex(many.index, createMemoryKeywordIndex(again), again, 'rebuilt after many changes');
  again.close();
});

test('the change log: one row per written product, updates keep the key, delete-and-re-add is a new key; old stores migrate', () => {
  const file = path.join(dir, 'log', 'store.db');
  const store = createSqliteSyncStore({ path: file });
  const r = seededRandom(5);
  assert.equal(store.changeSeq(), 0);
  assert.deepEqual(store.changesSince(0), []);
  assert.ok(store.changeLogId().length > 0);
  const [a, b] = store.upsertProducts([item(randomProduct('a', r)), item(randomProduct('b', r))]);
  store.upsertProducts([item(store.getProduct('a')!.product)]); // unchanged: not logged
  store.upsertProducts([item({ ...store.getProduct('a')!.product, title: 'changed title' })]);
  store.deleteProducts(['b', 'missing']);
  const [b2] = store.upsertProducts([item(randomProduct('b', r))]);
  assert.ok(b2!.key > b!.key);
  assert.deepEqual(store.changesSince(0), [
    { seq: 1, key: a!.key, op: 'upsert' },
    { seq: 2, key: b!.key, op: 'upsert' },
    { seq: 3, key: a!.key, op: 'upsert' },
    { seq: 4, key: b!.key, op: 'delete' },
    { seq: 5, key: b2!.key, op: 'upsert' },
  ]);
  assert.equal(store.changeSeq(), 5);
  assert.deepEqual(store.changesSince(3)?.map((c) => c.seq), [4, 5]);
  assert.throws(() => store.setMeta(CHANGE_LOG_ID_KEY, 'mine'), /managed by the store/);
  assert.equal(store.changesSince(6), undefined, 'ahead of the log');
  // A write that fails rolls its log rows back with it.
  assert.throws(() => store.transaction(() => {
    store.upsertProducts([item(randomProduct('c', r))]);
    throw new Error('abort');
  }));
  assert.equal(store.changeSeq(), 5);
  assert.deepEqual(store.keywordRowsOf([b2!.key, 999, a!.key]).map((row) => [row.key, row.id]), [[a!.key, 'a'], [b2!.key, 'b']]);
  store.close();

  // A store from before the log: no table, no log id. Read-only it has no log; writable it gets one.
  const raw = new Database(file);
  raw.exec(`DROP TABLE product_changes; DELETE FROM meta WHERE key LIKE 'products.change_log%';`);
  raw.close();
  const ro = createSqliteSyncStore({ path: file, readonly: true });
  assert.deepEqual([ro.changeSeq(), ro.changeLogId(), ro.changesSince(0)], [0, '', undefined]);
  const legacyIndex = createMemoryKeywordIndex(ro);
  ro.close();
  const migrated = createSqliteSyncStore({ path: file });
  assert.equal(migrated.changeSeq(), 0);
  assert.deepEqual(migrated.changesSince(0), []);
  assert.notEqual(migrated.getMeta(CHANGE_LOG_ID_KEY), undefined);
  migrated.upsertProducts([item(randomProduct('c', r))]);
  assert.equal(migrated.changesSince(0)?.length, 1);
  // An index built without a log cannot be updated from one: rebuilt.
  assert.deepEqual(updateMemoryKeywordIndex(legacyIndex, migrated).reason, 'log');
  migrated.close();
});

test('an update with a file saves when rebuilt, when the file is missing, and once the unsaved changes reach saveAfterFraction', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'save', 'store.db') });
  const r = seededRandom(17);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 100 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  const file = path.join(dir, 'save', 'keyword.idx');
  let index = createMemoryKeywordIndex(store);
  const add = (): void => void store.upsertProducts([item(randomProduct(`p${nextId.n++}`, r))]);
  add();
  let u = updateMemoryKeywordIndex(index, store, { file, saveAfterFraction: 0.03 });
  assert.deepEqual([u.source, u.saved], ['updated', true], 'file missing');
  index = u.index;
  const seqs: (number | undefined)[] = [];
  for (let i = 0; i < 3; i++) {
    add();
    u = updateMemoryKeywordIndex(index, store, { file, saveAfterFraction: 0.03 });
    index = u.index;
    seqs.push(u.saved ? readKeywordIndexHeader(file)?.changeSeq : undefined);
  }
  // 102 to 104 products: 3 % is 3.06 to 3.12 log rows, so three unsaved changes do not save; the fourth does.
  assert.deepEqual(seqs, [undefined, undefined, undefined]);
  add();
  u = updateMemoryKeywordIndex(index, store, { file, saveAfterFraction: 0.03 });
  assert.equal(u.saved, true);
  assert.equal(readKeywordIndexHeader(file)?.changeSeq, store.changeSeq());
  add();
  assert.equal(updateMemoryKeywordIndex(u.index, store, { file, saveAfterFraction: 0 }).saved, true);
  store.close();
});

test('brand column: brands() are the normalised distinct brands; brandIn agrees with the store\'s FTS5 path', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'brand', 'store.db') });
  const r = seededRandom(11);
  store.upsertProducts(Array.from({ length: 120 }, (_, i) => item(randomProduct(`p${i}`, r))));
  const index = createMemoryKeywordIndex(store);
  const stored = [...store.iterateProducts()].map((p) => p.product);
  const expected = [...new Set(stored.map((p) => brandColumnValue(p.brand)).filter((b): b is string => b !== null))].sort();
  assert.deepEqual(index.brands(), expected);
  assert.ok(index.brands().includes('sony') && !index.brands().includes(' sony '));
  const filter: KeywordFilter = { brandIn: new Set(['SONY', '苹果']) };
  const keys = [...index.keysMatching(filter)];
  const byKey = new Map([...store.iterateProducts()].map((p) => [p.key, p.product]));
  assert.deepEqual(
    keys,
    [...byKey].filter(([, p]) => ['sony', '苹果'].includes(brandColumnValue(p.brand) ?? '')).map(([k]) => k),
  );
  assert.ok(keys.length > 0);
  for (const q of QUERIES.slice(0, 10)) {
    const mem = index.search(q, { k: 500, filter, match: 'all' });
    const fts = store.keywordSearch(q, { k: 500, filter, match: 'all' });
    assert.deepEqual(mem.map((h) => h.key).sort((x, y) => x - y), fts.map((h) => h.key).sort((x, y) => x - y), JSON.stringify(q));
  }
  assert.deepEqual(store.keywordSearch(['red'], { k: 5, filter: { brandIn: new Set() } }), []);
  store.close();
});

// ---- Delta segments: tombstones and a delta between merges -----------------------------------------

/** Words no product had before: an update that brings them adds terms to the dictionary. */
let freshWord = 0;
const fresh = (): string => `neu${freshWord++}x`;

/**
 * One targeted write per step, so every case an update can meet is met in turn: a new product, a
 * content change (new terms), a brand change, a delete, a delete and re-add of the same id in one
 * update or across two, a second change of a product already in the delta, and a delete of one.
 */
function targetedWrite(store: ProductStore, r: () => number, nextId: { n: number }, step: number, inDelta: string[]): string {
  const ids = [...store.iterateProducts()].map((p) => p.product.id);
  const pickId = (): string => ids[Math.floor(r() * ids.length)]!;
  const changed = (id: string): Product => {
    const p = randomProduct(id, r);
    return { ...p, title: `${p.title} ${fresh()}`, brand: BRANDS[step % BRANDS.length] };
  };
  const kind = step % 8;
  if (kind === 0) {
    const id = `p${nextId.n++}`;
    store.upsertProducts([item(randomProduct(id, r))]);
    inDelta.push(id);
    return 'new product';
  }
  if (kind === 1) {
    const id = pickId();
    store.upsertProducts([item(changed(id))]);
    inDelta.push(id);
    return 'content and brand change';
  }
  if (kind === 2) {
    const p = store.getProduct(pickId())!.product;
    store.upsertProducts([item({ ...p, brand: p.brand === '小米' ? 'Sony' : '小米' })]);
    inDelta.push(p.id);
    return 'brand change only';
  }
  if (kind === 3) {
    store.deleteProducts([pickId()]);
    return 'delete';
  }
  if (kind === 4) {
    const id = pickId();
    store.deleteProducts([id]);
    store.upsertProducts([item(changed(id))]);
    inDelta.push(id);
    return 'delete and re-add in one update';
  }
  if (kind === 5) {
    const id = inDelta.find((x) => ids.includes(x)) ?? pickId();
    store.upsertProducts([item(changed(id))]);
    return 'second change of a delta row';
  }
  if (kind === 6) {
    const id = [...inDelta].reverse().find((x) => ids.includes(x)) ?? pickId();
    store.deleteProducts([id]);
    return 'delete of a delta row';
  }
  // Re-add of the product deleted two steps ago (a new key for the same id).
  store.upsertProducts([item(changed(`p${Math.max(0, nextId.n - 3)}`))]);
  return 'several writes';
}

test('delta segment: targeted and random writes, never merged, answer like a full build after every update', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'delta', 'store.db') });
  const r = seededRandom(101);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 160 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  const inDelta: string[] = [];
  for (let step = 0; step < 24; step++) {
    const what = step < 16 ? targetedWrite(store, r, nextId, step, inDelta) : (randomWrites(store, r, nextId, 1 + Math.floor(r() * 6)), 'random writes');
    const u = updateMemoryKeywordIndex(index, store, { mergeFraction: 10 });
    assert.deepEqual([u.source, u.merged], ['updated', false], `step ${step}: ${what}`);
    index = u.index;
    assertSameIndex(index, createMemoryKeywordIndex(store), store, `step ${step} (${what})`);
  }
  // The delta really holds rows and tombstones (the comparisons above went through their paths).
  assert.ok(index.stats().deltaRows > 10 && index.stats().tombstones > 10, JSON.stringify(index.stats()));
  // A brand only one product has: gone from brands() once that product changes brand, back when another takes it.
  store.upsertProducts([item({ ...randomProduct('solo', r), brand: 'Solo Brand' })]);
  index = updateMemoryKeywordIndex(index, store, { mergeFraction: 10 }).index;
  assert.ok(index.brands().includes('solo brand'));
  const soloMain = createMemoryKeywordIndex(store);
  store.upsertProducts([item({ ...randomProduct('solo', r), brand: 'Sony' })]);
  for (const from of [index, soloMain]) {
    const u = updateMemoryKeywordIndex(from, store, { mergeFraction: 10 });
    assert.equal(u.merged, false);
    assert.ok(!u.index.brands().includes('solo brand'));
    assertSameIndex(u.index, createMemoryKeywordIndex(store), store, 'solo brand changed');
  }

  store.close();
});

test('delta segment: merges once delta rows and tombstones pass mergeFraction, and before a save', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'merge', 'store.db') });
  const r = seededRandom(55);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 200 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  const merged: boolean[] = [];
  const inDelta: string[] = [];
  for (let step = 0; step < 12; step++) {
    targetedWrite(store, r, nextId, step, inDelta);
    // 3 % of ~200 products: the 7th changed row (delta rows + tombstones) triggers a merge.
    const u = updateMemoryKeywordIndex(index, store, { mergeFraction: 0.03 });
    merged.push(u.merged);
    index = u.index;
    const { deltaRows, tombstones } = index.stats();
    if (u.merged) assert.deepEqual([deltaRows, tombstones], [0, 0]);
    else assert.ok(deltaRows + tombstones > 0 && deltaRows + tombstones <= 0.03 * index.size, `step ${step}: ${deltaRows} + ${tombstones}`);
    assertSameIndex(index, createMemoryKeywordIndex(store), store, `step ${step}`);
  }
  assert.ok(merged.includes(true) && merged.includes(false), JSON.stringify(merged));
  assert.equal(merged.indexOf(true) >= 2, true, 'the first updates keep a delta');
  // Saving merges: the update that saves reports it.
  targetedWrite(store, r, nextId, 1, inDelta);
  const file = path.join(dir, 'merge', 'keyword.idx');
  const saved = updateMemoryKeywordIndex(index, store, { file, mergeFraction: 10 });
  assert.deepEqual([saved.saved, saved.merged], [true, true]);
  assertSameIndex(saved.index, createMemoryKeywordIndex(store), store, 'merged at save');
  store.close();
});

test('mergeMemoryKeywordIndex folds the delta off the write path: the same answers, later updates of either index still exact', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'explicit-merge', 'store.db') });
  const r = seededRandom(66);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 200 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  assert.equal(mergeMemoryKeywordIndex(index), index, 'nothing pending: the same index');
  for (let round = 0; round < 3; round++) {
    randomWrites(store, r, nextId, 12);
    const u = updateMemoryKeywordIndex(index, store, { mergeFraction: Infinity });
    assert.equal(u.merged, false);
    const before = u.index.stats();
    assert.ok(before.deltaRows + before.tombstones > 0, JSON.stringify(before));
    const merged = mergeMemoryKeywordIndex(u.index);
    assert.deepEqual([merged.stats().deltaRows, merged.stats().tombstones], [0, 0]);
    assert.deepEqual([merged.revision, merged.changeSeq, merged.size], [u.index.revision, u.index.changeSeq, u.index.size]);
    const rebuilt = createMemoryKeywordIndex(store);
    assertSameIndex(merged, rebuilt, store, `round ${round}: merged`);
    assertSameIndex(u.index, rebuilt, store, `round ${round}: the unmerged index, still usable`);
    // Both go on: the merged index, and the unmerged one (whose dictionary the merged one now owns).
    randomWrites(store, r, nextId, 5);
    // New terms, which both updates add to a dictionary of their own.
    store.upsertProducts([item({ ...randomProduct(`p${nextId.n++}`, r), title: `novel${round} 红色 dress` })]);
    const fromMerged = updateMemoryKeywordIndex(merged, store, { mergeFraction: Infinity }).index;
    const fromUnmerged = updateMemoryKeywordIndex(u.index, store, { mergeFraction: Infinity }).index;
    const rebuiltAgain = createMemoryKeywordIndex(store);
    assertSameIndex(fromMerged, rebuiltAgain, store, `round ${round}: updated after the merge`);
    assertSameIndex(fromUnmerged, rebuiltAgain, store, `round ${round}: the unmerged index updated`);
    for (const updated of [fromMerged, fromUnmerged]) assert.equal(updated.documentFrequencies([`novel${round}`]).get(`novel${round}`), 1);
    index = round % 2 === 0 ? fromMerged : fromUnmerged;
  }
  store.close();
});

test('delta segment: every version stays usable at its state; updating an older version again forks its tombstones and terms', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'fork', 'store.db') });
  const r = seededRandom(77);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 150 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  const v0 = createMemoryKeywordIndex(store);
  const answers = (index: KeywordIndex): unknown =>
    QUERIES.slice(0, 12).map((q) => [index.search(q, { k: 10 }), index.search(q, { k: 10, match: 'all', filter: { inStock: true } }), [...index.documentFrequencies(q)]]);
  const inDelta: string[] = [];
  targetedWrite(store, r, nextId, 1, inDelta);
  targetedWrite(store, r, nextId, 3, inDelta);
  const v1 = updateMemoryKeywordIndex(v0, store, { mergeFraction: 10 }).index;
  const v1Answers = answers(v1);
  const v1Brands = v1.brands();
  const expectedV1 = createMemoryKeywordIndex(store);
  targetedWrite(store, r, nextId, 4, inDelta);
  targetedWrite(store, r, nextId, 2, inDelta);
  const v2 = updateMemoryKeywordIndex(v1, store, { mergeFraction: 10 }).index;
  assertSameIndex(v2, createMemoryKeywordIndex(store), store, 'v2');
  const v2Answers = answers(v2);
  // v1 is unchanged by v2's tombstones and terms.
  assert.deepEqual(answers(v1), v1Answers);
  assert.deepEqual(v1.brands(), v1Brands);
  assert.deepEqual(answers(v1), answers(expectedV1));
  // More writes (low keys first, so the fork tombstones rows in another order than v2 did), then v1
  // updated again: a fork that must equal a full build and leave v2 as it was.
  store.deleteProducts(['p0', 'p1']);
  store.upsertProducts([item({ ...randomProduct('p2', r), title: `${fresh()} red` })]);
  targetedWrite(store, r, nextId, 5, inDelta);
  const v2b = updateMemoryKeywordIndex(v1, store, { mergeFraction: 10 }).index;
  assertSameIndex(v2b, createMemoryKeywordIndex(store), store, 'v1 updated again');
  assert.deepEqual(answers(v2), v2Answers, 'v2 after the fork');
  targetedWrite(store, r, nextId, 0, inDelta);
  targetedWrite(store, r, nextId, 6, inDelta);
  const v3 = updateMemoryKeywordIndex(v2, store, { mergeFraction: 10 }).index;
  const v3b = updateMemoryKeywordIndex(v2b, store, { mergeFraction: 10 }).index;
  const full = createMemoryKeywordIndex(store);
  assertSameIndex(v3, full, store, 'v2 then v3');
  assertSameIndex(v3b, full, store, 'fork then v3');
  assert.deepEqual(answers(v1), v1Answers);
  store.close();
});

test('delta segment: a saved index with a delta loads as its merged segments; format 2 files load, unknown formats are rebuilt', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'file', 'store.db') });
  const r = seededRandom(9);
  const nextId = { n: 0 };
  store.upsertProducts(Array.from({ length: 150 }, () => item(randomProduct(`p${nextId.n++}`, r))));
  let index = createMemoryKeywordIndex(store);
  const inDelta: string[] = [];
  for (let step = 0; step < 8; step++) {
    targetedWrite(store, r, nextId, step, inDelta);
    index = updateMemoryKeywordIndex(index, store, { mergeFraction: 10 }).index;
  }
  const file = path.join(dir, 'file', 'keyword.idx');
  index.save(file);
  const loaded = loadMemoryKeywordIndex(file, { revision: store.revision() });
  assertSameIndex(loaded, createMemoryKeywordIndex(store), store, 'loaded');
  assertSameIndex(loaded, index, store, 'loaded vs the index with a delta');
  assert.equal(readKeywordIndexHeader(file)?.formatVersion, KEYWORD_INDEX_FORMAT_VERSION);
  // The same sections under format 2 (written before delta segments) load and answer alike.
  const bytes = fs.readFileSync(file);
  const v2File = path.join(dir, 'file', 'v2.idx');
  bytes.writeUInt32LE(2, 8);
  fs.writeFileSync(v2File, bytes);
  assertSameIndex(loadMemoryKeywordIndex(v2File), index, store, 'format 2');
  // A format this code does not read: refused by load, rebuilt by open.
  bytes.writeUInt32LE(KEYWORD_INDEX_FORMAT_VERSION + 1, 8);
  fs.writeFileSync(v2File, bytes);
  assert.throws(() => loadMemoryKeywordIndex(v2File), (e: unknown) => isProdsimError(e) && e.code === 'INDEX_STALE' && e.details?.reason === 'format');
  const opened = openMemoryKeywordIndex(store, v2File);
  assert.deepEqual([opened.source, opened.reason], ['built', 'format']);
  assertSameIndex(opened.index, index, store, 'rebuilt from an unknown format');
  store.close();
});
