import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CatalogEntry } from '../src/catalog/catalog.ts';
import type { Product } from '../src/catalog/product.ts';
import type { DenseEncoder } from '../src/encoders/encoder.ts';
import { createError, isProdsimError } from '../src/errors.ts';
import { collectAll, createProductStore } from '../src/store/index.ts';
import { ingestCatalog, LAST_INGEST_META_KEY } from '../src/tasks/ingest.ts';
import type { CatalogReader } from '../src/tasks/ingest-reader.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { generatedProduct } from './fixtures/ingest-catalog.ts';

const analyzer = createTextAnalyzer();

function readerOf(entries: CatalogEntry[], failAfter?: number): CatalogReader {
  return async function* () {
    let i = 0;
    for (const e of entries) {
      if (failAfter !== undefined && i++ === failAfter) {
        throw createError('INVALID_RECORD', 'bad record in strict mode', { file: 'x.jsonl', line: i });
      }
      yield e;
    }
  };
}

const products = (n: number, map: (p: Product) => Product = (p) => p): CatalogEntry[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'product', product: map(generatedProduct(i)), line: i + 1 }) as const);

/** Counts inputs; vector = [length of input, 1, 0] so the stored value is checkable. */
function countingEncoder(id = 'fake-3d'): DenseEncoder<string> & { calls: string[] } {
  const calls: string[] = [];
  return {
    kind: 'dense',
    id,
    dimension: 3,
    modality: 'text',
    normalized: false,
    calls,
    async encode(batch) {
      calls.push(...batch);
      return batch.map((s) => new Float32Array([s.length, 1, 0]));
    },
  };
}

function withStore(fn: (store: ReturnType<typeof createProductStore>) => Promise<void>) {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-ingest-'));
    const store = createProductStore({ path: path.join(dir, 'store.db') });
    try {
      await fn(store);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'ingest counts added, skipped and duplicate records, batches, and reports progress',
  withStore(async (store) => {
    const entries: CatalogEntry[] = [
      ...products(25),
      { kind: 'issue', issue: { file: 'c.jsonl', line: 26, field: 'price', expected: 'a number', received: '"abc"', message: 'bad price' } },
      { kind: 'product', product: { ...generatedProduct(3), title: 'replaced title' }, line: 27 },
    ];
    const progress: number[] = [];
    const s = await ingestCatalog({ store, analyzer, source: 'c.jsonl', reader: readerOf(entries), batchSize: 10, onProgress: (p) => progress.push(p.read) });
    assert.equal(s.read, 26);
    assert.equal(s.added, 25);
    assert.equal(s.updated, 1, 'the later duplicate record wins as an update');
    assert.equal(s.unchanged, 0);
    assert.equal(s.skippedCount, 1);
    assert.equal(s.skipped[0]?.field, 'price');
    assert.deepEqual(s.duplicateIds, ['p3']);
    assert.equal(s.duplicateCount, 1);
    assert.deepEqual(progress, [10, 20, 26]);
    assert.equal(await store.count(), 25);
    assert.equal((await store.getProduct('p3'))?.product.title, 'replaced title');
    assert.ok(Object.values(s.stageMs).every((v) => v >= 0));
    assert.equal(JSON.parse((await store.getMeta(LAST_INGEST_META_KEY))!).added, 25);

    const tokens = (await store.getAnalyzed('p7'))!.tokens;
    assert.ok(tokens.title.includes('sku7'), JSON.stringify(tokens));
    assert.ok(tokens.attributes.length > 0 && tokens.category.includes('cat7'));
    assert.equal((await store.keywordSearch(['sku7'], { k: 3 }))[0]?.id, 'p7');
  }),
);

test(
  're-ingesting an unchanged catalog writes nothing; a changed record is updated',
  withStore(async (store) => {
    await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(products(30)), batchSize: 8 });
    const before = (await store.getProduct('p5'))!;
    const again = await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(products(30)), batchSize: 8 });
    assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, 30]);
    assert.equal((await store.getProduct('p5'))!.updatedAt, before.updatedAt);

    const changed = products(30, (p) => (p.id === 'p5' ? { ...p, price: 1 } : p));
    const third = await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(changed), batchSize: 8 });
    assert.deepEqual([third.added, third.updated, third.unchanged], [0, 1, 29]);
    assert.equal((await store.getProduct('p5'))!.product.price, 1);
    assert.equal((await store.getProduct('p5'))!.key, before.key);
  }),
);

test(
  'dense encoders run only for content hashes without a cached vector',
  withStore(async (store) => {
    const enc = countingEncoder();
    const first = await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(products(12)), batchSize: 5, encoders: [enc] });
    assert.equal(enc.calls.length, 12);
    assert.deepEqual(first.encoders[enc.id], { encoded: 12, cached: 0, noInput: 0 });
    const v = (await store.getVector(enc.id, 'p0'))!;
    assert.equal(v[1], 1);
    assert.ok(v[0]! > 5, 'the vector was computed from the product text');

    const changed = products(12, (p) => (p.id === 'p4' ? { ...p, title: 'new title entirely' } : p));
    const second = await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(changed), batchSize: 5, encoders: [enc] });
    assert.equal(enc.calls.length, 13, 'only the changed product is encoded again');
    assert.ok(enc.calls.at(-1)!.includes('new title entirely'));
    assert.deepEqual(second.encoders[enc.id], { encoded: 1, cached: 11, noInput: 0 });
    assert.equal((await collectAll(store.vectorsFor(enc.id))).length, 12);

    // An encoder added later fills in vectors for products that are already stored and unchanged.
    const late = countingEncoder('late-3d');
    const third = await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(changed), batchSize: 5, encoders: [enc, late] });
    assert.equal(third.unchanged, 12);
    assert.equal(late.calls.length, 12);
    assert.equal(enc.calls.length, 13);
  }),
);

test(
  'a strict-mode stop keeps the records read before it and rethrows the error',
  withStore(async (store) => {
    await assert.rejects(
      ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(products(20), 13), batchSize: 5 }),
      (e) => isProdsimError(e) && e.code === 'INVALID_RECORD',
    );
    assert.equal(await store.count(), 13);
    await assert.rejects(
      ingestCatalog({ store, analyzer, source: 'c', batchSiz: 5 } as never),
      (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION',
    );
  }),
);

test(
  'force re-analyses unchanged products (after an analyser change) without counting them as updated',
  withStore(async (store) => {
    await ingestCatalog({ store, analyzer, source: 'c', reader: readerOf(products(3)), batchSize: 5 });
    const shouting: typeof analyzer = { ...analyzer, analyze: (t) => ({ ...analyzer.analyze(t), tokens: ['zzmarker'] }) };
    const s = await ingestCatalog({ store, analyzer: shouting, source: 'c', reader: readerOf(products(3)), force: true });
    assert.deepEqual([s.added, s.updated, s.unchanged], [0, 0, 3]);
    assert.deepEqual((await store.getAnalyzed('p1'))!.tokens.title, ['zzmarker']);
    assert.equal((await store.keywordSearch(['zzmarker'], { k: 5 })).length, 3);
    assert.equal((await store.keywordSearch(['sku1'], { k: 5 })).length, 0, 'old keyword rows were replaced');
  }),
);

test(
  'the next batch is encoded while the previous one is written; writes commit in order',
  withStore(async (store) => {
    const order: string[] = [];
    const enc = countingEncoder();
    let releaseFirstWrite = () => {};
    const firstWriteHeld = new Promise<void>((resolve) => (releaseFirstWrite = resolve));
    // Without overlap the first write would wait for the second batch's encode forever: the timer ends that wait, and the order below fails.
    const fallback = setTimeout(releaseFirstWrite, 2_000);
    let encodes = 0;
    const watchedEncoder: DenseEncoder<string> = {
      ...enc,
      async encode(batch) {
        order.push(`encode ${++encodes}`);
        if (encodes === 2) releaseFirstWrite();
        return enc.encode(batch);
      },
    };
    let writes = 0;
    const slowStore: typeof store = {
      ...store,
      async upsertProducts(batch, upsertOptions) {
        const n = ++writes;
        if (n === 1) await firstWriteHeld;
        const results = await store.upsertProducts(batch, upsertOptions);
        order.push(`write ${n}`);
        return results;
      },
    };
    const s = await ingestCatalog({ store: slowStore, analyzer, source: 'c', reader: readerOf(products(12)), batchSize: 5, encoders: [watchedEncoder] });
    clearTimeout(fallback);
    assert.deepEqual(order.slice(0, 3), ['encode 1', 'encode 2', 'write 1'], 'batch 2 was encoded before batch 1 was written');
    assert.deepEqual(
      order.filter((o) => o.startsWith('write')),
      ['write 1', 'write 2', 'write 3'],
    );
    assert.deepEqual([s.read, s.added], [12, 12]);
    assert.equal(await store.count(), 12);
    assert.equal((await store.getVectors(enc.id, ['p0', 'p11'])).size, 2);
  }),
);

test(
  'a failed write ends the ingest with its error, and the batches written before it stay',
  withStore(async (store) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    // Each record read after a turn of the event loop: the failed write's rejection is checked for a handler meanwhile.
    const yieldingReader = (entries: CatalogEntry[]): CatalogReader =>
      async function* () {
        for (const e of entries) {
          await new Promise((resolve) => setImmediate(resolve));
          yield e;
        }
      };
    let writes = 0;
    const failingStore: typeof store = {
      ...store,
      async upsertProducts(batch, upsertOptions) {
        if (++writes === 2) throw createError('STORE_ERROR', 'disk full');
        return store.upsertProducts(batch, upsertOptions);
      },
    };
    try {
      await assert.rejects(
        ingestCatalog({ store: failingStore, analyzer, source: 'c', reader: yieldingReader(products(20)), batchSize: 5 }),
        (e) => isProdsimError(e) && e.code === 'STORE_ERROR' && /disk full/.test(e.message),
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
      assert.equal(await store.count(), 5);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }),
);
