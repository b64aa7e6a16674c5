/**
 * A learned search ranker: LambdaMART (the lambdarank objective of `gradient-boosting.ts`) over
 * the query–product features of `query-features.ts`, trained from graded judgments grouped by
 * query, early-stopped on held-out queries, saved as JSON, and explained per feature (each
 * tree's leaf value shared by the features of its path, contributions.ts: they sum with the base
 * score to the ranker's score).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createError, rejectUnknownKeys } from '../errors.ts';
import { seededRandom } from '../random.ts';
import {
  fitGradientBoosting,
  groupRows,
  meanGroupNdcg,
  predictGradientBoostingLogit,
  type GradientBoostingModel,
  type GradientBoostingOptions,
} from './gradient-boosting.ts';
import { gradientBoostingContributions } from './contributions.ts';
import { QUERY_PRODUCT_FEATURES, type RankingCorpusStatistics } from './query-features.ts';

/** One judged (or assumed irrelevant) pair with its features; `label` is the graded gain level (0 = irrelevant). */
export interface RankingExample {
  query: string;
  productId: string;
  label: number;
  features: Float64Array;
}

export interface RankerOptions {
  /** Tree options; the objective is always lambdarank. */
  gbdt: Partial<Omit<GradientBoostingOptions, 'objective'>>;
  /** Share of the training queries held out for early stopping (0: no early stopping). */
  validationShare: number;
  seed: number;
  /**
   * A linear score over named features the trees start from and correct (`RankerModel.prior`): the
   * label-free default's own formula, so that the few judged queries only have to teach what it
   * misses. Empty: the trees alone.
   */
  prior: Readonly<Record<string, number>>;
}

/**
 * Chosen by 5-fold cross-validation by query on the CrowdFlower dev queries (`npm run eval:ltr --
 * --tune`, nDCG@10 of the judged pairs): shallow trees with a strong leaf penalty (depth 2, λ 10:
 * 81.2; depth 3–6 with λ 1: 79.6–81.0), 200 trees without holding queries out (early stopping on a
 * fifth of 104 training queries stopped at 2–200 trees: too noisy). Lambda hessians are small
 * (ρ(1−ρ)·|ΔnDCG|), so the child weight floor is far below the matcher's 1.
 */
export const DEFAULT_RANKER_GBDT_OPTIONS = {
  ndcgAt: 10,
  trees: 200,
  maxDepth: 2,
  learningRate: 0.05,
  bins: 64,
  lambda: 10,
  minChildWeight: 0.01,
  subsample: 0.8,
  earlyStoppingRounds: 100,
  seed: 42,
} as const satisfies Omit<GradientBoostingOptions, 'objective'>;

export const DEFAULT_RANKER_OPTIONS = {
  gbdt: {},
  /** Off by default (see above); `validationShare: 0.2` holds a fifth of the queries out for early stopping. */
  validationShare: 0,
  seed: 42,
  prior: {},
} as const satisfies RankerOptions;

/**
 * Below this many judged queries no queries are held out: a handful of validation queries makes
 * early stopping noise (on the 10 sample queries it kept 1 tree), so the ranker gets
 * `SMALL_SET_TREES` trees instead.
 */
export const MIN_QUERIES_FOR_VALIDATION = 20;
export const SMALL_SET_TREES = 100;

export const RANKER_MODEL_VERSION = 1;

export interface RankerModel {
  kind: 'prodsim-ranker';
  version: typeof RANKER_MODEL_VERSION;
  /** The features the trees read, in vector order (must equal `QUERY_PRODUCT_FEATURES` to be applied). */
  featureNames: string[];
  /** Mean field lengths of the training catalog (BM25 length normalisation at search time). */
  averageTokens: RankingCorpusStatistics['averageTokens'];
  /** The grade that meant "irrelevant" in the judgments (labels are relevance − this, floored at 0). */
  irrelevantGrade: number;
  gbdt: GradientBoostingModel;
  /** Linear prior the trees correct: score = Σ weight × feature + trees (absent in rankers trained without one). */
  prior?: { feature: string; weight: number }[];
  training: {
    queries: number;
    examples: number;
    validationQueries: number;
    /** nDCG@ndcgAt of the held-out queries at the kept number of trees; null without validation. */
    validationNdcg: number | null;
    trees: number;
  };
}

/** Fold of each query (0..folds−1): queries shuffled with the seed and dealt round-robin, so no query is in two folds. */
export function queryFolds(queries: Iterable<string>, folds: number, seed: number): Map<string, number> {
  if (!Number.isInteger(folds) || folds < 2) throw createError('INVALID_ARGUMENT', 'queryFolds: folds must be an integer ≥ 2', { field: 'folds' });
  const distinct = [...new Set(queries)].sort();
  const rand = seededRandom(seed);
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [distinct[i], distinct[j]] = [distinct[j]!, distinct[i]!];
  }
  return new Map(distinct.map((q, i) => [q, i % folds]));
}

function groupIds(examples: readonly RankingExample[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(examples, (e) => {
    let id = ids.get(e.query);
    if (id === undefined) ids.set(e.query, (id = ids.size));
    return id;
  });
}

export function fitRanker(
  examples: readonly RankingExample[],
  context: { averageTokens: RankingCorpusStatistics['averageTokens']; irrelevantGrade: number; featureNames?: readonly string[] },
  options: Partial<RankerOptions> = {},
  onTree?: (done: number, total: number) => void,
): RankerModel {
  rejectUnknownKeys(options, Object.keys(DEFAULT_RANKER_OPTIONS), 'fitRanker');
  const opts: RankerOptions = { ...DEFAULT_RANKER_OPTIONS, ...options };
  rejectUnknownKeys(opts.gbdt, Object.keys(DEFAULT_RANKER_GBDT_OPTIONS), 'fitRanker gbdt');
  const featureNames = [...(context.featureNames ?? QUERY_PRODUCT_FEATURES)];
  if (examples.length === 0) throw createError('INVALID_ARGUMENT', 'train ranker: no judged pairs');
  const queries = [...new Set(examples.map((e) => e.query))];
  const validationQueries = new Set<string>();
  const validating = opts.validationShare > 0 && queries.length >= MIN_QUERIES_FOR_VALIDATION;
  if (validating) {
    const folds = queryFolds(queries, Math.max(2, Math.round(1 / opts.validationShare)), opts.seed);
    for (const [q, f] of folds) if (f === 0) validationQueries.add(q);
  }
  const train = examples.filter((e) => !validationQueries.has(e.query));
  const valid = examples.filter((e) => validationQueries.has(e.query));
  const prior = Object.entries(opts.prior).map(([feature, weight]) => {
    const index = featureNames.indexOf(feature);
    if (index < 0) throw createError('INVALID_ARGUMENT', `ranker prior: unknown feature ${feature}`, { field: 'prior', received: feature });
    return { feature, weight, index };
  });
  const offset = (features: ArrayLike<number>) => prior.reduce((s, p) => s + p.weight * features[p.index]!, 0);
  const data = (rows: readonly RankingExample[]) => ({
    rows: rows.map((e) => e.features),
    labels: rows.map((e) => e.label),
    groups: groupIds(rows),
    ...(prior.length > 0 ? { offsets: rows.map((e) => offset(e.features)) } : {}),
  });
  const gbdtOptions = {
    ...DEFAULT_RANKER_GBDT_OPTIONS,
    ...(validating || opts.validationShare === 0 ? {} : { trees: SMALL_SET_TREES }),
    ...opts.gbdt,
    objective: 'lambdarank' as const,
  };
  const validData = valid.length > 0 ? data(valid) : undefined;
  const gbdt = fitGradientBoosting(data(train), featureNames, gbdtOptions, validData, onTree);
  let validationNdcg: number | null = null;
  if (validData) {
    const scores = validData.rows.map((r) => predictGradientBoostingLogit(gbdt, r) + offset(r));
    validationNdcg = meanGroupNdcg(groupRows(validData.groups), scores, validData.labels, gbdtOptions.ndcgAt);
  }
  return {
    kind: 'prodsim-ranker',
    version: RANKER_MODEL_VERSION,
    featureNames,
    averageTokens: { ...context.averageTokens },
    irrelevantGrade: context.irrelevantGrade,
    gbdt,
    ...(prior.length > 0 ? { prior: prior.map(({ feature, weight }) => ({ feature, weight })) } : {}),
    training: { queries: queries.length, examples: examples.length, validationQueries: validationQueries.size, validationNdcg, trees: gbdt.trees.length },
  };
}

export function rankerScore(model: RankerModel, features: ArrayLike<number>): number {
  return predictGradientBoostingLogit(model.gbdt, features) + priorScore(model, features);
}

/** The model's linear prior at these features (0 without one). */
function priorScore(model: RankerModel, features: ArrayLike<number>): number {
  let s = 0;
  for (const p of model.prior ?? []) s += p.weight * features[model.featureNames.indexOf(p.feature)]!;
  return s;
}

export interface RankerFeatureContribution {
  feature: string;
  value: number;
  /** What this feature added to the score: each tree's leaf value shared by the features its path splits on (contributions.ts). */
  contribution: number;
}

export interface RankerExplanation {
  /** Base score plus every tree's root value: the score of a pair the trees know nothing about. */
  base: number;
  /** base + Σ contributions. */
  score: number;
  /** Every feature, largest |contribution| first. */
  features: RankerFeatureContribution[];
}

export function explainRanker(model: RankerModel, features: ArrayLike<number>): RankerExplanation {
  const explained = gradientBoostingContributions(model.gbdt, features);
  const byFeature = new Map(explained.contributions.map((c) => [c.feature, c.contribution]));
  // The prior's terms are the features' own contributions beside the trees'.
  for (const p of model.prior ?? []) byFeature.set(p.feature, (byFeature.get(p.feature) ?? 0) + p.weight * features[model.featureNames.indexOf(p.feature)]!);
  const list = model.featureNames.map((feature, j) => ({ feature, value: features[j]!, contribution: byFeature.get(feature) ?? 0 }));
  list.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature.localeCompare(b.feature));
  return { base: explained.base, score: explained.logit + priorScore(model, features), features: list };
}

/** Checks a parsed JSON value is a ranker this version can apply (its features are today's). */
export function parseRankerModel(value: unknown, where = 'ranker'): RankerModel {
  const m = value as Partial<RankerModel> | null;
  if (!m || typeof m !== 'object' || m.kind !== 'prodsim-ranker') {
    throw createError('INVALID_ARGUMENT', `${where}: not a prodsim ranker (expected kind "prodsim-ranker", from \`prodsim train-ranker\`)`, { field: 'ranker' });
  }
  if (m.version !== RANKER_MODEL_VERSION) throw createError('INVALID_ARGUMENT', `${where}: ranker version ${String(m.version)}, this prodsim reads ${RANKER_MODEL_VERSION}`, { field: 'ranker' });
  const names = m.featureNames ?? [];
  if (names.length !== QUERY_PRODUCT_FEATURES.length || names.some((n, i) => n !== QUERY_PRODUCT_FEATURES[i])) {
    throw createError('INVALID_ARGUMENT', `${where}: the ranker was trained on other features (${names.join(', ')}); train it again with this prodsim`, { field: 'ranker' });
  }
  if (!m.gbdt || !Array.isArray(m.gbdt.trees) || !m.averageTokens) throw createError('INVALID_ARGUMENT', `${where}: ranker has no trees or corpus statistics`, { field: 'ranker' });
  return m as RankerModel;
}

export function saveRankerModel(model: RankerModel, file: string): void {
  writeFileSync(file, `${JSON.stringify(model)}\n`);
}

export function loadRankerModel(file: string): RankerModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // Into a catalogue error: an unreadable ranker file is MODEL_NOT_FOUND with its path.
    throw createError('MODEL_NOT_FOUND', `ranker file ${file} cannot be read: ${(e as Error).message}`, { file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the ranker file.
    throw createError('PARSE_ERROR', `ranker file ${file} is not JSON: ${(e as Error).message}`, { file });
  }
  return parseRankerModel(parsed, file);
}
