import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createProductStore, productContentHash } from '../src/store/index.ts';
import { ingestCatalog } from '../src/tasks/ingest.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { generatedProduct, writeGeneratedCatalog } from './fixtures/ingest-catalog.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures', 'ingest-kill-child.ts');
const TOTAL = 12_000;
const BATCH = 250;
/** Kill once this many products are committed: well before the end, so the kill lands mid-ingest. */
const KILL_AFTER = 750;

test('an ingest killed with SIGKILL leaves a consistent store that a re-ingest completes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-crash-'));
  const catalog = path.join(dir, 'catalog.jsonl');
  const storePath = path.join(dir, 'store.db');
  try {
    writeGeneratedCatalog(catalog, TOTAL);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storePath, catalog, String(BATCH)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let seen = '';
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const last = [...seen.matchAll(/committed (\d+)/g)].at(-1);
      if (last && Number(last[1]) >= KILL_AFTER && child.exitCode === null) child.kill('SIGKILL');
    });
    const { signal } = await exit;
    assert.equal(signal, 'SIGKILL', `the child should have been killed mid-ingest (stdout: ${seen.slice(-200)}, stderr: ${stderr})`);

    // The file is a sound database, FTS5 index included.
    const raw = new Database(storePath);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.prepare(`INSERT INTO keyword_index (keyword_index) VALUES ('integrity-check')`).run();
    raw.close();

    const store = createProductStore({ path: storePath });
    const analyzer = createTextAnalyzer();
    try {
      const committed = await store.count();
      assert.ok(committed >= KILL_AFTER && committed < TOTAL, `committed ${committed}`);
      assert.equal(committed % BATCH, 0, 'only whole batches are committed');
      // Every committed product is complete: content, hash, analysed text and keyword row.
      for await (const stored of store.iterateProducts()) {
        const i = Number(stored.product.id.slice(1));
        assert.deepEqual(stored.product, JSON.parse(JSON.stringify(generatedProduct(i))));
        assert.equal(stored.contentHash, productContentHash(generatedProduct(i)));
      }
      for (const i of [0, committed - 1]) {
        assert.ok((await store.getAnalyzed(`p${i}`))!.tokens.title.includes(`sku${i}`));
        assert.equal((await store.keywordSearch([`sku${i}`], { k: 1 }))[0]?.id, `p${i}`);
      }

      const again = await ingestCatalog({ store, analyzer, source: catalog, batchSize: 2_000 });
      assert.equal(again.unchanged, committed);
      assert.equal(again.added, TOTAL - committed);
      assert.equal(again.updated, 0);
      assert.equal(await store.count(), TOTAL);
      assert.equal((await store.keywordSearch([`sku${TOTAL - 1}`], { k: 1 }))[0]?.id, `p${TOTAL - 1}`);
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
