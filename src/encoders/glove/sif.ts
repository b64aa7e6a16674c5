/**
 * SIF sentence embeddings ("A Simple but Tough-to-Beat Baseline for Sentence Embeddings",
 * Arora, Liang & Ma, ICLR 2017), over any `WordVectors` table.
 *
 *   v(s) = (1/|s|) Σ_{w∈s} a / (a + p(w)) · v(w)        smooth inverse frequency weighting
 *   v(s) ← v(s) − u uᵀ v(s)                               remove the common component
 *
 * `a` (default 1e-3, the paper's recommended range is 1e-4…1e-3) sets how hard frequent words are
 * damped: a word with p(w) = a gets weight 0.5, p(w) ≪ a gets ~1. p(w) is the table's prior
 * estimate (GloVe: Zipf from the frequency rank; Chinese: jieba dictionary counts). With
 * `catalogFrequencies: true`, `fit` also learns the catalog's own token frequencies and blends them in:
 *   p(w) = λ · count_catalog(w) / N_catalog + (1 − λ) · p_prior(w),  λ = N_catalog / (N_catalog + priorStrength)
 * so a small catalog barely moves the prior and a large one dominates it. That is off by default:
 * measured in bench/encoders.ts, catalog frequencies damp exactly the words that name a category
 * (dress in a dress shop), which lowers same-category neighbours (Taobao cat@10 0.436 → 0.367,
 * fashion 0.540 → 0.412) while helping only same-product matching on Taobao (AUC 0.644 → 0.679).
 * u is the first principal (singular) vector of the fitted corpus' weighted averages (uncentred,
 * as in the paper's code). Outputs are L2-normalised; a text with no known word gives a zero vector.
 */
import { createHash } from 'node:crypto';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { l2normalize, type TokenizedTextEncoder, type WordVectors } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import { createTextAnalyzer } from '../../text/text-analyzer.ts';

export interface SifOptions {
  /** SIF smoothing parameter a in a / (a + p(w)). */
  a: number;
  /** How many principal components `fit` removes (the paper uses 1). */
  removeComponents: number;
  /** Learn catalog token frequencies in `fit` and blend them into p(w) (see above). */
  catalogFrequencies: boolean;
  /** Catalog size (in tokens) at which catalog frequencies and the prior count equally. */
  priorStrength: number;
  /** p(w) for a word that has a vector but no frequency estimate anywhere (treated as rare). */
  unknownProbability: number;
  /** Tokenizer; default `createTextAnalyzer()`. */
  analyzer: TextAnalyzer | undefined;
  /** Prefix of the encoder id (e.g. 'glove-sif'). */
  name: string;
}

export const DEFAULT_SIF_OPTIONS = {
  a: 1e-3,
  removeComponents: 1,
  catalogFrequencies: false,
  priorStrength: 10_000,
  unknownProbability: 1e-6,
  analyzer: undefined,
  name: 'sif',
} as const satisfies SifOptions;

/** Fitted state: catalog token counts and the removed components. Plain JSON. */
export interface SifState {
  version: 1;
  a: number;
  priorStrength: number;
  catalogTotal: number;
  catalogCounts: Record<string, number>;
  components: number[][];
}

export interface SifEncoder extends TokenizedTextEncoder {
  readonly wordVectors: WordVectors;
  readonly a: number;
  /** Learns the common component(s) (and catalog frequencies when enabled) from a corpus. Changes `id`. */
  fit(texts: readonly string[]): void;
  /** `fit` of texts already tokenised with `analyzer` (same state as `fit` of the texts). */
  fitTokenized(docs: readonly (readonly string[])[]): void;
  /** SIF weight a / (a + p(w)) of a token. */
  weight(token: string): number;
  /** p(w) used for a token. */
  probability(token: string): number;
  /** Encodes already tokenized text (synchronous). */
  encodeTokens(tokens: readonly string[]): Float32Array;
  /** Weighted average before component removal and normalisation (for analysis and tests). */
  weightedAverage(tokens: readonly string[]): Float32Array;
  /** Each token of a text with its SIF weight and whether it has a vector (for explanations). */
  explain(text: string): { token: string; weight: number; known: boolean }[];
  /** The removed components (unit vectors); empty before `fit`. */
  readonly components: readonly Float32Array[];
  toJSON(): SifState;
  /** Restores a state saved with `toJSON` (the same word vectors must be used). */
  load(state: SifState): void;
}

/**
 * Tokens whose vector and weight a SIF encoder keeps at hand (see `createSifEncoder`). Known words are
 * bounded by the word-vector table; the cap bounds the rest (model numbers, typos: a token without a
 * vector is remembered as such only while there is room), ~100 bytes an entry.
 */
export const SIF_TOKEN_CACHE_MAX = 500_000;

export function createSifEncoder(wordVectors: WordVectors, options: Partial<SifOptions> = {}): SifEncoder {
  rejectUnknownKeys(options, Object.keys(DEFAULT_SIF_OPTIONS), 'createSifEncoder');
  const opts: SifOptions = { ...DEFAULT_SIF_OPTIONS, ...options };
  if (!(opts.a > 0)) throw createError('INVALID_ARGUMENT', `SIF parameter a must be > 0, got ${opts.a}`, { field: 'a' });
  const analyzer = opts.analyzer ?? createTextAnalyzer();
  const dimension = wordVectors.dimension;

  let catalogCounts = new Map<string, number>();
  let catalogTotal = 0;
  let components: Float32Array[] = [];
  let stateHash = '';
  /**
   * Each token's vector and SIF weight (null: no vector), for the current state: a sentence used to
   * cost several lookups per token (script test, table and catalog-count maps, a vector copy for
   * catalog vectors), ~40% of fitting and encoding. Cleared whenever the weights can change (fit, load).
   */
  let tokenCache = new Map<string, { v: Float32Array; w: number } | null>();

  function tokenEntry(token: string): { v: Float32Array; w: number } | null {
    let e = tokenCache.get(token);
    if (e !== undefined) return e;
    const v = wordVectors.vector(token);
    e = v ? { v, w: weight(token) } : null;
    if (tokenCache.size < SIF_TOKEN_CACHE_MAX) tokenCache.set(token, e);
    return e;
  }

  function probability(token: string): number {
    const prior = wordVectors.probability(token) ?? opts.unknownProbability;
    if (catalogTotal === 0) return prior;
    const lambda = catalogTotal / (catalogTotal + opts.priorStrength);
    return lambda * ((catalogCounts.get(token) ?? 0) / catalogTotal) + (1 - lambda) * prior;
  }

  function weight(token: string): number {
    return opts.a / (opts.a + probability(token));
  }

  function weightedAverage(tokens: readonly string[]): Float32Array {
    return weightedAverageInto(tokens, new Float32Array(dimension));
  }

  /** `weightedAverage` written into `out` (zeroed first): the fit reuses one buffer for every text. */
  function weightedAverageInto(tokens: readonly string[], out: Float32Array): Float32Array {
    out.fill(0);
    let n = 0;
    for (const token of tokens) {
      const e = tokenEntry(token);
      if (e === null) continue;
      const { v, w } = e;
      for (let d = 0; d < dimension; d++) out[d]! += w * v[d]!;
      n++;
    }
    if (n > 1) for (let d = 0; d < dimension; d++) out[d]! /= n;
    return out;
  }

  function removeComponents(v: Float32Array): Float32Array {
    for (const u of components) {
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += u[d]! * v[d]!;
      for (let d = 0; d < dimension; d++) v[d]! -= dot * u[d]!;
    }
    return v;
  }

  function encodeTokens(tokens: readonly string[]): Float32Array {
    return l2normalize(removeComponents(weightedAverage(tokens)));
  }

  function updateHash(): void {
    stateHash = catalogTotal === 0 && components.length === 0 ? '' : hashState(toJSON());
  }

  function toJSON(): SifState {
    return sifStateOf(opts, catalogTotal, catalogCounts, components);
  }

  function load(state: SifState): void {
    assertLoadableSifState(state, dimension);
    opts.a = state.a;
    opts.priorStrength = state.priorStrength;
    catalogTotal = state.catalogTotal;
    catalogCounts = new Map(Object.entries(state.catalogCounts));
    components = state.components.map((u) => Float32Array.from(u));
    tokenCache = new Map();
    updateHash();
  }

  function fit(texts: readonly string[]): void {
    fitTokenized(texts.map((t) => analyzer.tokenize(t)));
  }

  function fitTokenized(tokenized: readonly (readonly string[])[]): void {
    ({ counts: catalogCounts, total: catalogTotal } = countCatalogTokens(opts.catalogFrequencies ? tokenized : [], wordVectors));
    // The weights depend on the catalog counts just set: averages of the fit must not reuse old ones.
    tokenCache = new Map();
    components = [];
    components = fitSifComponents(tokenized, opts.removeComponents, dimension, weightedAverageInto);
    updateHash();
  }

  return {
    kind: 'dense',
    get id() {
      const baseId = `${opts.name}(${wordVectors.id};a=${opts.a})`;
      return stateHash ? `${baseId}:${stateHash}` : baseId;
    },
    dimension,
    modality: 'text',
    normalized: true,
    wordVectors,
    get a() {
      return opts.a;
    },
    get components() {
      return components;
    },
    analyzer,
    fit,
    fitTokenized,
    weight,
    probability,
    explain: (text) => analyzer.tokenize(text).map((token) => ({ token, weight: weight(token), known: wordVectors.vector(token) !== undefined })),
    encodeTokens,
    weightedAverage,
    toJSON,
    load,
    async encode(batch) {
      return batch.map((text) => encodeTokens(analyzer.tokenize(text)));
    },
    async encodeTokenized(batch) {
      return batch.map((tokens) => encodeTokens(tokens));
    },
  };
}

/** `SifEncoder.toJSON`: catalog counts in key order, so equal states serialise (and hash) equally. */
function sifStateOf(opts: SifOptions, catalogTotal: number, catalogCounts: Map<string, number>, components: readonly Float32Array[]): SifState {
  const counts: Record<string, number> = {};
  for (const [k, v] of [...catalogCounts].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) counts[k] = v;
  return {
    version: 1,
    a: opts.a,
    priorStrength: opts.priorStrength,
    catalogTotal,
    catalogCounts: counts,
    components: components.map((u) => Array.from(u)),
  };
}

function assertLoadableSifState(state: SifState, dimension: number): void {
  if (state.version !== 1) throw createError('PARSE_ERROR', `SIF state version ${String(state.version)} is not supported`, { field: 'version' });
  for (const u of state.components) {
    if (u.length !== dimension) throw createError('DIM_MISMATCH', `SIF state component has dimension ${u.length}, word vectors ${dimension}`, { expected: String(dimension), received: String(u.length) });
  }
}

/** Token counts of the fitted texts, kept only for words with a vector. */
function countCatalogTokens(tokenized: readonly (readonly string[])[], wordVectors: WordVectors): { counts: Map<string, number>; total: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const tokens of tokenized) {
    for (const t of tokens) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      total++;
    }
  }
  // Only words with a vector ever need p(w): keep the saved state small (no model numbers, typos).
  for (const t of [...counts.keys()]) if (!wordVectors.vector(t)) counts.delete(t);
  return { counts, total };
}

/** The `count` principal components of the texts' weighted averages (zero averages left out). */
function fitSifComponents(
  tokenized: readonly (readonly string[])[],
  count: number,
  dimension: number,
  weightedAverageInto: (tokens: readonly string[], out: Float32Array) => Float32Array,
): Float32Array[] {
  if (count === 1) {
    // One component needs only XᵀX and the mean direction: accumulated row by row (in the same order,
    // so the same sums) instead of keeping every text's average (400 MB at 1M products × 100 d).
    const acc = createGramAccumulator(dimension);
    const v = new Float32Array(dimension);
    for (const tokens of tokenized) {
      weightedAverageInto(tokens, v);
      let nonZero = false;
      for (let d = 0; d < dimension && !nonZero; d++) nonZero = v[d] !== 0;
      if (nonZero) acc.add(v);
    }
    const u = acc.rows > 0 ? acc.principalDirection() : undefined;
    return u ? [u] : [];
  }
  const components: Float32Array[] = [];
  const rows = tokenized.map((tokens) => weightedAverageInto(tokens, new Float32Array(dimension))).filter((v) => v.some((x) => x !== 0));
  for (let c = 0; c < count && rows.length > 0; c++) {
    const u = principalDirection(rows, dimension);
    if (!u) break;
    components.push(u);
    // Deflate so the next component is orthogonal to this one.
    for (const r of rows) {
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += u[d]! * r[d]!;
      for (let d = 0; d < dimension; d++) r[d]! -= dot * u[d]!;
    }
  }
  return components;
}

/**
 * XᵀX and the sum of the rows of X, accumulated one row at a time. Each entry of XᵀX is the same sum of
 * the same products in the same row order as the plain triple loop, so the result is bit for bit the
 * same, but computed faster:
 *   - only the upper triangle is summed (r_i·r_j = r_j·r_i exactly) and mirrored at the end;
 *   - rows are buffered in blocks and each entry runs over the block's rows in order with its running
 *     sum in a register (one load and store of the entry per block, not per row);
 *   - zero components are not skipped: a product that is ±0 leaves a sum that starts at +0 unchanged
 *     (such a sum is never −0), so skipping them never changed anything.
 */
export function createGramAccumulator(dimension: number): { readonly rows: number; add(row: Float32Array): void; principalDirection(iterations?: number): Float32Array | undefined } {
  const BLOCK = 64;
  const cov = new Float64Array(dimension * dimension);
  const sum = new Float64Array(dimension);
  /** The block's rows, transposed: component i of the block's b-th row at i · BLOCK + b. */
  const block = new Float64Array(dimension * BLOCK);
  let inBlock = 0;
  let rows = 0;

  function flush(): void {
    const n = inBlock;
    const t = block;
    const c = cov;
    const dim = dimension;
    for (let i = 0; i < dim; i++) {
      const bi = i * BLOCK;
      let s = sum[i]!;
      for (let b = 0; b < n; b++) s += t[bi + b]!;
      sum[i] = s;
      const base = i * dim;
      let j = i;
      // Four entries at a time share the loads of row component i; each still sums over b in order.
      for (; j + 3 < dim; j += 4) {
        const b0 = j * BLOCK;
        const b1 = b0 + BLOCK;
        const b2 = b1 + BLOCK;
        const b3 = b2 + BLOCK;
        let a0 = c[base + j]!;
        let a1 = c[base + j + 1]!;
        let a2 = c[base + j + 2]!;
        let a3 = c[base + j + 3]!;
        for (let b = 0; b < n; b++) {
          const x = t[bi + b]!;
          a0 += x * t[b0 + b]!;
          a1 += x * t[b1 + b]!;
          a2 += x * t[b2 + b]!;
          a3 += x * t[b3 + b]!;
        }
        c[base + j] = a0;
        c[base + j + 1] = a1;
        c[base + j + 2] = a2;
        c[base + j + 3] = a3;
      }
      for (; j < dim; j++) {
        const bj = j * BLOCK;
        let acc = c[base + j]!;
        for (let b = 0; b < n; b++) acc += t[bi + b]! * t[bj + b]!;
        c[base + j] = acc;
      }
    }
    inBlock = 0;
  }

  return {
    get rows() {
      return rows;
    },
    add(row) {
      for (let i = 0; i < dimension; i++) block[i * BLOCK + inBlock] = row[i]!;
      inBlock++;
      rows++;
      if (inBlock === BLOCK) flush();
    },
    principalDirection(iterations = 100) {
      flush();
      for (let i = 0; i < dimension; i++) for (let j = i + 1; j < dimension; j++) cov[j * dimension + i] = cov[i * dimension + j]!;
      return powerIteration(cov, Float64Array.from(sum), dimension, iterations);
    },
  };
}

/** First eigenvector of XᵀX (the first right singular vector of X) by power iteration. */
export function principalDirection(rows: readonly Float32Array[], dimension: number, iterations = 100): Float32Array | undefined {
  const acc = createGramAccumulator(dimension);
  for (const r of rows) acc.add(r);
  return acc.principalDirection(iterations);
}

/** Power iteration on a symmetric matrix, started from `v` (the mean direction, overwritten). */
function powerIteration(cov: Float64Array, start: Float64Array, dimension: number, iterations: number): Float32Array | undefined {
  let v = start;
  // Start from the mean direction: it is close to the top singular vector for uncentred data.
  if (!normalize64(v)) v.fill(1 / Math.sqrt(dimension));
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) {
      let s = 0;
      const base = i * dimension;
      for (let j = 0; j < dimension; j++) s += cov[base + j]! * v[j]!;
      next[i] = s;
    }
    if (!normalize64(next)) return undefined;
    let delta = 0;
    for (let i = 0; i < dimension; i++) delta += Math.abs(next[i]! - v[i]!);
    v = next;
    if (delta < 1e-9) break;
  }
  return Float32Array.from(v);
}

function normalize64(v: Float64Array): boolean {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s === 0) return false;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return true;
}

/** Short content hash of a JSON-serialisable state, for encoder ids. */
export function hashState(state: unknown): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex').slice(0, 12);
}
