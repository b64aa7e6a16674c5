/**
 * Opening a database: create the store's tables on a new one (the Citus layout when asked), migrate
 * an older schema version in place, refuse a newer one. One opener at a time (an advisory lock), in
 * one transaction, so several servers may start together.
 */
import { randomUUID } from 'node:crypto';
import { createError } from '../../errors.ts';
import type { AnalyzedProduct } from '../store.ts';
import { query, statements, transaction, unlimitedQuery } from './connection.ts';
import { KEYWORD_FREQUENCY_TABLE, KEYWORD_MAX_RANK_COLUMN, fillKeywordFrequencies, fillKeywordMaxRanks } from './keyword-frequencies.ts';
import { KEYWORD_INDEXES_PENDING_KEY, KEYWORD_INDEX_STATEMENTS } from './keyword-indexes.ts';
import { getMeta, isDistributed } from './meta.ts';
import { PAIR_JOB_TABLES } from './pair-jobs.ts';
import { ADD_DISTINCT_FROM_VECTORS } from './distinct-vectors.ts';
import {
  CITUS_LAYOUT,
  HNSW_BUILD,
  DISTINCT_VECTORS_TABLES,
  PG_META,
  PG_MIGRATE_V3,
  PG_MIGRATE_V7,
  PG_SCHEMA_V1,
  PG_SCHEMA_V2,
  PG_SCHEMA_V3,
  PG_SCHEMA_V7,
  PG_SCHEMA_VERSION,
  hnswIndexName,
  hnswIndexSql,
} from './schema.ts';
import type { PgStoreState } from './state.ts';
import { hanKeywordsLiteral } from './tsvector.ts';

export async function ensureSchema(s: PgStoreState): Promise<void> {
  await transaction(s, async () => {
    await query(s, `SELECT pg_advisory_xact_lock(hashtext('prodsim.schema'))`);
    if (s.schema) await query(s, `CREATE SCHEMA IF NOT EXISTS ${s.schema}`);
    const version = await storedSchemaVersion(s);
    if (version === undefined) await createTables(s);
    else await migrateFrom(s, version);
  });
}

/** The database's schema version; undefined on a database without the store's tables. Refuses a newer version than this prodsim's. */
async function storedSchemaVersion(s: PgStoreState): Promise<number | undefined> {
  const exists = await query<{ t: string | null }>(s, `SELECT to_regclass('prodsim_meta')::text AS t`);
  if (!exists[0]?.t) return undefined;
  const v = await query<{ value: string }>(s, `SELECT value FROM prodsim_meta WHERE key = $1`, [PG_META.schemaVersion]);
  const version = Number(v[0]?.value);
  if (!Number.isInteger(version)) throw createError('STORE_ERROR', `database ${s.where} has a prodsim_meta table without a valid schema version`, { file: s.where });
  if (version > PG_SCHEMA_VERSION) {
    throw createError(
      'STORE_ERROR',
      `database ${s.where} has store schema version ${version}, newer than this prodsim understands (${PG_SCHEMA_VERSION}); upgrade prodsim`,
      { file: s.where, expected: `<= ${PG_SCHEMA_VERSION}`, received: String(version) },
    );
  }
  return version;
}

async function migrateFrom(s: PgStoreState, version: number): Promise<void> {
  if (version < 2) await migrateToV2(s);
  if (version < 3) await migrateToV3(s);
  // Version 4 changed only what han_keywords holds (the n-gram scheme): refilled from the stored
  // analysis (a version-1 database was filled in the current scheme by migrateToV2 already).
  if (version >= 2 && version < 4) await fillHanKeywords(s);
  if (version < 5) await statements(s, PAIR_JOB_TABLES);
  if (version < 6) await migrateToV6(s);
  if (version < 7) await migrateToV7(s);
  if (version < 8) await migrateToV8(s);
  if (version < PG_SCHEMA_VERSION) await query(s, `UPDATE prodsim_meta SET value = $2 WHERE key = $1`, [PG_META.schemaVersion, String(PG_SCHEMA_VERSION)]);
}

async function createTables(s: PgStoreState): Promise<void> {
  await query(s, `CREATE EXTENSION IF NOT EXISTS vector`);
  await query(s, PG_SCHEMA_V1);
  await query(s, PG_SCHEMA_V2);
  await query(s, PG_SCHEMA_V3);
  await query(s, PG_SCHEMA_V7);
  if (!s.opts.distributed) await query(s, DISTINCT_VECTORS_TABLES);
  await statements(s, PAIR_JOB_TABLES);
  await query(s, KEYWORD_FREQUENCY_TABLE);
  await query(s, KEYWORD_MAX_RANK_COLUMN);
  if (s.opts.distributed) {
    const citus = await query<{ n: string }>(s, `SELECT count(*) AS n FROM pg_extension WHERE extname = 'citus'`);
    if (Number(citus[0]?.n) === 0) throw createError('STORE_ERROR', `--distributed needs the Citus extension in ${s.where}`, { file: s.where });
    for (const statement of CITUS_LAYOUT.trim().split('\n')) await query(s, statement);
  }
  // The keyword indexes come after the first load (keyword-indexes.ts).
  await query(s, `INSERT INTO prodsim_meta (key, value) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, '1')`, [
    PG_META.schemaVersion,
    String(PG_SCHEMA_VERSION),
    PG_META.revision,
    randomUUID(),
    PG_META.changeLogId,
    randomUUID(),
    PG_META.distributed,
    String(s.opts.distributed),
    KEYWORD_INDEXES_PENDING_KEY,
  ]);
}

/** Version 1 → 2: the character n-gram tsvector, filled in from each product's stored analysis. */
async function migrateToV2(s: PgStoreState): Promise<void> {
  await statements(s, PG_SCHEMA_V2);
  await fillHanKeywords(s);
  // A database of version 1 has rows and its `keywords` index: the n-gram column's index is built now.
  for (const sql of KEYWORD_INDEX_STATEMENTS) await query(s, sql);
}

/** Version 2 → 3: the vectors' `current` column, and the HNSW indexes rebuilt as partial indexes on it. */
async function migrateToV3(s: PgStoreState): Promise<void> {
  await statements(s, PG_SCHEMA_V3);
  await statements(s, PG_MIGRATE_V3);
  for (const r of await query<{ name: string }>(s, `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'vectors' AND indexname ~ '^vectors_hnsw_[0-9]+$' AND schemaname = current_schema()`)) {
    await query(s, `DROP INDEX IF EXISTS ${r.name}`);
  }
  for (const r of await query<{ dim: number }>(s, `SELECT DISTINCT dim FROM vectors`)) await query(s, hnswIndexSql(r.dim, 'vectorPerProduct'));
}

/** Version 5 → 6: the keyword document frequencies, counted once from the stored tsvectors. */
async function migrateToV6(s: PgStoreState): Promise<void> {
  const existed = (await query<{ t: string | null }>(s, `SELECT to_regclass('keyword_frequencies')::text AS t`))[0]?.t;
  await query(s, KEYWORD_FREQUENCY_TABLE);
  // The table as this version writes it (the fill below sets the bounds too; version 8's fill again).
  await query(s, KEYWORD_MAX_RANK_COLUMN);
  if (!existed && (await getMeta(s, PG_META.distributed)) === 'true') await query(s, `SELECT create_reference_table('keyword_frequencies')`);
  // Counted afresh: the n-gram column may have been refilled by the steps before.
  await query(s, `DELETE FROM keyword_frequencies`);
  await fillKeywordFrequencies(s);
}

/** Version 7 → 8: each lexeme's rank bound, from the stored tsvectors (the synthetic 100k: 10.7 s, load ~3 on 2 cores). */
async function migrateToV8(s: PgStoreState): Promise<void> {
  await query(s, KEYWORD_MAX_RANK_COLUMN);
  await fillKeywordMaxRanks(s);
}

/**
 * Version 6 → 7: every vector's hash; on plain PostgreSQL the distinct vectors, and each HNSW index
 * over the vectors replaced by one over the distinct vectors (built here, as the opener holds the
 * schema lock; the synthetic 1M's 305k distinct vectors: ~70 s, its 133 s index step less the
 * ~61 s its GIN builds took before). A dimension still pending keeps its mark: its index is built
 * after the next load, in the new layout.
 */
async function migrateToV7(s: PgStoreState): Promise<void> {
  // Each statement grows with the catalog: without the statement timeouts.
  await statements(s, PG_SCHEMA_V7);
  await unlimitedQuery(s, PG_MIGRATE_V7);
  if (await isDistributed(s)) return;
  await statements(s, DISTINCT_VECTORS_TABLES);
  await unlimitedQuery(s, ADD_DISTINCT_FROM_VECTORS);
  await unlimitedQuery(s, `ANALYZE vectors, distinct_vectors`);
  await query(s, `SELECT set_config('maintenance_work_mem', $1, true)`, [HNSW_BUILD.maintenanceWorkMem]);
  for (const r of await query<{ dim: number }>(s, `SELECT DISTINCT dim FROM vectors`)) {
    const [old] = await query<{ t: string | null }>(s, `SELECT to_regclass($1)::text AS t`, [hnswIndexName(r.dim, 'vectorPerProduct')]);
    if (!old?.t) continue;
    await query(s, `DROP INDEX ${hnswIndexName(r.dim, 'vectorPerProduct')}`);
    await unlimitedQuery(s, hnswIndexSql(r.dim, 'distinctVectors'));
  }
}

/** Every product's character n-gram tsvector, from its stored analysis (the current `hanNgramTokens` scheme). */
async function fillHanKeywords(s: PgStoreState): Promise<void> {
  for (let after = -1; ; ) {
    const rows = await query<{ id: string; key: string; analyzed: string }>(s, `SELECT id, key, analyzed FROM products WHERE key > $1 ORDER BY key LIMIT 1000`, [after]);
    if (rows.length === 0) return;
    // One row per statement, by id: on Citus each goes to its product's shard.
    for (const r of rows) await query(s, `UPDATE products SET han_keywords = $2::tsvector WHERE id = $1`, [r.id, hanKeywordsLiteral(JSON.parse(r.analyzed) as AnalyzedProduct)]);
    after = Number(rows[rows.length - 1]!.key);
  }
}
