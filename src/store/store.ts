/**
 * The store stage's contract. The store is the system of record: products, their analysed text,
 * a keyword index, pair labels, dense vectors (which double as the embedding cache) and index
 * metadata all live in one database (an embedded SQLite file, or a PostgreSQL database), so one
 * database is one consistent state.
 *
 * The ANN index (`src/store/ann/`) is built from this store and addresses products by the
 * numeric `key` the store gives them (`idToKey` / `keyToId`): keys are never reused, so an ANN
 * index built earlier can never point at a different product after a delete.
 */
import type { Product } from '../catalog/product.ts';
import type { Quantity } from '../text/analyzer.ts';

/** Bump when the on-disk schema changes; `openProductStore` refuses stores from a newer version. */
export const STORE_SCHEMA_VERSION = 1;

/** Text fields the store analyses and keeps tokens for (attributes: values only, keys are noise). */
export const ANALYZED_FIELDS = ['title', 'brand', 'tags', 'category', 'description', 'attributes'] as const;
export type AnalyzedField = (typeof ANALYZED_FIELDS)[number];

/** What the analyser extracted from one field besides its tokens (empty lists left out). */
export interface FieldFacts {
  modelNumbers?: string[];
  quantities?: Quantity[];
  sizes?: string[];
}

/** What the text analyser made of one product, field by field; kept so later stages need not re-analyse. */
export interface AnalyzedProduct {
  tokens: Record<AnalyzedField, string[]>;
  /**
   * Title and description facts per field, so a product's representation is rebuilt from the store
   * without analysing its text again (jieba on title + description was ~75 µs of the ~120 µs it
   * takes to represent a candidate). Absent in stores written before it existed.
   */
  fieldFacts?: { title: FieldFacts; description?: FieldFacts };
  /** Union over all fields, in first-seen order, deduplicated. */
  modelNumbers: string[];
  quantities: Quantity[];
  sizes: string[];
}

/**
 * BM25 column weights of the keyword index. A title hit says more about what a product is than a
 * description hit; brand and category hits are strong but short fields; tags sit between.
 * They are visible so a ranking can be explained and tuned.
 */
export const KEYWORD_COLUMN_WEIGHTS = {
  title: 4.0,
  brand: 3.0,
  tags: 2.0,
  category: 2.0,
  description: 1.0,
  attributes: 1.5,
} as const satisfies Record<AnalyzedField, number>;

export type UpsertStatus = 'added' | 'updated' | 'unchanged';

export interface UpsertItem {
  product: Product;
  analyzed: AnalyzedProduct;
}

export interface UpsertOptions {
  reindex?: boolean;
}

export interface UpsertResult {
  id: string;
  key: number;
  status: UpsertStatus;
  contentHash: string;
}

export interface StoredProduct {
  product: Product;
  key: number;
  contentHash: string;
  /** Milliseconds since the epoch of the last write that changed the product. */
  updatedAt: number;
}

export interface KeywordFilter {
  /** Category path prefix by whole levels: `服装/女装` matches `服装/女装/连衣裙`, not `服装/女装鞋`. */
  categoryPrefix?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  /**
   * Products whose brand is one of these, compared after `brandColumnValue` (trimmed, lower case): the
   * values of `KeywordIndex.brands()`. An empty set matches nothing. Brand aliases (苹果 ≡ Apple) are
   * the caller's: it passes every raw brand that should match.
   */
  brandIn?: ReadonlySet<string>;
}

/** The form a brand is compared in by `KeywordFilter.brandIn` and listed by `KeywordIndex.brands()`; null when empty. */
export function brandColumnValue(brand: string | null | undefined): string | null {
  if (typeof brand !== 'string') return null;
  const b = brand.trim().toLowerCase();
  return b.length > 0 ? b : null;
}

/**
 * Default length of the product change log (`ProductStore.changesSince`): older rows are trimmed once
 * the log is 10 % longer than this. An index saved more than this many product writes ago is rebuilt
 * instead of updated (the cost of a full rebuild is then small next to the writes it missed).
 */
export const DEFAULT_CHANGE_LOG_LIMIT = 1_000_000;

/** One row of the product change log: the product under `key` was written (added, updated, re-indexed) or deleted. */
export interface ProductChange {
  seq: number;
  key: number;
  op: 'upsert' | 'delete';
}

/** A position in a store's product change log: what a follower of the log (an index, a cache) has taken in. */
export interface ChangeLogPosition {
  changeLogId: string;
  changeSeq: number;
}

/** The store's log position now. */
export async function changeLogPosition(store: Pick<ProductStore, 'changeLogId' | 'changeSeq'>): Promise<ChangeLogPosition> {
  return { changeLogId: await store.changeLogId(), changeSeq: await store.changeSeq() };
}

/**
 * The changes after a position: undefined when there is none, it was taken on another log (another
 * store, or one re-created), the store has no log, or the log no longer reaches back to it. A
 * follower then starts over from the whole store.
 */
export async function changesAfter(store: Pick<ProductStore, 'changeLogId' | 'changesSince'>, position: ChangeLogPosition | undefined): Promise<ProductChange[] | undefined> {
  if (!position || position.changeLogId === '' || position.changeLogId !== (await store.changeLogId())) return undefined;
  return store.changesSince(position.changeSeq);
}

/** The keys these changes added or updated, once each (deleted keys left out). */
export function upsertedKeys(changes: readonly ProductChange[]): number[] {
  return [...new Set(changes.filter((c) => c.op === 'upsert').map((c) => c.key))];
}

export interface KeywordSearchOptions {
  k: number;
  filter?: KeywordFilter;
  /**
   * `any` (default): a product matches with one query token, ranked by bm25 over all tokens
   * (products with every token are looked up first: see `KEYWORD_ALL_TOKENS_FIRST`).
   * `all`: only products with every token.
   */
  match?: 'any' | 'all';
  /**
   * `words` (default): the analyser's tokens as they are. `hanNgrams`: the second granularity,
   * Chinese character unigrams and bigrams (`hanNgramTokens` of the query tokens against the same
   * n-grams of every product's tokens), so a query segmented unlike the title still matches.
   * The caller passes the analyser's tokens either way.
   */
  granularity?: 'words' | 'hanNgrams';
}

export interface KeywordHit {
  id: string;
  key: number;
  /** Negated SQLite bm25 with `KEYWORD_COLUMN_WEIGHTS`: higher is better, not bounded. */
  score: number;
}

/** A human or derived judgement on a pair of products (1 = same product, 0 = different; graded values allowed). */
export interface PairLabel {
  leftId: string;
  rightId: string;
  label: number;
  /** Where it came from: `manual`, a benchmark name, a file… One label per (left, right, source). */
  source: string;
  /** Milliseconds since the epoch; filled in when absent. */
  createdAt?: number;
}

export interface StoredVector {
  id: string;
  key: number;
  contentHash: string;
  vector: Float32Array;
}

export interface VectorInput {
  id: string;
  /** The content hash the vector was computed from (the cache key together with the encoder id). */
  contentHash: string;
  vector: Float32Array;
}

export interface StoreStats {
  path: string;
  schemaVersion: number;
  products: number;
  labels: number;
  /** Per encoder id: number of stored vectors and their dimension. */
  vectors: Record<string, { count: number; dimension: number }>;
  /** Database file plus write-ahead log, in bytes. */
  sizeBytes: number;
  bytesPerProduct: number;
}

/**
 * The store contract: every call returns a Promise, so one contract serves an embedded database
 * (SQLite, `./sqlite/`) and a server (PostgreSQL with pgvector, optionally sharded by Citus,
 * `./postgres/`). Where retrieval runs is the store's to say: an embedded store hands the
 * in-process indexes a synchronous view of itself (`localIndexSource`), a server store answers
 * nearest-neighbour and keyword queries inside the database (`retrieval: 'database'`).
 */
export interface ProductStore {
  /** The SQLite file, or the server URL without its password. */
  readonly path: string;
  /**
   * `memory`: keyword BM25 and ANN run in process memory over `localIndexSource` (SQLite).
   * `database`: `keywordSearch` and `nearestNeighbours` run in the database; no process holds the catalog.
   */
  readonly retrieval: 'memory' | 'database';
  /** A synchronous view of the store for in-process indexes; only when `retrieval` is `memory`. */
  readonly localIndexSource?: LocalIndexSource;
  /** Shared state of batch jobs that several processes work on together (PostgreSQL only). */
  readonly pairJobs?: PairJobStore;
  /**
   * One transaction for the whole batch; the last item wins when an id repeats within a batch.
   * The content hash decides: an unchanged product is not written, unless `reindex` asks to rewrite
   * its analysed text and keyword-index row (after an analyser change; its status stays `unchanged`).
   */
  upsertProducts(batch: readonly UpsertItem[], options?: UpsertOptions): Promise<UpsertResult[]>;
  /** Deletes products with their analysed text, keyword-index rows and vectors; returns how many existed. */
  deleteProducts(ids: readonly string[]): Promise<number>;
  getProduct(id: string): Promise<StoredProduct | undefined>;
  /** In the order asked; ids not found are left out. */
  getProducts(ids: readonly string[]): Promise<StoredProduct[]>;
  /** `getProducts` with each product's stored analysis, in one read. */
  getAnalyzedProducts(ids: readonly string[]): Promise<(StoredProduct & { analyzed: AnalyzedProduct })[]>;
  /** `getAnalyzedProducts` by the products' integer keys (index hits carry them). In key order; keys not found are left out. */
  getAnalyzedProductsByKeys(keys: readonly number[]): Promise<(StoredProduct & { analyzed: AnalyzedProduct })[]>;
  getAnalyzed(id: string): Promise<AnalyzedProduct | undefined>;
  /** Current content hash of each id that exists (for skipping unchanged records before analysis). */
  contentHashes(ids: readonly string[]): Promise<Map<string, string>>;
  /**
   * Streams all products in key order without holding them in memory (`withAnalyzed` adds the
   * analysed text). Read in pages by key, so the store can be used (and written) while iterating;
   * a product written meanwhile may or may not be seen.
   */
  iterateProducts(options?: { withAnalyzed?: boolean }): AsyncIterableIterator<StoredProduct & { analyzed?: AnalyzedProduct }>;
  /** Streams, in key order, what a keyword index is built from (no product JSON); paged like `iterateProducts`. */
  iterateKeywordRows(): AsyncIterableIterator<KeywordRow>;
  count(): Promise<number>;
  /**
   * The store's content revision: an opaque value persisted in the store and changed in the same
   * transaction as any product insert, update, re-index or delete (not by reads, labels, vectors or
   * meta). Caches of store content record it, so any process can tell they are stale.
   */
  revision(): Promise<string>;
  /**
   * The product change log, appended in the same transaction as every product write: an insert,
   * update or re-index is an `upsert` of the product's key (an update keeps the key), a delete a
   * `delete`. Rows after `seq`, oldest first; undefined when the log does not reach back to `seq`
   * (trimmed: see `changeLogLimit`), when `seq` is ahead of the log, or when the store has no log.
   */
  changesSince(seq: number): Promise<ProductChange[] | undefined>;
  /** The last change's seq (0 before the first logged write). */
  changeSeq(): Promise<number>;
  /** Identifies this store's change log (a random value made with the log); empty when the store has no log. */
  changeLogId(): Promise<string>;
  /** `iterateKeywordRows` for the given keys only (keys that do not exist are left out), in key order. */
  keywordRowsOf(keys: readonly number[]): Promise<KeywordRow[]>;
  /**
   * Each product's canonical model numbers from its stored analysis, in key order; all products, or
   * those of `keys` (missing keys left out). Products without a model number are listed too.
   */
  modelNumbersOf(keys?: readonly number[]): Promise<ProductModelNumbers[]>;
  idToKey(id: string): Promise<number | undefined>;
  keyToId(key: number): Promise<string | undefined>;
  /** Batch forms, aligned with the input (`undefined` where unknown). */
  idsToKeys(ids: readonly string[]): Promise<(number | undefined)[]>;
  keysToIds(keys: readonly number[]): Promise<(string | undefined)[]>;
  /** In how many products each token occurs in the store's keyword index (for IDF weights and query pruning). */
  documentFrequencies(tokens: readonly string[]): Promise<Map<string, number>>;
  /** Keyword retrieval inside the database, over the analysed tokens, weighted by `KEYWORD_COLUMN_WEIGHTS`. */
  keywordSearch(queryTokens: readonly string[], options: KeywordSearchOptions): Promise<KeywordHit[]>;
  /**
   * The k products whose current vector of the encoder is nearest (cosine) to `vector`, passing the
   * filter, without `excludeIds`; best first. Inside the database (PostgreSQL: the HNSW index with
   * the filter in the same query; SQLite: an exact scan, for tools and tests; the engine's SQLite
   * path uses the in-memory ANN index instead).
   */
  nearestNeighbours(encoderId: string, vector: Float32Array, options: NearestNeighboursOptions): Promise<NeighbourRow[]>;
  /** The distinct brands of the products, as `brandColumnValue` gives them (for alias-aware brand filters). */
  brands(): Promise<string[]>;

  putLabels(labels: readonly PairLabel[]): Promise<number>;
  getLabels(options?: { source?: string; id?: string }): Promise<PairLabel[]>;
  deleteLabels(options?: { source?: string }): Promise<number>;
  countLabels(source?: string): Promise<number>;

  /** Stores vectors for products (replacing that encoder's previous vector of each product). */
  putVectors(encoderId: string, vectors: readonly VectorInput[]): Promise<void>;
  /**
   * Builds the indexes bulk writes left for later (PostgreSQL: the HNSW index of a vector dimension
   * first written in bulk is built once after the load, not row by row); without them queries are
   * answered, only slower. Idempotent. The catalog refresh calls it after its encode pass. Absent on
   * stores that keep every index up to date as they write.
   */
  buildDeferredIndexes?(): Promise<void>;
  /** The product's vector, only if it was computed from the product's current content. */
  getVector(encoderId: string, id: string): Promise<Float32Array | undefined>;
  /** `getVector` for many products in one read: the ids with a current vector of the encoder. */
  getVectors(encoderId: string, ids: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Encoder ids that have a current vector of this product. */
  vectorEncodersOf(id: string): Promise<string[]>;
  /** Embedding cache: any stored vector of that encoder computed from content with this hash. */
  getCachedVector(encoderId: string, contentHash: string): Promise<Float32Array | undefined>;
  /** Which of these content hashes already have a vector for the encoder. */
  cachedHashes(encoderId: string, contentHashes: readonly string[]): Promise<Set<string>>;
  /** Streams the current (not stale) vectors of an encoder in key order; paged like `iterateProducts`. */
  vectorsFor(encoderId: string): AsyncIterableIterator<StoredVector>;
  /** Deletes every vector of an encoder (one no longer used, e.g. a superseded text space); returns how many. */
  deleteEncoderVectors(encoderId: string): Promise<number>;
  /** Gives the space of deleted rows back (SQLite VACUUM, PostgreSQL VACUUM of the store's tables; not inside a transaction). */
  compact(): Promise<void>;
  /**
   * Products without a current vector of the encoder (new, changed since encoded, or never encoded
   * by it), in key order: what a refresh must encode. All products, or only those of `keys`.
   */
  productsWithoutVector(encoderId: string, keys?: readonly number[]): Promise<{ id: string; key: number; contentHash: string }[]>;

  /**
   * Runs `fn` in one transaction: store calls made inside `fn` (found through the async context, so
   * `fn` need not pass a handle) join it; nested calls become savepoints. Lets a caller commit
   * products and their vectors together, so a crash leaves both or neither. Other callers' calls on
   * the same handle do not join it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/**
 * A pair job (a dedup of the store run by several worker processes) kept in the database. Its
 * products are cut into blocks of consecutive keys; each block is claimed by one worker at a time
 * (`SELECT … FOR UPDATE SKIP LOCKED`, held until the block's results commit: a worker that dies
 * leaves the block to the next one and none of its results). Phase `block` writes each block's
 * candidate pairs, an unordered pair once (keyed by its lower and higher product key); phase `score`
 * starts when every block is blocked, and scores the pairs whose lower key is in the block, so
 * every pair is scored by exactly one worker.
 */
export interface PairJobStore {
  createJob(spec: { kind: string; options: unknown; revision: string; products: number; blocks: readonly { lo: number; hi: number }[] }): Promise<string>;
  getJob(id: string): Promise<PairJob | undefined>;
  /** The next free block of the phase: `wait` while others still hold blocks of an earlier phase (or of this one), `done` when the phase is finished. */
  claim(id: string, phase: PairJobPhase, worker: string): Promise<PairJobClaim | 'wait' | 'done'>;
  /** Scored pairs at or above the threshold, by lower key, higher key. */
  scoredPairs(id: string, minScore: number): Promise<ScoredJobPair[]>;
  /** Pair rows, how many were scored, and how many times at most one was (1 when no pair was scored twice), by worker. */
  pairCounts(id: string): Promise<{ pairs: number; scored: number; maxScoredTimes: number; byWorker: Record<string, number> }>;
  deleteJob(id: string): Promise<void>;
}

export type PairJobPhase = 'block' | 'score';

export interface PairJob {
  id: string;
  kind: string;
  options: unknown;
  /** The store revision the job was made for: workers refuse a store that changed since. */
  revision: string;
  products: number;
  blocks: number;
  /** Blocks done per phase. */
  done: Record<PairJobPhase, number>;
  /** Per-block figures the workers reported, summed. */
  stats: Record<string, number>;
}

/** A candidate pair: `fromLow` when the lower key's product found the higher one (it is then scored from the lower side). */
export interface JobPair {
  lo: number;
  hi: number;
  fromLow: boolean;
}

export interface ScoredJobPair extends JobPair {
  score: number;
  /** Whether the scored fields conflict (different products). */
  conflict: boolean;
}

export interface PairJobClaim {
  readonly block: number;
  /** Product keys of the block, inclusive. */
  readonly lo: number;
  readonly hi: number;
  /** Phase `score`: the pairs whose lower key is in the block. */
  pairs(): Promise<JobPair[]>;
  /** Writes the block's results and frees its lock in one transaction. */
  complete(result: { pairs?: readonly JobPair[]; scores?: readonly ScoredJobPair[]; stats?: Record<string, number> }): Promise<void>;
  /** Gives the block back unfinished (nothing of it is written). */
  abandon(): Promise<void>;
}

export interface NearestNeighboursOptions {
  k: number;
  filter?: KeywordFilter;
  excludeIds?: ReadonlySet<string>;
}

export interface NeighbourRow {
  id: string;
  key: number;
  /** Cosine similarity (1 − cosine distance). */
  similarity: number;
}

/**
 * What the in-process indexes (`./keyword/`, `./ann/`, the model-number lookup) read from an
 * embedded store, synchronously: they check the revision on every query (~µs) and build from the
 * change log and the rows.
 */
export type LocalIndexSource = Pick<
  SyncProductStore,
  | 'revision'
  | 'changeSeq'
  | 'changeLogId'
  | 'changesSince'
  | 'iterateKeywordRows'
  | 'keywordRowsOf'
  | 'modelNumbersOf'
  | 'transaction'
  | 'count'
  | 'vectorsFor'
  | 'keysToIds'
  | 'getVector'
>;

/**
 * The SQLite store's synchronous core: the async contract (`ProductStore`) wraps it, and the
 * in-memory indexes read it directly (`LocalIndexSource`), since they check the store's revision
 * on every query. Same documentation as `ProductStore`, returning values instead of Promises.
 */
export interface SyncProductStore {
  readonly path: string;
  upsertProducts(batch: readonly UpsertItem[], options?: UpsertOptions): UpsertResult[];
  deleteProducts(ids: readonly string[]): number;
  getProduct(id: string): StoredProduct | undefined;
  getProducts(ids: readonly string[]): StoredProduct[];
  getAnalyzedProducts(ids: readonly string[]): (StoredProduct & { analyzed: AnalyzedProduct })[];
  getAnalyzedProductsByKeys(keys: readonly number[]): (StoredProduct & { analyzed: AnalyzedProduct })[];
  getAnalyzed(id: string): AnalyzedProduct | undefined;
  contentHashes(ids: readonly string[]): Map<string, string>;
  iterateProducts(options?: { withAnalyzed?: boolean }): IterableIterator<StoredProduct & { analyzed?: AnalyzedProduct }>;
  iterateKeywordRows(): IterableIterator<KeywordRow>;
  count(): number;
  revision(): string;
  changesSince(seq: number): ProductChange[] | undefined;
  changeSeq(): number;
  changeLogId(): string;
  keywordRowsOf(keys: readonly number[]): KeywordRow[];
  modelNumbersOf(keys?: readonly number[]): ProductModelNumbers[];
  idToKey(id: string): number | undefined;
  keyToId(key: number): string | undefined;
  idsToKeys(ids: readonly string[]): (number | undefined)[];
  keysToIds(keys: readonly number[]): (string | undefined)[];
  documentFrequencies(tokens: readonly string[]): Map<string, number>;
  keywordSearch(queryTokens: readonly string[], options: KeywordSearchOptions): KeywordHit[];

  putLabels(labels: readonly PairLabel[]): number;
  getLabels(options?: { source?: string; id?: string }): PairLabel[];
  deleteLabels(options?: { source?: string }): number;
  countLabels(source?: string): number;

  putVectors(encoderId: string, vectors: readonly VectorInput[]): void;
  getVector(encoderId: string, id: string): Float32Array | undefined;
  vectorEncodersOf(id: string): string[];
  getCachedVector(encoderId: string, contentHash: string): Float32Array | undefined;
  cachedHashes(encoderId: string, contentHashes: readonly string[]): Set<string>;
  vectorsFor(encoderId: string): IterableIterator<StoredVector>;
  deleteEncoderVectors(encoderId: string): number;
  compact(): void;
  productsWithoutVector(encoderId: string, keys?: readonly number[]): { id: string; key: number; contentHash: string }[];

  transaction<T>(fn: () => T): T;

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  stats(): StoreStats;
  close(): void;

  /** Pages of `iterateProducts` / `iterateKeywordRows` / `vectorsFor`: rows with key > `afterKey`, in key order. */
  productsPage(afterKey: number, limit: number, withAnalyzed: boolean): (StoredProduct & { analyzed?: AnalyzedProduct })[];
  keywordRowsPage(afterKey: number, limit: number): KeywordRow[];
  vectorsPage(encoderId: string, afterKey: number, limit: number): StoredVector[];
  /** Exact cosine scan over the encoder's current vectors (see `ProductStore.nearestNeighbours`). */
  nearestNeighbours(encoderId: string, vector: Float32Array, options: NearestNeighboursOptions): NeighbourRow[];
  brands(): string[];
  /** Runs SQL without results (transaction control for the async wrapper). */
  exec(sql: string): void;
  readonly inTransaction: boolean;
}

/** A product's model numbers as the analyser found them (`ProductStore.modelNumbersOf`). */
export interface ProductModelNumbers {
  key: number;
  id: string;
  modelNumbers: string[];
}

/**
 * One product row as the keyword index needs it (`iterateKeywordRows`): the filter columns and the
 * analysed tokens, without the product JSON.
 */
export interface KeywordRow {
  key: number;
  id: string;
  /** Category levels joined by `/` (as stored for filtering), or null. */
  category: string | null;
  price: number | null;
  inStock: boolean | null;
  /** `product.brand` as stored (not normalised), or null; absent in rows made without it. */
  brand?: string | null;
  tokens: AnalyzedProduct['tokens'];
}

export interface ProductStoreOptions {
  /** Database file; `:memory:` for a throw-away store. Parent folders are created. */
  path: string;
  readonly?: boolean;
  /** Rows the product change log keeps (older ones are trimmed, in steps of a tenth of this). */
  changeLogLimit?: number;
}

/** Where the engine, the CLI (`--store`, env PRODSIM_STORE) and the store itself keep products by default. */
export const DEFAULT_STORE_PATH = './.prodsim/store.db';

export const DEFAULT_PRODUCT_STORE_OPTIONS = {
  path: DEFAULT_STORE_PATH,
  readonly: false,
  changeLogLimit: DEFAULT_CHANGE_LOG_LIMIT,
} as const satisfies ProductStoreOptions;

/** Every item of an async iterable (a store stream) in one array; for small stores, tools and tests (Node 20 has no `Array.fromAsync`). */
export async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
