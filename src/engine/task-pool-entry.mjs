// Worker-thread entry of `createTaskPool`: a worker does not inherit the loader the launcher registered
// (bin/prodsim.js), so it registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./task-pool-worker.ts');
