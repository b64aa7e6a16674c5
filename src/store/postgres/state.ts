/**
 * What every part of the PostgreSQL store shares: the connection pool, the transaction the current
 * async context runs in, and the handle's bookkeeping (rows written since the last ANALYZE, the
 * keyword document frequencies of one revision). The parts (`product-writes.ts`,
 * `keyword-search.ts`, …) are plain functions of this state object; `connection.ts` runs queries.
 * Nothing here caches catalog content: any number of processes can serve from one database.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { PostgresStoreOptions, ResolvedPostgresOptions } from './options.ts';
import { HNSW_SEARCH } from './schema.ts';

/** The client of the transaction the current async context runs in, and its savepoint depth. */
export interface TransactionContext {
  client: pg.PoolClient;
  depth: number;
}

/** The tsvector columns keyword retrieval reads: the analyser's tokens, and their character n-grams. */
export type KeywordColumn = 'keywords' | 'han_keywords';

/** What `keyword_frequencies` keeps of one lexeme: its document frequency and rank bound (undefined: not known). */
export interface LexemeStatistics {
  n: number;
  maxRank: number | undefined;
}

export interface PgStoreState {
  readonly opts: PostgresStoreOptions;
  /** The URL without its password: the store's `path`, and what its errors name. */
  readonly where: string;
  readonly schema: string | undefined;
  readonly pool: pg.Pool;
  readonly context: AsyncLocalStorage<TransactionContext>;
  /**
   * Rows this handle wrote per table since it last analysed it; once they reach `analyseAfter` (0
   * before its first ANALYZE, then `rowsBeforeNextAnalyse`) the table is analysed when the outermost
   * transaction commits, so the planner knows the HNSW index pays off (see `schema.ts`). A failed
   * ANALYZE only leaves the old statistics.
   */
  readonly unanalysed: { products: number; vectors: number };
  readonly analyseAfter: { products: number; vectors: number };
  /** Document frequencies and rank bounds per tsvector column, and the product count, for one store revision. */
  readonly frequencies: {
    revision: string;
    count: number | undefined;
    readonly byColumn: Record<KeywordColumn, Map<string, LexemeStatistics>>;
  };
  /** Whether the tables are distributed by Citus, read once from the store's meta (undefined until then). */
  readonly layout: { distributed: boolean | undefined };
}

/**
 * Settings of every connection: the schema, and pgvector's HNSW search settings (`HNSW_SEARCH`), so a
 * nearest-neighbour query of at most `efSearch` rows runs as one statement instead of a transaction
 * that sets them first (four round trips).
 */
function sessionOptions(schema: string | undefined): string {
  return [
    ...(schema ? [`-c search_path=${schema},public`] : []),
    `-c hnsw.ef_search=${HNSW_SEARCH.efSearch}`,
    `-c hnsw.iterative_scan=${HNSW_SEARCH.iterativeScan}`,
    `-c hnsw.max_scan_tuples=${HNSW_SEARCH.maxScanTuples}`,
  ].join(' ');
}

export function createPgStoreState({ opts, where, schema, connectionString }: ResolvedPostgresOptions): PgStoreState {
  const pool = new pg.Pool({
    connectionString,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 5_000,
    options: sessionOptions(schema),
  });
  // An idle client whose server went away must not crash the process: the next query reconnects.
  pool.on('error', () => {});
  return {
    opts,
    where,
    schema,
    pool,
    context: new AsyncLocalStorage<TransactionContext>(),
    unanalysed: { products: 0, vectors: 0 },
    analyseAfter: { products: 0, vectors: 0 },
    frequencies: { revision: '', count: undefined, byColumn: { keywords: new Map(), han_keywords: new Map() } },
    layout: { distributed: undefined },
  };
}
