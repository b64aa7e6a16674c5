/**
 * Keyword retrieval in the database: `ts_rank` over the weighted tsvector of the analyser's tokens,
 * each query token's rank weighted by its BM25 idf (ts_rank has none), with the product filter in
 * the same query. Exact top k, pruned by MaxScore with each token's stored rank bound.
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
import type { KeywordColumn, LexemeStatistics, PgStoreState } from './state.ts';
import { TS_RANK_TERM_BOUND, TS_RANK_WEIGHTS, lexeme } from './tsvector.ts';

/** Each token's stored statistics in a tsvector column: document frequency and rank bound (cached per store revision). */
async function lexemeStatistics(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<Map<string, LexemeStatistics>> {
  await followRevision(s);
  const cache = s.frequencies.byColumn[column];
  const missing = [...new Set(tokens)].filter((t) => !cache.has(t));
  if (missing.length > 0) {
    // Kept by the writes (`keyword-frequencies.ts`): one primary-key lookup per token, not a count of its products.
    for (const [t, statistics] of await storedFrequencies(s, column, missing)) cache.set(t, statistics);
  }
  return cache;
}

/** In how many products each token occurs in a tsvector column (cached per store revision). */
export async function documentFrequencies(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<Map<string, number>> {
  const statistics = await lexemeStatistics(s, tokens, column);
  return new Map(tokens.map((t) => [t, statistics.get(t)?.n ?? 0]));
}

/**
 * The most one token's ts_rank can be in a row, from its stored bound: float4 rounding (ts_rank
 * computes in float4, `productTsvector` and the migration's fill in float8; within 1e-6 in
 * test/store-postgres-keyword-bounds.test.ts) is covered by the margin. Without a stored bound,
 * the one any tsvector allows.
 */
export function termRankBound(maxRank: number | undefined): number {
  return maxRank === undefined ? TS_RANK_TERM_BOUND : Math.min(TS_RANK_TERM_BOUND, maxRank * (1 + 1e-4) + 1e-6);
}

/**
 * Per query token: BM25's idf (a rare token's match counts for more than a common one's), document
 * frequency, and the most it can add to a row's score (idf × its rank bound; 0 for a token no
 * product holds at the revision read).
 */
async function tokenWeights(s: PgStoreState, tokens: readonly string[], column: KeywordColumn): Promise<{ idf: number[]; df: number[]; bound: number[] }> {
  const statistics = await lexemeStatistics(s, tokens, column);
  // The product count of the revision the frequencies are of (cached with them).
  const n = Math.max(1, await productCountAtRevision(s));
  const df = tokens.map((t) => statistics.get(t)?.n ?? 0);
  // Rounded as the statement writes them, so bounds computed here hold for the scores it computes.
  const idf = df.map((d) => Number(Math.log(1 + (n - d + 0.5) / (d + 0.5)).toFixed(6)));
  const bound = tokens.map((t, i) => (df[i]! > 0 ? idf[i]! * termRankBound(statistics.get(t)?.maxRank) : 0));
  return { idf, df, bound };
}

/**
 * The first, pruned statement of an any-token search ranks the rows holding the rarest query
 * tokens, until their frequencies add up to this many times k (see `keywordSearch`).
 */
export const KEYWORD_PROBE_ROWS_PER_K = 2;

type Hit = { id: string; key: string; score: number };

/**
 * MaxScore over ts_rank for an any-token search: which query tokens a row must hold one of to be
 * ranked, given `floor`, a score k rows are known to reach. A row holding none of them scores at
 * most the others' bounds summed, kept below `floor`: it cannot enter the top k. The tokens adding
 * least are left out first (ranking the 70 % of rows holding "色" was most of a search).
 */
export function tokensToMatch(tokens: readonly string[], bound: readonly number[], floor: number): string[] {
  const byBound = tokens.map((t, i) => ({ t, bound: bound[i]! })).sort((a, b) => a.bound - b.bound);
  let leftOut = 0;
  let sum = 0;
  while (leftOut < byBound.length && sum + byBound[leftOut]!.bound < floor) sum += byBound[leftOut++]!.bound;
  return byBound.slice(leftOut).map((x) => x.t);
}

/**
 * What every row that can reach `floor` holds: a row lacking a set of tokens scores at most the
 * other tokens' bounds summed, so where that is below `floor` it cannot enter the top k, and every
 * such row holds one token of the set. `all`: the tokens no such row lacks; `oneOf`: sets of other
 * tokens no such row lacks all of. The sets: each pair, and each of `groups` (the n-grams of one
 * query word, which rows mostly hold or lack together) cut to its largest bounds that suffice. With the
 * stored rank bounds the sum is close to the best score, so a query's top rows must hold most of
 * its tokens: the statement matches that conjunction.
 */
export function requiredTokens(tokens: readonly string[], bound: readonly number[], floor: number, groups: readonly (readonly string[])[] = []): { all: string[]; oneOf: string[][] } {
  const ceiling = bound.reduce((a, b) => a + b, 0);
  const all = tokens.filter((_, i) => bound[i]! > 0 && ceiling - bound[i]! < floor);
  const oneOf: string[][] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (let j = i + 1; j < tokens.length; j++) {
      if (all.includes(tokens[i]!) || all.includes(tokens[j]!) || bound[i] === 0 || bound[j] === 0) continue;
      if (ceiling - bound[i]! - bound[j]! < floor) oneOf.push([tokens[i]!, tokens[j]!]);
    }
  }
  const boundOf = new Map(tokens.map((t, i) => [t, bound[i]!]));
  for (const group of groups) {
    const members = group.filter((t) => (boundOf.get(t) ?? 0) > 0).sort((a, b) => boundOf.get(b)! - boundOf.get(a)!);
    if (members.length < 3 || members.some((t) => all.includes(t))) continue;
    let lacking = 0;
    for (let n = 0; n < members.length; n++) {
      lacking += boundOf.get(members[n]!)!;
      if (ceiling - lacking < floor) {
        oneOf.push(members.slice(0, n + 1));
        break;
      }
    }
  }
  return { all, oneOf };
}

/** A tsquery: every `all` token, one of each `oneOf` set and, when `any` is given, one of the `any` tokens. */
function tsquery(all: readonly string[], any: readonly string[], oneOf: readonly (readonly string[])[] = []): string {
  const parts = all.map(lexeme);
  for (const set of oneOf) parts.push(`(${set.map(lexeme).join(' | ')})`);
  if (any.length > 0) parts.push(`(${any.map(lexeme).join(' | ')})`);
  return parts.join(' & ');
}

export async function keywordSearch(s: PgStoreState, queryTokens: readonly string[], searchOptions: KeywordSearchOptions): Promise<KeywordHit[]> {
  const { k, filter } = searchOptions;
  if (!Number.isInteger(k) || k < 1) throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
  rejectUnknownKeys(searchOptions, ['k', 'filter', 'match', 'granularity'], 'keywordSearch');
  const column: KeywordColumn = searchOptions.granularity === 'hanNgrams' ? 'han_keywords' : 'keywords';
  const tokens = phraseTokens(column === 'han_keywords' ? hanNgramTokens(queryTokens) : queryTokens);
  if (tokens.length === 0) return [];
  const { idf, df, bound } = await tokenWeights(s, tokens, column);
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
  const ranked = (match: string) => query<Hit>(s, statement(params.length + 1), [...params, match]);
  if (searchOptions.match === 'all') return hits(await ranked(tsquery(tokens, [])));
  // First a floor the top k reaches: the k-th score of the rows holding every query token some
  // product holds, n-grams across two query words aside (with the stored bounds, often the final
  // k-th: then the top rows must hold most tokens), and when fewer than k rows hold them all, of
  // those and the rows of the rarest tokens.
  // Then only rows that can reach the floor are ranked: rows holding every required token and one
  // of the tokens that can lift a row to it (the same rows' scores, so the same top k as ranking
  // every matching row), or nothing more when the statements before covered them.
  const rarest = tokens.map((t, i) => ({ t, df: df[i]! })).sort((a, b) => a.df - b.df);
  const probe: string[] = [];
  for (let rows = 0, i = 0; i < rarest.length && rows < KEYWORD_PROBE_ROWS_PER_K * k; i++) {
    probe.push(rarest[i]!.t);
    rows += rarest[i]!.df;
  }
  if (probe.length === tokens.length) return hits(await ranked(tsquery([], tokens)));
  // The n-grams of one query word: rows mostly hold or lack them together, so one of them is a selective test (any set is exact).
  const groups = column === 'han_keywords' ? queryTokens.map((t) => phraseTokens(hanNgramTokens([t]))) : [];
  // The conjunction leaves out bigrams across two query words (米蓝 of 小米 蓝色): rare, held by
  // other products, and ranked anyway. Requiring one at 1M products left no row holding them all,
  // and the rarest tokens' floor was half the final one (6.0 s for that query).
  const withinWords = column === 'han_keywords' ? new Set(groups.flat()) : undefined;
  const held = tokens.filter((t, i) => df[i]! > 0 && (!withinWords || withinWords.has(t)));
  const conjunction = held.length > 1 ? await ranked(tsquery(held, [])) : [];
  const probed = conjunction.length < k ? await ranked(tsquery([], probe)) : [];
  const best = firstK([...conjunction, ...probed], k);
  const floor = best.length === k ? Number(best[k - 1]!.score) : 0;
  const needed = tokensToMatch(tokens, bound, floor);
  const required = requiredTokens(tokens, bound, floor, groups);
  // Every row that can reach the floor holds a probe token (the probe ranked them all), or holds every token (the conjunction did).
  if (probed.length > 0 && needed.every((t) => probe.includes(t))) return hits(best);
  if (held.length > 1 && held.every((t) => required.all.includes(t))) return hits(conjunction);
  return hits(await ranked(tsquery(required.all, needed, required.oneOf)));
}

/** The first k of rows ranked by two statements, each row once, ordered as the statements order them (score, then key). */
function firstK(rows: readonly Hit[], k: number): Hit[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return [...byId.values()].sort((a, b) => Number(b.score) - Number(a.score) || Number(a.key) - Number(b.key)).slice(0, k);
}

const hits = (rows: readonly Hit[]) => rows.map((r): KeywordHit => ({ id: r.id, key: Number(r.key), score: Number(r.score) }));
