/**
 * Evaluation metrics for pair decisions (precision, recall, F1, PR-AUC) and rankings
 * (nDCG@k, MRR, Recall@k). Pure functions over plain arrays so tests can check them against
 * hand-computed cases.
 */
import { createError } from '../errors.ts';

export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface PairMetrics extends ConfusionCounts {
  precision: number;
  recall: number;
  f1: number;
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>, where: string): void {
  if (scores.length !== labels.length) {
    throw createError('INVALID_ARGUMENT', `${where}: ${scores.length} scores but ${labels.length} labels`);
  }
}

/** Counts from hard predictions (1 = match). */
export function confusion(predicted: ArrayLike<number>, labels: ArrayLike<number>): ConfusionCounts {
  checkLengths(predicted, labels, 'confusion');
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const p = predicted[i]! >= 1 ? 1 : 0;
    const y = labels[i]! >= 1 ? 1 : 0;
    if (p === 1 && y === 1) c.tp++;
    else if (p === 1) c.fp++;
    else if (y === 1) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Precision, recall and F1 from counts; an undefined ratio (0/0) is 0. */
export function metricsFromCounts(c: ConfusionCounts): PairMetrics {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...c, precision, recall, f1 };
}

/** Pair metrics for scores thresholded at `threshold` (score >= threshold means match). */
export function pairMetricsAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): PairMetrics {
  checkLengths(scores, labels, 'pairMetricsAt');
  const predicted = Array.from({ length: scores.length }, (_, i) => (scores[i]! >= threshold ? 1 : 0));
  return metricsFromCounts(confusion(predicted, labels));
}

export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
}

/** Sorts indices by descending score (ties keep input order, so results are deterministic). */
function orderByScore(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx;
}

/**
 * The precision–recall curve: one point per distinct score, predicting "match" for every
 * pair scoring at least that threshold. Tied scores are taken together.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrPoint[] {
  checkLengths(scores, labels, 'precisionRecallCurve');
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= 1) positives++;
  const order = orderByScore(scores);
  const points: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]! >= 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) continue;
    points.push({ threshold: scores[i]!, precision: tp / (tp + fp), recall: positives === 0 ? 0 : tp / positives });
  }
  return points;
}

/**
 * Area under the precision–recall curve as average precision: the sum over thresholds of
 * (recall gain) × precision, the step-wise estimate (no optimistic linear interpolation).
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const curve = precisionRecallCurve(scores, labels);
  let area = 0;
  let prevRecall = 0;
  for (const p of curve) {
    area += (p.recall - prevRecall) * p.precision;
    prevRecall = p.recall;
  }
  return area;
}

export interface ThresholdChoice extends PairMetrics {
  threshold: number;
}

/**
 * The threshold maximising F1 on the given (validation) pairs. Among thresholds with the same
 * F1, the midpoint between the chosen score and the next lower one is returned, so that a
 * slightly different score on unseen pairs does not flip the decision.
 */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdChoice {
  checkLengths(scores, labels, 'bestF1Threshold');
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= 1) positives++;
  const order = orderByScore(scores);
  let best: ThresholdChoice = { threshold: Number.POSITIVE_INFINITY, ...metricsFromCounts({ tp: 0, fp: 0, fn: positives, tn: labels.length - positives }) };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]! >= 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) continue;
    const m = metricsFromCounts({ tp, fp, fn: positives - tp, tn: labels.length - positives - fp });
    if (m.f1 > best.f1) {
      const lower = next === undefined ? scores[i]! : scores[next]!;
      best = { threshold: (scores[i]! + lower) / 2, ...m };
      if (next === undefined) best.threshold = scores[i]!;
    }
  }
  return best;
}

/** Reliability of probabilities: per bin, the mean predicted probability and observed match rate. */
export interface ReliabilityBin {
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

export interface ReliabilitySummary {
  bins: ReliabilityBin[];
  /** Expected calibration error: count-weighted mean |predicted − observed|. */
  ece: number;
  /** Mean squared error of the probabilities. */
  brier: number;
}

export function reliability(probabilities: ArrayLike<number>, labels: ArrayLike<number>, binCount = 10): ReliabilitySummary {
  checkLengths(probabilities, labels, 'reliability');
  const sums = Array.from({ length: binCount }, () => ({ n: 0, p: 0, y: 0 }));
  let brier = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    const y = labels[i]! >= 1 ? 1 : 0;
    brier += (p - y) ** 2;
    const b = Math.min(binCount - 1, Math.max(0, Math.floor(p * binCount)));
    const s = sums[b]!;
    s.n++;
    s.p += p;
    s.y += y;
  }
  let ece = 0;
  const bins: ReliabilityBin[] = sums.map((s, b) => {
    const meanPredicted = s.n === 0 ? 0 : s.p / s.n;
    const observedRate = s.n === 0 ? 0 : s.y / s.n;
    ece += s.n * Math.abs(meanPredicted - observedRate);
    return { from: b / binCount, to: (b + 1) / binCount, count: s.n, meanPredicted, observedRate };
  });
  const n = labels.length;
  return { bins, ece: n === 0 ? 0 : ece / n, brier: n === 0 ? 0 : brier / n };
}

// ---------------------------------------------------------------- rankings

/**
 * One query's ranking: the ids in ranked order (best first) and the relevance of the relevant
 * ids (graded; 1 for plain binary relevance). Ids not in `relevance` have relevance 0.
 */
export interface RankedQuery {
  ranked: readonly string[];
  relevance: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

function relevanceOf(q: RankedQuery, id: string): number {
  const r = q.relevance;
  if (r instanceof Map) return (r as ReadonlyMap<string, number>).get(id) ?? 0;
  return (r as Readonly<Record<string, number>>)[id] ?? 0;
}

function relevantValues(q: RankedQuery): number[] {
  const r = q.relevance;
  const values = r instanceof Map ? [...(r as ReadonlyMap<string, number>).values()] : Object.values(r as Record<string, number>);
  return values.filter((v) => v > 0);
}

/** nDCG@k with gain (2^rel − 1) and log2(rank + 1) discount; 0 when nothing is relevant. */
export function ndcgAtK(q: RankedQuery, k: number): number {
  let dcg = 0;
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(k, q.ranked.length); i++) {
    const id = q.ranked[i]!;
    if (seen.has(id)) continue; // a duplicate id earns nothing twice
    seen.add(id);
    dcg += (2 ** relevanceOf(q, id) - 1) / Math.log2(i + 2);
  }
  const ideal = relevantValues(q).sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((rel, i) => {
    idcg += (2 ** rel - 1) / Math.log2(i + 2);
  });
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Reciprocal rank of the first relevant id (0 if none within `k`, default: the whole list). */
export function reciprocalRank(q: RankedQuery, k = Number.POSITIVE_INFINITY): number {
  for (let i = 0; i < Math.min(k, q.ranked.length); i++) {
    if (relevanceOf(q, q.ranked[i]!) > 0) return 1 / (i + 1);
  }
  return 0;
}

/** Share of the relevant ids found in the top k; 0 when nothing is relevant. */
export function recallAtK(q: RankedQuery, k: number): number {
  const total = relevantValues(q).length;
  if (total === 0) return 0;
  const found = new Set<string>();
  for (let i = 0; i < Math.min(k, q.ranked.length); i++) {
    const id = q.ranked[i]!;
    if (relevanceOf(q, id) > 0) found.add(id);
  }
  return found.size / total;
}

export interface RankingMetrics {
  queries: number;
  k: number;
  ndcg: number;
  mrr: number;
  recall: number;
}

/** Means over queries; queries with no relevant id are skipped (they have no defined ideal). */
export function evaluateRankings(queries: readonly RankedQuery[], k: number): RankingMetrics {
  let n = 0;
  let ndcg = 0;
  let mrr = 0;
  let recall = 0;
  for (const q of queries) {
    if (relevantValues(q).length === 0) continue;
    n++;
    ndcg += ndcgAtK(q, k);
    mrr += reciprocalRank(q);
    recall += recallAtK(q, k);
  }
  return { queries: n, k, ndcg: n ? ndcg / n : 0, mrr: n ? mrr / n : 0, recall: n ? recall / n : 0 };
}

export interface GroupingMetrics {
  /** Pairs of items placed in one predicted group. */
  predictedPairs: number;
  /** Of those, pairs that share a true cluster. */
  correctPairs: number;
  /** Pairs of items that share a true cluster (every two members of each). */
  truePairs: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Pairwise precision and recall of a grouping (dedup) against true clusters: every two members
 * of a predicted group are one predicted pair, correct when the two share a true cluster.
 * `clusterOf` maps each clustered item to its cluster; an item it lacks is in no cluster.
 */
export function pairwiseGroupingMetrics(groups: readonly (readonly string[])[], clusterOf: ReadonlyMap<string, string>): GroupingMetrics {
  const clusterSizes = new Map<string, number>();
  for (const c of clusterOf.values()) clusterSizes.set(c, (clusterSizes.get(c) ?? 0) + 1);
  let truePairs = 0;
  for (const n of clusterSizes.values()) truePairs += (n * (n - 1)) / 2;
  let predictedPairs = 0;
  let correctPairs = 0;
  for (const ids of groups) {
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        predictedPairs++;
        const ci = clusterOf.get(ids[i]!);
        if (ci !== undefined && ci === clusterOf.get(ids[j]!)) correctPairs++;
      }
    }
  }
  const precision = predictedPairs > 0 ? correctPairs / predictedPairs : 0;
  const recall = truePairs > 0 ? correctPairs / truePairs : 0;
  return { predictedPairs, correctPairs, truePairs, precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}
