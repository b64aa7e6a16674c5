/**
 * A compressed catalog that fails to decompress (truncated, corrupt) is refused before anything is
 * stored: the gzip stream is checked to its end (CRC and length) before the first write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isProdsimError } from '../src/errors.ts';
import { createProductStore } from '../src/store/index.ts';
import { ingestCatalog } from '../src/tasks/ingest.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { generatedProduct } from './fixtures/ingest-catalog.ts';

const ROWS = 2000;
const jsonl = Array.from({ length: ROWS }, (_, i) => JSON.stringify(generatedProduct(i))).join('\n') + '\n';

for (const [name, damage] of [
  ['truncated at half', (gz: Buffer) => gz.subarray(0, Math.floor(gz.length / 2))],
  ['missing its last 4 bytes (length trailer)', (gz: Buffer) => gz.subarray(0, gz.length - 4)],
  ['with a corrupt byte in the middle', (gz: Buffer) => Buffer.concat([gz.subarray(0, gz.length >> 1), Buffer.from([gz[gz.length >> 1]! ^ 0xff]), gz.subarray((gz.length >> 1) + 1)])],
] as const) {
  test(`a .jsonl.gz ${name} stores nothing and says so`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-gz-'));
    const store = createProductStore({ path: path.join(dir, 'store.db') });
    try {
      const file = path.join(dir, 'catalog.jsonl.gz');
      fs.writeFileSync(file, damage(gzipSync(jsonl)));
      await assert.rejects(
        ingestCatalog({ store, analyzer: createTextAnalyzer(), source: file, batchSize: 100 }),
        (e) => isProdsimError(e) && e.code === 'PARSE_ERROR' && /nothing was stored/.test(e.message) && e.location?.file === file,
      );
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('an intact .jsonl.gz is stored whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-gz-'));
  const store = createProductStore({ path: path.join(dir, 'store.db') });
  try {
    const file = path.join(dir, 'catalog.jsonl.gz');
    fs.writeFileSync(file, gzipSync(jsonl));
    const summary = await ingestCatalog({ store, analyzer: createTextAnalyzer(), source: file, batchSize: 100 });
    assert.equal(summary.added, ROWS);
    assert.equal(await store.count(), ROWS);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
