/**
 * Queries and transactions of the PostgreSQL store. A call outside a transaction that lost its
 * connection (server restart, network) is retried `retries` times with growing waits, then
 * reported as `STORE_UNAVAILABLE` naming the server; inside a transaction it fails at once (the
 * transaction is gone with its connection). A Citus worker the coordinator cannot reach fails the
 * call at once with an error naming the node. Store calls made inside `transaction` find its client
 * through the async context, so they join it without a handle being passed.
 */
import type pg from 'pg';
import { createError, isProdsimError } from '../../errors.ts';
import { ANALYZE_AFTER_ROWS, rowsBeforeNextAnalyse } from './schema.ts';
import type { IndexBuildDeps } from './deferred-index-build.ts';
import type { PgStoreState } from './state.ts';

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && CONNECTION_ERROR_CODES.has(err.code)) return true;
  const message = err?.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection/iu.test(message);
}

/**
 * The Citus worker (`host:port`) a coordinator's error says it could not reach, if any: the query
 * then fails at once with an error naming the node (no retry, no partial answer), and the coordinator
 * connection stays usable.
 */
export function unreachableCitusWorker(e: unknown): string | undefined {
  const message = (e as { message?: string })?.message ?? '';
  return /connection to the remote node (?:[^@\s]+@)?([^\s:/]+:\d+) failed/u.exec(message)?.[1];
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

const unavailable = (s: PgStoreState, e: unknown) =>
  createError('STORE_UNAVAILABLE', `PostgreSQL at ${s.where} is unreachable: ${messageOf(e)}`, { file: s.where });

const workerDown = (s: PgStoreState, worker: string, e: unknown) =>
  createError('STORE_UNAVAILABLE', `Citus worker ${worker} is unreachable from the coordinator ${s.where}: ${messageOf(e)}`, { file: s.where });

const failed = (s: PgStoreState, e: unknown, sql: string) =>
  isProdsimError(e) ? e : createError('STORE_ERROR', `PostgreSQL at ${s.where}: ${messageOf(e)} (in: ${sql.slice(0, 120).replace(/\s+/gu, ' ')})`, { file: s.where });

/** A driver error as the store's error: a worker down, the server unreachable, or the statement failed. */
export function storeError(s: PgStoreState, e: unknown, sql: string): Error {
  if (isProdsimError(e)) return e;
  const worker = unreachableCitusWorker(e);
  if (worker) return workerDown(s, worker, e);
  return isConnectionError(e) ? unavailable(s, e) : failed(s, e, sql);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The wait before attempt `attempt + 1`: 100 ms, 400 ms, 1.6 s, … */
const retryWait = (attempt: number) => 100 * 4 ** (attempt - 1);

export async function query<R extends pg.QueryResultRow>(s: PgStoreState, sql: string, params: unknown[] = []): Promise<R[]> {
  const tx = s.context.getStore();
  if (tx) {
    try {
      return (await tx.client.query<R>(sql, params)).rows;
    } catch (e) {
      // Into a catalogue error: pg's error becomes a STORE_* error with the statement.
      throw storeError(s, e, sql);
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return (await s.pool.query<R>(sql, params)).rows;
    } catch (e) {
      // Into a catalogue error: pg's error becomes a STORE_* error; a lost connection is retried first.
      const worker = unreachableCitusWorker(e);
      if (worker) throw workerDown(s, worker, e);
      if (!isConnectionError(e)) throw failed(s, e, sql);
      if (attempt >= s.opts.retries) throw unavailable(s, e);
      await sleep(retryWait(attempt));
    }
  }
}

/** The longest client-side wait Node's timers allow (~24.8 days): no limit, for `unlimitedQuery`. */
const NO_CLIENT_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * One statement without the store's statement timeouts (server and client side), inside the current
 * transaction: for maintenance that grows with the catalog (an HNSW build over 100k vectors passed
 * the 60 s statement timeout on a loaded machine and was cancelled, failing the ingest).
 */
export async function unlimitedQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(s: PgStoreState, sql: string, params: unknown[] = []): Promise<R[]> {
  const tx = s.context.getStore();
  if (!tx) throw createError('INTERNAL', 'unlimitedQuery runs inside a transaction');
  try {
    await tx.client.query(`SELECT set_config('statement_timeout', '0', true)`);
    const result = await tx.client.query<R>({ text: sql, values: params, query_timeout: NO_CLIENT_TIMEOUT_MS } as pg.QueryConfig);
    await tx.client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(s.opts.statementTimeoutMs)]);
    return result.rows;
  } catch (e) {
    // Into a catalogue error: pg's error becomes a STORE_* error with the statement.
    throw storeError(s, e, sql);
  }
}

/** The store's query, transaction and `unlimitedQuery` bound to its state: what an index build runs with (`deferred-index-build.ts`). */
export function indexBuildDeps(s: PgStoreState): IndexBuildDeps {
  return { query: (sql, params) => query(s, sql, params), transaction: (fn) => transaction(s, fn), unlimitedQuery: async (sql) => void (await unlimitedQuery(s, sql)) };
}

/** Runs a script one statement at a time: Citus propagates DDL on a distributed table only one statement per query. */
export async function statements(s: PgStoreState, sql: string): Promise<void> {
  for (const statement of sql.split(';').map((part) => part.trim())) if (statement.length > 0) await query(s, statement);
}

/** A connection of the pool for the caller alone (a transaction, a pair-job claim), retried like a query. */
export async function connect(s: PgStoreState): Promise<pg.PoolClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.pool.connect();
    } catch (e) {
      // Into a catalogue error: a pool that cannot connect after the retries is STORE_UNAVAILABLE.
      if (attempt >= s.opts.retries) throw unavailable(s, e);
      await sleep(retryWait(attempt));
    }
  }
}

/** Counts rows written to a table, for `analyseIfDue`. */
export function wrote(s: PgStoreState, table: keyof PgStoreState['unanalysed'], rows: number): void {
  s.unanalysed[table] += rows;
}

async function analyseIfDue(s: PgStoreState): Promise<void> {
  for (const table of ['products', 'vectors'] as const) {
    if (s.unanalysed[table] === 0 || s.unanalysed[table] < s.analyseAfter[table]) continue;
    s.unanalysed[table] = 0;
    // Until the count below is in, a write committing meanwhile waits for ANALYZE_AFTER_ROWS, not 0 (no second ANALYZE at once).
    s.analyseAfter[table] = ANALYZE_AFTER_ROWS;
    // The distinct vectors (plain PostgreSQL) are written with the vectors: analysed with them.
    const analysed = table === 'vectors' && s.layout.distributed === false ? 'vectors, distinct_vectors' : table;
    // Expected failure as a value: ANALYZE only refreshes planner statistics after a committed write;
    // if it fails the write stands and the next query reports a broken store.
    await query(s, `ANALYZE ${analysed}`).catch(() => {});
    // The rows ANALYZE counted (0 for a Citus table on the coordinator, whose rows are on the workers).
    const counted = await query<{ rows: number }>(s, `SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = to_regclass($1)`, [table]).catch(() => []);
    s.analyseAfter[table] = rowsBeforeNextAnalyse(Number(counted[0]?.rows ?? 0));
  }
}

/** Inside a transaction: `fn` under a savepoint, rolled back to it when `fn` fails. */
async function nested<T>(s: PgStoreState, tx: { client: pg.PoolClient; depth: number }, fn: () => Promise<T>): Promise<T> {
  const name = `prodsim_sp${tx.depth + 1}`;
  await query(s, `SAVEPOINT ${name}`);
  try {
    const result = await s.context.run({ client: tx.client, depth: tx.depth + 1 }, fn);
    await query(s, `RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (e) {
    // Clean up and rethrow: back to the savepoint; a failed rollback must not hide fn's error.
    await query(s, `ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
    throw e;
  }
}

/** `ProductStore.transaction`: one transaction on a connection of its own; nested calls become savepoints. */
export async function transaction<T>(s: PgStoreState, fn: () => Promise<T>): Promise<T> {
  const tx = s.context.getStore();
  if (tx) return nested(s, tx, fn);
  const client = await connect(s);
  let broken: Error | undefined;
  let released = false;
  try {
    await client.query('BEGIN');
    const result = await s.context.run({ client, depth: 0 }, fn);
    await client.query('COMMIT');
    client.release();
    released = true;
    await analyseIfDue(s);
    return result;
  } catch (e) {
    // A connection that broke goes back to the pool as broken (the pool drops it); any other is rolled back.
    if (isConnectionError(e) || (isProdsimError(e) && e.code === 'STORE_UNAVAILABLE')) broken = e as Error;
    else await client.query('ROLLBACK').catch(() => {}); // Clean up and rethrow: a failed rollback must not hide e.
    if (isProdsimError(e)) throw e;
    throw isConnectionError(e) ? unavailable(s, e) : failed(s, e, 'transaction');
  } finally {
    if (!released) client.release(broken);
  }
}
