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
/**
 * At or below this estimated pass rate a filtered search is always exact (a floor under the cost model
 * below, which chooses exact there anyway: over-fetching for 1 % reads ~100× k candidates).
 */
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

/*
 * Exact or over-fetch: a cost model in microseconds, fitted on clustered vectors (`npm run bench:ann --
 * --filter-policy`: 100k keys, f16 HNSW M16 efC128 ef64, k 10, 200 queries; filter = every m-th cluster,
 * as a per-key predicate plus the passing keys listed by a column scan; mean ms on the shared 2-core
 * machine, load ~1.5–2.6; exact = the native scan of `VectorTable.topKOf`, recall 1):
 *
 *   pass rate                     1 %     2 %     5 %     10 %    25 %
 *   100k × 100  exact            0.74    1.0     1.8     3.3     11.3   (earlier run, load 2.5: 0.76 1.9 2.6 3.3 7.2)
 *               over-fetch       80      32      11.0    11.8    6.4    (earlier run: 90 39 11.8 6.6 3.1)
 *               its recall@10    0.998   0.995   0.992   0.989   0.990
 *               its candidates   16.5k   9.0k    2.9k    1.8k    1.0k
 *   100k × 384  exact            0.77    1.4     2.3     4.9     18.4   (earlier run, load 3: 0.91 1.7 5.4 7.8 28–32)
 *               over-fetch       120     100     21.2    13.8    7.2    (earlier run: 125 116 41.5 14.9 9.0)
 *               its recall@10    0.999   0.999   0.965   0.950   0.961
 *               its candidates   23.4k   19.7k   3.3k    1.8k    1.0k
 *
 * exact      ≈ n · EXACT_COST_PER_KEY + passing · dimension · EXACT_COST_PER_VALUE
 * over-fetch ≈ wanted · OVERFETCH_EXPECTED_GROWTH · (OVERFETCH_COST_PER_CANDIDATE + dimension · OVERFETCH_COST_PER_CANDIDATE_VALUE)
 * with wanted = max(k, expansionSearch) / passRate × OVERFETCH_SAFETY, the first round's request. Exact
 * (recall 1) is taken whenever it is not estimated slower. Crossover pass rates this gives (k ≤ 64):
 * 100k × 100: 14 %, 100k × 200: 13 %, 100k × 384: 12 % (both measured between 10 and 25 %); 1M × 384:
 * 3.7 % (not measured). Synthetic filters are the hard case for over-fetching (the query's own cluster
 * passes with probability p). On the 100k × 200 catalog a "substitutes" filter (category prefix + in
 * stock, 4.4 %) passes the query's own neighbourhood, so over-fetching needs one round: 2.2–3.0 ms
 * (1,924 candidates, recall@50 0.945) against 3.2–3.5 ms for the exact scan (listing the keys included);
 * the model picks exact there, ~1 ms for recall 1. To prefer over-fetching on such filters, lower
 * OVERFETCH_EXPECTED_GROWTH (1.1 matches that catalog: crossover ~4 %).
 */
/** Listing the passing keys: a scan of the caller's columns, or one filter call a key without `passingKeys`. */
export const EXACT_COST_PER_KEY = 0.005;
/** One value of one passing row: copy into the native scan's buffer + usearch's SIMD inner product. */
export const EXACT_COST_PER_VALUE = 0.003;
/** The same with the plain JS dot product (metrics other than cos, or vectors from `vectorLookup`). */
export const EXACT_COST_PER_VALUE_JS = 0.0035;
/** HNSW search per candidate asked for (graph walk at breadth = candidates, f16 distances), fixed part … */
export const OVERFETCH_COST_PER_CANDIDATE = 1.4;
/** … and per dimension. */
export const OVERFETCH_COST_PER_CANDIDATE_VALUE = 0.021;
/** Candidates actually asked for over the rounds, relative to the first round's request (measured 2.2–3.3 above). */
export const OVERFETCH_EXPECTED_GROWTH = 2.5;

export interface FilterCostInput {
  /** Keys in the index. */
  size: number;
  dimension: number;
  /** Estimated share of keys that pass the filter. */
  passRate: number;
  /** The over-fetch's first request: max(k, expansionSearch) / passRate × OVERFETCH_SAFETY. */
  overfetchCandidates: number;
  /** True when the exact scan runs natively (cos metric, vectors held by the index). */
  nativeScan: boolean;
}

/** Estimated microseconds of the two strategies for a filtered search (see the cost model above). */
export function filteredSearchCosts(c: FilterCostInput): { exact: number; overfetch: number } {
  const perValue = c.nativeScan ? EXACT_COST_PER_VALUE : EXACT_COST_PER_VALUE_JS;
  return {
    exact: c.size * EXACT_COST_PER_KEY + c.passRate * c.size * c.dimension * perValue,
    overfetch: c.overfetchCandidates * OVERFETCH_EXPECTED_GROWTH * (OVERFETCH_COST_PER_CANDIDATE + c.dimension * OVERFETCH_COST_PER_CANDIDATE_VALUE),
  };
}

/**
 * Above this many values to scan (passing rows × dimension) the exact path is not taken first: the cost
 * model above was fitted at 100k keys, and gathering rows scattered over a larger table is much slower
 * per value than it predicts. On the 1M × 200 catalog (docs/benchmarks/tasks-1000000.md) the exact scan
 * of a category filter took 50–170 ms at a 2 % pass rate (20k rows) and 187 ms p50 at 4 %, where one
 * over-fetch round found k passing neighbours in 2–5 ms (the query's own category passes). Above it, the
 * graph is tried first, and the exact scan is taken only after a round that fails
 * (`exactAfterOverfetchRound`): clustered filters whose neighbourhood does not pass still end exact.
 */
export const EXACT_FILTER_MAX_VALUES = 2_000_000;

/** True when a filtered search should scan exactly before trying the graph (recall 1, estimated no slower). */
export function exactFilterPays(c: FilterCostInput): boolean {
  if (c.passRate * c.size * c.dimension > EXACT_FILTER_MAX_VALUES) return false;
  return exactAfterOverfetchRound(c);
}

/**
 * True when, with the over-fetch request at `overfetchCandidates`, the exact scan is estimated no slower
 * than asking the graph for that many (and always at or below EXACT_FILTER_MAX_PASS_RATE).
 */
export function exactAfterOverfetchRound(c: FilterCostInput): boolean {
  if (c.passRate <= EXACT_FILTER_MAX_PASS_RATE) return true;
  const { exact, overfetch } = filteredSearchCosts(c);
  return exact <= overfetch;
}

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
