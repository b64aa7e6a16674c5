/**
 * The nearest-neighbour index of plain PostgreSQL holds each distinct vector once
 * (`distinct_vectors`), and a query joins the products that have it by `vector_hash`.
 *
 * Why: HNSW links a node to its nearest nodes, and identical vectors are each other's nearest. A
 * group of identical vectors larger than a node's link budget (2 × m = 32 at layer 0) is linked only
 * to itself, and a search that enters it cannot leave. In the synthetic 1M catalog (800 groups of
 * 304–418 identical text vectors, 28 % of the products) tie-aware recall@10 was 0.94 and 0.98 on two
 * builds, and a larger ef_search did not help (docs/benchmarks/postgres.md). On the duplicate-heavy
 * catalog of test/store-postgres-distinct-vectors.test.ts, one node per row gave 0.374. Catalogs do
 * hold identical products (one item from many sellers, variants that differ in no encoded field).
 *
 * Citus keeps one node per product row (`AnnLayout`): a distinct vector's products live on many
 * shards, and the join by hash would cross nodes.
 *
 * Upkeep: writes add the distinct rows of current vectors; a distinct row no current vector has any
 * more (its products changed or were deleted) costs the search a skipped node until `compact`
 * (`prodsim vacuum`) removes it. The removal and the writes exclude each other by an advisory lock
 * (writes share it), so a row a writer relies on is never removed under it.
 */
import { createHash } from 'node:crypto';
import { query, transaction } from './connection.ts';
import type { PgStoreState } from './state.ts';

const LOCK = 'prodsim.distinct_vectors';

/**
 * md5 of the vector as pgvector's `vector_send` gives it (int16 dimension, int16 zero, big-endian
 * float4s): the hash the migration computes in SQL (`PG_MIGRATE_V7`) for vectors already stored.
 */
export function vectorHash(v: Float32Array): Buffer {
  const bytes = Buffer.alloc(4 + 4 * v.length);
  bytes.writeInt16BE(v.length, 0);
  for (let i = 0; i < v.length; i++) bytes.writeFloatBE(v[i]!, 4 + 4 * i);
  return createHash('md5').update(bytes).digest();
}

/** Inside a transaction that adds distinct rows: holds the lock `pruneDistinctVectors` waits for. */
export const shareDistinctVectors = (s: PgStoreState) => query(s, `SELECT pg_advisory_xact_lock_shared(hashtext($1))`, [LOCK]);

/**
 * `written` (a CTE of vector rows with encoder_id, vector_hash, dim, embedding, current) added to
 * `distinct_vectors`: one row per new distinct current vector.
 */
export const ADD_DISTINCT_FROM_WRITTEN = `INSERT INTO distinct_vectors (encoder_id, vector_hash, dim, embedding)
  SELECT DISTINCT ON (encoder_id, vector_hash) encoder_id, vector_hash, dim, embedding FROM written WHERE current AND vector_hash IS NOT NULL
  ON CONFLICT (encoder_id, vector_hash) DO NOTHING`;

/** The distinct row of every current vector (the migration, and a layout's first fill). */
export const ADD_DISTINCT_FROM_VECTORS = `WITH written AS (SELECT encoder_id, vector_hash, dim, embedding, current FROM vectors WHERE current) ${ADD_DISTINCT_FROM_WRITTEN}`;

/** Removes the distinct rows no current vector has; returns how many. */
export function pruneDistinctVectors(s: PgStoreState): Promise<number> {
  return transaction(s, async () => {
    await query(s, `SELECT pg_advisory_xact_lock(hashtext($1))`, [LOCK]);
    const gone = await query(
      s,
      `DELETE FROM distinct_vectors d WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.vector_hash = d.vector_hash AND v.current AND v.encoder_id = d.encoder_id) RETURNING 1`,
    );
    return gone.length;
  });
}
