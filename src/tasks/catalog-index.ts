/**
 * The runtime view of an ingested catalog that every application reads: the store, the analyser,
 * the text space (dense encoder fitted on the catalog), the ANN index over product vectors, and
 * product representations for the similarity core. `refresh()` brings vectors and the index up to
 * date after an ingest; reads open the index lazily and rebuild it from the store when stale.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Product } from '../catalog/product.ts';
import { DEFAULT_BATCH_SIZE, type DenseEncoder } from '../encoders/encoder.ts';
import { createError } from '../errors.ts';
import type { AnnIndex, AnnMatch, AnnQuantization } from '../store/ann/ann-index.ts';
import { openOrRebuildIndex } from '../store/ann/persisted-index.ts';
import type { KeywordHit, ProductStore, StoredProduct } from '../store/store.ts';
import { representProduct, type ImageFeatures, type ProductRepresentation } from '../similarity/representation.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import { matchesFilter, toKeywordFilter, isEmptyFilter, type ProductFilter } from './product-filter.ts';
import { fitTextSpaceIfNeeded, productText, restoreTextState, type FitDecision } from './text-space.ts';

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
  imageFeatures: ((product: Product) => ImageFeatures | undefined) | undefined;
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
 * against exact search (docs/benchmarks/ann.md), so only i8 rescores by default. Applications score candidates again with full vectors anyway.
 */
export const RESCORE_BY_QUANTIZATION = { f32: 0, f16: 0, i8: 50 } as const satisfies Record<AnnQuantization, number>;

export interface RefreshProgress {
  stage: 'fit' | 'encode' | 'index';
  done: number;
  total: number;
}

export interface RefreshSummary {
  fit: FitDecision;
  encoderId: string;
  encoded: number;
  cached: number;
  index: { rebuilt: boolean; reason: string; size: number };
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
  represent(id: string): ProductRepresentation | undefined;
  /** `represent` for many ids at once (one store read for those not cached), aligned with `ids`. */
  representIds(ids: readonly string[]): (ProductRepresentation | undefined)[];
  /** A product that is not (or not yet) in the store: cold start, another shop's catalog. */
  representExternal(product: Product): Promise<ProductRepresentation>;
  representMany(products: readonly Product[]): Promise<ProductRepresentation[]>;
  getStored(id: string): StoredProduct | undefined;
  encodeText(text: string): Promise<Float32Array>;
  /** Nearest products to a vector, passing the filter, without the excluded ids. */
  nearest(vector: Float32Array, k: number, options?: { filter?: ProductFilter; exclude?: ReadonlySet<string> }): Promise<NeighbourHit[]>;
  /** BM25 keyword hits over pre-segmented text, passing the filter. */
  keyword(tokens: readonly string[], k: number, filter?: ProductFilter): KeywordHit[];
  /** Marks vectors as changed (after deletes) so the ANN index is rebuilt on next use. */
  invalidate(): void;
}

const VECTORS_VERSION_KEY = 'vectors.version';
const REPRESENTATION_CACHE_SIZE = 5_000;

export function createCatalogIndex(options: Omit<CatalogIndexOptions, keyof typeof DEFAULT_CATALOG_INDEX_OPTIONS> & Partial<CatalogIndexOptions>): CatalogIndex {
  const opts: CatalogIndexOptions = { ...DEFAULT_CATALOG_INDEX_OPTIONS, ...options };
  const { store, analyzer, textEncoder } = opts;
  restoreTextState(store, textEncoder);
  let ann: AnnIndex | undefined;
  /**
   * Product id of each ANN key, read from the store in one pass when the index opens. Mapping the 50
   * candidates of a query back to ids with one SQLite lookup each was most of the ANN layer's overhead
   * over usearch (×2.4); an array read is not. A product deleted since the index opened keeps its id
   * here; `represent` finds it gone and the applications drop it.
   */
  let idOfKey: (string | undefined)[] = [];
  const representations = new Map<string, ProductRepresentation>();

  function bumpVersion(): void {
    store.setMeta(VECTORS_VERSION_KEY, randomUUID());
    ann = undefined;
    representations.clear();
  }

  /** Loads the persisted index, or rebuilds it from the store's vectors when missing or stale. */
  async function openIndex(): Promise<{ index: AnnIndex; rebuilt: boolean; reason: string }> {
    if (ann) return { index: ann, rebuilt: false, reason: 'open' };
    const encoderId = textEncoder.id;
    const result = await openOrRebuildIndex({
      path: join(opts.indexDir, 'text.usearch'),
      manifestExpect: {
        dimension: textEncoder.dimension,
        metric: 'cos',
        quantization: opts.quantization,
        encoderId,
        storeVersion: store.getMeta(VECTORS_VERSION_KEY) ?? 'none',
      },
      indexOptions: { rescore: opts.rescore === 'auto' ? RESCORE_BY_QUANTIZATION[opts.quantization] : opts.rescore },
      rebuild: async function* () {
        for (const v of store.vectorsFor(encoderId)) yield { key: v.key, vector: v.vector };
      },
    });
    ann = result.index;
    const keys = Array.from(ann.keys());
    const ids = store.keysToIds(keys);
    idOfKey = [];
    keys.forEach((key, i) => {
      idOfKey[key] = ids[i];
    });
    return result;
  }

  /**
   * The product's text vector: the copy the open ANN index keeps (the vectors retrieval just compared)
   * or, before the index is open or for a product indexed since, the store's current vector.
   */
  function textVectorOf(stored: StoredProduct): Float32Array | undefined {
    return ann?.vector(stored.key) ?? store.getVector(textEncoder.id, stored.product.id);
  }

  async function encodeTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += DEFAULT_BATCH_SIZE) out.push(...(await textEncoder.encode(texts.slice(i, i + DEFAULT_BATCH_SIZE))));
    return out;
  }

  function build(product: Product, titleVector: Float32Array | undefined): ProductRepresentation {
    const image = opts.imageFeatures?.(product);
    return representProduct(product, analyzer, { dense: titleVector ? { title: titleVector } : {}, ...(image ? { image } : {}) });
  }

  function remember(id: string, r: ProductRepresentation): void {
    if (representations.size >= REPRESENTATION_CACHE_SIZE) representations.delete(representations.keys().next().value!);
    representations.set(id, r);
  }

  const index: CatalogIndex = {
    store,
    analyzer,
    textEncoder,

    async refresh({ forceRefit = false, onProgress } = {}) {
      const started = performance.now();
      onProgress?.({ stage: 'fit', done: 0, total: 1 });
      const fit = fitTextSpaceIfNeeded(store, textEncoder, forceRefit);
      const encoderId = textEncoder.id;
      const total = store.count();
      let encoded = 0;
      let cached = 0;
      // The store's connection is busy while iterating, and every batch writes vectors: list ids and
      // content hashes first, then read each batch's products by id.
      const listed: { id: string; contentHash: string }[] = [];
      for (const stored of store.iterateProducts()) listed.push({ id: stored.product.id, contentHash: stored.contentHash });
      const flush = async (batch: readonly { id: string; contentHash: string }[]) => {
        if (batch.length === 0) return;
        const have = store.cachedHashes(encoderId, batch.map((p) => p.contentHash));
        const todoIds = batch.filter((p) => !have.has(p.contentHash));
        cached += batch.length - todoIds.length;
        // A cached vector computed for the same content under another product id is reused as is.
        const reused = batch.filter((p) => have.has(p.contentHash));
        const todo = store.getProducts(todoIds.map((p) => p.id)).map((s) => ({ product: s.product, contentHash: s.contentHash }));
        const vectors = await encodeTexts(todo.map((p) => productText(p.product, textEncoder)));
        store.transaction(() => {
          store.putVectors(encoderId, [
            ...todo.map((p, i) => ({ id: p.product.id, contentHash: p.contentHash, vector: vectors[i]! })),
            ...reused.flatMap((p) => {
              if (store.getVector(encoderId, p.id)) return [];
              const v = store.getCachedVector(encoderId, p.contentHash);
              return v ? [{ id: p.id, contentHash: p.contentHash, vector: v }] : [];
            }),
          ]);
        });
        encoded += todo.length;
        onProgress?.({ stage: 'encode', done: encoded + cached, total });
      };
      for (let i = 0; i < listed.length; i += 512) await flush(listed.slice(i, i + 512));
      if (encoded > 0 || fit.fitted || store.getMeta(VECTORS_VERSION_KEY) === undefined) bumpVersion();
      onProgress?.({ stage: 'index', done: 0, total: 1 });
      ann = undefined;
      const built = await openIndex();
      onProgress?.({ stage: 'index', done: 1, total: 1 });
      return {
        fit,
        encoderId,
        encoded,
        cached,
        index: { rebuilt: built.rebuilt, reason: built.reason, size: built.index.size },
        durationMs: performance.now() - started,
      };
    },

    represent(id) {
      return index.representIds([id])[0];
    },

    representIds(ids) {
      const found = new Map<string, ProductRepresentation>();
      const missing: string[] = [];
      for (const id of ids) {
        const hit = representations.get(id);
        if (hit) found.set(id, hit);
        else missing.push(id);
      }
      for (const stored of missing.length > 0 ? store.getProducts(missing) : []) {
        const r = build(stored.product, textVectorOf(stored));
        remember(stored.product.id, r);
        found.set(stored.product.id, r);
      }
      return ids.map((id) => found.get(id));
    },

    async representExternal(product) {
      const [vector] = await encodeTexts([productText(product, textEncoder)]);
      return build(product, vector);
    },

    async representMany(products) {
      const vectors = await encodeTexts(products.map((p) => productText(p, textEncoder)));
      return products.map((p, i) => build(p, vectors[i]));
    },

    getStored: (id) => store.getProduct(id),

    async encodeText(text) {
      const [v] = await encodeTexts([text]);
      if (!v) throw createError('INTERNAL', 'text encoder returned no vector');
      return v;
    },

    async nearest(vector, k, { filter, exclude } = {}) {
      const annIndex = ann ?? (await openIndex()).index;
      const excluded = (id: string | undefined) => id === undefined || (exclude !== undefined && exclude.has(id));
      const hits: NeighbourHit[] = [];
      const collect = (matches: readonly AnnMatch[]) => {
        for (const m of matches) {
          const id = idOfKey[m.key];
          if (!excluded(id) && hits.length < k) hits.push({ id: id!, key: m.key, similarity: m.similarity });
        }
        return hits;
      };
      if (isEmptyFilter(filter)) {
        // Exclusions only: ask for that many more neighbours and drop them. A filter callback would make
        // the index sample keys to estimate a pass rate, loading each sampled product from the store.
        return collect(annIndex.search(vector, k + (exclude?.size ?? 0)));
      }
      const products = new Map<number, Product | undefined>();
      const productOf = (key: number) => {
        if (!products.has(key)) {
          const id = idOfKey[key];
          products.set(key, id === undefined ? undefined : store.getProduct(id)?.product);
        }
        return products.get(key);
      };
      const passes = (key: number) => {
        if (excluded(idOfKey[key])) return false;
        const p = productOf(key);
        return p !== undefined && matchesFilter(p, filter);
      };
      return collect(annIndex.search(vector, k, { filter: passes }));
    },

    keyword(tokens, k, filter) {
      const hits = store.keywordSearch(tokens, { k: filter?.brand === undefined ? k : k * 4, ...(toKeywordFilter(filter) ? { filter: toKeywordFilter(filter)! } : {}) });
      if (filter?.brand === undefined) return hits;
      // Brand aliases cannot be expressed in SQL; checked here on the over-fetched hits.
      return hits.filter((h) => matchesFilter(store.getProduct(h.id)!.product, filter)).slice(0, k);
    },

    invalidate: bumpVersion,
  };
  return index;
}
