import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { createTextAnalyzer, normalizeText } from '../src/text/index.ts';

/** Real titles from the public benchmarks in ../shared/datasets (absent in a fresh clone). */
const DATASETS = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
const ABT_BUY = `${DATASETS}entity-matching/abt-buy/`;
const TAOBAO_TEST = `${DATASETS}zh-product-matching/test.jsonl`;
const analyzer = createTextAnalyzer();

test('≥90% of Abt-Buy titles with a hyphenated code yield a model number', { skip: existsSync(`${ABT_BUY}tableA.csv`) ? false : 'needs ../shared/datasets/entity-matching/abt-buy (not in a fresh clone)' }, () => {
  // A whitespace-separated word with a hyphen, letters or digits on both sides, and a digit.
  const HYPHEN_CODE = /(?:^|\s)(?=[a-z0-9-]*\d)[a-z0-9]+-[a-z0-9-]+(?=\s|$)/i;
  let withCode = 0;
  let found = 0;
  for (const file of ['tableA.csv', 'tableB.csv']) {
    const rows = parse<{ name: string }>(readFileSync(`${ABT_BUY}${file}`), { columns: true });
    for (const { name } of rows) {
      if (!HYPHEN_CODE.test(name)) continue;
      withCode++;
      if (analyzer.analyze(name).modelNumbers.length > 0) found++;
    }
  }
  assert.ok(withCode > 400, `expected several hundred titles with codes, got ${withCode}`);
  assert.ok(found / withCode >= 0.9, `${found}/${withCode} titles with a hyphenated code gave a model number`);
});

test('Taobao titles: the brand named in the attributes comes out as one token (≥90%)', { skip: existsSync(TAOBAO_TEST) ? false : 'needs ../shared/datasets/zh-product-matching (not in a fresh clone)' }, () => {
  let checked = 0;
  let whole = 0;
  for (const line of readFileSync(TAOBAO_TEST, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const pair = JSON.parse(line) as Record<string, string>;
    for (const side of ['left', 'right']) {
      const title = pair[`title_${side}`] ?? '';
      const brandField = /品牌#:#([^#]+)/.exec(pair[`pv_pairs_${side}`] ?? '')?.[1] ?? '';
      for (const part of brandField.split(/[/（）()]/)) {
        const brand = normalizeText(part.trim(), { traditionalToSimplified: true });
        if (!/^\p{Script=Han}{2,4}$/u.test(brand) || brand === '其他' || brand === '自主品牌') continue;
        if (!normalizeText(title, { traditionalToSimplified: true }).includes(brand)) continue;
        checked++;
        if (analyzer.tokenize(title).includes(brand)) whole++;
      }
    }
  }
  assert.ok(checked > 200, `expected hundreds of titles naming their brand, got ${checked}`);
  assert.ok(whole / checked >= 0.9, `${whole}/${checked} brands kept whole`);
});

test('Taobao titles: every title yields tokens and few stray single characters', { skip: existsSync(TAOBAO_TEST) ? false : 'needs ../shared/datasets/zh-product-matching (not in a fresh clone)' }, () => {
  let tokens = 0;
  let singleHan = 0;
  for (const line of readFileSync(TAOBAO_TEST, 'utf8').split('\n').slice(0, 500)) {
    if (line.length === 0) continue;
    const pair = JSON.parse(line) as Record<string, string>;
    for (const title of [pair['title_left'] ?? '', pair['title_right'] ?? '']) {
      const t = analyzer.tokenize(title);
      assert.ok(t.length > 0, `no tokens for ${title}`);
      tokens += t.length;
      // 男/女/大/小 and friends are real one-character words; the share of such tokens stays low.
      singleHan += t.filter((w) => /^\p{Script=Han}$/u.test(w)).length;
    }
  }
  assert.ok(singleHan / tokens < 0.15, `${singleHan}/${tokens} tokens are single Han characters`);
});
