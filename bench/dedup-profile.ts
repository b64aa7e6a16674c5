/**
 * Where a store dedup's time per product goes (`node --import tsx bench/dedup-profile.ts --store S
 * --products N [--max-representations M]`): the dedup of the store in this thread, stopped after N
 * products are scanned, with the store reads counted (rows read, read calls), pairs scored and CPU.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/engine.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    products: { type: 'string', default: '20000' },
    'max-representations': { type: 'string' },
  },
});
const engine = await createEngine({ storePath: values.store!, images: false, readonly: true });
const limit = Number(values.products);
const store = engine.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown[]>>;
const reads = { calls: 0, rows: 0, ms: 0 };
for (const name of ['getAnalyzedProductsByKeys', 'getAnalyzedProducts']) {
  const original = store[name]!.bind(store);
  store[name] = async (...a: unknown[]) => {
    const t = performance.now();
    const out = await original(...a);
    reads.calls += 1;
    reads.rows += (a[0] as unknown[]).length;
    reads.ms += performance.now() - t;
    return out;
  };
}
let pairs = 0;
let t0 = 0;
let cpu0 = process.cpuUsage();
const controller = new AbortController();
let scanned = 0;
const total = await engine.store.count();
const started = performance.now();
try {
  await engine.dedup(undefined, {
    signal: controller.signal,
    ...(values['max-representations'] ? { maxRepresentations: Number(values['max-representations']) } : {}),
    onScored: () => {
      pairs += 1;
    },
    onProgress: (done: number) => {
      if (t0 === 0) {
        // The first batch's end: preparation (model numbers, statistics, ANN load) is behind.
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        Object.assign(reads, { calls: 0, rows: 0, ms: 0 });
        pairs = 0;
        scanned = -done;
        console.error(`prepared in ${((t0 - started) / 1000).toFixed(1)} s`);
      }
      if (done >= limit) {
        scanned += done;
        controller.abort();
      }
    },
  });
} catch (e) {
  if (!controller.signal.aborted) throw e;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    store: values.store,
    total,
    scanned,
    msPerProduct: +(ms / scanned).toFixed(3),
    cpuMsPerProduct: +((cpu.user + cpu.system) / 1000 / scanned).toFixed(3),
    pairsPerProduct: +(pairs / scanned).toFixed(2),
    rowsReadPerProduct: +(reads.rows / scanned).toFixed(2),
    readMsPerProduct: +(reads.ms / scanned).toFixed(3),
    readCalls: reads.calls,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }),
);
await engine.close();
