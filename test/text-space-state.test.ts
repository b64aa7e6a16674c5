/**
 * The text space's saved state is parsed only when the store holds a state the encoder does not:
 * every refresh (every product write) checks it, and at 1M products parsing it was most of a
 * one-product write. A state written by another engine (a refit) must still be picked up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import type { Product } from '../src/catalog/product.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-text-state-'));
const storePath = join(dir, 'store.db');
let engine: Engine;

before(async () => {
  engine = await createEngine({ storePath, images: false });
  await engine.ingest('data/sample-catalog.jsonl');
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const product = (id: string, title: string): Product => ({ id, title, tags: ['测试'], images: [], attributes: {}, brand: 'Sony', category: '数码/耳机', price: 199 });

/** Counts the encoder's `load` calls (parses of the saved state) while `run` runs. */
async function loadsDuring(e: Engine, run: () => Promise<unknown>): Promise<number> {
  const encoder = e.catalog.textEncoder as unknown as { load: (this: unknown, state: unknown) => void };
  const original = encoder.load;
  let calls = 0;
  encoder.load = function (state: unknown) {
    calls++;
    return original.call(this, state);
  };
  try {
    await run();
  } finally {
    encoder.load = original;
  }
  return calls;
}

test('writes do not parse the saved text state again while the encoder holds it', async () => {
  const loads = await loadsDuring(engine, async () => {
    await engine.upsertProducts([product('state-1', 'Sony WH-1000XM5 降噪耳机')]);
    await engine.upsertProducts([product('state-2', 'Sony WF-1000XM5 真无线耳机')]);
    await engine.refresh();
  });
  assert.equal(loads, 0);
  assert.ok(await engine.store.getVector(engine.catalog.textEncoder.id, 'state-2'), 'the written product got a vector');
});

test('a state saved by another engine (a refit) is loaded by the next refresh, once', async () => {
  const other = await createEngine({ storePath, images: false });
  try {
    await other.upsertProducts([product('state-3', 'Sony WH-CH720N 头戴式耳机')]);
    await other.refresh({ refit: true });
    const loads = await loadsDuring(engine, async () => {
      await engine.refresh();
      await engine.refresh();
    });
    assert.equal(loads, 1);
    assert.equal(engine.catalog.textEncoder.id, other.catalog.textEncoder.id, 'both engines encode in the same fitted space');
  } finally {
    await other.close();
  }
});

test('an engine that only reads (a second serve process) answers in the refit space on its next request', async () => {
  const other = await createEngine({ storePath, images: false });
  try {
    await other.upsertProducts([product('state-4', 'Sony WF-C700N 蓝牙耳机')]);
    await other.refresh({ refit: true });
    assert.notEqual(engine.catalog.textEncoder.id, other.catalog.textEncoder.id, 'the refit made a new space');
    // No refresh here: the next read request must find the new space (the old one's vectors are gone).
    const similar = await engine.similar({ id: 'state-4', k: 5 });
    assert.equal(engine.catalog.textEncoder.id, other.catalog.textEncoder.id, 'the reader moved to the fitted space');
    assert.deepEqual(similar.items.map((i) => i.product.id), (await other.similar({ id: 'state-4', k: 5 })).items.map((i) => i.product.id));
    const query = 'Sony 降噪耳机';
    assert.deepEqual((await engine.search({ query, k: 5 })).hits.map((h) => h.product.id), (await other.search({ query, k: 5 })).hits.map((h) => h.product.id));
  } finally {
    await other.close();
  }
});
