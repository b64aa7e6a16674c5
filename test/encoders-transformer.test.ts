/**
 * Transformer encoders against tiny random-weight BERT-shaped ONNX models that this test generates
 * (test/fixtures/onnx), loaded fully offline from a temp folder.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransformerEncoder, createCrossEncoder, logitsToScore, poolRow } from '../src/encoders/transformer/index.ts';
import { isProdsimError } from '../src/errors.ts';
import { writeTinyBertModel } from './fixtures/onnx/tiny-bert.ts';

const root = mkdtempSync(join(tmpdir(), 'prodsim-tiny-bert-'));
after(() => rmSync(root, { recursive: true, force: true }));

let transformersInstalled = true;
try {
  await import('@huggingface/transformers');
} catch {
  transformersInstalled = false;
}
const needsTjs = transformersInstalled ? false : 'needs the optional @huggingface/transformers package';

const featDir = join(root, 'tiny-feature');
const featInfo = writeTinyBertModel(featDir, { hiddenSize: 32, seed: 7, writeQuantizedAlias: true });
const clsDir = join(root, 'tiny-cls');
writeTinyBertModel(clsDir, { task: 'classification', hiddenSize: 16, seed: 11 });

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));

async function expectCode(p: Promise<unknown> | (() => unknown), code: string) {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(isProdsimError(e), `expected a ProdsimError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('generated fixture models are tiny and in the transformers.js layout', () => {
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'onnx/model.onnx']) {
    assert.ok(existsSync(join(featDir, f)), f);
  }
  assert.ok(statSync(join(featDir, 'onnx/model.onnx')).size < 1_000_000);
  assert.ok(featInfo.vocabSize > 100);
});

test('sentence encoder: dimension from config, normalised, deterministic, distinct', { skip: needsTjs }, async () => {
  const enc = createTransformerEncoder({ model: featDir, pooling: 'mean', normalize: true, batchSize: 2, maxLength: 32, threads: 1 });
  assert.equal(enc.dimension, 32);
  assert.equal(enc.kind, 'dense');
  assert.equal(enc.modality, 'text');
  assert.equal(enc.normalized, true);
  assert.match(enc.id, /^transformer:tiny-feature:fp32:mean:norm:L32:[0-9a-f]{12}$/);
  const texts = ['red cotton shirt', '红色连衣裙 女款', 'blue leather shoes for men', 'red cotton shirt', 'iPhone 15 Pro Max 手机壳'];
  const vecs = await enc.encode(texts);
  assert.equal(vecs.length, texts.length);
  for (const v of vecs) {
    assert.equal(v.length, 32);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
    assert.ok(v.every(Number.isFinite));
  }
  // identical texts → identical vectors (also across batches: texts 0 and 3 are in different batches of 2)
  assert.deepEqual([...vecs[0]!], [...vecs[3]!]);
  // different texts → different vectors
  for (const [i, j] of [[0, 1], [0, 2], [1, 2], [2, 4]] as const) {
    assert.ok(dot(vecs[i]!, vecs[j]!) < 0.9999, `texts ${i} and ${j} collapsed`);
  }
  // deterministic across calls, and padding in a batch does not change a text's vector
  const again = await enc.encode(['red cotton shirt']);
  for (let d = 0; d < 32; d++) assert.ok(Math.abs(again[0]![d]! - vecs[0]![d]!) < 1e-5);
  await enc.dispose();
  const afterDispose = await enc.encode(['red cotton shirt']);
  for (let d = 0; d < 32; d++) assert.ok(Math.abs(afterDispose[0]![d]! - vecs[0]![d]!) < 1e-5);
  assert.deepEqual(await enc.encode([]), []);
  await enc.dispose();
});

test('sentence encoder: cls pooling, unnormalised output, prefix, maxLength truncation', { skip: needsTjs }, async () => {
  const cls = createTransformerEncoder({ model: featDir, pooling: 'cls', normalize: false, maxLength: 1000 });
  assert.equal(cls.maxLength, 64, 'capped by max_position_embeddings');
  assert.equal(cls.normalized, false);
  const [a, b] = await cls.encode(['red shirt', 'blue dress']);
  assert.ok(Math.abs(norm(a!) - 1) > 1e-3, 'not normalised');
  assert.ok(dot(a!, b!) / (norm(a!) * norm(b!)) < 0.9999, 'CLS depends on the text');

  const mean = createTransformerEncoder({ model: featDir });
  const prefixed = createTransformerEncoder({ model: featDir, prefix: 'new ' });
  assert.notEqual(mean.id, prefixed.id);
  const [p] = await prefixed.encode(['red shirt']);
  const [q] = await mean.encode(['new red shirt']);
  for (let d = 0; d < 32; d++) assert.ok(Math.abs(p![d]! - q![d]!) < 1e-5);

  // with maxLength 4 ([CLS] + 2 tokens + [SEP]), texts that differ only after token 2 coincide
  const short = createTransformerEncoder({ model: featDir, maxLength: 4 });
  const [s1, s2] = await short.encode(['red shirt cotton', 'red shirt leather']);
  assert.deepEqual([...s1!], [...s2!]);
  const [l1, l2] = await mean.encode(['red shirt cotton', 'red shirt leather']);
  assert.ok(dot(l1!, l2!) < 0.9999);
  await Promise.all([cls.dispose(), mean.dispose(), prefixed.dispose(), short.dispose()]);
});

test('sentence encoder: quantized / dtype picks onnx/model_quantized.onnx', { skip: needsTjs }, async () => {
  const q = createTransformerEncoder({ model: featDir, quantized: true });
  assert.match(q.id, /:q8:/);
  const [v] = await q.encode(['red shirt']);
  assert.equal(v!.length, 32);
  await q.dispose();
  // a dtype whose file is missing is MODEL_NOT_FOUND on first encode, not a crash at creation
  const fp16 = createTransformerEncoder({ model: featDir, dtype: 'fp16' });
  await expectCode(fp16.encode(['x']), 'MODEL_NOT_FOUND');
  await expectCode(() => createTransformerEncoder({ model: featDir, quantized: true, dtype: 'fp32' }), 'INVALID_ARGUMENT');
});

test('sentence encoder: typed errors for bad configuration', async () => {
  await expectCode(() => createTransformerEncoder({ model: join(root, 'no-such-model') }), 'MODEL_NOT_FOUND');
  await expectCode(() => createTransformerEncoder({ model: './also/missing' }), 'MODEL_NOT_FOUND');
  await expectCode(() => createTransformerEncoder({ model: featDir, pooling: 'max' as 'mean' }), 'INVALID_ARGUMENT');
  await expectCode(() => createTransformerEncoder({ model: featDir, batchSize: 0 }), 'INVALID_ARGUMENT');
  await expectCode(() => createTransformerEncoder({ model: featDir, poolling: 'mean' } as never), 'UNKNOWN_OPTION');
  // a hub id whose config is not on disk: we cannot know the dimension without the network
  await expectCode(() => createTransformerEncoder({ model: 'sentence-transformers/all-MiniLM-L6-v2', cacheDir: root }), 'MODEL_NOT_FOUND');
});

test('sentence encoder: missing optional package gives ENCODER_UNAVAILABLE on first encode', async () => {
  const enc = createTransformerEncoder({ model: featDir }, async () => {
    throw new Error("Cannot find package '@huggingface/transformers'");
  });
  assert.equal(enc.dimension, 32, 'creating still works: loading is lazy');
  const e = await expectCode(enc.encode(['x']), 'ENCODER_UNAVAILABLE');
  assert.match(e.message, /npm install @huggingface\/transformers/);
  const ce = createCrossEncoder({ model: clsDir }, async () => {
    throw new Error('nope');
  });
  await expectCode(ce.score('q', ['a']), 'ENCODER_UNAVAILABLE');
});

test('cross-encoder: one score per text, in (0,1) with sigmoid, order-independent', { skip: needsTjs }, async () => {
  const ce = createCrossEncoder({ model: clsDir, batchSize: 2, threads: 1 });
  const texts = ['red cotton shirt', '蓝色 连衣裙', 'usb cable', 'red cotton shirt'];
  const scores = await ce.score('red shirt', texts);
  assert.equal(scores.length, texts.length);
  for (const s of scores) assert.ok(s > 0 && s < 1, String(s));
  assert.ok(Math.abs(scores[0]! - scores[3]!) < 1e-6, 'same pair, same score, whatever the batch');
  assert.ok(new Set(scores.slice(0, 3).map((s) => s.toFixed(6))).size === 3, 'different texts, different scores');
  const reversed = await ce.score('red shirt', [...texts].reverse());
  reversed.reverse().forEach((s, i) => assert.ok(Math.abs(s - scores[i]!) < 1e-6));
  // the query matters
  const other = await ce.score('usb charger', texts.slice(0, 1));
  assert.ok(Math.abs(other[0]! - scores[0]!) > 1e-6);
  assert.deepEqual(await ce.score('q', []), []);

  const raw = createCrossEncoder({ model: clsDir, activation: 'none' });
  const logits = await raw.score('red shirt', texts);
  logits.forEach((l, i) => assert.ok(Math.abs(1 / (1 + Math.exp(-l)) - scores[i]!) < 1e-6));
  await Promise.all([ce.dispose(), raw.dispose()]);
});

test('cross-encoder with two labels: softmax probability of the last label by default', { skip: needsTjs }, async () => {
  const dir = join(root, 'tiny-cls2');
  writeTinyBertModel(dir, { task: 'classification', numLabels: 2, hiddenSize: 16, seed: 13 });
  const ce = createCrossEncoder({ model: dir });
  assert.match(ce.id, /:y1:/);
  const raw0 = createCrossEncoder({ model: dir, activation: 'none', positiveLabel: 0 });
  const raw1 = createCrossEncoder({ model: dir, activation: 'none', positiveLabel: 1 });
  const texts = ['red shirt', 'usb cable'];
  const [p, l0, l1] = await Promise.all([ce.score('red shirt', texts), raw0.score('red shirt', texts), raw1.score('red shirt', texts)]);
  p.forEach((s, i) => assert.ok(Math.abs(s - 1 / (1 + Math.exp(l0[i]! - l1[i]!))) < 1e-6));
  const bad = createCrossEncoder({ model: dir, positiveLabel: 5 });
  await assert.rejects(bad.score('q', ['a']), /out of range/);
  await Promise.all([ce.dispose(), raw0.dispose(), raw1.dispose(), bad.dispose()]);
});

test('real attention layers: padding in a batch does not change a text\'s vector', { skip: needsTjs }, async () => {
  const dir = join(root, 'tiny-attn');
  const info = writeTinyBertModel(dir, { hiddenSize: 32, numLayers: 2, numHeads: 4, seed: 21 });
  assert.ok(info.modelBytes < 1_000_000);
  const enc = createTransformerEncoder({ model: dir, threads: 1 });
  const [alone] = await enc.encode(['red shirt']);
  const [batched, long] = await enc.encode(['red shirt', 'blue leather running shoes for men with a white cotton bag']);
  for (let d = 0; d < 32; d++) assert.ok(Math.abs(alone![d]! - batched![d]!) < 1e-4, `dim ${d}`);
  assert.ok(dot(alone!, long!) < 0.9999);
  // word order matters with attention + positions
  const [ab, ba] = await enc.encode(['red shirt blue dress', 'blue dress red shirt']);
  assert.ok(dot(ab!, ba!) < 0.99999);
  const clsDir2 = join(root, 'tiny-attn-cls');
  writeTinyBertModel(clsDir2, { task: 'classification', hiddenSize: 16, numLayers: 1, numHeads: 2, seed: 22 });
  const ce = createCrossEncoder({ model: clsDir2 });
  const scores = await ce.score('red shirt', ['red cotton shirt', 'usb cable']);
  assert.equal(scores.length, 2);
  assert.notEqual(scores[0], scores[1]);
  await Promise.all([enc.dispose(), ce.dispose()]);
});

test('logitsToScore and poolRow', () => {
  assert.equal(logitsToScore([0], 'auto', 0), 0.5);
  assert.ok(Math.abs(logitsToScore([0, Math.log(3)], 'auto', 1) - 0.75) < 1e-12);
  assert.equal(logitsToScore([2, 5], 'none', 0), 2);
  assert.throws(() => logitsToScore([1], 'auto', 1), /out of range/);
  // [batch 1, seq 3, dim 2] with the last position masked out
  const hidden = new Float32Array([1, 2, 3, 4, 100, 100]);
  assert.deepEqual([...poolRow(hidden, [1n, 1n, 0n], 0, 3, 2, 'mean')], [2, 3]);
  assert.deepEqual([...poolRow(hidden, [1, 1, 0], 0, 3, 2, 'cls')], [1, 2]);
});

const miniLm = join(import.meta.dirname, '../../shared/models/tokenizers/all-MiniLM-L6-v2');
const haveMiniLm = existsSync(join(miniLm, 'tokenizer.json'));

test(
  'tiny model with the real all-MiniLM-L6-v2 WordPiece tokenizer',
  { skip: !haveMiniLm ? 'needs ../shared/models/tokenizers/all-MiniLM-L6-v2 (not in a fresh clone)' : needsTjs },
  async () => {
    const dir = join(root, 'tiny-minilm');
    // factorised embedding (30522 × 4, then 4 → 32) keeps the model under 1 MB with the real vocabulary
    const info = writeTinyBertModel(dir, { tokenizerFrom: miniLm, hiddenSize: 32, embeddingSize: 4, seed: 3 });
    assert.equal(info.vocabSize, 30522);
    assert.ok(info.modelBytes < 1_000_000, `${info.modelBytes} bytes`);
    const enc = createTransformerEncoder({ model: dir, maxLength: 64 });
    assert.equal(enc.dimension, 32);
    const vecs = await enc.encode(['Nike running shoes', 'nike RUNNING shoes', 'stainless steel water bottle', '不锈钢保温杯']);
    assert.deepEqual([...vecs[0]!], [...vecs[1]!], 'the real tokenizer lower-cases');
    assert.ok(dot(vecs[0]!, vecs[2]!) < 0.9999);
    assert.ok(dot(vecs[2]!, vecs[3]!) < 0.9999);
    for (const v of vecs) assert.ok(Math.abs(norm(v) - 1) < 1e-5);
    await enc.dispose();
  },
);

test('hub id resolved offline from cacheDir (<cacheDir>/<owner>/<name>/…)', { skip: needsTjs }, async () => {
  const cacheDir = join(root, 'hf-cache');
  writeTinyBertModel(join(cacheDir, 'prodsim-test', 'tiny-bert'), { hiddenSize: 32, seed: 7 });
  const enc = createTransformerEncoder({ model: 'prodsim-test/tiny-bert', cacheDir, localFilesOnly: true });
  assert.equal(enc.model, 'prodsim-test/tiny-bert');
  assert.equal(enc.dimension, 32);
  const local = createTransformerEncoder({ model: featDir });
  const [a] = await enc.encode(['red cotton shirt']);
  const [b] = await local.encode(['red cotton shirt']);
  // same seed and vocabulary as featDir: the same weights, found through the cache
  for (let d = 0; d < 32; d++) assert.ok(Math.abs(a![d]! - b![d]!) < 1e-5);
  await Promise.all([enc.dispose(), local.dispose()]);
  // a hub id that is not on disk: MODEL_NOT_FOUND on first encode, without trying the network
  const absent = createTransformerEncoder({ model: 'prodsim-test/not-downloaded', cacheDir, dimension: 32 });
  const e = await expectCode(absent.encode(['x']), 'MODEL_NOT_FOUND');
  assert.match(e.message, /not on disk/);
});

const bgeZh = join(import.meta.dirname, '../../shared/models/tokenizers/bge-small-zh-v1.5');
test(
  'tiny model with the real bge-small-zh-v1.5 (Chinese WordPiece) tokenizer, CLS pooling',
  { skip: !existsSync(join(bgeZh, 'tokenizer.json')) ? 'needs ../shared/models/tokenizers/bge-small-zh-v1.5 (not in a fresh clone)' : needsTjs },
  async () => {
    const dir = join(root, 'tiny-bge-zh');
    const info = writeTinyBertModel(dir, { tokenizerFrom: bgeZh, hiddenSize: 32, embeddingSize: 4, seed: 9 });
    assert.equal(info.vocabSize, 21128);
    const enc = createTransformerEncoder({ model: dir, pooling: 'cls' });
    const [a, b, c] = await enc.encode(['红色连衣裙', '蓝色连衣裙', '红色连衣裙']);
    assert.deepEqual([...a!], [...c!]);
    assert.ok(dot(a!, b!) < 0.9999, 'one character apart, still different');
    await enc.dispose();
  },
);
