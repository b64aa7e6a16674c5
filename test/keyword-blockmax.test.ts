/**
 * Block-Max MaxScore (`pruning: 'blockmax'`, the default) against the exhaustive path (`none`) on
 * random corpora whose posting lists span many blocks: hits, order (ties by key) and scores must be
 * exactly equal, for common single terms, a few terms, many terms, k from 1 to 100, with filters, and
 * on an index carrying tombstones and a delta segment after upserts and deletes (where block maxima,
 * computed with the main segment's avgdl, are scaled to the live one). MaxScore is checked alongside.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Product } from '../src/catalog/product.ts';
import { seededRandom } from '../src/random.ts';
import {
  analyzeProduct,
  createMemoryKeywordIndex,
  createMemoryKeywordIndexFromRows,
  createSqliteSyncStore,
  updateMemoryKeywordIndex,
  type KeywordFilter,
  type KeywordIndex,
  type KeywordRow,
} from '../src/store/index.ts';
import { BLOCK_SIZE } from '../src/store/keyword/block-max.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const analyzer = createTextAnalyzer();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-kw-blockmax-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const BRANDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];
const CATEGORIES = ['服装/女装/连衣裙', '服装/男装', '数码/手机', '数码/耳机', 'home/kitchen'];
/** Vocabulary: a few words in most rows, then a Zipf-like tail (word i drawn with weight 1/(i+1)). */
const VOCAB = Array.from({ length: 120 }, (_, i) => `w${i}`);
const FILTERS: KeywordFilter[] = [
  {},
  {},
  { categoryPrefix: '服装' },
  { minPrice: 100, maxPrice: 400 },
  { inStock: true },
  { brandIn: new Set(['acme', 'hooli']) },
  { categoryPrefix: '数码', inStock: true, minPrice: 50 },
];
const KS = [1, 2, 3, 5, 10, 20, 50, 100];

function zipfPicker(r: () => number): () => string {
  const weights = VOCAB.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return () => {
    let x = r() * total;
    for (let i = 0; i < VOCAB.length; i++) {
      x -= weights[i]!;
      if (x <= 0) return VOCAB[i]!;
    }
    return VOCAB[VOCAB.length - 1]!;
  };
}

/**
 * Rows whose term weights drift along the key order (a word is frequent in the title in one stretch of
 * keys and rare elsewhere), so block maxima differ from block to block and whole windows can be
 * skipped; every 17th row copies an earlier one (equal scores: ties by key).
 */
function randomRows(count: number, seed: number): KeywordRow[] {
  const r = seededRandom(seed);
  const word = zipfPicker(r);
  const rows: KeywordRow[] = [];
  for (let i = 0; i < count; i++) {
    const key = i + 1;
    if (i % 17 === 16) {
      const from = rows[Math.floor(r() * rows.length)]!;
      rows.push({ ...from, key, id: `r${key}` });
      continue;
    }
    const stretch = Math.floor((i / count) * 8);
    const title = Array.from({ length: 1 + Math.floor(r() * 6) }, () => (r() < 0.3 ? `w${stretch}` : word()));
    const description = Array.from({ length: Math.floor(r() * (stretch % 2 === 0 ? 30 : 6)) }, word);
    if (r() < 0.8) description.push('common');
    rows.push({
      key,
      id: `r${key}`,
      category: r() < 0.9 ? CATEGORIES[Math.floor(r() * CATEGORIES.length)]! : null,
      price: r() < 0.9 ? Math.round(r() * 500) : null,
      inStock: r() < 0.8 ? r() < 0.6 : null,
      brand: r() < 0.8 ? BRANDS[Math.floor(r() * BRANDS.length)]! : null,
      tokens: {
        title,
        brand: [],
        tags: r() < 0.3 ? [word()] : [],
        category: [],
        description,
        attributes: r() < 0.2 ? [word(), word()] : [],
      },
    });
  }
  return rows;
}

/** Queries of every shape: one common word, a few words, many words (whole titles), unknown words mixed in. */
function randomQueries(count: number, seed: number): { tokens: string[]; k: number; filter: KeywordFilter }[] {
  const r = seededRandom(seed);
  const word = zipfPicker(r);
  return Array.from({ length: count }, (_, i) => {
    const shape = i % 5;
    let tokens: string[];
    if (shape === 0) tokens = [r() < 0.5 ? 'common' : VOCAB[Math.floor(r() * 8)]!];
    else if (shape === 1 || shape === 2) tokens = Array.from({ length: 2 + Math.floor(r() * 3) }, word);
    else if (shape === 3) tokens = Array.from({ length: 8 + Math.floor(r() * 14) }, word);
    else tokens = ['common', word(), word(), r() < 0.5 ? 'nosuchword' : BRANDS[0]!];
    return { tokens, k: KS[Math.floor(r() * KS.length)]!, filter: FILTERS[Math.floor(r() * FILTERS.length)]! };
  });
}

const show = (filter: KeywordFilter): string => JSON.stringify(filter, (_, v: unknown) => (v instanceof Set ? [...v] : v));

/** Block-max and MaxScore equal the exhaustive path exactly (keys, ids, order, bit-identical scores); returns how many queries had hits. */
function assertPrunedEqualExhaustive(index: KeywordIndex, queries: ReturnType<typeof randomQueries>, what: string): number {
  let withHits = 0;
  for (const [qi, { tokens, k, filter }] of queries.entries()) {
    const exhaustive = index.search(tokens, { k, filter, pruning: 'none' });
    if (exhaustive.length > 0) withHits++;
    for (const pruning of ['blockmax', 'maxscore'] as const) {
      const got = index.search(tokens, { k, filter, pruning });
      assert.deepEqual(got, exhaustive, `${what}: query ${qi} ${JSON.stringify(tokens)} k=${k} ${show(filter)} ${pruning}`);
    }
  }
  assert.deepEqual(
    queries.slice(0, 20).map((q) => index.search(q.tokens, { k: q.k, filter: q.filter })),
    queries.slice(0, 20).map((q) => index.search(q.tokens, { k: q.k, filter: q.filter, pruning: 'blockmax' })),
    `${what}: blockmax is the default`,
  );
  return withHits;
}

test('block-max gives the exhaustive top-k exactly on random corpora with long posting lists (terms, k, filters, ties)', () => {
  for (const seed of [1, 2, 3]) {
    const rows = randomRows(5000 + seed * 700, seed);
    const index = createMemoryKeywordIndexFromRows(rows, `r${seed}`);
    const queries = randomQueries(150, 100 + seed);
    const withHits = assertPrunedEqualExhaustive(index, queries, `seed ${seed}`);
    assert.ok(withHits > 120, `seed ${seed}: only ${withHits} queries had hits`);
    // The common terms' lists span many blocks, and their block maxima were computed (the block path ran).
    assert.ok(index.documentFrequencies(['common']).get('common')! > 20 * BLOCK_SIZE);
    assert.ok(index.stats().blockMaxTerms >= 8, JSON.stringify(index.stats()));
  }
});

test('block-max with k past the matching rows, a single row, and terms only some rows hold', () => {
  const rows = randomRows(3000, 9);
  const index = createMemoryKeywordIndexFromRows(rows, 'r9');
  for (const tokens of [['common'], ['w0'], ['w119'], ['w0', 'w1', 'w119'], ['nosuchword', 'w5'], ['w3', 'w3', 'common']]) {
    for (const k of [1, 2, 7, 64, 65, 100, 5000]) {
      for (const filter of FILTERS) {
        const exhaustive = index.search(tokens, { k, filter, pruning: 'none' });
        assert.deepEqual(index.search(tokens, { k, filter }), exhaustive, `${JSON.stringify(tokens)} k=${k} ${show(filter)}`);
      }
    }
  }
});

/**
 * A catalog ingested in clusters (keys in category then brand order), titles brand + colour + thing +
 * filler, like the synthetic catalog's: block maxima then differ between clusters, whole windows are
 * skipped, and the terms a window requires change from one window to the next.
 */
function clusteredRows(count: number, seed: number): KeywordRow[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const colours = ['red', 'black', 'white', 'blue', 'pink', 'beige'];
  const things = ['jacket', 'dress', 'kettle', 'headphones', 'backpack', 'keyboard'];
  const fillers = ['new', 'slim', 'portable', 'classic', 'soft', 'light', 'pro', 'mini'];
  const drafts = Array.from({ length: count }, () => {
    const c = Math.floor(r() * CATEGORIES.length);
    const brand = pick(BRANDS);
    const title = [brand, pick(colours), things[(c + Math.floor(r() * 2)) % things.length]!, ...Array.from({ length: Math.floor(r() * 5) }, () => pick(fillers))];
    const description = r() < 0.5 ? Array.from({ length: Math.floor(r() * 12) }, () => pick([...fillers, ...colours])) : [];
    return { c, brand, title, description, tie: r() };
  });
  drafts.sort((a, b) => a.c - b.c || a.brand.localeCompare(b.brand) || a.tie - b.tie);
  return drafts.map((x, i) => ({
    key: i + 1,
    id: `c${i + 1}`,
    category: CATEGORIES[x.c]!,
    price: Math.round(r() * 500),
    inStock: r() < 0.7,
    brand: x.brand,
    tokens: { title: x.title, brand: [x.brand], tags: [], category: [], description: x.description, attributes: [] },
  }));
}

test('block-max on a catalog ingested in clusters (windows skipped, required terms changing between windows) gives the exhaustive top-k', () => {
  const colours = ['red', 'black', 'white', 'blue', 'pink', 'beige'];
  const things = ['jacket', 'dress', 'kettle', 'headphones', 'backpack', 'keyboard'];
  // Seeds where a window's required terms once let the lead skip rows past the window's end (fixed).
  for (const seed of [1, 5, 6]) {
    const index = createMemoryKeywordIndexFromRows(clusteredRows(3000, seed), `c${seed}`);
    const r = seededRandom(seed * 31);
    const queries: ReturnType<typeof randomQueries> = [];
    for (let i = 0; i < 200; i++) {
      const tokens = [BRANDS[Math.floor(r() * BRANDS.length)]!, colours[Math.floor(r() * colours.length)]!, things[Math.floor(r() * things.length)]!];
      for (const k of [1, 5, 10, 20, 50, 100]) queries.push({ tokens, k, filter: i % 10 === 9 ? FILTERS[2 + (i % 5)]! : {} });
    }
    assertPrunedEqualExhaustive(index, queries, `clustered ${seed}`);
  }
});

test('more than k rows tied at the best possible score: the search stops there and keeps the lowest keys', () => {
  // Copies of one short row (the best score any row can reach for the query) spread over random rows.
  const rows = randomRows(4000, 21);
  const best: KeywordRow['tokens'] = { title: ['acme', 'zz1', 'zz2'], brand: ['acme'], tags: ['zz1'], category: [], description: [], attributes: [] };
  for (let i = 5; i < rows.length; i += 23) rows[i] = { ...rows[i]!, tokens: best };
  // Words only the copies hold: their score is the query's ceiling (the search can stop at the k-th copy).
  for (let i = 7; i < rows.length; i += 31) rows[i] = { ...rows[i]!, tokens: { ...rows[i]!.tokens, title: ['zz1', 'w3'], tags: ['zz2'] } };
  const copies = rows.filter((row) => row.tokens === best).map((row) => row.key);
  const index = createMemoryKeywordIndexFromRows(rows, 'ties');
  for (const [k, query] of [1, 10, 50, copies.length - 1, copies.length, copies.length + 5].flatMap((k) => [[k, ['acme', 'zz1', 'zz2']], [k, ['zz1', 'zz2', 'acme', 'w3']]] as const)) {
    for (const pruning of ['maxscore', 'blockmax', 'none'] as const) {
      const hits = index.search(query, { k, pruning });
      assert.equal(hits.length, k, `${pruning} k=${k} ${query.join(' ')}`);
      const tied = hits.filter((h) => h.score === hits[0]!.score);
      assert.deepEqual(
        tied.map((h) => h.key),
        copies.slice(0, Math.min(k, copies.length)),
        `${pruning} k=${k}: the copies, lowest keys first`,
      );
      if (pruning !== 'none') assert.deepEqual(hits, index.search(query, { k, pruning: 'none' }), `${pruning} k=${k}`);
    }
  }
});

const WORDS = ['红色', '黑色', '连衣裙', '夏季', '华为', '手机', '耳机', '蓝牙', 'red', 'black', 'dress', 'phone', 'case', 'steel', '1.5l', 'iphone-15', 'cotton', 'linen'];
const STORE_BRANDS = ['华为', '小米', 'Sony', 'Apple', '苹果'];

function randomProduct(id: string, r: () => number, long = false): Product {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  return {
    id,
    title: words(1 + Math.floor(r() * (long ? 12 : 4))),
    description: r() < 0.6 ? words(Math.floor(r() * (long ? 40 : 8))) : undefined,
    tags: r() < 0.3 ? [pick(WORDS)] : [],
    brand: r() < 0.7 ? pick(STORE_BRANDS) : undefined,
    category: r() < 0.9 ? pick(CATEGORIES) : undefined,
    price: r() < 0.9 ? Math.round(r() * 500) : undefined,
    inStock: r() < 0.8 ? r() < 0.6 : undefined,
    images: [],
    attributes: r() < 0.3 ? { 颜色: pick(WORDS) } : {},
  };
}

test('block-max after upserts and deletes (tombstones and a delta segment, avgdl moved up and down) equals the exhaustive path and a full build', () => {
  const store = createSqliteSyncStore({ path: path.join(dir, 'updates', 'store.db') });
  const r = seededRandom(77);
  const item = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });
  let next = 0;
  store.upsertProducts(Array.from({ length: 1500 }, () => item(randomProduct(`p${next++}`, r))));
  let index = createMemoryKeywordIndex(store);
  const r2 = seededRandom(78);
  const queries = Array.from({ length: 60 }, (_, i) => {
    const n = i % 4 === 0 ? 1 : i % 4 === 3 ? 6 + Math.floor(r2() * 8) : 2 + Math.floor(r2() * 3);
    const text = Array.from({ length: n }, () => WORDS[Math.floor(r2() * WORDS.length)]!).join(' ');
    return { tokens: analyzer.analyze(text).tokens, k: KS[Math.floor(r2() * KS.length)]!, filter: FILTERS[Math.floor(r2() * FILTERS.length)]! };
  });
  // Long products first (avgdl grows past the main segment's: bounds scaled up), then short ones and deletes (avgdl falls back).
  for (const [step, long] of [true, true, false, false, false].entries()) {
    const ids = [...store.iterateProducts()].map((p) => p.product.id);
    const writes = Array.from({ length: 40 }, () => item(randomProduct(r() < 0.5 ? `p${next++}` : ids[Math.floor(r() * ids.length)]!, r, long)));
    store.upsertProducts(writes);
    if (!long) store.deleteProducts(Array.from({ length: 30 }, () => ids[Math.floor(r() * ids.length)]!));
    const u = updateMemoryKeywordIndex(index, store, { mergeFraction: 10 });
    assert.deepEqual([u.source, u.merged], ['updated', false], `step ${step}`);
    index = u.index;
    const stats = index.stats();
    assert.ok(stats.deltaRows > 0 && stats.tombstones > 0, JSON.stringify(stats));
    assertPrunedEqualExhaustive(index, queries, `step ${step}`);
    const rebuilt = createMemoryKeywordIndex(store);
    for (const [qi, q] of queries.entries()) {
      const a = index.search(q.tokens, { k: q.k, filter: q.filter });
      const e = rebuilt.search(q.tokens, { k: q.k, filter: q.filter });
      const label = `step ${step} query ${qi} ${JSON.stringify(q.tokens)} k=${q.k} ${show(q.filter)}`;
      assert.deepEqual(a.map((h) => h.key), e.map((h) => h.key), label);
      a.forEach((h, i) => assert.ok(Math.abs(h.score - e[i]!.score) <= 1e-9, `${label} #${i}`));
    }
  }
  store.close();
});
