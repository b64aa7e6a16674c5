/**
 * `similar` on a store `bench:postgres` filled (`npm run bench:postgres-similar -- --store URL --n N --runs R`):
 * 20 warm-up calls, then `--runs` passes over the bench's 200 ids, each printing p50 / p90 and the mean
 * milliseconds of every stage (`timings`). Later passes show the store warm; the bench's own single pass
 * runs right after its ingest. Prints JSON lines; no report is written.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/engine.ts';
import { syntheticIds } from './synthetic-catalog.ts';

const { values: args } = parseArgs({ options: { store: { type: 'string' }, n: { type: 'string' }, runs: { type: 'string', default: '3' }, ids: { type: 'string', default: '200' } } });
if (!args.store || !args.n) throw new Error('--store (a store URL or file) and --n (the products bench:postgres stored) are required');
const engine = await createEngine({ store: args.store, images: false, readonly: true });
const ids = syntheticIds(Number(args.n), Number(args.ids));
for (const id of ids.slice(0, 20)) await engine.similar({ id, k: 10 });
const round2 = (x: number) => Math.round(x * 100) / 100;
for (let run = 1; run <= Number(args.runs); run++) {
  const times: number[] = [];
  const stageMs: Record<string, number> = {};
  for (const id of ids) {
    const start = performance.now();
    const result = await engine.similar({ id, k: 10, timings: true });
    times.push(performance.now() - start);
    for (const [stage, ms] of Object.entries(result.timings ?? {})) stageMs[stage] = (stageMs[stage] ?? 0) + ms / ids.length;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => round2(times[Math.min(times.length - 1, Math.floor(q * times.length))]!);
  console.log(JSON.stringify({ run, p50Ms: at(0.5), p90Ms: at(0.9), stageMeanMs: Object.fromEntries(Object.entries(stageMs).map(([stage, ms]) => [stage, round2(ms)])) }));
}
await engine.close();
