/** Image features with sharp on images this test draws (SVG → PNG/JPEG) in a temp dir. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { colourName, rgbToLab } from '../src/encoders/image/color.ts';
import { createError } from '../src/errors.ts';
import {
  createImageFeatureExtractor,
  createImageHistogramEncoder,
  hashSimilarity,
  hammingDistance,
  histogramIntersection,
  phashFromGrey32,
  HISTOGRAM_BINS,
  BASIC_COLOURS,
  type ImageResult,
  type ImageFeatures,
} from '../src/encoders/image/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A "T-shirt" silhouette in `fill` on a white studio background, a stripe and a chest logo in
 * `accent`. The logo breaks the left-right symmetry: in a symmetric image half of the low DCT
 * coefficients are ~0, the median lands among them, and those pHash bits become noise.
 */
function shirtSvg(fill: string, accent = '#222222', size = 200): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 200 200">
    <rect width="200" height="200" fill="#ffffff"/>
    <path d="M60 30 L85 20 Q100 35 115 20 L140 30 L175 70 L150 85 L145 75 L145 180 L55 180 L55 75 L50 85 L25 70 Z" fill="${fill}"/>
    <rect x="55" y="110" width="90" height="12" fill="${accent}"/>
    <circle cx="78" cy="70" r="9" fill="${accent}"/>
  </svg>`);
}

/** A different composition (circles and a bar), for "unrelated image" hashes. */
function otherSvg(): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
    <rect width="200" height="200" fill="#ffffff"/>
    <circle cx="60" cy="140" r="45" fill="#3050c0"/><circle cx="150" cy="60" r="35" fill="#101010"/>
    <rect x="10" y="10" width="60" height="30" fill="#e0a020"/>
  </svg>`);
}

const files = {
  red: join(dir, 'red.png'),
  redJpeg: join(dir, 'red-reencoded.jpg'),
  darkRed: join(dir, 'dark-red.png'),
  blue: join(dir, 'blue.png'),
  other: join(dir, 'other.png'),
  grey: join(dir, 'grey.png'),
  broken: join(dir, 'broken.jpg'),
  truncated: join(dir, 'truncated.jpg'),
  big: join(dir, 'big.png'),
};
await sharp(shirtSvg('#d02020')).png().toFile(files.red);
// near-identical: re-encoded as a lossy JPEG at a different size and slightly brighter
await sharp(shirtSvg('#d02020', '#222222', 240)).modulate({ brightness: 1.05 }).jpeg({ quality: 60 }).toFile(files.redJpeg);
await sharp(shirtSvg('#901818')).png().toFile(files.darkRed);
await sharp(shirtSvg('#2040d0')).png().toFile(files.blue);
await sharp(otherSvg()).png().toFile(files.other);
await sharp({ create: { width: 50, height: 40, channels: 3, background: '#808080' } }).png().toFile(files.grey);
writeFileSync(files.broken, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('definitely not a jpeg body'.repeat(20))]));
const goodJpeg = await sharp(shirtSvg('#20a040')).jpeg().toBuffer();
writeFileSync(files.truncated, goodJpeg.subarray(0, Math.floor(goodJpeg.length / 3)));
await sharp({ create: { width: 400, height: 300, channels: 3, background: '#00ff00' } }).png().toFile(files.big);

const extractor = createImageFeatureExtractor({ baseDir: dir });

function ok(r: ImageResult): ImageFeatures {
  if (!r.ok) assert.fail(`expected features, got ${r.error.code}: ${r.error.message}`);
  return r.features;
}
function err(r: ImageResult, code: string) {
  assert.equal(r.ok, false, 'expected an error result');
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  assert.ok(r.error.message.length > 0);
  return r.error;
}

test('features: sizes, normalised histogram, 64-bit hashes, background removed', async () => {
  const f = ok(await extractor.extract('red.png')); // relative to baseDir
  assert.equal(f.width, 200);
  assert.equal(f.height, 200);
  assert.equal(f.format, 'png');
  assert.equal(f.histogram.length, HISTOGRAM_BINS);
  const sum = f.histogram.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `L1 sum ${sum}`);
  assert.match(f.phash, /^[0-9a-f]{16}$/);
  assert.match(f.dhash, /^[0-9a-f]{16}$/);
  assert.equal(f.backgroundRemoved, true);
  assert.ok(f.foregroundFraction > 0.2 && f.foregroundFraction < 0.8, String(f.foregroundFraction));
  assert.equal(f.dominantColors[0]?.name, 'red', JSON.stringify(f.dominantColors));
  assert.ok(f.dominantColors[0].fraction > 0.6);
  // the white background is gone from the colour summary
  assert.ok(!f.dominantColors.some((c) => c.name === 'white'), JSON.stringify(f.dominantColors));
});

test('near-identical images: high pHash and dHash similarity; unrelated: lower', async () => {
  const [a, b, c] = (await extractor.extractMany([files.red, files.redJpeg, files.other])).map(ok);
  const same = hashSimilarity(a!.phash, b!.phash);
  const diff = hashSimilarity(a!.phash, c!.phash);
  assert.ok(same >= 0.9, `pHash of near duplicates ${same}`);
  assert.ok(diff < same - 0.2, `pHash unrelated ${diff} vs near-duplicate ${same}`);
  assert.ok(hashSimilarity(a!.dhash, b!.dhash) >= 0.85);
  assert.ok(hashSimilarity(a!.dhash, c!.dhash) < hashSimilarity(a!.dhash, b!.dhash));
  // colour of the near duplicate is nearly the same too
  assert.ok(histogramIntersection(a!.histogram, b!.histogram) > 0.7);
});

test('red vs blue: low histogram similarity; red vs dark red: in between', async () => {
  const [red, blue, darkRed, grey] = (await extractor.extractMany([files.red, files.blue, files.darkRed, files.grey])).map(ok);
  const rb = histogramIntersection(red!.histogram, blue!.histogram);
  const rd = histogramIntersection(red!.histogram, darkRed!.histogram);
  assert.ok(rb < 0.25, `red vs blue ${rb}`);
  assert.ok(rd > rb, `red vs dark red ${rd} should beat red vs blue ${rb}`);
  assert.equal(blue!.dominantColors[0]?.name, 'blue');
  // same silhouette, different colour: the shape hashes still agree
  assert.ok(hashSimilarity(red!.phash, blue!.phash) > 0.75);
  // a uniform grey image: nothing to remove (the whole image is "background"), all mass in grey bins
  assert.equal(grey!.backgroundRemoved, false);
  assert.equal(grey!.dominantColors[0]?.name, 'grey');
  const greyMass = grey!.histogram.slice(HISTOGRAM_BINS - 4).reduce((a, b) => a + b, 0);
  assert.ok(greyMass > 0.99);
});

test('broken, truncated and missing images give typed results, never throw', async () => {
  err(await extractor.extract(files.broken), 'IMAGE_ERROR');
  err(await extractor.extract(files.truncated), 'IMAGE_ERROR');
  const missing = err(await extractor.extract('no/such/file.jpg'), 'FILE_NOT_FOUND');
  assert.equal(missing?.path, 'no/such/file.jpg');
  err(await extractor.extract(dir), 'FILE_NOT_FOUND'); // a folder
  err(await extractor.extract(''), 'FILE_NOT_FOUND');
  err(await extractor.extract(Buffer.from('junk')), 'IMAGE_ERROR');
  err(await extractor.extract(new Uint8Array(0)), 'IMAGE_ERROR');
  // one bad image does not spoil a batch
  const batch = await extractor.extractMany([files.red, files.broken, 'missing.png', files.blue]);
  assert.deepEqual(batch.map((r) => (r.ok ? 'ok' : r.error.code)), ['ok', 'IMAGE_ERROR', 'FILE_NOT_FOUND', 'ok']);
});

test('limits: pixels and bytes give LIMIT_EXCEEDED', async () => {
  const fewPixels = createImageFeatureExtractor({ maxPixels: 100 * 100 });
  const e = err(await fewPixels.extract(files.big), 'LIMIT_EXCEEDED');
  assert.match(e!.message, /400×300/);
  ok(await fewPixels.extract(files.grey)); // 50×40 fits
  const fewBytes = createImageFeatureExtractor({ maxBytes: 100 });
  err(await fewBytes.extract(files.red), 'LIMIT_EXCEEDED');
  err(await fewBytes.extract(await sharp(files.red).png().toBuffer()), 'LIMIT_EXCEEDED');
});

test('URLs are not fetched unless a fetch function is injected', async () => {
  err(await extractor.extract('https://example.com/a.jpg'), 'FORBIDDEN_URL');
  err(await extractor.extract('ftp://example.com/a.jpg'), 'FORBIDDEN_URL');
  err(await extractor.extract('data:image/png;base64,AAAA'), 'FORBIDDEN_URL');
  ok(await extractor.extract(new URL(`file://${files.red}`).href));
  const asked: string[] = [];
  const png = await sharp(files.blue).png().toBuffer();
  const withFetch = createImageFeatureExtractor({
    fetch: async (url) => {
      asked.push(url);
      if (url.endsWith('404.jpg')) throw new Error('HTTP 404');
      return png;
    },
  });
  const f = ok(await withFetch.extract('https://shop.example/blue.png'));
  assert.equal(f.dominantColors[0]?.name, 'blue');
  err(await withFetch.extract('https://shop.example/404.jpg'), 'FILE_NOT_FOUND');
  assert.deepEqual(asked, ['https://shop.example/blue.png', 'https://shop.example/404.jpg']);
  // a fetch that rejects with a catalogue code (e.g. a URL policy) keeps that code
  const policy = createImageFeatureExtractor({
    fetch: async (url) => {
      if (url.includes('127.0.0.1')) throw createError('FORBIDDEN_URL', 'loopback address');
      throw createError('LIMIT_EXCEEDED', 'too big');
    },
  });
  err(await policy.extract('http://127.0.0.1/x.png'), 'FORBIDDEN_URL');
  err(await policy.extract('https://shop.example/huge.png'), 'LIMIT_EXCEEDED');
  // a fetch that never answers hits the time limit
  const slow = createImageFeatureExtractor({ timeoutMs: 50, fetch: () => new Promise(() => {}) });
  err(await slow.extract('https://shop.example/slow.jpg'), 'LIMIT_EXCEEDED');
});

test('bytes in, same features as the file', async () => {
  const fromFile = ok(await extractor.extract(files.red));
  const fromBytes = ok(await extractor.extract(await sharp(files.red).toBuffer()));
  assert.equal(fromBytes.phash, fromFile.phash);
  assert.deepEqual([...fromBytes.histogram], [...fromFile.histogram]);
});

test('histogram DenseEncoder: unit vectors, dot = Bhattacharyya, zero vector for failures', async () => {
  const enc = createImageHistogramEncoder({ baseDir: dir });
  assert.equal(enc.dimension, HISTOGRAM_BINS);
  assert.equal(enc.modality, 'image');
  assert.equal(enc.normalized, true);
  const { vectors, results } = await enc.encodeDetailed([files.red, files.darkRed, files.blue, files.broken]);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  for (const v of vectors.slice(0, 3)) assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5);
  assert.ok(dot(vectors[0]!, vectors[1]!) > dot(vectors[0]!, vectors[2]!));
  assert.ok(vectors[3]!.every((x) => x === 0));
  assert.equal(results[3]!.ok, false);
  assert.equal((await enc.encode([files.red])).length, 1);
  assert.throws(() => createImageHistogramEncoder({ maxByte: 1 } as never), /unknown option/);
});

test('hash helpers', () => {
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hashSimilarity('0f0f0f0f0f0f0f0f', '0f0f0f0f0f0f0f0f'), 1);
  assert.equal(hashSimilarity('0000000000000000', '0000000000000001'), 1 - 1 / 64);
  assert.throws(() => hashSimilarity('xyz', '0000000000000000'), /16 hex digits/);
  // a flat image has only a DC coefficient: exactly one bit set (the first)
  assert.equal(phashFromGrey32(new Array(1024).fill(128)), '8000000000000000');
  assert.throws(() => createImageFeatureExtractor({ maxBytes: -1 }), /positive/);
});

test('colour names: saturated and washed-out shades, dark and light variants', () => {
  const name = (r: number, g: number, b: number) => colourName(rgbToLab(r, g, b));
  assert.equal(name(40, 90, 200), 'blue');
  assert.equal(name(90, 110, 140), 'blue', 'denim is blue, not grey');
  assert.equal(name(25, 35, 85), 'navy');
  assert.equal(name(200, 30, 40), 'red');
  assert.equal(name(110, 20, 35), 'maroon');
  assert.equal(name(209, 16, 0), 'red', 'an orange-tinged pure red is red, not brown');
  assert.equal(name(200, 90, 20), 'orange');
  assert.equal(name(139, 69, 19), 'brown');
  assert.equal(name(245, 170, 190), 'pink');
  assert.equal(name(225, 205, 170), 'beige');
  assert.equal(name(120, 75, 40), 'brown');
  assert.equal(name(40, 150, 60), 'green');
  assert.equal(name(15, 15, 18), 'black');
  assert.equal(name(128, 128, 128), 'grey');
  assert.equal(name(250, 250, 250), 'white');
  // every swatch is named as itself
  for (const c of BASIC_COLOURS) assert.equal(name(...c.rgb), c.name, c.name);
});

test('formats: 16-bit PNG, CMYK JPEG, grey+alpha, EXIF rotation, WebP, GIF, TIFF', async () => {
  const solid = (hex: string) => sharp({ create: { width: 80, height: 40, channels: 3, background: hex } });
  const cases: Array<[string, Promise<Buffer>, string, [number, number]]> = [
    ['16-bit png', solid('#d02020').toColourspace('rgb16').png().toBuffer(), 'red', [80, 40]],
    ['cmyk jpeg', solid('#d02020').toColourspace('cmyk').jpeg().toBuffer(), 'red', [80, 40]],
    ['grey + alpha png', sharp({ create: { width: 80, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).toColourspace('b-w').png().toBuffer(), 'grey', [80, 40]],
    ['exif orientation 6', solid('#2040d0').jpeg().withMetadata({ orientation: 6 }).toBuffer(), 'blue', [40, 80]],
    ['webp', solid('#20a040').webp().toBuffer(), 'green', [80, 40]],
    ['gif', solid('#20a040').gif().toBuffer(), 'green', [80, 40]],
    ['tiff', solid('#20a040').tiff().toBuffer(), 'green', [80, 40]],
  ];
  for (const [label, bytes, colour, [w, h]] of cases) {
    const f = ok(await extractor.extract(await bytes));
    assert.equal(f.dominantColors[0]?.name, colour, label);
    assert.deepEqual([f.width, f.height], [w, h], label);
    const sum = f.histogram.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, label);
  }
});
