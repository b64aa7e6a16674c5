import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { MIN_PAIRS_TO_HOLD_OUT, parseCsvPairs, parseDittoLine, parseJsonlPairs, parseSerializedRecord, readPairs, trainingSplit, type LabeledPair } from '../src/learning/pairs.ts';
import { extractModelCodes, extractQuantities } from '../src/learning/product-codes.ts';

test('Ditto serialised line: attributes, values with quotes, label', () => {
  const line = 'COL title VAL  "Benq ZOWIE RL2455 24" Full HD" COL price VAL 199.00\tCOL title VAL Zowie RL2455 E-Sports 24" Monitor\t1';
  const p = parseDittoLine(line);
  assert.deepEqual(p.left, { title: '"Benq ZOWIE RL2455 24" Full HD"', price: '199.00' });
  assert.deepEqual(p.right, { title: 'Zowie RL2455 E-Sports 24" Monitor' });
  assert.equal(p.label, 1);
  assert.deepEqual(parseSerializedRecord('COL name VAL a b COL brand VAL c'), { name: 'a b', brand: 'c' });
  assert.throws(() => parseDittoLine('no tabs here'), /tab-separated/);
  assert.throws(() => parseDittoLine('COL a VAL x\tCOL a VAL y\t7'), /label must be 0 or 1/);
});

test('CSV pairs by ids into tables, and inline left_/right_ attributes', () => {
  const left = new Map([['1', { title: 'sony a' }]]);
  const right = new Map([['9', { title: 'sony b' }]]);
  const byId = parseCsvPairs('ltable_id,rtable_id,label\n1,9,1\n', { left, right });
  assert.equal(byId[0]!.left.title, 'sony a');
  assert.equal(byId[0]!.rightId, '9');
  assert.equal(byId[0]!.label, 1);
  const inline = parseCsvPairs('left_title,right_title,label\n"x, y",z,0\n');
  assert.deepEqual(inline[0], { left: { title: 'x, y' }, right: { title: 'z' }, label: 0 });
  assert.throws(() => parseCsvPairs('ltable_id,rtable_id,label\n2,9,1\n', { left, right }), /not in the left table/);
});

test('JSONL pairs: {left, right, label} records and WDC-style _left/_right', () => {
  const pairs = parseJsonlPairs('{"left":{"title":"a"},"right":{"title":"b"},"label":1}\n{"title_left":"c","title_right":"d","label":0}\n');
  assert.deepEqual(pairs[0], { left: { title: 'a' }, right: { title: 'b' }, label: 1 });
  assert.equal(pairs[1]!.left.title, 'c');
  assert.equal(pairs[1]!.label, 0);
});

test('model codes and quantities from product text', () => {
  const codes = extractModelCodes('sony cybershot dsc-w120/p 7.2mp digital camera');
  assert.ok(codes.includes('dscw120p'), codes.join(','));
  assert.ok(codes.includes('dscw120'), 'stem before the slash');
  assert.ok(!codes.includes('72mp'), 'a quantity is not a model code');
  const q = extractQuantities('7.2 megapixels, 8gb card, 42" lcd');
  assert.deepEqual(q.map((x) => `${x.value}${x.unit}`), ['7.2mp', '8gb', '42inch']);
});

test('a dimension is not a model code: 210x297mm, 13x18cm', () => {
  assert.deepEqual(extractModelCodes('paper a4 210x297mm 80g'), []);
  assert.deepEqual(extractModelCodes('photo paper 13x18cm'), []);
});

const WDC = '../shared/datasets/entity-matching/wdc-computers-ditto/test.txt';
test('the shared WDC test split parses', { skip: existsSync(WDC) ? false : 'needs ../shared/datasets/entity-matching (not in a fresh clone)' }, () => {
  const pairs = readPairs(WDC);
  assert.ok(pairs.length > 1000);
  const positives = pairs.filter((p) => p.label === 1).length;
  assert.ok(positives > 0 && positives < pairs.length);
  assert.ok(pairs.every((p) => typeof p.left['title'] === 'string'));
});

test('one training split for CLI and server: given valid pairs, a held-out share, or none below 10 pairs', () => {
  const pair = (i: number): LabeledPair => ({ left: { title: `a${i}` }, right: { title: `b${i}` }, label: (i % 2) as 0 | 1, leftId: `a${i}`, rightId: `b${i}` });
  const few = Array.from({ length: MIN_PAIRS_TO_HOLD_OUT - 1 }, (_, i) => pair(i));
  assert.deepEqual(trainingSplit(few, { validShare: 0.2 }).valid, []);
  const many = Array.from({ length: 40 }, (_, i) => pair(i));
  const split = trainingSplit(many, { validShare: 0.25 });
  assert.equal(split.valid.length, 10);
  assert.equal(split.valid.filter((p) => p.label === 1).length, 5, 'each class held out in its share');
  assert.equal(new Set([...split.train, ...split.valid].map((p) => p.leftId)).size, 40, 'no pair lost or repeated');
  const given = [pair(100)];
  assert.deepEqual(trainingSplit(many, { validShare: 0.25, valid: given }), { train: many, valid: given });
});

test('French byte units are sizes, not model codes: 16go, 1to, 64mo', () => {
  assert.deepEqual(extractModelCodes('sandisk ultra 16go microsd'), []);
  assert.deepEqual(extractModelCodes('wd red 1to sata, cache 64mo'), []);
});

test('a memory speed is not a model code: ddr4-3000', () => {
  assert.deepEqual(extractModelCodes('kingston 8gb ddr4-3000 hx430c15fb3/8'), ['hx430c15fb38', 'hx430c15fb3']);
});
