// Worker-thread entry of `createTaskPool` (see task-thread-entry.mjs for why tsx is registered here).
import { register } from 'tsx/esm/api';

register();
await import('./task-pool-worker.ts');
