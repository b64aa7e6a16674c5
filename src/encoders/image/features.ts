/**
 * Image features with sharp (libvips): colour histogram, dominant colours, pHash and dHash.
 *
 * Extraction never throws for a bad image (see reader.ts): failures are `{ ok: false, error }`.
 * Each image is decoded once by sharp, shrunk to at most 256 px (JPEG shrink-on-load makes this
 * cheap), and every feature is computed from that small copy in JS (resample.ts): further sharp
 * pipelines per image cost more than they save on small images.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { backgroundMask, colorHistogram, dominantColours, labPixels, HISTOGRAM_SPACE, type DominantColour } from './color.ts';
import { dhashFromGrey9x8, phashFromGrey32 } from './hashes.ts';
import {
  createImageReader,
  mapLimited,
  positiveNumber,
  IMAGE_READER_DEFAULTS,
  type DecodedImage,
  type ImageFailure,
  type ImageInput,
  type ImageReader,
  type ImageReaderOptions,
} from './reader.ts';
import { areaResize, fitInside, toGrey, toUint8 } from './resample.ts';

export type { ImageErrorCode, ImageFailure, ImageFetch, ImageInput } from './reader.ts';
export { imageFailureToError } from './reader.ts';

/** Longest side of the decoded copy every feature is computed from. */
export const FEATURE_DECODE_SIZE = 256;

export interface ImageFeatures {
  /** Size of the image as stored (after EXIF rotation), not of the copy features were computed on. */
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

export interface ImageFeatureOptions extends ImageReaderOptions {
  /** Remove a uniform border-connected background before colour features (studio product shots). */
  backgroundRemoval: boolean;
  /** Side of the thumbnail the colour features are computed on. */
  colorSize: number;
  /** Images decoded at once by extractMany. */
  concurrency: number;
}

export const IMAGE_FEATURE_DEFAULTS = {
  ...IMAGE_READER_DEFAULTS,
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

/** All features of one decoded image (pure: no I/O). */
export function featuresOf(image: DecodedImage, colorSize: number, backgroundRemoval: boolean): ImageFeatures {
  const { rgb: baseRgb, width: bw, height: bh } = image;
  const [w, h] = fitInside(bw, bh, colorSize);
  const rgb = w === bw && h === bh ? baseRgb : toUint8(areaResize(baseRgb, bw, bh, 3, w, h));
  const grey = toGrey(baseRgb, bw * bh);
  const lab = labPixels(rgb, w * h);
  const mask = backgroundRemoval ? backgroundMask(rgb, w, h, lab) : undefined;
  let kept = w * h;
  if (mask) for (let p = 0; p < w * h; p++) if (mask[p]) kept--;
  return {
    width: image.originalWidth,
    height: image.originalHeight,
    format: image.format,
    histogram: colorHistogram(rgb, w, h, mask),
    histogramSpace: HISTOGRAM_SPACE,
    dominantColors: dominantColours(rgb, w, h, mask, lab),
    phash: phashFromGrey32(areaResize(grey, bw, bh, 1, 32, 32)),
    dhash: dhashFromGrey9x8(areaResize(grey, bw, bh, 1, 9, 8)),
    backgroundRemoved: mask !== undefined,
    foregroundFraction: kept / (w * h),
  };
}

export function createImageFeatureExtractor(options: Partial<ImageFeatureOptions> = {}): ImageFeatureExtractor {
  rejectUnknownKeys(options, KNOWN_KEYS, 'createImageFeatureExtractor');
  const o: ImageFeatureOptions = { ...IMAGE_FEATURE_DEFAULTS, ...options };
  for (const k of ['colorSize', 'concurrency'] as const) positiveNumber(o[k], k);
  if (!Number.isInteger(o.concurrency)) throw createError('INVALID_ARGUMENT', 'concurrency must be an integer', { field: 'concurrency' });
  const reader: ImageReader = createImageReader(o);

  async function extract(input: ImageInput): Promise<ImageResult> {
    const decoded = await reader.decode(input, { size: FEATURE_DECODE_SIZE, fit: 'inside' });
    if (!decoded.ok) return decoded;
    try {
      return { ok: true, path: decoded.path, features: featuresOf(decoded.image, o.colorSize, o.backgroundRemoval) };
    } catch (e) {
      // Expected failure as a value: an image whose features fail is one failed image, reported with its path.
      const failure: ImageFailure = { code: 'IMAGE_ERROR', message: e instanceof Error ? e.message : String(e), path: decoded.path };
      return { ok: false, error: failure };
    }
  }

  return {
    options: Object.freeze({ ...o }),
    extract,
    extractMany: (inputs) => mapLimited(inputs, o.concurrency, extract),
  };
}
