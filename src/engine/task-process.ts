/**
 * Runs a task of the registry in a child process, over a second, read-only engine opened on the same
 * store: the caller's event loop stays free (an HTTP server keeps answering), the job's heap is
 * capped (`--max-old-space-size`), and an abort signal stops it at once (the process is killed), which
 * cooperative checks inside a long synchronous loop could not.
 *
 * A process, not a worker thread: a worker's isolate shares the process's V8 helper threads (marking,
 * sweeping), allocator and address space with the server's thread, and they run at the server's
 * priority whatever the worker's own. A 1M dedup in a worker (a 7 GiB heap) stalled the server's
 * thread 50–200 ms some 90 times and once 3.66 s (a major GC of a 70 MiB heap) in 50 minutes; a
 * process gets its own helpers, all lowered in priority (`lowerProcessPriority`), and a crash of
 * it (a native out-of-memory) cannot take the server down.
 *
 *   const groups = await runTaskInProcess(engine, 'dedup', {}, { signal, onProgress });
 *
 * Only an engine that can be opened again elsewhere qualifies (`canRunElsewhere`): a store file, and
 * the default text encoder (an encoder object given to `createEngine` cannot cross processes).
 */
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createError, isProdsimError, rejectUnknownKeys, type ErrorCode, type ErrorLocation } from '../errors.ts';
import type { Engine, EngineOptions } from './engine.ts';
import type { TaskName } from './task-registry.ts';
import { workerEntryUrl } from './module-url.ts';

export interface TaskProcessOptions {
  /**
   * Old-generation heap cap of the job's process in MiB; a task that needs more fails with
   * LIMIT_EXCEEDED and takes only its process down. 4 GiB holds a 1M-product dedup's candidate lists and groups.
   */
  maxMemoryMb: number;
  signal: AbortSignal | undefined;
  onProgress: ((done: number, total: number, stage?: string) => void) | undefined;
  /**
   * OS scheduling priority of the job's process (every thread of it), as a nice value added to the
   * caller's (0: the same, up to 19): a server gives its jobs +10 so that on a busy machine the thread
   * answering requests is scheduled first (`lowerProcessPriority`).
   */
  niceness: number;
  /**
   * Open the job's engine writable (an ingest): the job is then the store's writer while it
   * runs, and the caller should not write meanwhile (SQLite has one writer; a batch would wait).
   */
  writable: boolean;
  /**
   * `json`: the job's process serialises the result and the promise resolves with a `SerializedResult`. A
   * large result (a dedup's groups at 100k products: ~10 MB) is then neither cloned into objects nor
   * serialised again on the caller's thread, which a server needs free for requests.
   */
  resultAs: 'value' | 'json';
}

/** Largest piece of a serialised result written to a response at once (`SerializedResult.toChunks`). */
export const SERIALIZED_RESULT_CHUNK_BYTES = 1 << 20;

/**
 * A result as JSON, serialised by the process that computed it (`resultAs: 'json'`), as UTF-8 bytes:
 * the caller's thread neither decodes nor copies them again (a 100k dedup's ~10 MB result, posted as a string, held the server's thread ~0.4 s
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
   * of the result's bytes of at most `chunkBytes` each, not a copy. One `Buffer.concat` of a 1M
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

export const DEFAULT_TASK_PROCESS_OPTIONS = {
  maxMemoryMb: 4096,
  niceness: 0,
  writable: false,
  resultAs: 'value',
  signal: undefined,
  onProgress: undefined,
} as const satisfies TaskProcessOptions;

/** What the job's process is given: how to open the engine, and the task (or other work over the engine). */
export interface TaskProcessRequest {
  engine: Pick<EngineOptions, 'store' | 'storePath' | 'cacheDir' | 'images' | 'analyzer' | 'quantization'>;
  /** The registry task, or the name of the work exported by `module`. */
  name: string;
  /** A module exporting `name` as a `ProcessWork`, for long work that is not a registry task (train, eval). */
  module?: string | undefined;
  input: unknown;
  /** Nice value to add to the process's priority before it starts (see `TaskProcessOptions.niceness`). */
  niceness?: number;
  /** Open the engine writable (`TaskProcessOptions.writable`); read-only otherwise. */
  writable?: boolean;
  /** Post the result serialised as JSON (`TaskProcessOptions.resultAs`). */
  resultAs?: 'value' | 'json';
}

/** Long work other than a registry task, run over the job process's engine. */
export type ProcessWork = (engine: Engine, input: never, onProgress: (done: number, total: number, stage?: string) => void) => Promise<unknown>;

export type TaskProcessMessage =
  | { type: 'progress'; done: number; total: number; stage?: string | undefined }
  | { type: 'result'; result: unknown }
  | { type: 'resultJson'; json: Uint8Array }
  | { type: 'error'; error: { code: string; message: string; location?: ErrorLocation } };

const ENTRY = fileURLToPath(workerEntryUrl('task-process', import.meta.url));

/** What V8 prints as it aborts a process over its heap cap (`--max-old-space-size`). */
const HEAP_LIMIT_MESSAGE = /heap out of memory|Reached heap limit/;
/** How much of the job process's standard error is kept to say why it ended. */
const STDERR_TAIL_BYTES = 4096;

/** An error as a job's process sends it (a ProdsimError keeps its code and location). */
export function errorToMessage(e: unknown): { code: string; message: string; location?: ErrorLocation } {
  return isProdsimError(e) ? { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function errorFromMessage(e: { code: string; message: string; location?: ErrorLocation }): Error {
  return createError(e.code as ErrorCode, e.message, e.location);
}

/** How another thread or process opens the caller's engine: its store and configuration. */
export function reopenedEngineOptions(engine: Engine): TaskProcessRequest['engine'] {
  const { store, storePath, cacheDir, images, analyzer, quantization } = engine.options;
  return { store, storePath, cacheDir, images, analyzer, quantization };
}

export function canRunElsewhere(engine: Engine): boolean {
  const o = engine.options;
  return (o.store ?? o.storePath) !== ':memory:' && o.textEncoder === undefined;
}

/**
 * Adds `niceness` to the nice value of every thread of the calling process (Linux: `setpriority` on a
 * thread id changes that thread only, so each of `/proc/self/task` is set, V8's helper threads with
 * the main one; threads started later inherit it from their creator). An unprivileged process may
 * lower its priority, not raise it. Returns the nice values after, one per thread; empty where
 * threads cannot be listed (not Linux: there the process's priority is set as that OS applies it).
 */
export function lowerProcessPriority(niceness: number): number[] {
  if (niceness <= 0) return [];
  let threadIds: number[];
  try {
    threadIds = readdirSync('/proc/self/task').map(Number);
  } catch {
    // Expected failure as a value: without /proc (not Linux) threads cannot be listed; the OS's own
    // process priority is set instead.
    os.setPriority(Math.min(19, os.getPriority() + niceness));
    return [];
  }
  return threadIds.flatMap((tid) => {
    try {
      os.setPriority(tid, Math.min(19, os.getPriority(tid) + niceness));
      return [os.getPriority(tid)];
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

/** With `resultAs: 'json'` the promise resolves with the job's `SerializedResult`; else with the task's result, structured-cloned. */
export function runTaskInProcess(engine: Engine, name: TaskName, input: unknown, options: Partial<TaskProcessOptions> & { resultAs: 'json' }): Promise<SerializedResult>;
export function runTaskInProcess(engine: Engine, name: TaskName, input: unknown, options?: Partial<TaskProcessOptions> & { resultAs?: 'value' }): Promise<unknown>;
export function runTaskInProcess(engine: Engine, name: TaskName, input: unknown, options: Partial<TaskProcessOptions> = {}): Promise<unknown> {
  return runInProcess(engine, { engine: reopenedEngineOptions(engine), name, input }, options);
}

/**
 * `runTaskInProcess` for work that is not a registry task: the export `name` of `module` (a file URL),
 * a `ProcessWork` called with the job process's engine and `input` (structured-cloned).
 */
export function runWorkInProcess(engine: Engine, module: URL, name: string, input: unknown, options: Partial<TaskProcessOptions> = {}): Promise<unknown> {
  return runInProcess(engine, { engine: reopenedEngineOptions(engine), name, module: module.href, input }, options);
}

/** The last line of a process's standard error that is not a frame of a native stack, as `: line`; '' if none. */
function lastMessageLine(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\d+: 0x[0-9a-f]+/.test(l) && !/^-+ .* -+$/.test(l))
    .at(-1);
  return line === undefined ? '' : `: ${line}`;
}

function runInProcess(engine: Engine, request: TaskProcessRequest, options: Partial<TaskProcessOptions>): Promise<unknown> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TASK_PROCESS_OPTIONS), 'runTaskInProcess');
  const opts: TaskProcessOptions = { ...DEFAULT_TASK_PROCESS_OPTIONS, ...options };
  if (!canRunElsewhere(engine)) throw createError('INVALID_ARGUMENT', 'only an engine over a store file with the default text encoder can run tasks in another process', { field: 'engine' });
  const { name } = request;
  if (!(Number.isInteger(opts.niceness) && opts.niceness >= 0 && opts.niceness <= 19)) {
    throw createError('INVALID_ARGUMENT', `niceness must be an integer in [0, 19], got ${opts.niceness}`, { field: 'niceness' });
  }
  opts.signal?.throwIfAborted();

  return new Promise((resolve, reject) => {
    // execArgv set whole: the caller's own flags (a test runner's, an inspector's) are not the job's.
    const child = fork(ENTRY, [], { execArgv: [`--max-old-space-size=${opts.maxMemoryMb}`], serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    // Kept to say why the process ended: its last lines, and whether V8 hit the heap cap (its message
    // comes before a native stack of some kilobytes, so the tail alone would lose it).
    let stderrTail = '';
    let overHeapCap = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      overHeapCap ||= HEAP_LIMIT_MESSAGE.test(stderrTail);
    });
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
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: TaskProcessMessage) => {
      if (m.type === 'progress') opts.onProgress?.(m.done, m.total, m.stage);
      else if (m.type === 'result') settle(() => resolve(m.result));
      else if (m.type === 'resultJson') settle(() => resolve(new SerializedResult(m.json)));
      else settle(() => reject(errorFromMessage(m.error)));
    });
    child.on('error', (e: Error) => settle(() => reject(createError('INTERNAL', `${name} process failed: ${e.message}`))));
    child.on('exit', (code, signal) =>
      settle(() =>
        reject(
          overHeapCap
            ? createError('LIMIT_EXCEEDED', `${name} needed more than its memory cap of ${opts.maxMemoryMb} MiB`, { field: 'maxMemoryMb', expected: `at most ${opts.maxMemoryMb} MiB` })
            : createError('INTERNAL', `${name} process exited (${signal ?? `code ${code}`}) without a result${lastMessageLine(stderrTail)}`),
        ),
      ),
    );
    child.send({ ...request, niceness: opts.niceness, writable: opts.writable, resultAs: opts.resultAs } satisfies TaskProcessRequest);
  });
}
