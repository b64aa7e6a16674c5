/**
 * Word vectors learned from the user's own catalog texts, so domain words (brand names, 连衣裙 vs
 * 裙子, model families) get meaning that general-purpose vectors lack.
 *
 * Method (Levy, Goldberg & Dagan, TACL 2015, "Improving distributional similarity…"):
 *   1. vocabulary: tokens seen ≥ `minCount` times, the `maxVocabulary` most frequent;
 *   2. co-occurrence counts in a symmetric window of `window` tokens, each pair weighted 1/distance;
 *   3. PPMI with context-distribution smoothing: PMI(w,c) = log( P(w,c) / (P(w) · P_α(c)) ),
 *      P_α(c) = count(c)^α / Σ count^α with α = `contextSmoothing` (0.75), negatives clipped to 0;
 *   4. truncated SVD of the sparse PPMI matrix by randomized range finding with power iterations
 *      (Halko, Martinsson & Tropp 2011), vectors W = U_k · Σ_k^p with p = `eigenvalueWeight` (0.5).
 * The result is a `WordVectors` table (probability = catalog unigram frequency) and serialises to
 * JSON with the vectors base64-encoded.
 */
import { createHash } from 'node:crypto';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import type { WordNeighbour, WordVectors } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import { createTextAnalyzer } from '../../text/text-analyzer.ts';
import { seededRandom } from '../../random.ts';

export interface CatalogVectorOptions {
  dimension: number;
  /** Tokens on each side counted as context. */
  window: number;
  minCount: number;
  maxVocabulary: number;
  /** α of the smoothed context distribution. */
  contextSmoothing: number;
  /** Exponent p of the singular values in W = U Σ^p. */
  eigenvalueWeight: number;
  /** Power iterations of the randomized SVD (more = more accurate, slower). */
  powerIterations: number;
  /** Extra random directions beyond `dimension` in the randomized SVD. */
  oversampling: number;
  /** Seed of the random projection (deterministic results). */
  seed: number;
}

export const DEFAULT_CATALOG_VECTOR_OPTIONS = {
  dimension: 100,
  window: 5,
  minCount: 2,
  maxVocabulary: 20_000,
  contextSmoothing: 0.75,
  eigenvalueWeight: 0.5,
  powerIterations: 3,
  oversampling: 10,
  seed: 42,
} as const satisfies CatalogVectorOptions;

export interface CatalogVectorsJSON {
  version: 1;
  options: CatalogVectorOptions;
  words: string[];
  counts: number[];
  totalTokens: number;
  dimension: number;
  /** Float32 little-endian, words × dimension, base64. */
  vectors: string;
}

export interface CatalogVectors extends WordVectors {
  readonly words: readonly string[];
  readonly singularValues: Float32Array;
  count(word: string): number;
  nearestWords(vec: Float32Array, k: number, options?: { exclude?: readonly string[] }): WordNeighbour[];
  toJSON(): CatalogVectorsJSON;
}

/** Trains vectors from texts (tokenised with the analyser) or from pre-tokenised documents. */
export function trainCatalogVectors(
  texts: readonly string[] | readonly (readonly string[])[],
  options: Partial<CatalogVectorOptions> & { analyzer?: TextAnalyzer } = {},
): CatalogVectors {
  const { analyzer: givenAnalyzer, ...rest } = options;
  rejectUnknownKeys(rest, Object.keys(DEFAULT_CATALOG_VECTOR_OPTIONS), 'trainCatalogVectors');
  const opts: CatalogVectorOptions = { ...DEFAULT_CATALOG_VECTOR_OPTIONS, ...rest };
  if (!(opts.dimension >= 1) || !(opts.window >= 1)) throw createError('INVALID_ARGUMENT', 'trainCatalogVectors: dimension and window must be ≥ 1', { field: 'dimension' });
  let docs: (readonly string[])[];
  if (texts.length > 0 && typeof texts[0] !== 'string') docs = texts as (readonly string[])[];
  else {
    const analyzer = givenAnalyzer ?? createTextAnalyzer();
    docs = (texts as readonly string[]).map((t) => analyzer.tokenize(t));
  }

  // 1. vocabulary
  const freq = new Map<string, number>();
  let totalTokens = 0;
  for (const doc of docs) {
    for (const t of doc) {
      freq.set(t, (freq.get(t) ?? 0) + 1);
      totalTokens++;
    }
  }
  const vocab = [...freq]
    .filter(([, c]) => c >= opts.minCount)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, opts.maxVocabulary);
  const V = vocab.length;
  if (V < 2) throw createError('INVALID_ARGUMENT', `trainCatalogVectors: only ${V} words occur ≥ ${opts.minCount} times; need a larger corpus`, { field: 'minCount' });
  const index = new Map<string, number>();
  vocab.forEach(([w], i) => index.set(w, i));

  // 2. co-occurrence (sparse; key = row · V + col fits in a double exactly for V ≤ 2^26)
  const cooc = new Map<number, number>();
  for (const doc of docs) {
    const ids: number[] = [];
    for (const t of doc) {
      const i = index.get(t);
      if (i !== undefined) ids.push(i);
    }
    for (let p = 0; p < ids.length; p++) {
      const wi = ids[p]!;
      for (let d = 1; d <= opts.window && p + d < ids.length; d++) {
        const ci = ids[p + d]!;
        if (ci === wi) continue;
        const w = 1 / d;
        const k1 = wi * V + ci;
        const k2 = ci * V + wi;
        cooc.set(k1, (cooc.get(k1) ?? 0) + w);
        cooc.set(k2, (cooc.get(k2) ?? 0) + w);
      }
    }
  }

  // 3. PPMI in CSR form
  const rowSum = new Float64Array(V);
  const colSum = new Float64Array(V);
  let total = 0;
  for (const [key, c] of cooc) {
    const r = Math.floor(key / V);
    const col = key - r * V;
    rowSum[r]! += c;
    colSum[col]! += c;
    total += c;
  }
  let colSmoothTotal = 0;
  const colSmooth = new Float64Array(V);
  for (let j = 0; j < V; j++) {
    colSmooth[j] = Math.pow(colSum[j]!, opts.contextSmoothing);
    colSmoothTotal += colSmooth[j]!;
  }
  const keys = [...cooc.keys()].sort((a, b) => a - b);
  const rowPtr = new Uint32Array(V + 1);
  const colIdx: number[] = [];
  const vals: number[] = [];
  for (const key of keys) {
    const r = Math.floor(key / V);
    const col = key - r * V;
    const c = cooc.get(key)!;
    const pmi = Math.log((c / total) / ((rowSum[r]! / total) * (colSmooth[col]! / colSmoothTotal)));
    if (pmi <= 0) continue;
    colIdx.push(col);
    vals.push(pmi);
    rowPtr[r + 1]!++;
  }
  for (let r = 0; r < V; r++) rowPtr[r + 1]! += rowPtr[r]!;
  const M: CsrMatrix = { rows: V, cols: V, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(vals) };

  // 4. truncated SVD
  const k = Math.min(opts.dimension, V - 1);
  const { U, S } = randomizedSvd(M, k, opts.oversampling, opts.powerIterations, opts.seed);
  const vectors = new Float32Array(V * k);
  for (let i = 0; i < V; i++) {
    for (let c = 0; c < k; c++) vectors[i * k + c] = U[i * k + c]! * Math.pow(S[c]!, opts.eigenvalueWeight);
  }
  return buildCatalogVectors(
    vocab.map(([w]) => w),
    vocab.map(([, c]) => c),
    totalTokens,
    k,
    vectors,
    opts,
    S,
  );
}

export function catalogVectorsFromJSON(json: CatalogVectorsJSON): CatalogVectors {
  if (json.version !== 1) throw createError('PARSE_ERROR', `catalog vectors version ${String(json.version)} is not supported`, { field: 'version' });
  const bytes = Buffer.from(json.vectors, 'base64');
  const vectors = new Float32Array(bytes.length / 4);
  new Uint8Array(vectors.buffer).set(bytes);
  if (vectors.length !== json.words.length * json.dimension) {
    throw createError('PARSE_ERROR', `catalog vectors: ${vectors.length} values for ${json.words.length} words × ${json.dimension}`, { field: 'vectors' });
  }
  return buildCatalogVectors(json.words, json.counts, json.totalTokens, json.dimension, vectors, json.options, new Float32Array(0));
}

function buildCatalogVectors(
  words: string[],
  counts: number[],
  totalTokens: number,
  dimension: number,
  vectors: Float32Array,
  opts: CatalogVectorOptions,
  singularValues: Float32Array,
): CatalogVectors {
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  const norms = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    let s = 0;
    for (let d = 0; d < dimension; d++) s += vectors[i * dimension + d]! ** 2;
    norms[i] = Math.sqrt(s);
  }
  const vectorBytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const hash = createHash('sha256').update(words.join('\n')).update(vectorBytes).digest('hex').slice(0, 12);
  const json = (): CatalogVectorsJSON => ({ version: 1, options: opts, words, counts, totalTokens, dimension, vectors: vectorBytes.toString('base64') });
  return {
    id: `catalog-vectors-v1:${hash}`,
    dimension,
    words,
    singularValues,
    vector(word) {
      const i = index.get(word);
      return i === undefined ? undefined : vectors.slice(i * dimension, (i + 1) * dimension);
    },
    probability(word) {
      const i = index.get(word);
      return i === undefined ? undefined : counts[i]! / totalTokens;
    },
    count: (word) => {
      const i = index.get(word);
      return i === undefined ? 0 : counts[i]!;
    },
    nearestWords(vec, k, options = {}) {
      const exclude = new Set(options.exclude ?? []);
      let qn = 0;
      for (let d = 0; d < dimension; d++) qn += vec[d]! ** 2;
      if (qn === 0) return [];
      qn = Math.sqrt(qn);
      const scored: WordNeighbour[] = [];
      for (let i = 0; i < words.length; i++) {
        if (norms[i] === 0 || exclude.has(words[i]!)) continue;
        let dot = 0;
        for (let d = 0; d < dimension; d++) dot += vectors[i * dimension + d]! * vec[d]!;
        scored.push({ word: words[i]!, similarity: dot / (norms[i]! * qn) });
      }
      scored.sort((a, b) => b.similarity - a.similarity);
      return scored.slice(0, k);
    },
    toJSON: json,
  };
}

// ---------------------------------------------------------------------------------------------
// Randomized truncated SVD on a sparse CSR matrix (dense factors are row-major Float32Arrays).

export interface CsrMatrix {
  rows: number;
  cols: number;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}

/** Y (rows × l) = A · X (cols × l). */
function multiply(A: CsrMatrix, X: Float32Array, l: number): Float32Array {
  const Y = new Float32Array(A.rows * l);
  for (let r = 0; r < A.rows; r++) {
    const yb = r * l;
    for (let p = A.rowPtr[r]!; p < A.rowPtr[r + 1]!; p++) {
      const v = A.values[p]!;
      const xb = A.colIdx[p]! * l;
      for (let c = 0; c < l; c++) Y[yb + c]! += v * X[xb + c]!;
    }
  }
  return Y;
}

/** Z (cols × l) = Aᵀ · Y (rows × l). */
function multiplyTransposed(A: CsrMatrix, Y: Float32Array, l: number): Float32Array {
  const Z = new Float32Array(A.cols * l);
  for (let r = 0; r < A.rows; r++) {
    const yb = r * l;
    for (let p = A.rowPtr[r]!; p < A.rowPtr[r + 1]!; p++) {
      const v = A.values[p]!;
      const zb = A.colIdx[p]! * l;
      for (let c = 0; c < l; c++) Z[zb + c]! += v * Y[yb + c]!;
    }
  }
  return Z;
}

/**
 * Orthonormalises the l columns of an n × l row-major matrix in place (modified Gram–Schmidt; a
 * second pass restores orthogonality lost to float32 rounding, needed for the final basis only). A column that is (numerically) in the span of the previous ones
 * becomes zero instead of amplified rounding noise, which would break orthogonality.
 */
function orthonormalizeColumns(Q: Float32Array, n: number, l: number, passes = 2): void {
  // Work on contiguous column copies: the row-major layout would stride through memory.
  const cols: Float64Array[] = [];
  for (let c = 0; c < l; c++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = Q[i * l + c]!;
    let norm0 = 0;
    for (let i = 0; i < n; i++) norm0 += col[i]! * col[i]!;
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < passes; pass++) {
      for (const prev of cols) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += col[i]! * prev[i]!;
        if (dot === 0) continue;
        for (let i = 0; i < n; i++) col[i]! -= dot * prev[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    const inv = norm > 1e-5 * norm0 && norm > 1e-20 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) col[i]! *= inv;
    cols.push(col);
  }
  for (let c = 0; c < l; c++) {
    const col = cols[c]!;
    for (let i = 0; i < n; i++) Q[i * l + c] = col[i]!;
  }
}


/**
 * Top-k singular triplets (left vectors U, rows × k, and values S) of a sparse matrix:
 * Q = orth((A Aᵀ)^q A Ω), B = Qᵀ A, B Bᵀ = V_B Λ V_Bᵀ (Jacobi), U = Q V_B, S = √Λ.
 */
export function randomizedSvd(A: CsrMatrix, k: number, oversampling: number, powerIterations: number, seed: number): { U: Float32Array; S: Float32Array } {
  const l = Math.min(k + oversampling, A.rows, A.cols);
  const rand = seededRandom(seed);
  const omega = new Float32Array(A.cols * l);
  for (let i = 0; i < omega.length; i += 2) {
    // Box–Muller: Gaussian test matrix
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    omega[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < omega.length) omega[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  let Q = multiply(A, omega, l);
  orthonormalizeColumns(Q, A.rows, l, powerIterations === 0 ? 2 : 1);
  for (let it = 0; it < powerIterations; it++) {
    const Z = multiplyTransposed(A, Q, l);
    orthonormalizeColumns(Z, A.cols, l, 1);
    Q = multiply(A, Z, l);
    orthonormalizeColumns(Q, A.rows, l, it === powerIterations - 1 ? 2 : 1);
  }
  // Bᵀ = Aᵀ Q (cols × l); G = B Bᵀ = (Bᵀ)ᵀ Bᵀ (l × l)
  const Bt = multiplyTransposed(A, Q, l);
  const G = new Float64Array(l * l);
  for (let i = 0; i < A.cols; i++) {
    const base = i * l;
    for (let a = 0; a < l; a++) {
      const x = Bt[base + a]!;
      if (x === 0) continue;
      for (let b = a; b < l; b++) G[a * l + b]! += x * Bt[base + b]!;
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a * l + b] = G[b * l + a]!;
  const { values, vectors } = jacobiEigen(G, l);
  const order = [...values.keys()].sort((x, y) => values[y]! - values[x]!).slice(0, k);
  const S = new Float32Array(k);
  order.forEach((o, c) => {
    S[c] = Math.sqrt(Math.max(values[o]!, 0));
  });
  const U = new Float32Array(A.rows * k);
  for (let i = 0; i < A.rows; i++) {
    for (let c = 0; c < k; c++) {
      const o = order[c]!;
      let s = 0;
      for (let m = 0; m < l; m++) s += Q[i * l + m]! * vectors[m * l + o]!;
      U[i * k + c] = s;
    }
  }
  return { U, S };
}

/** Eigen-decomposition of a symmetric n × n matrix by cyclic Jacobi rotations; vectors are columns. */
export function jacobiEigen(matrix: Float64Array, n: number, maxSweeps = 60): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p]!;
          const arq = a[r * n + q]!;
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r]!;
          const aqr = a[q * n + r]!;
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p]!;
          const vrq = v[r * n + q]!;
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}
