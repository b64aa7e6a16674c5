/**
 * A thread of a task pool (`task-pool.ts`): opens one read-only engine on the caller's store and
 * answers task requests for as long as it lives; requests arriving while the engine opens wait for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engine.ts';
import { runTask, type TaskName } from './task-registry.ts';
import { errorToMessage, type TaskProcessRequest } from './task-process.ts';
import type { PoolReply, PoolRequest } from './task-pool.ts';

const options = (workerData as { engine: TaskProcessRequest['engine'] }).engine;
const engine = createEngine({ ...options, readonly: true });
// An engine that fails to open fails every request with its error (the pool sees them), not the thread.
engine.catch(() => undefined);

async function answer(m: PoolRequest): Promise<PoolReply> {
  try {
    return { id: m.id, result: await runTask(await engine, m.name as TaskName, m.input) };
  } catch (e) {
    // Expected failure as a value: the error crosses the thread as a message; the pool rethrows it on the main thread.
    return { id: m.id, error: errorToMessage(e) };
  }
}

parentPort!.on('message', (m: PoolRequest) => {
  void answer(m).then((reply) => parentPort!.postMessage(reply));
});
