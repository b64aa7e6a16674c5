/**
 * The search relevance evaluation behind `npm run eval:search`, as functions another script can call
 * (per cross-validation fold, with a learned ranker…): load a set, ingest its products into a
 * throw-away engine, rank each query with a system, and score the rankings against the judgments.
 *
 * Protocol (../shared/README.md): English (CrowdFlower) — nDCG@10 with gain 2^(relevance−1) − 1, over
 * the whole corpus with unjudged products left out of the ranked list ("condensed"), and over each
 * query's judged products alone ("rerank"); MRR and Recall@10 of products rated ≥ 3 on the condensed
 * list. Chinese (Multi-CPR mini) — MRR@10 and Recall@1 over the whole corpus (every title but the
 * annotated one is irrelevant by construction).
 */
import { join } from 'node:path';
import type { Product } from '../src/catalog/product.ts';
import {
  judgmentsByQuery,
  judgmentsFromQrels,
  readRelevanceJudgments,
  readTrecQrels,
  readTsvCorpus,
  readTsvQueries,
  type RelevanceJudgment,
} from '../src/catalog/judgments.ts';
import { readCatalog } from '../src/catalog/read-catalog.ts';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { ndcgAtK, recallAtK, reciprocalRank } from '../src/learning/metrics.ts';
import { seededRandom } from '../src/random.ts';
import type { SearchHit, SearchOptions } from '../src/tasks/search.ts';

export type SetLanguage = 'en' | 'zh';

export interface SearchEvalSet {
  name: string;
  language: SetLanguage;
  products: Product[];
  judgments: RelevanceJudgment[];
}

/** Relevance at or above which a CrowdFlower product counts as relevant for MRR and Recall (1 … 4 scale). */
export const RELEVANT_AT = 3;
export const NDCG_K = 10;
/** How deep the condensed list is read: the search's k when ranking the whole corpus. */
export const FULL_CORPUS_DEPTH = 100;
/** Candidates per retriever when ordering a query's judged products (deep enough to reach nearly all of them). */
export const RERANK_DEPTH = 1000;

export async function loadCrowdflower(dir: string): Promise<SearchEvalSet> {
  const products: Product[] = [];
  for await (const entry of readCatalog(join(dir, 'products.csv'))) if (entry.kind === 'product') products.push(entry.product);
  return { name: 'crowdflower', language: 'en', products, judgments: readRelevanceJudgments(join(dir, 'judgments-dev.csv')) };
}

export function loadMultiCprMini(dir: string): SearchEvalSet {
  const products = readTsvCorpus(join(dir, 'corpus.tsv')).map((d): Product => ({ id: d.id, title: d.title, tags: [], images: [], attributes: {} }));
  const judgments = judgmentsFromQrels(readTsvQueries(join(dir, 'queries-dev.tsv')), readTrecQrels(join(dir, 'qrels-dev.tsv')));
  return { name: 'multicpr-ecom-mini', language: 'zh', products, judgments };
}

/**
 * An engine (no images) holding the set's products, indexes built: a throw-away in-memory store, or
 * the empty store given (a PostgreSQL URL, to compare backends).
 */
export async function openEvalEngine(set: SearchEvalSet, store = ':memory:'): Promise<Engine> {
  const engine = await createEngine({ store, images: false });
  if ((await engine.store.count()) > 0) {
    await engine.close();
    throw new Error(`eval:search needs an empty store: ${store} holds products already`);
  }
  await engine.upsertProducts(set.products);
  await engine.search({ query: set.language === 'zh' ? '测试' : 'test', k: 1 }); // opens the lazy indexes before timing
  return engine;
}

/** A way of ranking products for a query: the whole corpus (`full`), or only the given judged products (`rerank`). */
export interface RankingSystem {
  name: string;
  rank(query: string, mode: 'full' | 'rerank', judged: ReadonlySet<string>): Promise<string[]>;
}

/** Which retriever's hits a single-retriever system keeps (the fused list also holds the others' hits at score 0). */
export type RetrieverOnly = 'keyword' | 'characters' | 'dense';

/**
 * A configuration of prodsim search as a ranking system. `options` may carry keys a later search
 * version reads (a learned ranker file…): they are passed through to `engine.search`.
 */
export function engineSystem(engine: Engine, name: string, options: Partial<SearchOptions> & Record<string, unknown>, only?: RetrieverOnly): RankingSystem {
  const keep = (h: SearchHit) =>
    only === 'keyword' ? h.sources.keywordRank !== undefined : only === 'characters' ? h.sources.characterRank !== undefined : only === 'dense' ? h.sources.denseRank !== undefined : true;
  return {
    name,
    async rank(query, mode, judged) {
      const depth = mode === 'full' ? FULL_CORPUS_DEPTH : RERANK_DEPTH;
      const candidates = Math.max(options.candidates ?? 0, mode === 'full' ? 0 : RERANK_DEPTH);
      const result = await engine.search({ explain: false, ...options, query, k: depth, ...(candidates > 0 ? { candidates } : {}) });
      const ids = result.hits.filter(keep).map((h) => h.product.id);
      if (mode === 'full') return ids;
      // Judged products the search did not reach come last, in id order (a tie).
      const found = ids.filter((id) => judged.has(id));
      const seen = new Set(found);
      return [...found, ...[...judged].filter((id) => !seen.has(id)).sort()];
    },
  };
}

/** Products in a random order (seeded): the floor below which a ranking is worse than none. */
export function randomSystem(products: readonly Product[], seed = 7): RankingSystem {
  const all = products.map((p) => p.id).sort();
  return {
    name: 'random',
    async rank(_query, mode, judged) {
      const random = seededRandom(seed);
      const ids = mode === 'full' ? [...all] : [...judged].sort();
      for (let i = ids.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      }
      return ids;
    },
  };
}

// ------------------------------------------------------------- a plain BM25 floor

/** BM25 parameters of the floor (the usual Robertson / Lucene values). */
export const FLOOR_BM25 = { k1: 1.2, b: 0.75 } as const;
/** The English floor weighs the title twice against the description (title ×2 + description). */
export const FLOOR_TITLE_WEIGHT = 2;

/** Lower-cased runs of letters and digits. */
export function wordTerms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Character unigrams and bigrams of each run of letters and digits (lower case): the Chinese floor. */
export function characterUniBigrams(text: string): string[] {
  const out: string[] = [];
  for (const run of wordTerms(text)) {
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      out.push(chars[i]!);
      if (i + 1 < chars.length) out.push(chars[i]! + chars[i + 1]!);
    }
  }
  return out;
}

/** A plain BM25 over the products' terms, scoring every product holding a query term. */
export function bm25FloorSystem(products: readonly Product[], language: SetLanguage): RankingSystem {
  const termsOf = language === 'zh' ? characterUniBigrams : wordTerms;
  const docs = products.map((p) => {
    const tf = new Map<string, number>();
    const add = (terms: string[], w: number) => terms.forEach((t) => tf.set(t, (tf.get(t) ?? 0) + w));
    add(termsOf(p.title), language === 'zh' ? 1 : FLOOR_TITLE_WEIGHT);
    if (p.description) add(termsOf(p.description), 1);
    let length = 0;
    for (const v of tf.values()) length += v;
    return { id: p.id, tf, length };
  });
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length);
  const postings = new Map<string, number[]>();
  docs.forEach((d, i) => {
    for (const t of d.tf.keys()) {
      let list = postings.get(t);
      if (!list) postings.set(t, (list = []));
      list.push(i);
    }
  });
  const n = docs.length;
  const score = (query: string): Map<number, number> => {
    const scores = new Map<number, number>();
    for (const t of new Set(termsOf(query))) {
      const list = postings.get(t);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const i of list) {
        const d = docs[i]!;
        const f = d.tf.get(t)!;
        const s = (idf * f * (FLOOR_BM25.k1 + 1)) / (f + FLOOR_BM25.k1 * (1 - FLOOR_BM25.b + (FLOOR_BM25.b * d.length) / avgdl));
        scores.set(i, (scores.get(i) ?? 0) + s);
      }
    }
    return scores;
  };
  return {
    name: language === 'zh' ? 'BM25 floor (character unigrams + bigrams)' : 'BM25 floor (title ×2 + description)',
    async rank(query, mode, judged) {
      const scores = score(query);
      const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i]) => docs[i]!.id);
      if (mode === 'full') return ranked;
      const found = ranked.filter((id) => judged.has(id));
      const seen = new Set(found);
      return [...found, ...[...judged].filter((id) => !seen.has(id)).sort()];
    },
  };
}

// ------------------------------------------------------------- scoring

export interface QueryOutcome {
  query: string;
  /** nDCG@10 on the condensed whole-corpus list (English) or the whole corpus (Chinese). */
  ndcgFull: number;
  /** nDCG@10 reranking the query's judged products (English only; NaN for Chinese). */
  ndcgRerank: number;
  /** Reciprocal rank of the first relevant product (English: whole condensed list; Chinese: within 10). */
  rr: number;
  /** Recall@10 of relevant products (English, condensed list) — Chinese: Recall@1. */
  recall: number;
  milliseconds: number;
}

export interface SearchEvalResult {
  system: string;
  set: string;
  queries: number;
  ndcgFull: number;
  ndcgRerank: number;
  /** English: MRR; Chinese: MRR@10. */
  mrr: number;
  /** English: Recall@10 of products rated ≥ 3; Chinese: Recall@1. */
  recall: number;
  latencyMs: { p50: number; p95: number; mean: number };
  perQuery: QueryOutcome[];
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/**
 * Runs `system` on the set's queries (all, or the `queries` given: one cross-validation fold) and
 * scores its rankings. Latency is the whole-corpus ranking's wall time per query.
 */
export async function evaluateSearchSystem(
  system: RankingSystem,
  set: SearchEvalSet,
  queries?: readonly string[],
  { rerankProtocol = true }: { rerankProtocol?: boolean } = {},
): Promise<SearchEvalResult> {
  const byQuery = judgmentsByQuery(set.judgments);
  const asked = queries ?? [...byQuery.keys()];
  const perQuery: QueryOutcome[] = [];
  for (const query of asked) {
    const judged = byQuery.get(query);
    if (!judged) continue;
    const judgedIds = new Set(judged.keys());
    const started = performance.now();
    const full = await system.rank(query, 'full', judgedIds);
    const milliseconds = performance.now() - started;
    if (set.language === 'zh') {
      const relevance = new Map([...judged].filter(([, r]) => r > 0));
      perQuery.push({ query, ndcgFull: ndcgAtK({ ranked: full, relevance }, NDCG_K), ndcgRerank: Number.NaN, rr: reciprocalRank({ ranked: full, relevance }, 10), recall: recallAtK({ ranked: full, relevance }, 1), milliseconds });
      continue;
    }
    // Gain 2^(relevance − 1) − 1: ndcgAtK's gain is 2^rel − 1, so it is given relevance − 1.
    const gains = new Map([...judged].map(([id, r]) => [id, Math.max(0, r - 1)]));
    const relevant = new Map([...judged].filter(([, r]) => r >= RELEVANT_AT).map(([id]) => [id, 1]));
    const condensed = full.filter((id) => judgedIds.has(id));
    // Skipped when tuning (it reads 1,000 candidates a query): NaN.
    const reranked = rerankProtocol ? await system.rank(query, 'rerank', judgedIds) : undefined;
    perQuery.push({
      query,
      ndcgFull: ndcgAtK({ ranked: condensed, relevance: gains }, NDCG_K),
      ndcgRerank: reranked ? ndcgAtK({ ranked: reranked, relevance: gains }, NDCG_K) : Number.NaN,
      rr: reciprocalRank({ ranked: condensed, relevance: relevant }),
      recall: recallAtK({ ranked: condensed, relevance: relevant }, 10),
      milliseconds,
    });
  }
  const times = perQuery.map((q) => q.milliseconds);
  // Queries without a product rated ≥ 3 have no MRR or recall (evaluateRankings skips them alike).
  const withRelevant = perQuery.filter((q) => set.language === 'zh' || [...byQuery.get(q.query)!.values()].some((r) => r >= RELEVANT_AT));
  return {
    system: system.name,
    set: set.name,
    queries: perQuery.length,
    ndcgFull: mean(perQuery.map((q) => q.ndcgFull)),
    ndcgRerank: mean(perQuery.map((q) => q.ndcgRerank)),
    mrr: mean(withRelevant.map((q) => q.rr)),
    recall: mean(withRelevant.map((q) => q.recall)),
    latencyMs: { p50: quantile(times, 0.5), p95: quantile(times, 0.95), mean: mean(times) },
    perQuery,
  };
}
