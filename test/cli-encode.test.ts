/**
 * `prodsim encode` on a store with the default (combined pretrained + catalog) text space: the
 * nearest words are looked up with the pretrained half of the vector, whose dimension GloVe has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './fixtures/run-cli.ts';


test('prodsim encode --text 红色连衣裙 answers tokens, nearest words and products (was DIM_MISMATCH)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-encode-'));
  try {
    const store = path.join(dir, 'store.db');
    const ingest = await runCli(['--json', '--store', store, 'ingest', 'data/sample-catalog.jsonl']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const r = await runCli(['--json', '--store', store, 'encode', '--text', '红色连衣裙', '-k', '5']);
    assert.equal(r.code, 0, r.stderr);
    const inspection = JSON.parse(r.stdout);
    assert.ok(inspection.norm > 0);
    assert.ok(inspection.nearestWords.length > 0, 'nearest words found');
    assert.equal(inspection.nearestProducts.length, 5);
    assert.ok(inspection.tokens.some((t: { token: string }) => t.token.includes('连衣裙')), JSON.stringify(inspection.tokens));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
