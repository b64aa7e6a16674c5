/** CLIP encoders against a tiny random-weight CLIP generated into a temp folder (offline). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createClipEncoders } from '../src/encoders/image/clip.ts';
import { isProdsimError } from '../src/errors.ts';
import { writeTinyClipModel } from './fixtures/onnx/tiny-clip.ts';

const root = mkdtempSync(join(tmpdir(), 'prodsim-tiny-clip-'));
after(() => rmSync(root, { recursive: true, force: true }));

let transformersInstalled = true;
try {
  await import('@huggingface/transformers');
} catch {
  transformersInstalled = false;
}
const needsTjs = transformersInstalled ? false : 'needs the optional @huggingface/transformers package';

const modelDir = join(root, 'tiny-clip');
const built = writeTinyClipModel(modelDir, { projectionDim: 16 });

const red = join(root, 'red.png');
const red2 = join(root, 'red-copy.jpg');
const blue = join(root, 'blue.png');
const broken = join(root, 'broken.png');
const scene = (fill: string) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="240"><rect width="300" height="240" fill="#fff"/><rect x="60" y="40" width="180" height="160" fill="${fill}"/></svg>`,
  );
await sharp(scene('#d02020')).png().toFile(red);
await sharp(scene('#d02020')).jpeg({ quality: 85 }).toFile(red2);
await sharp(scene('#2040d0')).png().toFile(blue);
writeFileSync(broken, 'not an image');

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('tiny CLIP fixture is small', () => {
  assert.ok(built.bytes < 1_000_000, `${built.bytes} bytes`);
});

test('CLIP image encoder: unit vectors in the shared space; bad images give zero vectors', { skip: needsTjs }, async () => {
  const clip = createClipEncoders({ model: modelDir, batchSize: 2 });
  assert.equal(clip.image.dimension, 16);
  assert.equal(clip.text.dimension, 16);
  assert.equal(clip.image.modality, 'image');
  assert.ok(clip.image.id.startsWith('clip-image:tiny-clip:fp32:'));
  assert.equal(clip.image.id.split(':').at(-1), clip.text.id.split(':').at(-1), 'same model fingerprint');
  const { vectors, results } = await clip.image.encodeDetailed([red, red2, blue, broken, 'missing.png']);
  assert.equal(vectors.length, 5);
  for (const v of vectors.slice(0, 3)) assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5);
  assert.ok(dot(vectors[0]!, vectors[1]!) > dot(vectors[0]!, vectors[2]!), 'the JPEG copy is nearer than the blue image');
  assert.ok(dot(vectors[0]!, vectors[1]!) > 0.99);
  assert.ok(vectors[3]!.every((x) => x === 0) && vectors[4]!.every((x) => x === 0));
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['ok', 'ok', 'ok', 'IMAGE_ERROR', 'FILE_NOT_FOUND'],
  );
  // deterministic, and independent of batch composition
  const [again] = await clip.image.encode([red]);
  for (let d = 0; d < 16; d++) assert.ok(Math.abs(again![d]! - vectors[0]![d]!) < 1e-5);
  await clip.dispose();
});

test('CLIP text encoder: unit vectors, distinct texts, prefix', { skip: needsTjs }, async () => {
  const clip = createClipEncoders({ model: modelDir });
  const [a, b, c] = await clip.text.encode(['red shirt', 'blue leather shoes', 'red shirt']);
  assert.ok(Math.abs(Math.sqrt(dot(a!, a!)) - 1) < 1e-5);
  assert.ok(dot(a!, b!) < 0.9999);
  assert.deepEqual([...a!], [...c!]);
  const prefixed = createClipEncoders({ model: modelDir, textPrefix: 'new ' });
  assert.notEqual(prefixed.text.id, clip.text.id);
  assert.equal(prefixed.image.id, clip.image.id);
  const [p] = await prefixed.text.encode(['red shirt']);
  const [q] = await clip.text.encode(['new red shirt']);
  for (let d = 0; d < 16; d++) assert.ok(Math.abs(p![d]! - q![d]!) < 1e-5);
  await Promise.all([clip.dispose(), prefixed.dispose()]);
});

test('CLIP: typed errors', async () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isProdsimError(e) ? e.code : String(e);
    }
    return 'no error';
  };
  assert.equal(code(() => createClipEncoders({ model: join(root, 'nope') })), 'MODEL_NOT_FOUND');
  assert.equal(code(() => createClipEncoders({ model: modelDir, imagee: {} } as never)), 'UNKNOWN_OPTION');
  const noPkg = createClipEncoders({ model: modelDir }, async () => {
    throw new Error('not installed');
  });
  await assert.rejects(noPkg.text.encode(['x']), (e: unknown) => isProdsimError(e) && e.code === 'ENCODER_UNAVAILABLE');
  await assert.rejects(noPkg.image.encode([red]), (e: unknown) => isProdsimError(e) && e.code === 'ENCODER_UNAVAILABLE');
  const q8 = createClipEncoders({ model: modelDir, quantized: true });
  if (transformersInstalled) {
    await assert.rejects(q8.text.encode(['x']), (e: unknown) => isProdsimError(e) && e.code === 'MODEL_NOT_FOUND');
  }
});

const realClip = join(import.meta.dirname, '../../shared/models/tokenizers/clip-vit-base-patch32');
const haveRealClip = existsSync(join(realClip, 'tokenizer.json'));

test(
  'tiny CLIP with the real clip-vit-base-patch32 BPE tokenizer',
  { skip: !haveRealClip ? 'needs ../shared/models/tokenizers/clip-vit-base-patch32 (not in a fresh clone)' : needsTjs },
  async () => {
    const dir = join(root, 'tiny-clip-real-tok');
    const info = writeTinyClipModel(dir, { tokenizerFrom: realClip, textEmbeddingSize: 4 });
    assert.ok(info.bytes < 1_000_000, `${info.bytes} bytes`);
    const clip = createClipEncoders({ model: dir });
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const [a, b, c, d] = await clip.text.encode(['a photo of a red dress', 'A PHOTO OF A RED DRESS', 'a photo of running shoes', long]);
    assert.deepEqual([...a!], [...b!], 'the CLIP tokenizer lower-cases');
    assert.ok(dot(a!, c!) < 0.9999);
    assert.equal(d!.length, 16, 'texts past 77 tokens are truncated, not an error');
    await clip.dispose();
  },
);
