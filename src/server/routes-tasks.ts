/** Health, metrics, the OpenAPI document, and one `POST /v1/<task.path>` route per task of the registry. */
import type { Hono } from 'hono';
import { parseTaskInput, runParsedTask, TASKS, type ParsedTaskInput, type TaskName, type TaskOutput } from '../engine/task-registry.ts';
import { createError } from '../errors.ts';
import { jsonBody } from './http.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { confineServerPaths, type AccessGuards, type ServerContext } from './server-context.ts';
import { exceedsSyncBound, isLongTask, startTaskJob } from './task-jobs.ts';

/** k above the server's bound is refused with the field named (the schema bounds it too). */
function checkK(ctx: ServerContext, body: unknown): void {
  const { maxK } = ctx.limits;
  if (body && typeof body === 'object' && 'k' in body) {
    const k = body.k;
    if (typeof k === 'number' && k > maxK) throw createError('INVALID_ARGUMENT', `k must be at most ${maxK}, got ${k}`, { field: 'k', expected: `1..${maxK}`, received: String(k) });
  }
}

export function registerStatusRoutes(app: Hono, ctx: ServerContext, guards: AccessGuards): void {
  const { engine, metrics, jobs, limits } = ctx;
  // Liveness only: asking the store would put a count(*) on the event loop of every probe (18 ms at 1M
  // products on SQLite, warm) for a route anyone may call; the product count is in /metrics.
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/metrics', guards.read, async (c) => {
    const s = await engine.stats();
    return c.json({ ...metrics.snapshot(), store: { products: s.products, labels: s.labels, vectors: s.vectors, sizeBytes: s.sizeBytes }, jobs: jobs.list().map((j) => ({ id: j.id, kind: j.kind, state: j.state })) });
  });
  app.get('/openapi.json', (c) => c.json(buildOpenApiDocument({ limits })));
}

export function registerTaskRoutes(app: Hono, ctx: ServerContext, guards: AccessGuards): void {
  const { engine, jobs, taskJobLimits, options } = ctx;
  // Reads use the thread pool when the server has one (`--workers`), else this thread.
  const answer = <N extends TaskName>(name: N, input: ParsedTaskInput<N>): Promise<TaskOutput<N>> =>
    options.taskPool ? options.taskPool.run(name, input) : runParsedTask(engine, name, input);
  for (const name of Object.keys(TASKS) as TaskName[]) {
    const task = TASKS[name];
    app.post(`/v1/${task.path}`, task.writes ? guards.write : guards.read, async (c) => {
      const body = await jsonBody(c);
      checkK(ctx, body);
      if (isLongTask(name)) {
        // Parsed under the narrowed name, so the input is typed as a long task's for the job.
        const input = confineServerPaths(ctx, parseTaskInput(name, body), c);
        // Within the synchronous bound dedup and match are cheap reads (inline products need no token); above it, a job for token holders.
        if (await exceedsSyncBound(engine, name, input, taskJobLimits)) {
          guards.longTask(c);
          const job = startTaskJob(jobs, engine, name, input, taskJobLimits);
          return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
        }
        return c.json(await answer(name, input));
      }
      return c.json(await answer(name, confineServerPaths(ctx, parseTaskInput(name, body), c)));
    });
  }
}
