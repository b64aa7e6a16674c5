/**
 * Two checkouts of prodsim in one process, timed call by call (`npm run bench:side-by-side -- --base
 * ../prodsim-aa31e93 --base-store D1 --store D2`): `similar` and `search` (rerank none) on the same
 * synthetic ids and queries, alternating which checkout goes first, each on the store its own code
 * ingested (`npm run bench:tasks -- --n 100000 --dir D --keep` in each checkout). Separate processes
 * run at different moments of a shared machine; calls interleaved in one process see the same load.
 *
 * `--same-retrievers` also times this checkout's search with the retrievers the base commit had
 * (words and dense vectors fused by RRF, no character n-grams): what search costs with the base's
 * work, against what it costs with today's.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticIds, syntheticQueries } from './synthetic-catalog.ts';
import { machineInfo, percentile, round3 } from './tasks.ts';

/** Search as before #19: RRF of words and dense vectors, no character n-grams, no Chinese overrides. */
const BASE_RETRIEVERS = { fusion: 'rrf', weights: { keyword: 1, characters: 0, dense: 1, modelNumber: 2 }, chineseQueries: {} } as const;

interface Checkout {
  name: string;
  // Each checkout's own engine module: their option types differ, so calls go through this shape.
  engine: {
    similar(o: object): Promise<{ timings?: Record<string, number> }>;
    search(o: object): Promise<{ timings?: Record<string, number> }>;
    close(): Promise<void>;
  };
}

interface Operation {
  name: string;
  checkout: Checkout;
  call: (i: number) => Promise<{ timings?: Record<string, number> }>;
  times: number[];
  stages: Map<string, number[]>;
}

async function openCheckout(name: string, root: string, store: string): Promise<Checkout> {
  const module = (await import(pathToFileURL(path.resolve(root, 'src/engine/engine.ts')).href)) as { createEngine(o: object): Promise<Checkout['engine']> };
  return { name, engine: await module.createEngine({ storePath: path.resolve(store, 'store.db'), images: false }) };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      base: { type: 'string' },
      'base-store': { type: 'string' },
      store: { type: 'string' },
      n: { type: 'string', default: '100000' },
      queries: { type: 'string', default: '300' },
      rounds: { type: 'string', default: '3' },
      'same-retrievers': { type: 'boolean', default: false },
    },
  });
  if (!args.base || !args['base-store'] || !args.store) {
    console.error('usage: bench:side-by-side -- --base CHECKOUT --base-store DIR --store DIR [--n 100000] [--queries 300] [--rounds 3] [--same-retrievers]');
    process.exit(64);
  }
  const n = Number(args.n);
  const count = Number(args.queries);
  const warmUp = 30;
  const ids = syntheticIds(n, count + warmUp);
  const queries = syntheticQueries(n, count + warmUp).map((q) => q.text);
  const base = await openCheckout('base', args.base, args['base-store']);
  const here = await openCheckout('this checkout', path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), args.store);
  const operation = (name: string, checkout: Checkout, call: (c: Checkout, i: number) => Promise<{ timings?: Record<string, number> }>): Operation => ({
    name,
    checkout,
    call: (i) => call(checkout, i),
    times: [],
    stages: new Map(),
  });
  const similar = (c: Checkout, i: number) => c.engine.similar({ id: ids[i]!, timings: true });
  const search = (extra: object) => (c: Checkout, i: number) => c.engine.search({ query: queries[i]!, rerank: 'none', timings: true, ...extra });
  const operations = [
    operation('similar', base, similar),
    operation('similar', here, similar),
    operation('search, rerank none', base, search({})),
    operation('search, rerank none', here, search({})),
    ...(args['same-retrievers'] ? [operation("search, rerank none, the base's retrievers", here, search(BASE_RETRIEVERS))] : []),
  ];
  for (let i = count; i < count + warmUp; i++) for (const op of operations) await op.call(i);
  for (let round = 0; round < Number(args.rounds); round++) {
    for (let i = 0; i < count; i++) {
      // Rotating the order: no operation always runs first, or always right after another.
      for (let j = 0; j < operations.length; j++) {
        const op = operations[(i + round + j) % operations.length]!;
        const started = performance.now();
        const result = await op.call(i);
        op.times.push(performance.now() - started);
        for (const [stage, ms] of Object.entries(result.timings ?? {})) {
          if (typeof ms !== 'number') continue;
          const list = op.stages.get(stage) ?? [];
          list.push(ms);
          op.stages.set(stage, list);
        }
      }
    }
  }
  const rows = operations.map((op) => ({
    operation: op.name,
    checkout: op.checkout.name,
    p50Ms: round3(percentile(op.times, 50)),
    p99Ms: round3(percentile(op.times, 99)),
    stagesP50Ms: Object.fromEntries([...op.stages].map(([stage, ms]) => [stage, round3(percentile(ms, 50))])),
  }));
  console.log(JSON.stringify({ machine: machineInfo(), base: path.resolve(args.base), n, queries: count, rounds: Number(args.rounds), rows }, null, 2));
  await base.engine.close();
  await here.engine.close();
}

await main();
