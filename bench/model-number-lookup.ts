/**
 * The model-number lookup at catalog sizes (`node --import tsx bench/model-number-lookup.ts [--sizes
 * 100000,1000000] [--queries 20000]`): builds the lookup over the synthetic catalog's codes
 * (bench/synthetic-catalog.ts, canonical as the analyser writes them), then times `find` for codes of
 * catalog products (as a dedup asks) and reports codes compared per find, hits, build time and heap.
 * Run it on two commits to compare bucket schemes; the figures are in src/tasks/model-number-lookup.ts.
 */
import { parseArgs } from 'node:util';
import { canonicalModelNumber } from '../src/text/model-numbers.ts';
import { createModelNumberLookup, withinOneEdit } from '../src/tasks/model-number-lookup.ts';
import { syntheticProduct } from './synthetic-catalog.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100000,1000000' }, queries: { type: 'string', default: '20000' } } });

for (const n of values.sizes.split(',').map(Number)) {
  const products: { key: number; id: string; modelNumbers: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const p = syntheticProduct(i);
    const raw = p.attributes?.['型号'] ?? p.attributes?.['model'];
    const code = raw === undefined ? undefined : canonicalModelNumber(raw.toLowerCase());
    products.push({ key: i + 1, id: p.id, modelNumbers: code ? [code] : [] });
  }
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const lookup = createModelNumberLookup(products);
  const buildMs = performance.now() - t0;
  global.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const q = Number(values.queries);
  const queries = Array.from({ length: q }, (_, i) => products[(i * 7919) % n]!.modelNumbers[0]).filter((c): c is string => c !== undefined);
  let hits = 0;
  const t1 = performance.now();
  for (const code of queries) hits += lookup.find(code).length;
  const findMs = (performance.now() - t1) / queries.length;
  // Codes within one edit, as a check that both schemes find the same (hits per find).
  let withinOne = 0;
  for (const code of queries.slice(0, 50)) for (const p of products) if (p.modelNumbers[0] && withinOneEdit(code, p.modelNumbers[0])) withinOne += 1;
  console.log(JSON.stringify({ n, codes: lookup.size, buildSeconds: +(buildMs / 1000).toFixed(2), heapMiB: +heapMiB.toFixed(0), findMicroseconds: +(findMs * 1000).toFixed(1), hitsPerFind: +(hits / queries.length).toFixed(2), bruteForceHitsPerFindFirst50: +(withinOne / 50).toFixed(2) }));
}
