import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoizeByObject } from '../src/similarity/field-similarities/types.ts';

test('memoizeByObject computes once per object, apart for each memoised function', () => {
  let calls = 0;
  const length = memoizeByObject((tags: string[]) => (calls++, tags.length));
  const first = memoizeByObject((tags: string[]) => tags[0] ?? '');
  const tags = ['红色', '连衣裙'];
  assert.equal(length(tags), 2);
  assert.equal(length(tags), 2);
  assert.equal(calls, 1);
  assert.equal(first(tags), '红色');
  assert.equal(length(['a']), 1);
  assert.equal(calls, 2);
});

test('memoizeByObject: a copy of the key does not inherit its memo, and the key looks unchanged', () => {
  const brandOf = memoizeByObject((attributes: Record<string, string>) => attributes['brand'] ?? '');
  const attributes: Record<string, string> = { brand: 'Sony' };
  assert.equal(brandOf(attributes), 'Sony');
  assert.equal(brandOf({ ...attributes, brand: 'Bose' }), 'Bose');
  assert.equal(brandOf(Object.assign({}, attributes, { brand: 'JBL' })), 'JBL');
  assert.deepEqual(Object.keys(attributes), ['brand']);
  assert.equal(JSON.stringify(attributes), '{"brand":"Sony"}');
  assert.deepEqual(structuredClone(attributes), { brand: 'Sony' });
});

test('memoizeByObject works on frozen objects', () => {
  let calls = 0;
  const size = memoizeByObject((list: readonly string[]) => (calls++, list.length));
  const frozen = Object.freeze(['a', 'b', 'c']);
  assert.equal(size(frozen), 3);
  assert.equal(size(frozen), 3);
  assert.equal(calls, 1);
});
