/**
 * Vectors of a superseded text space go: a refit removes the previous space's vectors once the new
 * ones are written, and `prodsim vacuum` removes any left behind (an ingest stopped between fit and
 * encode) and compacts the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './fixtures/run-cli.ts';
import { createEngine } from '../src/engine/engine.ts';
import { collectAll, createProductStore } from '../src/store/index.ts';


const textSpaceIds = (vectors: Record<string, unknown>) => Object.keys(vectors).filter((id) => id.startsWith('catalog-aware'));

test('a refit leaves only the current text space vectors; vacuum removes leftovers and compacts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-vacuum-'));
  try {
    const storePath = path.join(dir, 'store.db');
    const small = path.join(dir, 'small.jsonl');
    fs.writeFileSync(small, fs.readFileSync('data/sample-catalog.jsonl', 'utf8').split('\n').slice(0, 60).join('\n') + '\n');
    const engine = await createEngine({ storePath, images: false });
    try {
      await engine.ingest(small);
      const first = textSpaceIds((await engine.stats()).vectors);
      assert.equal(first.length, 1);
      await engine.ingest('data/sample-catalog.jsonl'); // 60 → 310 products: drift > 20 %, a refit
      const after = textSpaceIds((await engine.stats()).vectors);
      assert.equal(after.length, 1, `one text space left, got ${after.join(', ')}`);
      assert.notEqual(after[0], first[0], 'the refit changed the text space');
      assert.equal((await engine.stats()).vectors[after[0]!]!.count, 310);
    } finally {
      await engine.close();
    }

    // A leftover as an interrupted refit leaves it: vectors of an older state of the same space.
    const store = createProductStore({ path: storePath });
    const current = textSpaceIds((await store.stats()).vectors)[0]!;
    const stale = 'catalog-aware:000000000000';
    const rows = (await collectAll(store.vectorsFor(current))).map((v) => ({ id: v.id, contentHash: v.contentHash, vector: v.vector }));
    await store.putVectors(stale, rows);
    await store.putVectors('image:dhash:v1', rows.slice(0, 3).map((r) => ({ ...r, vector: new Float32Array(64) })));
    await store.close();

    const r = await runCli(['--json', '--store', storePath, 'vacuum']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.removedVectors, { [stale]: 310 });
    assert.ok(summary.sizeBytesAfter <= summary.sizeBytesBefore);
    const check = createProductStore({ path: storePath, readonly: true });
    try {
      assert.deepEqual(Object.keys((await check.stats()).vectors).sort(), [current, 'image:dhash:v1'].sort(), 'other encoders keep their vectors');
    } finally {
      await check.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
