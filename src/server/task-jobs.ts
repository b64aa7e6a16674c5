/**
 * Tasks whose cost grows with the catalog (dedup, match) as background jobs: above a bound a request
 * answers `202` with a job instead of holding the event loop, and the job runs the task of the
 * registry in a process of its own (`runTaskInProcess`: its own read-only engine, a heap cap, stopped at
 * once on cancel or deadline); a job within the bound runs here. An engine that cannot be opened elsewhere (`:memory:` store, a custom
 * encoder object) runs the task here, where the task yields to the event loop between batches.
 */
import { statSync } from 'node:fs';
import type { Engine } from '../engine/engine.ts';
import { runParsedTask, type ParsedTaskInput, type TaskName } from '../engine/task-registry.ts';
import { canRunElsewhere, runTaskInProcess } from '../engine/task-process.ts';
import type { Job, JobRunner } from './jobs.ts';

/** Registry tasks that can run long: `POST /v1/<path>` turns into a job above the bounds below. */
export const LONG_TASKS = ['dedup', 'match'] as const satisfies readonly TaskName[];
export type LongTaskName = (typeof LONG_TASKS)[number];

export interface TaskJobLimits {
  /**
   * Most products (the store's, or given inline) a request may dedup or match before it answers: a
   * thousand take well under a second (docs/benchmarks/dedup-scale.md); above, it answers 202 with a job.
   */
  syncMaxProducts: number;
  /** Largest catalog file a request may name before it answers 202 (≈ 1,000 products of the sample catalog). */
  syncMaxCatalogBytes: number;
  /** Most stored pair labels a train or eval job learns from or scores in the server's thread. */
  syncMaxLabels: number;
  /** Heap cap of a job's process, in MiB. */
  maxMemoryMb: number;
  /**
   * Nice value (0–19) added to the OS priority of a job's process, all its threads: the thread
   * answering requests is scheduled before a job's on a busy machine (`/health` within 100 ms while a dedup runs).
   */
  niceness: number;
}

export const DEFAULT_TASK_JOB_LIMITS = {
  syncMaxProducts: 1_000,
  syncMaxCatalogBytes: 512 * 1024,
  syncMaxLabels: 1_000,
  maxMemoryMb: 4096,
  niceness: 10,
} as const satisfies TaskJobLimits;

export const isLongTask = (name: TaskName): name is LongTaskName => (LONG_TASKS as readonly string[]).includes(name);

/**
 * Whether the task would take longer than a request should: products counted in the store or inline,
 * catalog files by size (the paths are already confined and resolved).
 */
export async function exceedsSyncBound(engine: Engine, name: LongTaskName, input: Record<string, unknown>, limits: TaskJobLimits): Promise<boolean> {
  const sources = name === 'dedup' ? [input.catalog] : [input.left, input.right];
  let products = 0;
  for (const source of sources) {
    if (source === undefined) products += await engine.store.count();
    else if (Array.isArray(source)) products += source.length;
    else if (typeof source === 'string' && statSync(source).size > limits.syncMaxCatalogBytes) return true;
  }
  return products > limits.syncMaxProducts;
}

/**
 * Starts the task as a job; `decorate` adds fields to its result (e.g. the catalog paths asked for).
 * Work within the synchronous bound runs in this thread: a job's process opens its own engine first (GloVe
 * and CEDICT tables, indexes: seconds, a minute on a loaded machine), longer than such work takes.
 */
export function startTaskJob<N extends LongTaskName>(
  jobs: JobRunner,
  engine: Engine,
  name: N,
  input: ParsedTaskInput<N>,
  limits: TaskJobLimits,
  /** Fields added to the result (they win over its own); called with `{}` for a result serialised by a job's process. */
  decorate: (result: object) => object = (r) => r,
): Job {
  return jobs.start(name, async (report, signal) => {
    const onProgress = (done: number, total: number) => report({ stage: name, done, total });
    if (canRunElsewhere(engine) && (await exceedsSyncBound(engine, name, input, limits))) {
      // Serialised by the job's process: the server's thread neither clones nor stringifies a large result.
      const result = await runTaskInProcess(engine, name, input, { signal, onProgress, maxMemoryMb: limits.maxMemoryMb, niceness: limits.niceness, resultAs: 'json' });
      return result.withFields(decorate({}));
    }
    const result = await runParsedTask(engine, name, input, { onProgress, signal });
    return decorate(result);
  });
}
