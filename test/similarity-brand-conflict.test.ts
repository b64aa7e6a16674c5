/**
 * Brand fields naming two makers the alias table does not know are negative evidence (issue 15,
 * item 1): the sample catalog's MERCURY and FUANNA bedding sets. The same maker written another way
 * (case, punctuation, company and shop suffixes, containment, a shared name word, initials, another
 * script) and noisy fields (a shop's or publisher's name while the title names the maker) are not.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { representProduct } from '../src/similarity/representation.ts';
import { brandFieldConflict } from '../src/similarity/brand-conflict.ts';
import { brandSimilarity } from '../src/similarity/field-similarities/brand.ts';
import { pinyinSpellings } from '../src/text/pinyin.ts';
import { compareProducts } from '../src/similarity/fusion.ts';
import { explanationToJSON, formatExplanation } from '../src/similarity/explain.ts';
import type { Product } from '../src/catalog/product.ts';

const analyzer = createTextAnalyzer();
let nextId = 0;
const rep = (title: string, brand: string | undefined) => representProduct({ id: `B${nextId++}`, title, ...(brand !== undefined ? { brand } : {}) } as Product, analyzer);
/** Two products of one neutral title, so only the brand fields differ. */
const conflict = (brandA: string | undefined, brandB: string | undefined, title = 'Cotton Bedding Set 1.5m Grey') => brandFieldConflict(rep(title, brandA), rep(title, brandB));

const sample = new Map(
  readFileSync('data/sample-catalog.jsonl', 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Product)
    .map((p) => [p.id, p] as const),
);

describe('brand fields of brands never seen', () => {
  test('MERCURY and FUANNA bedding sets (sample catalog) are two products, and the explanation says why', () => {
    const mercury = representProduct(sample.get('P0237')!, analyzer);
    const fuanna = representProduct(sample.get('P0243')!, analyzer);
    const r = compareProducts(mercury, fuanna, { profile: 'sameProduct' });
    assert.ok(r.conflicts.includes('brand: mercury ≠ fuanna'), r.conflicts.join('; '));
    assert.equal(r.conflictFactor, 0.5);
    assert.ok(r.score! < 0.5, `score ${r.score}`);
    assert.match(formatExplanation(r), /brand: mercury ≠ fuanna/u);
    assert.ok(explanationToJSON(r).conflicts.includes('brand: mercury ≠ fuanna'));
    // The two FUANNA records stay one product.
    const fuanna2 = representProduct(sample.get('P0300')!, analyzer);
    assert.ok(!compareProducts(fuanna, fuanna2, { profile: 'sameProduct' }).conflicts.some((c) => c.startsWith('brand')));
  });

  test('two unknown brands in one script conflict, Latin or Han', () => {
    assert.deepEqual(conflict('MERCURY', 'FUANNA'), { a: ['mercury'], b: ['fuanna'], known: false });
    assert.deepEqual(conflict('Acme', 'Foobarco'), { a: ['acme'], b: ['foobarco'], known: false });
    assert.ok(conflict('孜在', '皇家名流', '金丝绒打底连衣裙'));
    // One known, one never seen: the known brand's forms are compared.
    assert.ok(conflict('Sony', 'Foobarco', 'Wireless Headphones'));
    // Both known keeps the alias table's verdict.
    assert.deepEqual(conflict('Sony', 'Bose', 'Wireless Headphones'), { a: ['sony'], b: ['bose'], known: true });
  });

  test('the same brand written differently does not conflict', () => {
    const same: [string, string][] = [
      ['FUANNA', 'fuanna'],
      ['Fu-Anna', 'FU ANNA'],
      ['Acme Inc.', 'ACME Corporation'],
      ['Acme Co., Ltd.', 'acme'],
      ['富安娜家纺有限公司', '富安娜'],
      ['富安娜官方旗舰店', '富安娜'],
      ['Sony', 'Sony Electronics'],
      ['Zyxel', 'Zyxel Communications'],
      ['Foobarco', 'Foobarco Home Textiles'],
      ['Apple Computer', 'Apple Software'],
      ['sony-pictures-home-entertainment', 'sony-pictures-digital-entertainment'],
      ['Quantum Leap Gear', 'QLG'],
      ['Redmi', '小米'],
      ['哥弟阿玛施正', '新颖哥弟特'],
      ['涛临（服饰）', '涛临'],
      ['FUANNA/富安娜', '富安娜'],
    ];
    for (const [a, b] of same) assert.equal(conflict(a, b), undefined, `${a} / ${b}`);
  });

  test('a Chinese brand and a Latin one say nothing: pinyin (富安娜 / FUANNA) or translation (水星 / MERCURY)', () => {
    assert.equal(conflict('富安娜', 'FUANNA'), undefined);
    assert.equal(conflict('水星', 'MERCURY'), undefined);
    assert.equal(conflict('七匹狼', 'SEPTWOLVES'), undefined);
  });

  test('a noisy field does not conflict: the brand named in the other title, a URL, digits, a placeholder', () => {
    // Amazon-Google: the publisher in one field, the maker in the other; the title names it.
    assert.equal(brandFieldConflict(rep('emc retrospect 7.5 professional for windows upgrade', 'dantz'), rep('retrospect 7.5 prof win upg only', 'emc')), undefined);
    assert.equal(brandFieldConflict(rep('SRAM NX Eagle PG-1230 Cassette', 'QBP'), rep('SRAM Cassette NX Eagle PG-1230 12 speed', 'SRAM')), undefined);
    assert.equal(brandFieldConflict(rep('足力健防滑软底妈妈鞋', '老人美'), rep('防滑软底妈妈鞋', '张凯丽足力健')), undefined);
    assert.equal(conflict('https://www.example.com/img/x.jpg', 'Crucial'), undefined);
    assert.equal(conflict('150', 'AMD'), undefined);
    assert.equal(conflict('其他', 'Acme'), undefined);
    assert.equal(conflict(undefined, 'Acme'), undefined);
  });
});

describe('Chinese brands and their pinyin', () => {
  test('pinyin spellings of Han text, every reading of a character with several', () => {
    assert.deepEqual(pinyinSpellings('富安娜').slice(0, 1), ['fuanna']);
    assert.ok(pinyinSpellings('银行').includes('yinhang') && pinyinSpellings('银行').includes('yinxing'));
    assert.deepEqual(pinyinSpellings('abc'), []);
  });

  test('a Chinese brand and its pinyin name are one brand (富安娜 / FUANNA, 罗莱家纺 / LUOLAI); a translation is not read', () => {
    const fuanna = brandSimilarity('富安娜', 'FUANNA');
    assert.deepEqual(fuanna && { score: fuanna.score, kind: fuanna.evidence.kind }, { score: 1, kind: 'pinyin' });
    assert.equal(brandSimilarity('LUOLAI', '罗莱家纺')?.evidence.kind, 'pinyin');
    assert.equal(brandSimilarity('Bosideng', '波司登官方旗舰店')?.score, 1);
    // 水星 is Mercury in translation, not in pinyin: brand similarity cannot tell, and no conflict is claimed.
    assert.equal(brandSimilarity('水星', 'MERCURY')?.evidence.kind, 'different');
    assert.equal(conflict('水星', 'MERCURY'), undefined);
    // Another maker's pinyin is no match.
    assert.equal(brandSimilarity('富安娜', 'LUOLAI')?.evidence.kind, 'different');
  });
});
