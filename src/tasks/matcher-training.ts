/**
 * Learning a matcher as tasks: `trainMatcher`, `evalMatcher` and `applyMatcher` read labelled pairs
 * one way — a pairs file (CSV / JSONL / Ditto, ids looked up in the given catalogs, then in the
 * store) or the store's labels (match review page, `POST /v1/labels`) — build every record with
 * `productToPairRecord`, split with `trainingSplit`, and fit IDF on the same records. The CLI
 * (`train`, `eval`, `apply`), the engine, the HTTP routes (`POST /v1/matcher/*`) and the server's
 * train and eval jobs all run these functions, so a model is the same whichever way it was trained.
 */
import type { Product } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import type { PairLabel } from '../store/store.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import { evaluatePairs, type PairEvaluation } from '../learning/eval-report.ts';
import { learnFusionProfile } from '../learning/fusion-learning.ts';
import { applyMatcher, loadMatcherModel, matcherFromModel, pairsSeenInTraining, trainMatcher, type AppliedPair, type ClassifierKind, type MatcherModel, type TrainingStage } from '../learning/matcher.ts';
import { DEFAULT_VALID_SHARE, readPairs, trainingSplit, type LabeledPair, type PairFormat, type PairRecord } from '../learning/pairs.ts';
import type { FusionProfile } from '../similarity/fusion.ts';
import { productToPairRecord } from './learned-matcher.ts';

/** Where labelled pairs and their products come from (the engine gives its store and catalog loader). */
export interface LabelledPairSource {
  getLabels(options: { source?: string }): readonly PairLabel[] | Promise<readonly PairLabel[]>;
  getProduct(id: string): Product | undefined | Promise<Product | undefined>;
  loadCatalog(path: string): Promise<readonly Product[]>;
}

/** Which labelled pairs: a pairs file, or (without one) the stored labels, optionally of one source. */
export interface PairSelection {
  /** Pairs file: CSV (`ltable_id,rtable_id,label` or `left_*` / `right_*`), JSONL or Ditto. */
  pairs?: string | undefined;
  format?: PairFormat | undefined;
  /** Catalog the left ids come from (before the store). */
  left?: string | undefined;
  /** Catalog the right ids come from (before the store). */
  right?: string | undefined;
  /** Stored labels of this source only (without `pairs`). */
  source?: string | undefined;
}

export interface TrainMatcherTaskInput extends PairSelection {
  /** Validation pairs file; default: `validShare` of the pairs held out (`trainingSplit`). */
  valid?: string | undefined;
  validShare?: number | undefined;
  classifier?: ClassifierKind | undefined;
  /** Also learn the fusion profile the applications use without a model (`--profile`). */
  fusionProfile?: boolean | undefined;
}

export interface TrainMatcherTaskResult {
  model: MatcherModel;
  /** With `fusionProfile`: the similarity stage's profile learned from the same pairs, and its threshold. */
  profile: (FusionProfile & { threshold: number }) | undefined;
  summary: {
    classifier: ClassifierKind;
    threshold: number;
    pairs: number;
    trainPairs: number;
    validPairs: number;
    positives: number;
    /** Stored labels whose products were found nowhere (skipped). */
    unresolvedLabels: number;
    features: number;
    validMetrics: MatcherModel['training']['validMetrics'] | null;
    seconds: number;
  };
}

export interface EvalMatcherTaskInput extends PairSelection {
  /** A matcher model file (`prodsim train`, `POST /v1/matcher/train`). */
  model: string;
}

export type EvalMatcherTaskResult = Omit<PairEvaluation, 'curve' | 'scores' | 'labels'> & {
  /** Pairs also among the model's training or validation pairs: the figures overstate when > 0. */
  pairsSeenInTraining: number;
  unresolvedPairs: number;
  classifier: ClassifierKind;
  /** Per pair, in input order (for reports and plots). */
  scores: number[];
  labels: number[];
};

export interface ApplyMatcherTaskInput extends PairSelection {
  model: string;
  /** Decision threshold; default: the model's. */
  threshold?: number | undefined;
}

export interface ApplyMatcherTaskResult {
  threshold: number;
  pairs: number;
  matches: number;
  unresolvedPairs: number;
  results: AppliedPair[];
}

export interface MatcherTaskContext {
  analyzer: TextAnalyzer;
  onProgress?: ((stage: TrainingStage, done: number, total: number) => void) | undefined;
}

/** A catalog's products as pair records by id. */
async function catalogTable(source: LabelledPairSource, path: string | undefined): Promise<Map<string, PairRecord> | undefined> {
  if (path === undefined) return undefined;
  return new Map((await source.loadCatalog(path)).map((p) => [p.id, productToPairRecord(p)]));
}

/**
 * The side's catalog (or the other one when only one is given: labels within one catalog), then the
 * store; ids found nowhere stay unresolved. Never the other side's catalog when both are given: two
 * shops may use the same ids for different products.
 */
async function recordLookup(source: LabelledPairSource, left: Map<string, PairRecord> | undefined, right: Map<string, PairRecord> | undefined) {
  const fromStore = new Map<string, PairRecord | undefined>();
  return async (side: 'left' | 'right', id: string): Promise<PairRecord | undefined> => {
    const table = (side === 'left' ? left : right) ?? left ?? right;
    const known = table?.get(id);
    if (known) return known;
    if (!fromStore.has(id)) {
      const stored = await source.getProduct(id);
      fromStore.set(id, stored ? productToPairRecord(stored) : undefined);
    }
    return fromStore.get(id);
  };
}

/**
 * Reads a pairs file whose ids may refer to the store: a first pass collects the ids the given
 * catalogs lack, they are fetched, then the file is read for real (an unknown id is an error
 * naming its line, as for any pairs file).
 */
async function readPairFile(file: string, format: PairFormat | undefined, lookup: (side: 'left' | 'right', id: string) => Promise<PairRecord | undefined>): Promise<LabeledPair[]> {
  const asked = { left: new Set<string>(), right: new Set<string>() };
  const probe = (side: 'left' | 'right') =>
    new (class extends Map<string, PairRecord> {
      override get(id: string): PairRecord {
        asked[side].add(id);
        return {};
      }
    })();
  readPairs(file, { left: probe('left'), right: probe('right') }, format);
  const tables = { left: new Map<string, PairRecord>(), right: new Map<string, PairRecord>() };
  for (const side of ['left', 'right'] as const) {
    for (const id of asked[side]) {
      const record = await lookup(side, id);
      if (record) tables[side].set(id, record);
    }
  }
  return readPairs(file, tables, format);
}

/** The selected labelled pairs, and the records IDF is fitted on (the given catalogs when there are, else the pairs' own). */
export async function selectLabelledPairs(source: LabelledPairSource, input: PairSelection): Promise<{ pairs: LabeledPair[]; records: PairRecord[] | undefined; unresolved: number; lookup: (side: 'left' | 'right', id: string) => Promise<PairRecord | undefined> }> {
  const [left, right] = [await catalogTable(source, input.left), await catalogTable(source, input.right)];
  const records = left || right ? [...(left?.values() ?? []), ...(right?.values() ?? [])] : undefined;
  const lookup = await recordLookup(source, left, right);
  if (input.pairs !== undefined) return { pairs: await readPairFile(input.pairs, input.format, lookup), records, unresolved: 0, lookup };
  const labels = await source.getLabels(input.source === undefined ? {} : { source: input.source });
  const pairs: LabeledPair[] = [];
  let unresolved = 0;
  for (const l of labels) {
    const [a, b] = [await lookup('left', l.leftId), await lookup('right', l.rightId)];
    if (!a || !b) unresolved += 1;
    else pairs.push({ left: a, right: b, label: l.label >= 0.5 ? 1 : 0, leftId: l.leftId, rightId: l.rightId });
  }
  return { pairs, records, unresolved, lookup };
}

export async function trainMatcherTask(source: LabelledPairSource, input: TrainMatcherTaskInput, context: MatcherTaskContext): Promise<TrainMatcherTaskResult> {
  const { pairs, records, unresolved, lookup } = await selectLabelledPairs(source, input);
  const positives = pairs.filter((p) => p.label === 1).length;
  if (pairs.length < 4 || positives === 0 || positives === pairs.length) {
    const where = input.pairs ?? (input.source === undefined ? 'the stored labels' : `the stored labels of source "${input.source}"`);
    throw createError('INVALID_ARGUMENT', `training needs at least 4 labelled pairs with both matches and non-matches; ${where} gave ${pairs.length} (${positives} matches, ${unresolved} with unknown ids)`, { field: input.pairs === undefined ? 'labels' : 'pairs' });
  }
  const share = input.validShare ?? DEFAULT_VALID_SHARE;
  if (!(share > 0 && share < 1)) throw createError('INVALID_ARGUMENT', `validShare must be in (0, 1), got ${share}`, { field: 'validShare' });
  const given = input.valid === undefined ? undefined : await readPairFile(input.valid, input.format, lookup);
  const { train, valid } = trainingSplit(pairs, { validShare: share, ...(given ? { valid: given } : {}) });
  const matcher = trainMatcher(train, valid, { classifier: input.classifier ?? 'gbdt', records, onProgress: context.onProgress }, context.analyzer);
  const model = matcher.model;
  let profile: TrainMatcherTaskResult['profile'];
  if (input.fusionProfile) {
    // The records come from productToPairRecord, so these keys are the ones it writes.
    const learned = learnFusionProfile(train, valid, { name: `learned:${input.pairs ?? 'labels'}`, mapping: { title: 'title', description: 'description', brand: 'brand', price: 'price' }, analyzer: context.analyzer });
    profile = { ...learned.profile, threshold: learned.threshold };
  }
  return {
    model,
    profile,
    summary: {
      classifier: model.classifier,
      threshold: model.threshold,
      pairs: pairs.length,
      trainPairs: train.length,
      validPairs: valid.length,
      positives,
      unresolvedLabels: unresolved,
      features: model.featureNames.length,
      validMetrics: model.training.validMetrics ?? null,
      seconds: model.training.seconds,
    },
  };
}

export async function evalMatcherTask(source: LabelledPairSource, input: EvalMatcherTaskInput, context: MatcherTaskContext): Promise<EvalMatcherTaskResult> {
  const matcher = matcherFromModel(loadMatcherModel(input.model), context.analyzer);
  const { pairs, unresolved } = await selectLabelledPairs(source, input);
  const unlabelled = pairs.findIndex((p) => p.label === undefined);
  if (unlabelled >= 0) throw createError('INVALID_ARGUMENT', `pair ${unlabelled + 1} has no label: evaluation needs labelled pairs`, { ...(input.pairs ? { file: input.pairs } : {}), field: 'label' });
  if (pairs.length === 0) throw createError('INVALID_ARGUMENT', `no labelled pairs to evaluate (${unresolved} with unknown ids)`, { field: 'pairs' });
  context.onProgress?.('threshold', 0, pairs.length);
  const evaluation = evaluatePairs(matcher.score(pairs), pairs.map((p) => p.label!), matcher.model.threshold);
  context.onProgress?.('threshold', pairs.length, pairs.length);
  const { curve: _c, scores, labels, ...summary } = evaluation;
  return { ...summary, pairsSeenInTraining: pairsSeenInTraining(matcher.model, pairs), unresolvedPairs: unresolved, classifier: matcher.model.classifier, scores: [...scores], labels: [...labels] };
}

export async function applyMatcherTask(source: LabelledPairSource, input: ApplyMatcherTaskInput, context: MatcherTaskContext): Promise<ApplyMatcherTaskResult> {
  const matcher = matcherFromModel(loadMatcherModel(input.model), context.analyzer);
  const threshold = input.threshold ?? matcher.model.threshold;
  if (!(threshold >= 0 && threshold <= 1)) throw createError('INVALID_ARGUMENT', `threshold must be in [0, 1], got ${threshold}`, { field: 'threshold' });
  const { pairs, unresolved } = await selectLabelledPairs(source, input);
  const results = applyMatcher(matcher, pairs, threshold);
  return { threshold, pairs: results.length, matches: results.filter((r) => r.match).length, unresolvedPairs: unresolved, results };
}
