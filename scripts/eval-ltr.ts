/**
 * `npm run eval:ltr [-- --only en|zh] [--tune]`: the learned ranker (LambdaMART over query–product
 * features) under 5-fold cross-validation by query on the shared dev queries: CrowdFlower (130
 * English queries, graded 1–4, 1 = irrelevant) and Multi-CPR e-commerce mini (125 Chinese queries,
 * one relevant title each; unjudged search candidates stand in as irrelevant when training).
 * A query is never in both the training and the evaluation folds; inside the training folds a fifth
 * of the queries is held out for early stopping. Writes docs/benchmarks/learning-to-rank.md and the
 * learning-to-rank section of docs/benchmarks/search-relevance.md. `--tune` prints a small grid of
 * tree options scored by cross-validation on the English judged pairs (no file written).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judgmentsByQuery } from '../src/catalog/judgments.ts';
import { markdownTable } from '../src/learning/eval-report.ts';
import { groupRows, meanGroupNdcg } from '../src/learning/gradient-boosting.ts';
import { ndcgAtK } from '../src/learning/metrics.ts';
import { DEFAULT_RANKER_GBDT_OPTIONS, fitRanker, queryFolds, rankerScore, type RankerModel, type RankerOptions, type RankingExample } from '../src/learning/ranker.ts';
import { DEFAULT_SEARCH_OPTIONS } from '../src/tasks/search.ts';
import { rankingExamples } from '../src/tasks/train-ranker.ts';
import { QUERY_PRODUCT_FEATURES } from '../src/learning/query-features.ts';
import { git } from './git.ts';
import {
  engineSystem,
  evaluateSearchSystem,
  loadCrowdflower,
  loadMultiCprMini,
  NDCG_K,
  openEvalEngine,
  type QueryOutcome,
  type RankingSystem,
  type SearchEvalSet,
} from './search-relevance.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const DIR = join(SHARED, 'datasets/search-relevance');
const OUT_MD = join(ROOT, 'docs/benchmarks/learning-to-rank.md');
const RELEVANCE_MD = join(ROOT, 'docs/benchmarks/search-relevance.md');
const SECTION_START = '<!-- learning-to-rank: written by npm run eval:ltr -->';
const SECTION_END = '<!-- /learning-to-rank -->';

/** What the figures say, as measured at the commit that added the 37 features (the tables below are regenerated; this reading is not). */
const NOTES =
  'Reading (at the 37-feature commit): the learned ranker does not reach the issue\'s 86 on CrowdFlower, and no variant tried gets there. Under cross-validation by query it scores 81.6 (81.4 with the 29 features before character n-gram BM25, field coverage and the default\'s own signals), below the label-free default (82.0). Starting the trees from the default\'s formula as a prior (×1–×10, 50–200 trees) gives 79.9–81.4: on 104 training queries the trees mostly fit noise. The bounds in docs/benchmarks/search-losses.md say why 86 is the wrong yardstick for these dev queries: choosing the best of BM25, dense and the default per query (an oracle choice) gives 85.6, and the standard error of a mean over 130 queries is 1.5 points. Ranking, not recall, is what is lost (the oracle order of the default\'s top 100 scores 98.9). On the Chinese set the ranker (81.8; 82.4 reordering 30) stays below the default (83.6).\n\n';

export const FOLDS = 5;
export const FOLD_SEED = 42;

const { values: args } = parseArgs({ options: { only: { type: 'string' }, tune: { type: 'boolean' } } });
if (!existsSync(DIR)) {
  console.log(`eval:ltr skipped: ${DIR} not found (the public data lives outside the repository, in ../shared)`);
  process.exit(0);
}
const log = (msg: string) => process.stderr.write(`[eval:ltr ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (v: number) => (Number.isNaN(v) ? '–' : (100 * v).toFixed(1));
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

interface SetSpec {
  language: 'en' | 'zh';
  irrelevantGrade: number;
  negatives: number | 'auto';
}
const SPECS: Record<'en' | 'zh', SetSpec> = {
  en: { language: 'en', irrelevantGrade: 1, negatives: 0 },
  zh: { language: 'zh', irrelevantGrade: 0, negatives: 'auto' },
};

/** nDCG@10 of each evaluation query's judged pairs, ordered by the models of their folds (the rerank protocol, from the pairs' features). */
function rerankNdcg(examples: readonly RankingExample[], modelOf: (query: string) => RankerModel, set: SearchEvalSet): Map<string, number> {
  const byQuery = judgmentsByQuery(set.judgments);
  const grouped = new Map<string, RankingExample[]>();
  for (const e of examples) {
    if (!byQuery.get(e.query)?.has(e.productId)) continue; // assumed-irrelevant candidates are not judged pairs
    let list = grouped.get(e.query);
    if (!list) grouped.set(e.query, (list = []));
    list.push(e);
  }
  const out = new Map<string, number>();
  for (const [query, list] of grouped) {
    const model = modelOf(query);
    const ranked = list.map((e) => ({ id: e.productId, s: rankerScore(model, e.features) })).sort((a, b) => b.s - a.s || a.id.localeCompare(b.id)).map((x) => x.id);
    const gains = new Map([...byQuery.get(query)!].map(([id, r]) => [id, Math.max(0, r - 1)]));
    out.set(query, ndcgAtK({ ranked, relevance: gains }, NDCG_K));
  }
  return out;
}

function trainFolds(examples: readonly RankingExample[], folds: Map<string, number>, context: { averageTokens: RankerModel['averageTokens']; irrelevantGrade: number }, options: Partial<RankerOptions> = {}) {
  const models: RankerModel[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const train = examples.filter((e) => folds.get(e.query) !== f);
    models.push(fitRanker(train, context, { seed: FOLD_SEED + f, ...options }));
  }
  return models;
}

/** The tuning grid: scored by CV nDCG@10 of reordering the judged pairs (English), nothing else. */
function tune(examples: readonly RankingExample[], folds: Map<string, number>, context: { averageTokens: RankerModel['averageTokens']; irrelevantGrade: number }) {
  // The defaults, then what the defaults were chosen against (earlier rounds: depth 3–6, 50–400 trees, λ 1: 79.6–81.0).
  const grid: Partial<RankerOptions>[] = [{}];
  for (const earlyStoppingRounds of [50, 150]) grid.push({ validationShare: 0.2, gbdt: { trees: 400, earlyStoppingRounds } });
  for (const lambda of [10, 50]) for (const maxDepth of [2, 3]) grid.push({ validationShare: 0, gbdt: { trees: 200, maxDepth, lambda } });
  const rows: string[][] = [];
  for (const gbdt of grid) {
    const models = trainFolds(examples, folds, context, gbdt);
    const scores = new Float64Array(examples.length);
    examples.forEach((e, i) => (scores[i] = rankerScore(models[folds.get(e.query)!]!, e.features)));
    const groups = groupRows(Int32Array.from(examples, (e) => [...folds.keys()].indexOf(e.query)));
    const ndcg = meanGroupNdcg(groups, scores, examples.map((e) => e.label), NDCG_K);
    rows.push([JSON.stringify(gbdt), pct(ndcg), String(mean(models.map((m) => m.gbdt.trees.length)))]);
    log(`tune ${JSON.stringify(gbdt)}: ${pct(ndcg)}`);
  }
  console.log(markdownTable(['gbdt', 'CV nDCG@10 (judged pairs)', 'mean trees'], rows, ['l', 'r', 'r']));
}

interface SetReport {
  markdown: string;
  summary: string;
}

async function evaluate(set: SearchEvalSet, spec: SetSpec): Promise<SetReport> {
  const t0 = performance.now();
  const cached = args.tune && existsSync(join(tmpdir(), `prodsim-ltr-${set.name}-examples.json`));
  const engine = cached ? ({ catalog: undefined as never, close() {} } as unknown as Awaited<ReturnType<typeof openEvalEngine>>) : await openEvalEngine(set);
  log(`${set.name}: ${set.products.length} products ingested in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  const cache = args.tune ? join(tmpdir(), `prodsim-ltr-${set.name}-examples.json`) : undefined;
  const built =
    cache && existsSync(cache)
      ? (JSON.parse(readFileSync(cache, 'utf8'), (k, v) => (k === 'features' ? Float64Array.from(v as number[]) : v)) as Awaited<ReturnType<typeof rankingExamples>>)
      : await rankingExamples(engine.catalog, set.judgments, { irrelevantGrade: spec.irrelevantGrade, negatives: spec.negatives });
  if (cache && !existsSync(cache)) writeFileSync(cache, JSON.stringify(built, (k, v) => (k === 'features' ? [...(v as Float64Array)] : v)));
  const featureSeconds = (performance.now() - t1) / 1000;
  log(`${set.name}: ${built.examples.length} feature rows (${built.negatives} unjudged candidates as irrelevant) in ${featureSeconds.toFixed(1)} s`);
  const queries = [...new Set(set.judgments.map((j) => j.query))];
  const folds = queryFolds(queries, FOLDS, FOLD_SEED);
  const context = { averageTokens: built.averageTokens, irrelevantGrade: spec.irrelevantGrade };
  if (args.tune && spec.language === 'en') {
    tune(built.examples, folds, context);
    await engine.close();
    return { markdown: '', summary: '' };
  }
  const t2 = performance.now();
  const models = trainFolds(built.examples, folds, context);
  const trainSeconds = (performance.now() - t2) / 1000;
  log(`${set.name}: ${FOLDS} fold models in ${trainSeconds.toFixed(1)} s (trees ${models.map((m) => m.gbdt.trees.length).join(', ')})`);
  for (let f = 0; f < FOLDS; f++) {
    // The guarantee the figures rest on: no evaluation query was seen in training.
    const trainQueries = new Set(built.examples.filter((e) => folds.get(e.query) !== f).map((e) => e.query));
    for (const [q, fold] of folds) if (fold === f && trainQueries.has(q)) throw new Error(`query ${q} in both folds`);
  }

  const outcomes = new Map<string, QueryOutcome[]>();
  const systems: { name: string; system: (fold: number) => RankingSystem }[] = [
    { name: 'hybrid + field rerank (default)', system: () => engineSystem(engine, 'default', {}) },
    { name: 'hybrid + learned ranker (reranks the first 30 fused candidates)', system: (f) => engineSystem(engine, 'ranker-30', { ranker: models[f]!, rankerTop: 30 }) },
    { name: `hybrid + learned ranker (default rankerTop ${DEFAULT_SEARCH_OPTIONS.rankerTop}: every fused candidate)`, system: (f) => engineSystem(engine, 'ranker', { ranker: models[f]! }) },
  ];
  for (const s of systems) {
    const list: QueryOutcome[] = [];
    for (let f = 0; f < FOLDS; f++) {
      const foldQueries = queries.filter((q) => folds.get(q) === f);
      const system = s.system(f);
      // The rerank protocol of the learned systems is computed below from the judged pairs' features.
      const fullOnly: RankingSystem = { name: system.name, rank: (q, mode, judged) => (mode === 'rerank' && s.name !== systems[0]!.name ? Promise.resolve([...judged]) : system.rank(q, mode, judged)) };
      const r = await evaluateSearchSystem(fullOnly, set, foldQueries);
      list.push(...r.perQuery);
    }
    outcomes.set(s.name, list);
    log(`${set.name} · ${s.name}: nDCG@10 ${pct(mean(list.map((q) => q.ndcgFull)))}, MRR ${pct(mean(list.map((q) => q.rr)))}`);
  }
  const rerank = spec.language === 'en' ? rerankNdcg(built.examples, (q) => models[folds.get(q)!]!, set) : new Map<string, number>();
  const importance = new Map<string, number>();
  for (const m of models) m.featureNames.forEach((name, j) => importance.set(name, (importance.get(name) ?? 0) + (m.gbdt.importance[j] ?? 0) / FOLDS));
  const topFeatures = [...importance].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, g]) => `${n} (${g.toFixed(1)})`).join(', ');
  await engine.close();

  const rows = [...outcomes].map(([name, list], i) => {
    const rr = mean(list.map((q) => q.rr));
    const recall = mean(list.map((q) => q.recall));
    const ndcgRerank = i === 0 ? mean(list.map((q) => q.ndcgRerank)) : mean([...rerank.values()]);
    const p50 = median(list.map((q) => q.milliseconds));
    return spec.language === 'en'
      ? [name, pct(mean(list.map((q) => q.ndcgFull))), pct(ndcgRerank), pct(rr), pct(recall), p50.toFixed(2)]
      : [name, pct(rr), pct(recall), pct(mean(list.map((q) => q.ndcgFull))), p50.toFixed(2)];
  });
  const meta =
    `${queries.length} queries in ${FOLDS} folds by query (seed ${FOLD_SEED}); ${built.examples.length.toLocaleString('en')} training rows` +
    (built.negatives > 0 ? ` of which ${built.negatives.toLocaleString('en')} are unjudged search candidates taken as irrelevant` : '') +
    `; features in ${featureSeconds.toFixed(1)} s, ${FOLDS} models in ${trainSeconds.toFixed(1)} s, trees per fold ${models.map((m) => m.gbdt.trees.length).join(' / ')}. ` +
    `Largest mean split gain: ${topFeatures}.`;
  const markdown =
    spec.language === 'en'
      ? `### English: CrowdFlower (${set.products.length.toLocaleString('en')} products, ${queries.length} dev queries)\n\n${meta}\n\n` +
        'nDCG@10 with gain 2^(relevance−1) − 1 on the condensed whole-corpus list (search k = 100, unjudged products left out) and reordering each query\'s judged products ' +
        '(the learned ranker scores every judged pair; the default orders the judged products it retrieves among 1,000 candidates per retriever). MRR and Recall@10 of products rated ≥ 3, condensed list. ' +
        'p50 ms: median wall time of the whole-corpus search (shared machine: indicative only).\n\n' +
        markdownTable(['system (evaluation fold only)', 'nDCG@10 condensed', 'nDCG@10 rerank', 'MRR (≥ 3)', 'Recall@10 (≥ 3)', 'p50 ms'], rows, ['l', 'r', 'r', 'r', 'r', 'r'])
      : `### Chinese: Multi-CPR e-commerce mini (${set.products.length.toLocaleString('en')} titles, ${queries.length} dev queries)\n\n${meta}\n\n` +
        'MRR@10 and Recall@1 over the whole corpus, nDCG@10 beside them.\n\n' +
        markdownTable(['system (evaluation fold only)', 'MRR@10', 'Recall@1', 'nDCG@10', 'p50 ms'], rows, ['l', 'r', 'r', 'r', 'r']);
  return { markdown, summary: rows.map((r) => r.join(' · ')).join('\n') };
}

const reports: string[] = [];
if (args.only !== 'zh') reports.push((await evaluate(await loadCrowdflower(join(DIR, 'crowdflower')), SPECS.en)).markdown);
if (args.only !== 'en' && !args.tune) reports.push((await evaluate(loadMultiCprMini(join(DIR, 'multicpr-ecom-mini')), SPECS.zh)).markdown);
if (args.tune) process.exit(0);

const body =
  `Commit ${git('rev-parse --short HEAD')}${git('status --porcelain src scripts') ? ' (with uncommitted changes)' : ''}, ${new Date().toISOString().slice(0, 10)}, ` +
  `${cpus().length} cores (load ${loadavg()[0]!.toFixed(1)} at the end). Dev queries only; figures ×100. ` +
  `Ranker: LambdaMART (lambdarank objective of src/learning/gradient-boosting.ts) with ${JSON.stringify(DEFAULT_RANKER_GBDT_OPTIONS)}, ` +
  `over the ${QUERY_PRODUCT_FEATURES.length} query–product features of src/learning/query-features.ts.\n\n` +
  NOTES +
  reports.join('\n\n');
if (args.only === undefined) {
  writeFileSync(OUT_MD, `# Learning to rank (\`npm run eval:ltr\`)\n\n${body}\n`);
  // The search engineer's eval:search writes the rest of search-relevance.md; this section is kept between its markers.
  if (existsSync(RELEVANCE_MD)) {
    const current = readFileSync(RELEVANCE_MD, 'utf8');
    const section = `${SECTION_START}\n## Learned ranker, 5-fold cross-validation by query (\`npm run eval:ltr\`)\n\n${body.replace(/^### /gm, '### ')}\n${SECTION_END}`;
    const start = current.indexOf(SECTION_START);
    const end = current.indexOf(SECTION_END);
    const next = start >= 0 && end > start ? current.slice(0, start) + section + current.slice(end + SECTION_END.length) : `${current.trimEnd()}\n\n${section}\n`;
    writeFileSync(RELEVANCE_MD, next);
  }
  log(`wrote ${OUT_MD}`);
} else process.stdout.write(`${body}\n`);
