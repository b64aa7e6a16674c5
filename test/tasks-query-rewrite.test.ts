/**
 * Run-together words in English queries (issue #19): `ipadcase` is in no product, `ipad case` is;
 * search splits a query word the catalog does not know into words it does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { applySplits, splitRunTogetherWords } from '../src/tasks/query-rewrite.ts';

const vocabulary = new Map(Object.entries({ ipad: 12, case: 40, ipa: 1, video: 5, games: 9, videogame: 3, portable: 7, hard: 11, drive: 8, har: 1, disk: 7, pad: 3 }));
const df = (tokens: readonly string[]) => new Map(tokens.map((t) => [t, vocabulary.get(t) ?? 0]));

describe('splitRunTogetherWords', () => {
  test('an unknown word splits into known words, the cut whose rarest part is most common', async () => {
    assert.deepEqual(await splitRunTogetherWords(['ipadcase'], df), [{ word: 'ipadcase', parts: ['ipad', 'case'] }]);
    assert.deepEqual(await splitRunTogetherWords(['gamesvideo', 'ps4'], df), [{ word: 'gamesvideo', parts: ['games', 'video'] }]);
  });
  test('three parts when two do not do', async () => {
    assert.deepEqual(await splitRunTogetherWords(['portableharddrive'], df), [{ word: 'portableharddrive', parts: ['portable', 'hard', 'drive'] }]);
  });
  test('known words and plurals of known words, short words, words with digits and unknown splits are left alone', async () => {
    assert.deepEqual(await splitRunTogetherWords(['ipad', 'case', 'games', 'videogames'], df), []);
    // `har` is in one product only: a typo's syllable more likely than a word (`hardisk`).
    assert.deepEqual(await splitRunTogetherWords(['hardisk'], df), []);
    assert.deepEqual(await splitRunTogetherWords(['ipadx', 'case500', 'zzzzzzzz'], df), []);
  });
  test('applySplits rewrites whole words only', () => {
    assert.equal(applySplits('ipadcase blue ipadcases', [{ word: 'ipadcase', parts: ['ipad', 'case'] }]), 'ipad case blue ipadcases');
  });
});

describe('search splits run-together words against the catalog', () => {
  let engine: Engine;
  before(async () => {
    engine = await createEngine({ storePath: ':memory:', images: false });
    await engine.ingest('data/sample-catalog.jsonl');
  });
  after(() => engine?.close());

  test('"iphonecase" finds iPhone cases, as "iphone case" does; splitWords: false does not', async () => {
    const split = await engine.search({ query: 'iphonecase', k: 5 });
    assert.deepEqual(split.analyzed.splits, [{ word: 'iphonecase', parts: ['iphone', 'case'] }]);
    assert.deepEqual(split.analyzed.tokens, ['iphone', 'case']);
    const spaced = await engine.search({ query: 'iphone case', k: 5 });
    assert.deepEqual(split.hits.map((h) => h.product.id), spaced.hits.map((h) => h.product.id));
    for (const h of split.hits) assert.match(h.product.title, /case|壳/i);
    const unsplit = await engine.search({ query: 'iphonecase', k: 5, splitWords: false });
    assert.equal(unsplit.analyzed.splits, undefined);
    assert.deepEqual(unsplit.analyzed.tokens, ['iphonecase']);
  });
});
