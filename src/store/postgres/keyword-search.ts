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
import { isDistributed } from './meta.ts';
import { followRevision, productCountAtRevision } from './revision-cache.ts';
import { storedFrequencies } from './keyword-frequencies.ts';
import { filterSql } from './product-filter.ts';
import type { KeywordColumn, PgStoreState } from './state.ts';
import { TS_RANK_TERM_BOUND, TS_RANK_WEIGHTS, lexeme } from './tsvector.ts';

/** In how many products each token occurs in a tsvector column (cached per store revision). */
export async function documentFrequencies(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<Map<string, number>> {
  await followRevision(s);
  const cache = s.frequencies.byColumn[column];
  const missing = [...new Set(tokens)].filter((t) => !cache.has(t));
  if (missing.length > 0) {
    // Kept by the writes (`keyword-frequencies.ts`): one primary-key lookup per token, not a count of its products.
    for (const [t, n] of await storedFrequencies(s, column, missing)) cache.set(t, n);
  }
  const out = new Map<string, number>();
  for (const t of tokens) out.set(t, cache.get(t) ?? 0);
  return out;
}

/** BM25's idf of each token (a rare token's match counts for more than a common one's), and each token's document frequency. */
async function tokenWeights(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<{ idf: number[]; df: number[] }> {
  const frequencies = await documentFrequencies(s, tokens, column);
  // The product count of the revision the frequencies are of (cached with them).
  const n = Math.max(1, await productCountAtRevision(s));
  const df = tokens.map((t) => frequencies.get(t) ?? 0);
  // Rounded as the statement writes them, so bounds computed here hold for the scores it computes.
  return { idf: df.map((d) => Number(Math.log(1 + (n - d + 0.5) / (d + 0.5)).toFixed(6))), df };
}

/**
 * The first, pruned statement of an any-token search ranks the rows holding the rarest query
 * tokens, until their frequencies add up to this many times k (see `keywordSearch`).
 */
export const KEYWORD_PROBE_ROWS_PER_K = 2;

type Hit = { id: string; key: string; score: number };

/**
 * MaxScore over ts_rank for an any-token search: which query tokens a row must hold to be ranked,
 * given `floor`, a score k rows are known to reach. A row holding none of them scores at most the
 * others' idf × TS_RANK_TERM_BOUND summed, kept below `floor`: it cannot enter the top k. The most
 * common tokens are left out first (ranking the 70 % of rows holding "色" was most of a search).
 */
function tokensToMatch(tokens: readonly string[], idf: readonly number[], floor: number): string[] {
  const byIdf = tokens.map((t, i) => ({ t, bound: idf[i]! * TS_RANK_TERM_BOUND })).sort((a, b) => a.bound - b.bound);
  let leftOut = 0;
  let bound = 0;
  while (leftOut < byIdf.length && bound + byIdf[leftOut]!.bound < floor) bound += byIdf[leftOut++]!.bound;
  return byIdf.slice(leftOut).map((x) => x.t);
}

export async function keywordSearch(s: PgStoreState, queryTokens: readonly string[], searchOptions: KeywordSearchOptions): Promise<KeywordHit[]> {
  const { k, filter } = searchOptions;
  if (!Number.isInteger(k) || k < 1) throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
  rejectUnknownKeys(searchOptions, ['k', 'filter', 'match', 'granularity'], 'keywordSearch');
  const column: KeywordColumn = searchOptions.granularity === 'hanNgrams' ? 'han_keywords' : 'keywords';
  const tokens = phraseTokens(column === 'han_keywords' ? hanNgramTokens(queryTokens) : queryTokens);
  if (tokens.length === 0) return [];
  const { idf, df } = await tokenWeights(s, tokens, column);
  const params: unknown[] = [`{${TS_RANK_WEIGHTS.join(',')}}`, k];
  const once = !(await isDistributed(s));
  const vector = once ? 'm.v' : `p.${column}`;
  const score = tokens
    .map((t, i) => {
      params.push(lexeme(t));
      return `${idf[i]!.toFixed(6)} * ts_rank($1::float4[], ${vector}, $${params.length}::tsquery, 0)`;
    })
    .join(' + ');
  const filters = filterSql(filter, params);
  const where = (matchParam: number) => [`p.${column} @@ $${matchParam}::tsquery`, ...filters].join(' AND ');
  // Each ts_rank call over a stored (TOASTed) tsvector decompresses it again: one per query token.
  // The inner query hands the outer one each matching row's vector once, decompressed (`|| ''`), and
  // OFFSET 0 keeps the planner from folding it back into every call. A Chinese query's 15 n-gram
  // ranks over 11k matching rows at 100k products: 714-1,012 ms → 174-355 ms, the same rows and scores.
  // Citus would plan such a subquery on the coordinator, pulling every matching row there: the
  // distributed layout keeps the flat statement.
  const statement = (matchParam: number) =>
    once
      ? `SELECT m.id, m.key, (${score}) AS score FROM (SELECT p.id, p.key, p.${column} || ''::tsvector AS v FROM products p WHERE ${where(matchParam)} OFFSET 0) m ORDER BY score DESC, m.key LIMIT $2`
      : `SELECT p.id, p.key, (${score}) AS score FROM products p WHERE ${where(matchParam)} ORDER BY score DESC, p.key LIMIT $2`;
  const ranked = (matched: readonly string[], operator: ' & ' | ' | ') => query<Hit>(s, statement(params.length + 1), [...params, matched.map(lexeme).join(operator)]);
  if (searchOptions.match === 'all') return hits(await ranked(tokens, ' & '));
  // First the rows of the rarest tokens: their k-th score is a floor the top k reaches. Then only
  // rows holding a token that can lift a row to that floor are ranked (the same rows' scores, so the
  // same top k as ranking every matching row), or nothing more when the first statement covered them.
  const rarest = tokens.map((t, i) => ({ t, df: df[i]! })).sort((a, b) => a.df - b.df);
  const probe: string[] = [];
  for (let rows = 0, i = 0; i < rarest.length && rows < KEYWORD_PROBE_ROWS_PER_K * k; i++) {
    probe.push(rarest[i]!.t);
    rows += rarest[i]!.df;
  }
  if (probe.length === tokens.length) return hits(await ranked(tokens, ' | '));
  const first = await ranked(probe, ' | ');
  const floor = first.length === k ? Number(first[k - 1]!.score) : 0;
  const needed = tokensToMatch(tokens, idf, floor);
  if (needed.every((t) => probe.includes(t))) return hits(first);
  return hits(await ranked(needed, ' | '));
}

const hits = (rows: readonly Hit[]) => rows.map((r): KeywordHit => ({ id: r.id, key: Number(r.key), score: Number(r.score) }));
