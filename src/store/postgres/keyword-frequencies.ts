/**
 * Document frequencies of the keyword lexemes, kept in a table (`keyword_frequencies`) by the
 * writing transactions: keyword retrieval weights each query token by its idf, and counting the
 * products that hold a token on every query (one GIN or sequential scan per token) took most of a
 * search: 150–450 ms of 670 ms at 10k products (docs/benchmarks/postgres.md), growing with the
 * catalog. A write subtracts the lexemes of the rows it replaces or deletes and adds those of the
 * rows it wrote, as the tsvector columns hold them, so a count equals
 * `count(*) … WHERE column @@ 'token'` at every committed revision. Writers are serialised by the
 * product-write lock, so the counts never race. On Citus the table is a reference table.
 */
import { query } from './connection.ts';
import type { KeywordColumn, PgStoreState } from './state.ts';

const KEYWORD_COLUMNS: readonly KeywordColumn[] = ['keywords', 'han_keywords'];

/** Version 6: the table (its rows filled by `fillKeywordFrequencies` on a database that has products). */
export const KEYWORD_FREQUENCY_TABLE = `
CREATE TABLE IF NOT EXISTS keyword_frequencies (
  col text NOT NULL,
  lexeme text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (col, lexeme)
)`;

/** Adds `sign` × the lexeme counts of the products `where` selects ($1 its parameter, if any). */
async function addLexemeCounts(s: PgStoreState, sign: 1 | -1, where: string, params: unknown[]): Promise<void> {
  for (const column of KEYWORD_COLUMNS) {
    const counts = await query<{ lexeme: string; n: string }>(
      s,
      `SELECT lexeme, count(*) AS n FROM (SELECT unnest(tsvector_to_array(${column})) AS lexeme FROM products ${where}) t GROUP BY lexeme ORDER BY lexeme`,
      params,
    );
    if (counts.length === 0) continue;
    await query(
      s,
      `INSERT INTO keyword_frequencies (col, lexeme, n) SELECT $1, lexeme, n FROM unnest($2::text[], $3::bigint[]) AS t(lexeme, n)
       ON CONFLICT (col, lexeme) DO UPDATE SET n = keyword_frequencies.n + excluded.n`,
      [column, counts.map((c) => c.lexeme), counts.map((c) => sign * Number(c.n))],
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

/** The stored frequencies of these tokens in a column (0 for a token no product holds). */
export async function storedFrequencies(s: PgStoreState, column: KeywordColumn, tokens: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>(tokens.map((t) => [t, 0]));
  if (tokens.length === 0) return out;
  for (const r of await query<{ lexeme: string; n: string }>(s, `SELECT lexeme, n FROM keyword_frequencies WHERE col = $1 AND lexeme = ANY($2::text[])`, [column, tokens])) {
    out.set(r.lexeme, Number(r.n));
  }
  return out;
}
