import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withinOneEdit } from '../src/tasks/model-number-lookup.ts';
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
