/**
 * Metrics used by the similarity stage, each one a described object so nothing downstream can mistake
 * a distance for a similarity: `kind` says which it is and `range` says where its values live.
 *
 * Edge cases are explicit, never NaN:
 * - vectors of different lengths throw DIM_MISMATCH (a programming or configuration error);
 * - a zero vector has no direction, so cosine returns `undefined`;
 * - a constant vector has no variance, so Pearson returns `undefined`;
 * - two empty sets share nothing and differ in nothing, so (soft) Jaccard returns `undefined`;
 *   one empty and one non-empty set give 0.
 * Empty vectors (length 0) behave like zero vectors: distances are 0, cosine/Pearson `undefined`.
 */
import { createError } from '../errors.ts';
import { cosineOrUndefined, type SparseVector } from '../encoders/encoder.ts';

export type MetricKind = 'similarity' | 'distance';

export interface Metric<T> {
  readonly name: string;
  readonly kind: MetricKind;
  /** Closed range of values; `Infinity` for unbounded distances. */
  readonly range: readonly [number, number];
  /** One line: formula and the edge cases that give `undefined`. */
  readonly description: string;
  compute(a: T, b: T): number | undefined;
}

export type DenseVector = Float32Array | Float64Array | readonly number[];

function checkSameLength(metric: string, a: DenseVector, b: DenseVector): void {
  if (a.length !== b.length) {
    throw createError('DIM_MISMATCH', `${metric}: vectors have lengths ${a.length} and ${b.length}`, {
      expected: String(a.length),
      received: String(b.length),
    });
  }
}

/** Clamp float noise (e.g. cosine 1.0000001) back into a metric's declared range. */
function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Cosine in [-1, 1]; undefined for a zero vector (the encoders stage's `cosineOrUndefined`). */
export const cosineSimilarity: (a: DenseVector, b: DenseVector) => number | undefined = cosineOrUndefined;

export function euclideanDistance(a: DenseVector, b: DenseVector): number {
  checkSameLength('euclidean', a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function manhattanDistance(a: DenseVector, b: DenseVector): number {
  checkSameLength('manhattan', a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s;
}

export function pearsonCorrelation(a: DenseVector, b: DenseVector): number | undefined {
  checkSameLength('pearson', a, b);
  const n = a.length;
  if (n === 0) return undefined;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    cov += x * y;
    va += x * x;
    vb += y * y;
  }
  if (va === 0 || vb === 0) return undefined;
  return clamp(cov / Math.sqrt(va * vb), -1, 1);
}

/** Fuzzy conversion of any distance d ≥ 0 into a similarity in (0, 1]: 1 / (1 + d). */
export function distanceToSimilarity(d: number): number {
  if (!(d >= 0)) throw createError('INVALID_ARGUMENT', `distanceToSimilarity: distance must be ≥ 0, got ${d}`);
  return 1 / (1 + d);
}

/** Cosine over sparse vectors (indices need not be sorted; repeated indices are summed). */
export function sparseCosineSimilarity(a: SparseVector, b: SparseVector): number | undefined {
  const ma = sparseToMap(a);
  const mb = sparseToMap(b);
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (const v of ma.values()) na += v * v;
  for (const [k, v] of mb) {
    nb += v * v;
    const w = ma.get(k);
    if (w !== undefined) dot += v * w;
  }
  if (na === 0 || nb === 0) return undefined;
  return clamp(dot / Math.sqrt(na * nb), -1, 1);
}

function sparseToMap(v: SparseVector): Map<number, number> {
  if (v.indices.length !== v.values.length) {
    throw createError('DIM_MISMATCH', `sparse vector has ${v.indices.length} indices and ${v.values.length} values`);
  }
  const m = new Map<number, number>();
  for (let i = 0; i < v.indices.length; i++) {
    const k = v.indices[i]!;
    m.set(k, (m.get(k) ?? 0) + v.values[i]!);
  }
  return m;
}

/** |A ∩ B| / |A ∪ B| over distinct elements; `undefined` when both sets are empty. */
export function jaccardSimilarity<T>(a: Iterable<T>, b: Iterable<T>): number | undefined {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return undefined;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

export interface SoftMatch<T> {
  a: T;
  b: T;
  similarity: number;
}

export interface SoftJaccardResult<T> {
  /** M / (|A| + |B| − M) where M is the summed similarity of the chosen one-to-one matching. */
  score: number;
  matches: SoftMatch<T>[];
  unmatchedA: T[];
  unmatchedB: T[];
}

export interface SoftJaccardOptions {
  /** Pairs whose similarity is below this are never matched (they would only add noise to M). */
  minSimilarity: number;
}

export const DEFAULT_SOFT_JACCARD_OPTIONS = { minSimilarity: 0.5 } as const satisfies SoftJaccardOptions;

/**
 * Soft (semantic) Jaccard for tag sets: tags are paired one-to-one by a **greedy best matching**
 * (all pairs with similarity ≥ minSimilarity, taken in decreasing similarity, ties by input order,
 * each tag used at most once), M = Σ similarity of the chosen pairs, score = M / (|A| + |B| − M).
 * Greedy is exact when similarities are 0/1 (then this is plain Jaccard) and otherwise within a
 * factor 2 of the best matching; tag sets are small, and greedy keeps the matched pairs easy to
 * explain. `tagSimilarity` must be symmetric with values in [0, 1]. Duplicates are removed first.
 * Returns `undefined` when both sets are empty.
 */
export function softJaccard<T>(
  a: Iterable<T>,
  b: Iterable<T>,
  tagSimilarity: (x: T, y: T) => number,
  options: Partial<SoftJaccardOptions> = {},
): SoftJaccardResult<T> | undefined {
  const { minSimilarity } = { ...DEFAULT_SOFT_JACCARD_OPTIONS, ...options };
  const la = [...new Set(a)];
  const lb = [...new Set(b)];
  if (la.length === 0 && lb.length === 0) return undefined;
  const pairs: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < la.length; i++) {
    for (let j = 0; j < lb.length; j++) {
      const s = tagSimilarity(la[i]!, lb[j]!);
      if (!(s >= 0 && s <= 1)) {
        throw createError('INVALID_ARGUMENT', `softJaccard: tag similarity must be in [0, 1], got ${s}`);
      }
      if (s > 0 && s >= minSimilarity) pairs.push({ i, j, s });
    }
  }
  pairs.sort((p, q) => q.s - p.s || p.i - q.i || p.j - q.j);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const matches: SoftMatch<T>[] = [];
  let m = 0;
  for (const p of pairs) {
    if (usedA.has(p.i) || usedB.has(p.j)) continue;
    usedA.add(p.i);
    usedB.add(p.j);
    matches.push({ a: la[p.i]!, b: lb[p.j]!, similarity: p.s });
    m += p.s;
  }
  const score = clamp(m / (la.length + lb.length - m), 0, 1);
  return {
    score,
    matches,
    unmatchedA: la.filter((_, i) => !usedA.has(i)),
    unmatchedB: lb.filter((_, j) => !usedB.has(j)),
  };
}

// ---------------------------------------------------------------------------------------------
// The registry: described metric objects.

export const cosineMetric: Metric<DenseVector> = Object.freeze({
  name: 'cosine',
  kind: 'similarity',
  range: [-1, 1] as const,
  description: 'a·b / (|a| |b|); undefined if either vector is zero',
  compute: cosineSimilarity,
});

export const euclideanMetric: Metric<DenseVector> = Object.freeze({
  name: 'euclidean',
  kind: 'distance',
  range: [0, Infinity] as const,
  description: 'sqrt(Σ (aᵢ − bᵢ)²)',
  compute: euclideanDistance,
});

export const manhattanMetric: Metric<DenseVector> = Object.freeze({
  name: 'manhattan',
  kind: 'distance',
  range: [0, Infinity] as const,
  description: 'Σ |aᵢ − bᵢ|',
  compute: manhattanDistance,
});

export const fuzzyEuclideanMetric: Metric<DenseVector> = Object.freeze({
  name: 'fuzzy',
  kind: 'similarity',
  range: [0, 1] as const,
  description: '1 / (1 + euclidean(a, b)); 1 for identical vectors, → 0 as they move apart (never exactly 0)',
  compute: (a: DenseVector, b: DenseVector) => distanceToSimilarity(euclideanDistance(a, b)),
});

export const pearsonMetric: Metric<DenseVector> = Object.freeze({
  name: 'pearson',
  kind: 'similarity',
  range: [-1, 1] as const,
  description: 'cosine of the mean-centred vectors; undefined if either vector is constant or empty',
  compute: pearsonCorrelation,
});

export const jaccardMetric: Metric<Iterable<unknown>> = Object.freeze({
  name: 'jaccard',
  kind: 'similarity',
  range: [0, 1] as const,
  description: '|A ∩ B| / |A ∪ B|; undefined if both sets are empty',
  compute: (a: Iterable<unknown>, b: Iterable<unknown>) => jaccardSimilarity(a, b),
});

export const sparseCosineMetric: Metric<SparseVector> = Object.freeze({
  name: 'sparseCosine',
  kind: 'similarity',
  range: [-1, 1] as const,
  description: 'cosine over sparse index → value maps; undefined if either vector is empty or zero',
  compute: sparseCosineSimilarity,
});

/** Soft Jaccard with exact equality as tag similarity (equals Jaccard); build others with `softJaccardMetric`. */
export function softJaccardMetric<T>(
  tagSimilarity: (x: T, y: T) => number,
  options: Partial<SoftJaccardOptions> = {},
  name = 'softJaccard',
): Metric<Iterable<T>> {
  return Object.freeze({
    name,
    kind: 'similarity' as const,
    range: [0, 1] as const,
    description:
      'greedy one-to-one matching of tags by similarity, M = Σ matched similarity, M / (|A| + |B| − M); undefined if both sets are empty',
    compute: (a: Iterable<T>, b: Iterable<T>) => softJaccard(a, b, tagSimilarity, options)?.score,
  });
}

export const METRICS = Object.freeze({
  cosine: cosineMetric,
  euclidean: euclideanMetric,
  manhattan: manhattanMetric,
  fuzzy: fuzzyEuclideanMetric,
  pearson: pearsonMetric,
  jaccard: jaccardMetric,
  sparseCosine: sparseCosineMetric,
  softJaccard: softJaccardMetric<unknown>((x, y) => (x === y ? 1 : 0)),
});

export type MetricName = keyof typeof METRICS;

export function getMetric<N extends MetricName>(name: N): (typeof METRICS)[N];
export function getMetric(name: string): (typeof METRICS)[MetricName];
export function getMetric(name: string): (typeof METRICS)[MetricName] {
  if (!Object.hasOwn(METRICS, name)) {
    throw createError('INVALID_ARGUMENT', `unknown metric "${name}" (known: ${Object.keys(METRICS).join(', ')})`, {
      field: 'metric',
      received: name,
    });
  }
  return METRICS[name as MetricName];
}

/** How a similarity in [lo, hi] other than [0, 1] is brought into [0, 1] for fusion. */
export type UnitMapping = 'clamp' | 'rescale';

/**
 * Any metric value → a score in [0, 1] where 1 means most similar, so fusion only ever adds
 * similarities. Distances go through 1/(1+d). Similarities with a negative lower bound
 * (cosine, Pearson) are either clamped at 0 (`clamp`: anti-correlation counts as no similarity,
 * the default because embedding cosines are mostly positive and rescaling would squeeze them into
 * [0.5, 1]) or rescaled linearly (`rescale`: (v − lo) / (hi − lo)).
 */
export function toUnitScore(metric: Pick<Metric<unknown>, 'kind' | 'range' | 'name'>, value: number, mapping: UnitMapping = 'clamp'): number {
  if (!Number.isFinite(value) && !(metric.kind === 'distance' && value === Infinity)) {
    throw createError('INVALID_ARGUMENT', `${metric.name}: cannot map ${value} to a score`);
  }
  if (metric.kind === 'distance') return value === Infinity ? 0 : distanceToSimilarity(value);
  const [lo, hi] = metric.range;
  if (lo >= 0 && hi <= 1) return clamp(value, 0, 1);
  if (mapping === 'rescale' && Number.isFinite(lo) && Number.isFinite(hi)) return clamp((value - lo) / (hi - lo), 0, 1);
  return clamp(value, 0, 1);
}
