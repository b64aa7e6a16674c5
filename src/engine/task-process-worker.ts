/**
 * Inside a job's process (`runTaskInProcess`): takes the request from the first message, lowers the
 * priority of all its threads, opens its own engine on the caller's store (read-only unless the
 * work writes) and runs one task of the registry (or the `ProcessWork` a module exports), sending
 * progress, then the result or the error, and exits.
 */
import { createEngine } from './engine.ts';
import { runTask, type TaskName } from './task-registry.ts';
import { errorToMessage, lowerProcessPriority, type ProcessWork, type TaskProcessMessage, type TaskProcessRequest } from './task-process.ts';

// Progress is sent at most this often: a message per product would flood the caller's event loop.
const PROGRESS_INTERVAL_MS = 200;

/** Sends a message and waits until it is written to the channel (a result must be sent before exit). */
const send = (m: TaskProcessMessage) => new Promise<void>((resolve, reject) => process.send!(m, undefined, undefined, (e: Error | null) => (e ? reject(e) : resolve())));

async function run(request: TaskProcessRequest): Promise<void> {
  // Before the engine opens: reading the tables and indexes is work the server's thread should not wait behind.
  if (request.niceness) lowerProcessPriority(request.niceness);
  let lastProgress = 0;
  try {
    const engine = await createEngine({ ...request.engine, readonly: request.writable !== true });
    try {
      const onProgress = (done: number, total: number, stage?: string) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && done < total) return;
        lastProgress = now;
        // A progress message that cannot be sent is no reason to fail the work (a caller gone ends it below).
        send({ type: 'progress', done, total, stage }).catch(() => undefined);
      };
      const result = request.module
        ? await ((await import(request.module)) as Record<string, ProcessWork>)[request.name]!(engine, request.input as never, onProgress)
        : await runTask(engine, request.name as TaskName, request.input, { onProgress });
      await send(request.resultAs === 'json' ? { type: 'resultJson', json: new TextEncoder().encode(JSON.stringify(result)) } : { type: 'result', result });
    } finally {
      await engine.close();
    }
  } catch (e) {
    // Expected failure as a value: the error crosses to the caller as a message; it rethrows it there.
    await send({ type: 'error', error: errorToMessage(e) });
  }
}

// The caller gone (its process ended or killed): nothing is left to answer to, and a job must not
// outlive its server. A writer's last batch is a transaction: it is committed whole or not at all.
process.on('disconnect', () => process.exit(1));
process.once('message', (request: TaskProcessRequest) => {
  // Exits once the last message is written to the channel: what the engine leaves open (timers,
  // native indexes) must not keep a finished job alive.
  void run(request).finally(() => process.exit(0));
});
