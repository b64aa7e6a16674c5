/**
 * The runtime view of an ingested catalog that every application reads: the store, the analyser,
 * the text space (dense encoder fitted on the catalog), the ANN index over product vectors, the
 * in-memory BM25 keyword index, and product representations for the similarity core. `refresh()`
 * brings vectors and both indexes up to date after an ingest; reads open the indexes lazily and
 * bring them up to date when stale: both follow the store's change log, and are rebuilt only when the
 * log does not reach back to them.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Product } from '../catalog/product.ts';
import { acceptsTokens, DEFAULT_BATCH_SIZE, type DenseEncoder } from '../encoders/encoder.ts';
import { createError } from '../errors.ts';
import type { AnnIndex, AnnMatch, AnnQuantization } from '../store/ann/ann-index.ts';
import { openOrRebuildIndex, saveIndexWithManifest, updatedReason, type AnnManifest } from '../store/ann/persisted-index.ts';
import { changeLogPosition, changesAfter, upsertedKeys, type AnalyzedProduct, type ChangeLogPosition, type KeywordFilter, type KeywordHit, type LocalIndexSource, type ProductStore, type StoredProduct } from '../store/store.ts';
import type { KeywordIndex } from '../store/keyword/keyword-index.ts';
import { createMemoryKeywordIndex, openMemoryKeywordIndex, updateMemoryKeywordIndex } from '../store/keyword/memory-bm25.ts';
import { storedFieldAnalysis } from '../store/product-record.ts';
import { storeWithRewrittenTokens } from '../store/keyword/token-view.ts';
import { DEFAULT_HAN_NGRAM_MAX, HAN_NGRAM_SCHEME, hanNgramTokens } from '../text/han-ngrams.ts';
import { representProduct, type ImageFeatures, type ProductRepresentation } from '../similarity/representation.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import type { CatalogStatistics } from '../similarity/catalog-statistics.ts';
import { followCatalogStatistics } from './catalog-statistics-follower.ts';
import { brandsMatching, toKeywordFilter, isEmptyFilter, type ProductFilter } from './product-filter.ts';
import { fitTextSpace, productText, removeSupersededTextVectors, restoreTextState, type FitDecision, type FitTokens } from './text-space.ts';
import { createWriteBehind } from './write-behind.ts';

export interface CatalogIndexOptions {
  store: ProductStore;
  analyzer: TextAnalyzer;
  textEncoder: DenseEncoder<string>;
  /** Folder for ANN index files (beside the store). */
  indexDir: string;
  /** Storage of the HNSW index. */
  quantization: AnnQuantization;
  /** Candidates rescored with full-precision vectors after the HNSW search; `auto`: `RESCORE_BY_QUANTIZATION`. */
  rescore: number | 'auto';
  /** Image features of a product (from the image stage), when images are configured. */
  imageFeatures: ((product: Product) => Promise<ImageFeatures | undefined>) | undefined;
}

export const DEFAULT_CATALOG_INDEX_OPTIONS = {
  quantization: 'f16',
  rescore: 'auto',
  imageFeatures: undefined,
} as const satisfies Partial<CatalogIndexOptions>;

/**
 * Rescoring reads each candidate's Float32 row at random from a table of n × dimension floats: 50 rows
 * cost ~100 µs at 100k × 200 (memory-bound), 40% on top of the HNSW search. f16 distances are within
 * ~1e-3 of exact cosine; without rescoring, f16 had recall@10 0.9995 (100k × 384) and 1.0 (100k × 100)
 * against exact search (docs/benchmarks/ann.md), so only i8 rescores by default. Applications score
 * candidates again with full vectors anyway.
 */
export const RESCORE_BY_QUANTIZATION = { f32: 0, f16: 0, i8: 50 } as const satisfies Record<AnnQuantization, number>;

/**
 * Above this share of the ANN index changed since it was saved or opened, it is rebuilt rather than
 * updated: usearch marks removed nodes and links new ones one by one, and a fresh build of that many
 * is about as fast and leaves a cleaner graph.
 */
export const ANN_INCREMENTAL_MAX_SHARE = 0.2;
/** An index updated from the change log is saved again once the changes since its file reach this share of it… */
export const ANN_RESAVE_SHARE = 0.01;
/** …and at least this many changes. */
export const ANN_RESAVE_MIN_CHANGES = 1_000;

export interface RefreshProgress {
  stage: 'fit' | 'encode' | 'index' | 'keyword index';
  done: number;
  total: number;
}

export interface RefreshSummary {
  fit: FitDecision;
  encoderId: string;
  encoded: number;
  cached: number;
  index: { rebuilt: boolean; reason: string; size: number };
  /**
   * The in-memory BM25 index: `open` (already current), `loaded` from its file, `updated` from the
   * store's change log (in memory or from an older file), or `built` from the store; saved when changed.
   * `database`: the store answers keyword queries itself (PostgreSQL); size is its product count.
   */
  keywordIndex: { source: 'open' | 'loaded' | 'updated' | 'built' | 'database'; size: number };
  durationMs: number;
}

export interface NeighbourHit {
  id: string;
  key: number;
  similarity: number;
}

export interface CatalogIndex {
  readonly store: ProductStore;
  readonly analyzer: TextAnalyzer;
  readonly textEncoder: DenseEncoder<string>;
  refresh(options?: { forceRefit?: boolean; onProgress?: (p: RefreshProgress) => void }): Promise<RefreshSummary>;
  /** The stored product as the similarity core sees it; undefined when the id is unknown. */
  represent(id: string): Promise<ProductRepresentation | undefined>;
  /** `represent` for many ids at once (one store read for those not cached), aligned with `ids`. */
  representIds(ids: readonly string[]): Promise<(ProductRepresentation | undefined)[]>;
  /**
   * `representIds` for index hits, which carry the store key: those not cached are read by key
   * (cheaper than by id); a hit without a key is read by id.
   */
  representHits(hits: readonly { id: string; key?: number | undefined }[]): Promise<(ProductRepresentation | undefined)[]>;
  /** A product that is not (or not yet) in the store: cold start, another shop's catalog. */
  representExternal(product: Product): Promise<ProductRepresentation>;
  representMany(products: readonly Product[]): Promise<ProductRepresentation[]>;
  getStored(id: string): Promise<StoredProduct | undefined>;
  encodeText(text: string): Promise<Float32Array>;
  /** Nearest products to a vector, passing the filter, without the excluded ids. */
  nearest(vector: Float32Array, k: number, options?: { filter?: ProductFilter; exclude?: ReadonlySet<string> }): Promise<NeighbourHit[]>;
  /** BM25 keyword hits over pre-segmented text, passing the filter (the in-memory keyword index, or the database's). */
  keyword(tokens: readonly string[], k: number, filter?: ProductFilter): Promise<KeywordHit[]>;
  /**
   * BM25 hits over Chinese character unigrams and bigrams of the same text (the query's analyser
   * tokens are turned into n-grams: in memory here, or by the store's `keywordSearch` with
   * `granularity: 'hanNgrams'`). Latin words and numbers count as characters too (scheme 2); search
   * asks for them only for a query with Chinese words, or one no product shares a word with.
   */
  characterKeyword(tokens: readonly string[], k: number, filter?: ProductFilter): Promise<KeywordHit[]>;
  /** In how many products each token occurs (keyword index document frequencies). */
  documentFrequencies(tokens: readonly string[]): Promise<Map<string, number>>;
  /** Products in the keyword index: what `documentFrequencies` counts out of (no SQL count, 0.47 ms at 1M). */
  keywordDocumentCount(): Promise<number>;
  /**
   * `documentFrequencies` of the character n-gram index (Chinese words as character unigrams and
   * bigrams: `hanNgramTokens`) and the products it counts out of; undefined when the store answers
   * keyword queries itself (PostgreSQL), which keeps no such counts apart.
   */
  characterDocumentFrequencies(tokens: readonly string[]): Promise<{ documents: number; documentFrequency: Map<string, number> } | undefined>;
  /**
   * Document frequencies of the store's catalog (title words, character 3-grams, model numbers,
   * attribute values) for profiles that weigh evidence by the catalog (`sameProduct`): scanned when
   * first asked for, then kept up to date with ingests (`catalog-statistics-follower.ts`).
   */
  catalogStatistics(): Promise<CatalogStatistics>;
  /** Marks vectors as changed (after deletes) so the ANN index is rebuilt on next use. */
  invalidate(): Promise<void>;
}

const VECTORS_VERSION_KEY = 'vectors.version';
/** Meta key: the encoder and change-log position up to which every product has a current vector. */
const VECTORS_COMPLETE_KEY = 'vectors.complete';
interface VectorsComplete extends ChangeLogPosition {
  encoderId: string;
}
const REPRESENTATION_CACHE_SIZE = 5_000;

/** File of the character n-gram keyword index; the suffix names the n-gram scheme, so a changed scheme is not read from an old file. */
export const HAN_NGRAM_INDEX_FILE = `keyword-han-ngram-${DEFAULT_HAN_NGRAM_MAX}-v${HAN_NGRAM_SCHEME}.idx`;

/**
 * A BM25 keyword index over the store's rows, kept in memory, checked against the store's revision
 * on every use: a stale index is brought up to date from the change log (a full rebuild took 1.8 s
 * at 100k products), and rebuilt only when the log does not reach back or most products changed.
 */
function folderWritable(folder: string): boolean {
  try {
    accessSync(existsSync(folder) ? folder : dirname(folder), constants.W_OK);
    return true;
  } catch {
    // Expected failure as a value: a probe: no write access answers false.
    return false;
  }
}

function keywordIndexHolder(store: LocalIndexSource, file: string): { open: () => { index: KeywordIndex; source: RefreshSummary['keywordIndex']['source'] }; isOpen: () => boolean } {
  let keywordIndex: KeywordIndex | undefined;
  return {
    isOpen: () => keywordIndex !== undefined,
    open() {
      if (keywordIndex?.isCurrent(store)) return { index: keywordIndex, source: 'open' };
      if (keywordIndex) {
        const updated = updateMemoryKeywordIndex(keywordIndex, store, folderWritable(dirname(file)) ? { file } : {});
        keywordIndex = updated.index;
        return { index: updated.index, source: updated.source === 'built' ? 'built' : 'updated' };
      }
      // A store in a read-only folder: an index with no file there yet is built in memory only.
      if (!existsSync(file) && !folderWritable(dirname(file))) {
        keywordIndex = createMemoryKeywordIndex(store);
        return { index: keywordIndex, source: 'built' };
      }
      const opened = openMemoryKeywordIndex(store, file);
      keywordIndex = opened.index;
      return { index: opened.index, source: opened.changesApplied ? 'updated' : opened.source };
    },
  };
}

/** The ANN index of the text vectors (embedded stores): opened, kept up to date from the change log, saved when far behind. */
interface AnnHolder {
  /** The open index while vectors are unchanged since it was opened or brought up to date, else undefined. */
  current(): AnnIndex | undefined;
  /**
   * The ANN index of the current vectors: the open one, brought up to date from the store's change
   * log when vectors changed; else the persisted one, loaded (and updated from the log); else rebuilt.
   */
  open(): Promise<{ index: AnnIndex; rebuilt: boolean; reason: string }>;
  /** Vectors changed (refresh, deletes, a refit): the next `open` brings the index up to date. */
  markStale(): void;
  /**
   * Saves an index brought up to date from the log once the changes since its file reach
   * `ANN_RESAVE_SHARE` of it: a restart then replays at most that share (a save writes the whole
   * index: 2.4 GB at 1M × 384, so not after every small ingest).
   */
  saveIfBehind(): void;
}

function createAnnHolder(opts: CatalogIndexOptions, localSource: () => LocalIndexSource): AnnHolder {
  const { store, textEncoder } = opts;
  const annPath = join(opts.indexDir, 'text.usearch');
  let ann: AnnIndex | undefined;
  /** What the open ANN index reflects; `stale` once vectors change (refresh, deletes) until the next `open`. */
  let annState: { manifest: AnnManifest; stale: boolean; unsaved: number } | undefined;

  /**
   * Applies the store's product changes after `fromSeq` to an index of this encoder's vectors: keys
   * deleted or replaced leave it, keys with a current vector are (re)added. A changed product that has
   * no current vector yet (ingested, not yet encoded) is not done: the position returned stays before
   * its change, so a later update takes it again. Undefined when the log no longer reaches back or
   * more than `ANN_INCREMENTAL_MAX_SHARE` of the index changed (a rebuild is then as cheap).
   */
  function applyChanges(index: AnnIndex, fromSeq: number): { changeSeq: number; applied: number } | undefined {
    const source = localSource();
    return source.transaction(() => {
      const seq = source.changeSeq();
      const changes = source.changesSince(fromSeq);
      if (!changes) return undefined;
      const lastSeqOf = new Map<number, number>();
      for (const c of changes) lastSeqOf.set(c.key, Math.max(lastSeqOf.get(c.key) ?? 0, c.seq));
      const keys = [...lastSeqOf.keys()];
      if (keys.length > 64 && keys.length > ANN_INCREMENTAL_MAX_SHARE * index.size) return undefined;
      const encoderId = textEncoder.id;
      const ids = source.keysToIds(keys);
      const addKeys: number[] = [];
      const addVectors: Float32Array[] = [];
      let reached = seq;
      index.remove(keys);
      keys.forEach((key, i) => {
        const id = ids[i];
        if (id === undefined) return;
        const vector = source.getVector(encoderId, id);
        if (vector) {
          addKeys.push(key);
          addVectors.push(vector);
        } else reached = Math.min(reached, lastSeqOf.get(key)! - 1);
      });
      if (addKeys.length > 0) index.add(addKeys, addVectors);
      return { changeSeq: Math.max(fromSeq, reached), applied: keys.length };
    });
  }

  async function open(): Promise<{ index: AnnIndex; rebuilt: boolean; reason: string }> {
    const encoderId = textEncoder.id;
    const storeVersion = (await store.getMeta(VECTORS_VERSION_KEY)) ?? 'none';
    const source = localSource();
    if (ann && annState && annState.manifest.encoderId === encoderId) {
      if (!annState.stale && annState.manifest.storeVersion === storeVersion) return { index: ann, rebuilt: false, reason: 'open' };
      const seq = annState.manifest.changeSeq;
      const applied = seq === undefined ? undefined : applyChanges(ann, seq);
      if (applied) {
        annState = { manifest: { ...annState.manifest, storeVersion, changeSeq: applied.changeSeq, count: ann.size }, stale: false, unsaved: annState.unsaved + applied.applied };
        return { index: ann, rebuilt: false, reason: updatedReason(applied.applied) };
      }
    }
    ann = undefined;
    annState = undefined;
    let rebuildSeq: number | undefined;
    const result = await openOrRebuildIndex({
      path: annPath,
      manifestExpect: { dimension: textEncoder.dimension, metric: 'cos', quantization: opts.quantization, encoderId, storeVersion },
      indexOptions: { rescore: opts.rescore === 'auto' ? RESCORE_BY_QUANTIZATION[opts.quantization] : opts.rescore },
      rebuild: async function* () {
        const seq = source.changeSeq();
        let n = 0;
        for (const v of source.vectorsFor(encoderId)) {
          n++;
          yield { key: v.key, vector: v.vector };
        }
        // Products without a current vector are not in the index and their changes precede `seq`: the
        // log could not bring them in later, so such an index records no position (next time: rebuild).
        rebuildSeq = n === source.count() ? seq : undefined;
      },
      changeSeq: () => rebuildSeq,
      update: { changeLogId: source.changeLogId(), apply: applyChanges },
    });
    ann = result.index;
    annState = { manifest: result.manifest, stale: false, unsaved: result.updated ?? 0 };
    return result;
  }

  return {
    current: () => (annState && !annState.stale ? ann : undefined),
    open,
    markStale() {
      if (annState) annState.stale = true;
    },
    saveIfBehind() {
      if (!ann || !annState || annState.unsaved === 0) return;
      if (annState.unsaved < Math.max(ANN_RESAVE_MIN_CHANGES, ANN_RESAVE_SHARE * ann.size)) return;
      saveIndexWithManifest(ann, annPath, { ...annState.manifest, builtAt: new Date().toISOString() });
      annState.unsaved = 0;
    },
  };
}

/** Product filters as keyword-index filters: a brand is resolved to the brands its aliases match. */
interface FilterResolver {
  /** For an in-memory keyword index: brands from its own brand list, per index and filter brand. */
  readonly keywordFilterOf: (keywords: KeywordIndex, filter: ProductFilter | undefined) => KeywordFilter;
  /** For a store that filters in the database: brands from the store's brand list, per store revision. */
  readonly databaseFilterOf: (filter: ProductFilter | undefined) => Promise<KeywordFilter>;
}

function createFilterResolver(store: ProductStore): FilterResolver {
  /** Brands of the open keyword index that pass a brand filter (aliases resolved), per filter brand. */
  let brandSets: { index: KeywordIndex; byBrand: Map<string, Set<string>> } | undefined;
  /** Brands the database holds, per store revision (for alias-aware brand filters in database queries). */
  let databaseBrands: { revision: string; brands: readonly string[] } | undefined;
  return {
    keywordFilterOf(keywords, filter) {
      const out = toKeywordFilter(filter) ?? {};
      if (filter?.brand === undefined) return out;
      if (brandSets?.index !== keywords) brandSets = { index: keywords, byBrand: new Map() };
      let brands = brandSets.byBrand.get(filter.brand);
      if (!brands) brandSets.byBrand.set(filter.brand, (brands = brandsMatching(keywords.brands(), filter.brand)));
      return { ...out, brandIn: brands };
    },
    async databaseFilterOf(filter) {
      const out = toKeywordFilter(filter) ?? {};
      if (filter?.brand === undefined) return out;
      const revision = await store.revision();
      if (databaseBrands?.revision !== revision) databaseBrands = { revision, brands: await store.brands() };
      return { ...out, brandIn: brandsMatching(databaseBrands.brands, filter.brand) };
    },
  };
}

async function encodeTexts(textEncoder: DenseEncoder<string>, texts: readonly string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += DEFAULT_BATCH_SIZE) out.push(...(await textEncoder.encode(texts.slice(i, i + DEFAULT_BATCH_SIZE))));
  return out;
}

/** Products as the similarity core sees them, cached (`REPRESENTATION_CACHE_SIZE`), in the text space the store is in. */
interface Representer {
  hits(hits: readonly { id: string; key?: number | undefined }[]): Promise<(ProductRepresentation | undefined)[]>;
  external(product: Product): Promise<ProductRepresentation>;
  many(products: readonly Product[]): Promise<ProductRepresentation[]>;
  encodeText(text: string): Promise<Float32Array>;
  /** Vectors changed: cached representations are dropped. */
  clear(): void;
}

function createRepresenter(opts: CatalogIndexOptions, inMemory: boolean, ann: AnnHolder): Representer {
  const { store, analyzer, textEncoder } = opts;
  const representations = new Map<string, ProductRepresentation>();
  /** The store revision the cached representations are of (database retrieval only: other processes write too). */
  let representedRevision = '';

  /**
   * Follows a text space refit by another process (a second `serve` on the same store, a CLI
   * ingest): once the store's vectors are complete for an encoder this one is not, the saved state is
   * loaded, so the next request encodes queries and reads product vectors in the new space (the old
   * space's vectors are removed right after). One meta read per request; nothing parsed until it moved.
   */
  async function followTextSpace(): Promise<void> {
    const saved = await store.getMeta(VECTORS_COMPLETE_KEY);
    if (saved === undefined || (JSON.parse(saved) as VectorsComplete).encoderId === textEncoder.id) return;
    const before = textEncoder.id;
    await restoreTextState(store, textEncoder);
    if (textEncoder.id === before) return;
    representations.clear();
    ann.markStale();
  }

  /**
   * The product's text vector: the copy the open ANN index keeps (the vectors retrieval just compared)
   * or, before the index is open or for a product indexed since, the store's current vector.
   */
  async function textVectorOf(stored: StoredProduct): Promise<Float32Array | undefined> {
    return ann.current()?.vector(stored.key) ?? (await store.getVector(textEncoder.id, stored.product.id));
  }

  async function build(product: Product, titleVector: Float32Array | undefined, text?: ProductRepresentation['text']): Promise<ProductRepresentation> {
    const image = await opts.imageFeatures?.(product);
    return representProduct(product, analyzer, { dense: titleVector ? { title: titleVector } : {}, ...(image ? { image } : {}), ...(text ? { text } : {}) });
  }

  function remember(id: string, r: ProductRepresentation): void {
    if (representations.size >= REPRESENTATION_CACHE_SIZE) representations.delete(representations.keys().next().value!);
    representations.set(id, r);
  }

  /**
   * Representations aligned with `ids`: cached ones, and the others built from `stored`, their rows
   * read from the store. The store kept each product's analysis from ingest, so a candidate is not
   * segmented again.
   */
  async function representStored(
    ids: readonly string[],
    stored: readonly (StoredProduct & { analyzed: AnalyzedProduct })[],
    vectors: ReadonlyMap<string, Float32Array> | undefined,
  ): Promise<(ProductRepresentation | undefined)[]> {
    const out = ids.map((id) => representations.get(id));
    const built = new Map<string, ProductRepresentation>();
    for (const s of stored) {
      const vector = vectors ? vectors.get(s.product.id) : await textVectorOf(s);
      const r = await build(s.product, vector, storedFieldAnalysis(s.product, s.analyzed, analyzer));
      remember(s.product.id, r);
      built.set(s.product.id, r);
    }
    return out.map((r, i) => r ?? built.get(ids[i]!));
  }

  return {
    async hits(hits) {
      // In a database every read is a round trip: the independent ones go out together.
      const [, revision] = await Promise.all([followTextSpace(), inMemory ? undefined : store.revision()]);
      // Another server may have written since: cached representations are kept for one store revision.
      if (revision !== undefined && revision !== representedRevision) {
        representations.clear();
        representedRevision = revision;
      }
      const missing = hits.filter((h) => !representations.has(h.id));
      const keys = missing.flatMap((h) => (h.key === undefined ? [] : [h.key]));
      const ids = missing.flatMap((h) => (h.key === undefined ? [h.id] : []));
      const [byKey, byId, vectors] = await Promise.all([
        keys.length > 0 ? store.getAnalyzedProductsByKeys(keys) : [],
        ids.length > 0 ? store.getAnalyzedProducts(ids) : [],
        // In the database: the vectors in one read (one round trip each was most of a `similar`).
        inMemory || missing.length === 0 ? undefined : store.getVectors(textEncoder.id, missing.map((h) => h.id)),
      ]);
      return representStored(
        hits.map((h) => h.id),
        [...byKey, ...byId],
        vectors,
      );
    },
    async external(product) {
      await followTextSpace();
      const [vector] = await encodeTexts(textEncoder, [productText(product, textEncoder)]);
      return build(product, vector);
    },
    async many(products) {
      await followTextSpace();
      const vectors = await encodeTexts(textEncoder, products.map((p) => productText(p, textEncoder)));
      return Promise.all(products.map((p, i) => build(p, vectors[i])));
    },
    async encodeText(text) {
      await followTextSpace();
      const [v] = await encodeTexts(textEncoder, [text]);
      if (!v) throw createError('INTERNAL', 'text encoder returned no vector');
      return v;
    },
    clear: () => representations.clear(),
  };
}

/**
 * Products a refresh must encode: those without a current vector. After a complete refresh for the
 * same encoder only the products the change log names since then can lack one, so only they are
 * checked; otherwise (first refresh, a refit changed the encoder, the log does not reach back) all.
 */
async function productsToEncode(store: ProductStore, encoderId: string): Promise<{ id: string; key: number; contentHash: string }[]> {
  const saved = await store.getMeta(VECTORS_COMPLETE_KEY);
  const complete = saved === undefined ? undefined : (JSON.parse(saved) as VectorsComplete);
  const changes = complete?.encoderId === encoderId ? await changesAfter(store, complete) : undefined;
  return changes ? store.productsWithoutVector(encoderId, upsertedKeys(changes)) : store.productsWithoutVector(encoderId);
}

/** A batch's new vectors, not yet written. */
interface EncodedBatch {
  todo: { id: string; contentHash: string }[];
  vectors: Float32Array[];
}

/**
 * Encodes a batch of listed products (`writeEncodedBatch` writes the vectors). No embedding-cache
 * lookup by content hash here: the hash covers the product id, and a product keeps one vector row
 * per encoder (deleted with it), so a product without a current vector never finds one computed for
 * the same content.
 */

async function encodeBatch(store: ProductStore, textEncoder: DenseEncoder<string>, batch: readonly { id: string; key: number; contentHash: string }[], fitTokens: FitTokens | undefined): Promise<EncodedBatch> {
  let todo: { id: string; contentHash: string }[];
  let vectors: Float32Array[];
  if (fitTokens && acceptsTokens(textEncoder)) {
    // Products the fit just tokenised (same key, same content) are encoded from its tokens; the
    // others (written since) are read and tokenised here. Same vectors as encoding their text.
    const docs: string[][] = [];
    todo = [];
    const unseen: string[] = [];
    for (const p of batch) {
      const tokens = fitTokens.tokensOf(p.key, p.contentHash);
      if (tokens) {
        docs.push(tokens);
        todo.push(p);
      } else unseen.push(p.id);
    }
    for (const p of unseen.length > 0 ? await store.getProducts(unseen) : []) {
      docs.push(textEncoder.analyzer.tokenize(productText(p.product, textEncoder)));
      todo.push({ id: p.product.id, contentHash: p.contentHash });
    }
    vectors = await textEncoder.encodeTokenized(docs);
  } else {
    const products = await store.getProducts(batch.map((p) => p.id));
    todo = products.map((p) => ({ id: p.product.id, contentHash: p.contentHash }));
    vectors = await encodeTexts(textEncoder, products.map((p) => productText(p.product, textEncoder)));
  }
  return { todo, vectors };
}

/** Writes a batch's vectors; returns how many were written. */
async function writeEncodedBatch(store: ProductStore, encoderId: string, { todo, vectors }: EncodedBatch): Promise<number> {
  let written = 0;
  await store.transaction(async () => {
    // A product deleted since it was listed (by another process) gets no vector.
    const present = await store.contentHashes(todo.map((p) => p.id));
    const rows = todo.map((p, i) => ({ id: p.id, contentHash: p.contentHash, vector: vectors[i]! })).filter((r) => present.has(r.id));
    await store.putVectors(encoderId, rows);
    written = rows.length;
  });
  return written;
}

/** What `refresh` brings up to date. */
interface RefreshParts {
  opts: CatalogIndexOptions;
  inMemory: boolean;
  ann: AnnHolder;
  openKeywordIndex: () => ReturnType<ReturnType<typeof keywordIndexHolder>['open']>;
  hanNgramIndex: ReturnType<typeof keywordIndexHolder> | undefined;
  bumpVersion: () => Promise<void>;
}

/** `CatalogIndex.refresh`: fit the text space, encode what lacks a current vector, bring both indexes up to date. */
async function refreshCatalogIndex(parts: RefreshParts, { forceRefit = false, onProgress }: { forceRefit?: boolean; onProgress?: (p: RefreshProgress) => void }): Promise<RefreshSummary> {
  const { opts, inMemory, ann, hanNgramIndex } = parts;
  const { store, textEncoder } = opts;
  const started = performance.now();
  onProgress?.({ stage: 'fit', done: 0, total: 1 });
  // A fit keeps the tokens it saw (compactly, see FitTokens) for the encode pass below.
  const fitted = await fitTextSpace(store, textEncoder, forceRefit, true);
  const fit = fitted.decision;
  const encoderId = textEncoder.id;
  const total = await store.count();
  let encoded = 0;
  // Only products without a current vector are read and encoded (a refresh after a small ingest
  // used to read every product back: 2–3 s at 100k). Listed first: the store's connection is busy
  // while iterating, and every batch writes vectors. The log position is read before listing, so a
  // product written meanwhile comes after it and the next refresh checks it.
  const encodedUpTo = await changeLogPosition(store);
  const listed = await productsToEncode(store, encoderId);
  const cached = total - listed.length;
  onProgress?.({ stage: 'encode', done: cached, total });
  // A batch's vectors are written while the next batch is encoded (see write-behind.ts).
  const writes = createWriteBehind();
  for (let i = 0; i < listed.length; i += 512) {
    const batch = await encodeBatch(store, textEncoder, listed.slice(i, i + 512), fitted.tokens);
    await writes.submit(async () => {
      encoded += await writeEncodedBatch(store, encoderId, batch);
      onProgress?.({ stage: 'encode', done: encoded + cached, total });
    });
  }
  await writes.drain();
  await store.setMeta(VECTORS_COMPLETE_KEY, JSON.stringify({ encoderId, ...encodedUpTo } satisfies VectorsComplete));
  // Every product has a vector of the new space now: the previous space's are dead weight (+37 % of a store).
  if (fit.fitted) await removeSupersededTextVectors(store, encoderId);
  if (encoded > 0 || fit.fitted || (await store.getMeta(VECTORS_VERSION_KEY)) === undefined) await parts.bumpVersion();
  onProgress?.({ stage: 'index', done: 0, total: 1 });
  // In the database PostgreSQL keeps the HNSW index as vectors are written, except after a bulk
  // first load of a vector dimension: its index is built here, once, over all the rows.
  if (!inMemory) await store.buildDeferredIndexes?.();
  const built = inMemory ? await ann.open() : undefined;
  ann.saveIfBehind();
  onProgress?.({ stage: 'index', done: 1, total: 1 });
  onProgress?.({ stage: 'keyword index', done: 0, total: 1 });
  const keywords = inMemory ? parts.openKeywordIndex() : undefined;
  if (hanNgramIndex?.isOpen()) hanNgramIndex.open();
  onProgress?.({ stage: 'keyword index', done: 1, total: 1 });
  const inDatabase = built && keywords ? undefined : await store.count();
  return {
    fit,
    encoderId,
    encoded,
    cached,
    index: built ? { rebuilt: built.rebuilt, reason: built.reason, size: built.index.size } : { rebuilt: false, reason: 'in database', size: inDatabase ?? 0 },
    keywordIndex: keywords ? { source: keywords.source, size: keywords.index.size } : { source: 'database', size: inDatabase ?? 0 },
    durationMs: performance.now() - started,
  };
}

/**
 * Nearest products in this process: the ANN index's neighbours, their ids and the filter's columns
 * from the keyword index.
 */
function nearestInMemory(
  annIndex: AnnIndex,
  keywords: KeywordIndex,
  filters: FilterResolver,
  vector: Float32Array,
  k: number,
  { filter, exclude }: { filter?: ProductFilter; exclude?: ReadonlySet<string> },
): NeighbourHit[] {
  const excluded = (id: string | undefined) => id === undefined || (exclude !== undefined && exclude.has(id));
  const collect = (matches: readonly AnnMatch[]) => {
    const hits: NeighbourHit[] = [];
    for (let i = 0; i < matches.length && hits.length < k; i++) {
      const m = matches[i]!;
      const id = keywords.idOf(m.key);
      if (!excluded(id)) hits.push({ id: id!, key: m.key, similarity: m.similarity });
    }
    return hits;
  };
  if (isEmptyFilter(filter)) {
    // Exclusions only: ask for that many more neighbours and drop them (a filter callback would make
    // the index estimate a pass rate first).
    return collect(annIndex.search(vector, k + (exclude?.size ?? 0)));
  }
  // Category, price, stock and brand are answered from the keyword index's columns: no product is read.
  const keywordFilter = filters.keywordFilterOf(keywords, filter);
  const columns = keywords.keyFilter(keywordFilter);
  // Columns first: most keys fail there, before their id is looked up.
  const passes = (key: number) => columns(key) && !excluded(keywords.idOf(key));
  // A selective filter is answered by an exact scan: of the keys the columns let through, not of all.
  return collect(annIndex.search(vector, k, { filter: passes, passingKeys: () => keywords.keysMatching(keywordFilter) }));
}

export async function createCatalogIndex(options: Omit<CatalogIndexOptions, keyof typeof DEFAULT_CATALOG_INDEX_OPTIONS> & Partial<CatalogIndexOptions>): Promise<CatalogIndex> {
  const opts: CatalogIndexOptions = { ...DEFAULT_CATALOG_INDEX_OPTIONS, ...options };
  const { store, analyzer, textEncoder } = opts;
  await restoreTextState(store, textEncoder);
  /**
   * Where retrieval runs. An embedded store (SQLite) gives a synchronous view of itself, and the
   * keyword and ANN indexes below live in this process; a server store (PostgreSQL) answers
   * nearest-neighbour and keyword queries in the database, and nothing here holds the catalog.
   */
  const local: LocalIndexSource | undefined = store.retrieval === 'memory' ? store.localIndexSource : undefined;
  const localSource = (): LocalIndexSource => {
    if (!local) throw createError('INTERNAL', 'in-memory indexes need a store with a local index source');
    return local;
  };
  /**
   * BM25 over the store's analysed tokens, in memory (SQLite FTS5 took ~20 ms a query at 100k
   * products, this ~1 ms: docs/benchmarks/keyword.md). It also maps store keys to ids and answers
   * filters per key, for the ANN retriever: one SQLite lookup per candidate was most of the ANN
   * layer's overhead over usearch (×2.4). Checked against the store's revision on every use, so a
   * write by this or another process is seen; a stale index is brought up to date from the store's
   * change log (rebuilt only when the log does not reach back to it).
   */
  const wordIndex = local ? keywordIndexHolder(local, join(opts.indexDir, 'keyword.idx')) : undefined;
  const openKeywordIndex = () => {
    if (!wordIndex) throw createError('INTERNAL', 'in-memory indexes need a store with a local index source');
    return wordIndex.open();
  };
  const statistics = followCatalogStatistics(store);
  /**
   * The second granularity: BM25 over Chinese character unigrams and bigrams (`hanNgramTokens`) of
   * the same rows, so a query jieba segments unlike the title still matches. Opened on the first
   * query with Chinese words (an English catalog never builds it); kept current like the word index.
   * In the database (PostgreSQL) the store keeps a second tsvector of the n-grams instead.
   */
  const hanNgramIndex = local ? keywordIndexHolder(storeWithRewrittenTokens(local, (tokens) => hanNgramTokens(tokens)), join(opts.indexDir, HAN_NGRAM_INDEX_FILE)) : undefined;
  const ann = createAnnHolder(opts, localSource);
  const representer = createRepresenter(opts, local !== undefined, ann);
  const filters = createFilterResolver(store);

  async function bumpVersion(): Promise<void> {
    await store.setMeta(VECTORS_VERSION_KEY, randomUUID());
    ann.markStale();
    representer.clear();
  }

  const index: CatalogIndex = {
    store,
    analyzer,
    textEncoder,
    refresh: (refreshOptions = {}) => refreshCatalogIndex({ opts, inMemory: local !== undefined, ann, openKeywordIndex, hanNgramIndex, bumpVersion }, refreshOptions),
    async represent(id) {
      return (await index.representIds([id]))[0];
    },
    representIds(ids) {
      return index.representHits(ids.map((id) => ({ id })));
    },
    representHits: (hits) => representer.hits(hits),
    representExternal: (product) => representer.external(product),
    representMany: (products) => representer.many(products),
    getStored: (id) => store.getProduct(id),
    encodeText: (text) => representer.encodeText(text),

    async nearest(vector, k, { filter, exclude } = {}) {
      if (!local) {
        const keywordFilter = isEmptyFilter(filter) ? undefined : await filters.databaseFilterOf(filter);
        return store.nearestNeighbours(textEncoder.id, vector, { k, ...(keywordFilter ? { filter: keywordFilter } : {}), ...(exclude ? { excludeIds: exclude } : {}) });
      }
      const annIndex = ann.current() ?? (await ann.open()).index;
      return nearestInMemory(annIndex, openKeywordIndex().index, filters, vector, k, { ...(filter ? { filter } : {}), ...(exclude ? { exclude } : {}) });
    },

    async keyword(tokens, k, filter) {
      if (!local) return store.keywordSearch(tokens, { k, ...(isEmptyFilter(filter) ? {} : { filter: await filters.databaseFilterOf(filter) }) });
      const keywords = openKeywordIndex().index;
      return keywords.search(tokens, { k, ...(isEmptyFilter(filter) ? {} : { filter: filters.keywordFilterOf(keywords, filter) }) });
    },

    async characterKeyword(tokens, k, filter) {
      if (!local || !hanNgramIndex) return store.keywordSearch(tokens, { k, granularity: 'hanNgrams', ...(isEmptyFilter(filter) ? {} : { filter: await filters.databaseFilterOf(filter) }) });
      // The filter's brand set comes from the word index: both index the same rows' brands.
      const keywordFilter = isEmptyFilter(filter) ? undefined : filters.keywordFilterOf(openKeywordIndex().index, filter);
      return hanNgramIndex.open().index.search(hanNgramTokens(tokens), { k, ...(keywordFilter ? { filter: keywordFilter } : {}) });
    },

    documentFrequencies: async (tokens) => (local ? openKeywordIndex().index.documentFrequencies(tokens) : store.documentFrequencies(tokens)),
    keywordDocumentCount: async () => (local ? openKeywordIndex().index.size : store.count()),
    async characterDocumentFrequencies(tokens) {
      if (!local || !hanNgramIndex) return undefined;
      const index = hanNgramIndex.open().index;
      return { documents: index.size, documentFrequency: index.documentFrequencies(tokens) };
    },
    catalogStatistics: () => statistics.current(),

    invalidate: bumpVersion,
  };
  return index;
}
