// Public API of the store stage (the ANN index lives in ./ann/ and has its own entry).
export * from './store.ts';
export { createSqliteSyncStore, CHANGE_LOG_ID_KEY, PRODUCTS_REVISION_KEY, REVISION_RECHECK_MS, toFtsOrQuery, toFtsPhrases, MAX_KEYWORD_QUERY_TOKENS, KEYWORD_ALL_TOKENS_FIRST, KEYWORD_COMMON_TOKEN_PRUNING } from './sqlite/sqlite-sync-store.ts';
export { createProductStore, wrapSyncStore } from './sqlite/sqlite-store.ts';
export {
  analyzeProduct,
  canonicalProductJson,
  contentHashOfJson,
  productContentHash,
  productFieldTexts,
  storedFieldAnalysis,
} from './product-record.ts';
export * from './keyword/keyword-index.ts';
export {
  createMemoryKeywordIndex,
  createMemoryKeywordIndexFromRows,
  loadMemoryKeywordIndex,
  openMemoryKeywordIndex,
  updateMemoryKeywordIndex,
  KEYWORD_INCREMENTAL_MAX_FRACTION,
  KEYWORD_SAVE_AFTER_FRACTION,
  KEYWORD_MERGE_FRACTION,
  readKeywordIndexRevision,
  readKeywordIndexHeader,
  queryPhrases,
  DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS,
  type MemoryKeywordIndexOptions,
  type LoadKeywordIndexOptions,
  type OpenedKeywordIndex,
  type UpdatedKeywordIndex,
  type UpdateKeywordIndexOptions,
} from './keyword/memory-bm25.ts';
export { fts5Terms } from './keyword/fts5-terms.ts';
