/**
 * Nearest neighbours in the database: pgvector's HNSW index with the product filter in the same
 * query, and iterative index scans, so a selective filter still gives k rows.
 */
import type { NearestNeighboursOptions, NeighbourRow } from '../store.ts';
import { query, transaction } from './connection.ts';
import { filterSql } from './product-filter.ts';
import { annLayout } from './meta.ts';
import { HNSW_SEARCH, type AnnLayout } from './schema.ts';
import type { PgStoreState } from './state.ts';
import { vectorLiteral } from './vectors.ts';

/**
 * The nearest-neighbour statement: $1 the query vector, $2 the encoder id, $3 the row limit;
 * `filters` are conditions over the product row `p`. `npm run explain:nearest` shows its plan.
 * - `distinctVectors`: the HNSW index walks `distinct_vectors` in distance order and each distinct
 *   vector joins the current vectors that have it (by `vector_hash`), so the rows come in distance
 *   order and the limit stops the walk (a nested loop under the limit).
 * - `vectorPerProduct`: `current` is the vectors' own column (no join on the content hash), so the
 *   planner walks the HNSW index (partial on `dim` and `current`); products are joined only for a filter.
 */
export function nearestNeighboursSql(dim: number, layout: AnnLayout, filters: readonly string[] = []): string {
  const products = filters.length > 0 ? 'JOIN products p ON p.id = v.id ' : '';
  const where = [...filters];
  if (layout === 'distinctVectors') {
    const distance = `(d.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
    return `SELECT v.id, v.key, ${distance} AS distance FROM distinct_vectors d JOIN vectors v ON v.vector_hash = d.vector_hash AND v.current AND v.encoder_id = d.encoder_id ${products}WHERE ${[`d.encoder_id = $2`, `d.dim = ${dim}`, ...where].join(' AND ')} ORDER BY ${distance} LIMIT $3`;
  }
  const distance = `(v.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
  return `SELECT v.id, v.key, ${distance} AS distance FROM vectors v ${products}WHERE ${[`v.encoder_id = $2`, `v.dim = ${dim}`, `v.current`, ...where].join(' AND ')} ORDER BY ${distance} LIMIT $3`;
}

export async function nearestNeighbours(s: PgStoreState, encoderId: string, vector: Float32Array, nnOptions: NearestNeighboursOptions): Promise<NeighbourRow[]> {
  const { k, filter, excludeIds } = nnOptions;
  const dim = vector.length;
  if (!Number.isInteger(dim) || dim < 1) return [];
  const exclude = excludeIds ? [...excludeIds] : [];
  const limit = k + exclude.length;
  const params: unknown[] = [vectorLiteral(vector), encoderId, limit];
  const sql = nearestNeighboursSql(dim, await annLayout(s), filterSql(filter, params));
  // Iterative scans (set on every connection, state.ts): with a selective filter the index is read
  // further until enough rows pass. Only more rows than `ef_search` need it raised, for this query alone.
  const rows =
    limit <= HNSW_SEARCH.efSearch
      ? await query<{ id: string; key: string; distance: number }>(s, sql, params)
      : await transaction(s, async () => {
          await query(s, `SELECT set_config('hnsw.ef_search', $1, true)`, [String(limit)]);
          return query<{ id: string; key: string; distance: number }>(s, sql, params);
        });
  // relaxed_order can return rows slightly out of order: sort again.
  return rows
    .filter((r) => !excludeIds?.has(r.id))
    .map((r): NeighbourRow => ({ id: r.id, key: Number(r.key), similarity: 1 - Number(r.distance) }))
    .sort((a, b) => b.similarity - a.similarity || a.key - b.key)
    .slice(0, k);
}
