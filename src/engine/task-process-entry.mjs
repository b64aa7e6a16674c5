// Process entry of `runTaskInProcess` when run from the sources: the job's process is started with
// its own flags only (not the launcher's `--import tsx`), so it registers tsx itself before loading
// the TypeScript worker. From dist/ the compiled worker is started directly.
import { register } from 'tsx/esm/api';

register();
await import('./task-process-worker.ts');
