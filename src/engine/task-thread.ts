/**
 * Runs a task of the registry in a worker thread, over a second, read-only engine opened on the same
 * store: the caller's event loop stays free (an HTTP server keeps answering), the thread's heap is
 * capped (`resourceLimits`), and an abort signal stops it at once (`worker.terminate()`), which
 * cooperative checks inside a long synchronous loop could not.
 *
 *   const groups = await runTaskInThread(engine, 'dedup', {}, { signal, onProgress });
 *
 * Only an engine that can be opened again elsewhere qualifies (`canRunInThread`): a store file, and
 * the default text encoder (an encoder object given to `createEngine` cannot cross threads).
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createError, isProdsimError, rejectUnknownKeys, type ErrorCode, type ErrorLocation } from '../errors.ts';
import type { Engine, EngineOptions } from './engine.ts';
import type { TaskName } from './task-registry.ts';
import { workerEntryUrl } from './module-url.ts';

export interface TaskThreadOptions {
  /**
   * Old-generation heap cap of the thread in MiB; a task that needs more fails with LIMIT_EXCEEDED
   * and takes only its thread down. 4 GiB holds a 1M-product dedup's candidate lists and groups.
   */
  maxMemoryMb: number;
  signal: AbortSignal | undefined;
  onProgress: ((done: number, total: number, stage?: string) => void) | undefined;
  /**
   * OS scheduling priority of the thread, as a nice value added to the process's (0: the same, up
   * to 19): a server gives its jobs' threads +10 so that on a busy machine the thread answering
   * requests is scheduled first (`lowerThreadPriority`; Linux only, elsewhere not applied).
   */
  niceness: number;
  /**
   * Open the thread's engine writable (an ingest): the thread is then the store's writer while it
   * runs, and the caller should not write meanwhile (SQLite has one writer; a batch would wait).
   */
  writable: boolean;
  /**
   * `json`: the thread serialises the result and the promise resolves with a `SerializedResult`. A
   * large result (a dedup's groups at 100k products: ~10 MB) is then neither cloned into objects nor
   * serialised again on the caller's thread, which a server needs free for requests.
   */
  resultAs: 'value' | 'json';
}

/** Largest piece of a serialised result written to a response at once (`SerializedResult.toChunks`). */
export const SERIALIZED_RESULT_CHUNK_BYTES = 1 << 20;

/**
 * A result as JSON, serialised in the thread that computed it (`resultAs: 'json'`), as UTF-8 bytes
 * whose memory the thread handed over (transferred, not copied): the caller's thread neither decodes
 * nor copies it (a 100k dedup's ~10 MB result, posted as a string, held the server's thread ~0.4 s
 * at load 14 while it was deserialised), and sends the bytes as they are (`toStream`).
 */
export class SerializedResult {
  readonly bytes: Uint8Array;
  /** Fields set with `withFields`, as JSON members (`"k":v,…`), appended to the object when sent. */
  readonly extra: string;

  constructor(json: Uint8Array | string, extra = '') {
    this.bytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
    this.extra = extra;
  }

  /** The bytes without whitespace at the end, checked to hold a JSON object. */
  private objectEnd(): number {
    let end = this.bytes.length;
    while (end > 0 && [0x20, 0x0a, 0x0d, 0x09].includes(this.bytes[end - 1]!)) end -= 1;
    if (this.bytes[0] !== 0x7b || this.bytes[end - 1] !== 0x7d) throw createError('INTERNAL', 'withFields: the result is not a JSON object');
    return end;
  }

  /** The result with `fields` set on it (they win over the result's own, as a spread would); the result must be a JSON object. */
  withFields(fields: object): SerializedResult {
    const extra = JSON.stringify(fields).slice(1, -1);
    if (extra === '') return this;
    this.objectEnd();
    return new SerializedResult(this.bytes, this.extra === '' ? extra : `${this.extra},${extra}`);
  }

  /**
   * The result as chunks to send, after `prefix` (e.g. `{"id":…,"result":`) and before `suffix`: views
   * of the thread's bytes of at most `chunkBytes` each, not a copy. One `Buffer.concat` of a 1M
   * dedup's result (~100 MB) held the server's thread while it copied; views are written to the
   * socket as it drains (`toStream`).
   */
  toChunks(prefix: string, suffix: string, chunkBytes = SERIALIZED_RESULT_CHUNK_BYTES): Uint8Array[] {
    const end = this.extra === '' ? this.bytes.length : this.objectEnd() - 1;
    const tail = this.extra === '' ? suffix : `${end === 1 ? '' : ','}${this.extra}}${suffix}`;
    const chunks: Uint8Array[] = [Buffer.from(prefix)];
    for (let at = 0; at < end; at += chunkBytes) chunks.push(this.bytes.subarray(at, Math.min(end, at + chunkBytes)));
    chunks.push(Buffer.from(tail));
    return chunks;
  }

  /** `toChunks` as a byte stream (a response body), with its length in bytes. */
  toStream(prefix: string, suffix: string): { stream: ReadableStream<Uint8Array>; length: number } {
    const chunks = this.toChunks(prefix, suffix);
    const length = chunks.reduce((sum, c) => sum + c.length, 0);
    let next = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next < chunks.length) controller.enqueue(chunks[next++]!);
        else controller.close();
      },
    });
    return { stream, length };
  }

  /** The JSON text (decoded: for tests and small results). */
  get json(): string {
    return Buffer.concat(this.toChunks('', '')).toString('utf8');
  }
}

export const DEFAULT_TASK_THREAD_OPTIONS = {
  maxMemoryMb: 4096,
  niceness: 0,
  writable: false,
  resultAs: 'value',
  signal: undefined,
  onProgress: undefined,
} as const satisfies TaskThreadOptions;

/** What the thread is given: how to open the engine, and the task (or other work over the engine). */
export interface TaskThreadRequest {
  engine: Pick<EngineOptions, 'store' | 'storePath' | 'cacheDir' | 'images' | 'analyzer' | 'quantization'>;
  /** The registry task, or the name of the work exported by `module`. */
  name: string;
  /** A module exporting `name` as a `ThreadWork`, for long work that is not a registry task (train, eval). */
  module?: string | undefined;
  input: unknown;
  /** Nice value to add to the thread's priority before it starts (see `TaskThreadOptions.niceness`). */
  niceness?: number;
  /** Open the engine writable (`TaskThreadOptions.writable`); read-only otherwise. */
  writable?: boolean;
  /** Post the result serialised as JSON (`TaskThreadOptions.resultAs`). */
  resultAs?: 'value' | 'json';
}

/** Long work other than a registry task, run over the thread's read-only engine. */
export type ThreadWork = (engine: Engine, input: never, onProgress: (done: number, total: number, stage?: string) => void) => Promise<unknown>;

export type TaskThreadMessage =
  | { type: 'progress'; done: number; total: number; stage?: string | undefined }
  | { type: 'result'; result: unknown }
  | { type: 'resultJson'; json: Uint8Array }
  | { type: 'error'; error: { code: string; message: string; location?: ErrorLocation } };

const ENTRY = workerEntryUrl('task-thread', import.meta.url);

/** An error as a thread posts it (a ProdsimError keeps its code and location). */
export function errorToMessage(e: unknown): { code: string; message: string; location?: ErrorLocation } {
  return isProdsimError(e) ? { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function errorFromMessage(e: { code: string; message: string; location?: ErrorLocation }): Error {
  return createError(e.code as ErrorCode, e.message, e.location);
}

/** How a thread opens its engine: the caller's store and configuration, read-only. */
export function threadEngineOptions(engine: Engine): TaskThreadRequest['engine'] {
  const { store, storePath, cacheDir, images, analyzer, quantization } = engine.options;
  return { store, storePath, cacheDir, images, analyzer, quantization };
}

export function canRunInThread(engine: Engine): boolean {
  const o = engine.options;
  return (o.store ?? o.storePath) !== ':memory:' && o.textEncoder === undefined;
}

/** The OS id of the calling thread (Linux: `/proc/thread-self` links to `<pid>/task/<tid>`); undefined elsewhere. */
export function osThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    // Expected failure as a value: a probe: without /proc (not Linux) there is no OS thread id.
    return undefined;
  }
}

/**
 * Adds `niceness` to the calling thread's nice value (Linux: `setpriority` on a thread id changes that
 * thread only; an unprivileged thread may lower its priority, not raise it). Returns the thread's nice
 * value after, or undefined where threads cannot be told apart (then nothing is changed: priority of
 * the whole process would slow the server's thread too).
 */
export function lowerThreadPriority(niceness: number): { threadId: number | undefined; niceness: number | undefined } {
  const threadId = osThreadId();
  if (threadId === undefined) return { threadId, niceness: undefined };
  const target = Math.min(19, os.getPriority(threadId) + niceness);
  if (niceness > 0) os.setPriority(threadId, target);
  return { threadId, niceness: os.getPriority(threadId) };
}

/** With `resultAs: 'json'` the promise resolves with the thread's `SerializedResult`; else with the task's result, structured-cloned. */
export function runTaskInThread(engine: Engine, name: TaskName, input: unknown, options: Partial<TaskThreadOptions> & { resultAs: 'json' }): Promise<SerializedResult>;
export function runTaskInThread(engine: Engine, name: TaskName, input: unknown, options?: Partial<TaskThreadOptions> & { resultAs?: 'value' }): Promise<unknown>;
export function runTaskInThread(engine: Engine, name: TaskName, input: unknown, options: Partial<TaskThreadOptions> = {}): Promise<unknown> {
  return runInThread(engine, { engine: threadEngineOptions(engine), name, input }, options);
}

/**
 * `runTaskInThread` for work that is not a registry task: the export `name` of `module` (a file URL),
 * a `ThreadWork` called with the thread's read-only engine and `input` (structured-cloned).
 */
export function runWorkInThread(engine: Engine, module: URL, name: string, input: unknown, options: Partial<TaskThreadOptions> = {}): Promise<unknown> {
  return runInThread(engine, { engine: threadEngineOptions(engine), name, module: module.href, input }, options);
}

function runInThread(engine: Engine, request: TaskThreadRequest, options: Partial<TaskThreadOptions>): Promise<unknown> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TASK_THREAD_OPTIONS), 'runTaskInThread');
  const opts: TaskThreadOptions = { ...DEFAULT_TASK_THREAD_OPTIONS, ...options };
  if (!canRunInThread(engine)) throw createError('INVALID_ARGUMENT', 'only an engine over a store file with the default text encoder can run tasks in a thread', { field: 'engine' });
  const { name } = request;
  if (!(Number.isInteger(opts.niceness) && opts.niceness >= 0 && opts.niceness <= 19)) {
    throw createError('INVALID_ARGUMENT', `niceness must be an integer in [0, 19], got ${opts.niceness}`, { field: 'niceness' });
  }
  opts.signal?.throwIfAborted();

  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: { ...request, niceness: opts.niceness, writable: opts.writable, resultAs: opts.resultAs } satisfies TaskThreadRequest, resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      const reason: unknown = opts.signal!.reason;
      settle(() => reject(reason instanceof Error ? reason : createError('CANCELLED', String(reason))));
      void worker.terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: TaskThreadMessage) => {
      if (m.type === 'progress') opts.onProgress?.(m.done, m.total, m.stage);
      else if (m.type === 'result') settle(() => resolve(m.result));
      else if (m.type === 'resultJson') settle(() => resolve(new SerializedResult(m.json)));
      else settle(() => reject(errorFromMessage(m.error)));
    });
    worker.on('error', (e: Error & { code?: string }) => {
      settle(() =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? createError('LIMIT_EXCEEDED', `${name} needed more than its memory cap of ${opts.maxMemoryMb} MiB`, { field: 'maxMemoryMb', expected: `at most ${opts.maxMemoryMb} MiB` })
            : createError('INTERNAL', `${name} thread failed: ${e.message}`),
        ),
      );
    });
    worker.on('exit', (code) => settle(() => reject(createError('INTERNAL', `${name} thread exited (code ${code}) without a result`))));
  });
}
