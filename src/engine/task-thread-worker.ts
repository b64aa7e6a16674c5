/**
 * Inside a worker thread: opens its own engine on the caller's store (read-only unless the work writes) and runs one task of
 * the registry (or the `ThreadWork` a module exports), posting progress, then the result or the
 * error (see `task-thread.ts`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engine.ts';
import { runTask, type TaskName } from './task-registry.ts';
import { errorToMessage, lowerThreadPriority, type TaskThreadMessage, type TaskThreadRequest, type ThreadWork } from './task-thread.ts';

const request = workerData as TaskThreadRequest;
const post = (m: TaskThreadMessage) => parentPort!.postMessage(m);
// Progress is posted at most this often: a message per product would flood the caller's event loop.
const PROGRESS_INTERVAL_MS = 200;

let lastProgress = 0;
// Before the engine opens: reading the tables and indexes is work the server's thread should not wait behind.
if (request.niceness) lowerThreadPriority(request.niceness);
try {
  const engine = await createEngine({ ...request.engine, readonly: request.writable !== true });
  try {
    const onProgress = (done: number, total: number, stage?: string) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_INTERVAL_MS && done < total) return;
      lastProgress = now;
      post({ type: 'progress', done, total, stage });
    };
    const result = request.module
      ? await ((await import(request.module)) as Record<string, ThreadWork>)[request.name]!(engine, request.input as never, onProgress)
      : await runTask(engine, request.name as TaskName, request.input, { onProgress });
    if (request.resultAs === 'json') {
      // As UTF-8 bytes whose memory is handed over: the caller's thread gets them without a copy.
      const json = new TextEncoder().encode(JSON.stringify(result));
      parentPort!.postMessage({ type: 'resultJson', json } satisfies TaskThreadMessage, [json.buffer]);
    } else post({ type: 'result', result });
  } finally {
    await engine.close();
  }
} catch (e) {
  // Expected failure as a value: the error crosses the thread as a message; the parent rethrows it.
  post({ type: 'error', error: errorToMessage(e) });
}
