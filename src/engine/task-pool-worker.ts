/**
 * A thread of a task pool (`task-pool.ts`): opens one read-only engine on the caller's store and
 * answers task requests for as long as it lives; requests arriving while the engine opens wait for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engine.ts';
import { runTask, type TaskName } from './task-registry.ts';
import { errorToMessage, type TaskThreadRequest } from './task-thread.ts';
import type { PoolReply, PoolRequest } from './task-pool.ts';

const options = (workerData as { engine: TaskThreadRequest['engine'] }).engine;
const engine = createEngine({ ...options, readonly: true });
// An engine that fails to open fails every request with its error (the pool sees them), not the thread.
engine.catch(() => undefined);

parentPort!.on('message', async (m: PoolRequest) => {
  let reply: PoolReply;
  try {
    reply = { id: m.id, result: await runTask(await engine, m.name as TaskName, m.input) };
  } catch (e) {
    reply = { id: m.id, error: errorToMessage(e) };
  }
  parentPort!.postMessage(reply);
});
