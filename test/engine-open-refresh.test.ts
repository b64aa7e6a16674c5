/**
 * A store whose vectors are not the current text space's (written by an older version, or lost) is
 * re-encoded when the engine opens it: minutes to an hour at 1M products, so the opener is told
 * the progress (`onOpenRefresh`) instead of waiting on a silent process.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createEngine } from '../src/engine/engine.ts';
import type { RefreshProgress } from '../src/tasks/catalog-index.ts';
import { openRefreshReporter } from '../src/cli/engine-session.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-open-refresh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('opening a store without the text space vectors re-encodes it and reports the progress', async () => {
  const storePath = join(dir, 'store.db');
  const first = await createEngine({ storePath });
  const { added } = await first.ingest('data/sample-catalog.jsonl');
  await first.close();

  const untouched: RefreshProgress[] = [];
  const again = await createEngine({ storePath, onOpenRefresh: (p) => untouched.push(p) });
  await again.close();
  assert.deepEqual(untouched, [], 'a store with every vector is opened without re-encoding');

  // What a store written by an older version looks like: its vectors, and the note that they are
  // complete, belong to another text space id.
  const db = new Database(storePath);
  const older = 'catalog-aware:older-version';
  db.prepare(`UPDATE vectors SET encoder_id = ? WHERE encoder_id LIKE 'catalog-aware:%'`).run(older);
  const complete = db.prepare(`SELECT value FROM meta WHERE key = 'vectors.complete'`).get() as { value: string };
  db.prepare(`UPDATE meta SET value = ? WHERE key = 'vectors.complete'`).run(JSON.stringify({ ...JSON.parse(complete.value), encoderId: older }));
  db.close();

  const progress: RefreshProgress[] = [];
  const reopened = await createEngine({ storePath, onOpenRefresh: (p) => progress.push(p) });
  try {
    const encoded = progress.filter((p) => p.stage === 'encode');
    assert.ok(encoded.length > 0, `the re-encoding reports its progress (stages: ${[...new Set(progress.map((p) => p.stage))].join(', ')})`);
    assert.equal(encoded[0]!.done, 0, 'nothing of the older text space counts as encoded');
    assert.equal(encoded.at(-1)!.total, added);
    assert.equal(encoded.at(-1)!.done, added);
    const stats = await reopened.stats();
    assert.equal(stats.vectors[reopened.catalog.textEncoder.id]?.count, added, 'every product has its vector again');
  } finally {
    await reopened.close();
  }
});

test('the CLI says once why opening takes long, then how far it is, and when it is done', () => {
  const lines: string[] = [];
  const report = openRefreshReporter({ err: (t) => lines.push(t) });
  report({ stage: 'fit', done: 0, total: 1 });
  report({ stage: 'encode', done: 0, total: 2048 });
  report({ stage: 'encode', done: 512, total: 2048 });
  report({ stage: 'encode', done: 2048, total: 2048 });
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0]!, /another text space version: re-encoding 2,048 products once/);
  assert.match(lines[1]!, /re-encoded 0 \/ 2,048/);
  assert.match(lines[2]!, /re-encoded 2,048 \/ 2,048/);
});
