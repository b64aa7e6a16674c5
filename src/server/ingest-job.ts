/**
 * Ingest as a job (`POST /v1/jobs/ingest`). Reading, analysing and encoding a catalog, fitting the
 * text space and building the indexes held the server's thread for minutes (100k products: 321 s),
 * so the job runs `ingestInThread` (for files over the synchronous bound) in a worker thread over a writable engine of its own on the same
 * store (`runWorkInThread` with `writable`); the store stays the one writer's, batch by batch. The
 * server's engine then catches up (`engine.refresh()`: the text space the thread fitted, the ANN and
 * keyword indexes it saved). An engine that cannot be opened in a thread ingests on this thread.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import { moduleUrl } from '../engine/module-url.ts';
import { canRunInThread, runWorkInThread } from '../engine/task-thread.ts';
import type { JobProgress } from './jobs.ts';

export interface IngestJobInput {
  /** The catalog file, resolved and confined to the catalog root. */
  path: string;
  refit: boolean;
}

/** Lines of a file: with the reader's line, a progress fraction for any catalog format. */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n += 1;
  }
  return n;
}

/** The ingest over `engine`, reporting progress in source lines, then the refresh stages. */
export async function ingestWithProgress(engine: Engine, { path, refit }: IngestJobInput, report: (p: JobProgress) => void) {
  const lines = await countLines(path);
  report({ stage: 'read', done: 0, total: lines });
  return engine.ingest(path, {
    refit,
    onProgress: (p) => report({ stage: 'read', done: Math.min(p.line, lines), total: lines }),
    onRefreshProgress: (p) => report({ stage: p.stage, done: p.done, total: p.total }),
  });
}

/** The ingest as a worker thread runs it (`runWorkInThread`), over the thread's writable engine. */
export async function ingestInThread(engine: Engine, input: IngestJobInput, onProgress: (done: number, total: number, stage?: string) => void) {
  return ingestWithProgress(engine, input, (p) => onProgress(p.done, p.total, p.stage));
}

const INGEST_THREAD_MODULE = moduleUrl('./ingest-job.ts', import.meta.url);

export interface IngestJobThreadOptions {
  signal: AbortSignal;
  maxMemoryMb: number;
  niceness: number;
  /** Catalog files up to this size ingest on the caller's thread (`TaskJobLimits.syncMaxCatalogBytes`). */
  syncMaxCatalogBytes: number;
}

/**
 * Runs the ingest job: a file over `syncMaxCatalogBytes` in a worker thread when the engine can be
 * opened there, then brings the server's engine up to date; a smaller one here (a thread first opens
 * its own engine: seconds, up to a minute on a loaded machine, longer than such a file takes).
 */
export async function runIngestJob(engine: Engine, input: IngestJobInput, report: (p: JobProgress) => void, { syncMaxCatalogBytes, ...thread }: IngestJobThreadOptions): Promise<unknown> {
  if (!canRunInThread(engine) || statSync(input.path).size <= syncMaxCatalogBytes) return ingestWithProgress(engine, input, report);
  const summary = await runWorkInThread(engine, INGEST_THREAD_MODULE, 'ingestInThread', input, {
    ...thread,
    writable: true,
    onProgress: (done, total, stage) => report({ stage: stage ?? 'read', done, total }),
  });
  // The thread may have fitted a new text space and saved new index files: this engine loads them.
  report({ stage: 'server refresh', done: 0, total: 1 });
  await engine.refresh();
  report({ stage: 'server refresh', done: 1, total: 1 });
  return summary;
}
