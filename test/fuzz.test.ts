/**
 * The fuzz suite: every kind of malformed catalog record in the corpus (test/fixtures/fuzz-corpus.ts)
 * gets its clear issue on its own line while every good record around it loads, and every kind of bad
 * request gets its status and error code. Bad values are generated with fast-check (fixed seeds, so a
 * failure replays); `npm run bench:faults` runs more samples and writes the counts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProductStore } from '../src/store/index.ts';
import { ingestCatalog } from '../src/tasks/ingest.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { CATALOG_KINDS, checkCatalogKind, checkRequestKind, REQUEST_KINDS, startFuzzServer } from './fixtures/fuzz-corpus.ts';
import fc from 'fast-check';

const RUNS = 8;
const SEED = 17;

test(`the corpus holds at least 40 kinds (${CATALOG_KINDS.length} catalog, ${REQUEST_KINDS.length} request)`, () => {
  assert.ok(CATALOG_KINDS.length + REQUEST_KINDS.length >= 40);
  assert.equal(new Set([...CATALOG_KINDS, ...REQUEST_KINDS].map((k) => k.name)).size, CATALOG_KINDS.length + REQUEST_KINDS.length, 'names are unique');
});

describe('malformed catalog records', () => {
  for (const kind of CATALOG_KINDS) {
    test(kind.name, async () => {
      const r = await checkCatalogKind(kind, { runs: RUNS, seed: SEED });
      assert.equal(r.goodLost, 0, r.failure);
      assert.equal(r.asExpected, r.runs, r.failure);
    });
  }
});

test('all JSONL kinds in one file ingested into a store: every good record stored, every bad one skipped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-fuzz-store-'));
  const store = createProductStore({ path: path.join(dir, 'store.db') });
  try {
    const lines: Buffer[] = [];
    let good = 0;
    let bad = 0;
    for (const kind of CATALOG_KINDS.filter((k) => k.format === 'jsonl')) {
      for (const sample of fc.sample(kind.bad, { numRuns: 2, seed: SEED })) {
        lines.push(Buffer.from(JSON.stringify({ id: `good-${good++}`, title: `good record ${good}`, price: good, currency: 'CNY' }) + '\n'));
        lines.push(Buffer.concat([typeof sample === 'string' ? Buffer.from(sample.replace(/"bad-1"/, `"bad-${bad}"`)) : sample, Buffer.from('\n')]));
        bad++;
      }
    }
    const file = path.join(dir, 'all.jsonl');
    fs.writeFileSync(file, Buffer.concat(lines));
    const summary = await ingestCatalog({ store, analyzer: createTextAnalyzer(), source: file, batchSize: 7 });
    assert.equal(summary.skippedCount, bad);
    assert.equal(await store.count(), good);
    assert.equal((await store.getProducts(Array.from({ length: good }, (_, i) => `good-${i}`))).length, good);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('bad requests', () => {
  let server: Awaited<ReturnType<typeof startFuzzServer>>;
  before(async () => {
    server = await startFuzzServer();
  });
  after(() => server.close());
  for (const kind of REQUEST_KINDS) {
    test(kind.name, async () => {
      const r = await checkRequestKind(server.request, kind, { runs: RUNS, seed: SEED });
      assert.equal(r.asExpected, r.runs, r.failure);
    });
  }
});
