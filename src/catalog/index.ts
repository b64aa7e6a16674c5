// The catalog stage's public API: reading catalog files into validated products.
export { PRODUCT_FIELDS, categoryLevels, type Product, type ProductField } from './product.ts';
export {
  DEFAULT_READ_CATALOG_OPTIONS,
  READ_CATALOG_OPTION_KEYS,
  type CatalogEntry,
  type CatalogFormat,
  type FieldMapping,
  type ReadCatalogOptions,
  type RecordIssue,
} from './catalog.ts';
export { readCatalog, detectCatalogFormat, resolveReadCatalogOptions, sniffCsvDelimiter, CSV_DELIMITER_CANDIDATES } from './read-catalog.ts';
export {
  loadCatalog,
  trackCatalogRead,
  createCatalogReadSummary,
  formatCatalogReadSummary,
  DUPLICATE_ID_EXAMPLES,
  type CatalogReadSummary,
  type LoadedCatalog,
  type TrackedCatalogEntry,
} from './catalog-summary.ts';
export { readMappingFile } from './mapping-file.ts';
export {
  recordToProduct,
  resolveFieldMapping,
  productRecordSchema,
  parsePrice,
  parseCurrency,
  parseTags,
  parseImages,
  parseAttributes,
  parseInStock,
  normalizeCategory,
  coerceId,
  describeValue,
  FIELD_NAME_GUESSES,
  type FieldProblem,
  type RecordConversion,
  type RecordToProductOptions,
  type ResolvedMapping,
} from './record-to-product.ts';
export { splitJsonProducts, PRODUCTS_KEY, type JsonElement } from './json-array-splitter.ts';
export { resolveImagePath, isImageUrl } from './image-paths.ts';
export {
  readRelevanceJudgments,
  readTrecQrels,
  readTsvQueries,
  readTsvCorpus,
  judgmentsFromQrels,
  judgmentsByQuery,
  JUDGMENT_COLUMNS,
  type RelevanceJudgment,
  type QrelJudgment,
  type QueryText,
  type CorpusDocument,
} from './judgments.ts';
