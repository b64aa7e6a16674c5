/**
 * Hybrid product search: BM25 over pre-segmented text, dense retrieval in the text space, and a
 * model-number lookup that tolerates one typo; fused by reciprocal rank fusion (or weights), then
 * optionally reranked (field-wise by the similarity core, or by a cross-encoder when configured).
 * Final scores are also given as a softmax over the returned candidates.
 */
import type { Product } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import { changeLogPosition, changesAfter, type ChangeLogPosition } from '../store/store.ts';
import { explanationToJSON, type ExplanationJSON } from '../similarity/explain.ts';
import { compareProducts, profileFromWeights, type SimilarityResult } from '../similarity/fusion.ts';
import { representProduct } from '../similarity/representation.ts';
import type { CatalogIndex } from './catalog-index.ts';
import { buildModelNumberLookup, type ModelNumberLookup } from './model-number-lookup.ts';
import { matchesFilter, validateFilter, type ProductFilter } from './product-filter.ts';
import { summarizeProduct, type ProductSummary } from './result-item.ts';
import { createStageTimer, type StageTimings } from './stage-timer.ts';

/** Scores (query, text) pairs; a cross-encoder from the transformer encoders fits this. */
export interface PairScorer {
  readonly id: string;
  score(query: string, texts: readonly string[]): Promise<number[]>;
}

export type SearchFusion = 'rrf' | 'weighted';
export type SearchRerank = 'none' | 'fields' | 'cross-encoder';

export interface SearchOptions {
  query: string;
  k: number;
  filter: ProductFilter;
  fusion: SearchFusion;
  /** RRF constant (Cormack et al. 2009 use 60). */
  rrfK: number;
  /** Weights of each retriever, for both fusions (RRF multiplies each 1/(k + rank) by it). */
  weights: { keyword: number; dense: number; modelNumber: number };
  /** Candidates each retriever contributes. */
  candidates: number;
  rerank: SearchRerank;
  /** How many fused candidates are reranked. */
  rerankTop: number;
  /** Softmax temperature over final scores: lower is peakier. */
  temperature: number;
  explain: boolean;
  /** Return milliseconds per stage (`timings`). */
  timings: boolean;
}

export const DEFAULT_SEARCH_OPTIONS = {
  k: 10,
  filter: {},
  fusion: 'rrf',
  rrfK: 60,
  weights: { keyword: 1, dense: 1, modelNumber: 2 },
  candidates: 50,
  rerank: 'fields',
  rerankTop: 30,
  temperature: 0.1,
  explain: true,
  timings: false,
} as const satisfies Omit<SearchOptions, 'query'>;

/**
 * The field-wise reranker's profile: what a query can say about a product is its words, their
 * meaning, its model numbers and quantities (brand and category are words of the query too).
 */
export const QUERY_RERANK_PROFILE = profileFromWeights(
  'query',
  { titleDense: 0.35, titleLexical: 0.35, modelNumber: 0.2, quantities: 0.1 },
  { description: 'query ↔ product: title meaning and words, model numbers, quantities', source: 'built-in' },
);

/** Weight of the first-stage fused score kept beside the reranker's score (ties and recall). */
export const RERANK_FIRST_STAGE_WEIGHT = 0.2;

export interface SearchHit {
  product: ProductSummary;
  score: number;
  /** Softmax of `score` over the returned hits. */
  probability: number;
  sources: { keywordRank?: number; keywordScore?: number; denseRank?: number; denseSimilarity?: number; modelNumber?: { code: string; edits: number } };
  fusedScore: number;
  rerankScore?: number;
  explanation?: ExplanationJSON;
}

export interface SearchResult {
  query: string;
  analyzed: { tokens: string[]; modelNumbers: string[] };
  fusion: SearchFusion;
  rerank: SearchRerank;
  hits: SearchHit[];
  candidates: { keyword: number; dense: number; modelNumber: number; fused: number };
  /** Milliseconds per stage, when asked for (`timings: true`). */
  timings?: StageTimings;
}

const lookups = new WeakMap<CatalogIndex, { revision: string; position: ChangeLogPosition; lookup: ModelNumberLookup }>();

/**
 * The catalog's model-number lookup, kept current with the store: when its products change (the
 * revision moves) the lookup takes the change log's products again; it is rebuilt (one read of
 * every product's model numbers) only when the log does not reach back.
 */
async function modelNumberLookup(index: CatalogIndex): Promise<ModelNumberLookup> {
  const store = index.store;
  const revision = await store.revision();
  const cached = lookups.get(index);
  if (cached && cached.revision === revision) return cached.lookup;
  return store.transaction(async () => {
    const position = await changeLogPosition(store);
    const changes = await changesAfter(store, cached?.position);
    let lookup: ModelNumberLookup;
    if (cached && changes) {
      const keys = [...new Set(changes.map((c) => c.key))];
      const current = new Map((await store.modelNumbersOf(keys)).map((p) => [p.key, p]));
      // A deleted product's key is gone from the store: its codes are removed.
      cached.lookup.update(keys.map((key) => current.get(key) ?? { key, id: '', modelNumbers: [] }));
      lookup = cached.lookup;
    } else lookup = await buildModelNumberLookup(store);
    lookups.set(index, { revision, position, lookup });
    return lookup;
  });
}

export function softmax(scores: readonly number[], temperature: number): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp((s - max) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export async function searchProducts(
  index: CatalogIndex,
  options: Pick<SearchOptions, 'query'> & Partial<SearchOptions>,
  crossEncoder?: PairScorer,
): Promise<SearchResult> {
  const opts: SearchOptions = { ...DEFAULT_SEARCH_OPTIONS, ...options, weights: { ...DEFAULT_SEARCH_OPTIONS.weights, ...options.weights } };
  validateFilter(opts.filter);
  if (opts.query.trim().length === 0) throw createError('INVALID_ARGUMENT', 'search query is empty', { field: 'query' });
  if (opts.rerank === 'cross-encoder' && !crossEncoder) {
    throw createError('ENCODER_UNAVAILABLE', 'rerank "cross-encoder" needs a cross-encoder model (configure crossEncoder)', { field: 'rerank' });
  }
  const timer = createStageTimer(opts.timings);
  const analyzed = index.analyzer.analyze(opts.query);
  timer.lap('analyze query');
  const keyword = await index.keyword(analyzed.tokens, opts.candidates, opts.filter);
  timer.lap('retrieve keyword');
  const queryVector = await index.encodeText(opts.query);
  timer.lap('encode query');
  const dense = await index.nearest(queryVector, opts.candidates, { filter: opts.filter });
  timer.lap('retrieve dense');
  const codeLookup = analyzed.modelNumbers.length > 0 ? await modelNumberLookup(index) : undefined;
  const codeHits = analyzed.modelNumbers.flatMap((code) => codeLookup!.find(code));
  timer.lap('model numbers');

  // The retrievers' hits carry the store key, by which the reranker reads candidates (a model-number hit has none).
  const fused = new Map<string, { score: number; sources: SearchHit['sources']; key?: number }>();
  const entry = (id: string, key?: number) => {
    let e = fused.get(id);
    if (!e) fused.set(id, (e = { score: 0, sources: {} }));
    if (key !== undefined) e.key = key;
    return e;
  };
  const maxBm25 = Math.max(1e-9, ...keyword.map((h) => h.score));
  keyword.forEach((h, rank) => {
    const e = entry(h.id, h.key);
    e.sources.keywordRank = rank + 1;
    e.sources.keywordScore = h.score;
    e.score += opts.fusion === 'rrf' ? opts.weights.keyword / (opts.rrfK + rank + 1) : (opts.weights.keyword * h.score) / maxBm25;
  });
  dense.forEach((h, rank) => {
    const e = entry(h.id, h.key);
    e.sources.denseRank = rank + 1;
    e.sources.denseSimilarity = h.similarity;
    e.score += opts.fusion === 'rrf' ? opts.weights.dense / (opts.rrfK + rank + 1) : opts.weights.dense * Math.max(0, h.similarity);
  });
  const products = new Map<string, Product>();
  /** Reads the products of these ids not read yet, in one store read. */
  const readProducts = async (ids: readonly string[]) => {
    const unread = ids.filter((id) => !products.has(id));
    if (unread.length > 0) for (const stored of await index.store.getProducts(unread)) products.set(stored.product.id, stored.product);
  };
  const productOf = (id: string) => products.get(id);
  await readProducts(codeHits.map((hit) => hit.id));
  for (const hit of codeHits) {
    const p = productOf(hit.id);
    if (!p || !matchesFilter(p, opts.filter)) continue;
    const e = entry(hit.id);
    if (e.sources.modelNumber && e.sources.modelNumber.edits <= hit.edits) continue;
    // An exact code counts as a first rank; a one-edit code as a second.
    e.sources.modelNumber = { code: hit.code, edits: hit.edits };
    e.score += opts.fusion === 'rrf' ? opts.weights.modelNumber / (opts.rrfK + 1 + hit.edits) : opts.weights.modelNumber * (hit.edits === 0 ? 1 : 0.5);
  }

  let ranked = [...fused.entries()]
    .map(([id, e]) => ({ id, key: e.key, fusedScore: e.score, sources: e.sources, score: e.score, rerankScore: undefined as number | undefined, similarity: undefined as SimilarityResult | undefined }))
    .sort((a, b) => b.fusedScore - a.fusedScore || a.id.localeCompare(b.id));

  timer.lap('fuse');
  if (opts.rerank !== 'none' && ranked.length > 0) {
    const top = ranked.slice(0, opts.rerankTop);
    const maxFused = top[0]!.fusedScore || 1;
    let rerankScores: number[];
    if (opts.rerank === 'cross-encoder') {
      await readProducts(top.map((c) => c.id));
      rerankScores = await crossEncoder!.score(opts.query, top.map((c) => productOf(c.id)?.title ?? ''));
    } else {
      // The query's analysis above is the query product's title analysis.
      const queryRep = representProduct({ id: '<query>', title: opts.query, tags: [], images: [], attributes: {} }, index.analyzer, {
        text: { title: analyzed },
        dense: { title: queryVector },
      });
      const reps = await index.representHits(top);
      rerankScores = top.map((c, i) => {
        const rep = reps[i];
        if (!rep) return 0;
        products.set(c.id, rep.product);
        const result = compareProducts(queryRep, rep, { profile: QUERY_RERANK_PROFILE });
        // Explained below, for the hits returned only.
        c.similarity = result;
        return result.score ?? 0;
      });
    }
    top.forEach((c, i) => {
      c.rerankScore = rerankScores[i]!;
      c.score = (1 - RERANK_FIRST_STAGE_WEIGHT) * c.rerankScore + RERANK_FIRST_STAGE_WEIGHT * (c.fusedScore / maxFused);
    });
    top.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    ranked = [...top, ...ranked.slice(opts.rerankTop)];
  }

  timer.lap('rerank');
  // The products of the first k in one store read (productOf would read them one by one).
  await readProducts(ranked.slice(0, opts.k).map((c) => c.id));
  const kept = ranked.slice(0, opts.k).filter((c) => productOf(c.id) !== undefined);
  const probabilities = softmax(kept.map((c) => c.score), opts.temperature);
  const hits = kept.map((c, i) => ({
    product: summarizeProduct(productOf(c.id)!),
    score: c.score,
    probability: probabilities[i]!,
    sources: c.sources,
    fusedScore: c.fusedScore,
    ...(c.rerankScore !== undefined ? { rerankScore: c.rerankScore } : {}),
    ...(opts.explain && c.similarity ? { explanation: explanationToJSON(c.similarity) } : {}),
  }));
  timer.lap('results');
  const timings = timer.result();
  return {
    query: opts.query,
    analyzed: { tokens: analyzed.tokens, modelNumbers: analyzed.modelNumbers },
    fusion: opts.fusion,
    rerank: opts.rerank,
    hits,
    candidates: { keyword: keyword.length, dense: dense.length, modelNumber: codeHits.length, fused: fused.size },
    ...(timings ? { timings } : {}),
  };
}
