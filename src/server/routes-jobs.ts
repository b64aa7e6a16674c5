/** Background jobs: ingest, match, dedup, train and eval; listing, polling and cancelling them. */
import { statSync } from 'node:fs';
import type { Hono } from 'hono';
import { moduleUrl } from '../engine/module-url.ts';
import { parseTaskInput } from '../engine/task-registry.ts';
import { canRunElsewhere, runWorkInProcess, SerializedResult } from '../engine/task-process.ts';
import { createError } from '../errors.ts';
import { jsonBody } from './http.ts';
import { runIngestJob } from './ingest-job.ts';
import { runEvalJob, runTrainJob, type EvalJobInput, type TrainJobInput } from './learning-jobs.ts';
import { evalJobSchema, ingestJobSchema, parseBody, trainJobSchema } from './schemas.ts';
import { catalogPath, confineServerPaths, hideServerPaths, type AccessGuards, type ServerContext } from './server-context.ts';
import { startTaskJob } from './task-jobs.ts';

/** The module whose exports run train and eval jobs in a process of their own. */
const LEARNING_JOB_MODULE = moduleUrl('./learning-jobs.ts', import.meta.url);

/**
 * Train and eval jobs over more than `syncMaxLabels` stored labels, or a pairs file over
 * `syncMaxCatalogBytes`, run in a process of their own over a read-only engine (a GBDT over many labels
 * holds its thread for minutes); catalog paths go resolved.
 */
function startLearningJob(ctx: ServerContext, kind: 'train' | 'eval', input: TrainJobInput | (EvalJobInput & { pairsPath?: string })) {
  const { engine, jobs, taskJobLimits, modelPath, evalDir } = ctx;
  const resolved = { ...input, ...(input.left ? { left: catalogPath(ctx, input.left, 'left') } : {}), ...(input.right ? { right: catalogPath(ctx, input.right, 'right') } : {}) };
  return jobs.start(kind, async (report, signal) => {
    const pairsPath = 'pairsPath' in input ? input.pairsPath : undefined;
    const large = (await engine.store.countLabels()) > taskJobLimits.syncMaxLabels || (pairsPath !== undefined && statSync(pairsPath).size > taskJobLimits.syncMaxCatalogBytes);
    if (large && canRunElsewhere(engine)) {
      return runWorkInProcess(engine, LEARNING_JOB_MODULE, kind === 'train' ? 'trainInJobProcess' : 'evalInJobProcess', { input: resolved, modelPath, evalDir }, {
        signal,
        maxMemoryMb: taskJobLimits.maxMemoryMb,
        niceness: taskJobLimits.niceness,
        onProgress: (done, total, stage) => report({ stage: stage ?? kind, done, total }),
      });
    }
    const learningCtx = { engine, modelPath, evalDir };
    return kind === 'train' ? runTrainJob(learningCtx, resolved, report) : runEvalJob(learningCtx, resolved, report);
  });
}

export function registerJobStartRoutes(app: Hono, ctx: ServerContext, guards: AccessGuards): void {
  const { engine, jobs, taskJobLimits } = ctx;
  app.post('/v1/jobs/ingest', guards.write, async (c) => {
    const input = parseBody(ingestJobSchema, await jsonBody(c), 'ingest job');
    const path = catalogPath(ctx, input.path, 'path');
    // In a process of its own (src/server/ingest-job.ts): the server keeps answering while it reads.
    const job = jobs.start('ingest', (report, signal) =>
      runIngestJob(engine, { path, refit: input.refit ?? false }, report, {
        signal,
        maxMemoryMb: taskJobLimits.maxMemoryMb,
        niceness: taskJobLimits.niceness,
        syncMaxCatalogBytes: taskJobLimits.syncMaxCatalogBytes,
      }),
    );
    return c.json(job, 202);
  });

  app.post('/v1/jobs/match', guards.read, async (c) => {
    guards.longTask(c);
    const asked = parseTaskInput('match', await jsonBody(c));
    const input = confineServerPaths(ctx, asked, c);
    const job = startTaskJob(jobs, engine, 'match', input, taskJobLimits, (result) => ({
      ...result,
      left: typeof asked.left === 'string' ? asked.left : null,
      right: typeof asked.right === 'string' ? asked.right : null,
    }));
    return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
  });

  app.post('/v1/jobs/dedup', guards.read, async (c) => {
    guards.longTask(c);
    const input = confineServerPaths(ctx, parseTaskInput('dedup', await jsonBody(c)), c);
    const job = startTaskJob(jobs, engine, 'dedup', input, taskJobLimits);
    return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
  });

  app.post('/v1/jobs/train', guards.write, async (c) => {
    const input = parseBody(trainJobSchema, await jsonBody(c), 'train job');
    return c.json(startLearningJob(ctx, 'train', input), 202);
  });

  app.post('/v1/jobs/eval', guards.write, async (c) => {
    const input = parseBody(evalJobSchema, await jsonBody(c), 'eval job');
    const pairsPath = input.pairs ? catalogPath(ctx, input.pairs, 'pairs') : undefined;
    return c.json(startLearningJob(ctx, 'eval', { ...input, ...(pairsPath ? { pairsPath } : {}) }), 202);
  });
}

export function registerJobRoutes(app: Hono, ctx: ServerContext, guards: AccessGuards): void {
  const { jobs } = ctx;
  registerJobStartRoutes(app, ctx, guards);
  app.get('/v1/jobs', guards.read, (c) => c.json({ jobs: jobs.list().map(({ result: _r, ...j }) => j) }));
  app.get('/v1/jobs/:id', guards.read, (c) => {
    const job = jobs.get(c.req.param('id'));
    if (!job) throw createError('FILE_NOT_FOUND', `no job with id "${c.req.param('id')}" (finished jobs are kept for a while)`, { field: 'id' });
    const shown = job.error ? { ...job, error: { ...job.error, message: hideServerPaths(ctx, job.error.message) } } : job;
    if (!(shown.result instanceof SerializedResult)) return c.json(shown);
    // A result serialised by its job's process goes out as it is (no parse, no second stringify here).
    const { result, ...rest } = shown;
    // Streamed as views of the result's bytes: no copy of a large result on this thread.
    const { stream, length } = result.toStream(`${JSON.stringify(rest).slice(0, -1)},"result":`, '}');
    return c.body(stream, 200, { 'content-type': 'application/json', 'content-length': String(length) });
  });
  app.post('/v1/jobs/:id/cancel', guards.read, (c) => {
    guards.longTask(c);
    const id = c.req.param('id');
    const job = jobs.get(id);
    if (!job) throw createError('FILE_NOT_FOUND', `no job with id "${id}" (finished jobs are kept for a while)`, { field: 'id' });
    const cancelled = jobs.cancel(id);
    return c.json({ ...job, result: undefined, cancelled });
  });
}
