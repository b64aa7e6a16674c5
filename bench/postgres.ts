/**
 * The three store backends side by side in one run: SQLite (embedded, in-memory indexes),
 * PostgreSQL + pgvector and Citus (retrieval in the database). For each: ingest of the same
 * synthetic catalog through the engine (products/s, analysis + encoding + store + index), `similar`
 * and `search` latency (p50/p99 over the same ids and queries), and recall@10 of the
 * nearest-neighbour stage against exact search over the same stored vectors.
 *
 *   eval "$(scripts/test-servers.sh start)"; npm run bench:postgres -- --n 100000
 *
 * Backends whose URL is unset are left out. Writes docs/benchmarks/postgres.{md,json}.
 *
 * `--schema NAME` names the database schema (default: a new one per run, left in place); a schema
 * that already holds the N products is measured without ingesting again, so that two commits' query
 * paths can be compared on one 1M-product store (an ingest at that size takes half an hour).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { collectAll } from '../src/store/store.ts';
import { latencyStats, machineInfo, nowMs, round3, type LatencyStats } from './tasks.ts';
import { syntheticIds, syntheticQueries, writeCatalog } from './synthetic-catalog.ts';
import { cosineTo, exactTop } from './exact-neighbours.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    /** Fewer search queries than similar ids: at 1M on PostgreSQL a search takes seconds. */
    'search-queries': { type: 'string' },
    backends: { type: 'string', default: 'sqlite,postgres,citus' },
    schema: { type: 'string' },
  },
});
/** `--backends postgres`: one backend of a long run again (the others' rows come from an earlier run). */
const chosen = new Set(args.backends.split(','));
const N = Number(args.n);
const Q = Number(args.queries);
const SEARCH_Q = Number(args['search-queries'] ?? args.queries);
const K = 10;

interface BackendReport {
  backend: string;
  /** Undefined when the store already held the catalog (`--schema` of an earlier run). */
  ingestSeconds: number | undefined;
  /** Seconds of the ingest's parts: the catalog pass (`stageMs`: waiting for each part) and the refresh's stages. */
  ingestStages: Record<string, number> | undefined;
  productsPerSecond: number | undefined;
  similar: LatencyStats;
  search: LatencyStats;
  nearest: LatencyStats;
  recallAt10: number;
  tieAwareRecallAt10: number;
}

/**
 * A returned product within this cosine of the exact tenth is as good an answer as the one the exact
 * scan kept: the synthetic catalog holds many products with identical text vectors (bench/nn-recall.ts:
 * at 100k, 97 of 200 probes have identical neighbours), so id recall counts ties as misses.
 */
const TIE_COSINE = 0.001;

async function measure(backend: string, engine: Engine, catalog: string): Promise<BackendReport> {
  const log = (s: string) => console.error(`[${backend}] ${s}`);
  let ingestSeconds: number | undefined;
  let ingestStages: Record<string, number> | undefined;
  if ((await engine.store.count()) === N) log(`reusing the ${N} products already stored`);
  else {
    const t0 = nowMs();
    // When each refresh stage starts (its first progress report): the stages' seconds are the gaps.
    const refreshMarks: [string, number][] = [];
    const ingest = await engine.ingest(catalog, {
      batchSize: 2_000,
      onRefreshProgress: (p) => {
        if (refreshMarks.at(-1)?.[0] !== p.stage) refreshMarks.push([p.stage, nowMs()]);
      },
    });
    const t1 = nowMs();
    ingestSeconds = (t1 - t0) / 1000;
    ingestStages = Object.fromEntries([
      ...Object.entries(ingest.stageMs).map(([k, ms]) => [`catalog ${k}`, round3(ms / 1000)] as const),
      ...refreshMarks.map(([stage, at], i) => [`refresh ${stage}`, round3(((refreshMarks[i + 1]?.[1] ?? t1) - at) / 1000)] as const),
    ]);
    log(`ingested ${ingest.added} in ${ingestSeconds.toFixed(1)} s: ${JSON.stringify(ingestStages)}`);
  }
  const ids = syntheticIds(N, Q);
  const queries = syntheticQueries(N, Q);
  const time = async (fn: (i: number) => Promise<unknown>, n = Q) => {
    for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm-up
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = nowMs();
      await fn(i);
      xs.push(nowMs() - s);
    }
    return latencyStats(xs);
  };
  const similar = await time((i) => engine.similar({ id: ids[i]!, k: K }));
  log(`similar p50 ${similar.p50Ms} ms`);
  const search = await time((i) => engine.search({ query: queries[i]!.text, k: K }), SEARCH_Q);
  log(`search p50 ${search.p50Ms} ms`);

  // Recall of the nearest-neighbour stage: the engine's retriever (usearch in memory, or HNSW in the
  // database) against an exact scan of the same stored vectors, item vectors as queries, source excluded.
  const encoderId = engine.catalog.textEncoder.id;
  const vectors = (await collectAll(engine.store.vectorsFor(encoderId))).map((v) => ({ id: v.id, v: v.vector }));
  const probe = ids.slice(0, Math.min(Q, 100));
  const vectorOf = new Map(vectors.map((x) => [x.id, x.v] as const));
  let hit = 0;
  let asClose = 0;
  const nnTimes: number[] = [];
  for (const id of probe) {
    const v = (await engine.store.getVector(encoderId, id))!;
    const s = nowMs();
    const got = await engine.catalog.nearest(v, K, { exclude: new Set([id]) });
    nnTimes.push(nowMs() - s);
    const top = exactTop(vectors, v, id, K);
    const truth = new Set(top.map((x) => x.id));
    const tenth = top[top.length - 1]?.s ?? 0;
    hit += got.filter((g) => truth.has(g.id)).length;
    asClose += got.filter((g) => cosineTo(v, vectorOf.get(g.id)) >= tenth - TIE_COSINE).length;
  }
  const recallAt10 = round3(hit / (probe.length * K));
  const tieAwareRecallAt10 = round3(asClose / (probe.length * K));
  log(`recall@10 ${recallAt10}, tie-aware ${tieAwareRecallAt10}`);
  return { backend, ingestSeconds: ingestSeconds === undefined ? undefined : round3(ingestSeconds), productsPerSecond: ingestSeconds === undefined ? undefined : Math.round(N / ingestSeconds), ingestStages, similar, search, nearest: latencyStats(nnTimes), recallAt10, tieAwareRecallAt10 };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-pg-'));
const catalog = path.join(dir, 'catalog.jsonl');
await writeCatalog(catalog, N);
const reports: BackendReport[] = [];
const backends: { name: string; store: string | undefined; distributed: boolean }[] = [
  { name: 'SQLite', store: path.join(dir, 'store.db'), distributed: false, flag: 'sqlite' },
  { name: 'PostgreSQL', store: process.env.PRODSIM_TEST_POSTGRES_URL, distributed: false, flag: 'postgres' },
  { name: 'Citus (coordinator + 2 workers)', store: process.env.PRODSIM_TEST_CITUS_URL, distributed: true, flag: 'citus' },
].filter((b) => chosen.has(b.flag));
const stamp = Date.now().toString(36);
for (const b of backends) {
  if (!b.store) {
    console.error(`[${b.name}] skipped: no URL (scripts/test-servers.sh start)`);
    continue;
  }
  let location = b.store;
  if (b.name !== 'SQLite') {
    const u = new URL(b.store);
    u.searchParams.set('schema', args.schema ?? `prodsim_bench_${stamp}`);
    location = u.toString();
  }
  const engine = await createEngine({ store: location, distributed: b.distributed, images: false });
  try {
    reports.push(await measure(b.name, engine, catalog));
  } finally {
    await engine.close();
  }
}
fs.rmSync(dir, { recursive: true, force: true });

const row = (r: BackendReport) =>
  `| ${r.backend} | ${r.productsPerSecond?.toLocaleString('en-US') ?? 'stored earlier'} | ${r.similar.p50Ms} / ${r.similar.p99Ms} | ${r.search.p50Ms} / ${r.search.p99Ms} | ${r.nearest.p50Ms} | ${r.recallAt10} | ${r.tieAwareRecallAt10} |`;
const machine = machineInfo();
const md = `# Store backends side by side (\`npm run bench:postgres\`)

${N.toLocaleString('en-US')} synthetic products (bench/synthetic-catalog.ts), the default offline encoders, images off;
${Q} similar ids and ${SEARCH_Q} search queries, k = ${K}; one client, loopback. Servers from \`scripts/test-servers.sh\`
(PostgreSQL 15.x, pgvector 0.8.6, Citus 13.2.2; fsync off, test settings), all on this one machine.
Machine: ${JSON.stringify(machine)}. Run at ${new Date().toISOString()}.

| backend | ingest products/s | similar p50 / p99 ms | search p50 / p99 ms | nearest (k=10) p50 ms | NN recall@10 vs exact (ids) | tie-aware recall@10 |
| --- | --- | --- | --- | --- | --- | --- |
${reports.map(row).join('\n')}

Ingest is the whole engine ingest (read, analyse, encode, store, then fit/encode refresh and index).
${reports.flatMap((r) => (r.ingestStages ? [`Its parts on ${r.backend}, seconds: ${Object.entries(r.ingestStages).map(([k, v]) => `${k} ${v}`).join(', ')}.`] : [])).join('\n')}
Recall@10: the engine's nearest-neighbour stage (usearch f16 in memory on SQLite; the HNSW index on
halfvec, ef_search ${100}, iterative scan, in PostgreSQL and Citus) against an exact scan of the same vectors,
item vectors as queries with the item excluded. Tie-aware recall counts a returned product as right when it
is at least as close as the exact tenth less ${TIE_COSINE} in cosine: the synthetic catalog holds many products with
identical text vectors, which id recall counts as misses (\`npm run bench:nn-recall\`). The machine is shared with other
work: figures are indicative, compare rows of one run.
`;
fs.mkdirSync('docs/benchmarks', { recursive: true });
fs.writeFileSync('docs/benchmarks/postgres.md', md);
fs.writeFileSync('docs/benchmarks/postgres.json', `${JSON.stringify({ n: N, queries: Q, machine, reports }, null, 2)}\n`);
console.log(md);
