/**
 * A pool of worker threads that answer the registry's tasks, each over its own read-only engine on
 * the caller's store, so that reads (similar, search, …) use every core while the caller's thread
 * only parses and answers requests (`prodsim serve --workers N`). A request goes to the thread with
 * the fewest in flight. Each thread follows the store's writes as any reader does (the indexes check
 * the store's revision on use). A thread that dies fails its requests and is replaced.
 *
 *   const pool = createTaskPool(engine, { threads: 2 });
 *   const result = await pool.run('similar', { id: 'P0001' });
 */
import { Worker } from 'node:worker_threads';
import { createError, rejectUnknownKeys, type ErrorLocation } from '../errors.ts';
import type { Engine } from './engine.ts';
import type { ParsedTaskInput, TaskName, TaskOutput } from './task-registry.ts';
import { canRunElsewhere, errorFromMessage, reopenedEngineOptions } from './task-process.ts';
import { workerEntryUrl } from './module-url.ts';

export interface TaskPoolOptions {
  threads: number;
  /** Heap cap of each thread, in MiB: each holds a whole engine (text space, keyword index). */
  maxMemoryMb: number;
}

export const DEFAULT_TASK_POOL_OPTIONS = {
  threads: 2,
  maxMemoryMb: 4096,
} as const satisfies TaskPoolOptions;

export interface PoolRequest {
  id: number;
  name: string;
  input: unknown;
}
export type PoolReply = { id: number; result: unknown; error?: undefined } | { id: number; error: { code: string; message: string; location?: ErrorLocation } };

export interface TaskPool {
  readonly threads: number;
  /** Runs a task on input `parseTaskInput` has validated; resolves to that task's output. */
  run<N extends TaskName>(name: N, input: ParsedTaskInput<N>): Promise<TaskOutput<N>>;
  close(): Promise<void>;
}

const ENTRY = workerEntryUrl('task-pool', import.meta.url);

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

export function createTaskPool(engine: Engine, options: Partial<TaskPoolOptions> = {}): TaskPool {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TASK_POOL_OPTIONS), 'createTaskPool');
  const opts: TaskPoolOptions = { ...DEFAULT_TASK_POOL_OPTIONS, ...options };
  if (!Number.isInteger(opts.threads) || opts.threads < 1) throw createError('INVALID_ARGUMENT', `threads must be a whole number ≥ 1, got ${opts.threads}`, { field: 'threads' });
  if (!canRunElsewhere(engine)) throw createError('INVALID_ARGUMENT', 'only an engine over a store file with the default text encoder can run tasks in threads', { field: 'engine' });
  const workerData = { engine: reopenedEngineOptions(engine) };
  let nextId = 0;
  let closing = false;

  function spawn(): Thread {
    const thread: Thread = { worker: new Worker(ENTRY, { workerData, resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb } }), pending: new Map() };
    thread.worker.on('message', (m: PoolReply) => {
      const waiting = thread.pending.get(m.id);
      if (!waiting) return;
      thread.pending.delete(m.id);
      if (m.error) waiting.reject(errorFromMessage(m.error));
      else waiting.resolve(m.result);
    });
    const fail = (why: string) => {
      for (const w of thread.pending.values()) w.reject(createError('INTERNAL', `a task thread ${why}`));
      thread.pending.clear();
      const i = threads.indexOf(thread);
      if (i >= 0 && !closing) threads[i] = spawn();
    };
    thread.worker.on('error', (e) => fail(`failed: ${e.message}`));
    thread.worker.on('exit', (code) => fail(`exited (code ${code})`));
    return thread;
  }

  const threads: Thread[] = Array.from({ length: opts.threads }, spawn);

  return {
    threads: opts.threads,
    run(name, input) {
      if (closing) return Promise.reject(createError('INTERNAL', 'the task pool is closed'));
      const thread = threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<TaskOutput<typeof name>>((resolve, reject) => {
        // The thread ran this registry task (`runParsedTask`), so the structured clone it posts back
        // is that task's output: the one place the type crosses a thread boundary unchecked.
        thread.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        thread.worker.postMessage({ id, name, input } satisfies PoolRequest);
      });
    },
    async close() {
      closing = true;
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
