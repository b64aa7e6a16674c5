/**
 * The PostgreSQL schema of the store, versioned in `prodsim_meta` like the SQLite one. Every table
 * that grows with the catalog (products, vectors) is keyed by the product id, so on Citus they are
 * distributed by it and co-located (a product's vectors sit on its product's shard: the
 * nearest-neighbour join never crosses nodes); the small ones (meta, labels, the change log) are
 * reference tables.
 */
/**
 * 4: `han_keywords` holds n-gram scheme 2 (`HAN_NGRAM_SCHEME`: Latin words and numbers as character n-grams too). 5: the pair-job tables.
 * 6: `keyword_frequencies`, the document frequency of every keyword lexeme (`keyword-frequencies.ts`).
 * 7: `vectors.vector_hash` and, on plain PostgreSQL, `distinct_vectors` with the HNSW indexes (`PG_SCHEMA_V7`).
 * 8: `keyword_frequencies.max_rank`, each lexeme's rank bound (`keyword-frequencies.ts`).
 */
export const PG_SCHEMA_VERSION = 8;

/** Meta keys the store manages itself. */
export const PG_META = {
  schemaVersion: 'schema_version',
  revision: 'products.revision',
  changeLogId: 'products.change_log',
  changeLogTrimmed: 'products.change_log_trimmed',
  distributed: 'layout.distributed',
} as const;

export const PG_SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS prodsim_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE IF NOT EXISTS prodsim_product_key;
CREATE TABLE IF NOT EXISTS products (
  id text NOT NULL,
  key bigint NOT NULL,
  content_hash text NOT NULL,
  updated_at bigint NOT NULL,
  category text,
  price double precision,
  in_stock boolean,
  brand text,
  json text NOT NULL,
  analyzed text NOT NULL,
  keywords tsvector NOT NULL,
  PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS products_by_key ON products (key);
CREATE INDEX IF NOT EXISTS products_by_category ON products (category text_pattern_ops);
CREATE TABLE IF NOT EXISTS vectors (
  id text NOT NULL,
  encoder_id text NOT NULL,
  key bigint NOT NULL,
  content_hash text NOT NULL,
  dim integer NOT NULL,
  embedding vector NOT NULL,
  PRIMARY KEY (id, encoder_id)
);
CREATE INDEX IF NOT EXISTS vectors_by_hash ON vectors (encoder_id, content_hash);
CREATE TABLE IF NOT EXISTS labels (
  left_id text NOT NULL,
  right_id text NOT NULL,
  source text NOT NULL,
  label double precision NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (left_id, right_id, source)
);
CREATE TABLE IF NOT EXISTS product_changes (
  seq bigint PRIMARY KEY,
  key bigint NOT NULL,
  op text NOT NULL CHECK (op IN ('upsert', 'delete'))
);
CREATE SEQUENCE IF NOT EXISTS prodsim_change_seq;
`;

/**
 * Version 2: the second keyword granularity (`keywordSearch({ granularity: 'hanNgrams' })`), a
 * tsvector of the Chinese character unigrams and bigrams of every field's tokens (its GIN index: `keyword-indexes.ts`).
 * Rows of a version-1 database are filled in by the migration (`migrations.ts`).
 */
export const PG_SCHEMA_V2 = `
ALTER TABLE products ADD COLUMN IF NOT EXISTS han_keywords tsvector;
`;

/**
 * Version 3: `vectors.current`, true while the vector was computed from its product's current
 * content (kept by the store on every product and vector write). The nearest-neighbour query then
 * filters vectors by their own column instead of joining products on the content hash, and the
 * HNSW index is partial on it: with the join the planner did not use the index (107 ms a query at
 * 10k products, a sequential scan; 1.2 ms with it: docs/benchmarks/postgres-nearest.md).
 */
export const PG_SCHEMA_V3 = `
ALTER TABLE vectors ADD COLUMN IF NOT EXISTS current boolean NOT NULL DEFAULT false;
`;
/** Version 2 → 3: the flag of the vectors already stored; the HNSW indexes without it are replaced by partial ones. */
export const PG_MIGRATE_V3 = `
UPDATE vectors v SET current = (v.content_hash = p.content_hash) FROM products p WHERE p.id = v.id;
`;

/**
 * Version 7: `vectors.vector_hash`, the md5 of the vector's bytes as pgvector sends them
 * (`vector_send`: dimension, a zero, the floats big-endian), so the same vector has the same hash
 * whoever computed it (the store in Node, the migration in SQL).
 */
export const PG_SCHEMA_V7 = `
ALTER TABLE vectors ADD COLUMN IF NOT EXISTS vector_hash bytea;
`;
/** Version 6 → 7: the hash of every vector already stored. */
export const PG_MIGRATE_V7 = `
UPDATE vectors SET vector_hash = decode(md5(vector_send(embedding)), 'hex') WHERE vector_hash IS NULL;
`;

/**
 * Version 7, plain PostgreSQL: each distinct current vector of an encoder once, the rows the HNSW
 * index holds; products find theirs by `vector_hash` (`distinct-vectors.ts` says why).
 */
export const DISTINCT_VECTORS_TABLES = `
CREATE TABLE IF NOT EXISTS distinct_vectors (
  encoder_id text NOT NULL,
  vector_hash bytea NOT NULL,
  dim integer NOT NULL,
  embedding vector NOT NULL,
  PRIMARY KEY (encoder_id, vector_hash)
);
CREATE INDEX IF NOT EXISTS vectors_current_by_vector_hash ON vectors (vector_hash) WHERE current;
`;

/**
 * What the HNSW index holds. `distinctVectors` (plain PostgreSQL): one node per distinct vector of
 * `distinct_vectors`. `vectorPerProduct` (Citus): one node per current row of `vectors`, so each
 * shard's index holds its own products and a query never joins across nodes.
 */
export type AnnLayout = 'distinctVectors' | 'vectorPerProduct';

/**
 * Version 5: the tables of pair jobs (a dedup run by several worker processes: `pair-jobs.ts`),
 * `PAIR_JOB_TABLES`. An older database gets them, empty, on open.
 */

/** Citus layout: product-keyed tables distributed by product id and co-located; small tables replicated. */
export const CITUS_LAYOUT = `
SELECT create_reference_table('prodsim_meta');
SELECT create_reference_table('labels');
SELECT create_reference_table('product_changes');
SELECT create_reference_table('keyword_frequencies');
SELECT create_distributed_table('products', 'id');
SELECT create_distributed_table('vectors', 'id', colocate_with => 'products');
`;

/** The name of the HNSW index of one vector dimension in a layout. */
export function hnswIndexName(dim: number, layout: AnnLayout): string {
  return layout === 'distinctVectors' ? `distinct_vectors_hnsw_${dim}` : `vectors_hnsw_current_${dim}`;
}

/**
 * The HNSW index of one vector dimension: on the half-precision cast of the stored float vectors
 * (half the index size, recall within ~1e-3 of full precision), cosine distance. Partial on the
 * dimension so rows of other encoders (image hashes, histograms) are left out of it.
 */
export function hnswIndexSql(dim: number, layout: AnnLayout): string {
  const [table, current] = layout === 'distinctVectors' ? ['distinct_vectors', ''] : ['vectors', ' AND current'];
  return `CREATE INDEX IF NOT EXISTS ${hnswIndexName(dim, layout)} ON ${table} USING hnsw ((embedding::halfvec(${dim})) halfvec_cosine_ops) WITH (m = ${HNSW_BUILD.m}, ef_construction = ${HNSW_BUILD.efConstruction}) WHERE dim = ${dim}${current}`;
}

/**
 * When the store runs ANALYZE on a table it wrote (products, vectors): after a handle's first write,
 * then once it wrote `ANALYZE_AFTER_ROWS`, or `ANALYZE_GROWTH_SHARE` of the rows the table had at
 * its last ANALYZE if that is more. A table filled since its last statistics looks empty to the
 * planner, which then scans instead of using the HNSW index (autovacuum analyses later, not at
 * once). Once it has statistics the planner scales its row estimates by the table's current size,
 * so a growing table needs them again only as it grows by a share: every 5,000 rows, a 1M-product
 * load ran ANALYZE products 200 times, ~0.8 s each (the tsvector columns' statistics), 13.3 of the
 * 45 s of store writes at 100k (pg_stat_statements); by a half, ~13 times.
 */
export const ANALYZE_AFTER_ROWS = 5_000;
export const ANALYZE_GROWTH_SHARE = 0.5;

/** Rows to write before the next ANALYZE of a table that had `rowsAtAnalyse` rows at its last. */
export function rowsBeforeNextAnalyse(rowsAtAnalyse: number): number {
  return Math.max(ANALYZE_AFTER_ROWS, Math.ceil(ANALYZE_GROWTH_SHARE * Math.max(0, rowsAtAnalyse)));
}

/**
 * HNSW build parameters (pgvector defaults are m 16, ef_construction 64; a larger ef_construction buys
 * recall at 1M). `maintenanceWorkMem`: the session's `maintenance_work_mem` while an index is built
 * after a bulk load (`vector-index.ts`), enough to hold the graph of 1M 200-dimensional halfvecs.
 */
export const HNSW_BUILD = { m: 16, efConstruction: 100, maintenanceWorkMem: '1GB' } as const;
/**
 * Search parameters: `ef_search` candidates, and iterative scans (pgvector 0.8) so a selective
 * filter still returns k rows: the index is scanned further until k rows pass or
 * `max_scan_tuples` were visited. `relaxed_order` may return rows slightly out of order; the
 * store sorts them again.
 */
export const HNSW_SEARCH = { efSearch: 100, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 } as const;
