/**
 * The library API: one object over a store that ingests catalogs and answers every application.
 * CLI and HTTP server are thin shells over it (through the task registry in `tasks.ts`).
 *
 *   const engine = await createEngine({ storePath: './shop.db' });
 *   await engine.ingest('catalog.jsonl');
 *   const { items } = await engine.similar({ id: 'p1', k: 5 });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Product } from '../catalog/product.ts';
import type { ReadCatalogOptions } from '../catalog/catalog.ts';
import type { DenseEncoder } from '../encoders/encoder.ts';
import { createGloveEncoder, DEFAULT_GLOVE_ENCODER_OPTIONS } from '../encoders/glove/glove-encoder.ts';
import { createCatalogAwareEncoder } from '../encoders/catalog-vectors/catalog-aware-encoder.ts';
import { createImageFeatureExtractor, type ImageFetch } from '../encoders/image/features.ts';
import { analyzeProduct } from '../store/product-record.ts';
import { DEFAULT_STORE_PATH, type UpsertResult } from '../store/store.ts';
import { createError, rejectUnknownKeys } from '../errors.ts';
import { defined } from '../defined.ts';
import { isPostgresUrl, openStore } from '../store/open-store.ts';
import type { ProductStore, StoreStats } from '../store/store.ts';
import type { AnnQuantization } from '../store/ann/ann-index.ts';
import { createTextAnalyzer } from '../text/text-analyzer.ts';
import type { TextAnalyzer, TextAnalyzerOptions } from '../text/analyzer.ts';
import { createCatalogIndex, type CatalogIndex, type RefreshProgress, type RefreshSummary } from '../tasks/catalog-index.ts';
import { refreshImageFeatures, storedImageFeatures, type ImageRefreshSummary } from '../tasks/image-features.ts';
import { ingestCatalog, type IngestProgress, type IngestSummary } from '../tasks/ingest.ts';
import { priceReference, type PriceReference, type PriceReferenceOptions } from '../tasks/price-reference.ts';
import { coldStartNeighbours, recommend, type ColdStartOptions, type RecommendOptions, type RecommendResult } from '../tasks/recommend.ts';
import { searchProducts, type PairScorer, type SearchOptions, type SearchResult } from '../tasks/search.ts';
import { findSimilar, type SimilarOptions, type SimilarResult } from '../tasks/similar.ts';
import type { ScoredProduct, ProductSummary } from '../tasks/result-item.ts';
import { findDuplicates, matchCatalogs, type DuplicateGroup, type MatchOptions, type MatchResult } from '../tasks/match.ts';
import { createStoreDedupJob, finishStoreDedupJob, findStoreDuplicates, runStoreDedupWorker, type StoreDedupJobOptions, type StoreDedupOnlyOptions, type StoreDedupResult, type StoreDedupWorkerOptions } from '../tasks/store-dedup.ts';
import { loadCatalog } from '../catalog/catalog-summary.ts';
import { loadLearnedMatcher, type LearnedScorer } from '../tasks/learned-matcher.ts';
import { groupTags, tagSimilarity, type TagGroup, type TagGroupsOptions, type TagPairScore, type TagSimilarityOptions } from '../tasks/tags.ts';
import type { RecordIssue } from '../catalog/catalog.ts';
import { inspectText, type TextInspection } from '../tasks/inspect-text.ts';
import { readJudgmentFile, trainRanker, type TrainRankerOptions, type TrainRankerResult } from '../tasks/train-ranker.ts';
import type { RelevanceJudgment } from '../catalog/judgments.ts';
import { removeSupersededTextVectors } from '../tasks/text-space.ts';
import {
  applyMatcherTask,
  evalMatcherTask,
  trainMatcherTask,
  type ApplyMatcherTaskInput,
  type ApplyMatcherTaskResult,
  type EvalMatcherTaskInput,
  type EvalMatcherTaskResult,
  type LabelledPairSource,
  type TrainMatcherTaskInput,
  type TrainMatcherTaskResult,
} from '../tasks/matcher-training.ts';
import type { TrainingStage } from '../learning/matcher.ts';
import { recordAnalysisVersion, storedAnalysis } from '../tasks/analysis-version.ts';

/** A catalog given to a job: a file (CSV/JSON/JSONL) or products in memory. */
export type CatalogSource = string | readonly Product[];

/** What a dedup job keeps of its options (plain values: worker processes read them back). */
export interface DedupJobInput {
  threshold?: number;
  blockK?: number;
  profile?: string;
  /** A matcher model file from `prodsim train`, read by every worker. */
  model?: string;
}

export interface EngineMatchResult extends MatchResult {
  issues: RecordIssue[];
}

export interface EngineOptions {
  /**
   * Where the store is: a SQLite file (like `storePath`) or a PostgreSQL URL (`postgres://…`, pgvector;
   * retrieval then runs in the database). Wins over `storePath` when given.
   */
  store: string | undefined;
  /** PostgreSQL, first open of an empty database: distribute the product tables with Citus. */
  distributed: boolean;
  /** SQLite file of the store; `:memory:` for a throw-away engine. */
  storePath: string;
  /** Where converted GloVe / CEDICT tables are cached (shared by all stores of a machine). */
  cacheDir: string;
  /** The dense text encoder: default GloVe + CC-CEDICT SIF ⊕ catalog-trained vectors, fitted on the catalog. */
  textEncoder: DenseEncoder<string> | undefined;
  /** Optional (query, text) scorer for `search` with `rerank: 'cross-encoder'`. */
  crossEncoder: PairScorer | undefined;
  /** Compute colour histograms and perceptual hashes of product images (sharp). */
  images: boolean;
  analyzer: Partial<TextAnalyzerOptions>;
  quantization: AnnQuantization;
  readonly: boolean;
  /** How image URLs are fetched; without it URLs are refused (the library opens no connection itself). */
  imageFetch: ImageFetch | undefined;
  /**
   * A matcher model file from `prodsim train`: the scorer of similar, substitutes, match and dedup,
   * and what recommend leaves out as already in the history (each call may name another with `model`). Without one they rank by the fused profile.
   */
  model: string | undefined;
  /**
   * Told the progress when opening re-encodes the catalog because its vectors are not this text
   * space's (a store written by an older version): a minute at 100k products, an hour at 1M.
   */
  onOpenRefresh: ((p: RefreshProgress) => void) | undefined;
}

export const DEFAULT_ENGINE_OPTIONS = {
  storePath: DEFAULT_STORE_PATH,
  store: undefined,
  distributed: false,
  cacheDir: DEFAULT_GLOVE_ENCODER_OPTIONS.cacheDir,
  textEncoder: undefined,
  crossEncoder: undefined,
  images: true,
  analyzer: {},
  quantization: 'f16',
  readonly: false,
  imageFetch: undefined,
  model: undefined,
  onOpenRefresh: undefined,
} as const satisfies EngineOptions;

/** A trained matcher file to score with instead of the fused profile (see `EngineOptions.model`). */
export interface ModelOption {
  model?: string | undefined;
}

export interface EngineIngestOptions {
  readOptions: Partial<ReadCatalogOptions>;
  batchSize: number;
  force: boolean;
  onProgress: ((p: IngestProgress) => void) | undefined;
  onRefreshProgress: ((p: RefreshProgress) => void) | undefined;
  /** Refit the text space on the catalog even if it drifted little. */
  refit: boolean;
}

export interface EngineIngestSummary extends IngestSummary {
  representations: RefreshSummary;
  images: ImageRefreshSummary | undefined;
}

export interface Engine {
  readonly options: Readonly<EngineOptions>;
  readonly store: ProductStore;
  readonly catalog: CatalogIndex;
  ingest(file: string, options?: Partial<EngineIngestOptions>): Promise<EngineIngestSummary>;
  /** Brings vectors, image features and the ANN index up to date with the store. */
  refresh(options?: { refit?: boolean; onProgress?: (p: RefreshProgress) => void }): Promise<{ representations: RefreshSummary; images: ImageRefreshSummary | undefined }>;
  /** Writes validated products in one transaction, then brings vectors and the index up to date. */
  upsertProducts(products: readonly Product[]): Promise<UpsertResult[]>;
  deleteProducts(ids: readonly string[]): Promise<number>;
  getProduct(id: string): Promise<Product | undefined>;
  similar(options: Pick<SimilarOptions, 'id'> & Partial<Omit<SimilarOptions, 'scorer'>> & ModelOption): Promise<SimilarResult>;
  search(options: Pick<SearchOptions, 'query'> & Partial<SearchOptions>): Promise<SearchResult>;
  recommend(options: Pick<RecommendOptions, 'history'> & Partial<Omit<RecommendOptions, 'scorer'>> & ModelOption): Promise<RecommendResult>;
  coldStart(options: Pick<ColdStartOptions, 'product'> & Partial<ColdStartOptions>): Promise<{ source: ProductSummary; items: ScoredProduct[] }>;
  price(options: Pick<PriceReferenceOptions, 'id'> & Partial<PriceReferenceOptions>): Promise<PriceReference>;
  tagSimilarity(a: string, b: string, options?: Partial<TagSimilarityOptions>): Promise<TagPairScore>;
  tagGroups(options?: Partial<TagGroupsOptions>): Promise<TagGroup[]>;
  /**
   * Matches two catalogs (files or product lists); neither is written to the store. With `model`
   * (a file from `prodsim train`) the trained matcher decides, at its validation threshold unless
   * one is given.
   */
  match(left: CatalogSource, right: CatalogSource, options?: Partial<MatchOptions> & ModelOption): Promise<EngineMatchResult>;
  /** Duplicate groups in a catalog; without one, in the store. With `model` the trained matcher decides. */
  /** `maxRepresentations` bounds the representations a dedup of the store keeps in memory, `onScored` sees each candidate pair scored (`findStoreDuplicates`). */
  dedup(
    catalog?: CatalogSource,
    options?: Partial<Omit<MatchOptions, 'oneToOne'>> & Partial<StoreDedupOnlyOptions> & ModelOption,
  ): Promise<{ groups: DuplicateGroup[]; stats: MatchResult['stats'] & { productsRead?: number }; issues: RecordIssue[] }>;
  /**
   * A dedup of the store by several worker processes on one job (PostgreSQL only: the job lives in
   * the database, `tasks/store-dedup.ts`): `create` makes it (the options are kept with it), `work`
   * (in any number of processes, on any machine reaching the database) claims its blocks until none
   * is left, `finish` groups the scored pairs. The groups equal `dedup()`'s with the same options.
   */
  readonly dedupJobs: {
    create(options?: DedupJobInput & Partial<StoreDedupJobOptions>): Promise<string>;
    work(jobId: string, worker: StoreDedupWorkerOptions): Promise<Record<'block' | 'score', number>>;
    finish(jobId: string): Promise<StoreDedupResult & { job: { id: string; blocks: number; pairsScored: number; maxScoredTimes: number; byWorker: Record<string, number> } }>;
    delete(jobId: string): Promise<void>;
  };
  /** How a text is analysed and encoded, with its nearest words and products. */
  inspectText(text: string, k?: number): Promise<TextInspection>;
  /**
   * Learns a search ranker (LambdaMART) from graded judgments of stored products: a judgment CSV
   * file, TREC qrels with `queries` (a `qid<TAB>query` file), or judgments in memory. The model
   * goes to `search({ ranker })`; saving it is the caller's (`saveRankerModel`).
   */
  trainRanker(judgments: string | readonly RelevanceJudgment[], options?: Partial<TrainRankerOptions> & { queries?: string }): Promise<TrainRankerResult>;
  /**
   * Learns a matcher from labelled pairs: a pairs file (ids looked up in `left` / `right`, then the
   * store) or the stored labels. The model goes to `match` / `dedup` / `similar` / `recommend`
   * (`model`) once saved (`saveMatcherModel`); saving it is the caller's.
   */
  trainMatcher(input: TrainMatcherTaskInput, options?: { onProgress?: (stage: TrainingStage, done: number, total: number) => void }): Promise<TrainMatcherTaskResult>;
  /** Precision, recall, F1, PR-AUC of a matcher model file on labelled pairs (a file or the stored labels). */
  evalMatcher(input: EvalMatcherTaskInput): Promise<EvalMatcherTaskResult>;
  /** Match probability and decision of a matcher model file for each pair. */
  applyMatcher(input: ApplyMatcherTaskInput): Promise<ApplyMatcherTaskResult>;
  stats(): Promise<StoreStats>;
  /** Removes vectors of superseded text spaces and compacts the store file. */
  vacuum(): Promise<VacuumSummary>;
  close(): Promise<void>;
}

export interface VacuumSummary {
  /** Vectors removed per encoder id (earlier states of the current text space). */
  removedVectors: Record<string, number>;
  sizeBytesBefore: number;
  sizeBytesAfter: number;
}

const IMAGE_BASE_DIR_KEY = 'images.baseDir';

/** What the engine's methods share: the options, the opened store and index, the loaded scorers. */
interface EngineState {
  opts: EngineOptions;
  analyzer: TextAnalyzer;
  store: ProductStore;
  textEncoder: DenseEncoder<string>;
  catalog: CatalogIndex;
  /** One trained scorer per model file, loaded on first use. */
  scorers: Map<string, LearnedScorer>;
  /** The index folder made for this engine alone (an in-memory or database store), removed on close. */
  temporaryIndexDir: string | undefined;
}

type RefreshOptions = { refit?: boolean; onProgress?: (p: RefreshProgress) => void };
type EngineDedupOptions = NonNullable<Parameters<Engine['dedup']>[1]>;

export async function createEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_ENGINE_OPTIONS), 'createEngine');
  const state = await openEngineState({ ...DEFAULT_ENGINE_OPTIONS, ...options });
  await refreshIfEncoderChanged(state);
  return engineOver(state);
}

async function openEngineState(opts: EngineOptions): Promise<EngineState> {
  const analyzer = createTextAnalyzer(opts.analyzer);
  const location = opts.store ?? opts.storePath;
  const store = await openStore(location, { readonly: opts.readonly, distributed: opts.distributed });
  const temporaryIndexDir = hasOwnIndexFolder(location) ? undefined : mkdtempSync(join(tmpdir(), 'prodsim-index-'));
  const textEncoder = opts.textEncoder ?? createCatalogAwareEncoder(await createGloveEncoder({ cacheDir: opts.cacheDir, analyzer }), { analyzer });
  const catalog = await createCatalogIndex({
    store,
    analyzer,
    textEncoder,
    indexDir: temporaryIndexDir ?? `${resolve(location)}.index`,
    quantization: opts.quantization,
    imageFeatures: opts.images ? (product) => storedImageFeatures(store, product) : undefined,
  });
  return { opts, analyzer, store, textEncoder, catalog, scorers: new Map(), temporaryIndexDir };
}

/**
 * A store file keeps its index files beside it (`<file>.index`). An in-memory store's indexes live
 * only as long as the engine, and a database store keeps its indexes in the database (its folder
 * stays empty): both get a temporary folder, removed on close, so servers and tests leave none behind.
 */
function hasOwnIndexFolder(location: string): boolean {
  return location !== ':memory:' && !isPostgresUrl(location);
}

async function closeEngine({ store, temporaryIndexDir }: EngineState): Promise<void> {
  await store.close();
  if (temporaryIndexDir) rmSync(temporaryIndexDir, { recursive: true, force: true });
}

/**
 * Vectors of another encoder id (a new version of the text space, a changed configuration) are
 * not this encoder's: re-encode on open rather than answer from a half-empty index.
 */
async function refreshIfEncoderChanged(state: EngineState): Promise<void> {
  const { opts, store, textEncoder } = state;
  const storedCount = opts.readonly ? 0 : await store.count();
  if (storedCount > 0 && ((await store.stats()).vectors[textEncoder.id]?.count ?? 0) < storedCount) {
    await refreshEngine(state, opts.onOpenRefresh ? { onProgress: opts.onOpenRefresh } : {});
  }
}

async function refreshEngine({ opts, store, catalog }: EngineState, { refit = false, onProgress }: RefreshOptions = {}) {
  const representations = await catalog.refresh({ forceRefit: refit, ...(onProgress ? { onProgress } : {}) });
  let images: ImageRefreshSummary | undefined;
  if (opts.images) {
    const baseDir = await store.getMeta(IMAGE_BASE_DIR_KEY);
    images = await refreshImageFeatures(store, createImageFeatureExtractor({ ...(baseDir ? { baseDir } : {}), ...(opts.imageFetch ? { fetch: opts.imageFetch } : {}) }));
  }
  return { representations, images };
}

function assertWritable(opts: EngineOptions): void {
  if (opts.readonly) throw createError('INVALID_ARGUMENT', 'this engine was opened read-only', { field: 'readonly' });
}

/** Labelled pairs of the matcher tasks: the store's labels and products, catalogs read like `match`'s. */
function labelledPairSource(store: ProductStore): LabelledPairSource {
  return {
    getLabels: (o) => store.getLabels(o),
    getProduct: async (id) => (await store.getProduct(id))?.product,
    loadCatalog: async (path) => (await loadCatalog(path)).products,
  };
}

async function productsOf(source: CatalogSource): Promise<{ products: readonly Product[]; issues: RecordIssue[] }> {
  if (typeof source !== 'string') return { products: source, issues: [] };
  const loaded = await loadCatalog(source);
  return { products: loaded.products, issues: loaded.issues };
}

function scorerFor({ opts, analyzer, scorers }: EngineState, path: string | undefined): LearnedScorer | undefined {
  const file = path ?? opts.model;
  if (file === undefined) return undefined;
  let scorer = scorers.get(file);
  if (!scorer) scorers.set(file, (scorer = loadLearnedMatcher(file, analyzer)));
  return scorer;
}

/** A trained scorer as match options: its probability decides, at its threshold unless one is given. */
function learnedMatchOptions(state: EngineState, path: string | undefined): Partial<MatchOptions> {
  const scorer = scorerFor(state, path);
  return scorer ? { scorer, threshold: scorer.threshold } : {};
}

/** The options a dedup job was made with, as `dedup` takes them (a model file is loaded here). */
async function dedupJobOptions(state: EngineState, jobId: string): Promise<Partial<MatchOptions>> {
  const job = await state.store.pairJobs?.getJob(jobId);
  const { model, ...input } = (job?.options ?? {}) as DedupJobInput;
  return { ...learnedMatchOptions(state, model), ...input };
}

async function ingestIntoEngine(state: EngineState, file: string, ingestOptions: Partial<EngineIngestOptions>): Promise<EngineIngestSummary> {
  const { opts, store, analyzer } = state;
  assertWritable(opts);
  const summary = await ingestCatalog({
    store,
    analyzer,
    source: file,
    readOptions: ingestOptions.readOptions ?? {},
    ...(ingestOptions.batchSize !== undefined ? { batchSize: ingestOptions.batchSize } : {}),
    ...(ingestOptions.force !== undefined ? { force: ingestOptions.force } : {}),
    onProgress: ingestOptions.onProgress,
  });
  // Relative image paths in a catalog are relative to the catalog file.
  await store.setMeta(IMAGE_BASE_DIR_KEY, dirname(resolve(file)));
  const refreshed = await refreshEngine(state, {
    refit: ingestOptions.refit ?? false,
    ...(ingestOptions.onRefreshProgress ? { onProgress: ingestOptions.onRefreshProgress } : {}),
  });
  return { ...summary, ...refreshed };
}

async function upsertIntoEngine(state: EngineState, products: readonly Product[]): Promise<UpsertResult[]> {
  const { opts, store, analyzer } = state;
  assertWritable(opts);
  const analysisBefore = await storedAnalysis(store);
  const results = await store.upsertProducts(products.map((product) => ({ product, analyzed: analyzeProduct(product, analyzer) })));
  await recordAnalysisVersion(store, analysisBefore, false);
  if (results.some((r) => r.status !== 'unchanged')) await refreshEngine(state);
  return results;
}

async function matchSources(state: EngineState, left: CatalogSource, right: CatalogSource, { model, ...matchOptions }: Partial<MatchOptions> & ModelOption): Promise<EngineMatchResult> {
  const { catalog } = state;
  const [l, r] = await Promise.all([productsOf(left), productsOf(right)]);
  const result = await matchCatalogs(await catalog.representMany(l.products), await catalog.representMany(r.products), {
    ...learnedMatchOptions(state, model),
    ...matchOptions,
  });
  return { ...result, issues: [...l.issues, ...r.issues] };
}

async function dedupSource(state: EngineState, source: CatalogSource | undefined, { model, maxRepresentations, onScored, ...dedupOptions }: EngineDedupOptions): ReturnType<Engine['dedup']> {
  const { catalog } = state;
  const options = { ...learnedMatchOptions(state, model), ...dedupOptions };
  // The store's own indexes block the candidates: near-linear in the catalog (tasks/store-dedup.ts).
  if (source === undefined) return { ...(await findStoreDuplicates(catalog, { ...options, ...defined({ maxRepresentations, onScored }) })), issues: [] };
  const { products, issues } = await productsOf(source);
  return { ...(await findDuplicates(await catalog.representMany(products), options)), issues };
}

function dedupJobsOf(state: EngineState): Engine['dedupJobs'] {
  const { catalog, store } = state;
  return {
    async create({ blockSize, ...input } = {}) {
      return createStoreDedupJob(catalog, input, blockSize === undefined ? {} : { blockSize });
    },
    async work(jobId, worker) {
      return runStoreDedupWorker(catalog, jobId, await dedupJobOptions(state, jobId), worker);
    },
    async finish(jobId) {
      return finishStoreDedupJob(catalog, jobId, await dedupJobOptions(state, jobId));
    },
    async delete(jobId) {
      await store.pairJobs?.deleteJob(jobId);
    },
  };
}

async function vacuumEngine({ opts, store, textEncoder }: EngineState): Promise<VacuumSummary> {
  assertWritable(opts);
  const sizeBytesBefore = (await store.stats()).sizeBytes;
  const removedVectors = await store.transaction(() => removeSupersededTextVectors(store, textEncoder.id));
  await store.compact();
  return { removedVectors, sizeBytesBefore, sizeBytesAfter: (await store.stats()).sizeBytes };
}

/** The public object: each method delegates to a task over the shared state. */
function engineOver(state: EngineState): Engine {
  const { opts, store, catalog, analyzer } = state;
  const pairSource = labelledPairSource(store);
  return {
    options: opts,
    store,
    catalog,
    ingest: (file, ingestOptions = {}) => ingestIntoEngine(state, file, ingestOptions),
    refresh: (refreshOptions) => refreshEngine(state, refreshOptions),
    upsertProducts: (products) => upsertIntoEngine(state, products),
    async deleteProducts(ids) {
      const n = await store.deleteProducts(ids);
      if (n > 0) await catalog.invalidate();
      return n;
    },
    getProduct: async (id) => (await store.getProduct(id))?.product,
    similar: ({ model, ...o }) => findSimilar(catalog, { ...o, scorer: scorerFor(state, model) }),
    search: (o) => searchProducts(catalog, o, opts.crossEncoder),
    recommend: ({ model, ...o }) => recommend(catalog, { ...o, scorer: scorerFor(state, model) }),
    coldStart: (o) => coldStartNeighbours(catalog, o),
    price: (o) => priceReference(catalog, o),
    tagSimilarity: (a, b, o) => tagSimilarity(catalog, a, b, o),
    tagGroups: (o) => groupTags(catalog, o),
    match: (left, right, matchOptions = {}) => matchSources(state, left, right, matchOptions),
    dedup: (source, dedupOptions = {}) => dedupSource(state, source, dedupOptions),
    dedupJobs: dedupJobsOf(state),
    inspectText: (text, k) => inspectText(catalog, text, k),
    async trainRanker(judgments, { queries, ...trainOptions } = {}) {
      const list = typeof judgments === 'string' ? readJudgmentFile(judgments, queries) : judgments;
      return trainRanker(catalog, list, trainOptions);
    },
    trainMatcher: (input, { onProgress } = {}) => trainMatcherTask(pairSource, input, { analyzer, onProgress }),
    evalMatcher: (input) => evalMatcherTask(pairSource, input, { analyzer }),
    applyMatcher: (input) => applyMatcherTask(pairSource, input, { analyzer }),
    stats: () => store.stats(),
    vacuum: () => vacuumEngine(state),
    close: () => closeEngine(state),
  };
}
