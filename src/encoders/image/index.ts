/** Image encoders: sharp features (colour histogram, dominant colours, pHash, dHash) and CLIP. */
export {
  createImageFeatureExtractor,
  imageFailureToError,
  IMAGE_FEATURE_DEFAULTS,
  type ImageErrorCode,
  type ImageFailure,
  type ImageFeatureExtractor,
  type ImageFeatureOptions,
  type ImageFeatures,
  type ImageFetch,
  type ImageInput,
  type ImageResult,
} from './features.ts';
export { hashSimilarity, hammingDistance, phashFromGrey32, dhashFromGrey9x8 } from './hashes.ts';
export {
  histogramIntersection,
  HISTOGRAM_BINS,
  HISTOGRAM_SPACE,
  BASIC_COLOURS,
  type DominantColour,
} from './color.ts';
export { createImageHistogramEncoder, histogramToVector, type ImageHistogramEncoder } from './histogram-encoder.ts';
export {
  createImageReader,
  IMAGE_READER_DEFAULTS,
  type DecodedImage,
  type DecodeResult,
  type ImageReader,
  type ImageReaderOptions,
} from './reader.ts';
export { featuresOf, FEATURE_DECODE_SIZE } from './features.ts';
export {
  createClipEncoders,
  clipProjectionDim,
  CLIP_DEFAULTS,
  type ClipEncoders,
  type ClipImageEncoder,
  type ClipOptions,
} from './clip.ts';
