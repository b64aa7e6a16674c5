/**
 * Keyword search on the SQLite store: FTS5 with bm25 weighted per column, filtered by the product
 * columns, all tokens first, then (on large stores) without the common tokens, then every token.
 */
import { categoryLevels } from '../../catalog/product.ts';
import { createError } from '../../errors.ts';
import { ANALYZED_FIELDS, KEYWORD_COLUMN_WEIGHTS, brandColumnValue, type KeywordFilter, type KeywordHit, type KeywordSearchOptions } from '../store.ts';
import { phraseTokens, toFtsPhrases } from './fts-query.ts';
import type { SqliteStoreState } from './state.ts';

/**
 * Keyword queries in `any` mode try "every token" first and return it when it already fills k:
 * much faster on large catalogs, and products with every query token are the best OR matches
 * in all but rare cases (a product missing one common token but repeating the rare ones).
 */
export const KEYWORD_ALL_TOKENS_FIRST = true;
/**
 * Then, on stores of at least `minProducts`, an OR query leaves out "common" tokens (in more than
 * `commonFraction` of products) when rarer tokens remain, and returns that when it fills k: the
 * common tokens' postings are what make a large OR query slow, and their bm25 weight is small.
 * Only when that finds fewer than k does the full OR query run.
 */
export const KEYWORD_COMMON_TOKEN_PRUNING = { minProducts: 10_000, commonFraction: 0.05 } as const;
/** Document frequencies are cached per store handle (cleared on every write), at most this many tokens. */
const DF_CACHE_LIMIT = 100_000;
const BM25_WEIGHTS = ANALYZED_FIELDS.map((f) => KEYWORD_COLUMN_WEIGHTS[f]).join(', ');

export function documentFrequencies(s: SqliteStoreState, tokens: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tokens) {
    if (out.has(t)) continue;
    let n = s.dfCache.get(t);
    if (n === undefined) {
      n = (s.stmt.documentFrequency.get(t) as number | undefined) ?? 0;
      if (s.dfCache.size >= DF_CACHE_LIMIT) s.dfCache.clear();
      s.dfCache.set(t, n);
    }
    out.set(t, n);
  }
  return out;
}

/** The WHERE clauses and parameters of a keyword query with `filter` (`@match` bound per run). */
function filterClauses(filter: KeywordFilter, k: number): { where: string[]; params: Record<string, unknown> } {
  const where: string[] = ['keyword_index MATCH @match'];
  const params: Record<string, unknown> = { k };
  const prefixLevels = categoryLevels(filter.categoryPrefix);
  if (prefixLevels.length > 0) {
    const prefix = prefixLevels.join('/');
    where.push(`(p.category = @cat OR substr(p.category, 1, @catLen) = @catSlash)`);
    params.cat = prefix;
    params.catSlash = `${prefix}/`;
    params.catLen = [...`${prefix}/`].length;
  }
  if (filter.minPrice !== undefined) {
    where.push('p.price >= @minPrice');
    params.minPrice = filter.minPrice;
  }
  if (filter.maxPrice !== undefined) {
    where.push('p.price <= @maxPrice');
    params.maxPrice = filter.maxPrice;
  }
  if (filter.inStock !== undefined) {
    where.push('p.in_stock = @inStock');
    params.inStock = filter.inStock ? 1 : 0;
  }
  if (filter.brandIn !== undefined) {
    // Read from the product JSON (no brand column): a filter on brand scans the matching rows' JSON.
    where.push(`prodsim_brand(json_extract(p.json, '$.brand')) IN (SELECT value FROM json_each(@brands))`);
    params.brands = JSON.stringify([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null));
  }
  return { where, params };
}

export function keywordSearch(s: SqliteStoreState, queryTokens: readonly string[], options: KeywordSearchOptions): KeywordHit[] {
  const { k, filter = {} } = options;
  if (!Number.isInteger(k) || k < 1) {
    throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
  }
  const phrases = toFtsPhrases(queryTokens);
  if (phrases.length === 0) return [];
  const { where, params } = filterClauses(filter, k);
  const sql = `SELECT p.id AS id, p.key AS key, bm25(keyword_index, ${BM25_WEIGHTS}) AS rank
    FROM keyword_index JOIN products p ON p.key = keyword_index.rowid
    WHERE ${where.join(' AND ')} ORDER BY rank LIMIT @k`;
  let st = s.keywordStatements.get(sql);
  if (!st) {
    st = s.db.prepare(sql);
    s.keywordStatements.set(sql, st);
  }
  const run = (match: string): KeywordHit[] =>
    // SQLite's bm25() is "lower is better" (negative); flip it so higher is better everywhere.
    (st.all({ ...params, match }) as { id: string; key: number; rank: number }[]).map((r) => ({ id: r.id, key: r.key, score: -r.rank }));

  const mode = options.match ?? 'any';
  if (phrases.length === 1) return run(phrases[0]!);
  // All tokens first: an AND query only walks products that have every token, so it stays fast
  // where an OR over common tokens must score a large part of the catalog. Its bm25 equals the OR
  // query's bm25 for those products (every phrase matches), so when it fills k the answer is the
  // OR ranking restricted to the best-covered products.
  const all = run(phrases.join(' AND '));
  if (mode === 'all' || (KEYWORD_ALL_TOKENS_FIRST && all.length >= k)) return all;
  const products = s.stmt.count.get() as number;
  if (products >= KEYWORD_COMMON_TOKEN_PRUNING.minProducts) {
    const limit = KEYWORD_COMMON_TOKEN_PRUNING.commonFraction * products;
    const tokens = phraseTokens(queryTokens);
    const df = documentFrequencies(s, tokens);
    const rare = phrases.filter((_, i) => (df.get(tokens[i]!) ?? 0) <= limit);
    if (rare.length > 0 && rare.length < phrases.length) {
      const pruned = run(rare.join(' OR '));
      if (pruned.length >= k) return pruned;
    }
  }
  return run(phrases.join(' OR '));
}
