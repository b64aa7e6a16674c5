/**
 * A DenseEncoder over images whose vector is the colour histogram, so images go through the same
 * vector store / ANN path as text.
 *
 * The vector is the element-wise square root of the L1-normalised histogram. Its L2 norm is 1 by
 * construction, and the dot product of two such vectors is the Bhattacharyya coefficient (the
 * Hellinger kernel), which compares histograms better than the cosine of raw counts, where one big
 * bin (a large area of one colour) dominates.
 *
 * An image that cannot be read gives a zero vector ("no evidence", which matches nothing) rather
 * than an exception, so one bad file never fails a batch; `encodeDetailed` tells which ones failed.
 */
import { rejectUnknownKeys } from '../../errors.ts';
import type { DenseEncoder } from '../encoder.ts';
import { HISTOGRAM_BINS, HISTOGRAM_SPACE } from './color.ts';
import {
  createImageFeatureExtractor,
  IMAGE_FEATURE_DEFAULTS,
  type ImageFeatureExtractor,
  type ImageFeatureOptions,
  type ImageInput,
  type ImageResult,
} from './features.ts';

export interface ImageHistogramEncoder extends DenseEncoder<ImageInput> {
  readonly extractor: ImageFeatureExtractor;
  /** Vectors plus each image's full result (features or the error). */
  encodeDetailed(batch: readonly ImageInput[]): Promise<{ vectors: Float32Array[]; results: ImageResult[] }>;
}

export type ImageHistogramEncoderOptions = Partial<ImageFeatureOptions>;

/** sqrt of an L1-normalised histogram: unit L2 norm, dot product = Bhattacharyya coefficient. */
export function histogramToVector(histogram: ArrayLike<number>): Float32Array {
  const v = new Float32Array(histogram.length);
  for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(Math.max(0, histogram[i]!));
  return v;
}

export function createImageHistogramEncoder(options: ImageHistogramEncoderOptions = {}): ImageHistogramEncoder {
  rejectUnknownKeys(options, Object.keys({ ...IMAGE_FEATURE_DEFAULTS, baseDir: 0, fetch: 0 }), 'createImageHistogramEncoder');
  const extractor = createImageFeatureExtractor(options);
  const bg = extractor.options.backgroundRemoval ? 'fg' : 'all';
  async function encodeDetailed(batch: readonly ImageInput[]) {
    const results = await extractor.extractMany(batch);
    const vectors = results.map((r) => (r.ok ? histogramToVector(r.features.histogram) : new Float32Array(HISTOGRAM_BINS)));
    return { vectors, results };
  }
  return {
    kind: 'dense',
    id: `image-histogram:${HISTOGRAM_SPACE}:${bg}:${extractor.options.colorSize}:sqrt:v1`,
    dimension: HISTOGRAM_BINS,
    modality: 'image',
    normalized: true,
    extractor,
    encodeDetailed,
    async encode(batch) {
      return (await encodeDetailed(batch)).vectors;
    },
  };
}
