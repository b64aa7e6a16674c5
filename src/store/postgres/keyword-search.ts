/**
 * Keyword retrieval in the database: `ts_rank` over the weighted tsvector of the analyser's tokens,
 * each query token's rank weighted by its BM25 idf (ts_rank has none), with the product filter in
 * the same query.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { hanNgramTokens } from '../../text/han-ngrams.ts';
import { phraseTokens } from '../sqlite/sqlite-sync-store.ts';
import type { KeywordHit, KeywordSearchOptions } from '../store.ts';
import { query } from './connection.ts';
import { revision } from './meta.ts';
import { countProducts } from './product-reads.ts';
import { filterSql } from './product-filter.ts';
import type { KeywordColumn, PgStoreState } from './state.ts';
import { TS_RANK_WEIGHTS, lexeme } from './tsvector.ts';

/** Forgets the cached frequencies (and product count) when the store's revision moved on. */
async function followRevision(s: PgStoreState): Promise<void> {
  const current = await revision(s);
  if (current === s.frequencies.revision) return;
  s.frequencies.byColumn.keywords.clear();
  s.frequencies.byColumn.han_keywords.clear();
  s.frequencies.count = undefined;
  s.frequencies.revision = current;
}

/** In how many products each token occurs in a tsvector column (cached per store revision). */
export async function documentFrequencies(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<Map<string, number>> {
  await followRevision(s);
  const cache = s.frequencies.byColumn[column];
  const missing = [...new Set(tokens)].filter((t) => !cache.has(t));
  if (missing.length > 0) {
    // One GIN lookup per token, in one statement (a UNION: Citus plans no correlated subquery over unnest).
    const asked = missing.filter((t) => t.trim().length > 0);
    if (asked.length > 0) {
      const params: unknown[] = [];
      const parts = asked.map((t) => {
        params.push(t, lexeme(t));
        return `SELECT $${params.length - 1}::text AS t, count(*) AS n FROM products WHERE ${column} @@ $${params.length}::tsquery`;
      });
      for (const r of await query<{ t: string; n: string }>(s, parts.join(' UNION ALL '), params)) cache.set(r.t, Number(r.n));
    }
    for (const t of missing) if (!cache.has(t)) cache.set(t, 0);
  }
  const out = new Map<string, number>();
  for (const t of tokens) out.set(t, cache.get(t) ?? 0);
  return out;
}

/** BM25's idf of each token: a rare token's match counts for more than a common one's. */
async function inverseDocumentFrequencies(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<number[]> {
  const df = await documentFrequencies(s, tokens, column);
  // The product count of the revision the frequencies are of (cached with them).
  if (s.frequencies.count === undefined) s.frequencies.count = await countProducts(s);
  const n = Math.max(1, s.frequencies.count);
  return tokens.map((t) => Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5)));
}

export async function keywordSearch(s: PgStoreState, queryTokens: readonly string[], searchOptions: KeywordSearchOptions): Promise<KeywordHit[]> {
  const { k, filter } = searchOptions;
  if (!Number.isInteger(k) || k < 1) throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
  rejectUnknownKeys(searchOptions, ['k', 'filter', 'match', 'granularity'], 'keywordSearch');
  const column: KeywordColumn = searchOptions.granularity === 'hanNgrams' ? 'han_keywords' : 'keywords';
  const tokens = phraseTokens(column === 'han_keywords' ? hanNgramTokens(queryTokens) : queryTokens);
  if (tokens.length === 0) return [];
  const idf = await inverseDocumentFrequencies(s, tokens, column);
  const params: unknown[] = [`{${TS_RANK_WEIGHTS.join(',')}}`, k];
  const score = tokens
    .map((t, i) => {
      params.push(lexeme(t));
      return `${idf[i]!.toFixed(6)} * ts_rank($1::float4[], p.${column}, $${params.length}::tsquery, 0)`;
    })
    .join(' + ');
  const all = tokens.map(lexeme).join(searchOptions.match === 'all' ? ' & ' : ' | ');
  params.push(all);
  const where = [`p.${column} @@ $${params.length}::tsquery`, ...filterSql(filter, params)];
  const rows = await query<{ id: string; key: string; score: number }>(
    s,
    `SELECT p.id, p.key, (${score}) AS score FROM products p WHERE ${where.join(' AND ')} ORDER BY score DESC, p.key LIMIT $2`,
    params,
  );
  return rows.map((r): KeywordHit => ({ id: r.id, key: Number(r.key), score: Number(r.score) }));
}
