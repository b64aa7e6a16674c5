/**
 * Ingest benchmark (`npm run bench:ingest -- --n 1000000`): generates a synthetic bilingual catalog
 * as JSONL in a temp folder, ingests it into a fresh store (no dense encoders), and reports
 * products/s overall and per stage, store size per product, peak RSS, the time of a second,
 * unchanged ingest of the same file, and keyword-search latency on the result.
 * Writes docs/benchmarks/ingest-<n>.json (and ingest.json, the latest run) and regenerates
 * docs/benchmarks/ingest.md from every ingest-<n>.json there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createProductStore, type ProductStore } from '../src/store/index.ts';
import { ingestCatalog, type IngestSummary } from '../src/tasks/ingest.ts';
import type { TextAnalyzer } from '../src/text/analyzer.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { syntheticProduct, writeCatalog } from './synthetic-catalog.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    'batch-size': { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks') },
    queries: { type: 'string', default: '100' },
    /** Only measure keyword search on an existing store (e.g. one kept with --keep). */
    'search-store': { type: 'string' },
    /** Only rebuild ingest.md from the ingest-<n>.json files in --out. */
    'markdown-only': { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const BATCH = Number(args['batch-size']);

const perSecond = (count: number, ms: number) => (ms > 0 ? Math.round((count / ms) * 1000) : 0);
const round2 = (x: number) => Math.round(x * 100) / 100;
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Keyword-search latency with queries made from stored products' titles: short (first 2 tokens) and whole titles. */
async function measureKeywordSearch(store: ProductStore, analyzer: TextAnalyzer, n: number, queries: number) {
  const out: Record<string, { p50Ms: number; p95Ms: number; selfFoundAt10?: number }> = {};
  for (const kind of ['short', 'title'] as const) {
    const latencies: number[] = [];
    let hits = 0;
    for (let q = 0; q < queries; q++) {
      const p = syntheticProduct((q * 7919 + 13) % n);
      const all = analyzer.tokenize(p.title);
      const tokens = kind === 'short' ? all.slice(0, 2) : all;
      const s = performance.now();
      const res = await store.keywordSearch(tokens, { k: 10 });
      latencies.push(performance.now() - s);
      if (res.some((h) => h.id === p.id)) hits++;
    }
    out[kind] = {
      p50Ms: round2(percentile(latencies, 50)),
      p95Ms: round2(percentile(latencies, 95)),
      ...(kind === 'title' ? { selfFoundAt10: round2(hits / queries) } : {}),
    };
  }
  return out;
}

function writeMarkdown(outDir: string) {
  const runs = fs
    .readdirSync(outDir)
    .filter((f) => /^ingest-\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8')) as Record<string, any>)
    .sort((a, b) => a.n - b.n);
  const cell = (r: Record<string, any>, f: (r: Record<string, any>) => string) => {
    try {
      return f(r);
    } catch {
      return '—';
    }
  };
  const rows: [string, (r: Record<string, any>) => string][] = [
    ['date', (r) => String(r.date).slice(0, 16).replace('T', ' ')],
    ['load average during the run (1 / 5 / 15 min, at the end)', (r) => r.machine.loadAverageAtEnd.join(' / ')],
    ['catalog', (r) => `${(r.catalogBytes / 1e6).toFixed(0)} MB JSONL`],
    ['ingest, wall clock', (r) => `${r.ingest.productsPerSecond.toLocaleString('en-US')} products/s (${(r.ingest.durationMs / 1000).toFixed(1)} s)`],
    ['ingest, per CPU second of the process', (r) => `${r.ingest.productsPerCpuSecond.toLocaleString('en-US')} products/s`],
    ['stage time: parse / analyse / store', (r) => ['parse', 'analyse', 'store'].map((k) => `${(r.ingest.stageMs[k] / 1000).toFixed(1)} s`).join(' / ')],
    ['stage alone: parse / analyse / store (products/s)', (r) => ['parse', 'analyse', 'store'].map((k) => r.ingest.stageProductsPerSecond[k].toLocaleString('en-US')).join(' / ')],
    ['re-ingest of the unchanged file', (r) => `${r.reingestUnchanged.productsPerSecond.toLocaleString('en-US')} products/s, ${r.reingestUnchanged.written} written`],
    ['store size', (r) => `${(r.store.sizeBytes / 2 ** 20).toFixed(0)} MiB, ${r.store.bytesPerProduct.toLocaleString('en-US')} bytes/product`],
    ['peak RSS', (r) => `${r.peakRssMiB} MiB`],
    ['keyword search, 2-token queries (k=10)', (r) => `p50 ${r.keywordSearch.short.p50Ms} ms, p95 ${r.keywordSearch.short.p95Ms} ms`],
    ['keyword search, whole-title queries (k=10)', (r) => `p50 ${r.keywordSearch.title.p50Ms} ms, p95 ${r.keywordSearch.title.p95Ms} ms, self in top 10: ${(r.keywordSearch.title.selfFoundAt10 * 100).toFixed(0)}%`],
    ['notes', (r) => r.notes ?? ''],
  ];
  const md = `# Ingest benchmark

\`npm run bench:ingest -- --n <N>\` (default N = 1,000,000): generates a synthetic bilingual catalog (70% Chinese,
30% English; title, description, tags, brand, category path, price, attributes; a small vocabulary, so most
words are common, which is the hard case for OR keyword queries) as JSONL, ingests it into a fresh store
(streamed read and validation, analysis of six text fields, one SQLite transaction per 1,000 products
with products, analysed text and the FTS5 keyword index; no dense encoders), ingests the unchanged file a
second time, then times keyword searches.

Machine: 2 cores, 24 GB, Node ${runs[0]?.machine?.node ?? ''}. **The machine was shared with other
engineers' jobs during these runs (load average 13–20 on 2 cores)**, so wall-clock rates are several
times lower than on an idle machine; the per-CPU-second rate is the better guide where it is given.

| figure | ${runs.map((r) => `N = ${r.n.toLocaleString('en-US')}`).join(' | ')} |
| --- | ${runs.map(() => '---').join(' | ')} |
${rows.map(([name, f]) => `| ${name} | ${runs.map((r) => cell(r, f)).join(' | ')} |`).join('\n')}

Reading the figures:
- Analysis (six fields through jieba and the quantity / model-number / size rules) is the largest stage,
  then the SQLite writes (products, analysed text, FTS5 postings); parsing and validation is the smallest.
  Everything runs on one thread, so an idle core gives roughly the per-CPU-second rate (1M in ~3–4 min).
- Re-ingesting an unchanged catalog writes nothing and skips analysis: it costs parsing and hashing only.
- Keyword search: short queries stay fast; whole-title queries over a million products with this tiny
  vocabulary fall through to an OR over many common tokens and take seconds. Title-length queries
  ("more like this") should go to the ANN index, with keyword search for short user queries.

Raw figures: \`docs/benchmarks/ingest-<N>.json\` (\`ingest.json\` is the latest run).
`;
  fs.writeFileSync(path.join(outDir, 'ingest.md'), md);
}

async function main() {
  if (args['markdown-only']) {
    writeMarkdown(args.out);
    return;
  }
  if (args['search-store']) {
    const store = createProductStore({ path: args['search-store'], readonly: true });
    const n = await store.count();
    console.log(JSON.stringify({ n, keywordSearch: await measureKeywordSearch(store, createTextAnalyzer(), n, Number(args.queries)) }, null, 2));
    await store.close();
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-ingest-'));
  const catalog = path.join(dir, 'catalog.jsonl');
  const storePath = path.join(dir, 'store.db');
  try {
    let t = performance.now();
    const catalogBytes = await writeCatalog(catalog, N);
    const generateMs = performance.now() - t;
    console.error(`generated ${N.toLocaleString()} products (${(catalogBytes / 1e6).toFixed(0)} MB) in ${(generateMs / 1000).toFixed(1)} s`);

    const analyzer = createTextAnalyzer();
    const store = createProductStore({ path: storePath });
    let lastReport = 0;
    const cpuBefore = cpuMs();
    const first: IngestSummary = await ingestCatalog({
      store,
      analyzer,
      source: catalog,
      batchSize: BATCH,
      onProgress: (p) => {
        if (p.elapsedMs - lastReport > 10_000) {
          lastReport = p.elapsedMs;
          console.error(`  ${p.read.toLocaleString()} read, ${perSecond(p.read, p.elapsedMs).toLocaleString()}/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
        }
      },
    });
    const ingestCpuMs = cpuMs() - cpuBefore;
    const afterFirst = await store.stats();
    console.error(`ingested in ${(first.durationMs / 1000).toFixed(1)} s: ${first.productsPerSecond.toLocaleString()} products/s`);

    t = performance.now();
    const second = await ingestCatalog({ store, analyzer, source: catalog, batchSize: BATCH });
    const secondMs = performance.now() - t;
    console.error(`re-ingest (unchanged) in ${(secondMs / 1000).toFixed(1)} s`);

    const keywordSearch = await measureKeywordSearch(store, analyzer, N, Number(args.queries));
    await store.close();

    const stageMs = first.stageMs;
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        loadAverageAtEnd: os.loadavg().map(round2),
      },
      n: N,
      batchSize: BATCH,
      catalogBytes,
      generateMs: Math.round(generateMs),
      ingest: {
        durationMs: first.durationMs,
        productsPerSecond: first.productsPerSecond,
        cpuMs: Math.round(ingestCpuMs),
        productsPerCpuSecond: perSecond(first.read, ingestCpuMs),
        added: first.added,
        skipped: first.skippedCount,
        stageMs,
        /** Products/s each stage alone would sustain (its own wall-clock time only). */
        stageProductsPerSecond: {
          parse: perSecond(first.read, stageMs.parse),
          analyse: perSecond(first.read, stageMs.analyse),
          store: perSecond(first.read, stageMs.store),
        },
      },
      reingestUnchanged: { durationMs: Math.round(secondMs), productsPerSecond: perSecond(second.read, secondMs), unchanged: second.unchanged, written: second.added + second.updated },
      store: { sizeBytes: afterFirst.sizeBytes, bytesPerProduct: afterFirst.bytesPerProduct, products: afterFirst.products },
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      keywordSearch,
    };
    fs.mkdirSync(args.out, { recursive: true });
    fs.writeFileSync(path.join(args.out, `ingest-${N}.json`), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(path.join(args.out, 'ingest.json'), JSON.stringify(report, null, 2) + '\n');
    writeMarkdown(args.out);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    if (args.keep) console.error(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
