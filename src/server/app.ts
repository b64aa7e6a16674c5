/**
 * The HTTP API and web UI over one engine. Task routes are dispatched from the frozen task registry
 * (`POST /v1/<task.path>`), so CLI and HTTP cannot drift; `/openapi.json` is generated from the same
 * zod schemas that validate. Only `onError` below catches: it maps a ProdsimError to its status.
 *
 *   const app = createServerApp({ engine, writeToken: 'secret' });
 *   const res = await app.request('/v1/search', { method: 'POST', body: JSON.stringify({ query: '连衣裙' }) });
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { homedir, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { serve, type ServerType } from '@hono/node-server';
import type { Product } from '../catalog/product.ts';
import type { Engine } from '../engine/engine.ts';
import { createTaskPool, type TaskPool } from '../engine/task-pool.ts';
import { canRunInThread, runWorkInThread, SerializedResult } from '../engine/task-thread.ts';
import { parseTaskInput, runParsedTask, TASKS, TASK_LIMITS, toProduct, type TaskName } from '../engine/task-registry.ts';
import { createError, isProdsimError, ProdsimError } from '../errors.ts';
import { summarizeProduct } from '../tasks/result-item.ts';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from './jobs.ts';
import { DEFAULT_TASK_JOB_LIMITS, exceedsSyncBound, isLongTask, startTaskJob, type TaskJobLimits } from './task-jobs.ts';
import { runIngestJob } from './ingest-job.ts';
import { runEvalJob, runTrainJob, type EvalJobInput, type LearningJobContext, type TrainJobInput } from './learning-jobs.ts';
import { createServerMetrics, type ServerMetrics } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { evalJobSchema, ingestJobSchema, labelsBodySchema, parseBody, productInputSchema, trainJobSchema } from './schemas.ts';
import { createGuardedImageFetch } from './url-policy.ts';
import { moduleUrl } from '../engine/module-url.ts';
import { textOf } from '../text-of.ts';

export interface ServerLimits {
  /** Largest request body in bytes (413 above). */
  maxBodyBytes: number;
  /** Most products in one batch upsert (413 above). */
  maxBatch: number;
  /**
   * Largest `k` a request may ask for (400 above, naming the field). By default the task registry's
   * bound (`TASK_LIMITS.maxK`), the one the CLI and the library accept; a server may set it lower.
   */
  maxK: number;
  /** Largest image the server fetches from a URL, in bytes, and how long it waits. */
  maxImageBytes: number;
  imageTimeoutMs: number;
}

export const DEFAULT_SERVER_LIMITS = Object.freeze({
  maxBodyBytes: 2 * 1024 * 1024,
  maxBatch: 1000,
  maxK: TASK_LIMITS.maxK,
  maxImageBytes: 5 * 1024 * 1024,
  imageTimeoutMs: 5000,
}) satisfies ServerLimits;

export interface ServerAppOptions {
  engine: Engine;
  /** Required for every write; without one, writes are refused. */
  writeToken?: string | undefined;
  /** When set, reads need this token (or the write token); otherwise reads are open. */
  readToken?: string | undefined;
  limits?: Partial<ServerLimits>;
  /** Proxy product images given as http(s) URLs (never loopback or private addresses). */
  allowImageUrls?: boolean;
  /** Catalog paths in requests (match, ingest, train, eval jobs) must lie under this folder (default: cwd). */
  catalogRoot?: string;
  /** Where train jobs save the matcher (default `<catalogRoot>/.prodsim/matcher.json`). */
  modelPath?: string;
  /** Where eval jobs write their report (default `<catalogRoot>/.prodsim/eval`). */
  evalDir?: string;
  /** Benchmark reports shown by the evaluation page (default `<catalogRoot>/docs/benchmarks`). */
  reportsDir?: string;
  /** When dedup and match answer 202 with a job, and the job's heap cap (`task-jobs.ts`). */
  taskJobs?: Partial<TaskJobLimits>;
  /** The jobs' deadline (`jobs.ts`). */
  jobRunner?: Partial<JobRunnerOptions>;
  /** Threads that answer the registry's short tasks (similar, search, …); without one, this thread does. */
  taskPool?: TaskPool | undefined;
}

export interface ServerApp {
  app: Hono;
  jobs: JobRunner;
  metrics: ServerMetrics;
}

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
/** The module whose exports run train and eval jobs in a worker thread. */
const LEARNING_THREAD_MODULE = moduleUrl('./learning-jobs.ts', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
};

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(c: Context): string | undefined {
  const h = c.req.header('authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

/** `application/json`, with or without parameters, or a `+json` media type. */
function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  // A form or text body is not read as JSON: a browser sends those cross-site without a preflight.
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw createError('UNSUPPORTED_FORMAT', `request bodies are JSON: send "Content-Type: application/json" (got ${c.req.header('content-type') ?? 'none'})`, { field: 'content-type', expected: 'application/json' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw createError('PARSE_ERROR', `request body is not JSON: ${(e as Error).message}`);
  }
}

function fileResponse(path: string, cacheSeconds = 0): Response {
  const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  return new Response(readFileSync(path), { headers: { 'content-type': type, 'cache-control': cacheSeconds > 0 ? `max-age=${cacheSeconds}` : 'no-cache', 'x-content-type-options': 'nosniff' } });
}

/** `child` resolved under `root`, or undefined when it would leave it. */
function under(root: string, child: string): string | undefined {
  const full = resolve(root, child);
  const rel = relative(root, full);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : full;
}

export function createServerApp(options: ServerAppOptions): ServerApp {
  const { engine } = options;
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const catalogRoot = resolve(options.catalogRoot ?? process.cwd());
  const modelPath = resolve(options.modelPath ?? join(catalogRoot, '.prodsim/matcher.json'));
  const evalDir = resolve(options.evalDir ?? join(catalogRoot, '.prodsim/eval'));
  const reportsDir = resolve(options.reportsDir ?? join(catalogRoot, 'docs/benchmarks'));
  /**
   * Server folders, longest first, as they may appear in error texts: a path under one is shown
   * relative to it; any other absolute path is cut to its last part.
   */
  const serverFolders = [...new Set([catalogRoot, evalDir, reportsDir, dirname(modelPath), dirname(resolve(options.engine.store.path)), process.cwd(), homedir(), tmpdir()])]
    .filter((f) => f.length > 1)
    .sort((a, b) => b.length - a.length);
  function hideServerPaths(text: string): string {
    let out = text;
    for (const folder of serverFolders) out = out.split(folder + sep).join('').split(folder).join('.');
    return out.replace(/(?<![\w:/.])\/(?:[^\s/:'"`]+\/)+([^\s/:'"`]+)/g, '…/$1');
  }
  const jobs = createJobRunner(options.jobRunner);
  const taskJobLimits: TaskJobLimits = { ...DEFAULT_TASK_JOB_LIMITS, ...options.taskJobs };
  const metrics = createServerMetrics();
  const imageFetch = options.allowImageUrls ? createGuardedImageFetch() : undefined;
  const app = new Hono();

  function catalogPath(p: string, field: string): string {
    const full = under(catalogRoot, p);
    if (!full) throw createError('INVALID_ARGUMENT', `catalog paths must lie under the server's catalog root`, { field, received: p });
    if (!existsSync(full)) throw createError('FILE_NOT_FOUND', `no such catalog: ${p}`, { file: p, field });
    return full;
  }

  /**
   * Inputs that name files on the server (catalogs, profile or model files) may only name files
   * under the catalog root; they are passed on as absolute paths.
   */
  function confineServerPaths<T extends Record<string, unknown>>(input: T, c: Context): T {
    const names = ['left', 'right', 'catalog', 'model', 'pairs', 'valid'].filter((key) => typeof input[key] === 'string');
    if (typeof input.profile === 'string' && input.profile.endsWith('.json')) names.push('profile');
    if (names.length > 0 && !holdsToken(c)) {
      throw createError('UNAUTHORIZED', `reading files on the server (${names.join(', ')}) needs the header "Authorization: Bearer <token>"; send products inline instead`, { field: names[0]! });
    }
    const out: Record<string, unknown> = { ...input };
    for (const key of ['left', 'right', 'catalog', 'model', 'ranker', 'judgments', 'queries', 'pairs', 'valid']) if (typeof out[key] === 'string') out[key] = catalogPath(out[key], key);
    if (typeof out.profile === 'string' && out.profile.endsWith('.json')) out.profile = catalogPath(out.profile, 'profile');
    return out as T;
  }

  const learningCtx: LearningJobContext = {
    engine,
    modelPath,
    evalDir,
  };

  // ------------------------------------------------------------------ middleware

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

  /** A caller with the write token, or the read token when there is one. */
  function holdsToken(c: Context): boolean {
    const token = bearer(c);
    if (token === undefined) return false;
    return (options.writeToken !== undefined && sameSecret(token, options.writeToken)) || (options.readToken !== undefined && sameSecret(token, options.readToken));
  }

  const requireWrite: MiddlewareHandler = async (c, next) => {
    const token = bearer(c);
    if (!options.writeToken) throw createError('UNAUTHORIZED', 'this server was started without a write token: writes are disabled (set PRODSIM_TOKEN or --token)');
    if (!token || !sameSecret(token, options.writeToken)) throw createError('UNAUTHORIZED', 'writes need the header "Authorization: Bearer <token>" with the write token');
    await next();
  };
  const requireRead: MiddlewareHandler = async (c, next) => {
    if (options.readToken) {
      const token = bearer(c);
      const ok = token !== undefined && (sameSecret(token, options.readToken) || (options.writeToken !== undefined && sameSecret(token, options.writeToken)));
      if (!ok) throw createError('UNAUTHORIZED', 'reads on this server need the header "Authorization: Bearer <token>"');
    }
    await next();
  };
  /**
   * Reads whose cost grows with the catalog (dedup, match) need a token above the synchronous bound
   * and as jobs, even where reads are open: the write token, or the read token when one is set. One
   * untokened dedup held a 62k-product server for 805 s (issue 17).
   */
  const requireTokenForLongTask = (c: Context): void => {
    const token = bearer(c);
    const ok = token !== undefined && ((options.writeToken !== undefined && sameSecret(token, options.writeToken)) || (options.readToken !== undefined && sameSecret(token, options.readToken)));
    if (!ok) throw createError('UNAUTHORIZED', 'dedup and match need the header "Authorization: Bearer <token>" (the write token, or the read token when the server has one)');
  };

  /** k above the server's bound is refused with the field named (the schema bounds it too). */
  function checkK(body: unknown): void {
    if (body && typeof body === 'object' && 'k' in body) {
      const k = (body).k;
      if (typeof k === 'number' && k > limits.maxK) throw createError('INVALID_ARGUMENT', `k must be at most ${limits.maxK}, got ${k}`, { field: 'k', expected: `1..${limits.maxK}`, received: String(k) });
    }
  }

  // ------------------------------------------------------------------ health, metrics, OpenAPI

  app.get('/health', async (c) => c.json({ status: 'ok', products: await engine.store.count() }));
  app.get('/metrics', requireRead, async (c) => {
    const s = await engine.stats();
    return c.json({ ...metrics.snapshot(), store: { products: s.products, labels: s.labels, vectors: s.vectors, sizeBytes: s.sizeBytes }, jobs: jobs.list().map((j) => ({ id: j.id, kind: j.kind, state: j.state })) });
  });
  app.get('/openapi.json', (c) => c.json(buildOpenApiDocument({ limits })));

  // ------------------------------------------------------------------ tasks, from the registry

  for (const name of Object.keys(TASKS) as TaskName[]) {
    const task = TASKS[name];
    app.post(`/v1/${task.path}`, task.writes ? requireWrite : requireRead, async (c) => {
      const body = await jsonBody(c);
      checkK(body);
      const input = confineServerPaths(parseTaskInput(name, body), c);
      // Within the synchronous bound dedup and match are cheap reads (inline products need no token); above it, a job for token holders.
      if (isLongTask(name) && (await exceedsSyncBound(engine, name, input, taskJobLimits))) {
        requireTokenForLongTask(c);
        const job = startTaskJob(jobs, engine, name, input, taskJobLimits);
        return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
      }
      if (options.taskPool) return c.json((await options.taskPool.run(name, input)) as object);
      return c.json(await runParsedTask(engine, name, input));
    });
  }

  // ------------------------------------------------------------------ products

  app.get('/v1/products/:id', requireRead, async (c) => {
    const id = c.req.param('id');
    const product = await engine.getProduct(id);
    if (!product) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    return c.json({ product, summary: summarizeProduct(product) });
  });

  app.put('/v1/products/:id', requireWrite, async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw createError('INVALID_ARGUMENT', 'body must be a product object', { field: 'body' });
    const record = { ...(body as Record<string, unknown>) };
    if (record.id !== undefined && textOf(record.id) !== id) throw createError('INVALID_ARGUMENT', `body id "${textOf(record.id)}" differs from the path id "${id}"`, { field: 'id' });
    record.id = id;
    const product = toProduct(parseBody(productInputSchema, record, 'product'));
    const [result] = await engine.upsertProducts([product]);
    return c.json({ id, status: result!.status });
  });

  app.delete('/v1/products/:id', requireWrite, async (c) => {
    const id = c.req.param('id');
    if ((await engine.deleteProducts([id])) === 0) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    return c.json({ id, deleted: true });
  });

  app.post('/v1/products', requireWrite, async (c) => {
    const body = await jsonBody(c);
    const records = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { products?: unknown }).products) ? (body as { products: unknown[] }).products : undefined;
    if (!records) throw createError('INVALID_ARGUMENT', 'body must be {"products": [...]} or an array of products', { field: 'products', expected: 'array' });
    if (records.length > limits.maxBatch) throw createError('LIMIT_EXCEEDED', `a batch holds at most ${limits.maxBatch} products, got ${records.length}`, { field: 'products', expected: `at most ${limits.maxBatch} items`, received: String(records.length) });
    type Row = { index: number; id: string | null; ok: boolean; status?: string; error?: { code: string; field?: string; expected?: string; message: string } };
    const results: Row[] = [];
    const good: { index: number; product: Product }[] = [];
    records.forEach((raw, index) => {
      const rawId = raw && typeof raw === 'object' && 'id' in raw ? String((raw as { id: unknown }).id) : null;
      try {
        const record = parseBody(productInputSchema, raw, `product ${index}`);
        good.push({ index, product: toProduct(record, `product ${index}`) });
      } catch (e) {
        if (!isProdsimError(e)) throw e;
        const loc = e.location ?? {};
        results.push({ index, id: rawId, ok: false, error: { code: e.code, ...(loc.field ? { field: loc.field } : {}), ...(loc.expected ? { expected: loc.expected } : {}), message: e.message } });
      }
    });
    const stored = good.length > 0 ? await engine.upsertProducts(good.map((g) => g.product)) : [];
    const statusById = new Map(stored.map((r) => [r.id, r.status]));
    for (const g of good) results.push({ index: g.index, id: g.product.id, ok: true, status: statusById.get(g.product.id) ?? 'unchanged' });
    results.sort((a, b) => a.index - b.index);
    const failed = results.filter((r) => !r.ok).length;
    return c.json({ stored: good.length, failed, results });
  });

  // ------------------------------------------------------------------ images

  app.get('/v1/images/:id', requireRead, async (c) => {
    const id = c.req.param('id');
    const product = await engine.getProduct(id);
    if (!product) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    const index = Number(c.req.query('i') ?? 0);
    const ref = Number.isInteger(index) ? product.images[index] : undefined;
    if (!ref) throw createError('FILE_NOT_FOUND', `product "${id}" has no image ${index}`, { field: 'images' });
    if (/^https?:\/\//i.test(ref)) {
      if (!imageFetch) throw createError('FORBIDDEN_URL', 'this server does not fetch image URLs (start it with --allow-image-urls)', { field: 'images', received: ref });
      const bytes = await imageFetch(ref, { signal: AbortSignal.timeout(limits.imageTimeoutMs), maxBytes: limits.maxImageBytes });
      return new Response(new Uint8Array(bytes), { headers: { 'content-type': CONTENT_TYPES[extname(new URL(ref).pathname).toLowerCase()] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' } });
    }
    const baseDir = (await engine.store.getMeta('images.baseDir')) ?? catalogRoot;
    const path = under(baseDir, ref);
    if (!path || !CONTENT_TYPES[extname(path).toLowerCase()]?.startsWith('image/') || !existsSync(path)) throw createError('FILE_NOT_FOUND', `image of "${id}" not found: ${ref}`, { field: 'images', received: ref });
    return fileResponse(path, 300);
  });

  // ------------------------------------------------------------------ labels

  app.post('/v1/labels', requireWrite, async (c) => {
    const body = parseBody(labelsBodySchema, await jsonBody(c), 'labels');
    if (body.labels.length > limits.maxBatch) throw createError('LIMIT_EXCEEDED', `at most ${limits.maxBatch} labels per request`, { field: 'labels' });
    const n = await engine.store.putLabels(body.labels.map((l) => ({ leftId: l.leftId, rightId: l.rightId, label: l.label, source: l.source ?? 'manual' })));
    return c.json({ stored: n, total: await engine.store.countLabels() });
  });
  app.get('/v1/labels', requireRead, async (c) => {
    const source = c.req.query('source');
    const id = c.req.query('id');
    const labels = await engine.store.getLabels({ ...(source ? { source } : {}), ...(id ? { id } : {}) });
    return c.json({ count: labels.length, labels });
  });

  // ------------------------------------------------------------------ background jobs

  app.post('/v1/jobs/ingest', requireWrite, async (c) => {
    const input = parseBody(ingestJobSchema, await jsonBody(c), 'ingest job');
    const path = catalogPath(input.path, 'path');
    // In a worker thread (src/server/ingest-job.ts): the server keeps answering while it reads.
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

  app.post('/v1/jobs/match', requireRead, async (c) => {
    requireTokenForLongTask(c);
    const asked = parseTaskInput('match', await jsonBody(c));
    const input = confineServerPaths(asked, c);
    const job = startTaskJob(jobs, engine, 'match', input, taskJobLimits, (result) => ({
      ...result,
      left: typeof asked.left === 'string' ? asked.left : null,
      right: typeof asked.right === 'string' ? asked.right : null,
    }));
    return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
  });

  app.post('/v1/jobs/dedup', requireRead, async (c) => {
    requireTokenForLongTask(c);
    const input = confineServerPaths(parseTaskInput('dedup', await jsonBody(c)), c);
    const job = startTaskJob(jobs, engine, 'dedup', input, taskJobLimits);
    return c.json(job, 202, { location: `/v1/jobs/${job.id}` });
  });

  /**
   * Train and eval jobs over more than `syncMaxLabels` stored labels, or a pairs file over
   * `syncMaxCatalogBytes`, run in a worker thread over a read-only engine (a GBDT over many labels
   * holds its thread for minutes); catalog paths go resolved.
   */
  const learningJob = (kind: 'train' | 'eval', input: TrainJobInput | (EvalJobInput & { pairsPath?: string })) => {
    const resolved = { ...input, ...(input.left ? { left: catalogPath(input.left, 'left') } : {}), ...(input.right ? { right: catalogPath(input.right, 'right') } : {}) };
    return jobs.start(kind, async (report, signal) => {
      const pairsPath = 'pairsPath' in input ? input.pairsPath : undefined;
      const large = (await engine.store.countLabels()) > taskJobLimits.syncMaxLabels || (pairsPath !== undefined && statSync(pairsPath).size > taskJobLimits.syncMaxCatalogBytes);
      if (large && canRunInThread(engine)) {
        return runWorkInThread(engine, LEARNING_THREAD_MODULE, kind === 'train' ? 'trainInThread' : 'evalInThread', { input: resolved, modelPath, evalDir }, {
          signal,
          maxMemoryMb: taskJobLimits.maxMemoryMb,
          niceness: taskJobLimits.niceness,
          onProgress: (done, total, stage) => report({ stage: stage ?? kind, done, total }),
        });
      }
      return kind === 'train' ? runTrainJob(learningCtx, resolved, report) : runEvalJob(learningCtx, resolved, report);
    });
  };

  app.post('/v1/jobs/train', requireWrite, async (c) => {
    const input = parseBody(trainJobSchema, await jsonBody(c), 'train job');
    return c.json(learningJob('train', input), 202);
  });

  app.post('/v1/jobs/eval', requireWrite, async (c) => {
    const input = parseBody(evalJobSchema, await jsonBody(c), 'eval job');
    const pairsPath = input.pairs ? catalogPath(input.pairs, 'pairs') : undefined;
    return c.json(learningJob('eval', { ...input, ...(pairsPath ? { pairsPath } : {}) }), 202);
  });

  app.get('/v1/jobs', requireRead, (c) => c.json({ jobs: jobs.list().map(({ result: _r, ...j }) => j) }));
  app.get('/v1/jobs/:id', requireRead, (c) => {
    const job = jobs.get(c.req.param('id'));
    if (!job) throw createError('FILE_NOT_FOUND', `no job with id "${c.req.param('id')}" (finished jobs are kept for a while)`, { field: 'id' });
    const shown = job.error ? { ...job, error: { ...job.error, message: hideServerPaths(job.error.message) } } : job;
    if (!(shown.result instanceof SerializedResult)) return c.json(shown);
    // A result serialised in its thread goes out as it is (no parse, no second stringify here).
    const { result, ...rest } = shown;
    // Streamed as views of the thread's bytes: no copy of a large result on this thread.
    const { stream, length } = result.toStream(`${JSON.stringify(rest).slice(0, -1)},"result":`, '}');
    return c.body(stream, 200, { 'content-type': 'application/json', 'content-length': String(length) });
  });
  app.post('/v1/jobs/:id/cancel', requireRead, (c) => {
    requireTokenForLongTask(c);
    const id = c.req.param('id');
    const job = jobs.get(id);
    if (!job) throw createError('FILE_NOT_FOUND', `no job with id "${id}" (finished jobs are kept for a while)`, { field: 'id' });
    const cancelled = jobs.cancel(id);
    return c.json({ ...job, result: undefined, cancelled });
  });

  // ------------------------------------------------------------------ reports (evaluation page)

  const reportDirs = { eval: evalDir, benchmarks: reportsDir } as const;
  app.get('/v1/reports', requireRead, (c) => {
    const list = [];
    for (const [dir, path] of Object.entries(reportDirs)) {
      if (!existsSync(path)) continue;
      for (const name of readdirSync(path)) {
        if (!name.endsWith('.md')) continue;
        list.push({ dir, name, modified: statSync(join(path, name)).mtime.toISOString() });
      }
    }
    list.sort((a, b) => b.modified.localeCompare(a.modified));
    return c.json({ reports: list });
  });
  app.get('/v1/reports/:dir/:name', requireRead, (c) => {
    // Own keys only: `__proto__` or `constructor` must not reach Object.prototype.
    const dir = c.req.param('dir');
    const root = Object.hasOwn(reportDirs, dir) ? reportDirs[dir as keyof typeof reportDirs] : undefined;
    const name = basename(c.req.param('name'));
    const ext = extname(name).toLowerCase();
    if (!root || (ext !== '.md' && ext !== '.svg') || !existsSync(join(root, name))) throw createError('FILE_NOT_FOUND', `no report ${c.req.param('dir')}/${name}`, { field: 'name' });
    return fileResponse(join(root, name));
  });

  // ------------------------------------------------------------------ web UI (all local, no CDN)

  app.get('/*', (c, next) => {
    if (c.req.path.startsWith('/v1/')) return next();
    const rel = c.req.path === '/' ? 'index.html' : c.req.path.slice(1);
    const path = under(WEB_DIR, rel);
    if (path && existsSync(path) && statSync(path).isFile()) return fileResponse(path);
    // Client-side pages (#/product/…) all load index.html; unknown files are 404.
    return next();
  });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  // The one error handler: a ProdsimError answers with its catalogue status and location, with
  // the server's own folders taken out of every text (a client learns nothing of its layout).
  app.onError((err, c) => {
    if (err instanceof ProdsimError) {
      const location = err.location ? Object.fromEntries(Object.entries(err.location).map(([k, v]) => [k, typeof v === 'string' ? hideServerPaths(v) : v])) : undefined;
      return c.json({ error: { code: err.code, message: hideServerPaths(err.message), ...(location ? { location } : {}) } }, err.status as 400);
    }
    console.error(err);
    return c.json({ error: { code: 'INTERNAL', message: 'an unexpected internal error' } }, 500);
  });

  return { app, jobs, metrics };
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
  if (workers > 1 && !canRunInThread(appOptions.engine)) throw createError('INVALID_ARGUMENT', 'workers > 1 needs an engine over a store file with the default text encoder', { field: 'workers' });
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
