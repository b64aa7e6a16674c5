/**
 * Contract of the ANN (approximate nearest neighbour) part of the store stage.
 *
 * An `AnnIndex` maps integer keys (the store's per-product numeric keys) to dense vectors and answers
 * top-k queries. Two implementations share this interface: `createAnnIndex` (usearch HNSW, optional
 * quantization + exact rescoring) and `createExactIndex` (brute force; small sets and ground truth).
 *
 * Scores are always *similarities*: higher is better, whatever the metric.
 *   cos  → cosine similarity in [-1, 1]            (usearch distance d = 1 − cos  ⇒ similarity = 1 − d)
 *   ip   → inner product                           (usearch distance d = 1 − a·b  ⇒ similarity = 1 − d)
 *   l2sq → negated squared Euclidean distance ≤ 0  (usearch distance d = ‖a − b‖² ⇒ similarity = −d)
 */
import { createError } from '../../errors.ts';

export type AnnMetric = 'cos' | 'ip' | 'l2sq';
export type AnnQuantization = 'f32' | 'f16' | 'i8';
/** Keys are non-negative safe integers; bigint is accepted on input, results always give numbers. */
export type AnnKeyInput = number | bigint;
export type AnnKeysInput = readonly AnnKeyInput[] | BigUint64Array | Float64Array | Uint32Array;
/** One vector per key: a flat row-major matrix (n × dimension) or an array of rows. */
export type AnnVectorsInput = Float32Array | readonly Float32Array[];

export const ANN_METRICS = ['cos', 'ip', 'l2sq'] as const satisfies readonly AnnMetric[];
export const ANN_QUANTIZATIONS = ['f32', 'f16', 'i8'] as const satisfies readonly AnnQuantization[];

export interface AnnMatch {
  key: number;
  similarity: number;
}

export interface AnnSearchOptions {
  /** Only keys for which this returns true are returned (category, price range, in stock, …). */
  filter?: (key: number) => boolean;
  /**
   * The keys that pass `filter`, when the caller can list them cheaply (a scan of its own columns):
   * an exact filtered search then visits only these instead of calling `filter` for every indexed key.
   * Called only when the search takes the exact path. Keys the index does not hold are skipped. A typed
   * array (or array) is scanned fastest. `filter` is still called on each listed key, unless
   * `passingKeysExact` is true.
   */
  passingKeys?: () => Iterable<number> | Float64Array | Uint32Array | Int32Array | readonly number[];
  /**
   * True when `passingKeys` returns exactly the keys `filter` accepts (no more): the exact scan then
   * trusts them and does not call `filter` on them again (~1 µs a key saved when the predicate looks
   * up columns). `filter` is still used to estimate the pass rate and by the HNSW over-fetch path, so
   * the two must agree, or exact and approximate answers differ. Ignored without `passingKeys`.
   */
  passingKeysExact?: boolean;
  /**
   * How a filtered search is answered: 'auto' (default) follows the policy below (`exactFilterPays`);
   * 'exact' scans the passing keys (recall 1); 'overfetch' always searches the HNSW graph (the policy
   * measurements in bench/ann.ts compare the two). Ignored without `filter`, and by the exact index.
   */
  filterStrategy?: AnnFilterStrategy;
  /**
   * Search breadth for this query. usearch 2.25's JS binding cannot change `expansion_search` after
   * construction, but its HNSW search uses max(expansion_search, wanted); so a larger `ef` is honoured by
   * asking for `ef` candidates and keeping the best k. An `ef` below the index's expansionSearch has no effect.
   */
  ef?: number;
}

export type AnnFilterStrategy = 'auto' | 'exact' | 'overfetch';

/** How a search was answered; every heuristic decision is visible here. */
export type AnnSearchStrategy = 'exact' | 'ann' | 'ann-overfetch' | 'exact-filtered';

export interface AnnSearchReport {
  matches: AnnMatch[];
  strategy: AnnSearchStrategy;
  /** Candidates asked from the HNSW graph in the last round (0 for exact strategies). */
  candidatesRequested: number;
  /** HNSW search rounds (over-fetching grows the request until k results pass the filter). */
  rounds: number;
  /** Share of a random key sample that passed the filter (1 when there is no filter). */
  estimatedFilterPassRate: number;
  /** Candidates whose similarity was recomputed from full-precision vectors. */
  rescored: number;
}

export interface AnnIndex {
  readonly kind: 'usearch' | 'exact';
  readonly dimension: number;
  readonly metric: AnnMetric;
  readonly quantization: AnnQuantization;
  /** Number of keys currently indexed. */
  readonly size: number;
  /** True when loaded with `view` (memory-mapped, read-only). */
  readonly readOnly: boolean;
  /** Adds vectors; an existing key is replaced (upsert). */
  add(keys: AnnKeysInput, vectors: AnnVectorsInput): void;
  /** Removes keys; returns how many were present. */
  remove(keys: AnnKeysInput): number;
  has(key: AnnKeyInput): boolean;
  /** Keys currently indexed, in slot order. */
  keys(): Float64Array;
  /**
   * A copy of the full-precision vector kept for a key (normalised for cos); undefined when the key is
   * absent or the index keeps keys only (`vectorLookup`). Callers that score candidates the index
   * returned read them here instead of going back to their store.
   */
  vector(key: AnnKeyInput): Float32Array | undefined;
  search(query: Float32Array, k: number, options?: AnnSearchOptions): AnnMatch[];
  searchDetailed(query: Float32Array, k: number, options?: AnnSearchOptions): AnnSearchReport;
  /** Writes the index to `path` (plus sidecar files `path + suffix`, see `ANN_SIDECAR_SUFFIX`). */
  save(path: string): void;
  /** Replaces the content with what `save(path)` wrote. `view: true` memory-maps it read-only. */
  load(path: string, options?: { view?: boolean; verifyChecksum?: boolean }): void;
  /** Files `save(path)` writes, for size accounting and atomic renames. */
  filesFor(path: string): string[];
}

export interface AnnIndexOptions {
  dimension: number;
  metric: AnnMetric;
  quantization: AnnQuantization;
  /** HNSW M: graph edges per node (usearch `connectivity`). */
  connectivity: number;
  /** HNSW efConstruction (usearch `expansion_add`). */
  expansionAdd: number;
  /** HNSW ef at query time (usearch `expansion_search`). */
  expansionSearch: number;
  /**
   * Exact rescoring: the best max(k, rescore) HNSW candidates are re-ranked with full-precision vectors
   * and returned with exact similarities. 0 turns it off (similarities then come from the quantized index).
   */
  rescore: number;
  /** Threads for `add` (usearch builds in parallel); 0 = all cores. Searches always use one thread. */
  addThreads: number;
  /**
   * Where full-precision vectors for rescoring and exact filtered search come from. Default (undefined):
   * the index keeps them in a Float32 sidecar beside the index file. Give a lookup to save that memory
   * when the caller (the store) already holds them.
   */
  vectorLookup: ((key: number) => Float32Array | undefined) | undefined;
}

export const ANN_INDEX_DEFAULTS = {
  metric: 'cos',
  quantization: 'f16',
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 64,
  rescore: 0,
  addThreads: 0,
  vectorLookup: undefined,
} as const satisfies Omit<AnnIndexOptions, 'dimension'>;

export const ANN_INDEX_OPTION_KEYS = [
  'dimension',
  'metric',
  'quantization',
  'connectivity',
  'expansionAdd',
  'expansionSearch',
  'rescore',
  'addThreads',
  'vectorLookup',
] as const satisfies readonly (keyof AnnIndexOptions)[];

/** Sidecar written beside the index file: keys, full-precision vectors, and a checksum of the index file. */
export const ANN_SIDECAR_SUFFIX = '.vectors';

// ---- filtered search policy (explicit, named heuristics) ----

/** Keys sampled to estimate the share of keys that pass a filter. */
export const FILTER_SELECTIVITY_SAMPLE = 256;
/** At or below this estimated pass rate the filter is "very selective": exact search over the passing subset. */
export const EXACT_FILTER_MAX_PASS_RATE = 0.02;
/** Indexes this small are always searched exactly (brute force is as fast and exact). */
export const EXACT_SEARCH_MAX_SIZE = 2_000;
/** Over-fetch starts at max(k, expansionSearch) / passRate × this safety factor candidates. */
export const OVERFETCH_SAFETY = 1.2;
/**
 * Share of an HNSW result list trusted to be in the right order: a round succeeds only when the k-th
 * passing key lies in this head; otherwise the request grows (deep tail positions are approximate).
 */
// Measured on 50k × 64 clustered vectors, filter passing 25 % (clusters): share 0.5 → filtered recall@10
// 0.985 at 770 candidates per query on average; 0.3 → 0.9975 at 1,300; 0.2 → 0.998 at 1,400.
export const OVERFETCH_TRUSTED_SHARE = 0.3;
/** Each over-fetch round multiplies the request by this. */
export const OVERFETCH_GROWTH = 4;
/** When an over-fetch round would ask for more than this share of the index, search exactly instead. */
export const OVERFETCH_MAX_SHARE = 0.2;

/**
 * `topKOf` hands a cos scan to usearch's native exact search from this many values (rows × dimension):
 * below it the copy and call overhead is not worth it (1,000 × 100 values: JS 0.5 ms, copy + native 0.2 ms).
 */
export const NATIVE_SCAN_MIN_VALUES = 50_000;
/** Rows the native scan keeps for the exact rescoring: room around the k-th for float32 rounding. */
export const NATIVE_SCAN_SHORTLIST = (k: number): number => 2 * k + 32;

// ---- shared helpers ----

export function toKey(key: AnnKeyInput): number {
  const n = typeof key === 'bigint' ? Number(key) : key;
  if (!Number.isSafeInteger(n) || n < 0 || (typeof key === 'bigint' && BigInt(n) !== key)) {
    throw createError('INVALID_ARGUMENT', `ANN keys must be non-negative safe integers, got ${String(key)}`, {
      field: 'key',
      expected: 'integer 0..2^53-1',
      received: String(key),
    });
  }
  return n;
}

export function toKeyArray(keys: AnnKeysInput): Float64Array {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = toKey(keys[i]!);
  return out;
}

/** Flattens vectors to one row-major Float32Array and checks the dimension. */
export function toMatrix(vectors: AnnVectorsInput, dimension: number, count: number): Float32Array {
  if (vectors instanceof Float32Array) {
    if (vectors.length !== count * dimension) {
      throw createError('DIM_MISMATCH', `expected ${count} × ${dimension} values, got ${vectors.length}`, {
        expected: String(count * dimension),
        received: String(vectors.length),
      });
    }
    return vectors;
  }
  if (vectors.length !== count) {
    throw createError('INVALID_ARGUMENT', `expected ${count} vectors (one per key), got ${vectors.length}`);
  }
  const out = new Float32Array(count * dimension);
  for (let i = 0; i < count; i++) {
    const v = vectors[i]!;
    if (v.length !== dimension) {
      throw createError('DIM_MISMATCH', `vector ${i}: expected dimension ${dimension}, got ${v.length}`, {
        expected: String(dimension),
        received: String(v.length),
      });
    }
    out.set(v, i * dimension);
  }
  return out;
}

export function assertQuery(query: Float32Array, dimension: number, k: number): void {
  if (query.length !== dimension) {
    throw createError('DIM_MISMATCH', `query: expected dimension ${dimension}, got ${query.length}`, {
      expected: String(dimension),
      received: String(query.length),
    });
  }
  if (!Number.isInteger(k) || k <= 0) {
    throw createError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`, { field: 'k', received: String(k) });
  }
}

export function validateIndexOptions(o: AnnIndexOptions, where: string): void {
  const positiveInt = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) {
      throw createError('INVALID_ARGUMENT', `${where}: ${name} must be an integer ≥ ${min}, got ${v}`, { field: name });
    }
  };
  positiveInt('dimension', o.dimension, 1);
  positiveInt('connectivity', o.connectivity, 2);
  positiveInt('expansionAdd', o.expansionAdd, 1);
  positiveInt('expansionSearch', o.expansionSearch, 1);
  positiveInt('rescore', o.rescore, 0);
  positiveInt('addThreads', o.addThreads, 0);
  if (!(ANN_METRICS as readonly string[]).includes(o.metric)) {
    throw createError('INVALID_ARGUMENT', `${where}: metric must be one of ${ANN_METRICS.join(', ')}`, { field: 'metric', received: String(o.metric) });
  }
  if (!(ANN_QUANTIZATIONS as readonly string[]).includes(o.quantization)) {
    throw createError('INVALID_ARGUMENT', `${where}: quantization must be one of ${ANN_QUANTIZATIONS.join(', ')}`, {
      field: 'quantization',
      received: String(o.quantization),
    });
  }
}

/** Converts a usearch distance into prodsim's similarity (higher = better); see the file comment. */
export function similarityFromDistance(metric: AnnMetric, distance: number): number {
  return metric === 'l2sq' ? -distance : 1 - distance;
}

/** Orders matches best first; equal similarities by ascending key so results are deterministic. */
export function compareMatches(a: AnnMatch, b: AnnMatch): number {
  return b.similarity - a.similarity || a.key - b.key;
}
