/**
 * Ingest as a job (`POST /v1/jobs/ingest`). Reading, analysing and encoding a catalog, fitting the
 * text space and building the indexes held the server's thread for minutes (100k products: 321 s),
 * so the job runs `ingestInJobProcess` (for files over the synchronous bound) in a process of its own over a writable engine of its own on the same
 * store (`runWorkInProcess` with `writable`); the store stays the one writer's, batch by batch. The
 * server's engine then catches up (`engine.refresh()`: the text space the job fitted, the ANN and
 * keyword indexes it saved). An engine that cannot be opened elsewhere ingests on this thread.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import { moduleUrl } from '../engine/module-url.ts';
import { canRunElsewhere, runWorkInProcess } from '../engine/task-process.ts';
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

/** The ingest as a job's process runs it (`runWorkInProcess`), over that process's writable engine. */
export async function ingestInJobProcess(engine: Engine, input: IngestJobInput, onProgress: (done: number, total: number, stage?: string) => void) {
  return ingestWithProgress(engine, input, (p) => onProgress(p.done, p.total, p.stage));
}

const INGEST_JOB_MODULE = moduleUrl('./ingest-job.ts', import.meta.url);

export interface IngestJobProcessOptions {
  signal: AbortSignal;
  maxMemoryMb: number;
  niceness: number;
  /** Catalog files up to this size ingest on the caller's thread (`TaskJobLimits.syncMaxCatalogBytes`). */
  syncMaxCatalogBytes: number;
}

/**
 * Runs the ingest job: a file over `syncMaxCatalogBytes` in a process of its own when the engine can be
 * opened there, then brings the server's engine up to date; a smaller one here (a process first opens
 * its own engine: seconds, up to a minute on a loaded machine, longer than such a file takes).
 */
export async function runIngestJob(engine: Engine, input: IngestJobInput, report: (p: JobProgress) => void, { syncMaxCatalogBytes, ...processOptions }: IngestJobProcessOptions): Promise<unknown> {
  if (!canRunElsewhere(engine) || statSync(input.path).size <= syncMaxCatalogBytes) return ingestWithProgress(engine, input, report);
  const summary = await runWorkInProcess(engine, INGEST_JOB_MODULE, 'ingestInJobProcess', input, {
    ...processOptions,
    writable: true,
    onProgress: (done, total, stage) => report({ stage: stage ?? 'read', done, total }),
  });
  // The job may have fitted a new text space and saved new index files: this engine loads them.
  report({ stage: 'server refresh', done: 0, total: 1 });
  await engine.refresh();
  report({ stage: 'server refresh', done: 1, total: 1 });
  return summary;
}
