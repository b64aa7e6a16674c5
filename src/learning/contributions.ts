/**
 * Why a trained model scored one row as it did: per-feature contributions in logit space that add
 * up, with the model's base value, to the row's logit exactly.
 * - logistic regression: weight × standardised value (the bias is the base);
 * - boosted trees: each tree's leaf value is shared equally by the features its path splits on
 *   (a path attribution: exact in sum, simple to read, cheaper than Shapley values and without the
 *   per-node covers those need, which the model file does not keep).
 */
import type { GradientBoostingModel } from './gradient-boosting.ts';
import type { LogisticModel } from './logistic-regression.ts';

export interface FeatureContribution {
  feature: string;
  value: number;
  /** Added to the logit by this feature. */
  contribution: number;
}

export interface ModelExplanation {
  /** The logit before any feature (bias, or the trees' base score). */
  base: number;
  logit: number;
  /** Non-zero contributions, largest magnitude first. */
  contributions: FeatureContribution[];
}

function explanation(names: readonly string[], row: ArrayLike<number>, base: number, byFeature: Float64Array): ModelExplanation {
  let logit = base;
  const contributions: FeatureContribution[] = [];
  for (let j = 0; j < byFeature.length; j++) {
    logit += byFeature[j]!;
    if (byFeature[j] !== 0) contributions.push({ feature: names[j] ?? `f${j}`, value: row[j]!, contribution: byFeature[j]! });
  }
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { base, logit, contributions };
}

export function logisticContributions(model: LogisticModel, row: ArrayLike<number>): ModelExplanation {
  const byFeature = Float64Array.from(model.weights, (w, j) => (w * (row[j]! - model.mean[j]!)) / model.scale[j]!);
  return explanation(model.featureNames, row, model.bias, byFeature);
}

export function gradientBoostingContributions(model: GradientBoostingModel, row: ArrayLike<number>): ModelExplanation {
  const byFeature = new Float64Array(model.featureNames.length);
  const path: number[] = [];
  let base = model.baseScore;
  for (const t of model.trees) {
    path.length = 0;
    let node = 0;
    while (t.feature[node]! >= 0) {
      const f = t.feature[node]!;
      if (!path.includes(f)) path.push(f);
      node = row[f]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!;
    }
    // A tree without a split (a stump that never split) moves every row alike: part of the base.
    if (path.length === 0) base += t.value[node]!;
    for (const f of path) byFeature[f]! += t.value[node]! / path.length;
  }
  return explanation(model.featureNames, row, base, byFeature);
}

/** The mean of two explanations, for a model that averages two (the matcher's `ensemble`). */
export function meanExplanation(a: ModelExplanation, b: ModelExplanation): ModelExplanation {
  const byName = new Map<string, FeatureContribution>();
  for (const c of [...a.contributions, ...b.contributions]) {
    const seen = byName.get(c.feature);
    byName.set(c.feature, { feature: c.feature, value: c.value, contribution: (seen?.contribution ?? 0) + c.contribution / 2 });
  }
  const contributions = [...byName.values()].sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution));
  return { base: (a.base + b.base) / 2, logit: (a.logit + b.logit) / 2, contributions };
}
