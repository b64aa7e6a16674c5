/**
 * `npm run eval:search [-- --ranker ranker.json]`: search relevance on the shared dev queries
 * (../shared/datasets/search-relevance: CrowdFlower, 130 English queries; Multi-CPR e-commerce mini,
 * 125 Chinese queries), for each stage of prodsim search beside a plain BM25 floor and a random
 * order. Writes docs/benchmarks/search-relevance.md. The functions live in search-relevance.ts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable } from '../src/learning/eval-report.ts';
import { createEngine } from '../src/engine/engine.ts';
import { NO_GOOD_MATCH_BELOW } from '../src/tasks/search-relevance.ts';
import type { SearchOptions } from '../src/tasks/search.ts';
import { git } from './git.ts';
import {
  bm25FloorSystem,
  engineSystem,
  evaluateSearchSystem,
  loadCrowdflower,
  loadMultiCprMini,
  openEvalEngine,
  randomSystem,
  type RankingSystem,
  type SearchEvalResult,
  type SearchEvalSet,
} from './search-relevance.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const DIR = join(SHARED, 'datasets/search-relevance');
const OUT_MD = join(ROOT, 'docs/benchmarks/search-relevance.md');

const { values: args } = parseArgs({ options: { ranker: { type: 'string' }, only: { type: 'string' }, store: { type: 'string' } } });
// One store holds one set's products: `--store` (a PostgreSQL URL, say, to compare backends) needs `--only`.
if (args.store !== undefined && args.only === undefined) {
  console.error('eval:search: --store needs --only en or --only zh (the store would hold both sets\' products), and an empty store');
  process.exit(64);
}

if (!existsSync(DIR)) {
  console.log(`eval:search skipped: ${DIR} not found (the public data lives outside the repository, in ../shared)`);
  process.exit(0);
}
const log = (msg: string) => process.stderr.write(`[eval:search ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (v: number) => (Number.isNaN(v) ? '–' : (100 * v).toFixed(1));
const ms = (v: number) => v.toFixed(2);

/** Search as it was before issue #19's changes: RRF of words and dense, field rerank of 30, no character n-grams or coverage. */
const PREVIOUS_DEFAULT: Partial<SearchOptions> = {
  fusion: 'rrf',
  weights: { keyword: 1, characters: 0, dense: 1, modelNumber: 2 },
  rerankTop: 30,
  rerankCoverageWeight: 0,
  rerankFirstStageWeight: 0.2,
  chineseQueries: {},
};

/** The stages of prodsim search (the ablation), each a configuration of the same engine. */
function stageSystems(engine: Awaited<ReturnType<typeof openEvalEngine>>): RankingSystem[] {
  const only = (w: Partial<SearchOptions['weights']>): Partial<SearchOptions> => ({ weights: { keyword: 0, characters: 0, dense: 0, modelNumber: 0, ...w }, rerank: 'none', chineseQueries: {} });
  const systems = [
    engineSystem(engine, 'previous default (RRF words + dense, field rerank)', PREVIOUS_DEFAULT),
    engineSystem(engine, 'prodsim BM25 words alone', only({ keyword: 1 }), 'keyword'),
    engineSystem(engine, 'prodsim BM25 character n-grams alone (Chinese words, or no word matched)', only({ characters: 1 }), 'characters'),
    engineSystem(engine, 'prodsim dense alone', only({ dense: 1 }), 'dense'),
    engineSystem(engine, 'hybrid fusion (no rerank)', { rerank: 'none' }),
    engineSystem(engine, 'hybrid + field rerank, no coverage', { rerankCoverageWeight: 0, chineseQueries: { rerankCoverageWeight: 0 } }),
    engineSystem(engine, 'hybrid + field rerank + coverage (default)', {}),
  ];
  // The learned ranker's slot: `search --ranker` is read by the search version that has it.
  if (args.ranker) systems.push(engineSystem(engine, 'hybrid + learned ranker', { ranker: resolve(args.ranker) }));
  return systems;
}

async function evaluateSet(set: SearchEvalSet): Promise<{ results: SearchEvalResult[]; ingestSeconds: number }> {
  const started = performance.now();
  const engine = await openEvalEngine(set, args.store);
  const ingestSeconds = (performance.now() - started) / 1000;
  log(`${set.name}: ${set.products.length} products ingested in ${ingestSeconds.toFixed(1)} s`);
  const results: SearchEvalResult[] = [];
  const stages = stageSystems(engine).filter((s) => set.language === 'zh' || !s.name.includes('Chinese words, or no word matched'));
  for (const system of [bm25FloorSystem(set.products, set.language), randomSystem(set.products), ...stages]) {
    const r = await evaluateSearchSystem(system, set);
    log(`${set.name} · ${system.name}: nDCG@10 ${pct(r.ndcgFull)} / ${pct(r.ndcgRerank)}, MRR ${pct(r.mrr)}, recall ${pct(r.recall)}`);
    results.push(r);
  }
  await engine.close();
  return { results, ingestSeconds };
}

const sections: string[] = [];
const sets: (() => Promise<SearchEvalSet>)[] = [];
if (args.only !== 'zh') sets.push(() => loadCrowdflower(join(DIR, 'crowdflower')));
if (args.only !== 'en') sets.push(async () => loadMultiCprMini(join(DIR, 'multicpr-ecom-mini')));
for (const load of sets) {
  const set = await load();
  const { results, ingestSeconds } = await evaluateSet(set);
  const queries = results[0]?.queries ?? 0;
  if (set.language === 'en') {
    sections.push(
      `## English: CrowdFlower (${set.products.length.toLocaleString('en')} products, ${queries} dev queries, ${set.judgments.length.toLocaleString('en')} judged pairs)\n\n` +
        'nDCG@10 with gain 2^(relevance−1) − 1: on the whole corpus with unjudged products left out (condensed), and ordering each query\'s judged products (rerank: ' +
        'prodsim retrieves 1,000 candidates per retriever; judged products it does not reach come last). MRR and Recall@10 of products rated ≥ 3, on the condensed list. ' +
        `Latency: wall time per query of the whole-corpus search (k = 100), ingest ${ingestSeconds.toFixed(1)} s.\n\n` +
        markdownTable(
          ['system', 'nDCG@10 condensed', 'nDCG@10 rerank', 'MRR (≥ 3)', 'Recall@10 (≥ 3)', 'p50 ms', 'p95 ms'],
          results.map((r) => [r.system, pct(r.ndcgFull), pct(r.ndcgRerank), pct(r.mrr), pct(r.recall), ms(r.latencyMs.p50), ms(r.latencyMs.p95)]),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
    );
  } else {
    sections.push(
      `## Chinese: Multi-CPR e-commerce mini (${set.products.length.toLocaleString('en')} titles, ${queries} dev queries, one relevant title each)\n\n` +
        `MRR@10 and Recall@1 over the whole corpus; nDCG@10 beside them. Latency as above (k = 100), ingest ${ingestSeconds.toFixed(1)} s.\n\n` +
        markdownTable(
          ['system', 'MRR@10', 'Recall@1', 'nDCG@10', 'p50 ms', 'p95 ms'],
          results.map((r) => [r.system, pct(r.mrr), pct(r.recall), pct(r.ndcgFull), ms(r.latencyMs.p50), ms(r.latencyMs.p95)]),
          ['l', 'r', 'r', 'r', 'r', 'r'],
        ),
    );
  }
}

/**
 * The Chinese sample searches on data/sample-catalog.jsonl: precision@5 of the category a shopper
 * means, previous default against the default (the defaults are kept only where these do not lose).
 */
const SAMPLE_SEARCHES: readonly [string, RegExp][] = [
  ['红色连衣裙', /连衣裙/], ['苹果手机 256GB', /智能手机/], ['华为手机', /智能手机/], ['保温杯', /保温杯/], ['四件套', /四件套/],
  ['空气炸锅', /空气炸锅/], ['运动鞋', /运动鞋/], ['降噪耳机', /耳机/], ['蓝牙耳机', /耳机/], ['手机壳', /手机壳/], ['充电宝', /移动电源/],
  ['羽绒服', /羽绒服/], ['笔记本电脑', /笔记本/], ['男士T恤', /T恤/], ['电饭煲', /电饭煲/], ['钢化膜', /钢化膜/], ['相机', /相机/], ['游戏本', /笔记本/],
];
if (args.only !== 'en') {
  const engine = await createEngine({ storePath: ':memory:', images: false });
  await engine.ingest(join(ROOT, 'data/sample-catalog.jsonl'));
  const rows: (string | number)[][] = [];
  const totals = [0, 0];
  for (const [query, category] of SAMPLE_SEARCHES) {
    const before = await engine.search({ query, k: 5, explain: false, ...PREVIOUS_DEFAULT });
    const after = await engine.search({ query, k: 5, explain: false });
    const hits = [before, after].map((r) => r.hits.filter((h) => category.test(h.product.category ?? '')).length);
    hits.forEach((n, i) => (totals[i]! += n));
    rows.push([query, String(category).slice(1, -1), hits[0]!, hits[1]!, after.bestRelevance.toFixed(2), after.noGoodMatch ? 'yes' : 'no']);
  }
  rows.push(['total', '', totals[0]!, totals[1]!, '', '']);
  await engine.close();
  sections.push(
    `## Chinese sample searches (data/sample-catalog.jsonl)\n\nHits of the top 5 in the category meant, previous default and default; the default's calibrated best relevance and "no good match" (below ${NO_GOOD_MATCH_BELOW}).\n\n` +
      markdownTable(['query', 'category', 'previous default', 'default', 'best relevance', 'no good match'], rows, ['l', 'l', 'r', 'r', 'r', 'l']),
  );
}

const header =
  '# Search relevance (`npm run eval:search`)\n\n' +
  (args.store ? `Store: ${args.store.replace(/\/\/[^@/]*@/, '//')}.\n` : '') +
  `Commit ${git('rev-parse --short HEAD')}${git('status --porcelain src scripts') ? ' (with uncommitted changes)' : ''}, ${new Date().toISOString().slice(0, 10)}, ` +
  `${cpus().length} cores (load ${loadavg()[0]!.toFixed(1)} at the end: the machine is shared, latencies are indicative).\n` +
  'Dev queries only (the held-back queries of both sets are kept outside this repository). Figures ×100.\n' +
  (args.ranker ? `Learned ranker: \`${args.ranker}\`.\n` : 'No learned ranker given (`--ranker ranker.json` adds the "hybrid + learned ranker" row).\n');
if (args.only === undefined) {
  writeFileSync(OUT_MD, `${header}\n${sections.join('\n\n')}\n`);
  log(`wrote ${OUT_MD}`);
} else process.stdout.write(`${header}\n${sections.join('\n\n')}\n`);
