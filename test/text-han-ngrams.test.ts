import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hanNgramTokens, hasHanToken } from '../src/text/han-ngrams.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { ProdsimError } from '../src/errors.ts';

test('character n-grams of each run of Chinese words; other tokens kept whole, in text order', () => {
  assert.deepEqual(hanNgramTokens(['墙面', '底漆']), ['墙', '墙面', '面', '面底', '底', '底漆', '漆']);
  assert.deepEqual(hanNgramTokens(['iphone', '15', '手机', '壳', '512gb']), ['iphone', '15', '手', '手机', '机', '机壳', '壳', '512gb']);
  assert.deepEqual(hanNgramTokens(['t恤', '男']), ['t恤', '男']);
  assert.deepEqual(hanNgramTokens(['耳机'], 1), ['耳', '机']);
  assert.throws(() => hanNgramTokens(['耳机'], 0), (e: unknown) => e instanceof ProdsimError && e.code === 'INVALID_ARGUMENT');
  assert.equal(hasHanToken(['iphone', '15']), false);
  assert.equal(hasHanToken(['iphone', '手机']), true);
});

test('a query segmented unlike the title shares its character bigrams though not its words', () => {
  const analyzer = createTextAnalyzer();
  const query = analyzer.analyze('墙面底漆').tokens;
  const title = analyzer.analyze('多乐士白色乳胶漆室内家用内外墙用底漆').tokens;
  const titleGrams = new Set(hanNgramTokens(title));
  const queryGrams = hanNgramTokens(query).filter((g) => [...g].length === 2);
  // The words: 墙面 is not a word of the title.
  assert.ok(!title.includes('墙面'), `title words ${title.join('/')}`);
  assert.ok(queryGrams.filter((g) => titleGrams.has(g)).length >= 1, `query bigrams ${queryGrams.join(' ')}`);
});
