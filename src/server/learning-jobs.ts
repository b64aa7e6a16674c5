/**
 * Train and eval jobs of the server: a matcher learned from the store's pair labels (written by the
 * match review page or `POST /v1/labels`), evaluated on labels or a pairs file, with a report.
 * The labelled ids are looked up in the given catalogs and in the store.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Product } from '../catalog/product.ts';
import type { Engine } from '../engine/engine.ts';
import { createError } from '../errors.ts';
import type { LabeledPair, PairRecord } from '../learning/pairs.ts';
import type { JobProgress } from './jobs.ts';
import { productToPairRecord } from '../tasks/learned-matcher.ts';
import { DEFAULT_VALID_SHARE } from '../learning/pairs.ts';
import { loadCatalog } from '../catalog/catalog-summary.ts';

export interface LearningJobContext {
  engine: Engine;
  modelPath: string;
  evalDir: string;
  /** Resolves a catalog path given in a request (under the catalog root) and loads it. */
  loadCatalog(path: string): Promise<readonly Product[]>;
}

/** Pair records of labelled ids, from the given catalogs first, then the store. */
export async function pairRecordLookup(ctx: LearningJobContext, paths: (string | undefined)[]): Promise<(id: string) => Promise<PairRecord | undefined>> {
  const table = new Map<string, PairRecord>();
  for (const path of paths) if (path) for (const p of await ctx.loadCatalog(path)) table.set(p.id, productToPairRecord(p));
  return async (id) => {
    const known = table.get(id);
    if (known) return known;
    const stored = await ctx.engine.getProduct(id);
    return stored ? productToPairRecord(stored) : undefined;
  };
}

async function labelledPairs(ctx: LearningJobContext, lookup: (id: string) => Promise<PairRecord | undefined>, source: string | undefined): Promise<{ pairs: LabeledPair[]; unresolved: number }> {
  const labels = await ctx.engine.store.getLabels(source === undefined ? {} : { source });
  const pairs: LabeledPair[] = [];
  let unresolved = 0;
  for (const l of labels) {
    const left = await lookup(l.leftId);
    const right = await lookup(l.rightId);
    if (!left || !right) {
      unresolved += 1;
      continue;
    }
    pairs.push({ left, right, label: l.label >= 0.5 ? 1 : 0, leftId: l.leftId, rightId: l.rightId });
  }
  return { pairs, unresolved };
}

export interface TrainJobInput {
  classifier?: 'gbdt' | 'logistic' | 'ensemble' | undefined;
  source?: string | undefined;
  left?: string | undefined;
  right?: string | undefined;
  validShare?: number | undefined;
}

export async function runTrainJob(ctx: LearningJobContext, input: TrainJobInput, report: (p: JobProgress) => void) {
  const { trainMatcher, saveMatcherModel } = await import('../learning/matcher.ts');
  const { trainingSplit } = await import('../learning/pairs.ts');
  report({ stage: 'load labels', done: 0, total: 1 });
  const lookup = await pairRecordLookup(ctx, [input.left, input.right]);
  const { pairs, unresolved } = await labelledPairs(ctx, lookup, input.source);
  const positives = pairs.filter((p) => p.label === 1).length;
  if (pairs.length < 4 || positives === 0 || positives === pairs.length) {
    throw createError('INVALID_ARGUMENT', `training needs at least 4 labelled pairs with both matches and non-matches; found ${pairs.length} (${positives} matches, ${unresolved} with unknown ids)`, { field: 'labels' });
  }
  const { train, valid } = trainingSplit(pairs, { validShare: input.validShare ?? DEFAULT_VALID_SHARE });
  const matcher = trainMatcher(train, valid, {
    classifier: input.classifier ?? 'gbdt',
    onProgress: (stage, done, total) => report({ stage, done, total }),
  });
  mkdirSync(dirname(ctx.modelPath), { recursive: true });
  saveMatcherModel(matcher.model, ctx.modelPath);
  report({ stage: 'saved', done: 1, total: 1 });
  return {
    model: ctx.modelPath,
    classifier: matcher.model.classifier,
    threshold: matcher.model.threshold,
    pairs: pairs.length,
    trainPairs: train.length,
    validPairs: valid.length,
    positives,
    unresolvedLabels: unresolved,
    validMetrics: matcher.model.training.validMetrics ?? null,
  };
}

export interface EvalJobInput {
  pairs?: string | undefined;
  source?: string | undefined;
  left?: string | undefined;
  right?: string | undefined;
  title?: string | undefined;
}

function readPairIds(path: string): { leftId: string; rightId: string; label: number }[] {
  const rows = parseCsv(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.map((r, i) => {
    const leftId = r.left_id ?? r.ltable_id ?? r.leftId;
    const rightId = r.right_id ?? r.rtable_id ?? r.rightId;
    const label = Number(r.label);
    if (!leftId || !rightId || !(label === 0 || label === 1)) throw createError('PARSE_ERROR', 'expected columns left_id,right_id,label (0 or 1)', { file: path, line: i + 2 });
    return { leftId, rightId, label };
  });
}

export async function runEvalJob(ctx: LearningJobContext, input: EvalJobInput & { pairsPath?: string }, report: (p: JobProgress) => void) {
  if (!existsSync(ctx.modelPath)) throw createError('NOT_TRAINED', `no matcher at ${ctx.modelPath}: run a train job first`, { file: ctx.modelPath });
  const { loadMatcherModel, matcherFromModel, pairsSeenInTraining } = await import('../learning/matcher.ts');
  const { evaluatePairs, writeEvalReport } = await import('../learning/eval-report.ts');
  report({ stage: 'load', done: 0, total: 1 });
  const matcher = matcherFromModel(loadMatcherModel(ctx.modelPath));
  const lookup = await pairRecordLookup(ctx, [input.left, input.right]);
  let pairs: LabeledPair[];
  let unresolved = 0;
  if (input.pairsPath) {
    pairs = [];
    for (const p of readPairIds(input.pairsPath)) {
      const left = await lookup(p.leftId);
      const right = await lookup(p.rightId);
      if (!left || !right) unresolved += 1;
      else pairs.push({ left, right, label: p.label as 0 | 1, leftId: p.leftId, rightId: p.rightId });
    }
  } else {
    ({ pairs, unresolved } = await labelledPairs(ctx, lookup, input.source));
  }
  if (pairs.length === 0) throw createError('INVALID_ARGUMENT', `no labelled pairs to evaluate (${unresolved} with unknown ids)`, { field: 'pairs' });
  report({ stage: 'score', done: 0, total: pairs.length });
  const scores = matcher.score(pairs);
  report({ stage: 'score', done: pairs.length, total: pairs.length });
  const evaluation = evaluatePairs(scores, pairs.map((p) => p.label!), matcher.model.threshold);
  const title = input.title ?? (input.pairs ? `Evaluation on ${input.pairs}` : 'Evaluation on stored labels');
  const files = writeEvalReport(evaluation, ctx.evalDir, { title, name: `prodsim ${matcher.model.classifier}` });
  const { curve: _c, scores: _s, labels: _l, ...summary } = evaluation;
  return { ...summary, unresolvedPairs: unresolved, pairsSeenInTraining: pairsSeenInTraining(matcher.model, pairs), report: files };
}

/** The train and eval jobs as they run in a worker thread (`runWorkInThread`): catalog paths arrive resolved and confined. */
export interface LearningThreadInput<I> {
  input: I;
  modelPath: string;
  evalDir: string;
}

function threadContext(engine: Engine, modelPath: string, evalDir: string): LearningJobContext {
  return { engine, modelPath, evalDir, loadCatalog: async (path) => (await loadCatalog(path)).products };
}

const progressTo = (onProgress: (done: number, total: number, stage?: string) => void) => (p: JobProgress) => onProgress(p.done, p.total, p.stage);

export async function trainInThread(engine: Engine, { input, modelPath, evalDir }: LearningThreadInput<TrainJobInput>, onProgress: (done: number, total: number, stage?: string) => void) {
  return runTrainJob(threadContext(engine, modelPath, evalDir), input, progressTo(onProgress));
}

export async function evalInThread(engine: Engine, { input, modelPath, evalDir }: LearningThreadInput<EvalJobInput & { pairsPath?: string }>, onProgress: (done: number, total: number, stage?: string) => void) {
  return runEvalJob(threadContext(engine, modelPath, evalDir), input, progressTo(onProgress));
}
