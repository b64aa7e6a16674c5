import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitPairFeatures } from '../src/learning/pair-features.ts';
import { loadMatcherModel, matcherFromModel, MATCHER_MODEL_VERSION, trainMatcher } from '../src/learning/matcher.ts';
import type { LabeledPair, PairRecord } from '../src/learning/pairs.ts';
import { isProdsimError } from '../src/errors.ts';

/** A catalog where `usb20` is on every record and `dt50g3` on two only. */
function catalog(): PairRecord[] {
  const records: PairRecord[] = [];
  for (let i = 0; i < 40; i++) records.push({ title: `kingston flash drive usb20 model k${100 + i}x stick ${i}` });
  records.push({ title: 'kingston datatraveler dt50g3 usb20 flash drive' }, { title: 'kingston dt50g3 datatraveler 32gb' });
  return records;
}

function feature(records: PairRecord[], left: PairRecord, right: PairRecord, name: string): number {
  const ex = fitPairFeatures(records);
  const j = ex.names.indexOf(name);
  assert.ok(j >= 0, `no feature ${name} in ${ex.names.join(', ')}`);
  return ex.featurize({ left, right })[j]!;
}

test('a shared rare code weighs more than a shared common one', () => {
  const records = catalog();
  const rare = feature(records, records[40]!, records[41]!, 'modelNumber.shared_rarest_idf');
  const common = feature(records, records[0]!, { title: 'sandisk cruzer usb20 stick' }, 'modelNumber.shared_rarest_idf');
  assert.ok(rare > common + 1, `rare ${rare}, common ${common}`);
  // a title code the other record lacks anywhere counts by its rarity too
  const unmatched = feature(records, records[40]!, { title: 'kingston datatraveler flash drive usb20' }, 'modelNumber.unmatched_rarest_idf');
  assert.ok(unmatched > 2, `unmatched ${unmatched}`);
  // record 41 lacks the common usb20 only: that counts little
  assert.ok(feature(records, records[40]!, records[41]!, 'modelNumber.unmatched_rarest_idf') < 1.5);
});

test('codes on both sides the other lacks: b550-e vs b550-f is a near miss; a part number on one side only is not', () => {
  const records = catalog();
  const e = { title: 'asus rog strix b550-e gaming motherboard am4' };
  const f = { title: 'asus rog strix b550-f gaming motherboard am4' };
  const partNumber = { title: 'asus rog strix b550-e gaming motherboard am4 90mb14s0' };
  assert.ok(feature(records, e, f, 'modelNumber.unmatched_both_rarest_idf') > 2);
  assert.ok(feature(records, e, f, 'modelNumber.unmatched_near_miss') >= 0.75);
  assert.equal(feature(records, e, partNumber, 'modelNumber.unmatched_both_rarest_idf'), 0);
  assert.equal(feature(records, e, partNumber, 'modelNumber.unmatched_near_miss'), 0);
  // the existing one-sided feature cannot tell these apart: both pairs have an unmatched rare code
  assert.ok(feature(records, e, partNumber, 'modelNumber.unmatched_rarest_idf') > 2);
});

test('a x b sizes: 29 x 2.3 vs 29 x 2.4 conflict though 29 is shared; 27.5x2.30 vs 27.5 x 2.3 agree', () => {
  const records = catalog();
  const name = 'numeric.title_dimension_conflict';
  assert.equal(feature(records, { title: 'maxxis minion dhr ii tire 29 x 2.3' }, { title: 'maxxis minion dhr ii 29 x 2.4 folding' }, name), 1);
  assert.equal(feature(records, { title: "maxxis high roller ii 27.5''x2.30" }, { title: 'maxxis high roller ii tyre 27.5 x 2.3' }, name), 0);
  assert.equal(feature(records, { title: 'hyperx fury 8gb (2x4gb) kit' }, { title: 'hyperx fury 8gb (1x8gb)' }, name), 1);
  // a size on one side only is no conflict
  assert.equal(feature(records, { title: 'maxxis minion dhr ii tire 29 x 2.3' }, { title: 'maxxis minion dhr ii tire' }, name), 0);
});

test('digit words: 16gb vs 64gb is missing on both sides; 16gb vs "16 gb" is not', () => {
  const records = catalog();
  assert.equal(feature(records, { title: 'sandisk cruzer glide 16gb' }, { title: 'sandisk cruzer glide 64gb' }, 'numeric.title_digit_words_missing'), 2);
  assert.equal(feature(records, { title: 'sandisk cruzer glide 16gb' }, { title: 'sandisk cruzer glide 16 gb' }, 'numeric.title_digit_words_missing'), 0);
});

test('missing words are weighted by IDF: a rare word missing weighs more than a common one', () => {
  const records = catalog();
  const rareMissing = feature(records, { title: 'kingston flash drive datatraveler' }, { title: 'kingston flash drive' }, 'lexical.title.missing_in_other_idf_max');
  const commonMissing = feature(records, { title: 'kingston flash drive stick' }, { title: 'kingston flash drive' }, 'lexical.title.missing_in_other_idf_max');
  assert.ok(rareMissing > commonMissing, `rare ${rareMissing}, common ${commonMissing}`);
  const share = feature(records, { title: 'kingston flash drive' }, { title: 'kingston flash drive datatraveler' }, 'lexical.title.missing_in_other_idf_share_max');
  assert.ok(share > 0 && share < 1, `share ${share}`);
});

test('distinction counts: a phone and a laptop of one brand differ in product type; one product twice does not', () => {
  const records: PairRecord[] = [
    { title: 'Huawei Mate 60 Pro smartphone 12GB 512GB', brand: 'Huawei' },
    { title: 'Huawei MateBook X Pro laptop 16GB 1TB', brand: 'Huawei' },
    { title: 'Huawei Mate 60 Pro smartphone 512GB', brand: 'Huawei' },
  ];
  assert.equal(feature(records, records[0]!, records[1]!, 'distinction.type'), 1);
  assert.equal(feature(records, records[0]!, records[2]!, 'distinction.type'), 0);
  const lines: PairRecord[] = [{ title: 'Apple iPhone 15 128GB' }, { title: 'Apple iPhone 15 Pro 128GB' }];
  assert.ok(feature(lines, lines[0]!, lines[1]!, 'distinction.series_or_line') >= 1);
});

test(`matcher models of another version are refused, naming the file and what to do (version ${MATCHER_MODEL_VERSION})`, () => {
  const pairs: LabeledPair[] = [];
  for (let i = 0; i < 24; i++) {
    pairs.push({ left: { title: `acme widget w${i}00` }, right: { title: `acme widget w${i}00 blue` }, label: 1 });
    pairs.push({ left: { title: `acme widget w${i}00` }, right: { title: `acme widget w${i + 1}50` }, label: 0 });
  }
  const matcher = trainMatcher(pairs.slice(0, 36), pairs.slice(36), { gbdt: { trees: 10 }, gbdtSeeds: 1 });
  assert.equal(matcher.model.version, MATCHER_MODEL_VERSION);
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-model-version-'));
  try {
    const file = join(dir, 'old-matcher.json');
    writeFileSync(file, JSON.stringify({ ...matcher.model, version: 1 }));
    assert.throws(
      () => loadMatcherModel(file),
      (e: unknown) => isProdsimError(e) && e.code === 'UNSUPPORTED_FORMAT' && e.message.includes(file) && /train it again/.test(e.message) && /version 1/.test(e.message),
    );
    assert.throws(() => matcherFromModel({ ...matcher.model, version: 1 }), /train it again/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setDenseLookup replaces dense features of records already featurized (same objects)', () => {
  const records = catalog();
  const ex = fitPairFeatures(records);
  const cos = ex.names.indexOf('dense.cosine');
  const missing = ex.names.indexOf('dense.missing');
  assert.ok(cos >= 0 && missing >= 0);
  const pair = { left: records[40]!, right: records[41]! };
  // no lookup yet: both records lack a vector
  assert.equal(ex.featurize(pair)[missing], 1);
  const vectors = new Map<PairRecord, Float32Array>([
    [records[40]!, Float32Array.of(1, 0)],
    [records[41]!, Float32Array.of(0.6, 0.8)],
  ]);
  ex.setDenseLookup((r) => vectors.get(r));
  const after = ex.featurize(pair);
  assert.equal(after[missing], 0);
  assert.ok(Math.abs(after[cos]! - 0.6) < 1e-6, `cosine ${after[cos]}`);
  // a new lookup replaces the old one for the same objects too
  ex.setDenseLookup((r) => (r === records[40] ? Float32Array.of(0, 1) : vectors.get(r)));
  assert.ok(Math.abs(ex.featurize(pair)[cos]! - 0.8) < 1e-6);
  ex.setDenseLookup(undefined);
  assert.equal(ex.featurize(pair)[missing], 1);
});

test('a code glued to its neighbours by commas is the same code: CHAIN,CN-HG601-11,QL vs chain CN-HG601-11', () => {
  const records = catalog();
  const glued = { title: 'shimano CHAIN,CN-HG601-11,QL 116l' };
  const spaced = { title: 'shimano 105 chain CN-HG601-11 116 links' };
  assert.equal(feature(records, glued, spaced, 'modelNumber.title_exact'), 1);
  assert.equal(feature(records, glued, spaced, 'modelNumber.unmatched_rarest_idf'), 0);
});

test('memory speeds: DDR4-3000 vs DDR4 3200MHz conflict, DDR4-3000 vs DDR4 3000MHz agree', () => {
  const records = catalog();
  const name = 'numeric.title_quantity_conflict';
  assert.equal(feature(records, { title: 'corsair vengeance 8gb ddr4-3000' }, { title: 'corsair vengeance 8gb ddr4 3200mhz' }, name), 1);
  assert.equal(feature(records, { title: 'corsair vengeance 8gb ddr4-3000' }, { title: 'corsair vengeance 8gb ddr4 3000mhz' }, name), 0);
  assert.equal(feature(records, { title: 'corsair vengeance 8gb ddr4-3000' }, { title: 'corsair vengeance 8gb ddr4 3000mhz' }, 'numeric.title_quantity_agree'), 4);
});
