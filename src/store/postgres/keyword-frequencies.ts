/**
 * Document frequencies of the keyword lexemes, and a bound of each one's `ts_rank`, kept in a
 * table (`keyword_frequencies`) by the writing transactions: keyword retrieval weights each query
 * token by its idf, and counting the products that hold a token on every query (one GIN or
 * sequential scan per token) took most of a search: 150–450 ms of 670 ms at 10k products (docs/benchmarks/postgres.md), growing with the
 * catalog. A write subtracts the lexemes of the rows it replaces or deletes and adds those of the
 * rows it wrote, as the tsvector columns hold them, so a count equals
 * `count(*) … WHERE column @@ 'token'` at every committed revision. Writers are serialised by the
 * product-write lock, so the counts never race. On Citus the table is a reference table.
 *
 * `max_rank` (version 8) is the largest `ts_rank(TS_RANK_WEIGHTS, column, 'lexeme')` of any row
 * written since the lexeme was last held by none: an upper bound of its rank in every current row
 * (a removed row never lowers it; once no row holds the lexeme the next write sets it afresh).
 * Keyword search prunes with it: for the synthetic catalog's query tokens it is 0.61–0.79 against
 * the 1.61 any tsvector allows.
 */
import { query, unlimitedQuery } from './connection.ts';
import { isDistributed } from './meta.ts';
import type { KeywordColumn, LexemeStatistics, PgStoreState } from './state.ts';
import { TS_RANK_WEIGHTS } from './tsvector.ts';

const KEYWORD_COLUMNS: readonly KeywordColumn[] = ['keywords', 'han_keywords'];

/** Version 6: the table (its rows filled by `fillKeywordFrequencies` on a database that has products). */
export const KEYWORD_FREQUENCY_TABLE = `
CREATE TABLE IF NOT EXISTS keyword_frequencies (
  col text NOT NULL,
  lexeme text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (col, lexeme)
)`;

/** Version 8: the rank bound of each lexeme (NULL: not known, the bound any tsvector allows serves). */
export const KEYWORD_MAX_RANK_COLUMN = `ALTER TABLE keyword_frequencies ADD COLUMN IF NOT EXISTS max_rank float8`;

/** One lexeme of `unnest(v)` (aliased `u`) as a tsquery, quoted as `tsvector.ts`'s `lexeme` quotes it. */
const LEXEME_QUERY_SQL = `('''' || replace(replace(u.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery`;

/**
 * Each lexeme's largest `ts_rank` over every product's tsvector in a column (a migration's fill;
 * writes rank their rows' lexemes in JavaScript, `productTsvector`). On plain PostgreSQL each row's
 * vector is decompressed once for all its lexemes (`|| ''` in a subquery, as keyword search ranks);
 * Citus would run that subquery on the coordinator, so it ranks the stored column. 5,000 synthetic
 * rows: 0.45 s, against 2.1 s for the same figure from the positions' weights in SQL.
 */
function largestRanksSql(column: KeywordColumn, distributed: boolean): string {
  const rank = `max(ts_rank('{${TS_RANK_WEIGHTS.join(',')}}'::float4[], p.v, ${LEXEME_QUERY_SQL}, 0))`;
  const rows = distributed ? `(SELECT p.${column} AS v FROM products p) p` : `(SELECT p.${column} || ''::tsvector AS v FROM products p OFFSET 0) p`;
  return `SELECT u.lexeme, ${rank} AS max_rank FROM ${rows} CROSS JOIN LATERAL unnest(p.v) u GROUP BY u.lexeme`;
}

/**
 * Adds `sign` × the lexeme counts of the products `where` selects ($1 its parameter, if any); with
 * `ranks` (each column's lexemes' largest rank among rows just written), raises each lexeme's bound,
 * or sets it afresh where no row held the lexeme.
 */
async function addLexemeCounts(s: PgStoreState, sign: 1 | -1, where: string, params: unknown[], ranks?: Record<KeywordColumn, ReadonlyMap<string, number>>): Promise<void> {
  for (const column of KEYWORD_COLUMNS) {
    const counts = await query<{ lexeme: string; n: string }>(
      s,
      `SELECT lexeme, count(*) AS n FROM (SELECT unnest(tsvector_to_array(${column})) AS lexeme FROM products ${where}) t GROUP BY lexeme ORDER BY lexeme`,
      params,
    );
    if (counts.length === 0) continue;
    // The bound: kept on a subtraction; unknown (NULL) where the rows written have no rank for the
    // lexeme or rows held it with an unknown bound; set afresh where no row held the lexeme; else
    // raised to the written rows' largest rank.
    await query(
      s,
      `INSERT INTO keyword_frequencies (col, lexeme, n, max_rank) SELECT $1, lexeme, n, max_rank FROM unnest($2::text[], $3::bigint[], $4::float8[]) AS t(lexeme, n, max_rank)
       ON CONFLICT (col, lexeme) DO UPDATE SET n = keyword_frequencies.n + excluded.n,
         max_rank = CASE WHEN excluded.n < 0 THEN keyword_frequencies.max_rank
                         WHEN excluded.max_rank IS NULL OR keyword_frequencies.n > 0 AND keyword_frequencies.max_rank IS NULL THEN NULL
                         WHEN keyword_frequencies.n <= 0 THEN excluded.max_rank
                         ELSE greatest(keyword_frequencies.max_rank, excluded.max_rank) END`,
      [column, counts.map((c) => c.lexeme), counts.map((c) => sign * Number(c.n)), counts.map((c) => ranks?.[column].get(c.lexeme) ?? null)],
    );
  }
}

/** In the writing transaction: −1 for each lexeme of these products (rows about to be replaced or deleted). */
export function uncountKeywordsOf(s: PgStoreState, ids: readonly string[]): Promise<void> {
  return ids.length === 0 ? Promise.resolve() : addLexemeCounts(s, -1, `WHERE id = ANY($1::text[])`, [ids]);
}

/**
 * In the writing transaction: +1 for each lexeme of these products just written, and each column's
 * largest rank of a lexeme among them (`productTsvector`) into its bound.
 */
export function countKeywordsOf(s: PgStoreState, ids: readonly string[], ranks: Record<KeywordColumn, ReadonlyMap<string, number>>): Promise<void> {
  return ids.length === 0 ? Promise.resolve() : addLexemeCounts(s, 1, `WHERE id = ANY($1::text[])`, [ids], ranks);
}

/** Every product's lexemes counted (a database migrated to version 6; the bounds come with version 8's fill). */
export function fillKeywordFrequencies(s: PgStoreState): Promise<void> {
  return addLexemeCounts(s, 1, '', []);
}

/** Every lexeme's rank bound, from every product's tsvectors (a database migrated to version 8; one statement per column, growing with the catalog). */
export async function fillKeywordMaxRanks(s: PgStoreState): Promise<void> {
  for (const column of KEYWORD_COLUMNS) {
    const rows = await unlimitedQuery<{ lexeme: string; max_rank: number }>(s, largestRanksSql(column, await isDistributed(s)));
    if (rows.length === 0) continue;
    await unlimitedQuery(
      s,
      `UPDATE keyword_frequencies f SET max_rank = t.max_rank FROM unnest($2::text[], $3::float8[]) AS t(lexeme, max_rank) WHERE f.col = $1 AND f.lexeme = t.lexeme`,
      [column, rows.map((r) => r.lexeme), rows.map((r) => r.max_rank)],
    );
  }
}

/** The stored frequencies and rank bounds of these tokens in a column (0 for a token no product holds). */
export async function storedFrequencies(s: PgStoreState, column: KeywordColumn, tokens: readonly string[]): Promise<Map<string, LexemeStatistics>> {
  const out = new Map<string, LexemeStatistics>(tokens.map((t) => [t, { n: 0, maxRank: undefined }]));
  if (tokens.length === 0) return out;
  const rows = await query<{ lexeme: string; n: string; max_rank: number | null }>(s, `SELECT lexeme, n, max_rank FROM keyword_frequencies WHERE col = $1 AND lexeme = ANY($2::text[])`, [
    column,
    tokens,
  ]);
  for (const r of rows) out.set(r.lexeme, { n: Number(r.n), maxRank: r.max_rank ?? undefined });
  return out;
}
