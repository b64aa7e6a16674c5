/**
 * The nearest-neighbour index of plain PostgreSQL holds each distinct vector once
 * (src/store/postgres/distinct-vectors.ts): a catalog with large groups of identical vectors keeps
 * its recall, a product whose content comes back is found again after `compact`, and a version-6
 * database is migrated to it. Skips without the servers of `scripts/test-servers.sh`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Product } from '../src/catalog/product.ts';
import { cosineSimilarity } from '../src/encoders/encoder.ts';
import { createPostgresStore } from '../src/store/postgres/pg-store.ts';
import { vectorHash } from '../src/store/postgres/distinct-vectors.ts';
import { nearestNeighboursSql } from '../src/store/postgres/nearest.ts';
import { hnswIndexName, hnswIndexSql, PG_SCHEMA_VERSION } from '../src/store/postgres/schema.ts';
import { vectorLiteral } from '../src/store/postgres/vectors.ts';
import type { ProductStore } from '../src/store/store.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { postgresTestTarget } from './fixtures/postgres-servers.ts';

const analyzer = createTextAnalyzer();
const ENCODER = 'test-vectors';
const DIM = 32;

const item = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });
const product = (id: string): Product => ({ id, title: `product ${id}`, tags: [], images: [], attributes: {} });

/** mulberry32: the same catalog on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/**
 * 200 groups of 50 identical vectors around 5 centres, and 500 vectors of their own. With one HNSW
 * node per product row (the Citus layout forced on plain PostgreSQL), the first test below measured
 * tie-aware recall@10 0.374: each group, larger than a node's 32 links at layer 0, is linked only to itself.
 */
function duplicateHeavyCatalog(seed: number): { vectors: Map<string, Float32Array>; singles: string[] } {
  const rnd = random(seed);
  const centres = Array.from({ length: 5 }, () => Array.from({ length: DIM }, rnd));
  const vectors = new Map<string, Float32Array>();
  for (let g = 0; g < 200; g++) {
    const v = Float32Array.from(centres[g % 5]!, (x) => x + 0.15 * rnd());
    for (let i = 0; i < 50; i++) vectors.set(`g${g}-${i}`, v);
  }
  const singles: string[] = [];
  for (let i = 0; i < 500; i++) {
    vectors.set(`s${i}`, Float32Array.from({ length: DIM }, rnd));
    singles.push(`s${i}`);
  }
  return { vectors, singles };
}

async function load(store: ProductStore, vectors: Map<string, Float32Array>): Promise<void> {
  const ids = [...vectors.keys()];
  for (let i = 0; i < ids.length; i += 1000) {
    const results = await store.upsertProducts(ids.slice(i, i + 1000).map((id) => item(product(id))));
    await store.putVectors(
      ENCODER,
      results.map((r) => ({ id: r.id, contentHash: r.contentHash, vector: vectors.get(r.id)! })),
    );
  }
  await store.buildDeferredIndexes?.();
}

/** A client on the store's schema. */
async function schemaClient(url: string): Promise<pg.Client> {
  const u = new URL(url);
  const schema = u.searchParams.get('schema')!;
  u.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: u.toString(), options: `-c search_path=${schema},public` });
  await client.connect();
  return client;
}

const target = await postgresTestTarget('PRODSIM_TEST_POSTGRES_URL', false);

/** A store on a fresh schema and a client on it, both closed after `fn`. */
async function withFreshStore(fn: (store: ProductStore, client: pg.Client) => Promise<void>): Promise<void> {
  const url = await target.freshSchemaUrl();
  const store = await createPostgresStore({ url });
  const client = await schemaClient(url);
  try {
    await fn(store, client);
  } finally {
    await client.end();
    await store.close();
  }
}

describe('distinct vectors on PostgreSQL', { skip: target.skip }, () => {
  after(() => target.dropSchemas());

  test('groups of identical vectors larger than the HNSW link budget keep recall@10 ≥ 0.95, through the index', () =>
    withFreshStore(async (store, client) => {
      const { vectors, singles } = duplicateHeavyCatalog(1);
      await load(store, vectors);
      const distinct = await client.query<{ n: string }>(`SELECT count(*) AS n FROM distinct_vectors`);
      assert.equal(Number(distinct.rows[0]!.n), 200 + 500, 'each distinct vector once');
      // The recall below would be 1 from an exact scan too: the plan must walk the HNSW index.
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${nearestNeighboursSql(DIM, 'distinctVectors')}`, [
        vectorLiteral(vectors.get('s0')!),
        ENCODER,
        10,
      ]);
      const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(planText, new RegExp(`Index Scan using ${hnswIndexName(DIM, 'distinctVectors')}`), planText);

      const all = [...vectors];
      let found = 0;
      for (const id of singles.slice(0, 100)) {
        const q = vectors.get(id)!;
        const exact = all.map(([, v]) => cosineSimilarity(q, v)).sort((a, b) => b - a);
        const tenth = exact[10]!; // exact[0] is the probe itself, excluded below
        const hits = await store.nearestNeighbours(ENCODER, q, { k: 10, excludeIds: new Set([id]) });
        assert.equal(hits.length, 10);
        found += hits.filter((h) => h.similarity >= tenth - 1e-3).length;
      }
      const recall = found / 1000;
      assert.ok(recall >= 0.95, `tie-aware recall@10 ${recall}`);
    }));

  test('a product whose content comes back is found again after compact removed its distinct vector', () =>
    withFreshStore(async (store, client) => {
      const v = Float32Array.from({ length: DIM }, (_, i) => (i === 0 ? 1 : 0.01 * i));
      const [first] = await store.upsertProducts([item(product('lamp'))]);
      await store.putVectors(ENCODER, [{ id: 'lamp', contentHash: first!.contentHash, vector: v }]);
      const hash = await client.query<{ h: Buffer }>(`SELECT vector_hash AS h FROM vectors WHERE id = 'lamp'`);
      assert.deepEqual(hash.rows[0]!.h, vectorHash(v), 'the store hashes a vector as the migration does in SQL');
      // Changed: its vector is stale, and compact removes the distinct row no current vector has.
      await store.upsertProducts([item({ ...product('lamp'), title: 'a desk lamp' })]);
      await store.compact();
      assert.equal((await client.query(`SELECT 1 FROM distinct_vectors`)).rows.length, 0);
      assert.deepEqual(await store.nearestNeighbours(ENCODER, v, { k: 5 }), []);
      // Back to the first content: the stored vector is current again, and found.
      await store.upsertProducts([item(product('lamp'))]);
      const hits = await store.nearestNeighbours(ENCODER, v, { k: 5 });
      assert.deepEqual(
        hits.map((h) => h.id),
        ['lamp'],
      );
    }));

  test("a product's identical twins come first even where the HNSW graph does not reach their vector", () =>
    withFreshStore(async (store, client) => {
      const { vectors } = duplicateHeavyCatalog(3);
      await load(store, vectors);
      // HNSW can leave a node that no other node links to (a vector far from every other); its
      // distinct row taken out of the index stands in for such a node here.
      const twin = vectors.get('g7-0')!;
      await client.query(`DELETE FROM distinct_vectors WHERE vector_hash = $1`, [vectorHash(twin)]);
      const hits = await store.nearestNeighbours(ENCODER, twin, { k: 10, excludeIds: new Set(['g7-0']) });
      assert.equal(hits.length, 10);
      assert.ok(
        hits.every((h) => h.id.startsWith('g7-') && h.similarity === 1),
        JSON.stringify(hits),
      );
      // With a filter no twin passes, the rest still comes from the index.
      const filtered = await store.nearestNeighbours(ENCODER, twin, { k: 5, filter: { minPrice: 0 } });
      assert.deepEqual(filtered, [], 'no product of this catalog has a price');
    }));

  test('a version-6 database gets the distinct vectors and their HNSW index when opened', async () => {
    const url = await target.freshSchemaUrl();
    const { vectors } = duplicateHeavyCatalog(2);
    const some = new Map([...vectors].filter(([id]) => /^g[0-4]-|^s[0-9]$/u.test(id)));
    let store = await createPostgresStore({ url });
    await load(store, some);
    await store.close();
    const client = await schemaClient(url);
    try {
      // As version 6 left it: no vector hashes, one HNSW node per current vector row.
      await client.query(`DROP TABLE distinct_vectors`);
      await client.query(`ALTER TABLE vectors DROP COLUMN vector_hash`);
      await client.query(hnswIndexSql(DIM, 'vectorPerProduct'));
      await client.query(`UPDATE prodsim_meta SET value = '6' WHERE key = 'schema_version'`);
      store = await createPostgresStore({ url });
      assert.equal((await store.stats()).schemaVersion, PG_SCHEMA_VERSION);
      const indexes = (
        await client.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '%hnsw%'`)
      ).rows.map((r) => r.name);
      assert.deepEqual(indexes, [hnswIndexName(DIM, 'distinctVectors')]);
      assert.equal(Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM distinct_vectors`)).rows[0]!.n), 5 + 10);
      // The hashes computed in SQL are the store's: a new product with a stored vector adds no distinct row.
      const [added] = await store.upsertProducts([item(product('twin'))]);
      await store.putVectors(ENCODER, [{ id: 'twin', contentHash: added!.contentHash, vector: some.get('s3')! }]);
      assert.equal(Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM distinct_vectors`)).rows[0]!.n), 5 + 10);
      const hits = await store.nearestNeighbours(ENCODER, some.get('s3')!, { k: 2 });
      assert.deepEqual(hits.map((h) => h.id).sort(), ['s3', 'twin']);
    } finally {
      await client.end();
      await store.close();
    }
  });
});
