import { test } from 'node:test';
import assert from 'node:assert/strict';
import { characterLcsSimilarity } from '../src/text/character-order.ts';

test('the common subsequence sees word order that bags of characters do not', () => {
  assert.equal(characterLcsSimilarity('上海位于北京以南', '上海位于北京以南'), 1);
  // The same characters, two places swapped: a bag of characters cannot tell them apart.
  // Longest common subsequence: 位于以南 (or 上海以南), 4 of 8 characters each.
  assert.equal(characterLcsSimilarity('上海位于北京以南', '北京位于上海以南'), 0.5);
  assert.equal(characterLcsSimilarity('上海位于北京以南', '上海位于北京以北'), 2 * 7 / 16);
  assert.equal(characterLcsSimilarity('ab', 'ba'), 0.5);
  assert.equal(characterLcsSimilarity('abc', 'xyz'), 0);
  // Code points, not UTF-16 units: one astral character is one character.
  assert.equal(characterLcsSimilarity('𠮷a', '𠮷b'), 0.5);
  assert.equal(characterLcsSimilarity('', 'abc'), 0);
});
