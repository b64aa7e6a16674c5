import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineSimilarity, type DenseEncoder, type WordVectors } from '../src/encoders/encoder.ts';
import { createSifEncoder } from '../src/encoders/glove/sif.ts';
import { createCatalogAwareEncoder } from '../src/encoders/catalog-vectors/catalog-aware-encoder.ts';
import { catalogVectorsFromJSON, jacobiEigen, randomizedSvd, trainCatalogVectors, type CsrMatrix } from '../src/encoders/catalog-vectors/catalog-vectors.ts';
import { createCatalogSifEncoder, createCombinedEncoder } from '../src/encoders/catalog-vectors/combined-encoder.ts';

/** Deterministic PRNG for the synthetic corpus. */
function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/**
 * Two topics that share no context words: dress words (连衣裙 and 裙子 appear in the same kind of
 * titles but never together) and phone words (华为, 手机, 5g…).
 */
function syntheticCorpus(): string[][] {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const dressCtx = ['红色', '雪纺', '碎花', '夏季', '女装', '收腰', '显瘦', '长款'];
  const phoneCtx = ['5g', '256gb', '全网通', '双卡', '官方', '旗舰', '拍照', '充电'];
  const docs: string[][] = [];
  for (let i = 0; i < 300; i++) {
    const dressWord = i % 2 === 0 ? '连衣裙' : '裙子';
    docs.push([pick(dressCtx), pick(dressCtx), dressWord, pick(dressCtx), pick(dressCtx)]);
    const phoneWord = i % 2 === 0 ? '华为' : '小米';
    docs.push([pick(phoneCtx), phoneWord, '手机', pick(phoneCtx), pick(phoneCtx)]);
  }
  return docs;
}

test('catalog vectors put words with shared contexts close and other topics far', () => {
  const cv = trainCatalogVectors(syntheticCorpus(), { dimension: 8 });
  const v = (w: string) => cv.vector(w)!;
  const sameTopic = cosineSimilarity(v('连衣裙'), v('裙子'));
  const otherTopic = cosineSimilarity(v('连衣裙'), v('手机'));
  assert.ok(sameTopic > 0.5, `连衣裙~裙子 ${sameTopic}`);
  assert.ok(sameTopic > otherTopic + 0.4, `${sameTopic} vs ${otherTopic}`);
  assert.ok(cosineSimilarity(v('华为'), v('小米')) > cosineSimilarity(v('华为'), v('雪纺')));
  const near = cv.nearestWords(v('华为'), 5, { exclude: ['华为'] }).map((n) => n.word);
  assert.ok(near.includes('小米') || near.includes('手机'), near.join(' '));
});

test('catalog vectors serialise and keep their id; probability is the catalog frequency', () => {
  const cv = trainCatalogVectors(syntheticCorpus(), { dimension: 8 });
  const back = catalogVectorsFromJSON(JSON.parse(JSON.stringify(cv.toJSON())));
  assert.equal(back.id, cv.id);
  assert.deepEqual(Array.from(back.vector('裙子')!), Array.from(cv.vector('裙子')!));
  assert.equal(cv.probability('手机'), 300 / 3000);
  assert.equal(cv.vector('not-in-corpus'), undefined);
  const other = trainCatalogVectors(syntheticCorpus(), { dimension: 6 });
  assert.notEqual(other.id, cv.id);
});

test('training from raw texts uses the analyser', () => {
  const texts = syntheticCorpus().map((d) => d.join(' '));
  const cv = trainCatalogVectors(texts, { dimension: 8 });
  assert.ok(cv.vector('连衣裙'));
  assert.ok(cosineSimilarity(cv.vector('连衣裙')!, cv.vector('裙子')!) > cosineSimilarity(cv.vector('连衣裙')!, cv.vector('手机')!));
});

test('a too-small corpus is rejected with a clear error', () => {
  assert.throws(() => trainCatalogVectors([['a', 'b']]), /need a larger corpus/);
});

test('randomized SVD recovers the singular values of a known low-rank matrix', () => {
  // A = Σ_k s_k u_k v_kᵀ with orthogonal sparse u, v (disjoint supports) → singular values s.
  const n = 60;
  const s = [9, 5, 2];
  const dense = new Float64Array(n * n);
  for (let k = 0; k < 3; k++) {
    const rows = [k * 20, k * 20 + 1, k * 20 + 2, k * 20 + 3];
    const cols = [k * 20 + 5, k * 20 + 6];
    for (const r of rows) for (const c of cols) dense[r * n + c] = s[k]! / Math.sqrt(rows.length * cols.length);
  }
  const rowPtr = new Uint32Array(n + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (dense[r * n + c] !== 0) { colIdx.push(c); values.push(dense[r * n + c]!); }
    rowPtr[r + 1] = colIdx.length;
  }
  const A: CsrMatrix = { rows: n, cols: n, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) };
  const { U, S } = randomizedSvd(A, 3, 5, 2, 1);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(S[k]! - s[k]!) < 1e-3, `σ${k} = ${S[k]} (expected ${s[k]})`);
  // First left singular vector lives on rows 0..3 with equal weights 1/2.
  for (let r = 0; r < 4; r++) assert.ok(Math.abs(Math.abs(U[r * 3]!) - 0.5) < 1e-3);
});

test('Jacobi eigen-decomposition of a symmetric matrix', () => {
  const m = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
  const { values, vectors } = jacobiEigen(m, 3);
  // A v = λ v for each column
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) {
      let av = 0;
      for (let k = 0; k < 3; k++) av += m[r * 3 + k]! * vectors[k * 3 + c]!;
      assert.ok(Math.abs(av - values[c]! * vectors[r * 3 + c]!) < 1e-9);
    }
  }
  const sum = values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 9) < 1e-9);
});

test('catalog SIF encoder: titles of one topic are closer than across topics', async () => {
  const docs = syntheticCorpus();
  const cv = trainCatalogVectors(docs, { dimension: 8 });
  const enc = createCatalogSifEncoder(cv);
  const [a, b, c] = await enc.encode(['红色 连衣裙 雪纺', '碎花 裙子 收腰', '华为 手机 5g']);
  assert.ok(cosineSimilarity(a!, b!) > cosineSimilarity(a!, c!) + 0.3);
});

function fixedEncoder(id: string, table: Record<string, number[]>): DenseEncoder<string> {
  const dimension = Object.values(table)[0]!.length;
  return {
    kind: 'dense', id, dimension, modality: 'text', normalized: true,
    encode: async (batch) => batch.map((t) => Float32Array.from(table[t] ?? new Array(dimension).fill(0))),
  };
}

test('combined encoder: cosine is the weighted mean of the parts’ cosines', async () => {
  const p = fixedEncoder('p', { x: [1, 0], y: [0, 1], z: [0, 0] });
  const q = fixedEncoder('q', { x: [1, 0, 0], y: [1, 0, 0], z: [0, 3, 0] });
  const enc = createCombinedEncoder([
    { name: 'pretrained', encoder: p, weight: 1 },
    { name: 'catalog', encoder: q, weight: 3 },
  ]);
  assert.equal(enc.dimension, 5);
  assert.deepEqual(enc.weights, [0.25, 0.75]);
  const [x, y, z] = await enc.encode(['x', 'y', 'z']);
  // cos_p(x,y) = 0, cos_q(x,y) = 1 → 0.25·0 + 0.75·1
  assert.ok(Math.abs(cosineSimilarity(x!, y!) - 0.75) < 1e-6);
  // z has no pretrained part: its vector is the catalog part alone, unit length.
  let norm = 0;
  for (const v of z!) norm += v * v;
  assert.ok(Math.abs(norm - 1) < 1e-6);
  const other = createCombinedEncoder([
    { name: 'pretrained', encoder: p, weight: 1 },
    { name: 'catalog', encoder: q, weight: 1 },
  ]);
  assert.notEqual(other.id, enc.id);
  assert.throws(() => createCombinedEncoder([{ name: 'p', encoder: p, weight: -1 }]), /must be ≥ 0/);
});

/** A toy pretrained space: each word gets a random direction seeded by its characters. */
function toyWordVectors(): WordVectors {
  return {
    id: 'toy-words',
    dimension: 16,
    vector(word) {
      let seed = 17;
      for (const ch of word) seed = (seed * 31 + ch.codePointAt(0)!) % 2147483647;
      const r = rng(seed);
      return Float32Array.from({ length: 16 }, () => r() - 0.5);
    },
    probability: () => 1e-5,
  };
}

test('catalog-aware encoder: fit trains the catalog part; state round-trips; tiny catalogs leave it off', async () => {
  const texts = syntheticCorpus().map((d) => d.join(' '));
  const enc = createCatalogAwareEncoder(createSifEncoder(toyWordVectors()), { catalog: { dimension: 8 }, minCatalogVocabulary: 10 });
  assert.equal(enc.dimension, 16 + 8);
  const idBefore = enc.id;
  enc.fit(texts);
  assert.ok(enc.catalogVectors, 'catalog part is on');
  assert.notEqual(enc.id, idBefore);
  const probe = ['红色 连衣裙 雪纺', '碎花 裙子 收腰', '华为 手机 5g'];
  const [a, b, c] = await enc.encode(probe);
  assert.equal(a!.length, 24);
  // The toy pretrained space knows nothing (random directions); the catalog part brings the topics.
  assert.ok(cosineSimilarity(a!, b!) > cosineSimilarity(a!, c!), `${cosineSimilarity(a!, b!)} vs ${cosineSimilarity(a!, c!)}`);

  const restored = createCatalogAwareEncoder(createSifEncoder(toyWordVectors()), { catalog: { dimension: 8 }, minCatalogVocabulary: 10 });
  restored.load(JSON.parse(JSON.stringify(enc.toJSON())));
  assert.equal(restored.id, enc.id);
  const [a2] = await restored.encode([probe[0]!]);
  assert.ok(cosineSimilarity(a!, a2!) > 0.999);

  const tiny = createCatalogAwareEncoder(createSifEncoder(toyWordVectors()), { catalog: { dimension: 8 }, minCatalogVocabulary: 10 });
  tiny.fit(['红色 连衣裙', '华为 手机']);
  assert.equal(tiny.catalogVectors, undefined);
  const [t] = await tiny.encode(['红色 连衣裙']);
  assert.ok(t!.subarray(16).every((x) => x === 0), 'catalog part is zero');
});
