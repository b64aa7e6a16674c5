/**
 * `npm run eval:search-losses`: where default search loses relevance on the shared dev queries, and
 * what bounds it. Writes docs/benchmarks/search-losses.md.
 *
 * - Oracle rerank of the default's top 100: the judged products (English) or the relevant title
 *   (Chinese) among them put first in the best order. The gap between it and the default is lost by
 *   ranking; the gap between it and 100 by retrieval (a candidate the default never returns).
 * - Per-query best of BM25 words, dense and the default: what a perfect choice among the existing
 *   systems per query would reach (a bound for fusion weights that depend on the query).
 * - The queries the default loses most on against the oracle, with its first hits.
 * Dev queries only; nothing here is tuned.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judgmentsByQuery } from '../src/catalog/judgments.ts';
import { markdownTable } from '../src/learning/eval-report.ts';
import { ndcgAtK } from '../src/learning/metrics.ts';
import type { SearchOptions } from '../src/tasks/search.ts';
import { git } from './git.ts';
import {
  engineSystem,
  evaluateSearchSystem,
  FULL_CORPUS_DEPTH,
  loadCrowdflower,
  loadMultiCprMini,
  NDCG_K,
  openEvalEngine,
  RELEVANT_AT,
  type QueryOutcome,
  type SearchEvalSet,
} from './search-relevance.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const DIR = join(SHARED, 'datasets/search-relevance');
const OUT_MD = join(ROOT, 'docs/benchmarks/search-losses.md');
/** Queries listed per set in the loss table. */
const WORST = 12;

const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
if (!existsSync(DIR)) {
  console.log(`eval:search-losses skipped: ${DIR} not found (the public data lives outside the repository, in ../shared)`);
  process.exit(0);
}
const log = (msg: string) => process.stderr.write(`[search-losses ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (v: number) => (100 * v).toFixed(1);
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

const only = (w: Partial<SearchOptions['weights']>): Partial<SearchOptions> => ({ weights: { keyword: 0, characters: 0, dense: 0, modelNumber: 0, ...w }, rerank: 'none', chineseQueries: {} });

/** The figure a query is judged by: nDCG@10 condensed (English), MRR@10 (Chinese). */
const figure = (set: SearchEvalSet, q: QueryOutcome) => (set.language === 'en' ? q.ndcgFull : q.rr);

async function analyse(set: SearchEvalSet): Promise<string> {
  const engine = await openEvalEngine(set);
  log(`${set.name}: ingested`);
  const byQuery = judgmentsByQuery(set.judgments);
  const systems = [
    engineSystem(engine, 'default', {}),
    engineSystem(engine, 'BM25 words alone', only({ keyword: 1 }), 'keyword'),
    ...(set.language === 'zh' ? [engineSystem(engine, 'BM25 character n-grams alone', only({ characters: 1 }), 'characters')] : []),
    engineSystem(engine, 'dense alone', only({ dense: 1 }), 'dense'),
  ];
  const outcomes = new Map<string, Map<string, QueryOutcome>>();
  for (const system of systems) {
    const r = await evaluateSearchSystem(system, set, undefined, { rerankProtocol: false });
    outcomes.set(system.name, new Map(r.perQuery.map((q) => [q.query, q])));
    log(`${set.name} · ${system.name}: ${pct(mean(r.perQuery.map((q) => figure(set, q))))}`);
  }
  // The oracle over the default's top 100, and its first hits for the loss table.
  const oracle = new Map<string, number>();
  const firstHits = new Map<string, string[]>();
  for (const [query, judged] of byQuery) {
    const result = await engine.search({ query, k: FULL_CORPUS_DEPTH, explain: false });
    const ids = result.hits.map((h) => h.product.id);
    firstHits.set(query, result.hits.slice(0, 3).map((h) => `${h.product.title.slice(0, 48)}${judged.has(h.product.id) ? ` (${judged.get(h.product.id)})` : ''}`));
    if (set.language === 'en') {
      const gains = new Map([...judged].map(([id, r]) => [id, Math.max(0, r - 1)]));
      const best = ids.filter((id) => judged.has(id)).sort((a, b) => gains.get(b)! - gains.get(a)! || a.localeCompare(b));
      oracle.set(query, ndcgAtK({ ranked: best, relevance: gains }, NDCG_K));
    } else {
      oracle.set(query, ids.some((id) => (judged.get(id) ?? 0) > 0) ? 1 : 0);
    }
  }
  await engine.close();
  const queries = [...outcomes.get('default')!.keys()];
  const valueOf = (name: string, q: string) => figure(set, outcomes.get(name)!.get(q)!);
  const bestOf = (names: string[]) => mean(queries.map((q) => Math.max(...names.map((n) => valueOf(n, q)))));
  const names = systems.map((s) => s.name);
  const rows: string[][] = [
    ...names.map((n) => [n, pct(mean(queries.map((q) => valueOf(n, q))))]),
    [`per-query best of ${names.join(', ')}`, pct(bestOf(names))],
    ['per-query best of BM25 words and dense', pct(bestOf(names.filter((n) => n !== 'default' && !n.includes('character'))))],
    [`oracle order of the default's top ${FULL_CORPUS_DEPTH}`, pct(mean(queries.map((q) => oracle.get(q)!)))],
  ];
  const losses = queries
    .map((q) => ({ q, lost: oracle.get(q)! - valueOf('default', q) }))
    .sort((a, b) => b.lost - a.lost || a.q.localeCompare(b.q))
    .slice(0, WORST);
  const lossRows = losses.map(({ q, lost }) => [q, pct(valueOf('default', q)), pct(oracle.get(q)!), pct(lost), ...names.slice(1).map((n) => pct(valueOf(n, q))), firstHits.get(q)!.join(' · ')]);
  const measure = set.language === 'en' ? 'nDCG@10 (condensed list, gain 2^(relevance−1) − 1)' : 'MRR@10';
  const lostToRanking = mean(queries.map((q) => oracle.get(q)! - valueOf('default', q)));
  const lostToRetrieval = 1 - mean(queries.map((q) => oracle.get(q)!));
  // How far the mean of these queries can move by the draw of the queries alone: the standard error.
  const defaults = queries.map((q) => valueOf('default', q));
  const sd = Math.sqrt(mean(defaults.map((v) => (v - mean(defaults)) ** 2)) * (defaults.length / Math.max(1, defaults.length - 1)));
  const standardError = sd / Math.sqrt(defaults.length);
  return (
    `## ${set.language === 'en' ? 'English: CrowdFlower' : 'Chinese: Multi-CPR e-commerce mini'} (${queries.length} dev queries, ${measure})\n\n` +
    `Lost to ranking (oracle − default): ${pct(lostToRanking)} points; lost to retrieval (100 − oracle): ${pct(lostToRetrieval)} points. ` +
    `Standard error of the default's mean over these ${queries.length} queries: ${pct(standardError)} points (a 95 % interval of ±${pct(1.96 * standardError)}): ` +
    'other queries from the same source can score this far from the dev figure by the draw of the queries alone.\n\n' +
    markdownTable(['system', measure], rows, ['l', 'r']) +
    `\n\nThe ${WORST} queries with the largest loss to ranking (the default's first three hits; ${set.language === 'en' ? `the judged grade, 1–4, in brackets, ≥ ${RELEVANT_AT} relevant` : 'the annotated title marked (1)'}):\n\n` +
    markdownTable(['query', 'default', 'oracle', 'lost', ...names.slice(1), 'first hits of the default'], lossRows, ['l', 'r', 'r', 'r', ...names.slice(1).map(() => 'r' as const), 'l'])
  );
}

const sections: string[] = [];
if (args.only !== 'zh') sections.push(await analyse(await loadCrowdflower(join(DIR, 'crowdflower'))));
if (args.only !== 'en') sections.push(await analyse(loadMultiCprMini(join(DIR, 'multicpr-ecom-mini'))));
const text =
  '# Where search loses relevance (`npm run eval:search-losses`)\n\n' +
  `Commit ${git('rev-parse --short HEAD')}${git('status --porcelain src scripts') ? ' (with uncommitted changes)' : ''}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores. ` +
  'Dev queries only; figures ×100. The oracle reorders the default\'s own top 100 perfectly: what is left below 100 is retrieval, ' +
  'the gap down to the default is ranking. The per-query best picks, for each query, the best of the systems listed: a bound for choosing fusion weights per query.\n\n' +
  sections.join('\n\n') +
  '\n';
if (args.only === undefined) {
  writeFileSync(OUT_MD, text);
  log(`wrote ${OUT_MD}`);
} else process.stdout.write(text);
