import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLexicalEncoder, lexicalEncoderFromJSON, sparseCosine } from '../src/encoders/lexical/lexical-encoder.ts';

const corpus = [
  'Sony DSC-W120/P 7.2MP Digital Camera Pink',
  'Sony Cyber-shot DSCW120 digital camera, pink',
  'Bose Acoustimass 5 Series III Speaker System AM53BK',
  'Canon PowerShot SD1100 IS 8MP Digital Camera',
  '2020新款夏季红色连衣裙女装雪纺碎花裙',
  '夏季新款红色雪纺连衣裙 碎花 女',
  '华为 Mate 40 Pro 5G 手机 8GB+256GB',
  '男士休闲帆布鞋 透气 防臭',
  'Apple iPhone 12 64GB Black',
];

test('near-duplicate titles are more similar than unrelated ones (English, model numbers)', async () => {
  const enc = fitLexicalEncoder(corpus);
  const [a, b, c] = await enc.encode([corpus[0]!, corpus[1]!, corpus[2]!]);
  const dup = sparseCosine(a!, b!);
  const unrelated = sparseCosine(a!, c!);
  assert.ok(dup > 0.3, `near-duplicate cosine ${dup}`);
  assert.ok(dup > unrelated + 0.2, `dup ${dup} vs unrelated ${unrelated}`);
});

test('Chinese near-duplicates share words and character n-grams', async () => {
  const enc = fitLexicalEncoder(corpus);
  const [a, b, c] = await enc.encode([corpus[4]!, corpus[5]!, corpus[7]!]);
  assert.ok(sparseCosine(a!, b!) > sparseCosine(a!, c!) + 0.2);
  const feats = [...enc.features('红色连衣裙').keys()];
  assert.ok(feats.includes('z:连衣裙') && feats.includes('z:衣裙'), feats.join(' '));
});

test('model numbers match across separators through Latin 3-grams', () => {
  const enc = fitLexicalEncoder(corpus);
  const f1 = [...enc.features('DSC-W120/P').keys()].filter((f) => f.startsWith('l:'));
  const f2 = [...enc.features('dscw120p').keys()].filter((f) => f.startsWith('l:'));
  assert.deepEqual(f1.sort(), f2.sort());
  assert.ok(f1.includes('l:w12'));
});

test('vectors are L2-normalised with sorted indices; unknown text gives an empty vector', async () => {
  const enc = fitLexicalEncoder(corpus);
  const [v, empty] = await enc.encode([corpus[3]!, 'zzzqqq']);
  let s = 0;
  for (const x of v!.values) s += x * x;
  assert.ok(Math.abs(s - 1) < 1e-5);
  for (let i = 1; i < v!.indices.length; i++) assert.ok(v!.indices[i]! > v!.indices[i - 1]!);
  assert.equal(empty!.indices.length, 0);
  assert.equal(sparseCosine(v!, empty!), 0);
});

test('rare features get higher idf than common ones', async () => {
  const enc = fitLexicalEncoder(corpus);
  const [v] = await enc.encode(['digital camera sony']);
  const weight = (name: string) => {
    for (let i = 0; i < v!.indices.length; i++) if (enc.featureName(v!.indices[i]!) === name) return v!.values[i]!;
    return 0;
  };
  // "sony" is in 2 documents, "camera" in 3
  assert.ok(weight('w:sony') > weight('w:camera'), `${weight('w:sony')} vs ${weight('w:camera')}`);
});

test('toJSON/fromJSON round-trips the model (same id, same vectors)', async () => {
  const enc = fitLexicalEncoder(corpus, { minDocumentFrequency: 1 });
  const restored = lexicalEncoderFromJSON(JSON.parse(JSON.stringify(enc.toJSON())));
  assert.equal(restored.id, enc.id);
  const [a] = await enc.encode([corpus[6]!]);
  const [b] = await restored.encode([corpus[6]!]);
  assert.deepEqual(Array.from(a!.indices), Array.from(b!.indices));
  assert.deepEqual(Array.from(a!.values), Array.from(b!.values));
});

test('the id changes when the fitted state changes', () => {
  const a = fitLexicalEncoder(corpus);
  const b = fitLexicalEncoder(corpus.slice(0, 5));
  const c = fitLexicalEncoder(corpus, { chineseNgramWeight: 0.8 });
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.id, c.id);
});

test('unknown options are rejected', () => {
  assert.throws(() => fitLexicalEncoder(corpus, { ngramWeight: 1 } as never), /unknown option/);
});
