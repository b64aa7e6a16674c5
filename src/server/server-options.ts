/** What a server is made with (`createServerApp`), and its default limits. */
import type { Engine } from '../engine/engine.ts';
import type { TaskPool } from '../engine/task-pool.ts';
import { TASK_LIMITS } from '../engine/task-registry.ts';
import type { JobRunnerOptions } from './jobs.ts';
import type { TaskJobLimits } from './task-jobs.ts';

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
