/**
 * The engine end to end on PostgreSQL and on Citus: the sample catalog ingested into the database,
 * then similar, search, match, dedup and recommend with retrieval in the database; a second engine
 * on the same database sees a write of the first at once (nothing is cached across store revisions).
 * Skips without the servers of `scripts/test-servers.sh` (see test/fixtures/postgres-servers.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { isProdsimError } from '../src/errors.ts';
import { createPostgresStore } from '../src/store/postgres/pg-store.ts';
import { HNSW_SEARCH, PG_SCHEMA_VERSION, hnswIndexName } from '../src/store/postgres/schema.ts';
import { query } from '../src/store/postgres/connection.ts';
import { resolvePostgresOptions } from '../src/store/postgres/options.ts';
import { createPgStoreState } from '../src/store/postgres/state.ts';
import { HNSW_PENDING_META_PREFIX } from '../src/store/postgres/vector-index.ts';
import { KEYWORD_INDEXES_PENDING_KEY } from '../src/store/postgres/keyword-indexes.ts';
import { VECTOR_PAGE_SQL } from '../src/store/postgres/vectors.ts';
import { collectAll } from '../src/store/index.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import type { Product } from '../src/catalog/product.ts';
import { postgresTestTarget } from './fixtures/postgres-servers.ts';

const targets = [
  { name: 'PostgreSQL', target: await postgresTestTarget('PRODSIM_TEST_POSTGRES_URL', false) },
  { name: 'Citus', target: await postgresTestTarget('PRODSIM_TEST_CITUS_URL', true) },
];

for (const { name, target } of targets) {
  describe(`engine on ${name}`, { skip: target.skip }, () => {
    let url: string;
    let engine: Engine;

    before(async () => {
      url = await target.freshSchemaUrl();
      engine = await createEngine({ store: url, distributed: target.distributed, images: false });
      const summary = await engine.ingest('data/sample-catalog.jsonl');
      assert.ok(summary.added >= 300, `sample catalog ingested (${summary.added})`);
      assert.equal(summary.representations.index.reason, 'in database');
      assert.equal(summary.representations.keywordIndex.source, 'database');
    });

    after(async () => {
      await engine?.close();
      await target.dropSchemas();
    });

    test('the HNSW index of a bulk-loaded dimension is built once, after the load', async () => {
      // vector-index.ts: the first vectors of a dimension are written without the index, which the
      // ingest's refresh then builds; without that build every nearest query would scan all vectors.
      const dim = (await engine.store.stats()).vectors[engine.catalog.textEncoder.id]?.dimension;
      assert.ok(dim !== undefined && dim > 0);
      assert.equal(await engine.store.getMeta(`${HNSW_PENDING_META_PREFIX}${dim}`), undefined, 'nothing left pending');
      const u = new URL(url);
      const schema = u.searchParams.get('schema')!;
      u.searchParams.delete('schema');
      const pool = new pg.Pool({ connectionString: u.toString(), max: 1 });
      try {
        const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = $2`, [schema, hnswIndexName(dim, target.distributed ? 'vectorPerProduct' : 'distinctVectors')]);
        assert.equal(Number(rows[0]!.n), 1);
      } finally {
        await pool.end();
      }
    });

    test('a page of vectorsFor is read through indexes, not by sorting every vector', { skip: target.distributed ? 'a plan of one PostgreSQL server' : false }, async () => {
      // With scans and sorts priced out, a statement that can only scan (or sort) the whole table
      // keeps their penalty cost (1e10): paging by the vectors' own key did, for every page.
      const u = new URL(url);
      const schema = u.searchParams.get('schema')!;
      u.searchParams.delete('schema');
      const client = new pg.Client({ connectionString: u.toString() });
      await client.connect();
      const plan = async () =>
        (await client.query<{ 'QUERY PLAN': [{ Plan: { 'Total Cost': number; 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) ${VECTOR_PAGE_SQL}`, [engine.catalog.textEncoder.id, 100, 1000])).rows[0]!['QUERY PLAN'][0].Plan;
      try {
        // As the store's connections (state.ts): pgvector's functions are in public.
        await client.query(`SELECT set_config('search_path', $1, false)`, [`${schema},public`]);
        await client.query('ANALYZE products; ANALYZE vectors');
        // The planner must expect about the rows the page holds: joined on the content hash as well it
        // expected 1, and at 1M products chose a hash join of both whole tables for every page.
        const { rows: page } = await client.query(VECTOR_PAGE_SQL, [engine.catalog.textEncoder.id, 100, 1000]);
        const expected = (await plan())['Plan Rows'];
        assert.ok(page.length > 100 && expected >= page.length / 2, `planner expects ${expected} rows of ${page.length}`);
        await client.query(`SET enable_seqscan = off; SET enable_sort = off`);
        const cost = (await plan())['Total Cost'];
        assert.ok(cost < 1e9, `page statement cost ${cost}`);
        const read = await collectAll(engine.store.vectorsFor(engine.catalog.textEncoder.id));
        const current = await client.query<{ n: string }>(`SELECT count(*) AS n FROM vectors WHERE encoder_id = $1 AND current`, [engine.catalog.textEncoder.id]);
        assert.equal(read.length, Number(current.rows[0]!.n));
        assert.ok(read.every((v, i) => i === 0 || v.key > read[i - 1]!.key), 'in key order');
      } finally {
        await client.end();
      }
    });

    test('every connection of the store searches HNSW with its iterative-scan settings', async () => {
      // A nearest-neighbour query of at most ef_search rows no longer sets them in a transaction of its own.
      const state = createPgStoreState(resolvePostgresOptions({ url }));
      try {
        const [row] = await query<{ ef: string; scan: string; tuples: string }>(
          state,
          `SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan, current_setting('hnsw.max_scan_tuples') AS tuples`,
        );
        assert.deepEqual(row, { ef: String(HNSW_SEARCH.efSearch), scan: HNSW_SEARCH.iterativeScan, tuples: String(HNSW_SEARCH.maxScanTuples) });
      } finally {
        await state.pool.end();
      }
    });

    test('retrieval runs in the database', () => {
      assert.equal(engine.store.retrieval, 'database');
      assert.equal(engine.store.localIndexSource, undefined);
    });

    test('similar: iPhones are similar to an iPhone; substitutes are in stock and of the category', async () => {
      const r = await engine.similar({ id: 'P0001', k: 5 });
      assert.equal(r.items.length, 5);
      assert.ok(!r.items.some((i) => i.product.id === 'P0001'), 'the source is excluded');
      assert.ok(r.items.some((i) => /iPhone/.test(i.product.title)), JSON.stringify(r.items.map((i) => i.product.title)));
      assert.ok(r.candidates.dense > 0 && r.candidates.keyword > 0, JSON.stringify(r.candidates));
      const source = (await engine.getProduct('P0001'))!;
      const subs = await engine.similar({ id: 'P0001', k: 5, substitutes: true });
      const top = source.category!.split('/')[0]!;
      for (const i of subs.items) {
        assert.equal(i.product.inStock, true);
        assert.ok(i.product.category?.startsWith(top), i.product.category);
      }
    });

    test('search: hybrid keyword + dense + model numbers, with filters', async () => {
      const r = await engine.search({ query: '红色连衣裙', k: 5 });
      assert.ok(r.hits.length > 0);
      assert.match(r.hits[0]!.product.title, /连衣裙/);
      // A Chinese query looks words up as character n-grams (words weigh 0 for it: not retrieved).
      assert.ok(r.candidates.characters > 0 && r.candidates.dense > 0, JSON.stringify(r.candidates));
      const words = await engine.search({ query: '红色连衣裙', k: 5, chineseQueries: { weights: { keyword: 1, characters: 1, dense: 0.5, modelNumber: 2 } } });
      assert.ok(words.candidates.keyword > 0, JSON.stringify(words.candidates));
      assert.match(words.hits[0]!.product.title, /连衣裙/);
      const english = await engine.search({ query: 'sony headphones', k: 5 });
      assert.ok(english.candidates.keyword > 0, JSON.stringify(english.candidates));
      const typo = await engine.search({ query: 'sony wh1000xm6', k: 5 });
      assert.ok(typo.hits.some((h) => /WH-1000XM5/i.test(h.product.title)), JSON.stringify(typo.hits.map((h) => h.product.title)));
      const cheap = await engine.search({ query: '连衣裙', k: 10, filter: { maxPrice: 200, inStock: true } });
      for (const h of cheap.hits) {
        const p = (await engine.getProduct(h.product.id))!;
        assert.ok(p.price! <= 200 && p.inStock === true, `${p.id} ${p.price} ${p.inStock}`);
      }
    });

    test('match, dedup and recommend', async () => {
      const m = await engine.match('data/shop-a.jsonl', 'data/shop-b.jsonl');
      assert.ok(m.pairs.length > 10, `${m.pairs.length} pairs`);
      const d = await engine.dedup();
      assert.ok(Array.isArray(d.groups));
      const rec = await engine.recommend({ history: ['P0001', 'P0002'], k: 5 });
      assert.ok(rec.items.length > 0);
      assert.ok(!rec.items.some((i) => ['P0001', 'P0002'].includes(i.product.id)));
    });

    test('a second engine on the same database sees the first one\'s write at once', async () => {
      const other = await createEngine({ store: url, images: false });
      try {
        const before = await other.search({ query: 'zqyunique 台灯', k: 3 });
        assert.ok(!before.hits.some((h) => h.product.id === 'SHARED-1'));
        await engine.upsertProducts([{ id: 'SHARED-1', title: '米家 台灯 zqyunique 护眼', brand: '米家', category: '家居/灯具', tags: ['台灯'], images: [], attributes: {}, price: 99, inStock: true }]);
        const after = await other.search({ query: 'zqyunique 台灯', k: 3 });
        assert.equal(after.hits[0]?.product.id, 'SHARED-1', 'visible through the other engine right after the write commits');
        const similar = await other.similar({ id: 'SHARED-1', k: 3 });
        assert.equal(similar.source.id, 'SHARED-1');
        await engine.deleteProducts(['SHARED-1']);
        await assert.rejects(other.similar({ id: 'SHARED-1', k: 3 }), (e) => isProdsimError(e) && e.code === 'PRODUCT_NOT_FOUND');
      } finally {
        await other.close();
      }
    });

    test('a database with a newer schema version is refused with a clear error', async () => {
      const newer = await target.freshSchemaUrl();
      const store = await createPostgresStore({ url: newer, distributed: target.distributed });
      await store.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const schema = new URL(newer).searchParams.get('schema');
      await client.query(`UPDATE ${schema}.prodsim_meta SET value = '99' WHERE key = 'schema_version'`);
      await client.end();
      await assert.rejects(createPostgresStore({ url: newer }), (e) => isProdsimError(e) && e.code === 'STORE_ERROR' && e.message.includes(`schema version 99, newer than this prodsim understands (${PG_SCHEMA_VERSION})`));
    });
  });

  describe(`store schema on ${name}`, { skip: target.skip }, () => {
    after(() => target.dropSchemas());

    test('a new database gets its keyword indexes after the first load, with the same answers', async () => {
      const fresh = await target.freshSchemaUrl();
      const schema = new URL(fresh).searchParams.get('schema');
      const analyzer = createTextAnalyzer();
      const products: Product[] = ['红色连衣裙 雪纺', '黑色连衣裙 长款', 'iPhone 15 Pro 256GB'].map((title, i) => ({ id: `kw-${i}`, title, tags: [], images: [], attributes: {}, category: '服装/女装' }));
      const store = await createPostgresStore({ url: fresh, distributed: target.distributed });
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const keywordIndexes = async () =>
        (await client.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname IN ('products_keywords', 'products_han_keywords') ORDER BY 1`, [schema])).rows.map((r) => r.name);
      try {
        await store.upsertProducts(products.map((product) => ({ product, analyzed: analyzeProduct(product, analyzer) })));
        assert.deepEqual(await keywordIndexes(), [], 'written without the GIN indexes');
        const before = await store.keywordSearch(['连衣裙'], { k: 5 });
        const ngramsBefore = await store.keywordSearch(['连衣'], { k: 5, granularity: 'hanNgrams' });
        await store.buildDeferredIndexes!();
        assert.deepEqual(await keywordIndexes(), ['products_han_keywords', 'products_keywords']);
        assert.deepEqual(await store.keywordSearch(['连衣裙'], { k: 5 }), before);
        assert.deepEqual(await store.keywordSearch(['连衣'], { k: 5, granularity: 'hanNgrams' }), ngramsBefore);
        assert.equal(before.length, 2);
        assert.equal(await store.getMeta(KEYWORD_INDEXES_PENDING_KEY), undefined, 'nothing left pending');
      } finally {
        await client.end();
        await store.close();
      }
    });

    test('a version-1 database is migrated on open: n-gram keywords filled in, vectors flagged current', async () => {
      const old = await target.freshSchemaUrl();
      const analyzer = createTextAnalyzer();
      const dress: Product = { id: 'old-1', title: '红色连衣裙 雪纺', tags: [], images: [], attributes: {}, category: '服装/女装' };
      const store = await createPostgresStore({ url: old, distributed: target.distributed });
      const [written] = await store.upsertProducts([{ product: dress, analyzed: analyzeProduct(dress, analyzer) }]);
      await store.putVectors('enc', [{ id: 'old-1', contentHash: written!.contentHash, vector: Float32Array.of(1, 0, 0) }]);
      await store.close();
      // Back to what version 1 had: no n-gram column, no current flag.
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const schema = new URL(old).searchParams.get('schema');
      await client.query(`ALTER TABLE ${schema}.products DROP COLUMN han_keywords`);
      await client.query(`ALTER TABLE ${schema}.vectors DROP COLUMN current`);
      await client.query(`UPDATE ${schema}.prodsim_meta SET value = '1' WHERE key = 'schema_version'`);
      await client.end();

      const migrated = await createPostgresStore({ url: old });
      try {
        assert.equal((await migrated.stats()).schemaVersion, PG_SCHEMA_VERSION);
        assert.deepEqual((await migrated.keywordSearch(analyzer.tokenize('连衣'), { k: 5, granularity: 'hanNgrams' })).map((h) => h.id), ['old-1']);
        assert.deepEqual((await migrated.nearestNeighbours('enc', Float32Array.of(1, 0.1, 0), { k: 5 })).map((h) => h.id), ['old-1']);
      } finally {
        await migrated.close();
      }
    });
  });
}
