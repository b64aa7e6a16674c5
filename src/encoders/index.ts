/**
 * Public API of the encoders stage. Each encoder family adds its own block of exports.
 */
export * from './encoder.ts';
export * from './cache.ts';

// Lexical (sparse TF-IDF over words and character n-grams)
export {
  fitLexicalEncoder,
  lexicalEncoderFromJSON,
  sparseCosine,
  DEFAULT_LEXICAL_OPTIONS,
  type LexicalEncoder,
  type LexicalOptions,
  type LexicalModelJSON,
} from './lexical/lexical-encoder.ts';

// GloVe word vectors, SIF sentence encoder
export {
  loadGloveVectors,
  readGloveBinary,
  convertGloveSource,
  gloveBinaryPath,
  zipfProbability,
  DEFAULT_GLOVE_OPTIONS,
  type GloveVectors,
  type GloveOptions,
  type GloveStorage,
} from './glove/glove-vectors.ts';
export {
  createSifEncoder,
  principalDirection,
  hashState,
  DEFAULT_SIF_OPTIONS,
  type SifEncoder,
  type SifOptions,
  type SifState,
} from './glove/sif.ts';
export {
  createGloveEncoder,
  createBilingualWordVectors,
  DEFAULT_GLOVE_ENCODER_OPTIONS,
  type GloveEncoder,
  type GloveEncoderOptions,
} from './glove/glove-encoder.ts';

// Chinese words in the GloVe space through CC-CEDICT
export {
  createCedictBridge,
  loadCedictGlossTable,
  cedictGlossTablePath,
  extractSenses,
  senseWords,
  jiebaProbability,
  DEFAULT_CEDICT_BRIDGE_OPTIONS,
  MAX_STORED_SENSES,
  type CedictBridge,
  type CedictBridgeOptions,
  type CedictGlossTable,
} from './cedict/cedict-bridge.ts';

// Word vectors trained on the catalog (PPMI + randomized SVD), combined encoders
export {
  trainCatalogVectors,
  catalogVectorsFromJSON,
  randomizedSvd,
  jacobiEigen,
  DEFAULT_CATALOG_VECTOR_OPTIONS,
  type CatalogVectors,
  type CatalogVectorOptions,
  type CatalogVectorsJSON,
  type CsrMatrix,
} from './catalog-vectors/catalog-vectors.ts';
export {
  createCombinedEncoder,
  createCatalogSifEncoder,
  CATALOG_SIF_A,
  createCatalogCombinedEncoder,
  DEFAULT_CATALOG_COMBINED_OPTIONS,
  type CombinedEncoder,
  type CombinedPart,
  type CatalogCombinedOptions,
} from './catalog-vectors/combined-encoder.ts';
export {
  createCatalogAwareEncoder,
  DEFAULT_CATALOG_AWARE_OPTIONS,
  type CatalogAwareEncoder,
  type CatalogAwareOptions,
  type CatalogAwareState,
} from './catalog-vectors/catalog-aware-encoder.ts';

// Transformer and image encoders: exports added below by their owner.

// Transformer encoders (transformers.js / ONNX, optional package, loaded lazily)
export {
  createTransformerEncoder,
  TRANSFORMER_ENCODER_DEFAULTS,
  createCrossEncoder,
  CROSS_ENCODER_DEFAULTS,
  logitsToScore,
  type TransformerEncoder,
  type TransformerEncoderOptions,
  type CrossEncoder,
  type CrossEncoderOptions,
  type CrossEncoderActivation,
  type Pooling,
  type ModelDtype,
} from './transformer/index.ts';

// Image encoders: sharp features (histogram, dominant colours, pHash/dHash) and CLIP
export {
  createImageFeatureExtractor,
  IMAGE_FEATURE_DEFAULTS,
  createImageHistogramEncoder,
  histogramToVector,
  hashSimilarity,
  hammingDistance,
  histogramIntersection,
  HISTOGRAM_BINS,
  HISTOGRAM_SPACE,
  imageFailureToError,
  createImageReader,
  createClipEncoders,
  CLIP_DEFAULTS,
  type ImageFeatureExtractor,
  type ImageFeatureOptions,
  type ImageFeatures,
  type ImageResult,
  type ImageFailure,
  type ImageErrorCode,
  type ImageFetch,
  type ImageInput,
  type ImageHistogramEncoder,
  type DominantColour,
  type ClipEncoders,
  type ClipImageEncoder,
  type ClipOptions,
} from './image/index.ts';
