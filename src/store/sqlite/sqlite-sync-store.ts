/**
 * The product store on SQLite (better-sqlite3): one file, WAL journal so readers never block the
 * writer, `synchronous=NORMAL` (a power cut can lose the last commits but never corrupts the file),
 * FTS5 for the keyword index.
 *
 * The keyword index is a contentless FTS5 table (`contentless_delete=1`) whose rowid is the product
 * key: the text is already kept in `products.analyzed`, so FTS5 only stores its inverted index.
 * Its columns hold our analyser's tokens joined by spaces, so FTS5's `unicode61` tokenizer splits
 * exactly where jieba and the English rules did (a Chinese word stays one FTS5 token).
 *
 * The factory composes per-concern modules over one state object (`state.ts`): the file and its
 * schema (`schema.ts`), product writes and reads, keyword search, labels, vectors, upkeep.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { DEFAULT_PRODUCT_STORE_OPTIONS, type ProductStoreOptions, type SyncProductStore } from '../store.ts';
import { exactNearest } from './exact-nearest.ts';
import { documentFrequencies, keywordSearch } from './keyword-search.ts';
import { labelMethods } from './labels.ts';
import { productReads } from './product-reads.ts';
import { productWrites } from './product-writes.ts';
import { openStoreFile } from './schema.ts';
import { createStoreState } from './state.ts';
import { storeUpkeep } from './store-upkeep.ts';
import { vectorMethods } from './vectors.ts';

export { CHANGE_LOG_ID_KEY, PRODUCTS_REVISION_KEY, REVISION_RECHECK_MS } from './schema.ts';
export { MAX_KEYWORD_QUERY_TOKENS, phraseTokens, toFtsOrQuery, toFtsPhrases } from './fts-query.ts';
export { KEYWORD_ALL_TOKENS_FIRST, KEYWORD_COMMON_TOKEN_PRUNING } from './keyword-search.ts';
export { keywordRowFilter } from './exact-nearest.ts';

/**
 * The synchronous SQLite store: the async contract's SQLite implementation (`./sqlite-store.ts`)
 * wraps it, and the in-memory indexes read it directly. Tests of SQLite specifics use it as is.
 */
export function createSqliteSyncStore(options: Partial<ProductStoreOptions> = {}): SyncProductStore {
  rejectUnknownKeys(options, Object.keys(DEFAULT_PRODUCT_STORE_OPTIONS), 'createProductStore');
  const opts: ProductStoreOptions = { ...DEFAULT_PRODUCT_STORE_OPTIONS, ...options };
  const changeLogLimit = opts.changeLogLimit ?? DEFAULT_PRODUCT_STORE_OPTIONS.changeLogLimit;
  if (!Number.isInteger(changeLogLimit) || changeLogLimit < 1) {
    throw createError('INVALID_ARGUMENT', 'changeLogLimit must be a positive integer', { field: 'changeLogLimit', received: String(changeLogLimit) });
  }
  const { db, schemaVersion, hasChangeLog } = openStoreFile(opts);
  const s = createStoreState(db, opts, { schemaVersion, hasChangeLog, changeLogLimit });
  const reads = productReads(s);
  const vectors = vectorMethods(s);
  const pages = { keywordRowsPage: reads.keywordRowsPage, vectorsPage: vectors.vectorsPage };
  return {
    path: opts.path,
    ...productWrites(s),
    ...reads,
    ...vectors,
    ...labelMethods(s),
    ...storeUpkeep(s),
    documentFrequencies: (tokens) => documentFrequencies(s, tokens),
    keywordSearch: (queryTokens, searchOptions) => keywordSearch(s, queryTokens, searchOptions),
    nearestNeighbours: (encoderId, vector, nearestOptions) => exactNearest(pages, encoderId, vector, nearestOptions),
    get inTransaction() {
      return db.inTransaction;
    },
  };
}
