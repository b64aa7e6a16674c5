/**
 * Gradient-boosted decision trees, small and deterministic: quantile histogram splits,
 * depth-limited level-wise trees, shrinkage, seeded row subsampling, and early stopping on a
 * validation set. Trees capture feature interactions a linear model cannot ("model numbers agree
 * AND brands agree").
 *
 * Two objectives share the tree learner: `logistic` (binary log loss, for matchers) and
 * `lambdarank` (LambdaMART, Burges 2010: for every pair of rows of one query group with different
 * graded labels, a RankNet gradient weighted by how much swapping the two would change the group's
 * nDCG), for rankers. Only the gradients, hessians, base score and early-stopping metric differ.
 */
import { createError, rejectUnknownKeys } from '../errors.ts';
import { sigmoid } from './logistic-regression.ts';
import { seededRandom } from '../random.ts';

export type BoostingObjective = 'logistic' | 'lambdarank';

export interface GradientBoostingOptions {
  /** `logistic`: labels ≥ 1 are positives. `lambdarank`: labels are graded relevance (gain 2^label − 1) inside query groups. */
  objective: BoostingObjective;
  /** lambdarank: the cut-off of the nDCG used for early stopping on the validation groups. */
  ndcgAt: number;
  trees: number;
  maxDepth: number;
  learningRate: number;
  /** Histogram bins per feature (at most 255). */
  bins: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Smallest summed hessian allowed in a child. */
  minChildWeight: number;
  /** Share of rows sampled for each tree. */
  subsample: number;
  /** Stop when the validation loss (log loss; 1 − nDCG for lambdarank) has not improved for this many trees (needs a validation set). */
  earlyStoppingRounds: number;
  seed: number;
}

export const DEFAULT_GBDT_OPTIONS = {
  objective: 'logistic',
  ndcgAt: 10,
  trees: 1500,
  maxDepth: 3,
  learningRate: 0.05,
  bins: 64,
  lambda: 1,
  minChildWeight: 1,
  subsample: 0.8,
  earlyStoppingRounds: 150,
  seed: 42,
} as const satisfies GradientBoostingOptions;

/** A tree as flat arrays; node 0 is the root; leaves have feature −1. */
export interface BoostedTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GradientBoostingModel {
  kind: 'gbdt';
  /** Absent in models saved before rankers existed: logistic. */
  objective?: BoostingObjective;
  featureNames: string[];
  baseScore: number;
  trees: BoostedTree[];
  /** Summed split gain per feature: what the trees relied on. */
  importance: number[];
}

export { seededRandom } from '../random.ts';

/** Bin edges at quantiles of the distinct values; value v goes to the first bin whose edge ≥ v. */
function binEdges(values: Float64Array, bins: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  if (distinct.length <= bins) return distinct.slice(0, -1).map((v, i) => (v + distinct[i + 1]!) / 2);
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const v = sorted[Math.floor((b * sorted.length) / bins)]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges;
}

function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function predictGradientBoostingLogit(model: GradientBoostingModel, row: ArrayLike<number>): number {
  let s = model.baseScore;
  for (const t of model.trees) {
    let node = 0;
    while (t.feature[node]! >= 0) node = row[t.feature[node]!]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!;
    s += t.value[node]!;
  }
  return s;
}

export function predictGradientBoosting(model: GradientBoostingModel, row: ArrayLike<number>): number {
  return sigmoid(predictGradientBoostingLogit(model, row));
}

function logLoss(logits: Float64Array, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, sigmoid(logits[i]!)));
    s -= labels[i]! >= 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / logits.length;
}

/** Gradient and hessian sums per (feature, bin) over the given rows; returns the totals. Kept small so V8 optimises it. */
function buildHistograms(
  members: readonly number[],
  grad: Float64Array,
  hess: Float64Array,
  binnedRows: Uint8Array,
  d: number,
  maxBins: number,
  histG: Float64Array,
  histH: Float64Array,
): [number, number] {
  histG.fill(0);
  histH.fill(0);
  let G = 0;
  let H = 0;
  for (let m = 0; m < members.length; m++) {
    const i = members[m]!;
    const g = grad[i]!;
    const h = hess[i]!;
    G += g;
    H += h;
    const base = i * d;
    for (let j = 0; j < d; j++) {
      const b = j * maxBins + binnedRows[base + j]!;
      histG[b] = histG[b]! + g;
      histH[b] = histH[b]! + h;
    }
  }
  return [G, H];
}

export interface GradientBoostingData {
  rows: readonly Float64Array[];
  labels: ArrayLike<number>;
  /** lambdarank: the query group of each row (any id; rows of a group need not be adjacent). */
  groups?: ArrayLike<number>;
  /**
   * A score each row starts from (a prior model's), which the trees correct: the fitted model predicts
   * the correction only, the caller adds the offset back. Absent: 0.
   */
  offsets?: ArrayLike<number>;
}

/** Row indices of each group, in first-seen order. */
export function groupRows(groups: ArrayLike<number>): number[][] {
  const byId = new Map<number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    let rows = byId.get(g);
    if (!rows) byId.set(g, (rows = []));
    rows.push(i);
  }
  return [...byId.values()];
}

/** DCG gain of a graded label. */
const gainOf = (label: number) => 2 ** label - 1;
const discountAt = (rank: number) => 1 / Math.log2(rank + 2);

/** The rows of a group ordered by score, best first; ties by row index (deterministic). */
function orderByScore(rows: readonly number[], scores: ArrayLike<number>): number[] {
  return [...rows].sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Mean nDCG@k over groups that have a relevant row (the others have no ideal ranking). */
export function meanGroupNdcg(groups: readonly (readonly number[])[], scores: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let sum = 0;
  let counted = 0;
  for (const rows of groups) {
    const ideal = rows.map((i) => labels[i]!).sort((a, b) => b - a);
    let idcg = 0;
    for (let r = 0; r < Math.min(k, ideal.length); r++) idcg += gainOf(ideal[r]!) * discountAt(r);
    if (idcg <= 0) continue;
    const ordered = orderByScore(rows, scores);
    let dcg = 0;
    for (let r = 0; r < Math.min(k, ordered.length); r++) dcg += gainOf(labels[ordered[r]!]!) * discountAt(r);
    sum += dcg / idcg;
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

/**
 * LambdaMART gradients of one group: for each pair (i more relevant than j), ρ = σ(s_j − s_i)
 * and |ΔnDCG| of swapping them at their current ranks (full-list discount, normalised by the
 * group's ideal DCG); i's gradient falls by ρ·|Δ|, j's rises by it, both hessians gain ρ(1−ρ)·|Δ|.
 */
function lambdaGradients(rows: readonly number[], scores: ArrayLike<number>, labels: ArrayLike<number>, grad: Float64Array, hess: Float64Array): void {
  const ordered = orderByScore(rows, scores);
  const rankOf = new Map<number, number>();
  ordered.forEach((row, r) => rankOf.set(row, r));
  const ideal = rows.map((i) => labels[i]!).sort((a, b) => b - a);
  let idcg = 0;
  ideal.forEach((l, r) => (idcg += gainOf(l) * discountAt(r)));
  if (idcg <= 0) return;
  for (let a = 0; a < rows.length; a++) {
    const i = rows[a]!;
    for (let b = 0; b < rows.length; b++) {
      const j = rows[b]!;
      if (labels[i]! <= labels[j]!) continue;
      const delta = (Math.abs(gainOf(labels[i]!) - gainOf(labels[j]!)) * Math.abs(discountAt(rankOf.get(i)!) - discountAt(rankOf.get(j)!))) / idcg;
      const rho = 1 / (1 + Math.exp(scores[i]! - scores[j]!));
      grad[i] = grad[i]! - rho * delta;
      grad[j] = grad[j]! + rho * delta;
      const h = Math.max(rho * (1 - rho) * delta, 1e-16);
      hess[i] = hess[i]! + h;
      hess[j] = hess[j]! + h;
    }
  }
}

/** Feature values cut into quantile bins: the bin edges per feature and the rows' bins, row-major. */
function binColumns(rows: GradientBoostingData['rows'], d: number, bins: number): { edges: number[][]; binnedRows: Uint8Array } {
  const n = rows.length;
  // Binning, column-major.
  const edges: number[][] = [];
  const binned: Uint8Array[] = [];
  for (let j = 0; j < d; j++) {
    const col = Float64Array.from(rows, (r) => r[j]!);
    const e = binEdges(col, bins);
    edges.push(e);
    binned.push(Uint8Array.from(col, (v) => binOf(e, v)));
  }
  const binnedRows = new Uint8Array(n * d);
  for (let j = 0; j < d; j++) {
    const col = binned[j]!;
    for (let i = 0; i < n; i++) binnedRows[i * d + j] = col[i]!;
  }
  return { edges, binnedRows };
}

/** What growing one tree reads: the binned rows and the current gradients. */
interface TreeGrowth {
  opts: GradientBoostingOptions;
  d: number;
  edges: number[][];
  binnedRows: Uint8Array;
  grad: Float64Array;
  hess: Float64Array;
  importance: number[];
}

type NodeStats = { members: number[]; g: Float64Array; h: Float64Array; G: number; H: number };

/** The split of a node with the largest gain over its histograms (feature -1: none gains). */
function bestSplit(t: TreeGrowth, stats: NodeStats): { gain: number; feature: number; bin: number } {
  const { opts, d, edges } = t;
  const maxBins = opts.bins;
  const { G, H } = stats;
  const histG = stats.g;
  const histH = stats.h;
  const parentScore = (G * G) / (H + opts.lambda);
  let bestGain = 1e-9;
  let bestFeature = -1;
  let bestBin = -1;
  for (let j = 0; j < d; j++) {
    let gl = 0;
    let hl = 0;
    const nb = edges[j]!.length; // bins 0..nb; splitting after bin b for b < nb
    for (let b = 0; b < nb; b++) {
      gl += histG[j * maxBins + b]!;
      hl += histH[j * maxBins + b]!;
      const gr = G - gl;
      const hr = H - hl;
      if (hl < opts.minChildWeight || hr < opts.minChildWeight) continue;
      const gain = (gl * gl) / (hl + opts.lambda) + (gr * gr) / (hr + opts.lambda) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = j;
        bestBin = b;
      }
    }
  }
  return { gain: bestGain, feature: bestFeature, bin: bestBin };
}

/** One tree over the sampled rows, level by level to `maxDepth`. */
function growTree(t: TreeGrowth, sample: number[]): BoostedTree {
  const { opts, d, edges, binnedRows, grad, hess, importance } = t;
  const maxBins = opts.bins;
  const tree: BoostedTree = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0] };
  // Histograms per frontier node; a child's histogram is built for the smaller child only and
  // the sibling's is the parent's minus it (the usual histogram-subtraction trick).
  const rootG = new Float64Array(d * maxBins);
  const rootH = new Float64Array(d * maxBins);
  const [rG, rH] = buildHistograms(sample, grad, hess, binnedRows, d, maxBins, rootG, rootH);
  let frontier = new Map<number, NodeStats>([[0, { members: sample, g: rootG, h: rootH, G: rG, H: rH }]]);
  for (let depth = 0; depth < opts.maxDepth && frontier.size > 0; depth++) {
    const next = new Map<number, NodeStats>();
    for (const [node, stats] of frontier) {
      const { members, G, H } = stats;
      const histG = stats.g;
      const histH = stats.h;
      const { gain: bestGain, feature: bestFeature, bin: bestBin } = bestSplit(t, stats);
      tree.value[node] = (-G / (H + opts.lambda)) * opts.learningRate;
      if (bestFeature < 0) continue;
      importance[bestFeature]! += bestGain;
      const l = tree.feature.length;
      const r = l + 1;
      tree.feature[node] = bestFeature;
      tree.threshold[node] = edges[bestFeature]![bestBin]!;
      tree.left[node] = l;
      tree.right[node] = r;
      for (const k of [l, r]) {
        tree.feature[k] = -1;
        tree.threshold[k] = 0;
        tree.left[k] = -1;
        tree.right[k] = -1;
        tree.value[k] = 0;
      }
      const leftMembers: number[] = [];
      const rightMembers: number[] = [];
      for (const i of members) (binnedRows[i * d + bestFeature]! <= bestBin ? leftMembers : rightMembers).push(i);
      if (depth + 1 < opts.maxDepth) {
        const smallIsLeft = leftMembers.length <= rightMembers.length;
        const sg = new Float64Array(d * maxBins);
        const sh = new Float64Array(d * maxBins);
        const [SG, SH] = buildHistograms(smallIsLeft ? leftMembers : rightMembers, grad, hess, binnedRows, d, maxBins, sg, sh);
        for (let k = 0; k < histG.length; k++) {
          histG[k] = histG[k]! - sg[k]!;
          histH[k] = histH[k]! - sh[k]!;
        }
        const small: NodeStats = { members: smallIsLeft ? leftMembers : rightMembers, g: sg, h: sh, G: SG, H: SH };
        const large: NodeStats = { members: smallIsLeft ? rightMembers : leftMembers, g: histG, h: histH, G: G - SG, H: H - SH };
        next.set(l, smallIsLeft ? small : large);
        next.set(r, smallIsLeft ? large : small);
      } else {
        next.set(l, { members: leftMembers, g: histG, h: histH, G: 0, H: 0 });
        next.set(r, { members: rightMembers, g: histG, h: histH, G: 0, H: 0 });
      }
    }
    frontier = next;
  }
  // Leaves at the last level get their values from their members' gradients.
  for (const [node, stats] of frontier) {
    let G = 0;
    let H = 0;
    for (const i of stats.members) {
      G += grad[i]!;
      H += hess[i]!;
    }
    tree.value[node] = (-G / (H + opts.lambda)) * opts.learningRate;
  }
  return tree;
}

export function fitGradientBoosting(
  train: GradientBoostingData,
  featureNames: readonly string[],
  options: Partial<GradientBoostingOptions> = {},
  valid?: GradientBoostingData,
  onTree?: (done: number, total: number) => void,
): GradientBoostingModel {
  rejectUnknownKeys(options, Object.keys(DEFAULT_GBDT_OPTIONS), 'fitGradientBoosting');
  const opts: GradientBoostingOptions = { ...DEFAULT_GBDT_OPTIONS, ...options };
  const n = train.rows.length;
  const d = featureNames.length;
  if (n === 0) throw createError('INVALID_ARGUMENT', 'gradient boosting: no training rows');
  if (opts.bins > 255 || opts.bins < 2) throw createError('INVALID_ARGUMENT', 'gradient boosting: bins must be in 2..255');
  const ranking = opts.objective === 'lambdarank';
  if (ranking && (!train.groups || (valid && !valid.groups))) {
    throw createError('INVALID_ARGUMENT', 'gradient boosting: the lambdarank objective needs query groups (data.groups)', { field: 'groups' });
  }
  const y = ranking ? Float64Array.from(train.labels) : Float64Array.from({ length: n }, (_, i) => (train.labels[i]! >= 1 ? 1 : 0));
  const trainGroups = ranking ? groupRows(train.groups!) : [];
  const validGroups = ranking && valid ? groupRows(valid.groups!) : [];
  const { edges, binnedRows } = binColumns(train.rows, d, opts.bins);
  const positives = y.reduce((a, b) => a + b, 0);
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  // A ranking score is only compared inside a group: any constant would do.
  const baseScore = ranking ? 0 : Math.log(prior / (1 - prior));
  const logits = Float64Array.from({ length: n }, (_, i) => baseScore + (train.offsets?.[i] ?? 0));
  const validLogits = valid ? Float64Array.from({ length: valid.rows.length }, (_, i) => baseScore + (valid.offsets?.[i] ?? 0)) : undefined;
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const rand = seededRandom(opts.seed);
  const trees: BoostedTree[] = [];
  const importance = new Array<number>(d).fill(0);
  const growth: TreeGrowth = { opts, d, edges, binnedRows, grad, hess, importance };
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestTrees = 0;

  for (let round = 0; round < opts.trees; round++) {
    if (ranking) {
      grad.fill(0);
      hess.fill(1e-16);
      for (const rows of trainGroups) lambdaGradients(rows, logits, y, grad, hess);
    } else {
      for (let i = 0; i < n; i++) {
        const p = sigmoid(logits[i]!);
        grad[i] = p - y[i]!;
        hess[i] = Math.max(p * (1 - p), 1e-16);
      }
    }
    const sample: number[] = [];
    for (let i = 0; i < n; i++) if (opts.subsample >= 1 || rand() < opts.subsample) sample.push(i);
    const tree = growTree(growth, sample);
    trees.push(tree);
    const model: GradientBoostingModel = { kind: 'gbdt', objective: opts.objective, featureNames: [...featureNames], baseScore, trees: [tree], importance };
    for (let i = 0; i < n; i++) logits[i]! += predictGradientBoostingLogit(model, train.rows[i]!) - baseScore;
    if (valid && validLogits) {
      for (let i = 0; i < valid.rows.length; i++) validLogits[i]! += predictGradientBoostingLogit(model, valid.rows[i]!) - baseScore;
      const loss = ranking ? 1 - meanGroupNdcg(validGroups, validLogits, valid.labels, opts.ndcgAt) : logLoss(validLogits, valid.labels);
      if (loss < bestLoss - 1e-7) {
        bestLoss = loss;
        bestTrees = trees.length;
      } else if (trees.length - bestTrees >= opts.earlyStoppingRounds) {
        onTree?.(opts.trees, opts.trees);
        break;
      }
    } else {
      bestTrees = trees.length;
    }
    onTree?.(round + 1, opts.trees);
  }
  return { kind: 'gbdt', objective: opts.objective, featureNames: [...featureNames], baseScore, trees: trees.slice(0, bestTrees), importance };
}

/**
 * Early stopping on a held-out part of the training rows, then a refit on all of them with the
 * number of trees found: for when no validation set fit for stopping exists (see
 * `earlyStoppingSplit` in splits.ts: validation pairs repeating training records).
 */
export function fitGradientBoostingHeldOut(
  train: GradientBoostingData,
  featureNames: readonly string[],
  options: Partial<GradientBoostingOptions>,
  heldOut: { fit: readonly number[]; stop: readonly number[] },
): { model: GradientBoostingModel; rounds: number } {
  const pick = (idx: readonly number[]): GradientBoostingData => ({ rows: idx.map((i) => train.rows[i]!), labels: idx.map((i) => train.labels[i]!) });
  const probe = fitGradientBoosting(pick(heldOut.fit), featureNames, options, pick(heldOut.stop));
  // The probe saw (1 − stop share) of the rows; the refit on all of them keeps its tree count.
  const rounds = Math.max(1, probe.trees.length);
  const { earlyStoppingRounds: _unused, ...rest } = { ...options };
  return { model: fitGradientBoosting(train, featureNames, { ...rest, trees: rounds }), rounds };
}
