/**
 * `node --import tsx scripts/fit-search-calibration.ts`: fits `SEARCH_RELEVANCE_CALIBRATION`
 * (src/tasks/search-relevance.ts), the logistic map from a hit's evidence (query coverage, dense
 * similarity) to the probability that a shopper judges it relevant, on the dev judgments of both
 * search-relevance sets: the top 10 hits of default search for each query, labelled where judged
 * (CrowdFlower: relevant = rated ≥ 3, unjudged hits left out; Multi-CPR mini: relevant = the annotated
 * title, every other title irrelevant). Prints the constants to paste and the reliability per set,
 * with 5-fold cross-validation by query (the figures in docs/benchmarks/search-relevance.md).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgmentsByQuery } from '../src/catalog/judgments.ts';
import { fitLogisticRegression, predictLogistic, rawUnitWeights } from '../src/learning/logistic-regression.ts';
import { reliability } from '../src/learning/metrics.ts';
import { calibratedRelevance, NO_GOOD_MATCH_BELOW } from '../src/tasks/search-relevance.ts';
import { writeFileSync } from 'node:fs';
import { loadCrowdflower, loadMultiCprMini, openEvalEngine, RELEVANT_AT, type SearchEvalSet } from './search-relevance.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared'), 'datasets/search-relevance');
if (!existsSync(DIR)) {
  console.log(`fit-search-calibration skipped: ${DIR} not found`);
  process.exit(0);
}
const FEATURES = ['coverage', 'denseSimilarity'] as const;
/** Row index → the hit's rank in its query's results (0 = top). */
const rank = new Map<number, number>();
interface Row {
  set: string;
  query: string;
  x: Float64Array;
  y: number;
}

async function rowsOf(set: SearchEvalSet): Promise<Row[]> {
  const engine = await openEvalEngine(set);
  const rows: Row[] = [];
  for (const [query, judged] of judgmentsByQuery(set.judgments)) {
    const r = await engine.search({ query, k: 10, explain: false });
    for (const h of r.hits) {
      const rel = judged.get(h.product.id);
      if (set.language === 'en' && rel === undefined) continue;
      const y = set.language === 'en' ? (rel! >= RELEVANT_AT ? 1 : 0) : (rel ?? 0) > 0 ? 1 : 0;
      rank.set(rows.length, r.hits.indexOf(h));
      rows.push({ set: set.name, query, x: Float64Array.from(FEATURES, (f) => h.evidence[f]), y });
    }
  }
  await engine.close();
  return rows;
}

const rows = [...(await rowsOf(await loadCrowdflower(join(DIR, 'crowdflower')))), ...(await rowsOf(loadMultiCprMini(join(DIR, 'multicpr-ecom-mini'))))];
const model = fitLogisticRegression(rows.map((r) => r.x), rows.map((r) => r.y), [...FEATURES]);
const raw = rawUnitWeights(model);
console.log(`rows ${rows.length} (relevant ${rows.filter((r) => r.y === 1).length})`);
console.log(`bias: ${raw.bias.toFixed(3)}, coverage: ${raw.weights[0]!.toFixed(3)}, denseSimilarity: ${raw.weights[1]!.toFixed(3)}`);

// Cross-validated reliability: each query's rows predicted by a model fitted without that query's fold.
const queries = [...new Set(rows.map((r) => `${r.set}\t${r.query}`))];
const foldOf = new Map(queries.map((q, i) => [q, i % 5]));
const cv = new Float64Array(rows.length);
for (let f = 0; f < 5; f++) {
  const train = rows.filter((r) => foldOf.get(`${r.set}\t${r.query}`) !== f);
  const m = fitLogisticRegression(train.map((r) => r.x), train.map((r) => r.y), [...FEATURES]);
  rows.forEach((r, i) => {
    if (foldOf.get(`${r.set}\t${r.query}`) === f) cv[i] = predictLogistic(m, r.x);
  });
}
const lines = [
  '# Calibrated search relevance (`node --import tsx scripts/fit-search-calibration.ts`)\n',
  `${new Date().toISOString().slice(0, 10)}. Logistic map from a hit's evidence (query coverage, dense similarity) to P(relevant), fitted on the top 10 hits of default search for the dev queries ` +
    '(CrowdFlower: judged hits, relevant = rated ≥ 3; Multi-CPR mini: every hit, relevant = the annotated title). ' +
    `Fitted: bias ${raw.bias.toFixed(3)}, coverage ${raw.weights[0]!.toFixed(3)}, denseSimilarity ${raw.weights[1]!.toFixed(3)} on ${rows.length} hits; "no good match" below ${NO_GOOD_MATCH_BELOW}.\n`,
  '| set | hits | relevant rate | ECE (5-fold CV by query) | Brier (CV) | ECE (shipped constants) | Brier (shipped) | share of queries with no good match | relevant rate of their top hits |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const set of ['crowdflower', 'multicpr-ecom-mini']) {
  const idx = rows.map((r, i) => (r.set === set ? i : -1)).filter((i) => i >= 0);
  const cvRel = reliability(idx.map((i) => cv[i]!), idx.map((i) => rows[i]!.y));
  const shipped = reliability(idx.map((i) => calibratedRelevance({ coverage: rows[i]!.x[0]!, denseSimilarity: rows[i]!.x[1]! })), idx.map((i) => rows[i]!.y));
  const tops = new Map<string, Row>();
  for (const i of idx) if (!tops.has(rows[i]!.query) || rank.get(i) === 0) tops.set(rows[i]!.query, rows[i]!);
  const none = [...tops.values()].filter((r) => calibratedRelevance({ coverage: r.x[0]!, denseSimilarity: r.x[1]! }) < NO_GOOD_MATCH_BELOW);
  lines.push(`| ${set} | ${idx.length} | ${(idx.filter((i) => rows[i]!.y === 1).length / idx.length).toFixed(3)} | ${cvRel.ece.toFixed(3)} | ${cvRel.brier.toFixed(3)} | ${shipped.ece.toFixed(3)} | ${shipped.brier.toFixed(3)} | ${(none.length / tops.size).toFixed(3)} | ${none.length ? (none.filter((r) => r.y === 1).length / none.length).toFixed(3) : '–'} |`);
  console.log(`${set}: rows ${idx.length}, relevant rate ${(idx.filter((i) => rows[i]!.y === 1).length / idx.length).toFixed(3)}; CV ECE ${cvRel.ece.toFixed(3)} Brier ${cvRel.brier.toFixed(3)}; shipped constants ECE ${shipped.ece.toFixed(3)} Brier ${shipped.brier.toFixed(3)}`);
}
writeFileSync(join(ROOT, 'docs/benchmarks/search-calibration.md'), `${lines.join('\n')}\n\nThe top hit of a query is its first judged hit (CrowdFlower: unjudged hits are left out).\n`);
