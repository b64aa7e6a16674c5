// Library API: named exports only. Heavy optional parts (transformers, server) live behind subpath exports.
export { createError, isProdsimError, ProdsimError, ERROR_CATALOGUE, type ErrorCode } from './errors.ts';
export type { Product } from './catalog/product.ts';
export type { AnalyzedText, TextAnalyzer, TextAnalyzerOptions } from './text/analyzer.ts';
export { createTextAnalyzer } from './text/text-analyzer.ts';
export type { DenseEncoder, SparseEncoder, Encoder } from './encoders/encoder.ts';
