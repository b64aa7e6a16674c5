/**
 * Faults on real PostgreSQL servers: an ingest killed with SIGKILL and run again commits every
 * product once and loses none; a server restart while searches run gives STORE_UNAVAILABLE errors
 * (never a hang) and then answers again without reopening the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProdsimError } from '../src/errors.ts';
import { analyzeProduct, collectAll, productContentHash } from '../src/store/index.ts';
import { createPostgresStore } from '../src/store/postgres/pg-store.ts';
import { ingestCatalog } from '../src/tasks/ingest.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { generatedProduct, writeGeneratedCatalog } from './fixtures/ingest-catalog.ts';
import { postgresTestTarget, privateCitusSkip, privateServerSkip, startPrivateCitus, startPrivateServer } from './fixtures/postgres-servers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures', 'ingest-kill-child.ts');
const TOTAL = 3_000;
const BATCH = 100;
const KILL_AFTER = 500;
const target = await postgresTestTarget('PRODSIM_TEST_POSTGRES_URL', false);

test('an ingest into PostgreSQL killed with SIGKILL, run again, commits every product once', { skip: target.skip, timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-pg-crash-'));
  const catalog = path.join(dir, 'catalog.jsonl');
  const url = await target.freshSchemaUrl();
  try {
    writeGeneratedCatalog(catalog, TOTAL);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, catalog, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const last = [...seen.matchAll(/committed (\d+)/g)].at(-1);
      if (last && Number(last[1]) >= KILL_AFTER && child.exitCode === null) child.kill('SIGKILL');
    });
    assert.equal(await exit, 'SIGKILL', `killed mid-ingest (stdout: ${seen.slice(-200)}, stderr: ${stderr.slice(-500)})`);

    const store = await createPostgresStore({ url });
    try {
      const committed = await store.count();
      assert.ok(committed >= KILL_AFTER && committed < TOTAL, `committed ${committed}`);
      assert.equal(committed % BATCH, 0, 'only whole batches are committed');
      const again = await ingestCatalog({ store, analyzer: createTextAnalyzer(), source: catalog, batchSize: 500 });
      assert.equal(again.unchanged, committed);
      assert.equal(again.added, TOTAL - committed);
      assert.equal(await store.count(), TOTAL);
      const all = await collectAll(store.iterateProducts());
      assert.equal(new Set(all.map((p) => p.product.id)).size, TOTAL, 'every product once');
      for (const i of [0, committed - 1, committed, TOTAL - 1]) {
        const stored = (await store.getProduct(`p${i}`))!;
        assert.equal(stored.contentHash, productContentHash(generatedProduct(i)));
        assert.equal((await store.keywordSearch([`sku${i}`], { k: 1 }))[0]?.id, `p${i}`);
      }
      const changes = (await store.changesSince(0))!;
      assert.equal(new Set(changes.map((c) => c.key)).size, TOTAL, 'the change log names every product');
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await target.dropSchemas();
  }
});

test('a PostgreSQL restart during searches: clear errors while it is down, then answers again without reopening', { skip: privateServerSkip(), timeout: 120_000 }, async () => {
  const server = startPrivateServer();
  try {
    const analyzer = createTextAnalyzer();
    const store = await createPostgresStore({ url: server.url, connectTimeoutMs: 1_000, retries: 2 });
    try {
      const products = Array.from({ length: 50 }, (_, i) => generatedProduct(i));
      await store.upsertProducts(products.map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) })));
      assert.equal((await store.keywordSearch(['sku7'], { k: 1 }))[0]?.id, 'p7');

      server.stop();
      const error = await store.keywordSearch(['sku7'], { k: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isProdsimError(error) && error.code === 'STORE_UNAVAILABLE', `a STORE_UNAVAILABLE error, got ${String(error)}`);
      assert.match(error.message, /PostgreSQL at postgres:\/\/postgres@localhost:\d+\/postgres is unreachable/);
      await assert.rejects(store.getProduct('p1'), (e) => isProdsimError(e) && e.code === 'STORE_UNAVAILABLE');

      server.start();
      assert.equal((await store.keywordSearch(['sku7'], { k: 1 }))[0]?.id, 'p7', 'the same store handle answers again');
      assert.equal(await store.count(), 50);
    } finally {
      await store.close();
    }
  } finally {
    server.remove();
  }
});

test('a Citus worker down: an error naming the worker, no partial answer, then answers again', { skip: privateCitusSkip(), timeout: 180_000 }, async () => {
  const cluster = startPrivateCitus(2);
  try {
    const analyzer = createTextAnalyzer();
    const store = await createPostgresStore({ url: cluster.coordinator.url, distributed: true, connectTimeoutMs: 1_000, retries: 2 });
    try {
      const products = Array.from({ length: 60 }, (_, i) => generatedProduct(i));
      const written = await store.upsertProducts(products.map((p) => ({ product: p, analyzed: analyzeProduct(p, analyzer) })));
      await store.putVectors('enc', written.map((w, i) => ({ id: w.id, contentHash: w.contentHash, vector: Float32Array.of(Math.cos(i / 10), Math.sin(i / 10), 0.5) })));
      assert.equal((await store.keywordSearch(['sku7'], { k: 1 }))[0]?.id, 'p7');

      const down = cluster.workers[1]!;
      down.stop();
      const named = (e: unknown) => isProdsimError(e) && e.code === 'STORE_UNAVAILABLE' && e.message.includes(`Citus worker localhost:${down.port} is unreachable`);
      // Every shard-spanning read fails whole, naming the node: never an answer from half the shards.
      await assert.rejects(store.keywordSearch(['sku7'], { k: 5 }), named);
      await assert.rejects(store.nearestNeighbours('enc', Float32Array.of(1, 0, 0.5), { k: 5 }), named);
      await assert.rejects(store.getProducts(products.map((p) => p.id)), named);
      // The count of this store revision was read before the worker went down: it is the exact answer, kept.
      assert.equal(await store.count(), 60);

      down.start();
      assert.equal((await store.keywordSearch(['sku7'], { k: 1 }))[0]?.id, 'p7', 'the same store handle answers again');
      assert.equal(await store.count(), 60);
      assert.equal((await store.nearestNeighbours('enc', Float32Array.of(1, 0, 0.5), { k: 5 })).length, 5);
    } finally {
      await store.close();
    }
  } finally {
    cluster.remove();
  }
});
