/**
 * The HNSW indexes of current vectors, one per vector dimension (`hnswIndexSql`: over
 * `distinct_vectors` on plain PostgreSQL, over `vectors` on Citus), built after a
 * bulk load instead of row by row. pgvector inserts each row into the graph as it is written (~2 ms
 * a 200-dimensional vector at 10k, growing with the graph); `CREATE INDEX` over rows already there
 * builds the same graph in about half the time at 10k, and with enough `maintenance_work_mem` the
 * graph is built in memory (at 1M the default 64 MB does not hold it, and the build slows down
 * several times). So the first vectors of a dimension are written without an index and the
 * dimension is marked pending in `prodsim_meta` (in the writing transaction: a killed ingest leaves
 * it marked); `buildPending` (the store's `buildDeferredIndexes`, called by the catalog refresh
 * after its encode pass) builds the index. Until then a nearest-neighbour query scans the vectors
 * exactly: slower, never wrong. Once a dimension has its index, later writes go into it row by row.
 */
import { buildMarkedIndex, type IndexBuildDeps } from './deferred-index-build.ts';
import { hnswIndexName, hnswIndexSql, type AnnLayout } from './schema.ts';

/** Meta key prefix of a dimension whose vectors have no HNSW index yet: `vectors.hnsw_pending.<dim>`. */
export const HNSW_PENDING_META_PREFIX = 'vectors.hnsw_pending.';

export interface VectorIndexes {
  /** Before writing vectors of `dim` (inside the writing transaction): marks the dimension pending when it has no index. */
  beforeWrite(dim: number): Promise<void>;
  /** Builds the index of every pending dimension (one at a time, one builder at a time). Returns the dimensions built. */
  buildPending(): Promise<number[]>;
}

export function createVectorIndexes(deps: IndexBuildDeps, layout: () => Promise<AnnLayout>): VectorIndexes {
  const { query } = deps;
  /** Dimensions this handle knows to have their index (an index is never dropped while a store is open). */
  const indexed = new Set<number>();
  /** Dimensions this handle marked pending (no need to write the mark again before the build). */
  const marked = new Set<number>();

  async function hasIndex(dim: number): Promise<boolean> {
    if (indexed.has(dim)) return true;
    const [r] = await query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [hnswIndexName(dim, await layout())]);
    if (r?.t) indexed.add(dim);
    return indexed.has(dim);
  }

  return {
    async beforeWrite(dim) {
      if (marked.has(dim) || (await hasIndex(dim))) return;
      await query(`INSERT INTO prodsim_meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO NOTHING`, [`${HNSW_PENDING_META_PREFIX}${dim}`]);
      marked.add(dim);
    },

    async buildPending() {
      const pending = await query<{ key: string }>(`SELECT key FROM prodsim_meta WHERE key LIKE $1 ORDER BY key`, [`${HNSW_PENDING_META_PREFIX}%`]);
      const built: number[] = [];
      for (const { key } of pending) {
        const dim = Number(key.slice(HNSW_PENDING_META_PREFIX.length));
        if (!Number.isInteger(dim) || dim < 1) continue;
        // Built here or, when another server held the lock first, by it: either way the index is there.
        await buildMarkedIndex(deps, 'prodsim.hnsw', key, [hnswIndexSql(dim, await layout())]);
        indexed.add(dim);
        marked.delete(dim);
        built.push(dim);
      }
      return built;
    },
  };
}
