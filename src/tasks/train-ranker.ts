/**
 * Learning a search ranker from graded judgments `(query, productId, relevance)` over the stored
 * catalog: each judged pair becomes a feature row (ranker-features.ts) labelled relevance − the
 * irrelevant grade; queries judged at one grade only (TREC qrels that list the relevant product
 * alone) get the search's own unjudged candidates as irrelevant examples, so they have something
 * to be ranked against. Then LambdaMART (learning/ranker.ts).
 */
import { judgmentsFromQrels, readRelevanceJudgments, readTrecQrels, readTsvQueries, type RelevanceJudgment } from '../catalog/judgments.ts';
import { createError, rejectUnknownKeys } from '../errors.ts';
import { fitRanker, type RankerModel, type RankerOptions, type RankingExample } from '../learning/ranker.ts';
import type { RankingCorpusStatistics } from '../learning/query-features.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import type { CatalogIndex } from './catalog-index.ts';
import { averageTokensOf, rankingFeatures, rankingQuery } from './ranker-features.ts';
import { searchProducts } from './search.ts';

/**
 * Judgments from a file: a `query,product_id,relevance` CSV, or TREC qrels (`qid 0 docid rel`)
 * when the queries TSV (`qid<TAB>query`) is given.
 */
export function readJudgmentFile(file: string, queriesFile?: string): RelevanceJudgment[] {
  return queriesFile === undefined ? readRelevanceJudgments(file) : judgmentsFromQrels(readTsvQueries(queriesFile), readTrecQrels(file));
}

export interface RankingExamplesOptions {
  /** The grade meaning "irrelevant" (CrowdFlower: 1; TREC qrels: 0); labels are relevance minus it, floored at 0. */
  irrelevantGrade: number;
  /**
   * Unjudged search candidates taken as irrelevant per query: a number for every query, or `auto`
   * (`AUTO_NEGATIVES` for queries whose judgments are all one grade, none otherwise).
   */
  negatives: number | 'auto';
  onProgress: ((done: number, total: number) => void) | undefined;
}

export const AUTO_NEGATIVES = 30;

export const DEFAULT_RANKING_EXAMPLES_OPTIONS = {
  irrelevantGrade: 0,
  negatives: 'auto',
  onProgress: undefined,
} as const satisfies RankingExamplesOptions;

export interface RankingExamples {
  examples: RankingExample[];
  averageTokens: RankingCorpusStatistics['averageTokens'];
  /** Judged product ids not in the store (their judgments are skipped). */
  unknownProducts: string[];
  negatives: number;
}

function groupByQuery(judgments: readonly RelevanceJudgment[]): Map<string, RelevanceJudgment[]> {
  const byQuery = new Map<string, RelevanceJudgment[]>();
  for (const j of judgments) {
    if (!Number.isFinite(j.relevance)) throw createError('INVALID_ARGUMENT', `judgment (${j.query}, ${j.productId}): relevance is not a number`, { field: 'relevance' });
    let list = byQuery.get(j.query);
    if (!list) byQuery.set(j.query, (list = []));
    list.push(j);
  }
  return byQuery;
}

/** Feature rows of judged pairs (and assumed-irrelevant candidates), grouped by query. */
export async function rankingExamples(index: CatalogIndex, judgments: readonly RelevanceJudgment[], options: Partial<RankingExamplesOptions> = {}): Promise<RankingExamples> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_RANKING_EXAMPLES_OPTIONS), 'rankingExamples');
  const opts: RankingExamplesOptions = { ...DEFAULT_RANKING_EXAMPLES_OPTIONS, ...options };
  const byQuery = groupByQuery(judgments);
  const unknown = new Set<string>();
  const perQuery: { query: string; ids: string[]; labels: number[]; reps: ProductRepresentation[] }[] = [];
  let negatives = 0;
  let done = 0;
  for (const [query, list] of byQuery) {
    const labelOf = new Map<string, number>();
    for (const j of list) labelOf.set(j.productId, Math.max(0, j.relevance - opts.irrelevantGrade));
    const wanted = opts.negatives === 'auto' ? (new Set(labelOf.values()).size <= 1 ? AUTO_NEGATIVES : 0) : opts.negatives;
    if (wanted > 0) {
      const result = await searchProducts(index, { query, k: wanted + labelOf.size, explain: false });
      let added = 0;
      for (const hit of result.hits) {
        if (added >= wanted) break;
        if (labelOf.has(hit.product.id)) continue;
        labelOf.set(hit.product.id, 0);
        added++;
      }
      negatives += added;
    }
    const ids = [...labelOf.keys()];
    const reps = await index.representIds(ids);
    const kept = { query, ids: [] as string[], labels: [] as number[], reps: [] as ProductRepresentation[] };
    ids.forEach((id, i) => {
      const rep = reps[i];
      if (!rep) return void unknown.add(id);
      kept.ids.push(id);
      kept.labels.push(labelOf.get(id)!);
      kept.reps.push(rep);
    });
    if (kept.ids.length > 0) perQuery.push(kept);
    opts.onProgress?.(++done, byQuery.size);
  }
  const averageTokens = averageTokensOf(perQuery.flatMap((q) => q.reps));
  const examples: RankingExample[] = [];
  for (const q of perQuery) {
    const rows = await rankingFeatures(index, await rankingQuery(index, q.query), q.reps, averageTokens);
    rows.forEach((features, i) => examples.push({ query: q.query, productId: q.ids[i]!, label: q.labels[i]!, features }));
  }
  return { examples, averageTokens, unknownProducts: [...unknown].sort(), negatives };
}

export interface TrainRankerOptions extends RankingExamplesOptions {
  ranker: Partial<RankerOptions>;
  onTree: ((done: number, total: number) => void) | undefined;
}

export interface TrainRankerResult {
  model: RankerModel;
  summary: {
    queries: number;
    judgments: number;
    examples: number;
    negatives: number;
    unknownProducts: string[];
    training: RankerModel['training'];
    /** Summed split gain per feature, largest first: what the trees relied on. */
    importance: { feature: string; gain: number }[];
  };
}

export async function trainRanker(index: CatalogIndex, judgments: readonly RelevanceJudgment[], options: Partial<TrainRankerOptions> = {}): Promise<TrainRankerResult> {
  const { ranker = {}, onTree, ...exampleOptions } = options;
  const built = await rankingExamples(index, judgments, exampleOptions);
  if (built.examples.length === 0) {
    throw createError('INVALID_ARGUMENT', `train ranker: none of the ${judgments.length} judged products is in the store (ingest the catalog first)`, { field: 'judgments' });
  }
  const model = fitRanker(built.examples, { averageTokens: built.averageTokens, irrelevantGrade: exampleOptions.irrelevantGrade ?? DEFAULT_RANKING_EXAMPLES_OPTIONS.irrelevantGrade }, ranker, onTree);
  const importance = model.featureNames.map((feature, j) => ({ feature, gain: model.gbdt.importance[j] ?? 0 })).sort((a, b) => b.gain - a.gain);
  return {
    model,
    summary: {
      queries: model.training.queries,
      judgments: judgments.length,
      examples: built.examples.length,
      negatives: built.negatives,
      unknownProducts: built.unknownProducts,
      training: model.training,
      importance,
    },
  };
}
