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
import { vectorHash } from './distinct-vectors.ts';
import { vectorLiteral } from './vectors.ts';

/**
 * The nearest-neighbour statement: $1 the query vector, $2 the encoder id, $3 the row limit;
 * `filters` are conditions over the product row `p`. `npm run explain:nearest` shows its plan.
 * - `distinctVectors`: the HNSW index walks `distinct_vectors` in distance order and each distinct
 *   vector joins the current vectors that have it (by `vector_hash`), so the rows come in distance
 *   order and the limit stops the walk (a nested loop under the limit). With `twinsHash` (the
 *   parameter holding the query vector's `vectorHash`), the products whose vector is the query
 *   vector itself come first, found by their hash: HNSW can leave a node no other node links to
 *   (a vector far from all others, `distinct-vectors.ts`), and a product's identical twins are the
 *   one answer a similar-items query must never miss. A row can then come twice (both branches).
 * - `vectorPerProduct`: `current` is the vectors' own column (no join on the content hash), so the
 *   planner walks the HNSW index (partial on `dim` and `current`); products are joined only for a filter.
 */
export function nearestNeighboursSql(dim: number, layout: AnnLayout, filters: readonly string[] = [], twinsHash?: string): string {
  const products = filters.length > 0 ? 'JOIN products p ON p.id = v.id ' : '';
  if (layout === 'distinctVectors') {
    const distance = `(d.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
    const walk = `SELECT v.id, v.key, ${distance} AS distance FROM distinct_vectors d JOIN vectors v ON v.vector_hash = d.vector_hash AND v.current AND v.encoder_id = d.encoder_id ${products}WHERE ${[`d.encoder_id = $2`, `d.dim = ${dim}`, ...filters].join(' AND ')} ORDER BY ${distance} LIMIT $3`;
    if (twinsHash === undefined) return walk;
    const twins = `SELECT v.id, v.key, 0::float8 AS distance FROM vectors v ${products}WHERE ${[`v.vector_hash = ${twinsHash}`, `v.current`, `v.encoder_id = $2`, `v.dim = ${dim}`, ...filters].join(' AND ')} LIMIT $3`;
    return `(${twins}) UNION ALL (${walk})`;
  }
  const distance = `(v.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
  return `SELECT v.id, v.key, ${distance} AS distance FROM vectors v ${products}WHERE ${[`v.encoder_id = $2`, `v.dim = ${dim}`, `v.current`, ...filters].join(' AND ')} ORDER BY ${distance} LIMIT $3`;
}

export async function nearestNeighbours(s: PgStoreState, encoderId: string, vector: Float32Array, nnOptions: NearestNeighboursOptions): Promise<NeighbourRow[]> {
  const { k, filter, excludeIds } = nnOptions;
  const dim = vector.length;
  if (!Number.isInteger(dim) || dim < 1) return [];
  const exclude = excludeIds ? [...excludeIds] : [];
  const limit = k + exclude.length;
  const params: unknown[] = [vectorLiteral(vector), encoderId, limit];
  const filters = filterSql(filter, params);
  const layout = await annLayout(s);
  if (layout === 'distinctVectors') params.push(vectorHash(vector));
  const sql = nearestNeighboursSql(dim, layout, filters, layout === 'distinctVectors' ? `$${params.length}` : undefined);
  // Iterative scans (set on every connection, state.ts): with a selective filter the index is read
  // further until enough rows pass. Only more rows than `ef_search` need it raised, for this query alone.
  const rows =
    limit <= HNSW_SEARCH.efSearch
      ? await query<{ id: string; key: string; distance: number }>(s, sql, params)
      : await transaction(s, async () => {
          await query(s, `SELECT set_config('hnsw.ef_search', $1, true)`, [String(limit)]);
          return query<{ id: string; key: string; distance: number }>(s, sql, params);
        });
  // A twin comes from both branches: kept once, at its closer distance. relaxed_order can return
  // rows slightly out of order: sort again.
  const byId = new Map<string, NeighbourRow>();
  for (const r of rows) {
    if (excludeIds?.has(r.id)) continue;
    const similarity = 1 - Number(r.distance);
    if ((byId.get(r.id)?.similarity ?? -Infinity) < similarity) byId.set(r.id, { id: r.id, key: Number(r.key), similarity });
  }
  return [...byId.values()].sort((a, b) => b.similarity - a.similarity || a.key - b.key).slice(0, k);
}
