/**
 * What every route group of the server shares (`routes-*.ts`): the engine, the limits, the server's
 * folders, the job runner and metrics, the access checks, and how paths in requests are confined
 * to the catalog root and taken out of error texts.
 */
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import type { Context, MiddlewareHandler } from 'hono';
import type { Engine } from '../engine/engine.ts';
import { createError } from '../errors.ts';
import { bearer, sameSecret, under } from './http.ts';
import { createJobRunner, type JobRunner } from './jobs.ts';
import { createServerMetrics, type ServerMetrics } from './metrics.ts';
import { DEFAULT_SERVER_LIMITS, type ServerAppOptions, type ServerLimits } from './server-options.ts';
import { DEFAULT_TASK_JOB_LIMITS, type TaskJobLimits } from './task-jobs.ts';
import { createGuardedImageFetch } from './url-policy.ts';

export interface ServerContext {
  readonly options: ServerAppOptions;
  readonly engine: Engine;
  readonly limits: ServerLimits;
  readonly catalogRoot: string;
  readonly modelPath: string;
  readonly evalDir: string;
  readonly reportsDir: string;
  readonly jobs: JobRunner;
  readonly taskJobLimits: TaskJobLimits;
  readonly metrics: ServerMetrics;
  /** Undefined unless the server was started with `allowImageUrls`. */
  readonly imageFetch: ReturnType<typeof createGuardedImageFetch> | undefined;
  /** Server folders, longest first, as they may appear in error texts (`hideServerPaths`). */
  readonly serverFolders: readonly string[];
}

export function createServerContext(options: ServerAppOptions): ServerContext {
  const catalogRoot = resolve(options.catalogRoot ?? process.cwd());
  const modelPath = resolve(options.modelPath ?? join(catalogRoot, '.prodsim/matcher.json'));
  const evalDir = resolve(options.evalDir ?? join(catalogRoot, '.prodsim/eval'));
  const reportsDir = resolve(options.reportsDir ?? join(catalogRoot, 'docs/benchmarks'));
  const serverFolders = [...new Set([catalogRoot, evalDir, reportsDir, dirname(modelPath), dirname(resolve(options.engine.store.path)), process.cwd(), homedir(), tmpdir()])]
    .filter((f) => f.length > 1)
    .sort((a, b) => b.length - a.length);
  return {
    options,
    engine: options.engine,
    limits: { ...DEFAULT_SERVER_LIMITS, ...options.limits },
    catalogRoot,
    modelPath,
    evalDir,
    reportsDir,
    jobs: createJobRunner(options.jobRunner),
    taskJobLimits: { ...DEFAULT_TASK_JOB_LIMITS, ...options.taskJobs },
    metrics: createServerMetrics(),
    imageFetch: options.allowImageUrls ? createGuardedImageFetch() : undefined,
    serverFolders,
  };
}

/** A path under one of the server's folders is shown relative to it; any other absolute path is cut to its last part. */
export function hideServerPaths(ctx: ServerContext, text: string): string {
  let out = text;
  for (const folder of ctx.serverFolders) out = out.split(folder + sep).join('').split(folder).join('.');
  return out.replace(/(?<![\w:/.])\/(?:[^\s/:'"`]+\/)+([^\s/:'"`]+)/g, '…/$1');
}

export function catalogPath(ctx: ServerContext, p: string, field: string): string {
  const full = under(ctx.catalogRoot, p);
  if (!full) throw createError('INVALID_ARGUMENT', `catalog paths must lie under the server's catalog root`, { field, received: p });
  if (!existsSync(full)) throw createError('FILE_NOT_FOUND', `no such catalog: ${p}`, { file: p, field });
  return full;
}

/** A caller with the write token, or the read token when there is one. */
function holdsToken(ctx: ServerContext, c: Context): boolean {
  const token = bearer(c);
  if (token === undefined) return false;
  const { writeToken, readToken } = ctx.options;
  return (writeToken !== undefined && sameSecret(token, writeToken)) || (readToken !== undefined && sameSecret(token, readToken));
}

/**
 * Inputs that name files on the server (catalogs, profile or model files) may only name files
 * under the catalog root; they are passed on as absolute paths.
 */
export function confineServerPaths<T extends Record<string, unknown>>(ctx: ServerContext, input: T, c: Context): T {
  const names = ['left', 'right', 'catalog', 'model', 'pairs', 'valid'].filter((key) => typeof input[key] === 'string');
  if (typeof input.profile === 'string' && input.profile.endsWith('.json')) names.push('profile');
  if (names.length > 0 && !holdsToken(ctx, c)) {
    throw createError('UNAUTHORIZED', `reading files on the server (${names.join(', ')}) needs the header "Authorization: Bearer <token>"; send products inline instead`, { field: names[0]! });
  }
  const out: Record<string, unknown> = { ...input };
  for (const key of ['left', 'right', 'catalog', 'model', 'ranker', 'judgments', 'queries', 'pairs', 'valid']) if (typeof out[key] === 'string') out[key] = catalogPath(ctx, out[key], key);
  if (typeof out.profile === 'string' && out.profile.endsWith('.json')) out.profile = catalogPath(ctx, out.profile, 'profile');
  return out as T;
}

/** The access checks of the routes, as middleware (`write`, `read`) and as a check in a handler (`longTask`). */
export interface AccessGuards {
  readonly write: MiddlewareHandler;
  readonly read: MiddlewareHandler;
  /**
   * Reads whose cost grows with the catalog (dedup, match) need a token above the synchronous bound
   * and as jobs, even where reads are open: the write token, or the read token when one is set. One
   * untokened dedup held a 62k-product server for 805 s (issue 17).
   */
  longTask(c: Context): void;
}

export function accessGuards({ options }: ServerContext): AccessGuards {
  return {
    async write(c, next) {
      const token = bearer(c);
      if (!options.writeToken) throw createError('UNAUTHORIZED', 'this server was started without a write token: writes are disabled (set PRODSIM_TOKEN or --token)');
      if (!token || !sameSecret(token, options.writeToken)) throw createError('UNAUTHORIZED', 'writes need the header "Authorization: Bearer <token>" with the write token');
      await next();
    },
    async read(c, next) {
      if (options.readToken) {
        const token = bearer(c);
        const ok = token !== undefined && (sameSecret(token, options.readToken) || (options.writeToken !== undefined && sameSecret(token, options.writeToken)));
        if (!ok) throw createError('UNAUTHORIZED', 'reads on this server need the header "Authorization: Bearer <token>"');
      }
      await next();
    },
    longTask(c) {
      const token = bearer(c);
      const ok = token !== undefined && ((options.writeToken !== undefined && sameSecret(token, options.writeToken)) || (options.readToken !== undefined && sameSecret(token, options.readToken)));
      if (!ok) throw createError('UNAUTHORIZED', 'dedup and match need the header "Authorization: Bearer <token>" (the write token, or the read token when the server has one)');
    },
  };
}
