/**
 * Background jobs (ingest, match, dedup, train, eval) that outlive one request: the request answers at
 * once with a job id, and the job's progress (done / total, items/s, ETA) and result are polled. A job
 * can be cancelled, and is stopped at its deadline: its work gets an AbortSignal (work run in a process
 * by `runTaskInProcess` ends at once; work in this thread stops at its next check).
 */
import { randomUUID } from 'node:crypto';
import { createError, isProdsimError, rejectUnknownKeys } from '../errors.ts';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  stage: string;
  done: number;
  total: number;
}

export interface Job {
  id: string;
  kind: string;
  state: JobState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress: JobProgress & { itemsPerSecond: number; etaSeconds: number | undefined };
  /** When the job is stopped if still running (ISO time), set when it starts. */
  deadline?: string;
  result?: unknown;
  error?: { code: string; message: string };
}

/** Finished jobs kept for polling; older ones are forgotten first. */
export const MAX_KEPT_JOBS = 100;

export interface JobRunnerOptions {
  /** Longest a job may run before it is stopped (and fails with LIMIT_EXCEEDED, field `deadline`). */
  deadlineMs: number;
}

export const DEFAULT_JOB_RUNNER_OPTIONS = {
  // A 1M-product dedup takes about an hour on two cores (docs/benchmarks/dedup-scale.md); twice that.
  deadlineMs: 2 * 60 * 60 * 1000,
} as const satisfies JobRunnerOptions;

export type JobWork = (report: (p: JobProgress) => void, signal: AbortSignal) => Promise<unknown>;

export interface JobRunner {
  start(kind: string, work: JobWork): Job;
  get(id: string): Job | undefined;
  list(): Job[];
  /** Cancels a queued or running job; false when it already ended (or is unknown). */
  cancel(id: string): boolean;
}

const ended = (j: Job) => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled';

export function createJobRunner(options: Partial<JobRunnerOptions> = {}): JobRunner {
  rejectUnknownKeys(options, Object.keys(DEFAULT_JOB_RUNNER_OPTIONS), 'createJobRunner');
  const opts: JobRunnerOptions = { ...DEFAULT_JOB_RUNNER_OPTIONS, ...options };
  const jobs = new Map<string, Job>();
  const controllers = new Map<string, AbortController>();
  // One job at a time: jobs write the same store, and SQLite has one writer.
  let queue: Promise<unknown> = Promise.resolve();

  function forgetOld(): void {
    const finished = [...jobs.values()].filter(ended);
    for (const j of finished.slice(0, Math.max(0, jobs.size - MAX_KEPT_JOBS))) jobs.delete(j.id);
  }

  return {
    start(kind, work) {
      const job: Job = {
        id: randomUUID(),
        kind,
        state: 'queued',
        createdAt: new Date().toISOString(),
        progress: { stage: 'queued', done: 0, total: 0, itemsPerSecond: 0, etaSeconds: undefined },
      };
      const controller = new AbortController();
      jobs.set(job.id, job);
      controllers.set(job.id, controller);
      forgetOld();
      queue = queue.then(async () => {
        if (controller.signal.aborted) return;
        job.state = 'running';
        const started = Date.now();
        job.startedAt = new Date(started).toISOString();
        job.deadline = new Date(started + opts.deadlineMs).toISOString();
        const deadline = setTimeout(
          () => controller.abort(createError('LIMIT_EXCEEDED', `the ${kind} job ran longer than its deadline of ${Math.round(opts.deadlineMs / 1000)} s`, { field: 'deadline', expected: `at most ${opts.deadlineMs} ms` })),
          opts.deadlineMs,
        );
        const report = (p: JobProgress) => {
          const seconds = (Date.now() - started) / 1000;
          const rate = seconds > 0 ? p.done / seconds : 0;
          job.progress = { ...p, itemsPerSecond: rate, etaSeconds: rate > 0 && p.total > p.done ? (p.total - p.done) / rate : undefined };
        };
        try {
          const result = await work(report, controller.signal);
          // Work that ignores its signal still ends as cancelled when it was cancelled meanwhile.
          controller.signal.throwIfAborted();
          job.result = result;
          job.state = 'done';
        } catch (e) {
          // Expected failure as a value: a job's failed (or cancelled) state, where a job's error reaches people (CONTRIBUTING).
          const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
          job.state = isProdsimError(reason) && reason.code === 'CANCELLED' ? 'cancelled' : 'failed';
          job.error = isProdsimError(reason) ? { code: reason.code, message: reason.message } : { code: 'INTERNAL', message: reason instanceof Error ? reason.message : String(reason) };
        } finally {
          clearTimeout(deadline);
          controllers.delete(job.id);
          job.finishedAt = new Date().toISOString();
        }
      });
      return job;
    },
    get: (id) => jobs.get(id),
    list: () => [...jobs.values()],
    cancel(id) {
      const job = jobs.get(id);
      const controller = controllers.get(id);
      if (!job || !controller || ended(job)) return false;
      const error = createError('CANCELLED', `the ${job.kind} job was cancelled`);
      controller.abort(error);
      if (job.state === 'queued') {
        // Never started: it ends here (the queue skips it).
        job.state = 'cancelled';
        job.error = { code: error.code, message: error.message };
        job.finishedAt = new Date().toISOString();
        controllers.delete(id);
      }
      return true;
    },
  };
}
