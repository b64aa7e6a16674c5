import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hanNgramTokens, hasHanToken } from '../src/text/han-ngrams.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { ProdsimError } from '../src/errors.ts';

test('character n-grams of each run of Chinese words, and of each other token on its own, in text order', () => {
  assert.deepEqual(hanNgramTokens(['墙面', '底漆']), ['墙', '墙面', '面', '面底', '底', '底漆', '漆']);
  // No bigram across two Latin or number tokens (`e1` of iphone·15), nor between one and a Chinese word.
  assert.deepEqual(hanNgramTokens(['iphone', '15', '手机', '壳']), ['i', 'ip', 'p', 'ph', 'h', 'ho', 'o', 'on', 'n', 'ne', 'e', '1', '15', '5', '手', '手机', '机', '机壳', '壳']);
  assert.deepEqual(hanNgramTokens(['t恤', '男']), ['t', 't恤', '恤', '男']);
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

test('a shop name written as one word in the query shares the bigrams of its two-word title spelling', () => {
  const analyzer = createTextAnalyzer();
  const query = analyzer.analyze('heynaofficial线上商店').tokens;
  const title = analyzer.analyze('HEYNA_Official 中古大小姐羊毛呢复古短外套').tokens;
  assert.ok(!title.includes('heynaofficial'), `title words ${title.join('/')}`);
  const titleGrams = new Set(hanNgramTokens(title));
  const shared = hanNgramTokens(query).filter((g) => g.length === 2 && titleGrams.has(g));
  for (const g of ['he', 'ey', 'yn', 'na', 'of', 'ff', 'fi', 'ic', 'ci', 'ia', 'al']) assert.ok(shared.includes(g), `${g} shared: ${shared.join(' ')}`);
});
