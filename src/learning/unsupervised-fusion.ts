/**
 * Combining similarity scores without labels. An equal-weight mean of the parts' ranks lets weak or
 * noisy parts pull the combination below its best part (Chinese STS-B validation: rank mean 72.3 vs
 * its own character TF-IDF 74.8). With no label to weigh the parts, their agreement is the evidence:
 * a part that ranks pairs like the others carries the shared signal, a part that disagrees with all
 * of them carries mostly its own noise. `consensusWeights` gives each part the weight of the leading
 * eigenvector of the parts' rank-correlation matrix (the first principal component of the ranks),
 * negative entries at 0.
 */
import { createError } from '../errors.ts';

/** Ranks scaled to [0, 1] (ties share their mean rank). */
export function unitRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const r = (i + j) / 2 / Math.max(1, n - 1);
    for (let k = i; k <= j; k++) out[order[k]!] = r;
    i = j + 1;
  }
  return out;
}

function pearsonOf(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * Weights of the parts (sum 1) from their rank agreement: the leading eigenvector of the Spearman
 * correlation matrix (power iteration), negatives clipped to 0. Equal weights when parts are
 * uncorrelated or constant.
 */
export function consensusWeights(columns: readonly ArrayLike<number>[]): number[] {
  const k = columns.length;
  if (k === 0) throw createError('INVALID_ARGUMENT', 'consensusWeights: no columns');
  const ranks = columns.map(unitRanks);
  const c: number[][] = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : pearsonOf(ranks[i]!, ranks[j]!))));
  let v = new Array<number>(k).fill(1 / Math.sqrt(k));
  for (let iter = 0; iter < 200; iter++) {
    const w = c.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0)) || 1;
    const next = w.map((x) => x / norm);
    const delta = next.reduce((s, x, j) => s + Math.abs(x - v[j]!), 0);
    v = next;
    if (delta < 1e-12) break;
  }
  // The eigenvector's sign is arbitrary: make the bulk positive.
  if (v.reduce((s, x) => s + x, 0) < 0) v = v.map((x) => -x);
  const clipped = v.map((x) => Math.max(0, x));
  const total = clipped.reduce((s, x) => s + x, 0);
  return total > 0 ? clipped.map((x) => x / total) : new Array<number>(k).fill(1 / k);
}

/** Weighted mean of the parts' unit ranks. */
export function weightedRankFusion(columns: readonly ArrayLike<number>[], weights: readonly number[]): Float64Array {
  if (columns.length !== weights.length) throw createError('INVALID_ARGUMENT', `weightedRankFusion: ${columns.length} columns, ${weights.length} weights`);
  const n = columns[0]?.length ?? 0;
  const ranks = columns.map(unitRanks);
  const total = weights.reduce((s, w) => s + w, 0) || 1;
  return Float64Array.from({ length: n }, (_, i) => ranks.reduce((s, r, j) => s + r[i]! * weights[j]!, 0) / total);
}
