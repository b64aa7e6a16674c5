/** `nearestNeighbours` on the SQLite store: an exact cosine scan, filtered like the keyword query. */
import { categoryLevels } from '../../catalog/product.ts';
import { brandColumnValue, type KeywordFilter, type KeywordRow, type NearestNeighboursOptions, type NeighbourRow, type SyncProductStore } from '../store.ts';

/**
 * Exact cosine nearest neighbours over an encoder's current vectors, filtered by the keyword-row
 * columns: what `nearestNeighbours` means, answered by a scan (the engine's SQLite path uses the
 * in-memory ANN index; this serves tools and the contract tests).
 */
export function exactNearest(store: Pick<SyncProductStore, 'keywordRowsPage' | 'vectorsPage'>, encoderId: string, vector: Float32Array, options: NearestNeighboursOptions): NeighbourRow[] {
  const { k, filter, excludeIds } = options;
  const passes = filter ? keywordRowFilter(filter) : undefined;
  const rows = passes ? new Map(iterateAll((after) => store.keywordRowsPage(after, 1000)).map((r) => [r.key, r])) : undefined;
  const norm = Math.hypot(...vector) || 1;
  const scored: NeighbourRow[] = [];
  for (const v of iterateAll((after) => store.vectorsPage(encoderId, after, 1000))) {
    if (excludeIds?.has(v.id)) continue;
    if (rows && passes) {
      const row = rows.get(v.key);
      if (!row || !passes(row)) continue;
    }
    let dot = 0;
    for (let i = 0; i < vector.length; i++) dot += vector[i]! * (v.vector[i] ?? 0);
    scored.push({ id: v.id, key: v.key, similarity: dot / (norm * (Math.hypot(...v.vector) || 1)) });
  }
  return scored.sort((a, b) => b.similarity - a.similarity || a.key - b.key).slice(0, k);
}

function iterateAll<T extends { key: number }>(page: (afterKey: number) => T[]): T[] {
  const out: T[] = [];
  for (let after = 0; ; ) {
    const rows = page(after);
    if (rows.length === 0) return out;
    out.push(...rows);
    after = rows[rows.length - 1]!.key;
  }
}

/** `KeywordFilter` on a keyword row, with the SQL filter's rules (category by whole levels, unknown stock passes neither value). */
export function keywordRowFilter(filter: KeywordFilter): (row: KeywordRow) => boolean {
  const prefix = categoryLevels(filter.categoryPrefix).join('/');
  const brands = filter.brandIn ? new Set([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null)) : undefined;
  return (row) => {
    if (prefix !== '' && !(row.category === prefix || (row.category ?? '').startsWith(`${prefix}/`))) return false;
    if (filter.minPrice !== undefined && !(row.price !== null && row.price >= filter.minPrice)) return false;
    if (filter.maxPrice !== undefined && !(row.price !== null && row.price <= filter.maxPrice)) return false;
    if (filter.inStock !== undefined && row.inStock !== filter.inStock) return false;
    if (brands && !brands.has(brandColumnValue(row.brand) ?? '')) return false;
    return true;
  };
}
