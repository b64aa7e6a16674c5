/**
 * A matcher: fitted pair features + a classifier giving a match probability + a decision
 * threshold chosen on validation pairs to maximise F1. `trainMatcher` learns one from
 * labelled pairs, `applyMatcher` scores pairs, `saveMatcherModel`/`loadMatcherModel` keep it
 * in a JSON model file, `toLinearMatcherProfile` exports the logistic formula in raw feature units
 * (the fusion profile the applications use is learned by `learnFusionProfile`, fusion-learning.ts).
 */
import { createHash } from 'node:crypto';
import { gradientBoostingContributions, logisticContributions, meanExplanation, type ModelExplanation } from './contributions.ts';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createError, rejectUnknownKeys } from '../errors.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import { createTextAnalyzer } from '../text/text-analyzer.ts';
import type { LabeledPair, PairRecord } from './pairs.ts';
import { createPairFeatureExtractor, fitPairFeatures, type PairFeatureExtractor, type PairFeatureOptions, type PairFeatureState } from './pair-features.ts';
import { fitLogisticRegression, predictLogistic, rawUnitWeights, type LogisticModel, type LogisticRegressionOptions } from './logistic-regression.ts';
import { fitGradientBoosting, fitGradientBoostingHeldOut, predictGradientBoosting, type GradientBoostingModel, type GradientBoostingOptions } from './gradient-boosting.ts';
import { earlyStoppingSplit, sharedRecordShare } from './splits.ts';
import { bestF1Threshold, pairMetricsAt, prAuc, reliability, type PairMetrics, type ReliabilitySummary } from './metrics.ts';
import { crossFittedTokenLogits, fitTokenModel, tokenModelLogit, tokenModelTerms, type TokenModelOptions, type TokenModelState, type TokenPair } from './token-model.ts';

export type ClassifierKind = 'logistic' | 'gbdt' | 'ensemble';

export interface TrainMatcherOptions {
  /** `gbdt` (default): boosted trees; `logistic`: linear; `ensemble`: mean of both probabilities. */
  classifier: ClassifierKind;
  /** Records to fit IDF on (both catalogs); defaults to every record in the pairs. */
  records: readonly PairRecord[] | undefined;
  features: Partial<PairFeatureOptions>;
  logistic: Partial<LogisticRegressionOptions>;
  gbdt: Partial<GradientBoostingOptions>;
  /**
   * Boosted models trained with different seeds (row subsamples) and averaged in log-odds: less
   * variance from one unlucky subsample. Stored as one model (trees concatenated, leaves scaled).
   */
  gbdtSeeds: number;
  /** Called as work progresses: stage name, done, total. */
  onProgress: ((stage: TrainingStage, done: number, total: number) => void) | undefined;
  /** Gives dense vectors for records (the `dense` feature group). */
  denseLookup: ((record: PairRecord) => Float32Array | undefined) | undefined;
  /** The learned token model's options (`token-model.ts`), whose logit is the `tokens.learned` feature; `false`: none. */
  tokenModel: Partial<TokenModelOptions> | false;
}

export type TrainingStage = 'fit-features' | 'featurize-train' | 'featurize-valid' | 'token-model' | 'logistic' | 'gbdt' | 'threshold';

export const DEFAULT_TRAIN_MATCHER_OPTIONS = {
  classifier: 'gbdt',
  records: undefined,
  features: {},
  logistic: {},
  gbdt: {},
  gbdtSeeds: 3,
  onProgress: undefined,
  denseLookup: undefined,
  tokenModel: {},
} as const satisfies TrainMatcherOptions;

/** The feature the token model's logit becomes, after the pair features. */
export const TOKEN_MODEL_FEATURE = 'tokens.learned';

/**
 * Version 2: pair features gained rare product codes, digit words, IDF-weighted missing words and
 * the distinction counts, and the fitted vocabulary its code frequencies; a version-1 model's feature
 * vector no longer lines up with today's features. Version 3: codes each title names and the other
 * lacks (`modelNumber.unmatched_both_rarest_idf`, `modelNumber.unmatched_near_miss`) and `a x b` sizes
 * that differ (`numeric.title_dimension_conflict`). Version 4: the learned token model (`tokenModel`,
 * feature `tokens.learned`).
 */
export const MATCHER_MODEL_VERSION = 4;

/** Refuses a model of another version, saying what to do (`where`: the file, when known). */
function checkModelVersion(version: unknown, where: string | undefined): void {
  if (version === MATCHER_MODEL_VERSION) return;
  const name = where ? `matcher model ${where}` : 'matcher model';
  throw createError(
    'UNSUPPORTED_FORMAT',
    `${name} has version ${String(version)}, this prodsim reads version ${MATCHER_MODEL_VERSION} (its pair features changed): train it again with \`prodsim train\``,
    where ? { file: where } : undefined,
  );
}

export interface MatcherModel {
  format: 'prodsim-matcher';
  version: number;
  classifier: ClassifierKind;
  features: PairFeatureState;
  featureNames: string[];
  logistic: LogisticModel;
  gbdt: GradientBoostingModel | undefined;
  /** The learned token model whose logit is the last feature (`tokens.learned`); absent when trained without. */
  tokenModel?: TokenModelState;
  /** Probability at or above which a pair is a match (chosen on validation pairs). */
  threshold: number;
  training: {
    trainPairs: number;
    validPairs: number;
    trainPositives: number;
    validMetrics: (PairMetrics & { prAuc: number }) | undefined;
    validReliability: ReliabilitySummary | undefined;
    seconds: number;
    /**
     * Fingerprints of the training and validation pairs (`pairFingerprint`), so an evaluation can
     * say when it scores pairs the model has seen. Absent in models written before it existed.
     */
    pairFingerprints?: string[];
    /**
     * What boosting stopped on: the validation pairs, or a record-disjoint part of the training pairs
     * when the validation pairs repeat training records (`sharedRecordShare` of them) or are absent.
     */
    earlyStopping?: { on: 'valid' | 'held-out training records'; sharedRecordShare: number; trees: number };
  };
}

/**
 * A pair's identity, the same whichever side each product is on: the two ids when the pair has
 * them, else the records' text. 48 bits of SHA-1: collisions between 10⁵ pairs are ~10⁻⁵ likely.
 */
export function pairFingerprint(p: LabeledPair): string {
  const side = (id: string | undefined, r: PairRecord) => id ?? JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  const [x, y] = [side(p.leftId, p.left), side(p.rightId, p.right)].sort();
  return createHash('sha1').update(`${x}\u0000${y}`).digest('hex').slice(0, 12);
}

/** How many of these pairs the model was trained or validated on (0 when it does not know). */
export function pairsSeenInTraining(model: MatcherModel, pairs: readonly LabeledPair[]): number {
  const seen = new Set(model.training.pairFingerprints ?? []);
  return seen.size === 0 ? 0 : pairs.filter((p) => seen.has(pairFingerprint(p))).length;
}

export interface Matcher {
  readonly model: MatcherModel;
  readonly extractor: PairFeatureExtractor;
  /** The classifier's feature rows: the pair features, then the token model's logit when the model has one. */
  featurize(pairs: readonly LabeledPair[]): Float64Array[];
  /** Match probability of each pair. */
  score(pairs: readonly LabeledPair[]): Float64Array;
  scoreFeatures(rows: readonly Float64Array[]): Float64Array;
  /**
   * Per-feature contributions to one pair's logit (`contributions.ts`). For the ensemble, the mean
   * of the two models' (its probability is the mean of their probabilities).
   */
  explain(pair: LabeledPair): ModelExplanation & { probability: number; tokenTerms: { term: string; weight: number }[] };
}

/** Titles whose tokens a token reader keeps; past it the cache starts again (a bound on memory, not a tuned size). */
const TITLE_TOKEN_CACHE_SIZE = 50_000;

/**
 * Each side's title tokens, as the token model reads them, cached by title text: the applications
 * build a new record for every pair they score, and one product's title meets many candidates.
 */
export function titleTokenReader(titleField: string, analyzer: TextAnalyzer): (pair: LabeledPair) => TokenPair {
  const cache = new Map<string, ReadonlySet<string>>();
  const tokens = (r: PairRecord) => {
    const title = r[titleField] ?? '';
    let t = cache.get(title);
    if (!t) {
      if (cache.size >= TITLE_TOKEN_CACHE_SIZE) cache.clear();
      cache.set(title, (t = new Set(analyzer.tokenize(title))));
    }
    return t;
  };
  return (pair) => ({ left: tokens(pair.left), right: tokens(pair.right), label: pair.label ?? 0 });
}

function labelsOf(pairs: readonly LabeledPair[], where: string): Uint8Array {
  return Uint8Array.from(pairs, (p, i) => {
    if (p.label === undefined) throw createError('INVALID_ARGUMENT', `${where}: pair ${i + 1} has no label`, { line: i + 1, field: 'label' });
    return p.label;
  });
}

export function recordsOfPairs(pairs: readonly LabeledPair[]): PairRecord[] {
  const seen = new Set<PairRecord>();
  const keys = new Set<string>();
  const out: PairRecord[] = [];
  for (const p of pairs) {
    for (const r of [p.left, p.right]) {
      if (seen.has(r)) continue;
      seen.add(r);
      const k = JSON.stringify(r);
      if (keys.has(k)) continue;
      keys.add(k);
      out.push(r);
    }
  }
  return out;
}

/** One model whose log-odds are the mean of the given models' (same base score: the training prior). */
export function averageBoostedModels(models: readonly GradientBoostingModel[]): GradientBoostingModel {
  const first = models[0];
  if (!first) throw createError('INVALID_ARGUMENT', 'averageBoostedModels: no models');
  const k = models.length;
  return {
    kind: 'gbdt',
    featureNames: first.featureNames,
    baseScore: models.reduce((s, m) => s + m.baseScore, 0) / k,
    trees: models.flatMap((m) => m.trees.map((t) => ({ ...t, value: t.value.map((v) => v / k) }))),
    importance: first.importance.map((_, j) => models.reduce((s, m) => s + m.importance[j]!, 0) / k),
  };
}

function buildMatcher(model: MatcherModel, extractor: PairFeatureExtractor, tokensOf: (pair: LabeledPair) => TokenPair): Matcher {
  const tokenModel = model.tokenModel;
  const featurize = (pairs: readonly LabeledPair[]): Float64Array[] => {
    const rows = extractor.featurizeAll(pairs);
    return tokenModel ? withTokenLogits(rows, tokenLogits(tokenModel, pairs, tokensOf)) : rows;
  };
  const scoreFeatures = (rows: readonly Float64Array[]) =>
    Float64Array.from(rows, (r) => {
      if (model.classifier === 'logistic' || !model.gbdt) return predictLogistic(model.logistic, r);
      if (model.classifier === 'gbdt') return predictGradientBoosting(model.gbdt, r);
      return (predictLogistic(model.logistic, r) + predictGradientBoosting(model.gbdt, r)) / 2;
    });
  const explainRow = (row: Float64Array): ModelExplanation => {
    if (model.classifier === 'logistic' || !model.gbdt) return logisticContributions(model.logistic, row);
    if (model.classifier === 'gbdt') return gradientBoostingContributions(model.gbdt, row);
    return meanExplanation(logisticContributions(model.logistic, row), gradientBoostingContributions(model.gbdt, row));
  };
  return {
    model,
    extractor,
    featurize,
    scoreFeatures,
    score: (pairs) => scoreFeatures(featurize(pairs)),
    explain: (pair) => {
      const row = featurize([pair])[0]!;
      const t = tokensOf(pair);
      return { ...explainRow(row), probability: scoreFeatures([row])[0]!, tokenTerms: tokenModel ? tokenModelTerms(tokenModel, t.left, t.right) : [] };
    },
  };
}

/** Each row with one more feature: the token model's logit of row i's pair. */
function withTokenLogits(rows: readonly Float64Array[], logitOf: (i: number) => number): Float64Array[] {
  return rows.map((row, i) => {
    const out = new Float64Array(row.length + 1);
    out.set(row);
    out[row.length] = logitOf(i);
    return out;
  });
}

/** The token model's logit of each pair, from each side's title tokens. */
function tokenLogits(state: TokenModelState, pairs: readonly LabeledPair[], tokensOf: (pair: LabeledPair) => TokenPair): (i: number) => number {
  return (i) => {
    const t = tokensOf(pairs[i]!);
    return tokenModelLogit(state, t.left, t.right);
  };
}

/**
 * Learns a matcher from labelled training pairs. With validation pairs, the threshold maximises
 * F1 on them and boosting stops early on their log loss; without, the threshold is 0.5.
 */
export function trainMatcher(
  train: readonly LabeledPair[],
  valid: readonly LabeledPair[] = [],
  options: Partial<TrainMatcherOptions> = {},
  analyzer: TextAnalyzer = createTextAnalyzer(),
): Matcher {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TRAIN_MATCHER_OPTIONS), 'trainMatcher');
  const opts: TrainMatcherOptions = { ...DEFAULT_TRAIN_MATCHER_OPTIONS, ...options };
  if (train.length === 0) throw createError('INVALID_ARGUMENT', 'trainMatcher: no training pairs');
  const started = performance.now();
  const yTrain = labelsOf(train, 'training pairs');
  const yValid = labelsOf(valid, 'validation pairs');
  const positives = yTrain.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === train.length) {
    throw createError('INVALID_ARGUMENT', 'trainMatcher: training pairs need both matches and non-matches');
  }
  const progress = opts.onProgress;
  progress?.('fit-features', 0, 1);
  const records = opts.records ?? recordsOfPairs([...train, ...valid]);
  const extractor = fitPairFeatures(records, opts.features, analyzer);
  if (opts.denseLookup) extractor.setDenseLookup(opts.denseLookup);
  progress?.('fit-features', 1, 1);
  let xTrain = extractor.featurizeAll(train, (d, t) => progress?.('featurize-train', d, t));
  let xValid = extractor.featurizeAll(valid, (d, t) => progress?.('featurize-valid', d, t));
  const names = [...extractor.names];
  const tokensOf = titleTokenReader(extractor.options.titleField!, analyzer);
  let tokenModel: TokenModelState | undefined;
  if (opts.tokenModel !== false) {
    // Training rows get logits cross-fitted on other products; valid (and later every pair) the model fitted on all training pairs.
    progress?.('token-model', 0, 1);
    const crossFitted = crossFittedTokenLogits(train, tokensOf, opts.tokenModel);
    xTrain = withTokenLogits(xTrain, (i) => crossFitted[i]!);
    tokenModel = fitTokenModel(train.map(tokensOf), opts.tokenModel);
    xValid = withTokenLogits(xValid, tokenLogits(tokenModel, valid, tokensOf));
    names.push(TOKEN_MODEL_FEATURE);
    progress?.('token-model', 1, 1);
  }
  progress?.('logistic', 0, 1);
  const logistic = fitLogisticRegression(xTrain, yTrain, names, opts.logistic);
  progress?.('logistic', 1, 1);
  let gbdt: GradientBoostingModel | undefined;
  let earlyStopping: MatcherModel['training']['earlyStopping'];
  if (opts.classifier !== 'logistic') {
    const seeds = Math.max(1, Math.floor(opts.gbdtSeeds));
    const baseSeed = opts.gbdt.seed ?? 42;
    const models: GradientBoostingModel[] = [];
    const heldOut = earlyStoppingSplit(train, valid);
    let rounds: number | undefined;
    if (heldOut) {
      // Validation pairs repeating training records keep rewarding memorisation: find the tree count on
      // training records held out whole, then fit every seed on all training pairs with it.
      rounds = fitGradientBoostingHeldOut({ rows: xTrain, labels: yTrain }, names, { ...opts.gbdt, seed: baseSeed }, heldOut).rounds;
      earlyStopping = { on: 'held-out training records', sharedRecordShare: heldOut.sharedRecordShare, trees: rounds };
    }
    for (let k = 0; k < seeds; k++) {
      const onTree = (d: number, t: number) => progress?.('gbdt', k * t + d, seeds * t);
      models.push(
        rounds !== undefined
          ? fitGradientBoosting({ rows: xTrain, labels: yTrain }, names, { ...opts.gbdt, seed: baseSeed + k, trees: rounds }, undefined, onTree)
          : fitGradientBoosting({ rows: xTrain, labels: yTrain }, names, { ...opts.gbdt, seed: baseSeed + k }, valid.length > 0 ? { rows: xValid, labels: yValid } : undefined, onTree),
      );
    }
    if (!earlyStopping) earlyStopping = { on: 'valid', sharedRecordShare: sharedRecordShare(train, valid), trees: Math.round(models.reduce((a, m) => a + m.trees.length, 0) / models.length) };
    gbdt = averageBoostedModels(models);
  }
  const model: MatcherModel = {
    format: 'prodsim-matcher',
    version: MATCHER_MODEL_VERSION,
    classifier: opts.classifier,
    features: extractor.toState(),
    featureNames: names,
    logistic,
    gbdt,
    ...(tokenModel ? { tokenModel } : {}),
    threshold: 0.5,
    training: {
      trainPairs: train.length,
      validPairs: valid.length,
      trainPositives: positives,
      validMetrics: undefined,
      validReliability: undefined,
      seconds: 0,
      pairFingerprints: [...new Set([...train, ...valid].map(pairFingerprint))].sort(),
      ...(earlyStopping ? { earlyStopping } : {}),
    },
  };
  const matcher = buildMatcher(model, extractor, tokensOf);
  progress?.('threshold', 0, 1);
  if (valid.length > 0) {
    const scores = matcher.scoreFeatures(xValid);
    const choice = bestF1Threshold(scores, yValid);
    if (Number.isFinite(choice.threshold)) model.threshold = choice.threshold;
    model.training.validMetrics = { ...pairMetricsAt(scores, yValid, model.threshold), prAuc: prAuc(scores, yValid) };
    model.training.validReliability = reliability(scores, yValid);
  }
  progress?.('threshold', 1, 1);
  model.training.seconds = (performance.now() - started) / 1000;
  return matcher;
}

/** Rebuilds a matcher from a model (e.g. one read from a file). */
export function matcherFromModel(
  model: MatcherModel,
  analyzer: TextAnalyzer = createTextAnalyzer(),
  denseLookup?: (record: PairRecord) => Float32Array | undefined,
): Matcher {
  if (model.format !== 'prodsim-matcher') throw createError('UNSUPPORTED_FORMAT', 'not a prodsim matcher model');
  checkModelVersion(model.version, undefined);
  const extractor = createPairFeatureExtractor(model.features, analyzer);
  if (denseLookup) extractor.setDenseLookup(denseLookup);
  return buildMatcher(model, extractor, titleTokenReader(extractor.options.titleField!, analyzer));
}

export interface AppliedPair {
  leftId: string | undefined;
  rightId: string | undefined;
  probability: number;
  match: boolean;
  label: 0 | 1 | undefined;
}

/** Scores pairs and decides each with the model's threshold (or the one given). */
export function applyMatcher(matcher: Matcher, pairs: readonly LabeledPair[], threshold = matcher.model.threshold): AppliedPair[] {
  const scores = matcher.score(pairs);
  return pairs.map((p, i) => ({ leftId: p.leftId, rightId: p.rightId, probability: scores[i]!, match: scores[i]! >= threshold, label: p.label }));
}

export function saveMatcherModel(model: MatcherModel, path: string): void {
  writeFileSync(path, JSON.stringify(model));
}

export function loadMatcherModel(path: string): MatcherModel {
  if (!existsSync(path)) throw createError('MODEL_NOT_FOUND', `no matcher model at ${path}`, { file: path });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the model file.
    throw createError('PARSE_ERROR', `matcher model is not valid JSON: ${(e as Error).message}`, { file: path });
  }
  const m = parsed as MatcherModel;
  if (m?.format !== 'prodsim-matcher') throw createError('UNSUPPORTED_FORMAT', 'file is not a prodsim matcher model', { file: path });
  checkModelVersion(m.version, path);
  return m;
}

/**
 * A fusion profile: the learned logistic weights in raw feature units, the bias and the decision
 * threshold on the probability, so an application can compute
 * `p = σ(bias + Σ weight·feature)` and compare it with `threshold` without this module.
 * The last feature, `tokens.learned` (when the model has a token model), is the token model's logit:
 * `tokenModel.bias` plus the weights of the pair's `shared:` / `one-side:` title-token terms.
 */
export interface LinearMatcherProfile {
  format: 'prodsim-linear-matcher-profile';
  version: 1;
  source: string;
  features: { name: string; weight: number }[];
  bias: number;
  /** Threshold on the logistic probability maximising F1 on the validation pairs. */
  threshold: number;
}

export function toLinearMatcherProfile(matcher: Matcher, validPairs: readonly LabeledPair[] = [], source = 'trainMatcher'): LinearMatcherProfile {
  const { weights, bias } = rawUnitWeights(matcher.model.logistic);
  let threshold = 0.5;
  if (validPairs.length > 0) {
    const rows = matcher.featurize(validPairs);
    const scores = Float64Array.from(rows, (r) => predictLogistic(matcher.model.logistic, r));
    const choice = bestF1Threshold(scores, labelsOf(validPairs, 'validation pairs'));
    if (Number.isFinite(choice.threshold)) threshold = choice.threshold;
  } else if (matcher.model.classifier === 'logistic') {
    threshold = matcher.model.threshold;
  }
  return {
    format: 'prodsim-linear-matcher-profile',
    version: 1,
    source,
    features: matcher.model.featureNames.map((name, j) => ({ name, weight: weights[j]! })),
    bias,
    threshold,
  };
}
