import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXCLUSIVE_DIMENSIONS } from '../src/similarity/exclusive-values.ts';
import { createTermScanner } from '../src/similarity/term-scanner.ts';

/** The alternation the scanner stands for: terms longest first, then whole-word terms longest first. */
function referencePattern(terms: readonly string[], wordTerms: readonly string[]): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  const longestFirst = (list: readonly string[]) => [...list].sort((x, y) => y.length - x.length).map(escape);
  const words = wordTerms.length > 0 ? [`(?<![a-z0-9])(?:${longestFirst(wordTerms).join('|')})(?![a-z0-9])`] : [];
  return new RegExp([...longestFirst(terms), ...words].join('|'), 'gu');
}

function catalogTexts(file: string): string[] {
  return readFileSync(new URL(`../data/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .flatMap((line) => {
      // shop-b names its fields otherwise (name, desc): every string field is read.
      const p = JSON.parse(line) as Record<string, unknown>;
      return Object.values(p).flatMap((v) => (typeof v === 'string' ? [v.normalize('NFKC').toLowerCase()] : []));
    });
}

test('the term scanner finds what the regular expression alternation finds, on the exclusive values and the sample catalogs', () => {
  const all = [...new Set(EXCLUSIVE_DIMENSIONS.flatMap((d) => d.values.flatMap((v) => v.terms)))];
  const latin = (t: string) => /^[a-z0-9][a-z0-9 '&.+-]*$/u.test(t);
  const terms = all.filter((t) => !latin(t));
  const wordTerms = all.filter(latin);
  assert.ok(terms.length > 50 && wordTerms.length > 50, `${terms.length} / ${wordTerms.length}`);
  const scanner = createTermScanner(terms, wordTerms);
  const pattern = referencePattern(terms, wordTerms);
  const texts = [
    ...catalogTexts('sample-catalog.jsonl'),
    ...catalogTexts('shop-a.jsonl'),
    ...catalogTexts('shop-b.jsonl'),
    'women running shoes for men',
    'tvs2 tv 55寸 4k',
    'over-ear / in-ear 头戴式入耳式',
    '😀男士😀t恤 女款',
    'ear',
    '',
  ];
  let found = 0;
  for (const text of texts) {
    const expected = [...text.matchAll(pattern)].map((m) => m[0]);
    assert.deepEqual(scanner.scan(text), expected, text);
    found += expected.length;
  }
  assert.ok(found > 300, `${found} terms found`);
});

test('the term scanner: longest term first, whole Latin words, terms anywhere ahead of words', () => {
  const scanner = createTermScanner(['手机', '手机壳', 't恤'], ['men', 'women', 'pro', 'pro max']);
  assert.deepEqual(scanner.scan('手机壳 手机'), ['手机壳', '手机']);
  assert.deepEqual(scanner.scan('women men omen menu'), ['women', 'men']);
  assert.deepEqual(scanner.scan('iphone pro max / pro2 / pro'), ['pro max', 'pro']);
  assert.deepEqual(scanner.scan('t恤 ment恤'), ['t恤', 't恤']);
  assert.deepEqual(scanner.scan('𠮷手机'), ['手机']);
});
