import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedEncode, contentHash, createMemoryVectorCache } from '../src/encoders/cache.ts';
import type { DenseEncoder } from '../src/encoders/encoder.ts';

function countingEncoder(id: string) {
  const seen: string[] = [];
  const enc: DenseEncoder<string> = {
    kind: 'dense', id, dimension: 2, modality: 'text', normalized: false,
    async encode(batch) {
      seen.push(...batch);
      return batch.map((t) => Float32Array.from([t.length, t.charCodeAt(0)]));
    },
  };
  return { enc, seen };
}

const items = (texts: string[]) => texts.map((t) => ({ contentHash: contentHash(t), input: t }));

test('second encode of the same inputs is served from the cache', async () => {
  const cache = createMemoryVectorCache();
  const { enc, seen } = countingEncoder('enc-a');
  const first = await cachedEncode(enc, items(['red dress', 'blue jeans', 'phone']), cache);
  assert.deepEqual([first.hits, first.misses, first.encoded], [0, 3, 3]);
  const second = await cachedEncode(enc, items(['phone', 'red dress', 'laptop']), cache);
  assert.deepEqual([second.hits, second.misses, second.encoded], [2, 1, 1]);
  assert.deepEqual(seen, ['red dress', 'blue jeans', 'phone', 'laptop']);
  // order of outputs follows inputs
  assert.deepEqual(Array.from(second.vectors[0]!), [5, 'p'.charCodeAt(0)]);
  assert.deepEqual(Array.from(second.vectors[2]!), [6, 'l'.charCodeAt(0)]);
});

test('a different encoder id does not see another encoder’s vectors', async () => {
  const cache = createMemoryVectorCache();
  await cachedEncode(countingEncoder('v1').enc, items(['a', 'b']), cache);
  const r = await cachedEncode(countingEncoder('v2').enc, items(['a', 'b']), cache);
  assert.equal(r.hits, 0);
  assert.equal(r.misses, 2);
});

test('duplicates inside one call are encoded once; batches respect batchSize', async () => {
  const cache = createMemoryVectorCache();
  const calls: number[] = [];
  const enc: DenseEncoder<string> = {
    kind: 'dense', id: 'b', dimension: 1, modality: 'text', normalized: false,
    async encode(batch) {
      calls.push(batch.length);
      return batch.map((t) => Float32Array.from([t.length]));
    },
  };
  const r = await cachedEncode(enc, items(['x', 'yy', 'x', 'zzz', 'wwww', 'x']), cache, { batchSize: 2 });
  assert.equal(r.encoded, 4);
  assert.deepEqual(calls, [2, 2]);
  assert.deepEqual(r.vectors.map((v) => v[0]), [1, 2, 1, 3, 4, 1]);
});

test('a wrong vector dimension from the encoder is reported', async () => {
  const enc: DenseEncoder<string> = {
    kind: 'dense', id: 'bad', dimension: 3, modality: 'text', normalized: false,
    encode: async (batch) => batch.map(() => new Float32Array(2)),
  };
  await assert.rejects(cachedEncode(enc, items(['a']), createMemoryVectorCache()), /expected dimension 3/);
});

test('memory cache evicts the oldest entries beyond maxEntries', () => {
  const cache = createMemoryVectorCache({ maxEntries: 2 });
  cache.put('e', '1', new Float32Array(1));
  cache.put('e', '2', new Float32Array(1));
  cache.put('e', '3', new Float32Array(1));
  assert.equal(cache.size, 2);
  assert.equal(cache.get('e', '1'), undefined);
  assert.ok(cache.get('e', '3'));
});
