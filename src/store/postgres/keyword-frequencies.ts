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
 * Per lexeme of the products `where` selects: how many hold it, and its largest `ts_rank` among them.
 * On plain PostgreSQL each row's vector is decompressed once for all its lexemes (`|| ''` in a
 * subquery, as keyword search ranks); Citus would run that subquery on the coordinator, so it ranks
 * the stored column. 5,000 synthetic rows: 0.45 s, against 2.1 s for the same bound computed from
 * the positions' weights in SQL and 0.21 s for the counts alone.
 */
function lexemeStatistics(column: KeywordColumn, where: string, distributed: boolean): string {
  const rank = `max(ts_rank('{${TS_RANK_WEIGHTS.join(',')}}'::float4[], p.v, ${LEXEME_QUERY_SQL}, 0))`;
  const rows = distributed ? `(SELECT p.${column} AS v FROM products p ${where}) p` : `(SELECT p.${column} || ''::tsvector AS v FROM products p ${where} OFFSET 0) p`;
  return `SELECT u.lexeme, count(*) AS n, ${rank} AS max_rank FROM ${rows} CROSS JOIN LATERAL unnest(p.v) u GROUP BY u.lexeme ORDER BY u.lexeme`;
}

/**
 * Adds `sign` × the lexeme counts of the products `where` selects ($1 its parameter, if any); rows
 * added (`sign` 1) also raise each lexeme's rank bound, or set it afresh where no row held the lexeme.
 */
async function addLexemeCounts(s: PgStoreState, sign: 1 | -1, where: string, params: unknown[]): Promise<void> {
  for (const column of KEYWORD_COLUMNS) {
    const counts =
      sign === 1
        ? await query<{ lexeme: string; n: string; max_rank: number }>(s, lexemeStatistics(column, where, await isDistributed(s)), params)
        : await query<{ lexeme: string; n: string }>(
            s,
            `SELECT lexeme, count(*) AS n FROM (SELECT unnest(tsvector_to_array(${column})) AS lexeme FROM products p ${where}) t GROUP BY lexeme ORDER BY lexeme`,
            params,
          );
    if (counts.length === 0) continue;
    // The bound: kept on a subtraction, or where rows hold the lexeme and it is not known (NULL);
    // set afresh where no row held the lexeme; else raised to the written rows' largest rank.
    await query(
      s,
      `INSERT INTO keyword_frequencies (col, lexeme, n, max_rank) SELECT $1, lexeme, n, max_rank FROM unnest($2::text[], $3::bigint[], $4::float8[]) AS t(lexeme, n, max_rank)
       ON CONFLICT (col, lexeme) DO UPDATE SET n = keyword_frequencies.n + excluded.n,
         max_rank = CASE WHEN excluded.max_rank IS NULL OR keyword_frequencies.n > 0 AND keyword_frequencies.max_rank IS NULL THEN keyword_frequencies.max_rank
                         WHEN keyword_frequencies.n <= 0 THEN excluded.max_rank
                         ELSE greatest(keyword_frequencies.max_rank, excluded.max_rank) END`,
      [column, counts.map((c) => c.lexeme), counts.map((c) => sign * Number(c.n)), counts.map((c) => ('max_rank' in c ? c.max_rank : null))],
    );
  }
}

/** In the writing transaction: +1 (rows just written) or −1 (rows about to be replaced or deleted) for each lexeme of these products. */
export function countKeywordsOf(s: PgStoreState, ids: readonly string[], sign: 1 | -1): Promise<void> {
  return ids.length === 0 ? Promise.resolve() : addLexemeCounts(s, sign, `WHERE id = ANY($1::text[])`, [ids]);
}

/** Every product's lexemes counted (a database migrated to version 6). */
export function fillKeywordFrequencies(s: PgStoreState): Promise<void> {
  return addLexemeCounts(s, 1, '', []);
}

/** Every lexeme's rank bound, from every product's tsvectors (a database migrated to version 8; one statement per column, growing with the catalog). */
export async function fillKeywordMaxRanks(s: PgStoreState): Promise<void> {
  for (const column of KEYWORD_COLUMNS) {
    const rows = await unlimitedQuery<{ lexeme: string; max_rank: number }>(s, lexemeStatistics(column, '', await isDistributed(s)));
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
