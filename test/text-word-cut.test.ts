import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestEntries } from '../src/encoders/cedict/cedict-bridge.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { longestWordCut } from '../src/text/word-cut.ts';

test('longestWordCut takes the longest words first, then the leftmost, and keeps reading order', () => {
  const words = new Set(['电热', '热水器', '落地', '落地窗']);
  const isWord = (w: string) => words.has(w);
  // Forward maximum matching would take 电热 first and leave 水 and 器 as characters.
  assert.deepEqual(longestWordCut('电热水器', isWord), ['电', '热水器']);
  assert.deepEqual(longestWordCut('大落地窗', isWord), ['大', '落地窗']);
  assert.deepEqual(longestWordCut('大落地窗', isWord, 2), ['大', '落地', '窗']);
  // Never the whole word, and characters no word covers are pieces of their own.
  assert.deepEqual(longestWordCut('落地', () => true), ['落', '地']);
  assert.deepEqual(longestWordCut('水器', isWord), ['水', '器']);
});

test('the analyser and the CC-CEDICT bridge cut with the same cutter', () => {
  const entries = new Set(['电热', '热水器']);
  assert.deepEqual(longestEntries('电热水器', (w) => entries.has(w)), longestWordCut('电热水器', (w) => entries.has(w), 4));
  const analyzer = createTextAnalyzer();
  // jieba's search cut of 电热水器 holds 电热 and 热水器 (and 热水): the longest first, as the bridge does.
  assert.deepEqual(analyzer.wordParts('电热水器'), ['电', '热水器']);
});
