/**
 * Reading and decoding product images safely, shared by the sharp features and CLIP.
 *
 * Product images come from catalogs we do not control, so reading never throws for a bad image:
 * a broken, missing, huge or remote image gives `{ ok: false, error }` and the product is still
 * indexed on its other fields. Limits (bytes, pixels, time) are checked before and during decoding
 * (`limitInputPixels` stops decompression bombs inside libvips). URLs are never fetched unless a
 * fetch function is injected: prodsim runs offline.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { createError, isProdsimError } from '../../errors.ts';

/** A file path (relative to baseDir), a `file://` or http(s) URL, or the image bytes. */
export type ImageInput = string | Uint8Array;

export type ImageErrorCode = 'IMAGE_ERROR' | 'FILE_NOT_FOUND' | 'LIMIT_EXCEEDED' | 'FORBIDDEN_URL';
const IMAGE_ERROR_CODES: ReadonlySet<string> = new Set<ImageErrorCode>(['IMAGE_ERROR', 'FILE_NOT_FOUND', 'LIMIT_EXCEEDED', 'FORBIDDEN_URL']);

export interface ImageFailure {
  code: ImageErrorCode;
  message: string;
  /** The input as given (a path or URL; "<buffer>" for bytes). */
  path: string;
}

/** Fetches a URL's bytes (injected: the library never opens network connections by itself). */
export type ImageFetch = (url: string, init: { signal: AbortSignal; maxBytes: number }) => Promise<Uint8Array>;

export interface ImageReaderOptions {
  /** Largest accepted file or download, in bytes. */
  maxBytes: number;
  /** Largest accepted width × height (decompression-bomb guard, enforced inside libvips). */
  maxPixels: number;
  /** Per-image time limit for reading, fetching and decoding. */
  timeoutMs: number;
  /** Relative paths are resolved against this folder (default: the working directory). */
  baseDir?: string;
  /** Without it, http(s) URLs give FORBIDDEN_URL. */
  fetch?: ImageFetch;
}

export const IMAGE_READER_DEFAULTS = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  timeoutMs: 10_000,
} as const satisfies Omit<ImageReaderOptions, 'baseDir' | 'fetch'>;

/** sRGB pixels after EXIF rotation and flattening on white, shrunk as asked. */
export interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Size of the image as stored (after EXIF rotation). */
  originalWidth: number;
  originalHeight: number;
  format: string;
}

export type DecodeResult = { ok: true; path: string; image: DecodedImage } | { ok: false; error: ImageFailure };

/**
 * How to shrink while decoding: 'inside' fits both sides within `size` (feature extraction);
 * 'outside' makes the shorter side `size` (CLIP-style preprocessors resize the shortest edge).
 * Never enlarges.
 */
export interface DecodeSize {
  size: number;
  fit: 'inside' | 'outside';
}

export interface ImageReader {
  readonly options: Readonly<ImageReaderOptions>;
  /** Never rejects. */
  decode(input: ImageInput, size: DecodeSize): Promise<DecodeResult>;
}

/** A typed failure raised inside reading and turned into a result at the boundary. */
export class ImageFailureError extends Error {
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

export function describeInput(input: ImageInput): string {
  return typeof input === 'string' ? input : '<buffer>';
}

export function positiveNumber(value: number, field: string): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw createError('INVALID_ARGUMENT', `${field} must be a positive number, got ${String(value)}`, { field });
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sharpErrorCode(e: unknown): ImageErrorCode {
  return /pixel limit|timeout/i.test(errorText(e)) ? 'LIMIT_EXCEEDED' : 'IMAGE_ERROR';
}

export function createImageReader(options: ImageReaderOptions): ImageReader {
  const o = { ...options };
  for (const k of ['maxBytes', 'maxPixels', 'timeoutMs'] as const) positiveNumber(o[k], k);
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
          // an injected fetch may say why with a catalogue code (URL policy, size): keep it
          if (isProdsimError(e) && IMAGE_ERROR_CODES.has(e.code)) return fail(e.code as ImageErrorCode, e.message);
          return fail('FILE_NOT_FOUND', `fetching ${input} failed: ${errorText(e)}`);
        }
        if (bytes.byteLength > o.maxBytes) fail('LIMIT_EXCEEDED', `download of ${bytes.byteLength} bytes exceeds maxBytes ${o.maxBytes}`);
        return bytes;
      } else {
        return fail('FORBIDDEN_URL', `URL scheme "${scheme}:" is not allowed (${input.slice(0, 80)})`);
      }
    } else {
      // no scheme, or a one-letter one (a Windows drive letter): a path
      file = isAbsolute(input) ? input : resolve(baseDir, input);
    }
    let size: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) return fail('FILE_NOT_FOUND', `${file} is not a file`);
      size = st.size;
    } catch (e) {
      // Into a catalogue error: a file that cannot be stat-ed is FILE_NOT_FOUND (an ImageFailureError).
      return fail('FILE_NOT_FOUND', `${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (size > o.maxBytes) fail('LIMIT_EXCEEDED', `${file} is ${size} bytes, over maxBytes ${o.maxBytes}`);
    try {
      return await readFile(file, { signal });
    } catch (e) {
      // Into a catalogue error: a file that cannot be read is FILE_NOT_FOUND (an ImageFailureError).
      return fail('FILE_NOT_FOUND', `${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  async function decodeBytes(bytes: Uint8Array, size: DecodeSize): Promise<DecodedImage> {
    let meta: Metadata;
    try {
      // header only: no pixel limit needed here, and it lets us report the size that was too big
      meta = await sharp(bytes, { failOn: 'error' }).metadata();
    } catch (e) {
      // Into a catalogue error: sharp's error becomes IMAGE_ERROR or LIMIT_EXCEEDED (an ImageFailureError).
      return fail(sharpErrorCode(e), `not a readable image: ${errorText(e)}`);
    }
    if (!meta.width || !meta.height) fail('IMAGE_ERROR', 'image has no size');
    if (meta.width * meta.height > o.maxPixels) {
      fail('LIMIT_EXCEEDED', `image of ${meta.width}×${meta.height} pixels exceeds maxPixels ${o.maxPixels}`);
    }
    let out: { data: Buffer; info: OutputInfo };
    try {
      out = await sharp(bytes, { limitInputPixels: Math.floor(o.maxPixels), failOn: 'error' })
        .timeout({ seconds: Math.max(1, Math.ceil(o.timeoutMs / 1000)) })
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize(size.size, size.size, { fit: size.fit, withoutEnlargement: true })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      // Into a catalogue error: sharp's error becomes IMAGE_ERROR or LIMIT_EXCEEDED (an ImageFailureError).
      return fail(sharpErrorCode(e), `could not decode image: ${errorText(e)}`);
    }
    const { width, height, channels } = out.info;
    const rotated = (meta.orientation ?? 1) >= 5;
    return {
      rgb: toRgb(out.data, channels, width * height),
      width,
      height,
      originalWidth: rotated ? meta.height : meta.width,
      originalHeight: rotated ? meta.width : meta.height,
      format: meta.format ?? 'unknown',
    };
  }

  async function decode(input: ImageInput, size: DecodeSize): Promise<DecodeResult> {
    const path = describeInput(input);
    const controller = new AbortController();
    try {
      const work = (async () => decodeBytes(await readBytes(input, controller.signal), size))();
      work.catch(() => undefined); // a late failure after a timeout must not be unhandled
      const image = await withTimeout(work, o.timeoutMs, `reading ${path}`, () => controller.abort());
      return { ok: true, path, image };
    } catch (e) {
      // Expected failure as a value: an image that cannot be read is one failed image, reported with its path.
      if (e instanceof ImageFailureError) return { ok: false, error: { code: e.code, message: e.message, path } };
      return { ok: false, error: { code: 'IMAGE_ERROR', message: errorText(e), path } };
    }
  }

  return { options: Object.freeze(o), decode };
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

/** Runs `fn` over inputs with at most `concurrency` in flight; results in input order. */
export async function mapLimited<I, O>(inputs: readonly I[], concurrency: number, fn: (input: I) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await fn(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return results;
}

/** Turns a failure result into a ProdsimError, for callers that do want to throw. */
export function imageFailureToError(f: ImageFailure) {
  return createError(f.code, f.message, { file: f.path });
}
