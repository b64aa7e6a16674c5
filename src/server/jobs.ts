/**
 * Background jobs (ingest, match, dedup) that outlive one request: the request answers at once with
 * a job id, and the job's progress (done / total, items/s, ETA) and result are polled.
 */
import { randomUUID } from 'node:crypto';
import { isProdsimError } from '../errors.ts';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

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
  result?: unknown;
  error?: { code: string; message: string };
}

/** Finished jobs kept for polling; older ones are forgotten first. */
export const MAX_KEPT_JOBS = 100;

export interface JobRunner {
  start(kind: string, work: (report: (p: JobProgress) => void) => Promise<unknown>): Job;
  get(id: string): Job | undefined;
  list(): Job[];
}

export function createJobRunner(): JobRunner {
  const jobs = new Map<string, Job>();
  // One job at a time: jobs write the same store, and SQLite has one writer.
  let queue: Promise<unknown> = Promise.resolve();

  function forgetOld(): void {
    const finished = [...jobs.values()].filter((j) => j.state === 'done' || j.state === 'failed');
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
      jobs.set(job.id, job);
      forgetOld();
      queue = queue.then(async () => {
        job.state = 'running';
        const started = Date.now();
        job.startedAt = new Date(started).toISOString();
        const report = (p: JobProgress) => {
          const seconds = (Date.now() - started) / 1000;
          const rate = seconds > 0 ? p.done / seconds : 0;
          job.progress = { ...p, itemsPerSecond: rate, etaSeconds: rate > 0 && p.total > p.done ? (p.total - p.done) / rate : undefined };
        };
        try {
          job.result = await work(report);
          job.state = 'done';
        } catch (e) {
          job.state = 'failed';
          job.error = isProdsimError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
        } finally {
          job.finishedAt = new Date().toISOString();
        }
      });
      return job;
    },
    get: (id) => jobs.get(id),
    list: () => [...jobs.values()],
  };
}
