/**
 * A fittable text encoder that joins a pretrained SIF encoder (GloVe + CEDICT) and word vectors
 * trained on the catalog, with the same `fit` / `toJSON` / `load` shape as a SIF encoder so it can
 * be fitted on a catalog and have its state kept in a store.
 *
 * Output: [√w_p · pretrained, √w_c · catalog] (each part L2-normalised, the whole re-normalised), so
 * cos = w_p · cos_pretrained + w_c · cos_catalog (weights summing to 1) when both parts are non-zero;
 * see combined-encoder.ts. The catalog part has a fixed width (`catalog.dimension`, zero-padded
 * when the catalog supports fewer SVD dimensions) so the output dimension never changes.
 * Before `fit`, or when the catalog is too small (fewer than `minCatalogVocabulary` words seen
 * ≥ `catalog.minCount` times), the catalog part is zero and the encoder behaves as the pretrained one.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { createIdHasher, type DenseEncoder } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import type { SifEncoder, SifState } from '../glove/sif.ts';
import { catalogVectorsFromJSON, DEFAULT_CATALOG_VECTOR_OPTIONS, trainCatalogVectors, type CatalogVectorOptions, type CatalogVectors, type CatalogVectorsJSON } from './catalog-vectors.ts';
import { createCatalogSifEncoder, createCombinedEncoder, DEFAULT_CATALOG_COMBINED_OPTIONS, type CombinedEncoder } from './combined-encoder.ts';

export interface CatalogAwareOptions {
  /** Weight of the pretrained view in the cosine. */
  pretrainedWeight: number;
  /** Weight of the catalog-trained view in the cosine. */
  catalogWeight: number;
  /** Options of the catalog word vectors (dimension = width of the catalog part). */
  catalog: Partial<CatalogVectorOptions>;
  /** Below this vocabulary the catalog part stays off (vectors from a few titles are noise). */
  minCatalogVocabulary: number;
  analyzer: TextAnalyzer | undefined;
}

export const DEFAULT_CATALOG_AWARE_OPTIONS = {
  pretrainedWeight: DEFAULT_CATALOG_COMBINED_OPTIONS.pretrainedWeight,
  catalogWeight: DEFAULT_CATALOG_COMBINED_OPTIONS.catalogWeight,
  catalog: {},
  minCatalogVocabulary: 50,
  analyzer: undefined,
} as const satisfies CatalogAwareOptions;

export interface CatalogAwareState {
  version: 1;
  kind: 'catalog-aware';
  pretrained: SifState;
  /** Absent when the catalog part is off. */
  catalogVectors?: CatalogVectorsJSON;
  catalogSif?: SifState;
}

export interface CatalogAwareEncoder extends DenseEncoder<string> {
  readonly pretrained: SifEncoder;
  /** The catalog word vectors, once fitted (undefined when the catalog part is off). */
  readonly catalogVectors: CatalogVectors | undefined;
  readonly weights: { pretrained: number; catalog: number };
  /**
   * The tokeniser of both parts when they share one (the `analyzer` option is the pretrained
   * encoder's analyser, as the engine builds it): fitting and encoding then segment each text once
   * (`fitTokenized`, `encodeTokenized`) instead of three times in `fit` and twice in `encode`.
   * Undefined otherwise (each part tokenises the text itself).
   */
  readonly analyzer: TextAnalyzer | undefined;
  fit(texts: readonly string[]): void;
  /** Defined when `analyzer` is: `fit` of texts already tokenised with it (same state as `fit`). */
  readonly fitTokenized: ((docs: readonly (readonly string[])[]) => void) | undefined;
  /** Defined when `analyzer` is: `encode` of texts already tokenised with it (same vectors). */
  readonly encodeTokenized: ((batch: readonly (readonly string[])[]) => Promise<Float32Array[]>) | undefined;
  toJSON(): CatalogAwareState;
  load(state: CatalogAwareState): void;
}

export function createCatalogAwareEncoder(pretrained: SifEncoder, options: Partial<CatalogAwareOptions> = {}): CatalogAwareEncoder {
  rejectUnknownKeys(options, Object.keys(DEFAULT_CATALOG_AWARE_OPTIONS), 'createCatalogAwareEncoder');
  const opts: CatalogAwareOptions = { ...DEFAULT_CATALOG_AWARE_OPTIONS, ...options };
  const catalogOptions: CatalogVectorOptions = { ...DEFAULT_CATALOG_VECTOR_OPTIONS, ...opts.catalog };
  const width = catalogOptions.dimension;
  let vectors: CatalogVectors | undefined;
  let catalogSif: SifEncoder | undefined;
  let combined: CombinedEncoder | undefined;

  /** Pads the catalog SIF output to the fixed width. */
  function paddedCatalog(sif: SifEncoder): DenseEncoder<string> {
    return {
      kind: 'dense',
      get id() {
        return `${sif.id}/pad${width}`;
      },
      dimension: width,
      modality: 'text',
      normalized: true,
      analyzer: sif.analyzer,
      async encode(batch) {
        return pad(await sif.encode(batch));
      },
      async encodeTokenized(batch: readonly (readonly string[])[]) {
        return pad(await sif.encodeTokenized(batch));
      },
    } as DenseEncoder<string>;
  }

  function pad(out: readonly Float32Array[]): Float32Array[] {
    return out.map((v) => {
      const p = new Float32Array(width);
      p.set(v.subarray(0, width));
      return p;
    });
  }

  const emptyCatalog: DenseEncoder<string> = {
    kind: 'dense',
    id: 'catalog-off',
    dimension: width,
    modality: 'text',
    normalized: true,
    encode: async (batch) => batch.map(() => new Float32Array(width)),
    encodeTokenized: async (batch: readonly (readonly string[])[]) => batch.map(() => new Float32Array(width)),
  } as DenseEncoder<string>;
  /** Both parts tokenise with one analyser: the catalog part with `opts.analyzer`, the pretrained with its own. */
  const sharedAnalyzer = opts.analyzer !== undefined && opts.analyzer === pretrained.analyzer ? opts.analyzer : undefined;

  function rebuild(): void {
    combined = createCombinedEncoder([
      { name: 'pretrained', encoder: pretrained, weight: opts.pretrainedWeight },
      { name: 'catalog', encoder: catalogSif ? paddedCatalog(catalogSif) : emptyCatalog, weight: opts.catalogWeight },
    ]);
  }
  rebuild();

  function fit(texts: readonly string[]): void {
    if (sharedAnalyzer) return fitTokenized(texts.map((t) => sharedAnalyzer.tokenize(t)));
    pretrained.fit(texts);
    const analyzer = opts.analyzer;
    const docs = analyzer ? texts.map((t) => analyzer.tokenize(t)) : undefined;
    vectors = undefined;
    catalogSif = undefined;
    vectors = trainedCatalogVectors(docs ?? texts);
    if (vectors) {
      catalogSif = createCatalogSifEncoder(vectors, analyzer ? { analyzer } : {});
      catalogSif.fit(texts);
    }
    rebuild();
  }

  /** `fit` with each text segmented once (the three passes of `fit` see the same tokens). */
  function fitTokenized(docs: readonly (readonly string[])[]): void {
    pretrained.fitTokenized(docs);
    vectors = undefined;
    catalogSif = undefined;
    vectors = trainedCatalogVectors(docs);
    if (vectors) {
      catalogSif = createCatalogSifEncoder(vectors, { analyzer: sharedAnalyzer! });
      catalogSif.fitTokenized(docs);
    }
    rebuild();
  }

  /** Catalog word vectors from the catalog's texts or token lists; undefined when too few (the catalog part stays off). */
  function trainedCatalogVectors(input: readonly string[] | readonly (readonly string[])[]): CatalogVectors | undefined {
    try {
      const trained = trainCatalogVectors(input, opts.catalog);
      return trained.words.length >= opts.minCatalogVocabulary ? trained : undefined;
    } catch (e) {
      // A catalog too small for any vectors simply leaves the catalog part off.
      if ((e as { code?: string }).code !== 'INVALID_ARGUMENT') throw e;
      return undefined;
    }
  }

  function toJSON(): CatalogAwareState {
    return {
      version: 1,
      kind: 'catalog-aware',
      pretrained: pretrained.toJSON(),
      ...(vectors && catalogSif ? { catalogVectors: vectors.toJSON(), catalogSif: catalogSif.toJSON() } : {}),
    };
  }

  function load(state: CatalogAwareState): void {
    if (state.version !== 1 || state.kind !== 'catalog-aware') {
      throw createError('PARSE_ERROR', `catalog-aware encoder state: unsupported version/kind ${String(state.version)}/${String(state.kind)}`, { field: 'version' });
    }
    pretrained.load(state.pretrained);
    vectors = undefined;
    catalogSif = undefined;
    if (state.catalogVectors && state.catalogSif) {
      vectors = catalogVectorsFromJSON(state.catalogVectors);
      catalogSif = createCatalogSifEncoder(vectors, opts.analyzer ? { analyzer: opts.analyzer } : {});
      catalogSif.load(state.catalogSif);
    }
    rebuild();
  }

  const total = opts.pretrainedWeight + opts.catalogWeight;
  const idOf = createIdHasher('catalog-aware');
  return {
    kind: 'dense',
    get id() {
      return idOf(combined!.id);
    },
    dimension: pretrained.dimension + width,
    modality: 'text',
    normalized: true,
    pretrained,
    get catalogVectors() {
      return vectors;
    },
    weights: { pretrained: opts.pretrainedWeight / total, catalog: opts.catalogWeight / total },
    analyzer: sharedAnalyzer,
    fit,
    fitTokenized: sharedAnalyzer ? fitTokenized : undefined,
    encodeTokenized: sharedAnalyzer ? (batch) => combined!.encodeTokenized!(batch) : undefined,
    toJSON,
    load,
    encode: (batch) => combined!.encode(batch),
  };
}
