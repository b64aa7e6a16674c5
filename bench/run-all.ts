/**
 * The performance suite (`npm run bench`): runs every benchmark as a child process on the same machine
 * in one go, repeats the cheap ones, and writes docs/benchmarks/performance.md + performance.json with the
 * machine, the commit, for each figure the median of the runs with min/max, and prodsim / peer ratios.
 *
 *   npm run bench                       # default sizes, fits in ~20 min on 2 shared cores
 *   npm run bench -- --n 100000 --ann-cases 100000x384,100000x100   # longer
 *   npm run bench -- --quick            # 5k products, 2k vectors: a smoke run of the whole pipeline
 *
 * Children: bench/tasks.ts (ingest through the engine + similar/search vs usearch direct), then
 * bench/hybrid-vs-orama.ts and bench/keyword.ts (in-memory BM25 vs SQLite FTS5) on the same store, then
 * bench/ann.ts (prodsim vs usearch vs hnswlib-node vs exact, written to a scratch folder:
 * docs/benchmarks/ann.* belong to bench:ann), then bench/http.ts (the server under concurrent requests,
 * on the sample catalog). The 100k × 384 and 1M ANN rows and the 1M ingest come from
 * the separate longer runs committed in docs/benchmarks (named as such).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { machineInfo, percentile } from './tasks.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    n: { type: 'string' },
    'task-queries': { type: 'string' },
    'orama-queries': { type: 'string' },
    'ann-cases': { type: 'string' },
    'ann-queries': { type: 'string' },
    /** Target repetitions of the cheap benchmarks (query phases on a reused store). */
    reps: { type: 'string', default: '3' },
    /** Minutes after which no further repetition is started. */
    'budget-min': { type: 'string', default: '17' },
    quick: { type: 'boolean', default: false },
    /**
     * Writes performance.md again from the committed performance.json, with this code's prose (profiling
     * findings, what is left open) and the separate longer runs as committed now (ann.json, 1M ingest);
     * measures nothing. The report says it was rendered again, and when.
     */
    'render-only': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'docs', 'benchmarks') },
  },
});
const quick = args.quick;
const N = Number(args.n ?? (quick ? 5000 : 100000));
const TASK_Q = args['task-queries'] ?? (quick ? '60' : '200');
const ORAMA_Q = args['orama-queries'] ?? (quick ? '60' : '150');
const ANN_CASES = args['ann-cases'] ?? (quick ? '2000x384,2000x100' : '100000x384,100000x100');
const ANN_Q = args['ann-queries'] ?? (quick ? '100' : '300');
const REPS = Number(args.reps);
const BUDGET_MS = Number(args['budget-min']) * 60_000;
const OUT = args.out;

const started = Date.now();
const elapsedMin = () => ((Date.now() - started) / 60_000).toFixed(1);
const log = (s: string) => console.error(`[bench ${elapsedMin()} min] ${s}`);

/** Runs `node <flags> --import tsx <script> <args>`; resolves with stdout, stderr streamed with a prefix. */
function runChild(script: string, childArgs: string[], nodeFlags: string[] = []): Promise<{ stdout: string; ms: number }> {
  const t = Date.now();
  log(`running ${script} ${childArgs.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(root, script), ...childArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim() && !/^\s+encode \d/.test(line)) console.error(`  ${path.basename(script)}: ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, ms: Date.now() - t }) : reject(new Error(`${script} exited with ${code}`))));
  });
}
const lastJson = (stdout: string) => JSON.parse(stdout.slice(stdout.indexOf('{')));

interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}
function spread(xs: number[]): Spread {
  const v = xs.filter((x) => Number.isFinite(x));
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { median: r(percentile(v, 50)), min: r(Math.min(...v)), max: r(Math.max(...v)), runs: v.length };
}
/** Median of the lower half is used for even counts (percentile 50 picks the lower middle). */
function spreadTree(objs: any[]): any {
  const first = objs[0];
  if (typeof first === 'number') return spread(objs as number[]);
  if (first && typeof first === 'object') return Object.fromEntries(Object.keys(first).map((k) => [k, spreadTree(objs.map((o) => o?.[k]))]));
  return first;
}
const fmt = (s: Spread | undefined, digits = 3) => {
  if (!s || !Number.isFinite(s.median)) return '—';
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(digits > 2 && Math.abs(x) < 1 ? 3 : 2));
  return s.runs > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
};

async function main() {
  const machine = { ...machineInfo(), loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100) };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-all-'));
  const storeDir = path.join(scratch, 'store');
  const durations: Record<string, number[]> = { tasks: [], orama: [], keyword: [], ann: [], http: [] };
  let keywordRun: any;
  const taskRuns: any[] = [];
  const oramaRuns: any[] = [];
  let annRun: any;
  let httpRun: any;
  fs.mkdirSync(OUT, { recursive: true });
  try {
    const tasksOnce = async (i: number) => {
      const out = path.join(scratch, `tasks-${i}`);
      const r = await runChild('bench/tasks.ts', ['--n', String(N), '--queries', TASK_Q, '--dir', storeDir, '--out', out]);
      durations.tasks!.push(r.ms);
      taskRuns.push(lastJson(r.stdout));
    };
    const oramaOnce = async (i: number) => {
      const out = path.join(scratch, `orama-${i}`);
      const r = await runChild('bench/hybrid-vs-orama.ts', ['--n', String(N), '--queries', ORAMA_Q, '--dir', storeDir, '--out', out], ['--expose-gc', '--max-old-space-size=6144']);
      durations.orama!.push(r.ms);
      oramaRuns.push(lastJson(r.stdout));
    };
    // 1. ingest + application latency, 2. Orama on the same store, 3. ANN, 4. more repetitions while the budget allows.
    await tasksOnce(0);
    await oramaOnce(0);
    {
      const out = path.join(scratch, 'keyword');
      const r = await runChild('bench/keyword.ts', ['--store', path.join(storeDir, 'store.db'), '--queries', quick ? '100' : '300', '--long', quick ? '10' : '30', '--out', out]);
      durations.keyword!.push(r.ms);
      keywordRun = JSON.parse(fs.readFileSync(path.join(out, 'keyword.json'), 'utf8'));
      for (const f of ['keyword.json', 'keyword.md']) fs.copyFileSync(path.join(out, f), path.join(OUT, f));
    }
    {
      const out = path.join(scratch, 'ann');
      const r = await runChild('bench/ann.ts', ['--cases', ANN_CASES, '--queries', ANN_Q, '--no-extra', '--out', out], ['--expose-gc']);
      durations.ann!.push(r.ms);
      annRun = JSON.parse(fs.readFileSync(path.join(out, 'ann.json'), 'utf8'));
    }
    {
      const out = path.join(scratch, 'http');
      fs.mkdirSync(out);
      const r = await runChild('bench/http.ts', ['--seconds', quick ? '3' : '10', '--concurrency', '16', '--out', path.join(out, 'http.md'), '--json', path.join(out, 'http.json')]);
      durations.http!.push(r.ms);
      httpRun = JSON.parse(fs.readFileSync(path.join(out, 'http.json'), 'utf8'));
      fs.copyFileSync(path.join(out, 'http.md'), path.join(OUT, 'http.md'));
    }
    const fits = (ms: number[]) => Date.now() - started + Math.max(...ms) * 1.2 < BUDGET_MS;
    while (taskRuns.length < REPS || oramaRuns.length < Math.min(REPS, 2)) {
      let ran = false;
      if (taskRuns.length < REPS && fits(durations.tasks!.length > 1 ? durations.tasks!.slice(1) : [durations.tasks![0]! / 3])) {
        await tasksOnce(taskRuns.length);
        ran = true;
      }
      if (oramaRuns.length < Math.min(REPS, 2) && fits(durations.orama!)) {
        await oramaOnce(oramaRuns.length);
        ran = true;
      }
      if (!ran) break;
    }

    // The first tasks run ingested; its report (and the first Orama run's) become docs/benchmarks/tasks.* and orama.*.
    for (const f of ['tasks.json', 'tasks.md']) fs.copyFileSync(path.join(scratch, 'tasks-0', f), path.join(OUT, f));
    for (const f of ['orama.json', 'orama.md']) fs.copyFileSync(path.join(scratch, 'orama-0', f), path.join(OUT, f));

    const report = buildReport(machine, taskRuns, oramaRuns, keywordRun, annRun, httpRun, durations);
    fs.writeFileSync(path.join(OUT, 'performance.json'), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(path.join(OUT, 'performance.md'), markdown(report));
    log(`wrote ${path.join(OUT, 'performance.md')} in ${elapsedMin()} min`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function readJsonIfAny(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function annCaseSummary(c: any) {
  const row = (name: string) => c.results.find((r: { name: string }) => r.name === name);
  const prodsim = row('prodsim');
  const ratio = (peer: string) => {
    const p = row(peer);
    if (!prodsim || !p) return undefined;
    const q = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);
    return { build: q(prodsim.buildSeconds, p.buildSeconds), p50: q(prodsim.p50Ms, p.p50Ms), p99: q(prodsim.p99Ms, p.p99Ms), qps: q(prodsim.qps, p.qps), recall: q(prodsim.recallAt10, p.recallAt10), indexBytes: q(prodsim.indexBytesPerVector, p.indexBytesPerVector), totalBytes: q(prodsim.totalBytesPerVector, p.totalBytesPerVector) };
  };
  return {
    id: c.id,
    n: c.n,
    dimension: c.dimension,
    queries: c.queries,
    commit: c.commit,
    ranAt: c.ranAt,
    results: c.results.filter((r: { name: string }) => !/filter/.test(r.name)),
    interleaved: c.interleaved,
    ratios: { 'prodsim / usearch-direct': ratio('usearch-direct'), 'prodsim / hnswlib-node': ratio('hnswlib-node'), 'prodsim / exact': ratio('exact') },
  };
}

/** The longer runs committed under docs/benchmarks (1M ANN cases, 1M ingest), quoted beside this run. */
function separateRuns() {
  const committedAnn = readJsonIfAny(path.join(root, 'docs', 'benchmarks', 'ann.json'));
  const ingest1m = readJsonIfAny(path.join(root, 'docs', 'benchmarks', 'ingest-1000000.json'));
  return {
    ann: committedAnn ? { source: 'docs/benchmarks/ann.json (npm run bench:ann)', cases: committedAnn.cases.map(annCaseSummary), skipped: committedAnn.skipped } : undefined,
    ingest1m: ingest1m
      ? { source: 'docs/benchmarks/ingest-1000000.json (npm run bench:ingest -- --n 1000000: store pass only, no dense encoders)', date: ingest1m.date, productsPerSecond: ingest1m.ingest.productsPerSecond, stageMs: ingest1m.ingest.stageMs, bytesPerProduct: ingest1m.store.bytesPerProduct, peakRssMiB: ingest1m.peakRssMiB }
      : undefined,
  };
}

function buildReport(machine: any, taskRuns: any[], oramaRuns: any[], keywordRun: any, annRun: any, httpRun: any, durations: Record<string, number[]>) {
  return {
    generatedBy: 'npm run bench (bench/run-all.ts)',
    date: new Date(started).toISOString(),
    durationMin: Math.round(((Date.now() - started) / 60_000) * 10) / 10,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    sizes: { products: N, taskQueries: Number(TASK_Q), oramaQueries: Number(ORAMA_Q), annCases: ANN_CASES, annQueries: Number(ANN_Q) },
    runs: { tasks: taskRuns.length, orama: oramaRuns.length, ann: annRun ? 1 : 0, secondsPerRun: Object.fromEntries(Object.entries(durations).map(([k, v]) => [k, v.map((x) => Math.round(x / 1000))])) },
    tasks: {
      latency: spreadTree(taskRuns.map((r) => r.latency)),
      ratios: spreadTree(taskRuns.map((r) => r.ratios)),
      stages: spreadTree(taskRuns.map((r) => r.stages)),
      memory: taskRuns[0]?.memory,
      /** Writes to the live catalog, per run (bench/tasks.ts `measureUpdates`). */
      updates: taskRuns.map((r) => r.updates).filter((u) => Array.isArray(u)),
      dimension: taskRuns[0]?.dimension,
      encoderId: taskRuns[0]?.encoderId,
    },
    ingest: taskRuns[0]?.ingest,
    orama: {
      latency: spreadTree(oramaRuns.map((r) => r.latency)),
      ratios: spreadTree(oramaRuns.map((r) => r.ratios)),
      top10Agreement: spreadTree(oramaRuns.map((r) => r.top10Agreement)),
      sourceProductInTop10: oramaRuns[0]?.sourceProductInTop10,
      build: oramaRuns[0]?.orama,
      notes: oramaRuns[0]?.notes,
    },
    keyword: keywordRun ? { runs: keywordRun.runs, index: keywordRun.index, fts5: keywordRun.fts5, products: keywordRun.products, updates: keywordRun.updates } : undefined,
    ann: annRun ? { parameters: annRun.parameters, cases: annRun.cases.map(annCaseSummary), skipped: annRun.skipped } : undefined,
    http: httpRun,
    separateRuns: separateRuns(),
    profiling: PROFILING,
  };
}

/** Hot spots found with `node --cpu-prof` on similar and search, and what was done (see the commits). */
const PROFILING = [
  {
    where: 'similar at 1M products: the keyword retriever',
    finding:
      "the rare-token limit of the MoreLikeThis query (tokens in at most 2 % of the catalog) took the catalog size from SQL count(*) on every call, which walks an index of every product: 0.47 ms alone at 1M, more beside the candidate reads (similar's retrieve keyword stage 1.71–1.75 ms mean at 1M against 0.29 at 100k)",
    fix: "the keyword index's own document count, which the document frequencies are counted out of (catalog.keywordDocumentCount; commit dd6a27e)",
    beforeAfter: "retrieve keyword at 1M 1.71–1.75 → 0.16–0.26 ms mean (300 similar calls on the 1M store, old and new code alternating, two runs each); the JSON of 250 similar answers at 100k byte-identical",
  },
  {
    where: 'search: the model-number lookup (typo-tolerant codes)',
    finding:
      'its buckets (code length + first or last two characters) held every code starting with `mx`, so a typo query took up to 6.6 ms at 100k and 6.5 ms at 1M; a Map per code (and a Set per bucket) made it 39 MB of heap at 100k and 348 MB at 1M',
    fix: 'buckets by half the code (first ⌊L/2⌋ or last ⌈L/2⌉ characters, still a pigeonhole for one edit); a code held by one product keeps the id itself, a bucket with one code the code itself (commit 2c36ca6)',
    beforeAfter:
      "typo find 0.455 → 0.053 ms at 100k and 6.50 → 0.41 ms at 1M (2,000 typo codes, the same hits); search's slowest model-number stage at 100k 6.58 → 0.38 ms; heap 39.1 → 20.4 MB at 100k, 348 → 183 MB at 1M",
  },
  {
    where: 'search: the field reranker (rerank fields, the default)',
    finding:
      "the reranker read its 30 candidates by product id, analysed the query a second time, built the explanation JSON of all 30 although k (10) are returned, and the results stage read the returned products again",
    fix: "candidates read by store key (catalog.representHits; a model-number hit, without a key, by id), the query's analysis reused, explanations built for the returned hits only, their products taken from the representations (commit 26a957e)",
    beforeAfter: 'rerank stage 1.99–2.25 → 1.52 ms mean, search rerank fields 4.60 → 3.88 CPU ms a query (scratch, 550 queries at 100k); the JSON of 612 searches byte-identical',
  },
  {
    where: 'writes at 1M: meta lookups beside the text state',
    finding:
      "the text encoder's 10.9 MB state sat in the key's B-tree cell of the WITHOUT ROWID meta table, and looking up textSpace.stateId beside it (every refresh) read it: 2.3–2.9 ms at 1M",
    fix: 'meta is a rowid table, migrated on a writable open (commit 09328a7)',
    beforeAfter: 'textSpace.stateId lookup 2.3–2.9 → 0.004 ms on the 1M store; the migration took 113 ms once',
  },
  {
    where: 'similar: field scoring of ~60 candidates (still 57 % of similar after the fixes below)',
    finding:
      "every candidate pair built its evidence (summaries with rounding, token lists, the tag matching, copies of prices) although only the best k are explained; fusion read every field's evidence to look for identity conflicts; the pair result and its contributions were object literals with getters, which V8 builds ~15× slower than plain objects (~800 vs ~55 ns); memoised pair lookups built and hashed a joined key on every call; model-number codes were split into runs and regex-tested again for every pair; candidates were read by product id (the id index, then the row) and their normalised title and description recomputed, although scoring reads only tokens and facts",
    fix: "evidence built when read (lazyEvidence, a class with a prototype getter), fusion reading only the conflict fields' evidence, memoizePair over nested maps, per-code shapes, bag and edit distance over code-point arrays, exact tag Jaccard without the matching; candidates read by store key (catalog.representHits) with their normalised text computed when read (commits f0f177b, ba031f0, 45faeca)",
    beforeAfter:
      'score fields 2.28 → 1.37 ms mean, represent candidates 0.67 → 0.62 ms mean (run of commit 676c6f4 → run of commit a60bb11); similar p50 3.42 → 2.88 ms, similar / usearch direct ×10.4 → ×7.47 (2.52 ms, ×7.75 in the run of commit 342912b); the same scores on 6,000 candidate pairs of the 100k store and on every pair of the sample catalog, the same CLI output',
  },
  {
    where: 'ingest: fitting the text space and encoding (55 % of ingest)',
    finding:
      "each product's text was segmented five times per refresh (the fit read every product back and tokenised its text in three places; the encode pass read it back again and each part of the combined encoder tokenised it), each token's vector and weight were looked up through several maps on every use, and the common component kept an N × d matrix of rows and summed a full Gram matrix",
    fix: 'the fit tokenises each text once and keeps the tokens compactly (ids into one vocabulary: 12.8 MiB at 100k products) for the encode pass that follows (encodeTokenized); a per-token vector and weight cache in the SIF encoder (capped at 500k, cleared on refit); the Gram matrix accumulated over its upper triangle in blocks, the same sums in the same order (commits e8aa9e4, b537a64, 6e2bd1e, 5b93cae, c8f578e)',
    beforeAfter:
      'fit 22.0 → 8.7 s, encode 18.7 → 6.4 s for 100k products (run of commit 676c6f4 → run of commit a60bb11); ingest 1,478 → 2,038 products/s; the stored vectors are bit-identical to the old path (100,000 of 100,000 compared; test/text-space-equivalence.test.ts)',
  },
  {
    where: 'writes at 1M: the text space state',
    finding:
      "every refresh, so every product write, restored the text encoder's fitted state from the store: 10.9 MB of JSON parsed and the catalog vectors rebuilt, about two thirds of a one-product write at 1M products (a CPU profile of 20 writes: fitTextSpace → restoreTextState 65 %)",
    fix: 'a state id saved with each fit; a refresh parses the state only when the store holds one the encoder does not (a refit by another engine is still picked up; test/text-space-state.test.ts) (commit 48967f2)',
    beforeAfter:
      'one product written end to end at 1M: 110–340 → 10–34 ms (20 writes in a scratch script on a copy of the 1M store); at 100k 36.5 ms (run of commit 342912b) → 9.98 ms in the run of commit a60bb11; in tasks-1000000-rerun.md (same store, bench:tasks) 1 / 100 / 1,000 products added in 327 / 490 / 1,012 → 120 / 120 / 604 ms and one deleted in 333 → 9 ms',
  },
  {
    where: 'writes: the keyword index update',
    finding:
      'merging the changed rows rewrote every posting list: ~0.4–0.6 s plus GC per write at 1M products, most of a 1.3 s one-product write (tasks-1000000-rerun.md of commit 2488671), and 30–100 ms at 100k',
    fix: "a delta segment for the changed rows and tombstones for the main segment's rows they replace; queries read both with a full build's BM25 statistics (N, average length, df); the delta is merged past 2 % of the products and before a save (KEYWORD_MERGE_FRACTION); memory-bm25.ts (1,573 lines) split into one file per part (commits 464ca75, b1512d4, 39b18c5, 95ddc9f)",
    beforeAfter:
      'keyword index update for one new product 413 → 2.4 ms at 1M and 35.6 → 1.0 ms at 100k (old and new code side by side in one process; identical answers on 60 probe queries); in the run of commit a60bb11 ×3,145 faster than a rebuild for one product and ×49.7 for 1,000 (×28–×99 in the run of commit 676c6f4); one product added end to end at 100k 243 ms (run of commit 676c6f4) → 36.5 ms (run of commit 342912b, before the text-state check below); at 1M (bench:tasks on the same store, commit 2488671 → 2c2d234, the latter committed in b21f398) 1 / 100 / 1,000 products added in 1,327 / 919 / 1,622 → 327 / 490 / 1,012 ms, one deleted in 1,962 → 333 ms',
  },
  {
    where: 'writes to a live catalog (engine.upsertProducts, deleteProducts, an ingest of a few products)',
    finding:
      "any product write moved the store's revision, and every index rebuilt from the whole store: the HNSW graph (the ingest's index stage: 15 s at 100k × 200; 553–824 s at 1M), the keyword index (1.7 s at 100k), the model-number lookup (~1.5 s, on the next search); and the refresh read every product back to find what to encode (2–3 s at 100k), image features likewise",
    fix: "a product change log in the store (seq, key, op); the keyword index merges the changed rows (same postings as a full build), the ANN index removes and re-adds the changed keys (saved again once 1 % changed), the model-number lookup and image features take only the changed products, and the refresh checks only products written since the last complete refresh for a current vector (commits 8077864, d5eb59c, 5945a72, 2389b6b, 00acf7b, f67801e)",
    beforeAfter:
      '100 products added to the 100k catalog: refresh ~3 s plus a full HNSW rebuild (26.6 s measured on the same store before the ANN update path) → 118–149 ms end to end in the run of commit 676c6f4; the keyword index alone ×28–×99 faster than its rebuild in that run, with identical answers',
  },
  {
    where: 'similar: field-by-field scoring of ~50 candidates',
    finding:
      'per candidate pair the model-number field ran a full edit-distance matrix for unrelated codes (a300923 vs x198917), brand, category and attribute values were normalised and compared again for every pair although they repeat across the catalog, the source product\'s token set and usable codes were rebuilt for every candidate, and matched tokens were computed for candidates never shown',
    fix: 'a bag-distance bound before the edit distance, pair results of brand, category and attribute values memoised, per-product token sets and codes kept, matched tokens computed when read, the compared fields of a frozen profile listed once (commits d1deb08, and the fusion commit after it)',
    beforeAfter: 'score fields 3.38 ms mean (run of commit 8c18376) → 2.28 ms mean (run of commit 676c6f4); similar p50 4.42 → 3.42 ms, similar / usearch direct ×13.0 → ×10.4',
  },
  {
    where: 'search: typo-tolerant model-number lookup',
    finding: 'each query code was compared with every catalog code of length ±1 (0.70 ms mean at 100k, growing with the catalog)',
    fix: 'codes bucketed by length and first two / last two characters: two codes one edit apart share one of them (commit d1deb08)',
    beforeAfter: "search's model numbers stage 0.70 ms mean (run of commit 8c18376) → 0.003 ms p50, 0.12 ms mean in the run of commit 676c6f4 (the mean holds the lookup's first build)",
  },
  {
    where: 'filtered ANN search (substitutes, category / price / brand filters)',
    finding:
      'the exact scan of the passing keys cost ~1.6 µs per 200-d vector (a Map lookup per key, the filter predicate called again per key, keysMatching testing closures per row), so only filters passing ≤ 2 % used it and the rest over-fetched from the graph with recall < 1 (0.945 at 100k for the substitutes filter, 0.83 at 1M × 384 for 25 %)',
    fix: "a typed key → slot array, tight column loops in keysMatching, the passing rows ranked by usearch's native exact search and rescored exactly (falls back to the JS scan at near ties), and a cost model fitted to side-by-side measurements (bench:ann --filter-policy) choosing exact whenever it is not estimated slower (commits dc4c80d, de24305, 5f7b62a)",
    beforeAfter:
      'substitutes filter at 100k (4.4 % pass): keysMatching 2.7–3.2 → 0.37–0.52 ms, forced exact path 8.9–10.9 → 3.2–3.5 ms; the policy now answers it exactly (recall 1.0 instead of 0.945) for ~1 ms more than over-fetching; synthetic 100k × 384: exact 2.3 ms vs over-fetch 21.2 ms at 5 %, 4.9 vs 13.8 ms at 10 %. At 1M (docs/benchmarks/tasks-1000000.md) the model, fitted at 100k, sent the same filter to an exact scan of scattered rows: 50–190 ms against 2–5 ms for one over-fetch round; above 2M values to scan the graph is now tried first (EXACT_FILTER_MAX_VALUES, commit 07952b4): 1M substitutes filter p50 7.7 → 3.4 ms, 100k unchanged',
  },
  {
    where: 'brand-filtered similar and search',
    finding: 'the ANN filter read each candidate product from SQLite to apply brand aliases (苹果 ≡ Apple), and the keyword retriever over-fetched ×4 and read the hits',
    fix: "a brand column in the keyword index; the filter's brand is resolved once against the index's distinct brands (aliases applied) into a set the columns answer (commits 8077864, d5eb59c)",
    beforeAfter: 'correctness kept (test/tasks-index-updates.test.ts: a filter written Sony keeps 索尼 products); no product read per candidate',
  },
  {
    where: 'search: keyword retrieval (SQLite FTS5)',
    finding: 'keywordSearch was 51 % of the search profile at 100k products: FTS5 decodes and bm25-scores every row of a common token (brand, colour) and its OR over whole titles took 3.5 s at 1M',
    fix: 'an in-memory BM25 index with MaxScore pruning and the same scores as FTS5, persisted beside the ANN index and rebuilt when the store revision moves (src/store/keyword/, commits 8733e6a, b88a8c3)',
    beforeAfter: 'keyword retrieval ×28 (synthetic queries) to ×64 (whole titles) faster at 100k, same top-10 (keyword section); search rerank none p50 27.7 ms (previous suite, commit cc87e04) → 1.78 ms (run of commit 8c18376), rerank fields 22.5 → 4.34 ms',
  },
  {
    where: 'catalog.nearest (the ANN layer under similar and search)',
    finding: 'one SQLite keyToId per returned key, idsToKeys for the excluded source, and exact rescoring of 50 random Float32 rows (~100 µs, memory-bound) made it ×2.41 of usearch direct',
    fix: 'ids from the keyword index (a key-indexed array), exclusion by id after the search, no rescoring for f16 by default (recall@10 0.9995 without it at 100k × 384), no option checks or sort when usearch\'s order stands, the store revision read at most every 250 ms (commits f74b18e, b88a8c3, 8c18376)',
    beforeAfter: 'nearest / usearch direct p50 ×2.41 (previous suite) → ×1.20 (run of commit 8c18376; 100k, interleaved, each operation on a different query)',
  },
  {
    where: 'similar --substitutes and any filtered similar/search',
    finding: 'the ANN filter callback loaded each visited or sampled product from SQLite (getProduct + JSON.parse) to test category, price and stock',
    fix: "the keyword index's per-product columns answer the filter per key; only a brand filter reads the product (commit b88a8c3)",
    beforeAfter: 'similar --substitutes 109 → 17 ms mean, price-filtered similar 32 → 15 ms (100k store, 200 ids, scratch script, same machine state); 10.0 ms p50 in the run of commit 8c18376 (with passingKeys: the exact path scans only the keys the columns pass)',
  },
  {
    where: 'similar: representing ~60–100 candidates',
    finding: 'each candidate was read with its own query and its title and description segmented again with jieba (~75 µs of ~120 µs per candidate); the encoder id getter hashed with SHA-256 on every vector lookup (4 % of similar)',
    fix: 'one getAnalyzedProducts read for all candidates, their analysis rebuilt from the per-field facts the store keeps since ingest, vectors from the ANN index, the id hashed once per encoder state (commits f74b18e, ff8e722)',
    beforeAfter: 'similar p50 13.6 ms (previous suite) → 4.42 ms (run of commit 8c18376), where representing candidates is 0.72 of 5.1 ms mean',
  },
  {
    where: 'catalog.nearest with exclusions only (every similar call excludes its source id)',
    finding:
      'the exclusion was passed to the ANN layer as a filter callback, so each query sampled 256 keys to estimate a pass rate and loaded each sampled product from SQLite (getProduct + JSON.parse): SQLite reads and GC were the top self-time entries of the similar profile',
    fix: 'search k + |excluded| unfiltered and drop the excluded keys (commit 1402179)',
    beforeAfter: 'catalog.nearest p50 22.2 ms → 0.76 ms (×29); nearest / usearch direct p50 ×80 → ×4.2; similar p50 104.7 → 88.4 ms (5k products, 100 interleaved queries)',
  },
  {
    where: 'catalog index refresh (engine.ingest of more than 512 products)',
    finding: "engine.ingest failed with 'This database connection is busy': vectors were written while iterateProducts held the read cursor",
    fix: 'list ids and content hashes first, then read each batch by id (commit 924e5ad)',
    beforeAfter: 'correctness fix (no timing before: it failed)',
  },
  {
    where: 'model-number lookup in search (typo-tolerant codes)',
    finding: 'editDistance (a full matrix) against every catalog code of similar length was a top self-time entry of the search profile, and the scan grows with the catalog',
    fix: 'a linear one-edit check (withinOneEdit) (commit 59496be); and the query is encoded once instead of twice with rerank fields (commit 448c1ab)',
    beforeAfter: 'search rerank none mean 11.7 → 7.8 ms (×0.66), p99 48.0 → 24.3 ms; rerank fields p50 17.0 → 14.5 ms (×0.85) (5k products, 200 interleaved queries)',
  },
  {
    where: 'similar: explanations of every candidate',
    finding: 'explanationToJSON ran for all ~100 scored candidates while only k are returned',
    fix: 'score all candidates, build result items (summary + explanation) for the best k only (commit 1f83ca1)',
    beforeAfter: 'similar p50 15.9 → 13.1–14.2 ms (×0.82–0.89) (5k products, 150 queries, consecutive runs at low load)',
  },
];

/**
 * The 1.2× target for whole applications, with this run's figures: the ANN layer meets it, the
 * applications do more than one ANN call.
 */
function applicationTargetNote(r: any): string {
  // Medians of the runs (the tables above give min–max).
  const median = (s: Spread | undefined) => (s && Number.isFinite(s.median) ? s.median.toFixed(2) : '—');
  const ratio = (k: string) => median(r.tasks.ratios?.[k]?.p50);
  const stage = (task: string, name: string) => median(r.tasks.stages?.[task]?.[name]?.meanMs);
  return (
    `similar and search as whole applications are not within 1.2× of one ANN call (similar ×${ratio('similar / usearch direct')}, search ×${ratio('search rerank none / usearch direct')} in this run), and cannot be while they do more than one ANN call: ` +
    `similar reads and parses ~60 candidate products (${stage('similar', 'represent candidates')} ms mean), runs a second retriever (BM25) beside the ANN call (both ${stage('similar', 'retrieve dense and keyword')} ms), scores every candidate field by field (${stage('similar', 'score fields')} ms) and explains the best k (${stage('similar', 'explain')} ms); ` +
    `search adds BM25 (${stage('search rerank none', 'retrieve keyword')} ms) and the model-number lookup to the dense retrieval. The ANN layer under them is at ×${ratio('prodsim nearest / usearch direct')} (item vectors) and ×${ratio('prodsim nearest / usearch direct, query vector')} (query vectors) of usearch called directly. ` +
    'Meeting 1.2× for the applications needs a decision on what to compare them with (an application built on usearch that fuses the same fields), not more speed-up.'
  );
}

const LEFT_OPEN = [
  'Keyword index: the delta is merged into the main segment past 2 % of the products and before a save, 0.9 s at 1M (1.19 s before the counting-sort merge), paid by the write that crosses the threshold; mergeMemoryKeywordIndex merges on demand, but the catalog index does not yet merge when idle. Filtered and whole-title keyword queries at 1M are unchanged by the MaxScore ceiling (7–8 ms p50 in bench:keyword at 1M).',
  "Block-Max MaxScore (pruning: 'blockmax') is exact but skips almost no 64-posting window on these catalogs (keys follow ingestion order, so each block of a common term holds a near-best row; on a catalog re-ordered by category and brand it only ties MaxScore): MaxScore with the exact score ceiling stays the default.",
  'The store still maintains SQLite FTS5 beside the in-memory index (kept for store.keywordSearch): its writes are part of the ingest\'s store stage, and it takes 154 B/product.',
  "Model numbers: the lookup is built in memory on the first search with a code, in every process: 0.7 s at 100k, ~11 s at 1M (6.8 s of json_extract over every product, 4.4 s of build), and 20 MB / 183 MB of heap. Keeping codes and bucket keys in store tables instead (no build, typo lookup 0.03–0.1 ms) was measured and reverted: the random B-tree inserts cost ~43 µs per product written at 100k and 0.3–0.5 ms at 1M (1,000 products written in 352–593 ms instead of 52–82), ingest 2,038 → 1,752 products/s.",
  "similar's p99 is about three times its p50: each call allocates ~1 MB (candidates parsed from JSON, their tags, attributes and codes normalised per call) and young-generation GCs of 3–10 ms land on some calls. Keeping candidates out of the 5,000-entry representation cache halved GC time on calls that never repeat a product (0.90–1.52 → 0.61–0.80 s over 1,500 calls) but doubled represent candidates in the suite (0.62 → 1.34 ms mean), where calls for the same product share candidates, and was reverted (commit 30cf2b7); normalised features stored with each product would cut the allocation itself.",
  'The substitutes filter (4.4 % of the catalog) is answered by the exact scan: recall 1.0, but ~1 ms slower than over-fetching at 100k (gathering the scattered rows is most of it); OVERFETCH_EXPECTED_GROWTH = 1.1 would move the crossover to ~4 % on this catalog.',
  "Ingest: the index stage is the bottleneck (the HNSW build, then the keyword index build); the store's upsert serialises each product's JSON a second time (once for the content hash); a refit segments each text once more rather than reusing the per-field analysis (joining fields can change what reads as a quantity).",
];

/** Writes to a live catalog: end to end through the engine (tasks runs), and the keyword index's update against a rebuild. */
function writesMarkdown(r: any): string[] {
  const L: string[] = ['## Writes to a live catalog (products added to and deleted from the 100k catalog)', ''];
  const runs: any[][] = r.tasks.updates ?? [];
  if (runs.length > 0) {
    const cell = (xs: number[]) => fmt(spread(xs));
    L.push(
      `New products analysed, stored, encoded and indexed, as \`engine.upsertProducts\` does, then deleted again (\`engine.deleteProducts\` + refresh); ${runs.length} run(s), \`median (min–max)\`. The ANN and keyword indexes follow the store's change log; before, any write rebuilt both from the whole store (the ANN rebuild is the ingest's \`index\` stage above) and the refresh read every product back.`,
      '',
      '| products | add, end to end ms | delete ms | ANN index (first run) | keyword index (first run) |',
      '| ---: | ---: | ---: | --- | --- |',
    );
    for (const [i, u] of runs[0]!.entries()) {
      const of = (key: string) => runs.map((run: any[]) => run[i]?.[key]).filter((x: unknown): x is number => typeof x === 'number');
      L.push(`| ${u.products.toLocaleString('en-US')} | ${cell(of('addMs'))} | ${cell(of('deleteMs'))} | ${u.annIndex} | ${u.keywordIndex} |`);
    }
    L.push('');
  }
  const kw: any[] = r.keyword?.updates ?? [];
  if (kw.length > 0) {
    L.push('Keyword index alone (bench/keyword.ts on a copy of the same store): incremental update from the change log against a full rebuild, in the same run; the updated index answers as the rebuilt one.', '');
    L.push('| write | store write ms | incremental update ms | full rebuild ms | rebuild / update | queries identical to the rebuilt index |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const u of kw) {
      const one = (x: number) => fmt(spread([x]));
      L.push(`| ${u.ingested.toLocaleString('en-US')} ${u.kind === 'new' ? 'new' : 'changed'} product(s) | ${one(u.storeWriteMs)} | ${one(u.incrementalMs)} | ${one(u.fullRebuildMs)} | ×${one(u.fullRebuildMs / u.incrementalMs)} | ${u.identicalQueries} / 30 |`);
    }
    L.push('');
  }
  return L;
}

function markdown(r: any): string {
  const L: string[] = [];
  const m = r.machine;
  L.push('# Performance suite', '');
  L.push(`Generated by \`npm run bench\` (bench/run-all.ts) in ${r.durationMin} min; do not edit by hand — rerun it. Raw figures: \`performance.json\`; per-benchmark reports of the same run: \`tasks.md\`, \`orama.md\`, \`keyword.md\`.`, '');
  if (r.renderedAgain) L.push(`The prose sections (profiling, left open) and the quoted separate runs (docs/benchmarks/ann.json, the 1M ingest) were rendered again from \`performance.json\` and those files by \`npm run bench -- --render-only\` at commit \`${r.renderedAgain.commit}\` on ${r.renderedAgain.date}; every figure of this run is from the run above.`, '');
  L.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Commit \`${m.commit}\`, run ${r.date}. Load average ${m.loadAverageAtStart.join(' / ')} at the start, ${m.loadAverageAtEnd.join(' / ')} at the end: **the 2 cores were shared with other engineers' jobs**, so absolute times are noisy; ratios of systems timed side by side (interleaved query by query, same data, same queries) are the figures to read.`, '');
  L.push(`Sizes in this run: ${r.sizes.products.toLocaleString('en-US')} synthetic bilingual products (bench/synthetic-catalog.ts) for ingest, similar/search and the Orama comparison (${r.sizes.taskQueries} / ${r.sizes.oramaQueries} timed queries per run); ANN cases ${r.sizes.annCases} (${r.sizes.annQueries} queries) — the 1M ANN rows (and earlier 100k rows) come from the separate longer \`npm run bench:ann\` runs (below). Runs: tasks ×${r.runs.tasks} (the first one ingests, the others reuse the store), Orama ×${r.runs.orama}, ANN ×${r.runs.ann}; seconds per run ${JSON.stringify(r.runs.secondsPerRun)}. Cells with several runs read \`median (min–max)\`.`, '');

  // ---- headline ----
  const tr = r.tasks.ratios;
  L.push('## Headline ratios', '');
  L.push('| ratio (p50) | value | target |', '| --- | ---: | --- |');
  L.push(`| prodsim ANN layer (catalog.nearest) / usearch direct, same index file, similar's item vectors | ×${fmt(tr['prodsim nearest / usearch direct']?.p50)} | ≤ 1.2 |`);
  L.push(`| prodsim ANN layer (catalog.nearest) / usearch direct + ids (the same job by hand: ids of the keys, source left out) | ×${fmt(tr['prodsim nearest / usearch direct + ids']?.p50)} | ≤ 1.2 |`);
  L.push(`| prodsim ANN layer (catalog.nearest) / usearch direct, search's query vectors | ×${fmt(tr['prodsim nearest / usearch direct, query vector']?.p50)} | ≤ 1.2 |`);
  L.push(`| similar (whole task) / usearch direct | ×${fmt(tr['similar / usearch direct']?.p50)} | ≤ 1.2 |`);
  L.push(`| similar --substitutes (whole task, filtered) / usearch direct | ×${fmt(tr['similar substitutes / usearch direct']?.p50)} | — |`);
  L.push(`| search rerank none / usearch direct | ×${fmt(tr['search rerank none / usearch direct']?.p50)} | ≤ 1.2 |`);
  L.push(`| search rerank fields / search rerank none | ×${fmt(tr['search rerank fields / search rerank none']?.p50)} | — |`);
  for (const run of r.keyword?.runs ?? []) L.push(`| keyword retrieval, ${run.name}: SQLite FTS5 (store) / in-memory BM25 (prodsim), ${run.queries} queries | ×${run.ratioP50} | — |`);
  const or = r.orama.ratios;
  L.push(`| prodsim search (rerank none) / Orama hybrid | ×${fmt(or['prodsim rerank none / Orama']?.p50)} | — |`);
  L.push(`| prodsim search (rerank fields) / Orama hybrid | ×${fmt(or['prodsim rerank fields / Orama']?.p50)} | — |`);
  for (const c of r.ann?.cases ?? []) {
    L.push(`| ANN ${c.id}: prodsim / usearch-direct (this run, separate loops) | ×${c.ratios['prodsim / usearch-direct']?.p50 ?? '—'} | ≤ 1.2 |`);
    if (c.interleaved?.ratioP50 !== undefined) L.push(`| ANN ${c.id}: prodsim / usearch-direct (this run, interleaved query by query) | ×${c.interleaved.ratioP50.toFixed(3)} (mean ×${c.interleaved.ratioMean?.toFixed(3) ?? '—'}) | ≤ 1.2 |`);
  }
  for (const c of r.separateRuns.ann?.cases ?? []) {
    const interleaved = c.interleaved?.ratioP50 !== undefined ? `; interleaved query by query ×${c.interleaved.ratioP50.toFixed(3)}` : '';
    L.push(`| ANN ${c.id}: prodsim / usearch-direct (separate run, commit \`${c.commit}\`; separate loops${interleaved}) | ×${c.ratios['prodsim / usearch-direct']?.p50 ?? '—'} | ≤ 1.2 |`);
  }
  L.push('');

  // ---- tasks ----
  L.push(`## Similar items and search (${r.sizes.products.toLocaleString('en-US')} products, vectors ${r.tasks.dimension} d)`, '');
  L.push('| operation | p50 ms | p99 ms | QPS (1 thread) |', '| --- | ---: | ---: | ---: |');
  for (const [k, v] of Object.entries<any>(r.tasks.latency)) L.push(`| ${k} | ${fmt(v.p50Ms)} | ${fmt(v.p99Ms)} | ${fmt(v.qps)} |`);
  L.push('', '| ratio | p50 | p99 |', '| --- | ---: | ---: |');
  for (const [k, v] of Object.entries<any>(r.tasks.ratios)) L.push(`| ${k} | ×${fmt(v.p50)} | ×${fmt(v.p99)} |`);
  L.push('', 'usearch direct = the index file prodsim wrote, loaded with `usearch` and searched for the 50 candidates `similar` and `search` ask the ANN layer for. `catalog.nearest` adds the exclusion of the source product and the mapping of keys to product ids (f16 is not rescored by default). `similar` and `search` are whole applications (a second retriever, in-memory BM25, field-wise scoring of every candidate with explanations, RRF), so their ratio to one ANN call is not expected near 1; the stage table below shows where their time goes.', '');
  L.push('### Where the time goes (mean ms per stage, as the applications report it with `timings: true`)', '');
  for (const [task, byStage] of Object.entries<any>(r.tasks.stages ?? {})) {
    const means = Object.entries<any>(byStage).map(([stage, v]) => [stage, v.meanMs?.median ?? NaN] as const);
    const total = means.reduce((a, [, ms]) => a + (Number.isFinite(ms) ? ms : 0), 0);
    L.push(`**${task}** (mean total ${total.toFixed(2)} ms): ${means.map(([stage, ms]) => `${stage} ${ms.toFixed(2)} (${Math.round((100 * ms) / total)} %)`).join(' · ')}`, '');
  }

  // ---- keyword ----
  const kw = r.keyword;
  if (kw) {
    L.push(`## Keyword retrieval: in-memory BM25 (MaxScore) vs SQLite FTS5 (${kw.products.toLocaleString('en-US')} products, same store, k = 50)`, '');
    L.push('| queries | n | store (FTS5, AND-first heuristics) p50 / p99 | FTS5 exact OR p50 / p99 | prodsim in-memory p50 / p99 | FTS5 store / in-memory (p50) | top-10 agreement with FTS5 OR |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const run of kw.runs) {
      const ms = run.ms;
      const pair = (x: any) => (x ? `${x.p50} / ${x.p99}` : '—');
      L.push(`| ${run.name} | ${run.queries} | ${pair(ms.store)} | ${pair(ms.ftsExactOr)} | ${pair(ms.memoryMaxScore)} | ×${run.ratioP50} | ${run.top10AgreementWithFtsExactOr ?? '—'} |`);
    }
    L.push('', `Index: built in ${kw.index.buildMs} ms, loaded in ${kw.index.loadMs} ms; ${kw.index.memoryBytesPerProduct} B/product in memory, ${kw.index.fileBytesPerProduct} B/product on disk (FTS5's shadow tables: ${kw.fts5.shadowTableBytesPerProduct} B/product). Scores equal FTS5's bm25 with the same column weights (details: keyword.md of this run).`, '');
  }

  // ---- Orama ----
  L.push(`## Hybrid search: prodsim vs Orama (${r.sizes.products.toLocaleString('en-US')} products, same queries and vectors)`, '');
  L.push('| system | p50 ms | p99 ms | QPS (1 thread) |', '| --- | ---: | ---: | ---: |');
  for (const [k, v] of Object.entries<any>(r.orama.latency)) L.push(`| ${k} | ${fmt(v.p50Ms)} | ${fmt(v.p99Ms)} | ${fmt(v.qps)} |`);
  L.push('', '| ratio | p50 | p99 | QPS |', '| --- | ---: | ---: | ---: |');
  for (const [k, v] of Object.entries<any>(r.orama.ratios)) L.push(`| ${k} | ×${fmt(v.p50)} | ×${fmt(v.p99)} | ×${fmt(v.qps)} |`);
  L.push('', '| top-10 agreement (mean overlap) | value |', '| --- | ---: |');
  for (const [k, v] of Object.entries<any>(r.orama.top10Agreement)) L.push(`| ${k} | ${fmt(v)} |`);
  const b = r.orama.build;
  if (b) L.push('', `Orama ${b.version}: insert ${(b.insertMs / 1000).toFixed(1)} s, heap +${b.heapMiB} MiB (${b.heapBytesPerProduct.toLocaleString('en-US')} bytes/product), vector similarity threshold ${b.similarity}, ${b.emptyResults} queries without results. Source product in the top 10 (first run): ${JSON.stringify(r.orama.sourceProductInTop10)}.`);
  L.push('', r.orama.notes ?? '', '');

  // ---- ANN ----
  const annTable = (c: any, label: string) => {
    L.push(`### ${c.n.toLocaleString('en-US')} vectors × ${c.dimension} d — ${label}`, '');
    L.push(`${c.queries} queries, commit \`${c.commit}\`, run ${c.ranAt}.`, '');
    L.push('| contender | config | build s | p50 ms | p99 ms | QPS | recall@10 | index B/vector | total B/vector |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const x of c.results) L.push(`| ${x.name} | ${x.config} | ${x.buildSeconds ? x.buildSeconds.toFixed(1) : '—'} | ${x.p50Ms.toFixed(3)} | ${x.p99Ms.toFixed(3)} | ${Math.round(x.qps)} | ${x.recallAt10.toFixed(4)} | ${Math.round(x.indexBytesPerVector)} | ${Math.round(x.totalBytesPerVector)} |`);
    L.push('', '| ratio | build | p50 | p99 | QPS | recall | index bytes | total bytes |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [k, v] of Object.entries<any>(c.ratios)) if (v) L.push(`| ${k} | ×${v.build ?? '—'} | ×${v.p50 ?? '—'} | ×${v.p99 ?? '—'} | ×${v.qps ?? '—'} | ×${v.recall ?? '—'} | ×${v.indexBytes ?? '—'} | ×${v.totalBytes ?? '—'} |`);
    if (c.interleaved) L.push('', `Interleaved prodsim / usearch-direct timing: ${JSON.stringify(c.interleaved)}`);
    L.push('');
  };
  L.push('## ANN: prodsim index vs usearch direct vs hnswlib-node vs exact', '');
  L.push('Clustered unit vectors, cosine, k = 10, M 16, efConstruction 128, ef 64, one query at a time (bench/ann.ts). Memory per vector = bytes on disk / n (prodsim total adds its Float32 sidecar for rescoring and exact filtered search).', '');
  for (const c of r.ann?.cases ?? []) annTable(c, 'this run');
  for (const c of r.separateRuns.ann?.cases ?? []) annTable(c, `separate longer run, ${r.separateRuns.ann.source}`);
  for (const s of [...(r.ann?.skipped ?? []), ...(r.separateRuns.ann?.skipped ?? [])]) L.push(`- not run: ${typeof s === 'string' ? s : JSON.stringify(s)}`);
  L.push('');

  // ---- ingest ----
  const ing = r.ingest;
  L.push('## Ingest (end to end through `engine.ingest`, default offline encoders)', '');
  if (ing) {
    L.push(`${ing.n.toLocaleString('en-US')} products: **${ing.productsPerSecond.toLocaleString('en-US')} products/s** wall clock (${(ing.totalMs / 1000).toFixed(1)} s), ${ing.productsPerCpuSecond.toLocaleString('en-US')} products per CPU second. **Bottleneck: ${ing.bottleneck}** (${Math.round(ing.stageShare[ing.bottleneck] * 100)} % of the time).`, '');
    L.push('| stage | ms | share | products/s of the stage alone |', '| --- | ---: | ---: | ---: |');
    for (const k of Object.keys(ing.stageMs)) L.push(`| ${k} | ${ing.stageMs[k].toLocaleString('en-US')} | ${Math.round(ing.stageShare[k] * 1000) / 10} % | ${ing.stageProductsPerSecond[k].toLocaleString('en-US')} |`);
    L.push('', `Disk: ${ing.disk.bytesPerProduct.toLocaleString('en-US')} bytes/product (SQLite store ${ing.disk.storeBytesPerProduct.toLocaleString('en-US')}, ANN index + Float32 sidecar ${ing.disk.indexBytesPerProduct.toLocaleString('en-US')}). Memory: RSS ${ing.rssMiBAfterIngest} MiB after ingest, ${r.tasks.memory?.rssMiB} MiB after the queries (${r.tasks.memory?.rssBytesPerProduct?.toLocaleString('en-US')} bytes/product for the whole process, including the GloVe/CEDICT tables).`, '', ing.notes, '');
  }
  const i1 = r.separateRuns.ingest1m;
  if (i1) L.push(`Separate longer run (${i1.source}, ${i1.date}): ${i1.productsPerSecond.toLocaleString('en-US')} products/s, stage ms ${JSON.stringify(i1.stageMs)}, ${i1.bytesPerProduct.toLocaleString('en-US')} bytes/product, peak RSS ${i1.peakRssMiB} MiB.`, '');

  // ---- writes ----
  L.push(...writesMarkdown(r));

  // ---- HTTP ----
  if (r.http) {
    L.push(`## HTTP server (sample catalog, ${r.http.products} products, ${r.http.concurrency} requests in flight, ${r.http.seconds} s per endpoint)`, '');
    L.push('| endpoint | workers | requests/s | p50 ms | p99 ms | errors | engine alone, ms/call |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const e of r.http.endpoints) L.push(`| ${e.name} | ${e.workers ?? 1} | ${e.requestsPerSecond.toFixed(1)} | ${e.p50.toFixed(1)} | ${e.p99.toFixed(1)} | ${e.errors} | ${e.engineAloneMsPerCall?.toFixed(2) ?? '—'} |`);
    L.push('', 'workers 1: the server thread runs the engine; N: a pool of N threads does (`serve --workers`). The client runs in its own thread. Details: http.md of this run.', '');
  }

  // ---- profiling ----
  L.push('## Profiling (node --cpu-prof on similar and search)', '');
  for (const p of r.profiling) L.push(`- **${p.where}** — ${p.finding}. Fix: ${p.fix}. Before/after: ${p.beforeAfter}.`);
  L.push('', '## Left open', '');
  for (const x of [applicationTargetNote(r), ...LEFT_OPEN]) L.push(`- ${x}`);
  L.push('');
  return L.join('\n');
}

if (args['render-only']) {
  const file = path.join(OUT, 'performance.json');
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  report.profiling = PROFILING;
  report.separateRuns = separateRuns();
  report.renderedAgain = { commit: machineInfo().commit, date: new Date().toISOString() };
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(OUT, 'performance.md'), markdown(report));
  log(`rendered ${path.join(OUT, 'performance.md')} again from ${file}`);
} else await main();
