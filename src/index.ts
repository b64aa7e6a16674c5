// Library API: named exports only. Heavy optional parts live behind subpath exports:
// `prodsim/transformers` (transformers.js encoders and cross-encoders) and `prodsim/server` (HTTP).
export { createError, isProdsimError, ProdsimError, ERROR_CATALOGUE, type ErrorCode } from './errors.ts';

// catalog
export type { Product } from './catalog/product.ts';
export type { CatalogEntry, RecordIssue, ReadCatalogOptions, FieldMapping } from './catalog/catalog.ts';
export { readCatalog } from './catalog/read-catalog.ts';
export { loadCatalog, formatCatalogReadSummary } from './catalog/catalog-summary.ts';
export { readMappingFile } from './catalog/mapping-file.ts';

// text analysis
export type { AnalyzedText, TextAnalyzer, TextAnalyzerOptions } from './text/analyzer.ts';
export { createTextAnalyzer } from './text/text-analyzer.ts';

// encoders
export type { DenseEncoder, SparseEncoder, Encoder } from './encoders/encoder.ts';
export { createGloveEncoder } from './encoders/glove/glove-encoder.ts';
export { fitLexicalEncoder } from './encoders/lexical/lexical-encoder.ts';
export { createImageFeatureExtractor } from './encoders/image/features.ts';

// store and index
export { createProductStore } from './store/sqlite/sqlite-store.ts';
export type { ProductStore } from './store/store.ts';
export { createAnnIndex } from './store/ann/usearch-index.ts';
export { createExactIndex } from './store/ann/exact-index.ts';

// similarity and fusion
export { compareProducts, fuse, getProfile, profileFromWeights, PROFILES, type FusionProfile, type SimilarityResult } from './similarity/fusion.ts';
export { representProduct, type ProductRepresentation } from './similarity/representation.ts';
export { formatExplanation, explanationToJSON, type ExplanationJSON } from './similarity/explain.ts';
export { METRICS, getMetric } from './similarity/metrics.ts';

// engine and tasks
export { createEngine, DEFAULT_ENGINE_OPTIONS, type Engine, type EngineOptions } from './engine/engine.ts';
export { TASKS, runTask, parseTaskInput, type TaskName } from './engine/task-registry.ts';
export type { ProductFilter } from './tasks/product-filter.ts';
