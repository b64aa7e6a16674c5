/**
 * One suite for the store contract (`src/store/store.ts`), run against every implementation: SQLite
 * always; PostgreSQL and Citus when `PRODSIM_TEST_POSTGRES_URL` / `PRODSIM_TEST_CITUS_URL` name
 * reachable servers (`eval "$(scripts/test-servers.sh start)"` starts both; `.ci/run` does).
 * Each PostgreSQL run works in a schema of its own, dropped afterwards.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Product } from '../src/catalog/product.ts';
import { isProdsimError } from '../src/errors.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { analyzeProduct, collectAll, createProductStore, productContentHash, type ProductStore } from '../src/store/index.ts';
import { createPostgresStore } from '../src/store/postgres/pg-store.ts';
import { PG_SCHEMA_VERSION } from '../src/store/postgres/schema.ts';
import { postgresTestTarget, type PostgresTestTarget } from './fixtures/postgres-servers.ts';

const analyzer = createTextAnalyzer();

function product(id: string, extra: Partial<Product> = {}): Product {
  return { id, title: `product ${id}`, tags: [], images: [], attributes: {}, ...extra };
}
const item = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });

const CATALOG: Product[] = [
  product('dress-red', { title: '红色连衣裙 夏季 雪纺', brand: '优衣库', category: '服装/女装/连衣裙', tags: ['红色', '雪纺'], price: 199, inStock: true, description: '轻薄透气的夏季连衣裙' }),
  product('dress-blue', { title: '蓝色连衣裙 长款', category: '服装/女装/连衣裙', tags: ['蓝色'], price: 299, inStock: false, description: '适合秋季的连衣裙' }),
  product('shoe', { title: '女装鞋 红色 高跟鞋', category: '服装/女装鞋', tags: ['红色'], price: 399, inStock: true }),
  product('phone', { title: 'Apple iPhone 15 Pro 256GB black', brand: 'Apple', category: 'Electronics/Phones', tags: ['smartphone'], price: 999, inStock: true, description: 'A phone with a good camera' }),
  product('case', { title: 'Phone case for iPhone', category: 'Electronics/Accessories', tags: ['case'], price: 19, inStock: true, description: 'Fits iPhone 15 Pro and other Apple phones' }),
];

/** Unit vectors in 3-d at these angles (degrees) from the x axis: cosine similarity is the cosine of the angle between. */
const angle = (deg: number) => Float32Array.of(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0);

interface Backend {
  name: string;
  skip: string | false;
  open(options?: { changeLogLimit?: number }): Promise<ProductStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'SQLite',
    skip: false,
    async open(options = {}) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-contract-'));
      dirs.push(dir);
      return createProductStore({ path: path.join(dir, 'store.db'), ...options });
    },
    async cleanup() {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgresBackend(name: string, target: PostgresTestTarget): Backend {
  return {
    name,
    skip: target.skip,
    open: async (options = {}) => createPostgresStore({ url: await target.freshSchemaUrl(), distributed: target.distributed, ...options }),
    cleanup: () => target.dropSchemas(),
  };
}

const backends: Backend[] = [
  sqliteBackend(),
  postgresBackend('PostgreSQL', await postgresTestTarget('PRODSIM_TEST_POSTGRES_URL', false)),
  postgresBackend('Citus', await postgresTestTarget('PRODSIM_TEST_CITUS_URL', true)),
];

for (const backend of backends) {
  describe(`store contract on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());

    async function withStore(fn: (store: ProductStore) => Promise<void>, options?: { changeLogLimit?: number }): Promise<void> {
      const store = await backend.open(options);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    test('upsert reports added / updated / unchanged by content hash; keys, reads and the change log follow', () =>
      withStore(async (store) => {
        const revision0 = await store.revision();
        const first = await store.upsertProducts(CATALOG.map(item));
        assert.deepEqual(first.map((r) => r.status), ['added', 'added', 'added', 'added', 'added']);
        assert.equal(await store.count(), 5);
        const revision1 = await store.revision();
        assert.notEqual(revision1, revision0, 'a product write moves the revision');
        const before = (await store.getProduct('phone'))!;
        assert.equal(before.contentHash, productContentHash(CATALOG[3]!));
        assert.deepEqual(before.product, CATALOG[3]);

        const reordered = CATALOG.map((p) => Object.fromEntries(Object.entries(p).reverse()) as unknown as Product);
        const second = await store.upsertProducts(reordered.map(item));
        assert.ok(second.every((r) => r.status === 'unchanged'), JSON.stringify(second));
        assert.equal((await store.getProduct('phone'))!.updatedAt, before.updatedAt);
        assert.equal(await store.revision(), revision1, 'an unchanged write leaves the revision');

        const seqBefore = await store.changeSeq();
        const third = await store.upsertProducts([item({ ...CATALOG[3]!, price: 899 }), item(product('new-one'))]);
        assert.deepEqual(third.map((r) => [r.id, r.status]), [['phone', 'updated'], ['new-one', 'added']]);
        assert.equal(third[0]!.key, before.key, 'an update keeps the numeric key');
        assert.equal((await store.getProduct('phone'))!.product.price, 899);
        assert.deepEqual((await store.getProducts(['shoe', 'missing', 'phone'])).map((p) => p.product.id), ['shoe', 'phone']);
        assert.equal(await store.keyToId(before.key), 'phone');
        assert.equal(await store.idToKey('phone'), before.key);
        assert.deepEqual(await store.idsToKeys(['phone', 'missing']), [before.key, undefined]);
        assert.deepEqual([...(await store.contentHashes(['phone', 'missing'])).keys()], ['phone']);
        assert.ok((await store.getAnalyzed('dress-red'))!.tokens.title.includes('连衣裙'));
        const changes = (await store.changesSince(seqBefore))!;
        assert.deepEqual(changes.map((c) => [c.key, c.op]), [[before.key, 'upsert'], [third[1]!.key, 'upsert']]);
        assert.equal(await store.changesSince((await store.changeSeq()) + 5), undefined, 'a position ahead of the log');
        assert.deepEqual((await collectAll(store.iterateProducts())).map((p) => p.product.id), ['dress-red', 'dress-blue', 'shoe', 'phone', 'case', 'new-one']);
        const withAnalysis = await store.getAnalyzedProductsByKeys([third[1]!.key, before.key]);
        assert.deepEqual(withAnalysis.map((p) => p.product.id), ['phone', 'new-one'], 'in key order');
        const modelNumbers = await store.modelNumbersOf([before.key]);
        assert.equal(modelNumbers[0]?.id, 'phone');
      }));

    test('the change log keeps about changeLogLimit rows: a position before the kept part reads as trimmed', () =>
      withStore(
        async (store) => {
          await store.upsertProducts([item(product('first'))]);
          const early = await store.changeSeq();
          for (let i = 0; i < 30; i++) await store.upsertProducts([item(product(`p${i}`))]);
          const last = await store.changeSeq();
          assert.equal(last - early, 30);
          assert.equal(await store.changesSince(early), undefined, 'changes trimmed from the log are not reported as none');
          assert.equal((await store.changesSince(last - 5))?.length, 5, 'the recent changes are kept');
          // The log reaches back the limit and at most its slack (a tenth of it) further.
          let kept = 0;
          for (let seq = early; seq <= last; seq++) if ((await store.changesSince(seq)) !== undefined) kept++;
          assert.ok(kept >= 10 && kept <= 12, `positions still readable: ${kept}`);
        },
        { changeLogLimit: 10 },
      ));

    test('a repeated id in one batch: the last record wins', () =>
      withStore(async (store) => {
        const results = await store.upsertProducts([item(product('x', { price: 1 })), item(product('x', { price: 2 }))]);
        assert.deepEqual(results.map((r) => r.status), ['added', 'updated']);
        assert.equal(results[0]!.key, results[1]!.key);
        assert.equal((await store.getProduct('x'))!.product.price, 2);
        assert.equal(await store.count(), 1);
      }));

    test('keyword search: better match first, Chinese and English, any and all, filters', () =>
      withStore(async (store) => {
        await store.upsertProducts(CATALOG.map(item));
        const zh = await store.keywordSearch(analyzer.tokenize('红色连衣裙'), { k: 10 });
        assert.equal(zh[0]?.id, 'dress-red', JSON.stringify(zh));
        assert.ok(zh.some((h) => h.id === 'dress-blue'), 'one shared token is enough');
        assert.ok(zh.every((h, i) => i === 0 || h.score <= zh[i - 1]!.score), 'scores descend');
        assert.deepEqual((await store.keywordSearch(analyzer.tokenize('红色连衣裙'), { k: 10, match: 'all' })).map((h) => h.id), ['dress-red']);
        const en = await store.keywordSearch(analyzer.tokenize('apple iphone'), { k: 10 });
        assert.equal(en[0]?.id, 'phone', JSON.stringify(en));
        assert.ok(en.some((h) => h.id === 'case'));
        assert.deepEqual(await store.keywordSearch(['"', "'", '\\', '*', '|'], { k: 5 }), [], 'syntax characters are text');
        assert.deepEqual(await store.keywordSearch([], { k: 5 }), []);

        const ids = async (filter: Parameters<ProductStore['keywordSearch']>[1]['filter']) =>
          (await store.keywordSearch(['红色', '连衣裙', '女装鞋', '高跟鞋', '蓝色'], { k: 10, filter })).map((h) => h.id).sort();
        assert.deepEqual(await ids({ categoryPrefix: '服装/女装' }), ['dress-blue', 'dress-red'], 'whole category levels: not 女装鞋');
        assert.deepEqual(await ids({ categoryPrefix: '服装' }), ['dress-blue', 'dress-red', 'shoe']);
        assert.deepEqual(await ids({ minPrice: 250, maxPrice: 350 }), ['dress-blue']);
        assert.deepEqual(await ids({ inStock: false }), ['dress-blue']);
        assert.deepEqual(await ids({ brandIn: new Set(['优衣库']) }), ['dress-red']);
        assert.deepEqual(await ids({ brandIn: new Set() }), []);
        const df = await store.documentFrequencies(['连衣裙', 'iphone', 'absent']);
        assert.equal(df.get('连衣裙'), 2);
        assert.equal(df.get('absent'), 0);
        assert.deepEqual(await store.brands(), ['apple', '优衣库']);
      }));

    test('keyword scores and document frequencies depend on the stored products, not on the writes that led there', async () => {
      const written = await backend.open();
      const direct = await backend.open();
      try {
        await written.upsertProducts(CATALOG.map(item));
        await written.upsertProducts([item({ ...CATALOG[4]!, title: 'Phone case 连衣裙 红色' }), item(product('extra', { title: '红色 高跟鞋' }))]);
        await written.deleteProducts(['dress-red', 'extra']);
        await written.upsertProducts([item(product('dress-red', { title: '红色连衣裙' }))]);
        const final = (await collectAll(written.iterateProducts())).map((p) => p.product);
        await written.upsertProducts(final.map(item), { reindex: true });
        await direct.upsertProducts(final.map(item));
        const queries = [['红色', '连衣裙'], ['iphone', 'case', 'apple'], ['高跟鞋', 'phone', '红色']];
        for (const tokens of queries) {
          assert.deepEqual([...(await written.documentFrequencies(tokens))], [...(await direct.documentFrequencies(tokens))], tokens.join(' '));
          for (const granularity of ['words', 'hanNgrams'] as const) {
            const scored = async (store: ProductStore) => (await store.keywordSearch(tokens, { k: 10, granularity })).map((h) => `${h.id} ${h.score.toFixed(6)}`).sort();
            assert.deepEqual(await scored(written), await scored(direct), `${granularity}: ${tokens.join(' ')}`);
          }
        }
        assert.equal((await written.documentFrequencies(['连衣裙'])).get('连衣裙'), 3);
      } finally {
        await written.close();
        await direct.close();
      }
    });

    test('keyword search: the top k is the first k of a longer list, with common and rare query tokens', () =>
      withStore(async (store) => {
        // 100 products: "common" in every title, "mid" in the titles of 25, "alpha" and "beta" in 4
        // descriptions each (low weight): rows holding only common tokens can outrank the rare tokens' rows.
        const products = Array.from({ length: 100 }, (_, i) =>
          product(`p${String(i).padStart(2, '0')}`, {
            title: `common ${i % 4 === 0 ? 'mid' : 'plain'} item${i}`,
            description: i % 29 === 1 ? 'alpha text' : i % 31 === 2 ? 'beta text' : 'filler text',
          }),
        );
        await store.upsertProducts(products.map(item));
        for (const tokens of [['common', 'alpha', 'beta'], ['mid', 'alpha', 'beta'], ['common', 'mid', 'alpha']]) {
          for (const granularity of ['words', 'hanNgrams'] as const) {
            const top = (k: number) => store.keywordSearch(tokens, { k, granularity });
            const long = await top(200);
            assert.ok(long.length > 3, `${tokens.join(' ')}: enough matches`);
            assert.deepEqual(await top(3), long.slice(0, 3), `${granularity}: ${tokens.join(' ')}`);
          }
        }
      }));

    test('keyword search at the character n-gram granularity: a query segmented unlike the titles still matches', () =>
      withStore(async (store) => {
        await store.upsertProducts(CATALOG.map(item));
        const query = analyzer.tokenize('连衣'); // one jieba word, in no title: the titles hold 连衣裙
        assert.deepEqual(await store.keywordSearch(query, { k: 10 }), [], 'no product has the word');
        const grams = await store.keywordSearch(query, { k: 10, granularity: 'hanNgrams' });
        assert.deepEqual(grams.map((h) => h.id).sort(), ['dress-blue', 'dress-red'], JSON.stringify(grams));
        assert.deepEqual((await store.keywordSearch(query, { k: 10, granularity: 'hanNgrams', filter: { inStock: true } })).map((h) => h.id), ['dress-red']);
        assert.deepEqual((await store.keywordSearch(analyzer.tokenize('iphone'), { k: 10, granularity: 'hanNgrams' })).map((h) => h.id).sort(), ['case', 'phone'], 'a Latin word by its character n-grams');
        // A title's two words written as one in the query match by their Latin character bigrams.
        assert.equal((await store.keywordSearch(analyzer.tokenize('phonecase'), { k: 10, granularity: 'hanNgrams' }))[0]?.id, 'case');
        // A write after the first n-gram query is seen by the next one.
        await store.upsertProducts([item(product('dress-green', { title: '绿色连衣裙', category: '服装/女装/连衣裙' }))]);
        await store.deleteProducts(['dress-blue']);
        assert.deepEqual((await store.keywordSearch(query, { k: 10, granularity: 'hanNgrams' })).map((h) => h.id).sort(), ['dress-green', 'dress-red']);
      }));

    test('vectors: current only, dimension checked, nearest neighbours with filters and exclusions', () =>
      withStore(async (store) => {
        const written = await store.upsertProducts(CATALOG.map(item));
        const hashOf = new Map(written.map((r) => [r.id, r.contentHash]));
        // dress-red 0°, dress-blue 10°, shoe 20°, phone 90°, case 80°.
        const angles: Record<string, number> = { 'dress-red': 0, 'dress-blue': 10, shoe: 20, phone: 90, case: 80 };
        await store.putVectors('enc', CATALOG.map((p) => ({ id: p.id, contentHash: hashOf.get(p.id)!, vector: angle(angles[p.id]!) })));
        assert.deepEqual([...(await store.getVector('enc', 'shoe'))!], [...angle(20)]);
        assert.deepEqual(await store.vectorEncodersOf('shoe'), ['enc']);
        assert.deepEqual([...(await store.getCachedVector('enc', hashOf.get('shoe')!))!], [...angle(20)]);
        // Exact float32 values, in batch too (PostgreSQL reads them as pgvector's binary form).
        const exact = Float32Array.of(-1.5e-7, 1234.5678, 0.1);
        await store.putVectors('enc', [{ id: 'phone', contentHash: hashOf.get('phone')!, vector: exact }]);
        const batch = await store.getVectors('enc', ['shoe', 'phone', 'ghost']);
        assert.deepEqual([...batch.keys()].sort(), ['phone', 'shoe']);
        assert.deepEqual([...batch.get('phone')!], [...exact]);
        assert.deepEqual([...batch.get('shoe')!], [...angle(20)]);
        await store.putVectors('enc', [{ id: 'phone', contentHash: hashOf.get('phone')!, vector: angle(angles.phone!) }]);
        assert.deepEqual([...(await store.cachedHashes('enc', [hashOf.get('shoe')!, 'nope']))], [hashOf.get('shoe')]);
        await assert.rejects(store.putVectors('enc', [{ id: 'shoe', contentHash: 'h', vector: Float32Array.of(1, 2) }]), (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH');
        await assert.rejects(store.putVectors('enc', [{ id: 'ghost', contentHash: 'h', vector: angle(5) }]), (e) => isProdsimError(e) && e.code === 'PRODUCT_NOT_FOUND');

        const near = await store.nearestNeighbours('enc', angle(2), { k: 3 });
        assert.deepEqual(near.map((n) => n.id), ['dress-red', 'dress-blue', 'shoe']);
        assert.ok(Math.abs(near[0]!.similarity - Math.cos((2 * Math.PI) / 180)) < 2e-3, `cosine similarity ${near[0]!.similarity}`);
        assert.deepEqual((await store.nearestNeighbours('enc', angle(2), { k: 2, excludeIds: new Set(['dress-red']) })).map((n) => n.id), ['dress-blue', 'shoe']);
        assert.deepEqual((await store.nearestNeighbours('enc', angle(2), { k: 2, filter: { categoryPrefix: 'Electronics' } })).map((n) => n.id), ['case', 'phone']);
        assert.deepEqual((await store.nearestNeighbours('enc', angle(2), { k: 5, filter: { inStock: true, maxPrice: 300 } })).map((n) => n.id), ['dress-red', 'case']);
        // The same answers once the indexes a bulk write deferred are built (PostgreSQL: HNSW), and a second build is a no-op.
        await store.buildDeferredIndexes?.();
        await store.buildDeferredIndexes?.();
        assert.deepEqual((await store.nearestNeighbours('enc', angle(2), { k: 3 })).map((n) => n.id), ['dress-red', 'dress-blue', 'shoe']);
        assert.deepEqual((await store.nearestNeighbours('enc', angle(2), { k: 5, filter: { inStock: true, maxPrice: 300 } })).map((n) => n.id), ['dress-red', 'case']);

        // A changed product's vector is stale until encoded again: hidden from reads and neighbours.
        await store.upsertProducts([item({ ...CATALOG[2]!, price: 401 })]);
        assert.equal(await store.getVector('enc', 'shoe'), undefined);
        assert.deepEqual([...(await store.getVectors('enc', ['shoe', 'phone'])).keys()], ['phone']);
        assert.deepEqual((await store.productsWithoutVector('enc')).map((p) => p.id), ['shoe']);
        assert.ok(!(await store.nearestNeighbours('enc', angle(20), { k: 5 })).some((n) => n.id === 'shoe'));
        assert.deepEqual((await collectAll(store.vectorsFor('enc'))).map((v) => v.id), ['dress-red', 'dress-blue', 'phone', 'case']);
        const stats = await store.stats();
        assert.deepEqual(stats.vectors.enc, { count: 5, dimension: 3 });
        assert.equal(stats.products, 5);
        // Back to the content the vector was computed from: current again; a new vector of new content too.
        await store.upsertProducts([item(CATALOG[2]!)]);
        assert.ok((await store.nearestNeighbours('enc', angle(20), { k: 1 })).some((n) => n.id === 'shoe'), 'reverted content');
        const changed = (await store.upsertProducts([item({ ...CATALOG[2]!, price: 402 })]))[0]!;
        await store.putVectors('enc', [{ id: 'shoe', contentHash: hashOf.get('shoe')!, vector: angle(20) }]);
        assert.ok(!(await store.nearestNeighbours('enc', angle(20), { k: 5 })).some((n) => n.id === 'shoe'), 'a vector of old content is not current');
        await store.putVectors('enc', [{ id: 'shoe', contentHash: changed.contentHash, vector: angle(20) }]);
        assert.equal((await store.nearestNeighbours('enc', angle(20), { k: 1 }))[0]?.id, 'shoe', 'a vector of the new content is');
      }));

    test('delete removes products and their vectors, logs it, and keys are not reused', () =>
      withStore(async (store) => {
        const written = await store.upsertProducts(CATALOG.map(item));
        await store.putVectors('enc', written.map((r) => ({ id: r.id, contentHash: r.contentHash, vector: angle(1) })));
        const seq = await store.changeSeq();
        assert.equal(await store.deleteProducts(['shoe', 'missing']), 1);
        assert.equal(await store.getProduct('shoe'), undefined);
        assert.deepEqual(await store.keywordSearch(['高跟鞋'], { k: 5 }), []);
        assert.deepEqual((await store.changesSince(seq))!.map((c) => c.op), ['delete']);
        const again = await store.upsertProducts([item(CATALOG[2]!)]);
        assert.ok(again[0]!.key > Math.max(...written.map((r) => r.key)), 'a new key');
        assert.equal(await store.getVector('enc', 'shoe'), undefined);
      }));

    test('a transaction commits store calls together, or none of them', () =>
      withStore(async (store) => {
        await assert.rejects(
          store.transaction(async () => {
            await store.upsertProducts([item(product('t1'))]);
            await store.setMeta('note', 'inside');
            throw new Error('stop');
          }),
          /stop/,
        );
        assert.equal(await store.count(), 0);
        assert.equal(await store.getMeta('note'), undefined);
        await store.transaction(async () => {
          await store.upsertProducts([item(product('t2'))]);
          // A nested transaction that fails rolls back its own part only.
          await assert.rejects(store.transaction(async () => {
            await store.upsertProducts([item(product('t3'))]);
            throw new Error('inner');
          }));
        });
        assert.deepEqual((await collectAll(store.iterateProducts())).map((p) => p.product.id), ['t2']);
      }));

    test('labels and meta; meta keys the store manages are refused', () =>
      withStore(async (store) => {
        assert.equal(await store.putLabels([{ leftId: 'a', rightId: 'b', label: 1, source: 'manual' }, { leftId: 'a', rightId: 'c', label: 0, source: 'bench', createdAt: 5 }]), 2);
        assert.equal(await store.countLabels(), 2);
        assert.equal(await store.countLabels('bench'), 1);
        assert.deepEqual((await store.getLabels({ id: 'c' })).map((l) => [l.leftId, l.rightId, l.label, l.createdAt]), [['a', 'c', 0, 5]]);
        await assert.rejects(store.putLabels([{ leftId: 'a', rightId: 'b', label: Number.NaN, source: 'x' }]), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
        assert.equal(await store.deleteLabels({ source: 'bench' }), 1);
        await store.setMeta('k', 'v1');
        await store.setMeta('k', 'v2');
        assert.equal(await store.getMeta('k'), 'v2');
        await assert.rejects(store.setMeta('products.revision', 'x'), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
      }));

    test('streams read in pages over more rows than one page, in key order', () =>
      withStore(async (store) => {
        const many = Array.from({ length: 2_345 }, (_, i) => product(`p${i}`, { title: `item ${i} widget` }));
        for (let i = 0; i < many.length; i += 500) await store.upsertProducts(many.slice(i, i + 500).map(item));
        const keys = (await collectAll(store.iterateKeywordRows())).map((r) => r.key);
        assert.equal(keys.length, many.length);
        assert.ok(keys.every((k, i) => i === 0 || k > keys[i - 1]!), 'ascending keys');
        assert.equal((await collectAll(store.iterateProducts({ withAnalyzed: true }))).filter((p) => p.analyzed).length, many.length);
      }));
  });
}

/**
 * PostgreSQL schema 4 changed what `han_keywords` holds (Latin words and numbers as character
 * n-grams too): a version-3 database is refilled from the stored analysis when opened.
 */
for (const [name, envVar, distributed] of [['PostgreSQL', 'PRODSIM_TEST_POSTGRES_URL', false], ['Citus', 'PRODSIM_TEST_CITUS_URL', true]] as const) {
  const target = await postgresTestTarget(envVar, distributed);
  describe(`store schema migration on ${name}`, { skip: target.skip }, () => {
    after(() => target.dropSchemas());
    test('a version-3 database gets its character n-grams refilled in the current scheme', async () => {
      const url = await target.freshSchemaUrl();
      const store = await createPostgresStore({ url, distributed });
      await store.upsertProducts([item(product('heyna', { title: 'HEYNA_Official 中古短外套' })), item(product('coat', { title: '复古短外套' }))]);
      await store.close();
      // As a version-3 database left it: the Latin words whole.
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const schema = new URL(url).searchParams.get('schema');
      try {
        await client.query(`UPDATE ${schema}.prodsim_meta SET value = '3' WHERE key = 'schema_version'`);
        await client.query(`UPDATE ${schema}.products SET han_keywords = to_tsvector('simple', 'heyna official') WHERE id = 'heyna'`);
      } finally {
        await client.end();
      }
      const reopened = await createPostgresStore({ url, distributed });
      try {
        // Migrated through every later version, not only to 4.
        assert.equal((await reopened.stats()).schemaVersion, PG_SCHEMA_VERSION);
        const hits = await reopened.keywordSearch(analyzer.tokenize('heynaofficial'), { k: 10, granularity: 'hanNgrams' });
        assert.deepEqual(hits.map((h) => h.id), ['heyna']);
        // The keyword frequencies (version 6) counted from the stored rows, once.
        assert.equal((await reopened.documentFrequencies(['短外套'])).get('短外套'), 2);
      } finally {
        await reopened.close();
      }
    });
  });
}
