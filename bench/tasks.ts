/**
 * Application latency benchmark (`npm run bench:tasks -- --n 100000`): generates the synthetic bilingual
 * catalog (bench/synthetic-catalog.ts), ingests it through the library API (`createEngine` +
 * `engine.ingest`: store, fit the text space, GloVe/CEDICT SIF vectors, ANN index; image features off —
 * the synthetic image paths do not exist), then times, interleaved query by query on the same inputs:
 *
 *   - usearch called directly (`Index.load` of the very index file prodsim wrote, `search(v, 50)`),
 *   - prodsim's ANN layer (`catalog.nearest`, as `similar` calls it: 50 candidates, source excluded),
 *   - `engine.similar({ id })`, `engine.search({ query, rerank: 'none' })`, `engine.search({ query, rerank: 'fields' })`,
 *
 * and reports p50/p99, ratios to the direct usearch call, ingest throughput per stage (with the
 * bottleneck), memory and disk per product. Writes docs/benchmarks/tasks.json and tasks.md.
 *
 * `--dir D --keep` keeps the store in D so that bench/hybrid-vs-orama.ts can reuse it (`prepareEngine`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Index as UsearchIndex, type MetricKind, type ScalarKind } from 'usearch';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { ANN_INDEX_DEFAULTS } from '../src/store/ann/ann-index.ts';
import { syntheticIds, syntheticProduct, syntheticQueries, writeCatalog } from './synthetic-catalog.ts';

export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
export const round3 = (x: number) => Math.round(x * 1000) / 1000;
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function machineInfo() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function sizeOf(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((s, f) => s + sizeOf(path.join(p, f)), 0);
}

export interface IngestReport {
  n: number;
  totalMs: number;
  productsPerSecond: number;
  cpuMs: number;
  productsPerCpuSecond: number;
  /** Wall-clock milliseconds per stage. `fit` is estimated (see notes). */
  stageMs: Record<string, number>;
  stageShare: Record<string, number>;
  stageProductsPerSecond: Record<string, number>;
  bottleneck: string;
  rssMiBAfterIngest: number;
  heapUsedMiBAfterIngest: number;
  disk: { storeBytes: number; indexBytes: number; bytesPerProduct: number; storeBytesPerProduct: number; indexBytesPerProduct: number };
  notes: string;
}

/**
 * An engine over a synthetic catalog of `n` products in `dir`: reused when `dir/store.db` already holds
 * `n` products, otherwise generated and ingested (then `ingest` describes the run).
 */
export async function prepareEngine(dir: string, n: number, log = (s: string) => console.error(s)): Promise<{ engine: Engine; ingest: IngestReport | undefined; storePath: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const storePath = path.join(dir, 'store.db');
  if (fs.existsSync(storePath)) {
    const engine = await createEngine({ storePath, images: false });
    if (await engine.store.count() === n) {
      log(`reusing the store in ${dir} (${n.toLocaleString('en-US')} products)`);
      return { engine, ingest: undefined, storePath };
    }
    await engine.close();
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  }
  const catalog = path.join(dir, 'catalog.jsonl');
  let t = nowMs();
  const catalogBytes = await writeCatalog(catalog, n);
  log(`generated ${n.toLocaleString('en-US')} products (${(catalogBytes / 1e6).toFixed(0)} MB) in ${((nowMs() - t) / 1000).toFixed(1)} s`);

  const engine = await createEngine({ storePath, images: false });
  const cpu0 = process.cpuUsage();
  const events: { stage: string; done: number; at: number }[] = [];
  let lastLog = 0;
  t = nowMs();
  const summary = await engine.ingest(catalog, {
    onProgress: (p) => {
      if (p.elapsedMs - lastLog > 15_000) {
        lastLog = p.elapsedMs;
        log(`  store: ${p.read.toLocaleString('en-US')} read`);
      }
    },
    onRefreshProgress: (p) => {
      events.push({ stage: p.stage, done: p.done, at: nowMs() });
      if (p.stage !== 'encode' || p.done === p.total) log(`  ${p.stage} ${p.done}/${p.total}`);
    },
  });
  const end = nowMs();
  const totalMs = end - t;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  // Stages: the store pass (parse → analyse → write, timed inside ingestCatalog), then the refresh:
  // fit (from the 'fit' event to the first encode batch, less one batch's average), encode (+ vector
  // writes), index (rebuild from stored vectors, HNSW build, save).
  const fitAt = events.find((e) => e.stage === 'fit')?.at ?? end;
  const encodes = events.filter((e) => e.stage === 'encode');
  const indexStart = events.find((e) => e.stage === 'index' && e.done === 0)?.at ?? end;
  const encodeWindow = indexStart - fitAt;
  const perBatch = encodes.length > 1 ? (encodes[encodes.length - 1]!.at - encodes[0]!.at) / (encodes.length - 1) : 0;
  const fitMs = encodes.length > 0 ? Math.max(0, encodes[0]!.at - fitAt - perBatch) : 0;
  const storeStages = summary.stageMs;
  const storePassMs = fitAt - t;
  const stageMs: Record<string, number> = {
    parse: storeStages.parse,
    analyse: storeStages.analyse,
    store: storeStages.store,
    // what ingestCatalog spent outside its three timed stages (reading ahead, progress, bookkeeping)
    'store-pass other': Math.max(0, storePassMs - storeStages.parse - storeStages.analyse - storeStages.store - storeStages.encode),
    fit: fitMs,
    encode: Math.max(0, encodeWindow - fitMs),
    index: end - indexStart,
  };
  const stageShare = Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, round3(v / totalMs)]));
  const stageProductsPerSecond = Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, v > 0 ? Math.round((n / v) * 1000) : 0]));
  const bottleneck = Object.entries(stageMs).sort((a, b) => b[1] - a[1])[0]![0];
  const mem = process.memoryUsage();
  const storeBytes = sizeOf(storePath) + sizeOf(`${storePath}-wal`) + sizeOf(`${storePath}-shm`);
  const indexBytes = sizeOf(`${path.resolve(storePath)}.index`);
  fs.rmSync(catalog, { force: true });
  const ingest: IngestReport = {
    n,
    totalMs: Math.round(totalMs),
    productsPerSecond: Math.round((n / totalMs) * 1000),
    cpuMs: Math.round(cpuMs),
    productsPerCpuSecond: Math.round((n / cpuMs) * 1000),
    stageMs: Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, Math.round(v)])),
    stageShare,
    stageProductsPerSecond,
    bottleneck,
    rssMiBAfterIngest: Math.round(mem.rss / 2 ** 20),
    heapUsedMiBAfterIngest: Math.round(mem.heapUsed / 2 ** 20),
    disk: {
      storeBytes,
      indexBytes,
      bytesPerProduct: Math.round((storeBytes + indexBytes) / n),
      storeBytesPerProduct: Math.round(storeBytes / n),
      indexBytesPerProduct: Math.round(indexBytes / n),
    },
    notes:
      `default offline encoders (GloVe + CC-CEDICT SIF, ${engine.catalog.textEncoder.dimension} d), f16 HNSW; image features off (the synthetic image paths do not exist). ` +
      'parse/analyse/store are timed inside ingestCatalog; fit is estimated as the time from the refresh start to the first encoded batch less one batch; encode includes reading products back and writing vectors; index = rebuild from stored vectors + HNSW build + save, then the in-memory keyword index built from the store and saved.',
  };
  log(`ingested ${n.toLocaleString('en-US')} in ${(totalMs / 1000).toFixed(1)} s (${ingest.productsPerSecond}/s); bottleneck ${bottleneck}`);
  return { engine, ingest, storePath };
}

export interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  qps: number;
}
export function latencyStats(xs: readonly number[]): LatencyStats {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { p50Ms: round3(percentile(xs, 50)), p99Ms: round3(percentile(xs, 99)), meanMs: round3(mean), qps: mean > 0 ? Math.round(1000 / mean) : 0 };
}

/** The prodsim index file opened with usearch itself (same graph, same parameters). */
export function openUsearchDirect(storePath: string, dimension: number): UsearchIndex {
  const idx = new UsearchIndex({
    dimensions: dimension,
    metric: 'cos' as MetricKind,
    quantization: 'f16' as ScalarKind,
    connectivity: ANN_INDEX_DEFAULTS.connectivity,
    expansion_add: ANN_INDEX_DEFAULTS.expansionAdd,
    expansion_search: ANN_INDEX_DEFAULTS.expansionSearch,
    multi: false,
  });
  idx.load(path.join(`${path.resolve(storePath)}.index`, 'text.usearch'));
  return idx;
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      n: { type: 'string', default: '100000' },
      queries: { type: 'string', default: '300' },
      warmup: { type: 'string', default: '30' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks') },
      /** Only time these operations (comma-separated), e.g. for profiling: direct,nearest,similar,search-none,search-fields */
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const n = Number(args.n);
  const Q = Number(args.queries);
  const W = Number(args.warmup);
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-tasks-'));
  const started = new Date().toISOString();
  const machine = machineInfo();
  try {
    const { engine, ingest, storePath } = await prepareEngine(dir, n);
    const dim = engine.catalog.textEncoder.dimension;
    const encoderId = engine.catalog.textEncoder.id;
    // Open prodsim's index (lazy) before loading the same file with usearch.
    await engine.catalog.nearest(new Float32Array(dim).fill(0.1), 1);
    const direct = openUsearchDirect(storePath, dim);

    const ids = syntheticIds(n, Q + W);
    const queries = syntheticQueries(n, Q + W);
    const idVectors = await Promise.all(ids.map(async (id) => (await engine.store.getVector(encoderId, id))!));
    const queryVectors: Float32Array[] = [];
    for (const q of queries) queryVectors.push(await engine.catalog.encodeText(q.text));
    const want = 50; // similar's candidates per retriever (k 10 × candidateFactor 5); search's `candidates`
    // What an application calling usearch itself also needs: product ids for the keys it gets back
    // (a key-indexed array built once, not timed).
    const idOfKey: (string | undefined)[] = [];
    {
      const keys: number[] = [];
      for await (const v of engine.store.vectorsFor(encoderId)) keys.push(v.key);
      (await engine.store.keysToIds(keys)).forEach((id, i) => (idOfKey[keys[i]!] = id));
    }
    const directWithIds = (v: Float32Array, exclude: string) => {
      const found = direct.search(v, want + 1, 1);
      const out: { id: string; similarity: number }[] = [];
      for (let j = 0; j < found.keys.length && out.length < want; j++) {
        const id = idOfKey[Number(found.keys[j]!)];
        if (id !== undefined && id !== exclude) out.push({ id, similarity: 1 - found.distances[j]! });
      }
      return out;
    };

    type Op = { name: string; run: (i: number) => unknown };
    // Per-stage milliseconds the applications report with `timings: true` (where the time goes).
    let recording = false;
    const stageTimes = new Map<string, Map<string, number[]>>();
    const record = async (task: string, pending: Promise<{ timings?: Record<string, number> }>) => {
      const result = await pending;
      if (!recording || !result.timings) return result;
      const byStage = stageTimes.get(task) ?? new Map<string, number[]>();
      stageTimes.set(task, byStage);
      for (const [stage, ms] of Object.entries(result.timings)) {
        const list = byStage.get(stage);
        if (list) list.push(ms);
        else byStage.set(stage, [ms]);
      }
      return result;
    };
    const ops: Op[] = [
      { name: 'usearch direct (item vector, k=50)', run: (i) => direct.search(idVectors[i]!, want, 1) },
      { name: 'usearch direct + ids (item vector, k=50, source excluded)', run: (i) => directWithIds(idVectors[i]!, ids[i]!) },
      { name: 'prodsim nearest (item vector, k=50, source excluded)', run: (i) => engine.catalog.nearest(idVectors[i]!, want, { exclude: new Set([ids[i]!]) }) },
      { name: 'similar (k=10)', run: (i) => record('similar', engine.similar({ id: ids[i]!, timings: true })) },
      { name: 'similar substitutes (k=10)', run: (i) => record('similar substitutes', engine.similar({ id: ids[i]!, substitutes: true, timings: true })) },
      { name: 'usearch direct (query vector, k=50)', run: (i) => direct.search(queryVectors[i]!, want, 1) },
      { name: 'prodsim nearest (query vector, k=50)', run: (i) => engine.catalog.nearest(queryVectors[i]!, want) },
      { name: 'encode query', run: (i) => engine.catalog.encodeText(queries[i]!.text) },
      { name: 'search rerank none', run: (i) => record('search rerank none', engine.search({ query: queries[i]!.text, rerank: 'none', timings: true })) },
      { name: 'search rerank fields', run: (i) => record('search rerank fields', engine.search({ query: queries[i]!.text, rerank: 'fields', timings: true })) },
    ];
    const onlyKeys = args.only?.split(',');
    const keyOf: Record<string, string> = {
      'usearch direct (item vector, k=50)': 'direct',
      'usearch direct + ids (item vector, k=50, source excluded)': 'direct',
      'prodsim nearest (item vector, k=50, source excluded)': 'nearest',
      'similar (k=10)': 'similar',
      'similar substitutes (k=10)': 'substitutes',
      'usearch direct (query vector, k=50)': 'direct',
      'prodsim nearest (query vector, k=50)': 'nearest',
      'encode query': 'encode',
      'search rerank none': 'search-none',
      'search rerank fields': 'search-fields',
    };
    const active = onlyKeys ? ops.filter((o) => onlyKeys.includes(keyOf[o.name]!)) : ops;
    const times = new Map<string, number[]>(active.map((o) => [o.name, []]));
    // Warm-up (JIT, SQLite page cache, representation cache of other products) on queries not timed.
    for (let i = Q; i < Q + W; i++) for (const o of active) await o.run(i);
    console.error(`timing ${Q} queries × ${active.length} operations, interleaved`);
    recording = true;
    // Every operation sees every query once, but in round i operation j takes query i + j·stride: two
    // operations never work on the same query back to back (the second would find the first's graph
    // nodes in the CPU cache: usearch called twice on one vector was ×1.8 faster the second time), and
    // the order of operations rotates, so none always runs right after the same other one.
    const stride = Math.max(1, Math.floor(Q / active.length));
    for (let i = 0; i < Q; i++) {
      for (let j = 0; j < active.length; j++) {
        const slot = (i + j) % active.length;
        const o = active[slot]!;
        const s = nowMs();
        await o.run((i + slot * stride) % Q);
        times.get(o.name)!.push(nowMs() - s);
      }
    }
    const latency = Object.fromEntries([...times].map(([k, v]) => [k, latencyStats(v)]));
    const stages = Object.fromEntries(
      [...stageTimes].map(([task, byStage]) => [task, Object.fromEntries([...byStage].map(([stage, xs]) => [stage, { p50Ms: round3(percentile(xs, 50)), meanMs: round3(xs.reduce((a, b) => a + b, 0) / xs.length) }]))]),
    );
    const p50 = (name: string) => latency[name]?.p50Ms ?? NaN;
    const p99 = (name: string) => latency[name]?.p99Ms ?? NaN;
    const ratio = (a: string, b: string) => ({ p50: round3(p50(a) / p50(b)), p99: round3(p99(a) / p99(b)) });
    const ratios = {
      'prodsim nearest / usearch direct': ratio('prodsim nearest (item vector, k=50, source excluded)', 'usearch direct (item vector, k=50)'),
      'prodsim nearest / usearch direct + ids': ratio('prodsim nearest (item vector, k=50, source excluded)', 'usearch direct + ids (item vector, k=50, source excluded)'),
      'prodsim nearest / usearch direct, query vector': ratio('prodsim nearest (query vector, k=50)', 'usearch direct (query vector, k=50)'),
      'similar / usearch direct': ratio('similar (k=10)', 'usearch direct (item vector, k=50)'),
      'similar substitutes / usearch direct': ratio('similar substitutes (k=10)', 'usearch direct (item vector, k=50)'),
      'search rerank none / usearch direct': ratio('search rerank none', 'usearch direct (query vector, k=50)'),
      'search rerank fields / usearch direct': ratio('search rerank fields', 'usearch direct (query vector, k=50)'),
      'search rerank fields / search rerank none': ratio('search rerank fields', 'search rerank none'),
    };
    const updates = await measureUpdates(engine, n);
    const mem = process.memoryUsage();
    const report = {
      benchmark: 'tasks',
      date: started,
      machine,
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
      n,
      queries: Q,
      warmup: W,
      dimension: dim,
      encoderId,
      ingest,
      latency,
      ratios,
      stages,
      updates,
      memory: { rssMiB: Math.round(mem.rss / 2 ** 20), heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20), rssBytesPerProduct: Math.round(mem.rss / n) },
      notes:
        'Operations are interleaved (each round runs every operation once, each on a different query, in an order that rotates from round to round; every operation sees every query once), so load from other jobs hits them alike and no operation finds another\'s work on the same query in the CPU cache; the ratios are the figures to read. ' +
        'usearch direct = the index file prodsim wrote, loaded with usearch and searched for 50 neighbours (the candidates similar and search ask the ANN layer for); ' +
        'usearch direct + ids = the same call plus what an application needs from it: the product id of each key (from a key-indexed array) and the source left out; ' +
        'prodsim nearest does that job through its ANN layer (ids from the keyword index, exclusion by id; f16 is not rescored by default). ' +
        'similar = dense + BM25 candidates, each scored field by field with explanations; search = BM25 + dense + model-number lookup, RRF, then optional field-wise rerank of the top 30 (with explanations).',
    };
    emitReport(args.out, 'tasks', report, tasksMarkdown(report), !args['no-write']);
    await engine.close();
  } finally {
    if (args.keep || args.dir) console.error(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface UpdateTiming {
  products: number;
  /** New products analysed, stored and refreshed (as engine.upsertProducts): encoded, keyword and ANN index brought up to date. */
  addMs: number;
  /** engine.deleteProducts of the same products, then refresh. */
  deleteMs: number;
  /** How the refresh after adding brought each index up to date. */
  annIndex: string;
  keywordIndex: string;
}

/**
 * Writes to a live catalog: products added (new ids) and deleted again, each timed end to end through
 * the engine. The indexes follow from the store's change log; before that, any write rebuilt the ANN
 * index and the keyword index from the whole store (compare the ingest's `index` stage).
 */
async function measureUpdates(engine: Engine, n: number): Promise<UpdateTiming[]> {
  const out: UpdateTiming[] = [];
  for (const count of [1, 100, 1000]) {
    const products = Array.from({ length: count }, (_, i) => ({ ...syntheticProduct(n + 1_000_000 + out.length * 10_000 + i) }));
    products.forEach((p) => (p.id = `update-${count}-${p.id}`));
    // What engine.upsertProducts does, with the refresh's summary kept (how each index was brought up to date).
    let s = nowMs();
    await engine.store.upsertProducts(products.map((product) => ({ product, analyzed: analyzeProduct(product, engine.catalog.analyzer) })));
    const added = await engine.refresh();
    const addMs = nowMs() - s;
    s = nowMs();
    await engine.deleteProducts(products.map((p) => p.id));
    await engine.refresh();
    const deleteMs = nowMs() - s;
    out.push({
      products: count,
      addMs: round3(addMs),
      deleteMs: round3(deleteMs),
      annIndex: added.representations.index.reason,
      keywordIndex: added.representations.keywordIndex.source,
    });
  }
  return out;
}

/** Writes `<name>.json` and `<name>.md` into `out` (when `write`), and prints the JSON report (run-all reads it). */
export function emitReport(out: string, name: string, report: unknown, markdown: string, write: boolean): void {
  if (write) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(path.join(out, `${name}.md`), markdown);
  }
  console.log(JSON.stringify(report, null, 2));
}

/** Products added to and deleted from the catalog after the queries, timed end to end. */
export function updatesMarkdown(updates: readonly UpdateTiming[]): string {
  if (updates.length === 0) return 'Not measured in this run.';
  const rows = updates.map((u) => `| ${u.products.toLocaleString('en-US')} | ${u.addMs.toLocaleString('en-US')} | ${u.deleteMs.toLocaleString('en-US')} | ${u.annIndex} | ${u.keywordIndex} |`);
  return [
    'New products analysed, stored, encoded and indexed (what `engine.upsertProducts` does), then deleted again (`engine.deleteProducts` + refresh). Both indexes follow the store\'s change log; a full rebuild of the ANN index is the ingest\'s `index` stage.',
    '',
    '| products | add, end to end ms | delete ms | ANN index after the add | keyword index after the add |',
    '| ---: | ---: | ---: | --- | --- |',
    ...rows,
  ].join('\n');
}

/** One table per task: mean and median milliseconds per stage, and each stage's share of the mean total. */
export function stagesMarkdown(stages: Record<string, Record<string, { p50Ms: number; meanMs: number }>>): string {
  return Object.entries(stages)
    .map(([task, byStage]) => {
      const total = Object.values(byStage).reduce((a, v) => a + v.meanMs, 0);
      const rows = Object.entries(byStage).map(([stage, v]) => `| ${stage} | ${v.p50Ms} | ${v.meanMs} | ${total > 0 ? Math.round((1000 * v.meanMs) / total) / 10 : 0} % |`);
      return [`**${task}** (mean total ${round3(total)} ms)`, '', '| stage | p50 ms | mean ms | share of mean |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
    })
    .join('\n\n');
}

export function tasksMarkdown(r: any): string {
  const rows = Object.entries(r.latency as Record<string, LatencyStats>)
    .map(([k, v]) => `| ${k} | ${v.p50Ms} | ${v.p99Ms} | ${v.meanMs} | ${v.qps} |`)
    .join('\n');
  const ratioRows = Object.entries(r.ratios as Record<string, { p50: number; p99: number }>)
    .map(([k, v]) => `| ${k} | ×${v.p50} | ×${v.p99} |`)
    .join('\n');
  const ing = r.ingest as IngestReport | undefined;
  const ingestPart = ing
    ? `## Ingest (${ing.n.toLocaleString('en-US')} products, end to end through \`engine.ingest\`)

${ing.productsPerSecond.toLocaleString('en-US')} products/s wall clock (${(ing.totalMs / 1000).toFixed(1)} s), ${ing.productsPerCpuSecond.toLocaleString('en-US')} products per CPU second of the process. **Bottleneck: ${ing.bottleneck}** (${Math.round(ing.stageShare[ing.bottleneck]! * 100)} % of the time).

| stage | ms | share | products/s of the stage alone |
| --- | ---: | ---: | ---: |
${Object.keys(ing.stageMs)
  .map((k) => `| ${k} | ${ing.stageMs[k]!.toLocaleString('en-US')} | ${Math.round(ing.stageShare[k]! * 1000) / 10} % | ${ing.stageProductsPerSecond[k]!.toLocaleString('en-US')} |`)
  .join('\n')}

Disk: ${ing.disk.bytesPerProduct.toLocaleString('en-US')} bytes/product (store ${ing.disk.storeBytesPerProduct.toLocaleString('en-US')}, ANN index + sidecar ${ing.disk.indexBytesPerProduct.toLocaleString('en-US')}). RSS after ingest ${ing.rssMiBAfterIngest} MiB (heap ${ing.heapUsedMiBAfterIngest} MiB).

${ing.notes}
`
    : '## Ingest\n\nNot measured in this run (the store was reused).\n';
  return `# Application latency benchmark

Generated by \`npm run bench:tasks -- --n ${r.n}\` (bench/tasks.ts); do not edit by hand. Raw figures: \`tasks.json\`.

Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; commit \`${r.machine.commit}\`; run ${r.date}; load average ${r.machine.loadAverage.join(' / ')} at the start, ${r.loadAverageAtEnd.join(' / ')} at the end (the 2 cores are shared with other jobs: absolute times are noisy, ratios measured side by side are not).

Catalog: ${r.n.toLocaleString('en-US')} synthetic bilingual products (bench/synthetic-catalog.ts), text vectors ${r.dimension} d (\`${r.encoderId}\`). ${r.queries} timed queries after ${r.warmup} warm-up queries; the same ids and query texts for every operation.

${ingestPart}
## Latency (ms)

| operation | p50 | p99 | mean | QPS (1 thread) |
| --- | ---: | ---: | ---: | ---: |
${rows}

| ratio | p50 | p99 |
| --- | ---: | ---: |
${ratioRows}

## Where the time goes (stages the applications report with \`timings: true\`)

${stagesMarkdown(r.stages ?? {})}

## Writes to the live catalog

${updatesMarkdown(r.updates ?? [])}

Memory after the queries: RSS ${r.memory.rssMiB} MiB (${r.memory.rssBytesPerProduct.toLocaleString('en-US')} bytes/product, whole process incl. GloVe/CEDICT tables), heap ${r.memory.heapUsedMiB} MiB.

${r.notes}
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
