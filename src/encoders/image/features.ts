/**
 * Image features with sharp (libvips): colour histogram, dominant colours, pHash and dHash.
 *
 * Product images come from catalogs we do not control, so extraction never throws for a bad image:
 * a broken, missing, huge or remote image gives `{ ok: false, error }` and the product is still
 * indexed on its other fields. Limits (bytes, pixels, time) are checked before and during decoding
 * (`limitInputPixels` stops decompression bombs inside libvips).
 *
 * Each image is decoded once by sharp, shrunk to at most 256 px (JPEG shrink-on-load makes this
 * cheap), and every feature is computed from that small copy in JS (resample.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { backgroundMask, colorHistogram, dominantColours, labPixels, HISTOGRAM_SPACE, type DominantColour } from './color.ts';
import { dhashFromGrey9x8, phashFromGrey32 } from './hashes.ts';
import { areaResize, fitInside, toGrey, toUint8 } from './resample.ts';

/** A file path (relative to baseDir), a `file://` or http(s) URL, or the image bytes. */
export type ImageInput = string | Uint8Array;

export type ImageErrorCode = 'IMAGE_ERROR' | 'FILE_NOT_FOUND' | 'LIMIT_EXCEEDED' | 'FORBIDDEN_URL';

export interface ImageFailure {
  code: ImageErrorCode;
  message: string;
  /** The input as given (a path or URL; "<buffer>" for bytes). */
  path: string;
}

export interface ImageFeatures {
  /** Size of the decoded image (after EXIF rotation). */
  width: number;
  height: number;
  /** Format sharp detected (jpeg, png, webp, gif, …). */
  format: string;
  /** L1-normalised colour histogram of the foreground (see color.ts for the space and why). */
  histogram: Float32Array;
  /** Names the histogram layout; vectors with different spaces are not comparable. */
  histogramSpace: string;
  /** Up to 4 colours, by share of the foreground. */
  dominantColors: DominantColour[];
  /** 64-bit DCT perceptual hash, 16 hex digits. */
  phash: string;
  /** 64-bit difference hash, 16 hex digits. */
  dhash: string;
  /** Whether a uniform border colour was found and removed as background. */
  backgroundRemoved: boolean;
  /** Share of pixels kept as foreground (1 when nothing was removed). */
  foregroundFraction: number;
}

export type ImageResult = { ok: true; path: string; features: ImageFeatures } | { ok: false; error: ImageFailure };

/** Fetches a URL's bytes (injected: the library never opens network connections by itself). */
export type ImageFetch = (url: string, init: { signal: AbortSignal; maxBytes: number }) => Promise<Uint8Array>;

export interface ImageFeatureOptions {
  /** Largest accepted file or download, in bytes. */
  maxBytes: number;
  /** Largest accepted width × height (decompression-bomb guard, enforced inside libvips). */
  maxPixels: number;
  /** Per-image time limit for reading, fetching and decoding. */
  timeoutMs: number;
  /** Relative paths are resolved against this folder (default: the working directory). */
  baseDir?: string;
  /** Without it, http(s) URLs give FORBIDDEN_URL (we are offline by design). */
  fetch?: ImageFetch;
  /** Remove a uniform border-connected background before colour features (studio product shots). */
  backgroundRemoval: boolean;
  /** Side of the thumbnail the colour features are computed on. */
  colorSize: number;
  /** Images decoded at once by extractMany. */
  concurrency: number;
}

export const IMAGE_FEATURE_DEFAULTS = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  timeoutMs: 10_000,
  backgroundRemoval: true,
  colorSize: 64,
  concurrency: 2,
} as const satisfies Omit<ImageFeatureOptions, 'baseDir' | 'fetch'>;

const KNOWN_KEYS = ['maxBytes', 'maxPixels', 'timeoutMs', 'baseDir', 'fetch', 'backgroundRemoval', 'colorSize', 'concurrency'] as const;

export interface ImageFeatureExtractor {
  readonly options: Readonly<ImageFeatureOptions>;
  /** Never rejects: failures are `{ ok: false, error }`. */
  extract(input: ImageInput): Promise<ImageResult>;
  /** Results in input order; at most `concurrency` images in flight. */
  extractMany(inputs: readonly ImageInput[]): Promise<ImageResult[]>;
}

/** A typed failure raised inside extraction and turned into a result at the boundary. */
class ImageFailureError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const fail = (code: ImageErrorCode, message: string): never => {
  throw new ImageFailureError(code, message);
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new ImageFailureError('LIMIT_EXCEEDED', `${what} took longer than ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):/i;

function describeInput(input: ImageInput): string {
  return typeof input === 'string' ? input : '<buffer>';
}

function positive(value: number, field: string): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw createError('INVALID_ARGUMENT', `${field} must be a positive number, got ${String(value)}`, { field });
  }
}

export function createImageFeatureExtractor(options: Partial<ImageFeatureOptions> = {}): ImageFeatureExtractor {
  rejectUnknownKeys(options, KNOWN_KEYS, 'createImageFeatureExtractor');
  const o: ImageFeatureOptions = { ...IMAGE_FEATURE_DEFAULTS, ...options };
  for (const k of ['maxBytes', 'maxPixels', 'timeoutMs', 'colorSize', 'concurrency'] as const) positive(o[k], k);
  if (!Number.isInteger(o.concurrency)) throw createError('INVALID_ARGUMENT', 'concurrency must be an integer', { field: 'concurrency' });
  const baseDir = resolve(o.baseDir ?? '.');

  async function readBytes(input: ImageInput, signal: AbortSignal): Promise<Uint8Array> {
    if (typeof input !== 'string') {
      if (!(input instanceof Uint8Array)) fail('IMAGE_ERROR', 'input is neither a path, a URL nor bytes');
      if (input.byteLength > o.maxBytes) fail('LIMIT_EXCEEDED', `image of ${input.byteLength} bytes exceeds maxBytes ${o.maxBytes}`);
      return input;
    }
    if (input.trim() === '') fail('FILE_NOT_FOUND', 'empty image path');
    const scheme = URL_SCHEME.exec(input)?.[1]?.toLowerCase();
    let file: string;
    if (scheme && scheme.length > 1) {
      if (scheme === 'file') {
        file = fileURLToPath(input);
      } else if (scheme === 'http' || scheme === 'https') {
        if (!o.fetch) fail('FORBIDDEN_URL', `not fetching ${input}: prodsim works offline; inject a fetch function to allow URLs`);
        let bytes: Uint8Array;
        try {
          bytes = await o.fetch!(input, { signal, maxBytes: o.maxBytes });
        } catch (e) {
          if (e instanceof ImageFailureError) throw e;
          return fail('FILE_NOT_FOUND', `fetching ${input} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (bytes.byteLength > o.maxBytes) fail('LIMIT_EXCEEDED', `download of ${bytes.byteLength} bytes exceeds maxBytes ${o.maxBytes}`);
        return bytes;
      } else {
        return fail('FORBIDDEN_URL', `URL scheme "${scheme}:" is not allowed (${input.slice(0, 80)})`);
      }
    } else {
      // a one-letter "scheme" is a Windows drive letter: treat as a path
      file = isAbsolute(input) ? input : resolve(baseDir, input);
    }
    let size: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) return fail('FILE_NOT_FOUND', `${file} is not a file`);
      size = st.size;
    } catch (e) {
      return fail('FILE_NOT_FOUND', `${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (size > o.maxBytes) fail('LIMIT_EXCEEDED', `${file} is ${size} bytes, over maxBytes ${o.maxBytes}`);
    try {
      return await readFile(file, { signal });
    } catch (e) {
      return fail('FILE_NOT_FOUND', `${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  async function analyse(bytes: Uint8Array): Promise<ImageFeatures> {
    const seconds = Math.max(1, Math.ceil(o.timeoutMs / 1000));
    const sharpOptions = { limitInputPixels: Math.floor(o.maxPixels), failOn: 'error' as const };
    let meta: Metadata;
    try {
      // header only: no pixel limit needed here, and it lets us report the size that was too big
      meta = await sharp(bytes, { failOn: 'error' }).metadata();
    } catch (e) {
      return fail(sharpErrorCode(e), `not a readable image: ${errorText(e)}`);
    }
    if (!meta.width || !meta.height) fail('IMAGE_ERROR', 'image has no size');
    if (meta.width! * meta.height! > o.maxPixels) {
      fail('LIMIT_EXCEEDED', `image of ${meta.width}×${meta.height} pixels exceeds maxPixels ${o.maxPixels}`);
    }
    let base: { data: Buffer; info: OutputInfo };
    try {
      base = await sharp(bytes, sharpOptions)
        .timeout({ seconds })
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize(256, 256, { fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      return fail(sharpErrorCode(e), `could not decode image: ${errorText(e)}`);
    }
    const { width: bw, height: bh } = base.info;
    const baseRgb = toRgb(base.data, base.info.channels, bw * bh);
    const [w, h] = fitInside(bw, bh, o.colorSize);
    const rgb = w === bw && h === bh ? baseRgb : toUint8(areaResize(baseRgb, bw, bh, 3, w, h));
    const grey = toGrey(baseRgb, bw * bh);
    const grey32 = areaResize(grey, bw, bh, 1, 32, 32);
    const grey9x8 = areaResize(grey, bw, bh, 1, 9, 8);
    const lab = labPixels(rgb, w * h);
    const mask = o.backgroundRemoval ? backgroundMask(rgb, w, h, lab) : undefined;
    let kept = w * h;
    if (mask) for (let p = 0; p < w * h; p++) if (mask[p]) kept--;
    const rotated = (meta.orientation ?? 1) >= 5;
    return {
      width: rotated ? meta.height! : meta.width!,
      height: rotated ? meta.width! : meta.height!,
      format: meta.format ?? 'unknown',
      histogram: colorHistogram(rgb, w, h, mask),
      histogramSpace: HISTOGRAM_SPACE,
      dominantColors: dominantColours(rgb, w, h, mask, lab),
      phash: phashFromGrey32(grey32),
      dhash: dhashFromGrey9x8(grey9x8),
      backgroundRemoved: mask !== undefined,
      foregroundFraction: kept / (w * h),
    };
  }

  async function extract(input: ImageInput): Promise<ImageResult> {
    const path = describeInput(input);
    const controller = new AbortController();
    try {
      const work = (async () => analyse(await readBytes(input, controller.signal)))();
      work.catch(() => undefined); // a late failure after a timeout must not be unhandled
      const features = await withTimeout(work, o.timeoutMs, `reading ${path}`, () => controller.abort());
      return { ok: true, path, features };
    } catch (e) {
      if (e instanceof ImageFailureError) return { ok: false, error: { code: e.code, message: e.message, path } };
      return { ok: false, error: { code: 'IMAGE_ERROR', message: errorText(e), path } };
    }
  }

  async function extractMany(inputs: readonly ImageInput[]): Promise<ImageResult[]> {
    const results: ImageResult[] = new Array(inputs.length);
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) {
        const i = next++;
        results[i] = await extract(inputs[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, inputs.length) }, worker));
    return results;
  }

  return { options: Object.freeze({ ...o }), extract, extractMany };
}

function toRgb(data: Buffer, channels: number, pixels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, pixels * 3);
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const r = data[p * channels]!;
    out[p * 3] = r;
    out[p * 3 + 1] = channels >= 3 ? data[p * channels + 1]! : r;
    out[p * 3 + 2] = channels >= 3 ? data[p * channels + 2]! : r;
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sharpErrorCode(e: unknown): ImageErrorCode {
  const msg = errorText(e);
  if (/pixel limit|timeout/i.test(msg)) return 'LIMIT_EXCEEDED';
  return 'IMAGE_ERROR';
}

/** Turns a failure result into a ProdsimError, for callers that do want to throw. */
export function imageFailureToError(f: ImageFailure) {
  return createError(f.code, f.message, { file: f.path });
}
