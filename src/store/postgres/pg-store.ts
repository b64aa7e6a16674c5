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
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { categoryLevels } from '../../catalog/product.ts';
import type { Product } from '../../catalog/product.ts';
import { createError, isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import { canonicalProductJson, contentHashOfJson } from '../product-record.ts';
import {
  ANALYZED_FIELDS,
  DEFAULT_CHANGE_LOG_LIMIT,
  KEYWORD_COLUMN_WEIGHTS,
  brandColumnValue,
  type AnalyzedField,
  type AnalyzedProduct,
  type KeywordFilter,
  type KeywordHit,
  type KeywordRow,
  type NeighbourRow,
  type PairLabel,
  type ProductChange,
  type ProductStore,
  type StoredProduct,
  type StoredVector,
  type UpsertResult,
} from '../store.ts';
import { phraseTokens } from '../sqlite/sqlite-sync-store.ts';
import { hanNgramTokens } from '../../text/han-ngrams.ts';
import { PAIR_JOB_TABLES, createPairJobStore } from './pair-jobs.ts';
import { createVectorIndexes } from './vector-index.ts';
import { ANALYZE_AFTER_ROWS, CITUS_LAYOUT, HNSW_SEARCH, PG_META, PG_MIGRATE_V3, PG_SCHEMA_V1, PG_SCHEMA_V2, PG_SCHEMA_V3, PG_SCHEMA_VERSION, hnswIndexSql } from './schema.ts';

export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:port/database`; `?schema=name` keeps the tables in that schema,
   * `?distributed=true` asks for the Citus layout (as `distributed` does: for the CLI's `--store`).
   */
  url: string;
  /** On a new database: distribute the product tables with Citus (the extension must be installed). */
  distributed: boolean;
  /** Connections in the pool. */
  poolSize: number;
  connectTimeoutMs: number;
  /** Server-side limit of one statement. */
  statementTimeoutMs: number;
  /** Attempts of a call that lost its connection (outside transactions), with growing waits between. */
  retries: number;
  changeLogLimit: number;
}

export const DEFAULT_POSTGRES_STORE_OPTIONS = {
  url: 'postgres://localhost:5432/prodsim',
  distributed: false,
  poolSize: 8,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 60_000,
  retries: 3,
  changeLogLimit: DEFAULT_CHANGE_LOG_LIMIT,
} as const satisfies PostgresStoreOptions;

/** True for a `postgres://` or `postgresql://` URL: what `--store` and `PRODSIM_STORE` choose this store by. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//iu.test(value);
}

/** The URL without its password, for messages and `path`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/** Field → tsvector weight letter. ts_rank knows four weights: title A, brand B, tags and category C, description and attributes D. */
const FIELD_WEIGHT_LETTER = { title: 'A', brand: 'B', tags: 'C', category: 'C', description: 'D', attributes: 'D' } as const satisfies Record<AnalyzedField, 'A' | 'B' | 'C' | 'D'>;
/** ts_rank weights {D, C, B, A}, from `KEYWORD_COLUMN_WEIGHTS` scaled so the title's is 1. */
export const TS_RANK_WEIGHTS = [
  KEYWORD_COLUMN_WEIGHTS.description / KEYWORD_COLUMN_WEIGHTS.title,
  KEYWORD_COLUMN_WEIGHTS.tags / KEYWORD_COLUMN_WEIGHTS.title,
  KEYWORD_COLUMN_WEIGHTS.brand / KEYWORD_COLUMN_WEIGHTS.title,
  1,
] as const;
/** tsvector positions stop at 16383. */
const MAX_TS_POSITION = 16_383;

function lexeme(token: string): string {
  return `'${token.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * The product's tokens as a tsvector literal: each token a lexeme, with its position and its field's
 * weight; `rewrite` gives another granularity of each field's tokens (`hanNgramTokens`).
 */
export function keywordsLiteral(analyzed: AnalyzedProduct, rewrite?: (tokens: readonly string[]) => string[]): string {
  const parts: string[] = [];
  let position = 0;
  for (const field of ANALYZED_FIELDS) {
    for (const token of rewrite ? rewrite(analyzed.tokens[field]) : analyzed.tokens[field]) {
      if (token.trim().length === 0) continue;
      position = Math.min(position + 1, MAX_TS_POSITION);
      parts.push(`${lexeme(token)}:${position}${FIELD_WEIGHT_LETTER[field]}`);
    }
  }
  return parts.join(' ');
}

/**
 * The nearest-neighbour statement: $1 the query vector, $2 the encoder id, $3 the row limit;
 * `filters` are conditions over the product row `p`. `current` is the vectors' own column (no join
 * on the content hash), so the planner walks the HNSW index (partial on `dim` and `current`);
 * products are joined only for a filter. `npm run explain:nearest` shows its plan.
 */
export function nearestNeighboursSql(dim: number, filters: readonly string[] = []): string {
  const distance = `(v.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
  const conditions = [`v.encoder_id = $2`, `v.dim = ${dim}`, `v.current`, ...filters];
  return `SELECT v.id, v.key, ${distance} AS distance FROM vectors v ${filters.length > 0 ? 'JOIN products p ON p.id = v.id ' : ''}WHERE ${conditions.join(' AND ')} ORDER BY ${distance} LIMIT $3`;
}

/** The character n-gram granularity's tsvector (`products.han_keywords`). */
export function hanKeywordsLiteral(analyzed: AnalyzedProduct): string {
  return keywordsLiteral(analyzed, (tokens) => hanNgramTokens(tokens));
}

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

/**
 * A float32 vector as pgvector text. Nine significant digits name every float32 exactly (pgvector
 * reads them with strtof): a third of the bytes of the shortest double form, and ~3× faster to build.
 */
export function vectorLiteral(v: Float32Array): string {
  return `[${Array.from(v, (x) => x.toPrecision(9)).join(',')}]`;
}

interface ProductRow {
  key: string;
  id: string;
  content_hash: string;
  updated_at: string;
  json: string;
  analyzed?: string;
}

function rowToStored(r: ProductRow): StoredProduct & { analyzed?: AnalyzedProduct } {
  return {
    product: JSON.parse(r.json) as Product,
    key: Number(r.key),
    contentHash: r.content_hash,
    updatedAt: Number(r.updated_at),
    ...(r.analyzed !== undefined ? { analyzed: JSON.parse(r.analyzed) as AnalyzedProduct } : {}),
  };
}

interface KeywordRowRecord {
  key: string;
  id: string;
  category: string | null;
  price: number | null;
  in_stock: boolean | null;
  json_brand: string | null;
  analyzed: string;
}

function toKeywordRow(r: KeywordRowRecord): KeywordRow {
  return { key: Number(r.key), id: r.id, category: r.category, price: r.price, inStock: r.in_stock, brand: r.json_brand, tokens: (JSON.parse(r.analyzed) as AnalyzedProduct).tokens };
}

const KEYWORD_ROW_COLUMNS = `key, id, category, price, in_stock, (json::jsonb)->>'brand' AS json_brand, analyzed`;
const PAGE_ROWS = 1_000;

/** SQL conditions on products `p` for a filter; parameters are appended to `params`. */
function filterSql(filter: KeywordFilter | undefined, params: unknown[]): string[] {
  const where: string[] = [];
  if (!filter) return where;
  const prefix = categoryLevels(filter.categoryPrefix).join('/');
  if (prefix !== '') {
    params.push(prefix);
    const n = params.length;
    params.push(`${prefix.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}/%`);
    where.push(`(p.category = $${n} OR p.category LIKE $${n + 1})`);
  }
  if (filter.minPrice !== undefined) {
    params.push(filter.minPrice);
    where.push(`p.price >= $${params.length}`);
  }
  if (filter.maxPrice !== undefined) {
    params.push(filter.maxPrice);
    where.push(`p.price <= $${params.length}`);
  }
  if (filter.inStock !== undefined) {
    params.push(filter.inStock);
    where.push(`p.in_stock = $${params.length}`);
  }
  if (filter.brandIn !== undefined) {
    params.push([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null));
    where.push(`p.brand = ANY($${params.length}::text[])`);
  }
  return where;
}

export async function createPostgresStore(options: Partial<PostgresStoreOptions> & Pick<PostgresStoreOptions, 'url'>): Promise<ProductStore> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_POSTGRES_STORE_OPTIONS), 'createPostgresStore');
  const opts: PostgresStoreOptions = { ...DEFAULT_POSTGRES_STORE_OPTIONS, ...options };
  const where = redactUrl(opts.url);
  const url = new URL(opts.url);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const distributedParam = url.searchParams.get('distributed');
  url.searchParams.delete('distributed');
  if (distributedParam !== null) opts.distributed = distributedParam === 'true' || distributedParam === '1';
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/u.test(schema)) {
    throw createError('INVALID_ARGUMENT', `schema "${schema}" in the store URL must be a lower-case SQL identifier`, { field: 'store', received: schema });
  }
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 5_000,
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  // An idle client whose server went away must not crash the process: the next query reconnects.
  pool.on('error', () => {});

  const unavailable = (e: unknown) =>
    createError('STORE_UNAVAILABLE', `PostgreSQL at ${where} is unreachable: ${e instanceof Error ? e.message : String(e)}`, { file: where });
  const workerDown = (worker: string, e: unknown) =>
    createError('STORE_UNAVAILABLE', `Citus worker ${worker} is unreachable from the coordinator ${where}: ${e instanceof Error ? e.message : String(e)}`, { file: where });
  const failed = (e: unknown, sql: string) =>
    isProdsimError(e) ? e : createError('STORE_ERROR', `PostgreSQL at ${where}: ${e instanceof Error ? e.message : String(e)} (in: ${sql.slice(0, 120).replace(/\s+/gu, ' ')})`, { file: where });

  /** The client of the transaction the current async context runs in, and its savepoint depth. */
  const context = new AsyncLocalStorage<{ client: pg.PoolClient; depth: number }>();

  /**
   * Rows this handle wrote per table since it last analysed it: past `ANALYZE_AFTER_ROWS` (or after
   * its first write) the table is analysed once the outermost transaction commits, so the planner
   * knows the HNSW index pays off (see `schema.ts`). A failed ANALYZE only leaves the old statistics.
   */
  const unanalysed = { products: 0, vectors: 0 };
  const analysedOnce = new Set<string>();
  function wrote(table: keyof typeof unanalysed, rows: number): void {
    unanalysed[table] += rows;
  }
  async function analyseIfDue(): Promise<void> {
    for (const table of ['products', 'vectors'] as const) {
      if (unanalysed[table] === 0 || (unanalysed[table] < ANALYZE_AFTER_ROWS && analysedOnce.has(table))) continue;
      unanalysed[table] = 0;
      analysedOnce.add(table);
      await query(`ANALYZE ${table}`).catch(() => {});
    }
  }

  /** Runs a script one statement at a time: Citus propagates DDL on a distributed table only one statement per query. */
  async function statements(sql: string): Promise<void> {
    for (const statement of sql.split(';').map((s) => s.trim())) if (statement.length > 0) await query(statement);
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    const tx = context.getStore();
    if (tx) {
      try {
        return (await tx.client.query<R>(sql, params)).rows;
      } catch (e) {
        const worker = unreachableCitusWorker(e);
        if (worker) throw workerDown(worker, e);
        throw isConnectionError(e) ? unavailable(e) : failed(e, sql);
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return (await pool.query<R>(sql, params)).rows;
      } catch (e) {
        const worker = unreachableCitusWorker(e);
        if (worker) throw workerDown(worker, e);
        if (!isConnectionError(e)) throw failed(e, sql);
        if (attempt >= opts.retries) throw unavailable(e);
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
  }

  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    const tx = context.getStore();
    if (tx) {
      const name = `prodsim_sp${tx.depth + 1}`;
      await query(`SAVEPOINT ${name}`);
      try {
        const result = await context.run({ client: tx.client, depth: tx.depth + 1 }, fn);
        await query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (e) {
        await query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        throw e;
      }
    }
    let client: pg.PoolClient;
    for (let attempt = 1; ; attempt++) {
      try {
        client = await pool.connect();
        break;
      } catch (e) {
        if (attempt >= opts.retries) throw unavailable(e);
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
    let broken: Error | undefined;
    let released = false;
    try {
      await client.query('BEGIN');
      const result = await context.run({ client, depth: 0 }, fn);
      await client.query('COMMIT');
      client.release();
      released = true;
      await analyseIfDue();
      return result;
    } catch (e) {
      if (isConnectionError(e) || (isProdsimError(e) && e.code === 'STORE_UNAVAILABLE')) broken = e as Error;
      else await client.query('ROLLBACK').catch(() => {});
      if (isProdsimError(e)) throw e;
      throw isConnectionError(e) ? unavailable(e) : failed(e, 'transaction');
    } finally {
      if (!released) client.release(broken);
    }
  }

  // ------------------------------------------------------------------ schema

  async function ensureSchema(): Promise<void> {
    await transaction(async () => {
      // One opener at a time creates or migrates (several servers may start together).
      await query(`SELECT pg_advisory_xact_lock(hashtext('prodsim.schema'))`);
      if (schema) await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const exists = await query<{ t: string | null }>(`SELECT to_regclass('prodsim_meta')::text AS t`);
      if (exists[0]?.t) {
        const v = await query<{ value: string }>(`SELECT value FROM prodsim_meta WHERE key = $1`, [PG_META.schemaVersion]);
        const version = Number(v[0]?.value);
        if (!Number.isInteger(version)) throw createError('STORE_ERROR', `database ${where} has a prodsim_meta table without a valid schema version`, { file: where });
        if (version > PG_SCHEMA_VERSION) {
          throw createError(
            'STORE_ERROR',
            `database ${where} has store schema version ${version}, newer than this prodsim understands (${PG_SCHEMA_VERSION}); upgrade prodsim`,
            { file: where, expected: `<= ${PG_SCHEMA_VERSION}`, received: String(version) },
          );
        }
        if (version < 2) await migrateToV2();
        if (version < 3) {
          await statements(PG_SCHEMA_V3);
          await statements(PG_MIGRATE_V3);
          for (const r of await query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'vectors' AND indexname ~ '^vectors_hnsw_[0-9]+$' AND schemaname = current_schema()`)) {
            await query(`DROP INDEX IF EXISTS ${r.name}`);
          }
          for (const r of await query<{ dim: number }>(`SELECT DISTINCT dim FROM vectors`)) await query(hnswIndexSql(r.dim));
        }
        // Version 4 changed only what han_keywords holds (the n-gram scheme): refilled from the stored
        // analysis (a version-1 database was filled in the current scheme by migrateToV2 already).
        if (version >= 2 && version < 4) await fillHanKeywords();
        if (version < 5) await statements(PAIR_JOB_TABLES);
        if (version < PG_SCHEMA_VERSION) await query(`UPDATE prodsim_meta SET value = $2 WHERE key = $1`, [PG_META.schemaVersion, String(PG_SCHEMA_VERSION)]);
        return;
      }
      await query(`CREATE EXTENSION IF NOT EXISTS vector`);
      await query(PG_SCHEMA_V1);
      await query(PG_SCHEMA_V2);
      await query(PG_SCHEMA_V3);
      await statements(PAIR_JOB_TABLES);
      if (opts.distributed) {
        const citus = await query<{ n: string }>(`SELECT count(*) AS n FROM pg_extension WHERE extname = 'citus'`);
        if (Number(citus[0]?.n) === 0) throw createError('STORE_ERROR', `--distributed needs the Citus extension in ${where}`, { file: where });
        for (const statement of CITUS_LAYOUT.trim().split('\n')) await query(statement);
      }
      await query(`INSERT INTO prodsim_meta (key, value) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)`, [
        PG_META.schemaVersion,
        String(PG_SCHEMA_VERSION),
        PG_META.revision,
        randomUUID(),
        PG_META.changeLogId,
        randomUUID(),
        PG_META.distributed,
        String(opts.distributed),
      ]);
    });
  }

  /** Version 1 → 2: the character n-gram tsvector, filled in from each product's stored analysis. */
  async function migrateToV2(): Promise<void> {
    await statements(PG_SCHEMA_V2);
    await fillHanKeywords();
  }

  /** Every product's character n-gram tsvector, from its stored analysis (the current `hanNgramTokens` scheme). */
  async function fillHanKeywords(): Promise<void> {
    for (let after = -1; ; ) {
      const rows = await query<{ id: string; key: string; analyzed: string }>(`SELECT id, key, analyzed FROM products WHERE key > $1 ORDER BY key LIMIT 1000`, [after]);
      if (rows.length === 0) return;
      // One row per statement, by id: on Citus each goes to its product's shard.
      for (const r of rows) await query(`UPDATE products SET han_keywords = $2::tsvector WHERE id = $1`, [r.id, hanKeywordsLiteral(JSON.parse(r.analyzed) as AnalyzedProduct)]);
      after = Number(rows[rows.length - 1]!.key);
    }
  }

  try {
    await ensureSchema();
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }

  // ------------------------------------------------------------------ helpers

  const getMeta = async (key: string) => (await query<{ value: string }>(`SELECT value FROM prodsim_meta WHERE key = $1`, [key]))[0]?.value;
  const setMetaRaw = (key: string, value: string) =>
    query(`INSERT INTO prodsim_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  /** Serialises product writers, so change-log sequence numbers commit in order (a follower never skips one). */
  const lockProductWrites = () => query(`SELECT pg_advisory_xact_lock(hashtext('prodsim.products'))`);
  const bumpRevision = () => query(`UPDATE prodsim_meta SET value = $2 WHERE key = $1`, [PG_META.revision, randomUUID()]);
  const logChanges = (keys: readonly number[], op: ProductChange['op']) =>
    keys.length === 0
      ? Promise.resolve([])
      : query(`INSERT INTO product_changes (seq, key, op) SELECT nextval('prodsim_change_seq'), k, $2 FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, i) ORDER BY i`, [keys, op]);

  const vectorIndexes = createVectorIndexes({ query, transaction });

  /** Document frequencies per tsvector column (`keywords`, `han_keywords`), for one store revision. */
  const dfCache = { keywords: new Map<string, number>(), han_keywords: new Map<string, number>() };
  let dfRevision = '';
  let dfCount: number | undefined;

  /** In how many products each token occurs in a tsvector column (cached per store revision). */
  async function frequencies(tokens: readonly string[], column: keyof typeof dfCache): Promise<Map<string, number>> {
    const revision = await store.revision();
    if (revision !== dfRevision) {
      dfCache.keywords.clear();
      dfCache.han_keywords.clear();
      dfCount = undefined;
      dfRevision = revision;
    }
    const cache = dfCache[column];
    const out = new Map<string, number>();
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
        for (const r of await query<{ t: string; n: string }>(parts.join(' UNION ALL '), params)) cache.set(r.t, Number(r.n));
      }
      for (const t of missing) if (!cache.has(t)) cache.set(t, 0);
    }
    for (const t of tokens) out.set(t, cache.get(t) ?? 0);
    return out;
  }

  const store: ProductStore = {
    path: where,
    retrieval: 'database',
    pairJobs: createPairJobStore({
      query,
      async connect() {
        for (let attempt = 1; ; attempt++) {
          try {
            return await pool.connect();
          } catch (e) {
            if (attempt >= opts.retries) throw unavailable(e);
            await sleep(100 * 4 ** (attempt - 1));
          }
        }
      },
      wrap(e, sql) {
        if (isProdsimError(e)) return e;
        const worker = unreachableCitusWorker(e);
        if (worker) return workerDown(worker, e);
        return isConnectionError(e) ? unavailable(e) : failed(e, sql);
      },
    }),

    async upsertProducts(batch, upsertOptions = {}) {
      rejectUnknownKeys(upsertOptions, ['reindex'], 'upsertProducts');
      if (batch.length === 0) return [];
      const reindex = upsertOptions.reindex ?? false;
      return transaction(async () => {
        await lockProductWrites();
        const ids = [...new Set(batch.map((b) => b.product.id))];
        const existing = new Map<string, { key: number; hash: string }>();
        for (const r of await query<{ id: string; key: string; content_hash: string }>(`SELECT id, key, content_hash FROM products WHERE id = ANY($1::text[])`, [ids])) {
          existing.set(r.id, { key: Number(r.key), hash: r.content_hash });
        }
        const now = Date.now();
        const results: UpsertResult[] = [];
        /** The row each id ends with (the last item wins), and whether it is new. */
        const rows = new Map<string, { key: number | undefined; hash: string; json: string; analyzed: AnalyzedProduct; product: Product; reindexOnly: boolean }>();
        for (const { product, analyzed } of batch) {
          const json = canonicalProductJson(product);
          const hash = contentHashOfJson(json);
          const prior = rows.get(product.id) ?? existing.get(product.id);
          const priorKey = prior ? ('key' in prior ? prior.key : undefined) : undefined;
          if (prior && prior.hash === hash) {
            if (reindex) rows.set(product.id, { key: priorKey, hash, json, analyzed, product, reindexOnly: !rows.has(product.id) });
            results.push({ id: product.id, key: priorKey ?? -1, status: 'unchanged', contentHash: hash });
            continue;
          }
          rows.set(product.id, { key: priorKey, hash, json, analyzed, product, reindexOnly: false });
          results.push({ id: product.id, key: priorKey ?? -1, status: prior ? 'updated' : 'added', contentHash: hash });
        }
        const fresh = [...rows.entries()].filter(([, r]) => r.key === undefined);
        if (fresh.length > 0) {
          const keys = await query<{ k: string }>(`SELECT nextval('prodsim_product_key') AS k FROM generate_series(1, $1)`, [fresh.length]);
          fresh.forEach(([, r], i) => (r.key = Number(keys[i]!.k)));
        }
        for (const r of results) if (r.key === -1) r.key = rows.get(r.id)!.key!;
        const written = [...rows.values()];
        if (written.length > 0) {
          const col = <T>(f: (r: (typeof written)[number]) => T) => written.map(f);
          await query(
            `INSERT INTO products (id, key, content_hash, updated_at, category, price, in_stock, brand, json, analyzed, keywords, han_keywords)
             SELECT id, key, hash, $4, category, price, in_stock, brand, json, analyzed, keywords::tsvector, han_keywords::tsvector
             FROM unnest($1::text[], $2::bigint[], $3::text[], $5::text[], $6::float8[], $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
               AS t(id, key, hash, category, price, in_stock, brand, json, analyzed, keywords, han_keywords)
             ON CONFLICT (id) DO UPDATE SET key = excluded.key, content_hash = excluded.content_hash,
               updated_at = CASE WHEN products.content_hash = excluded.content_hash THEN products.updated_at ELSE excluded.updated_at END,
               category = excluded.category, price = excluded.price, in_stock = excluded.in_stock, brand = excluded.brand,
               json = excluded.json, analyzed = excluded.analyzed, keywords = excluded.keywords, han_keywords = excluded.han_keywords`,
            [
              col((r) => r.product.id),
              col((r) => r.key),
              col((r) => r.hash),
              now,
              col((r) => {
                const levels = categoryLevels(r.product.category);
                return levels.length > 0 ? levels.join('/') : null;
              }),
              col((r) => r.product.price ?? null),
              col((r) => r.product.inStock ?? null),
              col((r) => brandColumnValue(r.product.brand)),
              col((r) => r.json),
              col((r) => JSON.stringify(r.analyzed)),
              col((r) => keywordsLiteral(r.analyzed)),
              col((r) => hanKeywordsLiteral(r.analyzed)),
            ],
          );
          // A product whose content changed leaves its vectors stale (and out of the HNSW index's rows).
          const changed = written.filter((r) => !r.reindexOnly).map((r) => r.product.id);
          if (changed.length > 0) {
            await query(`UPDATE vectors v SET current = (v.content_hash = p.content_hash) FROM products p WHERE p.id = v.id AND v.id = ANY($1::text[])`, [changed]);
          }
          await logChanges(col((r) => r.key!), 'upsert');
          await bumpRevision();
          wrote('products', written.length);
        }
        return results;
      });
    },

    async deleteProducts(ids) {
      if (ids.length === 0) return 0;
      return transaction(async () => {
        await lockProductWrites();
        const gone = await query<{ key: string }>(`DELETE FROM products WHERE id = ANY($1::text[]) RETURNING key`, [[...new Set(ids)]]);
        if (gone.length === 0) return 0;
        await query(`DELETE FROM vectors WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
        await logChanges(gone.map((g) => Number(g.key)), 'delete');
        await bumpRevision();
        return gone.length;
      });
    },

    async getProduct(id) {
      const [r] = await query<ProductRow>(`SELECT key, id, content_hash, updated_at, json FROM products WHERE id = $1`, [id]);
      return r ? rowToStored(r) : undefined;
    },
    async getProducts(ids) {
      const byId = new Map((await query<ProductRow>(`SELECT key, id, content_hash, updated_at, json FROM products WHERE id = ANY($1::text[])`, [ids])).map((r) => [r.id, rowToStored(r)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async getAnalyzedProducts(ids) {
      const rows = await query<ProductRow>(`SELECT key, id, content_hash, updated_at, json, analyzed FROM products WHERE id = ANY($1::text[])`, [ids]);
      const byId = new Map(rows.map((r) => [r.id, rowToStored(r) as StoredProduct & { analyzed: AnalyzedProduct }]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async getAnalyzedProductsByKeys(keys) {
      const rows = await query<ProductRow>(`SELECT key, id, content_hash, updated_at, json, analyzed FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]]);
      return rows.map((r) => rowToStored(r) as StoredProduct & { analyzed: AnalyzedProduct });
    },
    async getAnalyzed(id) {
      const [r] = await query<{ analyzed: string }>(`SELECT analyzed FROM products WHERE id = $1`, [id]);
      return r ? (JSON.parse(r.analyzed) as AnalyzedProduct) : undefined;
    },
    async contentHashes(ids) {
      const rows = await query<{ id: string; content_hash: string }>(`SELECT id, content_hash FROM products WHERE id = ANY($1::text[])`, [ids]);
      return new Map(rows.map((r) => [r.id, r.content_hash]));
    },
    async *iterateProducts(iterateOptions = {}) {
      rejectUnknownKeys(iterateOptions, ['withAnalyzed'], 'iterateProducts');
      const columns = `key, id, content_hash, updated_at, json${iterateOptions.withAnalyzed ? ', analyzed' : ''}`;
      for (let after = 0; ; ) {
        const rows = await query<ProductRow>(`SELECT ${columns} FROM products WHERE key > $1 ORDER BY key LIMIT $2`, [after, PAGE_ROWS]);
        if (rows.length === 0) return;
        for (const r of rows) yield rowToStored(r);
        after = Number(rows[rows.length - 1]!.key);
      }
    },
    async *iterateKeywordRows() {
      for (let after = 0; ; ) {
        const rows = await query<KeywordRowRecord>(`SELECT ${KEYWORD_ROW_COLUMNS} FROM products WHERE key > $1 ORDER BY key LIMIT $2`, [after, PAGE_ROWS]);
        if (rows.length === 0) return;
        for (const r of rows) yield toKeywordRow(r);
        after = Number(rows[rows.length - 1]!.key);
      }
    },
    count: async () => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM products`))[0]!.n),
    revision: async () => (await getMeta(PG_META.revision)) ?? '',
    async changesSince(seq) {
      if (!Number.isInteger(seq) || seq < 0) return undefined;
      const trimmed = Number((await getMeta(PG_META.changeLogTrimmed)) ?? 0);
      if (seq < trimmed || seq > (await store.changeSeq())) return undefined;
      const rows = await query<{ seq: string; key: string; op: ProductChange['op'] }>(`SELECT seq, key, op FROM product_changes WHERE seq > $1 ORDER BY seq`, [seq]);
      return rows.map((r) => ({ seq: Number(r.seq), key: Number(r.key), op: r.op }));
    },
    changeSeq: async () => Number((await query<{ s: string | null }>(`SELECT max(seq) AS s FROM product_changes`))[0]?.s ?? 0),
    changeLogId: async () => (await getMeta(PG_META.changeLogId)) ?? '',
    async keywordRowsOf(keys) {
      return (await query<KeywordRowRecord>(`SELECT ${KEYWORD_ROW_COLUMNS} FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]])).map(toKeywordRow);
    },
    async modelNumbersOf(keys) {
      const columns = `key, id, (analyzed::jsonb)->'modelNumbers' AS codes`;
      const rows =
        keys === undefined
          ? await query<{ key: string; id: string; codes: string[] | null }>(`SELECT ${columns} FROM products ORDER BY key`)
          : await query<{ key: string; id: string; codes: string[] | null }>(`SELECT ${columns} FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]]);
      return rows.map((r) => ({ key: Number(r.key), id: r.id, modelNumbers: r.codes ?? [] }));
    },
    idToKey: async (id) => (await store.idsToKeys([id]))[0],
    keyToId: async (key) => (await store.keysToIds([key]))[0],
    async idsToKeys(ids) {
      const byId = new Map((await query<{ id: string; key: string }>(`SELECT id, key FROM products WHERE id = ANY($1::text[])`, [ids])).map((r) => [r.id, Number(r.key)]));
      return ids.map((id) => byId.get(id));
    },
    async keysToIds(keys) {
      const byKey = new Map((await query<{ id: string; key: string }>(`SELECT id, key FROM products WHERE key = ANY($1::bigint[])`, [keys])).map((r) => [Number(r.key), r.id]));
      return keys.map((k) => byKey.get(k));
    },

    documentFrequencies: (tokens) => frequencies(tokens, 'keywords'),

    async keywordSearch(queryTokens, searchOptions) {
      const { k, filter } = searchOptions;
      if (!Number.isInteger(k) || k < 1) throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
      rejectUnknownKeys(searchOptions, ['k', 'filter', 'match', 'granularity'], 'keywordSearch');
      const column = searchOptions.granularity === 'hanNgrams' ? 'han_keywords' : 'keywords';
      const tokens = phraseTokens(column === 'han_keywords' ? hanNgramTokens(queryTokens) : queryTokens);
      if (tokens.length === 0) return [];
      // BM25's idf per token (ts_rank has none): a rare token's match counts for more than a common one's.
      const df = await frequencies(tokens, column);
      // The product count of the revision the frequencies are of (cached with them).
      if (dfCount === undefined) dfCount = await store.count();
      const n = Math.max(1, dfCount);
      const idf = tokens.map((t) => Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5)));
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
        `SELECT p.id, p.key, (${score}) AS score FROM products p WHERE ${where.join(' AND ')} ORDER BY score DESC, p.key LIMIT $2`,
        params,
      );
      return rows.map((r): KeywordHit => ({ id: r.id, key: Number(r.key), score: Number(r.score) }));
    },

    async nearestNeighbours(encoderId, vector, nnOptions) {
      const { k, filter, excludeIds } = nnOptions;
      const dim = vector.length;
      if (!Number.isInteger(dim) || dim < 1) return [];
      const exclude = excludeIds ? [...excludeIds] : [];
      const params: unknown[] = [vectorLiteral(vector), encoderId, k + exclude.length];
      const sql = nearestNeighboursSql(dim, filterSql(filter, params));
      const rows = await transaction(async () => {
        // Iterative scans: with a selective filter the index is read further until enough rows pass.
        await query(
          `SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', $2, true), set_config('hnsw.max_scan_tuples', $3, true)`,
          [String(Math.max(HNSW_SEARCH.efSearch, k + exclude.length)), HNSW_SEARCH.iterativeScan, String(HNSW_SEARCH.maxScanTuples)],
        );
        return query<{ id: string; key: string; distance: number }>(sql, params);
      });
      // relaxed_order can return rows slightly out of order: sort again.
      return rows
        .filter((r) => !excludeIds?.has(r.id))
        .map((r): NeighbourRow => ({ id: r.id, key: Number(r.key), similarity: 1 - Number(r.distance) }))
        .sort((a, b) => b.similarity - a.similarity || a.key - b.key)
        .slice(0, k);
    },

    brands: async () => (await query<{ brand: string }>(`SELECT DISTINCT brand FROM products WHERE brand IS NOT NULL ORDER BY brand`)).map((r) => r.brand),

    async putLabels(labels) {
      for (const l of labels) {
        if (!Number.isFinite(l.label)) throw createError('INVALID_ARGUMENT', `label for (${l.leftId}, ${l.rightId}) is not a finite number`, { field: 'label', received: String(l.label) });
      }
      if (labels.length === 0) return 0;
      const now = Date.now();
      // The last label of a repeated (left, right, source) wins, as in SQLite.
      const last = new Map(labels.map((l) => [`${l.leftId}\u0000${l.rightId}\u0000${l.source}`, l]));
      const rows = [...last.values()];
      await query(
        `INSERT INTO labels (left_id, right_id, source, label, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[])
         ON CONFLICT (left_id, right_id, source) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
        [rows.map((l) => l.leftId), rows.map((l) => l.rightId), rows.map((l) => l.source), rows.map((l) => l.label), rows.map((l) => l.createdAt ?? now)],
      );
      return labels.length;
    },
    async getLabels(labelOptions = {}) {
      rejectUnknownKeys(labelOptions, ['source', 'id'], 'getLabels');
      const params: unknown[] = [];
      const where: string[] = [];
      if (labelOptions.source !== undefined) {
        params.push(labelOptions.source);
        where.push(`source = $${params.length}`);
      }
      if (labelOptions.id !== undefined) {
        params.push(labelOptions.id);
        where.push(`(left_id = $${params.length} OR right_id = $${params.length})`);
      }
      const rows = await query<{ left_id: string; right_id: string; source: string; label: number; created_at: string }>(
        `SELECT left_id, right_id, source, label, created_at FROM labels ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, left_id, right_id`,
        params,
      );
      return rows.map((r): PairLabel => ({ leftId: r.left_id, rightId: r.right_id, label: r.label, source: r.source, createdAt: Number(r.created_at) }));
    },
    async deleteLabels(labelOptions = {}) {
      rejectUnknownKeys(labelOptions, ['source'], 'deleteLabels');
      const rows =
        labelOptions.source === undefined
          ? await query(`DELETE FROM labels RETURNING 1`)
          : await query(`DELETE FROM labels WHERE source = $1 RETURNING 1`, [labelOptions.source]);
      return rows.length;
    },
    async countLabels(source) {
      const rows = source === undefined ? await query<{ n: string }>(`SELECT count(*) AS n FROM labels`) : await query<{ n: string }>(`SELECT count(*) AS n FROM labels WHERE source = $1`, [source]);
      return Number(rows[0]!.n);
    },

    async putVectors(encoderId, vectors) {
      if (vectors.length === 0) return;
      await transaction(async () => {
        const [known] = await query<{ dim: number }>(`SELECT dim FROM vectors WHERE encoder_id = $1 LIMIT 1`, [encoderId]);
        const dim = known?.dim ?? vectors[0]!.vector.length;
        for (const v of vectors) {
          if (v.vector.length !== dim) {
            throw createError('DIM_MISMATCH', `encoder ${encoderId}: stored vectors have dimension ${dim}, got ${v.vector.length} for ${v.id}`, { expected: String(dim), received: String(v.vector.length) });
          }
        }
        const products = new Map(
          (await query<{ id: string; key: string; content_hash: string }>(`SELECT id, key, content_hash FROM products WHERE id = ANY($1::text[])`, [vectors.map((v) => v.id)])).map((r) => [
            r.id,
            { key: Number(r.key), hash: r.content_hash },
          ]),
        );
        const unknown = vectors.find((v) => !products.has(v.id));
        if (unknown) throw createError('PRODUCT_NOT_FOUND', `cannot store a vector for unknown product ${unknown.id}`, { field: 'id', received: unknown.id });
        await vectorIndexes.beforeWrite(dim);
        const last = new Map(vectors.map((v) => [v.id, v]));
        const rows = [...last.values()];
        await query(
          `INSERT INTO vectors (id, encoder_id, key, content_hash, dim, embedding, current)
           SELECT id, $2, key, hash, $3, vec::vector, current FROM unnest($1::text[], $4::bigint[], $5::text[], $6::text[], $7::bool[]) AS t(id, key, hash, vec, current)
           ON CONFLICT (id, encoder_id) DO UPDATE SET key = excluded.key, content_hash = excluded.content_hash, dim = excluded.dim, embedding = excluded.embedding, current = excluded.current`,
          [
            rows.map((v) => v.id),
            encoderId,
            dim,
            rows.map((v) => products.get(v.id)!.key),
            rows.map((v) => v.contentHash),
            rows.map((v) => vectorLiteral(v.vector)),
            rows.map((v) => v.contentHash === products.get(v.id)!.hash),
          ],
        );
      });
      wrote('vectors', vectors.length);
    },
    async getVector(encoderId, id) {
      const [r] = await query<{ v: number[] }>(
        `SELECT v.embedding::real[] AS v FROM vectors v JOIN products p ON p.id = v.id WHERE v.encoder_id = $1 AND v.id = $2 AND v.content_hash = p.content_hash`,
        [encoderId, id],
      );
      return r ? Float32Array.from(r.v) : undefined;
    },
    async getVectors(encoderId, ids) {
      const rows = await query<{ id: string; v: number[] }>(
        `SELECT v.id, v.embedding::real[] AS v FROM vectors v JOIN products p ON p.id = v.id WHERE v.encoder_id = $1 AND v.id = ANY($2::text[]) AND v.content_hash = p.content_hash`,
        [encoderId, [...new Set(ids)]],
      );
      return new Map(rows.map((r) => [r.id, Float32Array.from(r.v)]));
    },
    async vectorEncodersOf(id) {
      const rows = await query<{ encoder_id: string }>(
        `SELECT v.encoder_id FROM vectors v JOIN products p ON p.id = v.id WHERE v.id = $1 AND v.content_hash = p.content_hash ORDER BY v.encoder_id`,
        [id],
      );
      return rows.map((r) => r.encoder_id);
    },
    async getCachedVector(encoderId, contentHash) {
      const [r] = await query<{ v: number[] }>(`SELECT embedding::real[] AS v FROM vectors WHERE encoder_id = $1 AND content_hash = $2 LIMIT 1`, [encoderId, contentHash]);
      return r ? Float32Array.from(r.v) : undefined;
    },
    async cachedHashes(encoderId, hashes) {
      const rows = await query<{ content_hash: string }>(`SELECT DISTINCT content_hash FROM vectors WHERE encoder_id = $1 AND content_hash = ANY($2::text[])`, [encoderId, hashes]);
      return new Set(rows.map((r) => r.content_hash));
    },
    async *vectorsFor(encoderId) {
      for (let after = 0; ; ) {
        const rows = await query<{ id: string; key: string; content_hash: string; v: number[] }>(
          `SELECT v.id, v.key, v.content_hash, v.embedding::real[] AS v FROM vectors v JOIN products p ON p.id = v.id
           WHERE v.encoder_id = $1 AND v.content_hash = p.content_hash AND v.key > $2 ORDER BY v.key LIMIT $3`,
          [encoderId, after, PAGE_ROWS],
        );
        if (rows.length === 0) return;
        for (const r of rows) yield { id: r.id, key: Number(r.key), contentHash: r.content_hash, vector: Float32Array.from(r.v) } satisfies StoredVector;
        after = Number(rows[rows.length - 1]!.key);
      }
    },
    async buildDeferredIndexes() {
      await vectorIndexes.buildPending();
    },
    async deleteEncoderVectors(encoderId) {
      return (await query(`DELETE FROM vectors WHERE encoder_id = $1 RETURNING 1`, [encoderId])).length;
    },
    async compact() {
      // Plain VACUUM (not FULL): gives dead rows' space back for reuse without locking the tables out.
      for (const table of ['products', 'vectors', 'product_changes']) await query(`VACUUM ${table}`);
    },
    async productsWithoutVector(encoderId, keys) {
      const params: unknown[] = [encoderId];
      let where = '';
      if (keys !== undefined) {
        params.push([...new Set(keys)]);
        where = `AND p.key = ANY($2::bigint[])`;
      }
      const rows = await query<{ id: string; key: string; content_hash: string }>(
        `SELECT p.id, p.key, p.content_hash FROM products p
         WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.id = p.id AND v.encoder_id = $1 AND v.content_hash = p.content_hash) ${where} ORDER BY p.key`,
        params,
      );
      return rows.map((r) => ({ id: r.id, key: Number(r.key), contentHash: r.content_hash }));
    },

    transaction,

    getMeta,
    async setMeta(key, value) {
      if ((Object.values(PG_META) as string[]).includes(key)) throw createError('INVALID_ARGUMENT', `meta key "${key}" is managed by the store`, { field: 'key' });
      await setMetaRaw(key, value);
    },
    async stats() {
      const products = await store.count();
      const vectors: Record<string, { count: number; dimension: number }> = {};
      for (const r of await query<{ encoder_id: string; n: string; dim: number }>(`SELECT encoder_id, count(*) AS n, max(dim) AS dim FROM vectors GROUP BY encoder_id`)) {
        vectors[r.encoder_id] = { count: Number(r.n), dimension: r.dim };
      }
      const distributed = (await getMeta(PG_META.distributed)) === 'true';
      const size = distributed ? 'citus_total_relation_size' : 'pg_total_relation_size';
      const [s] = await query<{ bytes: string }>(`SELECT ${size}('products') + ${size}('vectors') AS bytes`);
      const sizeBytes = Number(s?.bytes ?? 0);
      return {
        path: where,
        schemaVersion: Number((await getMeta(PG_META.schemaVersion)) ?? PG_SCHEMA_VERSION),
        products,
        labels: await store.countLabels(),
        vectors,
        sizeBytes,
        bytesPerProduct: products > 0 ? Math.round(sizeBytes / products) : 0,
      };
    },
    async close() {
      await pool.end();
    },
  };
  return store;
}
