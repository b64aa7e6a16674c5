/**
 * `node --import tsx scripts/eval-linear-ranker.ts [--only en|zh]`: can a linear ranker over the
 * default search's own few signals beat the default, under 5-fold cross-validation by query? The
 * learned trees (eval:ltr) lose to the default on 104 training queries; a linear model with seven
 * weights, started from the default's formula and moved by coordinate ascent (Metzler & Croft 2007)
 * on the training folds' metric itself, is the low-variance alternative.
 *
 * Per query the default search is run once with every one of its first 100 candidates reranked
 * (`rerankTop` 100), and each candidate's signals read from its hit: word and character BM25 (divided
 * by the query's best), the dense cosine, the field reranker's score, the query coverage, the fused
 * score (divided by the best), a model-number match. The model reorders those 100: what it can
 * reach is bounded by the oracle order of the default's top 100 (docs/benchmarks/search-losses.md).
 * Prints a markdown section; figures ×100.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judgmentsByQuery } from '../src/catalog/judgments.ts';
import { markdownTable } from '../src/learning/eval-report.ts';
import { ndcgAtK, reciprocalRank } from '../src/learning/metrics.ts';
import { queryFolds } from '../src/learning/ranker.ts';
import type { SearchHit } from '../src/tasks/search.ts';
import { git } from './git.ts';
import { loadCrowdflower, loadMultiCprMini, NDCG_K, openEvalEngine, type SearchEvalSet } from './search-relevance.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared'), 'datasets/search-relevance');
if (!existsSync(DIR)) {
  console.log(`eval-linear-ranker skipped: ${DIR} not found`);
  process.exit(0);
}
const FOLDS = 5;
/** eval:ltr's folds (scripts/eval-ltr.ts FOLD_SEED), so the figures compare fold for fold. */
const FOLD_SEED = 42;
const DEPTH = 100;
const FEATURES = ['words', 'characters', 'dense', 'fields', 'coverage', 'fused', 'modelNumber'] as const;
/** Coordinate ascent: steps tried on each weight, rounds over all weights, and an L1 pull towards the default's weights. */
const STEPS = [-0.4, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.4];
const ROUNDS = 4;
const PULL = 0.002;
const log = (msg: string) => process.stderr.write(`[linear-ranker ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface QueryRows {
  query: string;
  ids: string[];
  rows: number[][];
  /** The default search's own order (its first 100). */
  defaultOrder: string[];
  relevance: Map<string, number>;
  judged: Set<string>;
}

function featuresOf(hits: readonly SearchHit[]): number[][] {
  const maxOf = (f: (h: SearchHit) => number | undefined) => Math.max(1e-9, ...hits.map((h) => f(h) ?? 0));
  const maxWords = maxOf((h) => h.sources.keywordScore);
  const maxChars = maxOf((h) => h.sources.characterScore);
  const maxFused = maxOf((h) => h.fusedScore);
  return hits.map((h) => [
    (h.sources.keywordScore ?? 0) / maxWords,
    (h.sources.characterScore ?? 0) / maxChars,
    h.evidence.denseSimilarity,
    h.rerankScore ?? 0,
    h.evidence.coverage,
    h.fusedScore / maxFused,
    h.sources.modelNumber ? (h.sources.modelNumber.edits === 0 ? 1 : 0.5) : 0,
  ]);
}

async function collect(set: SearchEvalSet): Promise<QueryRows[]> {
  const engine = await openEvalEngine(set);
  const out: QueryRows[] = [];
  for (const [query, judged] of judgmentsByQuery(set.judgments)) {
    const deep = await engine.search({ query, k: DEPTH, explain: false, rerankTop: DEPTH, chineseQueries: { rerankTop: DEPTH } });
    const plain = await engine.search({ query, k: DEPTH, explain: false });
    const relevance =
      set.language === 'zh' ? new Map([...judged].filter(([, r]) => r > 0)) : new Map([...judged].map(([id, r]) => [id, Math.max(0, r - 1)]));
    out.push({ query, ids: deep.hits.map((h) => h.product.id), rows: featuresOf(deep.hits), defaultOrder: plain.hits.map((h) => h.product.id), relevance, judged: new Set(judged.keys()) });
  }
  await engine.close();
  return out;
}

/** The set's headline metric of one ranked list: English nDCG@10 of the condensed list, Chinese MRR@10. */
function metric(set: SearchEvalSet, q: QueryRows, ranked: readonly string[]): number {
  if (set.language === 'zh') return reciprocalRank({ ranked, relevance: q.relevance }, 10);
  return ndcgAtK({ ranked: ranked.filter((id) => q.judged.has(id)), relevance: q.relevance }, NDCG_K);
}

function order(q: QueryRows, w: readonly number[]): string[] {
  const scored = q.rows.map((r, i) => ({ id: q.ids[i]!, s: r.reduce((a, x, j) => a + x * w[j]!, 0) }));
  return scored.sort((a, b) => b.s - a.s || a.id.localeCompare(b.id)).map((x) => x.id);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function fit(set: SearchEvalSet, train: readonly QueryRows[], start: readonly number[]): number[] {
  const objective = (w: readonly number[]) => mean(train.map((q) => metric(set, q, order(q, w)))) - PULL * w.reduce((a, x, j) => a + Math.abs(x - start[j]!), 0);
  let w = [...start];
  let best = objective(w);
  for (let round = 0; round < ROUNDS; round++) {
    let moved = false;
    for (let j = 0; j < w.length; j++) {
      for (const step of STEPS) {
        const candidate = [...w];
        candidate[j] = candidate[j]! + step;
        const value = objective(candidate);
        if (value > best + 1e-6) {
          best = value;
          w = candidate;
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return w;
}

const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
const pct = (v: number) => (100 * v).toFixed(1);
const sections: string[] = [];
for (const load of [
  ...(args.only === 'zh' ? [] : [() => loadCrowdflower(join(DIR, 'crowdflower'))]),
  ...(args.only === 'en' ? [] : [async () => loadMultiCprMini(join(DIR, 'multicpr-ecom-mini'))]),
]) {
  const set = await load();
  const queries = await collect(set);
  log(`${set.name}: ${queries.length} queries collected`);
  // The default's formula over the same signals: (1 − first − coverage) × fields + first × fused + coverage × coverage.
  const [first, coverage] = set.language === 'zh' ? [0.5, 0.5] : [0.2, 0.55];
  const start = [0, 0, 0, 1 - first - coverage, coverage, first, 0];
  const folds = queryFolds(queries.map((q) => q.query), FOLDS, FOLD_SEED);
  const heldOut = new Map<string, number>();
  const rows: (string | number)[][] = [];
  for (let f = 0; f < FOLDS; f++) {
    const train = queries.filter((q) => folds.get(q.query) !== f);
    const test = queries.filter((q) => folds.get(q.query) === f);
    const w = fit(set, train, start);
    for (const q of test) heldOut.set(q.query, metric(set, q, order(q, w)));
    rows.push([f + 1, w.map((x, j) => `${FEATURES[j]} ${x.toFixed(2)}`).join(', '), pct(mean(train.map((q) => metric(set, q, order(q, w))))), pct(mean(test.map((q) => heldOut.get(q.query)!)))]);
  }
  const all = fit(set, queries, start);
  const what = set.language === 'zh' ? 'MRR@10' : 'nDCG@10 (condensed)';
  const summary: (string | number)[][] = [
    ['default search', pct(mean(queries.map((q) => metric(set, q, q.defaultOrder))))],
    ["default's formula over its first 100 (rerankTop 100)", pct(mean(queries.map((q) => metric(set, q, order(q, start)))))],
    ['linear ranker, coordinate ascent, 5-fold CV by query (held-out folds)', pct(mean([...heldOut.values()]))],
    ['linear ranker fitted on all dev queries (not a held-out figure)', pct(mean(queries.map((q) => metric(set, q, order(q, all)))))],
  ];
  sections.push(
    `## ${set.name} (${queries.length} dev queries; ${what})\n\n` +
      markdownTable(['system', what], summary, ['l', 'r']) +
      '\n\n' +
      markdownTable(['fold', 'weights fitted on the other folds', 'other folds', 'held-out fold'], rows, ['r', 'l', 'r', 'r']),
  );
}
process.stdout.write(
  `# Linear ranker over the default's signals (\`node --import tsx scripts/eval-linear-ranker.ts\`)\n\nCommit ${git('rev-parse --short HEAD')}, ${new Date().toISOString().slice(0, 10)}. ` +
    `${FOLDS} folds by query (seed ${FOLD_SEED}, eval:ltr's folds); coordinate ascent, ${ROUNDS} rounds, steps ${STEPS.join(' ')}, L1 pull ${PULL} towards the default's weights. Dev queries only; figures ×100.\n\n` +
    sections.join('\n\n') +
    '\n',
);
