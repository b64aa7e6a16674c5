/**
 * The store contract on SQLite: the synchronous core (`./sqlite-sync-store.ts`) behind Promises.
 * Calls run at once and resolve in a microtask (no thread hop), so the hot paths cost what they did.
 * Retrieval stays in process memory: the keyword and ANN indexes read the core directly
 * (`localIndexSource`) and check its revision on every query without awaiting.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hanNgramTokens } from '../../text/han-ngrams.ts';
import type { KeywordIndex } from '../keyword/keyword-index.ts';
import { createMemoryKeywordIndex, updateMemoryKeywordIndex } from '../keyword/memory-bm25.ts';
import { storeWithRewrittenTokens } from '../keyword/token-view.ts';
import type { KeywordHit, KeywordSearchOptions, ProductStore, ProductStoreOptions, SyncProductStore } from '../store.ts';
import { createSqliteSyncStore } from './sqlite-sync-store.ts';

/** Rows per page of the streaming reads (`iterateProducts`, `iterateKeywordRows`, `vectorsFor`). */
export const SQLITE_PAGE_ROWS = 1_000;

async function* pages<T extends { key: number }>(page: (afterKey: number) => T[]): AsyncIterableIterator<T> {
  for (let after = 0; ; ) {
    const rows = page(after);
    if (rows.length === 0) return;
    yield* rows;
    after = rows[rows.length - 1]!.key;
  }
}

export function createProductStore(options: Partial<ProductStoreOptions> = {}): ProductStore {
  return wrapSyncStore(createSqliteSyncStore(options));
}

/** The async contract over a synchronous SQLite store. */
export function wrapSyncStore(sync: SyncProductStore): ProductStore {
  /** Savepoint depth of the transaction the current async context runs in. */
  const context = new AsyncLocalStorage<number>();
  /** Outermost transactions of this handle run one after another (one SQLite connection). */
  let queue: Promise<unknown> = Promise.resolve();
  /** An outermost transaction is open (between BEGIN and COMMIT/ROLLBACK). */
  let open = false;

  /**
   * A write from outside the open transaction waits for it, so it does not land inside another
   * caller's transaction (and roll back with it). Reads do not wait: the connection reads its own
   * uncommitted rows, as one connection does.
   */
  async function write<T>(fn: () => T): Promise<T> {
    if (open && context.getStore() === undefined) return transaction(async () => fn());
    return fn();
  }

  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    const depth = context.getStore();
    if (depth !== undefined) {
      const name = `prodsim_sp${depth + 1}`;
      sync.exec(`SAVEPOINT ${name}`);
      try {
        const result = await context.run(depth + 1, fn);
        sync.exec(`RELEASE ${name}`);
        return result;
      } catch (e) {
        // Clean up and rethrow: back to the savepoint, then the error goes on.
        sync.exec(`ROLLBACK TO ${name}`);
        sync.exec(`RELEASE ${name}`);
        throw e;
      }
    }
    const previous = queue;
    let done!: () => void;
    queue = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      sync.exec('BEGIN');
      open = true;
      try {
        const result = await context.run(0, fn);
        sync.exec('COMMIT');
        return result;
      } catch (e) {
        // Clean up and rethrow: the transaction is rolled back, then the error goes on.
        if (sync.inTransaction) sync.exec('ROLLBACK');
        throw e;
      }
    } finally {
      open = false;
      done();
    }
  }

  /**
   * `keywordSearch({ granularity: 'hanNgrams' })`: SQLite keeps no n-gram table, so an in-memory
   * BM25 index over the n-grams of the stored tokens answers it, built on first use and brought up
   * to date from the change log when the store's revision moved (the engine's own in-memory index,
   * `tasks/catalog-index.ts`, does the same with a file; this one serves direct store callers).
   */
  let hanIndex: KeywordIndex | undefined;
  const hanView = storeWithRewrittenTokens(sync, (tokens) => hanNgramTokens(tokens));
  function hanNgramSearch(tokens: readonly string[], options: KeywordSearchOptions): KeywordHit[] {
    if (!hanIndex) hanIndex = createMemoryKeywordIndex(hanView);
    else if (!hanIndex.isCurrent(hanView)) hanIndex = updateMemoryKeywordIndex(hanIndex, hanView).index;
    const { k, filter, match } = options;
    return hanIndex.search(hanNgramTokens(tokens), { k, ...(filter ? { filter } : {}), ...(match ? { match } : {}) });
  }

  return {
    path: sync.path,
    retrieval: 'memory',
    localIndexSource: sync,
    upsertProducts: (batch, options) => write(() => sync.upsertProducts(batch, options)),
    deleteProducts: (ids) => write(() => sync.deleteProducts(ids)),
    getProduct: async (id) => sync.getProduct(id),
    getProducts: async (ids) => sync.getProducts(ids),
    getAnalyzedProducts: async (ids) => sync.getAnalyzedProducts(ids),
    getAnalyzedProductsByKeys: async (keys) => sync.getAnalyzedProductsByKeys(keys),
    getAnalyzed: async (id) => sync.getAnalyzed(id),
    contentHashes: async (ids) => sync.contentHashes(ids),
    iterateProducts: (options = {}) => pages((after) => sync.productsPage(after, SQLITE_PAGE_ROWS, options.withAnalyzed ?? false)),
    iterateKeywordRows: () => pages((after) => sync.keywordRowsPage(after, SQLITE_PAGE_ROWS)),
    count: async () => sync.count(),
    revision: async () => sync.revision(),
    changesSince: async (seq) => sync.changesSince(seq),
    changeSeq: async () => sync.changeSeq(),
    changeLogId: async () => sync.changeLogId(),
    keywordRowsOf: async (keys) => sync.keywordRowsOf(keys),
    modelNumbersOf: async (keys) => sync.modelNumbersOf(keys),
    idToKey: async (id) => sync.idToKey(id),
    keyToId: async (key) => sync.keyToId(key),
    idsToKeys: async (ids) => sync.idsToKeys(ids),
    keysToIds: async (keys) => sync.keysToIds(keys),
    documentFrequencies: async (tokens) => sync.documentFrequencies(tokens),
    keywordSearch: async (tokens, options) => (options.granularity === 'hanNgrams' ? hanNgramSearch(tokens, options) : sync.keywordSearch(tokens, options)),
    nearestNeighbours: async (encoderId, vector, options) => sync.nearestNeighbours(encoderId, vector, options),
    brands: async () => sync.brands(),
    putLabels: (labels) => write(() => sync.putLabels(labels)),
    getLabels: async (options) => sync.getLabels(options),
    deleteLabels: (options) => write(() => sync.deleteLabels(options)),
    countLabels: async (source) => sync.countLabels(source),
    putVectors: (encoderId, vectors) => write(() => sync.putVectors(encoderId, vectors)),
    getVector: async (encoderId, id) => sync.getVector(encoderId, id),
    async getVectors(encoderId, ids) {
      const out = new Map<string, Float32Array>();
      for (const id of ids) {
        const v = sync.getVector(encoderId, id);
        if (v) out.set(id, v);
      }
      return out;
    },
    vectorEncodersOf: async (id) => sync.vectorEncodersOf(id),
    getCachedVector: async (encoderId, hash) => sync.getCachedVector(encoderId, hash),
    cachedHashes: async (encoderId, hashes) => sync.cachedHashes(encoderId, hashes),
    vectorsFor: (encoderId) => pages((after) => sync.vectorsPage(encoderId, after, SQLITE_PAGE_ROWS)),
    deleteEncoderVectors: (encoderId) => write(() => sync.deleteEncoderVectors(encoderId)),
    compact: async () => sync.compact(),
    productsWithoutVector: async (encoderId, keys) => sync.productsWithoutVector(encoderId, keys),
    transaction,
    getMeta: async (key) => sync.getMeta(key),
    setMeta: (key, value) => write(() => sync.setMeta(key, value)),
    stats: async () => sync.stats(),
    close: async () => sync.close(),
  };
}
