/**
 * The GIN indexes of the two keyword tsvectors (`keywords`, `han_keywords`), built after a new
 * store's first load instead of row by row, as the HNSW indexes are (`vector-index.ts`): writing
 * 20,000 products into a table with them took 12.4 s of INSERT, without them 5.0 s, and one
 * `CREATE INDEX` over the rows is a sort. A new database is created without them and marked pending
 * (`KEYWORD_INDEXES_PENDING_KEY`); the store's `buildDeferredIndexes`, which the catalog refresh calls
 * after its encode pass, builds them once. Until then keyword queries scan: slower, never wrong.
 * Databases created before keep their indexes, and later writes go into them row by row.
 */
import { buildMarkedIndex, type IndexBuildDeps } from './deferred-index-build.ts';

export const KEYWORD_INDEXES_PENDING_KEY = 'keywords.gin_pending';

/** Both indexes, as databases created before this deferral have them (`IF NOT EXISTS`: a no-op there). */
export const KEYWORD_INDEX_STATEMENTS = [
  `CREATE INDEX IF NOT EXISTS products_keywords ON products USING gin (keywords)`,
  `CREATE INDEX IF NOT EXISTS products_han_keywords ON products USING gin (han_keywords)`,
] as const;

/** Builds the keyword indexes when marked pending (one builder at a time); true when this call built them. */
export async function buildPendingKeywordIndexes(deps: IndexBuildDeps): Promise<boolean> {
  if ((await deps.query(`SELECT 1 FROM prodsim_meta WHERE key = $1`, [KEYWORD_INDEXES_PENDING_KEY])).length === 0) return false;
  return buildMarkedIndex(deps, 'prodsim.keyword_indexes', KEYWORD_INDEXES_PENDING_KEY, KEYWORD_INDEX_STATEMENTS);
}
