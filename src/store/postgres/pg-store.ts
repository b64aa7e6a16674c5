/**
 * The store contract on PostgreSQL with pgvector (optionally sharded by Citus). The database holds
 * the data and the indexes, and retrieval runs in it: nearest neighbours through an HNSW index with
 * the product filters in the same query (iterative index scans, so a selective filter still gives
 * k rows), keyword retrieval over a weighted `tsvector` of the analyser's tokens (the tokens are
 * written as lexemes as they are: PostgreSQL never segments the text again). Any number of prodsim
 * processes can serve from one database: nothing here caches catalog content across calls.
 *
 * Connections come from a `pg` pool with connect, statement and idle timeouts. A lost connection
 * (server restart, network) is retried a few times outside transactions, then reported as a
 * `STORE_UNAVAILABLE` error naming the server; a call never waits longer than its timeouts.
 *
 * The factory composes per-concern modules over one state object (`state.ts`): queries and
 * transactions (`connection.ts`), opening and migrating the schema (`migrations.ts`), product
 * writes and reads, keyword search, nearest neighbours, labels, vectors, upkeep, and the indexes
 * built after a first load (`vector-index.ts`, `keyword-indexes.ts`).
 */
import type { ProductStore } from '../store.ts';
import { connect, indexBuildDeps, query, storeError, transaction } from './connection.ts';
import { buildPendingKeywordIndexes } from './keyword-indexes.ts';
import { documentFrequencies, keywordSearch } from './keyword-search.ts';
import { labelMethods } from './labels.ts';
import { ensureSchema } from './migrations.ts';
import { nearestNeighbours } from './nearest.ts';
import { resolvePostgresOptions, type PostgresStoreOptions } from './options.ts';
import { createPairJobStore } from './pair-jobs.ts';
import { productReads } from './product-reads.ts';
import { productWrites } from './product-writes.ts';
import { createPgStoreState } from './state.ts';
import { storeUpkeep } from './store-upkeep.ts';
import { vectorMethods } from './vectors.ts';

export { DEFAULT_POSTGRES_STORE_OPTIONS, isPostgresUrl, redactUrl, type PostgresStoreOptions } from './options.ts';
export { unreachableCitusWorker } from './connection.ts';
export { nearestNeighboursSql } from './nearest.ts';
export { TS_RANK_WEIGHTS, hanKeywordsLiteral, keywordsLiteral } from './tsvector.ts';
export { vectorLiteral } from './vectors.ts';

export async function createPostgresStore(options: Partial<PostgresStoreOptions> & Pick<PostgresStoreOptions, 'url'>): Promise<ProductStore> {
  const s = createPgStoreState(resolvePostgresOptions(options));
  try {
    await ensureSchema(s);
  } catch (e) {
    // Clean up and rethrow: the pool is closed so a failed open leaks no connection; a failed close must not hide the error.
    await s.pool.end().catch(() => {});
    throw e;
  }
  const vectors = vectorMethods(s);
  return {
    path: s.where,
    retrieval: 'database',
    pairJobs: createPairJobStore({
      query: (sql, params) => query(s, sql, params),
      connect: () => connect(s),
      wrap: (e, sql) => storeError(s, e, sql),
    }),
    ...productWrites(s),
    ...productReads(s),
    documentFrequencies: (tokens) => documentFrequencies(s, tokens, 'keywords'),
    keywordSearch: (queryTokens, searchOptions) => keywordSearch(s, queryTokens, searchOptions),
    nearestNeighbours: (encoderId, vector, nnOptions) => nearestNeighbours(s, encoderId, vector, nnOptions),
    ...labelMethods(s),
    ...vectors,
    async buildDeferredIndexes() {
      await vectors.buildDeferredIndexes?.();
      await buildPendingKeywordIndexes(indexBuildDeps(s));
    },
    transaction: (fn) => transaction(s, fn),
    ...storeUpkeep(s),
  };
}
