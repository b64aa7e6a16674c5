/**
 * Stores say which text-analysis version their products were analysed with (src/tasks/analysis-version.ts):
 * after an analyser change, products stored before are read the old way until a forced ingest of the
 * whole catalog analyses them again, and `stats` says so instead of leaving it silent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Product } from '../src/catalog/product.ts';
import { createEngine } from '../src/engine/engine.ts';
import { ANALYSIS_VERSION } from '../src/text/analyzer.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { ANALYSIS_META_KEY, storedAnalysis } from '../src/tasks/analysis-version.ts';
import { runCli } from './fixtures/run-cli.ts';

const PRODUCTS: Product[] = [
  { id: 'm1', title: 'Kingston 8 Go DDR4-3000 module', price: 30, tags: [], images: [], attributes: {} },
  { id: 'm2', title: 'Kingston 16 Go DDR4-3200 module', price: 55, tags: [], images: [], attributes: {} },
  { id: 'm3', title: '红色连衣裙 夏季', price: 199, tags: [], images: [], attributes: {} },
];

test('a store records the analysis version its products were read with, and a forced ingest of the whole catalog brings an old one up to date', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-analysis-'));
  try {
    const catalog = join(dir, 'catalog.jsonl');
    writeFileSync(catalog, PRODUCTS.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const engine = await createEngine({ storePath: join(dir, 'store.db'), images: false });
    try {
      assert.deepEqual(await storedAnalysis(engine.store), { stored: undefined, current: ANALYSIS_VERSION, stale: false }, 'an empty store');
      const first = await engine.ingest(catalog);
      assert.deepEqual(first.analysis, { stored: ANALYSIS_VERSION, current: ANALYSIS_VERSION, stale: false });

      // A store an older prodsim wrote: its products, no version recorded (read as version 1).
      await engine.store.setMeta(ANALYSIS_META_KEY, JSON.stringify({ version: 1 }));
      assert.equal((await storedAnalysis(engine.store)).stale, true);
      const cli = await runCli(['--store', join(dir, 'store.db'), 'stats']);
      assert.match(cli.stdout, /version 1, this prodsim reads text as version \d+.*--force/);

      // Unforced, unchanged products are not analysed again: still stale, and said so.
      const again = await engine.ingest(catalog);
      assert.equal(again.unchanged, PRODUCTS.length);
      assert.equal(again.analysis.stale, true);
      // Forced over part of the catalog: the rest is still read the old way.
      writeFileSync(join(dir, 'part.jsonl'), JSON.stringify(PRODUCTS[0]) + '\n');
      assert.equal((await engine.ingest(join(dir, 'part.jsonl'), { force: true })).analysis.stale, true);
      // Forced over the whole catalog: every product analysed again.
      assert.deepEqual((await engine.ingest(catalog, { force: true })).analysis, { stored: ANALYSIS_VERSION, current: ANALYSIS_VERSION, stale: false });
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store written without a recorded version reads as version 1; upserts into an empty store record theirs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-analysis-'));
  try {
    const old = await createEngine({ storePath: join(dir, 'old.db'), images: false });
    const analyzer = createTextAnalyzer();
    // Written below the engine, as a store of an older prodsim was: products, no version.
    await old.store.upsertProducts(PRODUCTS.map((product) => ({ product, analyzed: analyzeProduct(product, analyzer) })));
    assert.deepEqual(await storedAnalysis(old.store), { stored: 1, current: ANALYSIS_VERSION, stale: true });
    // A write through the engine keeps it stale and writes the old version down (no count on later reads).
    await old.upsertProducts([{ ...PRODUCTS[0]!, price: 31 }]);
    assert.equal(await old.store.getMeta(ANALYSIS_META_KEY), JSON.stringify({ version: 1 }));
    assert.equal((await storedAnalysis(old.store)).stale, true);
    await old.close();

    const fresh = await createEngine({ storePath: join(dir, 'fresh.db'), images: false });
    await fresh.upsertProducts(PRODUCTS);
    assert.deepEqual(await storedAnalysis(fresh.store), { stored: ANALYSIS_VERSION, current: ANALYSIS_VERSION, stale: false });
    await fresh.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
