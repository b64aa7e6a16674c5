/**
 * Train and eval jobs of the server: the `trainMatcher` / `evalMatcher` tasks (src/tasks/
 * matcher-training.ts, the same the CLI and `POST /v1/matcher/*` run) on the store's pair labels
 * (written by the match review page or `POST /v1/labels`) or a pairs file, with the model saved to
 * the server's model path and an evaluation report written to its report folder.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { createError } from '../errors.ts';
import type { JobProgress } from './jobs.ts';

export interface LearningJobContext {
  engine: Engine;
  modelPath: string;
  evalDir: string;
}

export interface TrainJobInput {
  classifier?: 'gbdt' | 'logistic' | 'ensemble' | undefined;
  source?: string | undefined;
  left?: string | undefined;
  right?: string | undefined;
  validShare?: number | undefined;
}

export async function runTrainJob(ctx: LearningJobContext, input: TrainJobInput, report: (p: JobProgress) => void) {
  const { saveMatcherModel } = await import('../learning/matcher.ts');
  report({ stage: 'load labels', done: 0, total: 1 });
  const { model, summary } = await ctx.engine.trainMatcher(input, { onProgress: (stage, done, total) => report({ stage, done, total }) });
  mkdirSync(dirname(ctx.modelPath), { recursive: true });
  saveMatcherModel(model, ctx.modelPath);
  report({ stage: 'saved', done: 1, total: 1 });
  return { model: ctx.modelPath, ...summary };
}

export interface EvalJobInput {
  pairs?: string | undefined;
  source?: string | undefined;
  left?: string | undefined;
  right?: string | undefined;
  title?: string | undefined;
}

export async function runEvalJob(ctx: LearningJobContext, input: EvalJobInput & { pairsPath?: string }, report: (p: JobProgress) => void) {
  if (!existsSync(ctx.modelPath)) throw createError('NOT_TRAINED', `no matcher at ${ctx.modelPath}: run a train job first`, { file: ctx.modelPath });
  const { evaluatePairs, writeEvalReport } = await import('../learning/eval-report.ts');
  report({ stage: 'score', done: 0, total: 1 });
  const { pairsPath, title: _t, pairs: _p, ...selection } = input;
  const result = await ctx.engine.evalMatcher({ ...selection, ...(pairsPath ? { pairs: pairsPath } : {}), model: ctx.modelPath });
  report({ stage: 'score', done: 1, total: 1 });
  const title = input.title ?? (input.pairs ? `Evaluation on ${input.pairs}` : 'Evaluation on stored labels');
  const files = writeEvalReport(evaluatePairs(result.scores, result.labels, result.threshold), ctx.evalDir, { title, name: `prodsim ${result.classifier}` });
  const { scores: _s, labels: _l, ...summary } = result;
  return { ...summary, report: files };
}

/** The train and eval jobs as they run in a job's process (`runWorkInProcess`): catalog paths arrive resolved and confined. */
export interface LearningJobInput<I> {
  input: I;
  modelPath: string;
  evalDir: string;
}

const progressTo = (onProgress: (done: number, total: number, stage?: string) => void) => (p: JobProgress) => onProgress(p.done, p.total, p.stage);

export async function trainInJobProcess(engine: Engine, { input, modelPath, evalDir }: LearningJobInput<TrainJobInput>, onProgress: (done: number, total: number, stage?: string) => void) {
  return runTrainJob({ engine, modelPath, evalDir }, input, progressTo(onProgress));
}

export async function evalInJobProcess(engine: Engine, { input, modelPath, evalDir }: LearningJobInput<EvalJobInput & { pairsPath?: string }>, onProgress: (done: number, total: number, stage?: string) => void) {
  return runEvalJob({ engine, modelPath, evalDir }, input, progressTo(onProgress));
}
