import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

test('segments Chinese and keeps English words, folding full-width and case', () => {
  const analyzer = createTextAnalyzer();
  const { tokens } = analyzer.analyze('苹果手机 ＩＰｈｏｎｅ 15');
  assert.deepEqual(tokens, ['苹果', '手机', 'iphone', '15']);
});
