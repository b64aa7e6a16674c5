import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModelNumberLookup, MIN_FUZZY_CODE_LENGTH, withinOneEdit } from '../src/tasks/model-number-lookup.ts';
import { editDistance } from '../src/similarity/field-similarities/types.ts';

test('withinOneEdit agrees with the edit distance on substitutions, insertions and deletions', () => {
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000xm5'), true);
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000xm4'), true); // substitution
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000m5'), true); // deletion
  assert.equal(withinOneEdit('dscw120', 'dscw1200'), true); // insertion
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000x45'), true);
  assert.equal(withinOneEdit('wh1000xm5', 'wh100xm4'), false); // two edits
  assert.equal(withinOneEdit('sm-g9910', 'sm-g9960'), true);
  assert.equal(withinOneEdit('abc', 'cba'), false);
  // Exhaustive check against the full edit distance over short strings of a small alphabet.
  const words: string[] = [''];
  for (let len = 1; len <= 4; len++) for (let i = 0; i < 3 ** len; i++) words.push(i.toString(3).padStart(len, '0').replace(/0/g, 'a').replace(/1/g, 'b').replace(/2/g, 'c'));
  for (const a of words) for (const b of words) assert.equal(withinOneEdit(a, b), editDistance(a, b) <= 1, `${a} vs ${b}`);
});

test('the model-number lookup finds exactly the codes within one edit (against a scan of every code)', () => {
  // Codes from a small alphabet so that many are one edit apart, of lengths 3–9.
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = 'ab12';
  const code = () => Array.from({ length: 3 + Math.floor(next() * 7) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const products = Array.from({ length: 3000 }, (_, i) => ({ id: `p${i}`, modelNumbers: [code(), ...(next() < 0.2 ? [code()] : [])] }));
  const lookup = createModelNumberLookup(products);
  for (let q = 0; q < 400; q++) {
    const query = code();
    const expected = products
      .flatMap((p) => [...new Set(p.modelNumbers)].filter((c) => c === query || (query.length >= MIN_FUZZY_CODE_LENGTH && editDistance(c, query) <= 1)).map((c) => `${p.id}:${c}:${c === query ? 0 : 1}`))
      .sort();
    const found = lookup.find(query).map((h) => `${h.id}:${h.code}:${h.edits}`).sort();
    assert.deepEqual(found, expected, query);
  }
});

test('a lookup updated product by product finds what a fresh build of the final catalog finds', () => {
  let seed = 23;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const code = () => Array.from({ length: 3 + Math.floor(next() * 6) }, () => 'ab12'[Math.floor(next() * 4)]).join('');
  const catalog = new Map<number, { key: number; id: string; modelNumbers: string[] }>();
  for (let key = 1; key <= 1500; key++) catalog.set(key, { key, id: `p${key}`, modelNumbers: [code()] });
  const lookup = createModelNumberLookup([...catalog.values()]);
  // Rewrites, deletions (an empty list) and new keys, in batches.
  for (let round = 0; round < 20; round++) {
    const batch: { key: number; id: string; modelNumbers: string[] }[] = [];
    for (let i = 0; i < 60; i++) {
      const key = 1 + Math.floor(next() * 1800);
      const r = next();
      const entry = { key, id: `p${key}`, modelNumbers: r < 0.3 ? [] : r < 0.5 ? [code(), code()] : [code()] };
      batch.push(entry);
      if (entry.modelNumbers.length === 0) catalog.delete(key);
      else catalog.set(key, entry);
    }
    lookup.update(batch);
  }
  const fresh = createModelNumberLookup([...catalog.values()]);
  assert.equal(lookup.size, fresh.size);
  const sorted = (hits: { id: string; code: string; edits: number }[]) => hits.map((h) => `${h.id}:${h.code}:${h.edits}`).sort();
  for (let q = 0; q < 300; q++) {
    const query = code();
    assert.deepEqual(sorted(lookup.find(query)), sorted(fresh.find(query)), query);
  }
});
