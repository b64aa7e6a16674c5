/**
 * The HTTP API and web UI over one engine. Task routes are dispatched from the frozen task registry
 * (`POST /v1/<task.path>`), so CLI and HTTP cannot drift; `/openapi.json` is generated from the same
 * zod schemas that validate. Only `onError` below catches: it maps a ProdsimError to its status.
 * The routes live in `routes-*.ts`, over one context (`server-context.ts`).
 *
 *   const app = createServerApp({ engine, writeToken: 'secret' });
 *   const res = await app.request('/v1/search', { method: 'POST', body: JSON.stringify({ query: '连衣裙' }) });
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { serve, type ServerType } from '@hono/node-server';
import { createTaskPool } from '../engine/task-pool.ts';
import { canRunElsewhere } from '../engine/task-process.ts';
import { TASK_LIMITS } from '../engine/task-registry.ts';
import { createError, ProdsimError } from '../errors.ts';
import type { JobRunner } from './jobs.ts';
import type { ServerMetrics } from './metrics.ts';
import { registerImageRoute, registerLabelRoutes, registerProductRoutes } from './routes-catalog.ts';
import { registerReportRoutes, registerWebRoutes } from './routes-files.ts';
import { registerJobRoutes } from './routes-jobs.ts';
import { registerStatusRoutes, registerTaskRoutes } from './routes-tasks.ts';
import { accessGuards, createServerContext, hideServerPaths, type ServerContext } from './server-context.ts';
import type { ServerAppOptions } from './server-options.ts';

export { DEFAULT_SERVER_LIMITS, type ServerAppOptions, type ServerLimits } from './server-options.ts';

export interface ServerApp {
  app: Hono;
  jobs: JobRunner;
  metrics: ServerMetrics;
}

/** Every request's route, status and time in the metrics; bodies over the limit refused before they are read. */
function registerMiddleware(app: Hono, { metrics, limits }: ServerContext): void {
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      // Errors reach onError inside next(), so c.res holds their status too.
      status = c.res?.status ?? status;
      metrics.record(`${c.req.method} ${c.req.routePath}`, status, performance.now() - t0);
    }
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: () => {
        throw createError('LIMIT_EXCEEDED', `request body is larger than ${limits.maxBodyBytes} bytes`, { field: 'body', expected: `at most ${limits.maxBodyBytes} bytes` });
      },
    }),
  );
}

/**
 * The one error handler: a ProdsimError answers with its catalogue status and location, with the
 * server's own folders taken out of every text (a client learns nothing of its layout).
 */
function registerErrorHandlers(app: Hono, ctx: ServerContext): void {
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof ProdsimError) {
      const location = err.location ? Object.fromEntries(Object.entries(err.location).map(([k, v]) => [k, typeof v === 'string' ? hideServerPaths(ctx, v) : v])) : undefined;
      return c.json({ error: { code: err.code, message: hideServerPaths(ctx, err.message), ...(location ? { location } : {}) } }, err.status as 400);
    }
    console.error(err);
    return c.json({ error: { code: 'INTERNAL', message: 'an unexpected internal error' } }, 500);
  });
}

export function createServerApp(options: ServerAppOptions): ServerApp {
  const ctx = createServerContext(options);
  const guards = accessGuards(ctx);
  const app = new Hono();
  registerMiddleware(app, ctx);
  registerStatusRoutes(app, ctx, guards);
  registerTaskRoutes(app, ctx, guards);
  registerProductRoutes(app, ctx, guards);
  registerImageRoute(app, ctx, guards);
  registerLabelRoutes(app, ctx, guards);
  registerJobRoutes(app, ctx, guards);
  registerReportRoutes(app, ctx, guards);
  registerWebRoutes(app);
  registerErrorHandlers(app, ctx);
  return { app, jobs: ctx.jobs, metrics: ctx.metrics };
}

export interface StartServerOptions extends ServerAppOptions {
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /**
   * Threads answering the short tasks (`createTaskPool`), for every core; 1 (the default): this
   * thread answers them. Needs an engine over a store file with the default encoder.
   */
  workers?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: ServerType;
  app: ServerApp;
  close(): Promise<void>;
}

export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { port = 8787, host = '127.0.0.1', workers = 1, ...appOptions } = options;
  if (!Number.isInteger(workers) || workers < 1) throw createError('INVALID_ARGUMENT', `workers must be a whole number ≥ 1, got ${workers}`, { field: 'workers' });
  if (workers > 1 && !canRunElsewhere(appOptions.engine)) throw createError('INVALID_ARGUMENT', 'workers > 1 needs an engine over a store file with the default text encoder', { field: 'workers' });
  const taskPool = appOptions.taskPool ?? (workers > 1 ? createTaskPool(appOptions.engine, { threads: workers }) : undefined);
  const app = createServerApp({ ...appOptions, taskPool });
  return new Promise((resolveStart, reject) => {
    const server = serve({ fetch: app.app.fetch, port, hostname: host }, (info) => {
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolveStart({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        server,
        app,
        close: async () => {
          await new Promise<void>((done) => server.close(() => done()));
          // A pool given by the caller is the caller's to close.
          if (taskPool && !appOptions.taskPool) await taskPool.close();
        },
      });
    });
    server.once('error', reject);
  });
}

export { TASK_LIMITS };
