// Public API of the store stage (the ANN index lives in ./ann/ and has its own entry).
export * from './store.ts';
export { createProductStore, toFtsOrQuery, MAX_KEYWORD_QUERY_TOKENS } from './sqlite-store.ts';
export {
  analyzeProduct,
  canonicalProductJson,
  contentHashOfJson,
  productContentHash,
  productFieldTexts,
} from './product-record.ts';
