/** Upkeep of the PostgreSQL store: meta keys, stats, VACUUM, closing the pool. */
import { createError } from '../../errors.ts';
import type { ProductStore, StoreStats } from '../store.ts';
import { query } from './connection.ts';
import { pruneDistinctVectors } from './distinct-vectors.ts';
import { annLayout, getMeta, setMetaRaw } from './meta.ts';
import { countLabels } from './labels.ts';
import { countProducts } from './revision-cache.ts';
import { PG_META, PG_SCHEMA_VERSION } from './schema.ts';
import type { PgStoreState } from './state.ts';

async function stats(s: PgStoreState): Promise<StoreStats> {
  const products = await countProducts(s);
  const vectors: Record<string, { count: number; dimension: number }> = {};
  for (const r of await query<{ encoder_id: string; n: string; dim: number }>(s, `SELECT encoder_id, count(*) AS n, max(dim) AS dim FROM vectors GROUP BY encoder_id`)) {
    vectors[r.encoder_id] = { count: Number(r.n), dimension: r.dim };
  }
  const distributed = (await getMeta(s, PG_META.distributed)) === 'true';
  const size = distributed ? 'citus_total_relation_size' : 'pg_total_relation_size';
  const tables = distributed ? ['products', 'vectors'] : ['products', 'vectors', 'distinct_vectors'];
  const [sized] = await query<{ bytes: string }>(s, `SELECT ${tables.map((t) => `${size}('${t}')`).join(' + ')} AS bytes`);
  const sizeBytes = Number(sized?.bytes ?? 0);
  return {
    path: s.where,
    schemaVersion: Number((await getMeta(s, PG_META.schemaVersion)) ?? PG_SCHEMA_VERSION),
    products,
    labels: await countLabels(s),
    vectors,
    sizeBytes,
    bytesPerProduct: products > 0 ? Math.round(sizeBytes / products) : 0,
  };
}

export function storeUpkeep(s: PgStoreState): Pick<ProductStore, 'getMeta' | 'setMeta' | 'stats' | 'compact' | 'close'> {
  return {
    getMeta: (key) => getMeta(s, key),
    async setMeta(key, value) {
      if ((Object.values(PG_META) as string[]).includes(key)) throw createError('INVALID_ARGUMENT', `meta key "${key}" is managed by the store`, { field: 'key' });
      await setMetaRaw(s, key, value);
    },
    stats: () => stats(s),
    async compact() {
      const distinct = (await annLayout(s)) === 'distinctVectors';
      if (distinct) await pruneDistinctVectors(s);
      // Plain VACUUM (not FULL): gives dead rows' space back for reuse without locking the tables out.
      for (const table of ['products', 'vectors', 'product_changes', ...(distinct ? ['distinct_vectors'] : [])]) await query(s, `VACUUM ${table}`);
    },
    async close() {
      await s.pool.end();
    },
  };
}
