/**
 * Hybrid search, prodsim vs Orama (`npm run bench:orama -- --n 100000`): the same synthetic catalog
 * (bench/synthetic-catalog.ts, ingested through the engine — or reused from `--dir`, see bench/tasks.ts),
 * the same queries, the same text vectors.
 *
 * Orama gets: `title` and `text` (brand, category, tags, description) **pre-segmented by prodsim's
 * analyser** (jieba for Chinese) and a whitespace tokenizer — Orama's default tokenizer drops Chinese
 * characters — and `embedding`, prodsim's own stored text vector of the product. Its hybrid mode is BM25 +
 * brute-force vector search merged by min-max normalised weights. Each Orama query is timed including
 * segmenting the query and encoding it with prodsim's encoder (what prodsim's `search` does inside).
 *
 * Reports p50/p99 and QPS of both, interleaved query by query, Orama's build time and heap, and the
 * agreement of the top 10 (mean overlap), plus how often the product a query was made from is in the top 10.
 * Writes docs/benchmarks/orama.json and orama.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { create, insertMultiple, search, type Tokenizer } from '@orama/orama';
import { emitReport, latencyStats, machineInfo, nowMs, prepareEngine, round3 } from './tasks.ts';
import { syntheticQueries } from './synthetic-catalog.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '30' },
    dir: { type: 'string' },
    /** Orama's minimum vector similarity in hybrid mode (its default is 0.8). */
    similarity: { type: 'string', default: '0.5' },
    out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks') },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const Q = Number(args.queries);
const W = Number(args.warmup);
const SIMILARITY = Number(args.similarity);

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function main() {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-orama-'));
  const started = new Date().toISOString();
  const machine = machineInfo();
  try {
    const { engine } = await prepareEngine(dir, N);
    const analyzer = engine.catalog.analyzer;
    const encoderId = engine.catalog.textEncoder.id;
    const dim = engine.catalog.textEncoder.dimension;
    const seg = (s: string | undefined) => (s ? analyzer.tokenize(s).join(' ') : '');

    // ---- Orama: build ----
    const tokenizer: Tokenizer = {
      language: 'english',
      normalizationCache: new Map(),
      tokenize: (raw: string) => raw.toLowerCase().split(/\s+/).filter((t) => t.length > 0),
    };
    const heapBefore = heapMiB();
    let t = nowMs();
    const docs: { id: string; title: string; text: string }[] = [];
    for await (const { product: p } of engine.store.iterateProducts()) {
      docs.push({ id: p.id, title: seg(p.title), text: [p.brand, p.category, ...p.tags, p.description].filter(Boolean).map((s) => seg(s)).join(' ') });
    }
    const prepareMs = nowMs() - t;
    const db = create({ schema: { title: 'string', text: 'string', embedding: `vector[${dim}]` } as const, components: { tokenizer } });
    t = nowMs();
    const CHUNK = 5000;
    for (let i = 0; i < docs.length; i += CHUNK) {
      const part = await Promise.all(docs.slice(i, i + CHUNK).map(async (d) => ({ ...d, embedding: Array.from((await engine.store.getVector(encoderId, d.id)) ?? new Float32Array(dim)) })));
      await insertMultiple(db, part, CHUNK);
    }
    const insertMs = nowMs() - t;
    const oramaHeapMiB = heapMiB() - heapBefore;
    console.error(`Orama: ${docs.length.toLocaleString('en-US')} documents inserted in ${(insertMs / 1000).toFixed(1)} s (segmenting ${(prepareMs / 1000).toFixed(1)} s), heap +${oramaHeapMiB.toFixed(0)} MiB`);
    docs.length = 0;

    const queries = syntheticQueries(N, Q + W);
    const runOrama = async (text: string) => {
      const vector = await engine.catalog.encodeText(text);
      const res = await search(db, {
        mode: 'hybrid',
        term: seg(text),
        vector: { value: Array.from(vector), property: 'embedding' },
        similarity: SIMILARITY,
        limit: 10,
      });
      return res.hits.map((h) => (h.document as { id: string }).id);
    };
    const runProdsim = async (text: string, rerank: 'none' | 'fields') => (await engine.search({ query: text, rerank, explain: false })).hits.map((h) => h.product.id);

    const ops = [
      { name: 'prodsim search (rerank none)', run: (q: string) => runProdsim(q, 'none') },
      { name: 'prodsim search (rerank fields)', run: (q: string) => runProdsim(q, 'fields') },
      { name: 'Orama hybrid', run: runOrama },
    ];
    for (let i = Q; i < Q + W; i++) for (const o of ops) await o.run(queries[i]!.text);
    const times = new Map<string, number[]>(ops.map((o) => [o.name, []]));
    const results = new Map<string, string[][]>(ops.map((o) => [o.name, []]));
    console.error(`timing ${Q} queries × ${ops.length} systems, interleaved`);
    for (let i = 0; i < Q; i++) {
      for (const o of ops) {
        const s = nowMs();
        const ids = await o.run(queries[i]!.text);
        times.get(o.name)!.push(nowMs() - s);
        results.get(o.name)!.push(ids);
      }
    }
    const latency = Object.fromEntries([...times].map(([k, v]) => [k, latencyStats(v)]));
    const overlap = (a: string, b: string) => {
      const ra = results.get(a)!;
      const rb = results.get(b)!;
      let sum = 0;
      for (let i = 0; i < Q; i++) {
        const sb = new Set(rb[i]);
        sum += ra[i]!.filter((id) => sb.has(id)).length / 10;
      }
      return round3(sum / Q);
    };
    const selfAt10 = Object.fromEntries(
      ops.map((o) => {
        const byKind: Record<string, number> = {};
        for (const kind of ['zh', 'en', 'model-number'] as const) {
          const idx = queries.slice(0, Q).flatMap((q, i) => (q.kind === kind ? [i] : []));
          byKind[kind] = round3(idx.filter((i) => results.get(o.name)![i]!.includes(queries[i]!.fromId)).length / Math.max(1, idx.length));
        }
        return [o.name, byKind];
      }),
    );
    const emptyOrama = results.get('Orama hybrid')!.filter((r) => r.length === 0).length;
    const p = (name: string) => latency[name]!;
    const ratio = (a: string, b: string) => ({ p50: round3(p(a).p50Ms / p(b).p50Ms), p99: round3(p(a).p99Ms / p(b).p99Ms), qps: round3(p(a).qps / p(b).qps) });
    const report = {
      benchmark: 'orama',
      date: started,
      machine,
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
      n: N,
      queries: Q,
      warmup: W,
      dimension: dim,
      encoderId,
      orama: { version: oramaVersion(), insertMs: Math.round(insertMs), segmentMs: Math.round(prepareMs), heapMiB: Math.round(oramaHeapMiB), heapBytesPerProduct: Math.round((oramaHeapMiB * 2 ** 20) / N), similarity: SIMILARITY, emptyResults: emptyOrama },
      latency,
      ratios: {
        'prodsim rerank none / Orama': ratio('prodsim search (rerank none)', 'Orama hybrid'),
        'prodsim rerank fields / Orama': ratio('prodsim search (rerank fields)', 'Orama hybrid'),
      },
      top10Agreement: {
        'prodsim rerank none ∩ Orama': overlap('prodsim search (rerank none)', 'Orama hybrid'),
        'prodsim rerank fields ∩ Orama': overlap('prodsim search (rerank fields)', 'Orama hybrid'),
        'prodsim rerank none ∩ prodsim rerank fields': overlap('prodsim search (rerank none)', 'prodsim search (rerank fields)'),
      },
      sourceProductInTop10: selfAt10,
      notes:
        'Chinese: Orama\'s default tokenizer drops CJK characters, so Orama is given text pre-segmented by prodsim\'s analyser (jieba) and a whitespace tokenizer; queries are segmented the same way. ' +
        'Both use prodsim\'s text vectors (Orama stores them as its vector property; its vector search is brute force). Orama timings include segmenting and encoding the query. ' +
        'prodsim search is timed with explain: false. Agreement = mean |top10 ∩ top10| / 10 over the queries. "Source product in top 10" is a crude relevance check (a query made from a product should find it; as the catalog grows many products share brand + colour + thing, so it falls for every system except on model-number queries).',
    };
    emitReport(args.out, 'orama', report, oramaMarkdown(report), !args['no-write']);
    await engine.close();
  } finally {
    if (args.dir) console.error(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

function oramaVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join('node_modules', '@orama', 'orama', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function oramaMarkdown(r: any): string {
  const lat = Object.entries(r.latency as Record<string, { p50Ms: number; p99Ms: number; meanMs: number; qps: number }>)
    .map(([k, v]) => `| ${k} | ${v.p50Ms} | ${v.p99Ms} | ${v.qps} |`)
    .join('\n');
  const rat = Object.entries(r.ratios as Record<string, { p50: number; p99: number; qps: number }>)
    .map(([k, v]) => `| ${k} | ×${v.p50} | ×${v.p99} | ×${v.qps} |`)
    .join('\n');
  const agr = Object.entries(r.top10Agreement as Record<string, number>)
    .map(([k, v]) => `| ${k} | ${v} |`)
    .join('\n');
  const self = Object.entries(r.sourceProductInTop10 as Record<string, Record<string, number>>)
    .map(([k, v]) => `| ${k} | ${v.zh} | ${v.en} | ${v['model-number']} |`)
    .join('\n');
  return `# Hybrid search: prodsim vs Orama

Generated by \`npm run bench:orama -- --n ${r.n}\` (bench/hybrid-vs-orama.ts); do not edit by hand. Raw figures: \`orama.json\`.

Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; commit \`${r.machine.commit}\`; run ${r.date}; load average ${r.machine.loadAverage.join(' / ')} at the start, ${r.loadAverageAtEnd.join(' / ')} at the end (shared machine: read the ratios).

Catalog: ${r.n.toLocaleString('en-US')} synthetic bilingual products; ${r.queries} queries (45 % Chinese, 45 % English, 10 % model numbers) after ${r.warmup} warm-up queries, interleaved system by system; vectors ${r.dimension} d (\`${r.encoderId}\`).
Orama ${r.orama.version}: insert ${(r.orama.insertMs / 1000).toFixed(1)} s (+ ${(r.orama.segmentMs / 1000).toFixed(1)} s segmenting), heap +${r.orama.heapMiB} MiB (${r.orama.heapBytesPerProduct.toLocaleString('en-US')} bytes/product), hybrid mode, vector similarity ≥ ${r.orama.similarity}, ${r.orama.emptyResults} queries with no result.

| system | p50 ms | p99 ms | QPS (1 thread) |
| --- | ---: | ---: | ---: |
${lat}

| ratio | p50 | p99 | QPS |
| --- | ---: | ---: | ---: |
${rat}

Top-10 agreement (mean overlap):

| pair | overlap |
| --- | ---: |
${agr}

Source product in the top 10:

| system | Chinese | English | model number |
| --- | ---: | ---: | ---: |
${self}

${r.notes}
`;
}

await main();
