import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalModelNumber,
  canonicalSize,
  characterNgrams,
  detectScript,
  extractQuantities,
  isChinese,
  isStopWord,
  normalizeText,
  parseQuantityToken,
  toBaseUnit,
  toSimplifiedChinese,
} from '../src/text/index.ts';

test('normalizeText: NFKC, case folding, look-alikes, whitespace; idempotent', () => {
  assert.equal(normalizeText('  ＡＰＰＬＥ　ｉＰｈｏｎｅ１５  ５００ｍｌ '), 'apple iphone15 500ml');
  assert.equal(normalizeText('Men’s WH–1000XM5 丅恤'), "men's wh-1000xm5 t恤");
  assert.equal(normalizeText('連衣裙'), '連衣裙');
  assert.equal(normalizeText('連衣裙', { traditionalToSimplified: true }), '连衣裙');
  const once = normalizeText('ＳＯＮＹ 連衣裙 15.6″', { traditionalToSimplified: true });
  assert.equal(normalizeText(once, { traditionalToSimplified: true }), once);
});

test('toSimplifiedChinese converts traditional text and leaves simplified text alone', () => {
  assert.equal(toSimplifiedChinese('藍牙耳機 行動電源 手機殼'), '蓝牙耳机 行动电源 手机壳');
  // tw→cn would turn 打坏 into 打坯 and 沈 into 沉; simplified text is not touched.
  assert.equal(toSimplifiedChinese('打坏 沈阳 毛坏'), '打坏 沈阳 毛坏');
  assert.equal(toSimplifiedChinese('iPhone 15'), 'iPhone 15');
});

test('characterNgrams: normalised, no spaces, by code point', () => {
  assert.deepEqual(characterNgrams('Ｔ恤 女', 2), ['t恤', '恤女']);
  assert.deepEqual(characterNgrams('ab', 3), ['ab']);
  assert.deepEqual(characterNgrams('   ', 2), []);
  assert.deepEqual(characterNgrams('𠀀𠀁a', 2), ['𠀀𠀁', '𠀁a']);
  assert.throws(() => characterNgrams('abc', 0), /positive integer/);
});

test('detectScript and isChinese', () => {
  assert.equal(detectScript('显瘦高腰牛仔裤女 2020新款'), 'zh');
  assert.equal(detectScript('Sony WH-1000XM5 headphones'), 'en');
  assert.equal(detectScript('苹果 iPhone 15 Pro Max'), 'mixed');
  assert.equal(detectScript('2020 - 15.6'), 'none');
  assert.equal(isChinese('iPhone 15 手机'), true);
  assert.equal(isChinese('iPhone 15'), false);
});

test('model numbers, quantities and sizes as standalone helpers', () => {
  assert.equal(canonicalModelNumber('dsc-w120/p'), 'dscw120p');
  assert.equal(canonicalModelNumber('2020'), undefined);
  assert.equal(canonicalModelNumber('16gb'), undefined);
  assert.equal(canonicalModelNumber('3xl'), undefined);
  assert.deepEqual(parseQuantityToken('500毫升'), { value: 500, unit: 'ml', raw: '500毫升' });
  assert.equal(parseQuantityToken('500'), undefined);
  assert.deepEqual(extractQuantities('5000mah 65w').map((q) => q.unit), ['mah', 'w']);
  assert.deepEqual(toBaseUnit({ value: 1.5, unit: 'l' }), { value: 1500, unit: 'ml' });
  assert.deepEqual(toBaseUnit({ value: 2, unit: 'tb' }), { value: 2000, unit: 'gb' });
  assert.deepEqual(toBaseUnit({ value: 15.6, unit: 'inch' }), { value: 396.24, unit: 'mm' });
  assert.equal(canonicalSize('xxl'), '2XL');
  assert.equal(canonicalSize('均码'), 'FREE');
  assert.equal(canonicalSize('xxlarge'), undefined);
  assert.equal(isStopWord('the'), true);
  assert.equal(isStopWord('的'), true);
  assert.equal(isStopWord('pro'), false);
  assert.equal(isStopWord('女'), false);
});
