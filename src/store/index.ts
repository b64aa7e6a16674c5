// Public API of the store stage (the ANN index lives in ./ann/ and has its own entry).
export * from './store.ts';
export { createProductStore, toFtsOrQuery, toFtsPhrases, MAX_KEYWORD_QUERY_TOKENS, KEYWORD_ALL_TOKENS_FIRST, KEYWORD_COMMON_TOKEN_PRUNING } from './sqlite-store.ts';
export {
  analyzeProduct,
  canonicalProductJson,
  contentHashOfJson,
  productContentHash,
  productFieldTexts,
} from './product-record.ts';
