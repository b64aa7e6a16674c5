/**
 * `similar` on a store `bench:postgres` filled (`npm run bench:postgres-similar -- --store URL --n N --runs R`):
 * 20 warm-up calls, then `--runs` passes over the bench's 200 ids, each printing p50 / p90 and the mean
 * milliseconds of every stage (`timings`). Later passes show the store warm; the bench's own single pass
 * runs right after its ingest. `--fresh` makes each pass over ids not read before (`--skip N`: nor by
 * the runs before, which read the first N). Prints JSON lines; no report is written.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/engine.ts';
import { syntheticIds } from './synthetic-catalog.ts';

const { values: args } = parseArgs({ options: { store: { type: 'string' }, n: { type: 'string' }, runs: { type: 'string', default: '3' }, ids: { type: 'string', default: '200' }, fresh: { type: 'boolean', default: false }, skip: { type: 'string', default: '0' } } });
if (!args.store || !args.n) throw new Error('--store (a store URL or file) and --n (the products bench:postgres stored) are required');
const engine = await createEngine({ store: args.store, images: false, readonly: true });
const count = Number(args.ids);
// `--fresh`: each pass over ids no call has read before (the bench's ids come first in the sequence,
// so these are others): a warm process on cold rows, against the same ids again (warm rows too).
// `--skip N` starts the fresh passes N ids further on: past the ids earlier runs read.
const runs = Number(args.runs);
const skip = Number(args.skip);
const sequence = syntheticIds(Number(args.n), skip + (runs + 2) * count);
const idsOf = (run: number) => (args.fresh ? sequence.slice(skip + (run + 1) * count, skip + (run + 2) * count) : sequence.slice(0, count));
for (const id of sequence.slice(0, 20)) await engine.similar({ id, k: 10 });
const round2 = (x: number) => Math.round(x * 100) / 100;
for (let run = 1; run <= runs; run++) {
  const ids = idsOf(run);
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
