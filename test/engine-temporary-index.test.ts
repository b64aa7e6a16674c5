/**
 * An engine over an in-memory (or database) store keeps its indexes in a temporary folder of its own:
 * closing it removes the folder, so a server or a test run leaves nothing behind in the temp folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine/engine.ts';

test('closing an in-memory engine removes its temporary index folder', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'prodsim-engine-tmp-'));
  const savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = scratch; // os.tmpdir() reads it on every call
  try {
    const engine = await createEngine({ store: ':memory:' });
    await engine.ingest('data/shop-a.jsonl');
    await engine.search({ query: 'bluetooth headphones' });
    const made = readdirSync(scratch).filter((name) => name.startsWith('prodsim-index-'));
    assert.equal(made.length, 1, `the engine made one index folder under ${scratch}: ${made.join(', ')}`);
    await engine.close();
    assert.deepEqual(readdirSync(scratch), [], 'nothing of the engine is left after close');
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    rmSync(scratch, { recursive: true, force: true });
  }
});
