/**
 * Hybrid product search: BM25 over pre-segmented text, dense retrieval in the text space, and a
 * model-number lookup that tolerates one typo; fused by reciprocal rank fusion (or weights), then
 * optionally reranked (field-wise by the similarity core, or by a cross-encoder when configured).
 * Final scores are also given as a softmax over the returned candidates.
 */
import type { Product } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import { changeLogPosition, changesAfter, type ChangeLogPosition, type KeywordHit } from '../store/store.ts';
import { explanationToJSON, type ExplanationJSON } from '../similarity/explain.ts';
import { compareProducts, type SimilarityResult } from '../similarity/fusion.ts';
import { QUERY_RERANK_PROFILE } from './query-rerank-profile.ts';
import { representProduct, type ProductRepresentation } from '../similarity/representation.ts';
import { explainRanker, rankerScore, type RankerExplanation, type RankerModel } from '../learning/ranker.ts';
import { rankingFeatures, rankingQuery, resolveRanker } from './ranker-features.ts';
import type { CatalogIndex, NeighbourHit } from './catalog-index.ts';
import { buildModelNumberLookup, type ModelNumberHit, type ModelNumberLookup } from './model-number-lookup.ts';
import { matchesFilter, validateFilter, type ProductFilter } from './product-filter.ts';
import { DEFAULT_K, summarizeProduct, type ProductSummary } from './result-item.ts';
import { createStageTimer, type StageTimer, type StageTimings } from './stage-timer.ts';
import { calibratedRelevance, coverageQuery, NO_GOOD_MATCH_BELOW, productEvidenceText, queryCoverage, type CoverageQuery, type RelevanceEvidence } from './search-relevance.ts';
import { cosineSimilarity } from '../encoders/encoder.ts';
import type { AnalyzedText } from '../text/analyzer.ts';
import { hasHanToken } from '../text/han-ngrams.ts';
import { applySplits, splitRunTogetherWords, type RunTogetherSplit } from './query-rewrite.ts';
import { classifyRelevance, type RelevanceCheck, type RelevanceClass } from './relevance-class.ts';

/** Scores (query, text) pairs; a cross-encoder from the transformer encoders fits this. */
export interface PairScorer {
  readonly id: string;
  score(query: string, texts: readonly string[]): Promise<number[]>;
}

export type SearchFusion = 'rrf' | 'weighted';
/** `ranker`: a learned ranker (`ranker` option) reranked the candidates; it replaces the chosen rerank. */
export type SearchRerank = 'none' | 'fields' | 'cross-encoder' | 'ranker';

export interface SearchOptions {
  query: string;
  k: number;
  filter: ProductFilter;
  fusion: SearchFusion;
  /** RRF constant (Cormack et al. 2009 use 60). */
  rrfK: number;
  /** Weights of each retriever, for both fusions (RRF multiplies each 1/(k + rank) by it). */
  weights: { keyword: number; characters: number; dense: number; modelNumber: number };
  /** Candidates each retriever contributes. */
  candidates: number;
  rerank: SearchRerank;
  /** How many fused candidates are reranked. */
  rerankTop: number;
  /**
   * Weight of the query's coverage by the product's words (`queryCoverage`) in the reranked score,
   * beside the reranker's score and the first stage's (`rerankFirstStageWeight`).
   */
  rerankCoverageWeight: number;
  /** Weight of the first stage's fused score (divided by the best) in the reranked score: ties and recall. */
  rerankFirstStageWeight: number;
  /**
   * Overrides for a query with Chinese words: the field reranker compares jieba words, which a short
   * query rarely shares with a title segmented in context, so Chinese queries lean on the character
   * n-grams and the query coverage (chosen apart by cross-validation: docs/benchmarks/search-tuning.md).
   */
  chineseQueries: ChineseQueryOptions;
  /** A learned ranker (a file from `prodsim train-ranker`, or the model): reranks the `rankerTop` fused candidates instead of `rerank`. */
  ranker: string | RankerModel | undefined;
  /**
   * How many fused candidates the learned ranker reorders. Deeper than `rerankTop`: on the Chinese
   * dev queries (5-fold CV) reordering every fused candidate gave MRR@10 82.2 against 79.5 for the
   * first 30 before the character n-gram retriever, the same 82.1 with it (it ranks the relevant
   * title higher); at 100k products the ranker at this depth stays under 2× the default search
   * (docs/benchmarks/learning-to-rank.md, ranker-latency.md).
   */
  rankerTop: number;
  /**
   * Split a query word no product holds into words products do (`ipadcase` → `ipad case`,
   * `splitRunTogetherWords`); queries without Chinese words only.
   */
  splitWords: boolean;
  /** Softmax temperature over final scores: lower is peakier. */
  temperature: number;
  explain: boolean;
  /** Return milliseconds per stage (`timings`). */
  timings: boolean;
}

export type ChineseQueryOptions = Partial<Pick<SearchOptions, 'fusion' | 'weights' | 'rerank' | 'rerankTop' | 'rerankCoverageWeight' | 'rerankFirstStageWeight'>>;

export const DEFAULT_SEARCH_OPTIONS = {
  k: DEFAULT_K,
  filter: {},
  // Fusion weights, candidate depth and rerank weights: chosen by 5-fold cross-validation by query on
  // the shared dev queries (docs/benchmarks/search-tuning.md; CrowdFlower for English queries,
  // Multi-CPR mini for Chinese ones).
  fusion: 'rrf',
  rrfK: 60,
  weights: { keyword: 1, characters: 1, dense: 2, modelNumber: 2 },
  candidates: 50,
  rerank: 'fields',
  rerankTop: 60,
  rerankCoverageWeight: 0.55,
  rerankFirstStageWeight: 0.2,
  // Score fusion keeps a strong character-level keyword hit ahead of weak dense neighbours (RRF gives
  // the dense side's first rank as much as the keyword side's, however far its cosine).
  chineseQueries: {
    fusion: 'weighted',
    weights: { keyword: 0, characters: 1, dense: 0.5, modelNumber: 2 },
    rerankTop: 30,
    rerankCoverageWeight: 0.5,
    rerankFirstStageWeight: 0.5,
  },
  ranker: undefined,
  rankerTop: 100,
  splitWords: true,
  temperature: 0.1,
  explain: true,
  timings: false,
} as const satisfies Omit<SearchOptions, 'query'>;

/** The field-wise reranker's profile (query-rerank-profile.ts). */
export { QUERY_RERANK_PROFILE } from './query-rerank-profile.ts';


export interface SearchHit {
  product: ProductSummary;
  score: number;
  /**
   * Calibrated probability that a shopper judges the product relevant (`search-relevance.ts`): an
   * absolute score, comparable across queries, unlike `score` and `probability`.
   */
  relevance: number;
  /** What `relevance` is computed from. */
  evidence: RelevanceEvidence;
  /**
   * The ESCI class (relevance-class.ts): the product asked for, a substitute, a complement (a case
   * for the phone asked for) or irrelevant; `relevanceCheck` says which check decided and why.
   */
  relevanceClass: RelevanceClass;
  relevanceCheck: { check: RelevanceCheck; reason: string };
  /** Softmax of `score` over the returned hits: a share among them, not a relevance (the top hit of a query nothing matches gets most of it). */
  probability: number;
  sources: { keywordRank?: number; keywordScore?: number; characterRank?: number; characterScore?: number; denseRank?: number; denseSimilarity?: number; modelNumber?: { code: string; edits: number } };
  fusedScore: number;
  rerankScore?: number;
  explanation?: ExplanationJSON;
  /** With a learned ranker and `explain`: each feature's value and path contribution; base + contributions = `rerankScore`. */
  rankerExplanation?: RankerExplanation;
}

export interface SearchResult {
  query: string;
  analyzed: { tokens: string[]; modelNumbers: string[]; splits?: RunTogetherSplit[] };
  fusion: SearchFusion;
  rerank: SearchRerank;
  hits: SearchHit[];
  /**
   * True when no hit reaches `NO_GOOD_MATCH_BELOW` calibrated relevance: the hits are the nearest the
   * catalog has, not matches (a UI says "no good match" rather than a result count).
   */
  noGoodMatch: boolean;
  /** The best hit's calibrated relevance (0 without hits), and the threshold `noGoodMatch` compares it with. */
  bestRelevance: number;
  noGoodMatchBelow: number;
  candidates: { keyword: number; characters: number; dense: number; modelNumber: number; fused: number };
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

function isZeroVector(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

export function softmax(scores: readonly number[], temperature: number): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp((s - max) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The options of one query: defaults, their Chinese overrides (for a Chinese query), the caller's options, the caller's Chinese overrides; checked. */
function resolveSearchOptions(options: Pick<SearchOptions, 'query'> & Partial<SearchOptions>, isChinese: boolean, crossEncoder: PairScorer | undefined): SearchOptions {
  const chineseDefaults: ChineseQueryOptions = isChinese ? DEFAULT_SEARCH_OPTIONS.chineseQueries : {};
  const chineseOptions: ChineseQueryOptions = isChinese ? (options.chineseQueries ?? {}) : {};
  const opts: SearchOptions = {
    ...DEFAULT_SEARCH_OPTIONS,
    ...chineseDefaults,
    ...options,
    ...chineseOptions,
    weights: { ...DEFAULT_SEARCH_OPTIONS.weights, ...chineseDefaults.weights, ...options.weights, ...chineseOptions.weights },
  };
  validateFilter(opts.filter);
  if (opts.query.trim().length === 0) throw createError('INVALID_ARGUMENT', 'search query is empty', { field: 'query' });
  if (!(opts.rerankCoverageWeight >= 0 && opts.rerankFirstStageWeight >= 0 && opts.rerankCoverageWeight + opts.rerankFirstStageWeight <= 1)) {
    throw createError('INVALID_ARGUMENT', 'rerankCoverageWeight and rerankFirstStageWeight must be ≥ 0 and sum to at most 1', {
      field: 'rerankCoverageWeight',
      received: `${opts.rerankCoverageWeight} + ${opts.rerankFirstStageWeight}`,
    });
  }
  if (opts.rerank === 'cross-encoder' && !crossEncoder) {
    throw createError('ENCODER_UNAVAILABLE', 'rerank "cross-encoder" needs a cross-encoder model (configure crossEncoder)', { field: 'rerank' });
  }
  return opts;
}

/** What each retriever found for the query. */
interface Retrieved {
  keyword: KeywordHit[];
  characters: KeywordHit[];
  queryVector: Float32Array;
  dense: NeighbourHit[];
  codeHits: ModelNumberHit[];
}

/** The four first-stage retrievers: keyword, character n-grams, dense, model numbers. */
async function retrieveCandidates(index: CatalogIndex, analyzed: AnalyzedText, searchText: string, isChinese: boolean, opts: SearchOptions, timer: StageTimer): Promise<Retrieved> {
  // A retriever weighted 0 adds no score, only zero-scored candidates after every scored one, which
  // only a learned ranker could move up. Chinese queries weigh words 0 by default (their character
  // n-grams hold the same words): not asking saved 0.3 of 2.6 ms at 100k products. Other queries
  // need the word hits to know whether to look up characters.
  const wordsNeeded = opts.weights.keyword > 0 || opts.ranker !== undefined || !isChinese;
  const keyword = wordsNeeded ? await index.keyword(analyzed.tokens, opts.candidates, opts.filter) : [];
  // Chinese words also as character n-grams: a query segmented unlike the title still matches. A
  // query without Chinese words that no product shares a word with (a shop name or tyre size on a
  // Chinese catalog, `195-50r13c`) is looked up by its character n-grams too.
  const characters = opts.weights.characters > 0 && (isChinese || keyword.length === 0) ? await index.characterKeyword(analyzed.tokens, opts.candidates, opts.filter) : [];
  timer.lap('retrieve keyword');
  const queryVector = await index.encodeText(searchText);
  timer.lap('encode query');
  // A zero query vector (no word the encoder knows) has no direction: its "nearest" products are
  // arbitrary, and which ones depended on how the ANN graph was built (two engines over the same
  // products answered the same query differently).
  const dense = isZeroVector(queryVector) ? [] : await index.nearest(queryVector, opts.candidates, { filter: opts.filter });
  timer.lap('retrieve dense');
  const codeLookup = analyzed.modelNumbers.length > 0 ? await modelNumberLookup(index) : undefined;
  const codeHits = analyzed.modelNumbers.flatMap((code) => codeLookup!.find(code));
  timer.lap('model numbers');
  return { keyword, characters, queryVector, dense, codeHits };
}

/** The products a query reads, each once, kept by id. */
interface ProductReader {
  /** Reads the products of these ids not read yet, in one store read. */
  read(ids: readonly string[]): Promise<void>;
  of(id: string): Product | undefined;
  /** A product read another way (with its representation). */
  set(id: string, product: Product): void;
}

function createProductReader(index: CatalogIndex): ProductReader {
  const products = new Map<string, Product>();
  return {
    async read(ids) {
      const unread = ids.filter((id) => !products.has(id));
      if (unread.length > 0) for (const stored of await index.store.getProducts(unread)) products.set(stored.product.id, stored.product);
    },
    of: (id) => products.get(id),
    set: (id, product) => void products.set(id, product),
  };
}

/** A fused candidate on its way to a hit; the rerank fills the optional figures. */
interface RankedCandidate {
  id: string;
  key: number | undefined;
  fusedScore: number;
  sources: SearchHit['sources'];
  score: number;
  rerankScore: number | undefined;
  similarity: SimilarityResult | undefined;
  rankerFeatures: Float64Array | undefined;
  coverage: number | undefined;
}

/**
 * The retrievers' hits fused by reciprocal rank (or by weighted scores), best first. Model-number
 * hits count only for products that pass the filter (read here: the lookup does not filter).
 */
async function fuseCandidates(retrieved: Retrieved, opts: SearchOptions, reader: ProductReader): Promise<{ ranked: RankedCandidate[]; fusedCount: number }> {
  const { keyword, characters, dense, codeHits } = retrieved;
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
  const maxCharacterBm25 = Math.max(1e-9, ...characters.map((h) => h.score));
  characters.forEach((h, rank) => {
    const e = entry(h.id, h.key);
    e.sources.characterRank = rank + 1;
    e.sources.characterScore = h.score;
    e.score += opts.fusion === 'rrf' ? opts.weights.characters / (opts.rrfK + rank + 1) : (opts.weights.characters * h.score) / maxCharacterBm25;
  });
  dense.forEach((h, rank) => {
    const e = entry(h.id, h.key);
    e.sources.denseRank = rank + 1;
    e.sources.denseSimilarity = h.similarity;
    e.score += opts.fusion === 'rrf' ? opts.weights.dense / (opts.rrfK + rank + 1) : opts.weights.dense * Math.max(0, h.similarity);
  });
  await reader.read(codeHits.map((hit) => hit.id));
  for (const hit of codeHits) {
    const p = reader.of(hit.id);
    if (!p || !matchesFilter(p, opts.filter)) continue;
    const e = entry(hit.id);
    if (e.sources.modelNumber && e.sources.modelNumber.edits <= hit.edits) continue;
    // An exact code counts as a first rank; a one-edit code as a second.
    e.sources.modelNumber = { code: hit.code, edits: hit.edits };
    e.score += opts.fusion === 'rrf' ? opts.weights.modelNumber / (opts.rrfK + 1 + hit.edits) : opts.weights.modelNumber * (hit.edits === 0 ? 1 : 0.5);
  }
  const ranked = [...fused.entries()]
    .map(([id, e]): RankedCandidate => ({
      id,
      key: e.key,
      fusedScore: e.score,
      sources: e.sources,
      score: e.score,
      rerankScore: undefined,
      similarity: undefined,
      rankerFeatures: undefined,
      coverage: undefined,
    }))
    .sort((a, b) => b.fusedScore - a.fusedScore || a.id.localeCompare(b.id));
  return { ranked, fusedCount: fused.size };
}

/** The query as the second stage sees it. */
interface RerankQuery {
  searchText: string;
  analyzed: AnalyzedText;
  queryVector: Float32Array;
  /** The query prepared once for the coverage of every hit. */
  coverage: CoverageQuery;
}

/** The first `rankerTop` candidates reordered by the learned ranker's score. */
async function rerankByRanker(index: CatalogIndex, ranked: RankedCandidate[], query: RerankQuery, ranker: RankerModel, opts: SearchOptions, reader: ProductReader): Promise<RankedCandidate[]> {
  const top = ranked.slice(0, opts.rankerTop);
  const reps = await index.representHits(top);
  const present = top.flatMap((c, i) => (reps[i] ? [{ c, rep: reps[i] }] : []));
  const rankingQ = await rankingQuery(index, query.searchText, { analyzed: query.analyzed, vector: query.queryVector });
  const rows = await rankingFeatures(index, rankingQ, present.map((p) => p.rep), ranker.averageTokens);
  present.forEach(({ c, rep }, i) => {
    reader.set(c.id, rep.product);
    c.rankerFeatures = rows[i]!;
    c.rerankScore = rankerScore(ranker, rows[i]!);
    c.score = c.rerankScore;
  });
  // A candidate gone from the store since retrieval is dropped with the results below; it sorts last.
  for (const c of top) if (c.rerankScore === undefined) c.score = Number.NEGATIVE_INFINITY;
  top.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return [...top, ...ranked.slice(opts.rankerTop)];
}

/**
 * The first `rerankTop` candidates reordered by a weighted sum of the reranker's score (the
 * field-wise comparison or the cross-encoder), the first stage's fused score and the query's coverage.
 */
async function rerankByScore(
  index: CatalogIndex,
  ranked: RankedCandidate[],
  query: RerankQuery,
  opts: SearchOptions,
  reader: ProductReader,
  crossEncoder: PairScorer | undefined,
): Promise<RankedCandidate[]> {
  const { searchText, analyzed, queryVector } = query;
  const reranked = new Map<string, ProductRepresentation>();
  const top = ranked.slice(0, opts.rerankTop);
  const maxFused = top[0]!.fusedScore || 1;
  let rerankScores: number[];
  if (opts.rerank === 'cross-encoder') {
    await reader.read(top.map((c) => c.id));
    rerankScores = await crossEncoder!.score(searchText, top.map((c) => reader.of(c.id)?.title ?? ''));
  } else {
    // The query's analysis above is the query product's title analysis.
    const queryRep = representProduct({ id: '<query>', title: searchText, tags: [], images: [], attributes: {} }, index.analyzer, {
      text: { title: analyzed },
      dense: { title: queryVector },
    });
    const reps = await index.representHits(top);
    rerankScores = top.map((c, i) => {
      const rep = reps[i];
      if (!rep) return 0;
      reader.set(c.id, rep.product);
      reranked.set(c.id, rep);
      const result = compareProducts(queryRep, rep, { profile: QUERY_RERANK_PROFILE });
      // Explained below, for the hits returned only.
      c.similarity = result;
      return result.score ?? 0;
    });
  }
  const coverageWeight = opts.rerankCoverageWeight;
  top.forEach((c, i) => {
    c.rerankScore = rerankScores[i]!;
    const product = coverageWeight > 0 ? reader.of(c.id) : undefined;
    if (product) c.coverage = queryCoverage(query.coverage, productEvidenceText(product, index.analyzer, reranked.get(c.id)?.text.title.tokens));
    c.score = (1 - opts.rerankFirstStageWeight - coverageWeight) * c.rerankScore + opts.rerankFirstStageWeight * (c.fusedScore / maxFused) + coverageWeight * (c.coverage ?? 0);
  });
  top.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return [...top, ...ranked.slice(opts.rerankTop)];
}

/** The first k candidates still in the store, as hits: calibrated relevance, ESCI class, softmax share, explanations. */
async function buildHits(index: CatalogIndex, ranked: RankedCandidate[], query: RerankQuery, opts: SearchOptions, ranker: RankerModel | undefined): Promise<SearchHit[]> {
  const { analyzed, queryVector } = query;
  // The first k as representations (product, analysed title and vector for the evidence) in one
  // store read; the reranked ones are cached already. Reading their rows apart as well cost a
  // second read of the same products.
  const first = ranked.slice(0, opts.k);
  const reps = await index.representHits(first);
  const kept = first.flatMap((c, i) => (reps[i] ? [{ c, rep: reps[i] }] : []));
  const probabilities = softmax(kept.map(({ c }) => c.score), opts.temperature);
  const evidenceOf = (c: RankedCandidate, rep: ProductRepresentation): RelevanceEvidence => {
    const vector = rep.dense['title'];
    return {
      coverage: c.coverage ?? queryCoverage(query.coverage, productEvidenceText(rep.product, index.analyzer, rep.text.title.tokens)),
      denseSimilarity: vector && vector.length === queryVector.length ? Math.max(0, cosineSimilarity(queryVector, vector)) : 0,
    };
  };
  return kept.map(({ c, rep }, i): SearchHit => {
    const evidence = evidenceOf(c, rep);
    const relevance = calibratedRelevance(evidence);
    const typed = classifyRelevance(analyzed, rep, evidence, relevance);
    return {
      product: summarizeProduct(rep.product),
      score: c.score,
      relevance,
      evidence,
      relevanceClass: typed.relevanceClass,
      relevanceCheck: { check: typed.check, reason: typed.reason },
      probability: probabilities[i]!,
      sources: c.sources,
      fusedScore: c.fusedScore,
      ...(c.rerankScore !== undefined ? { rerankScore: c.rerankScore } : {}),
      ...(opts.explain && c.similarity ? { explanation: explanationToJSON(c.similarity) } : {}),
      ...(opts.explain && ranker && c.rankerFeatures ? { rankerExplanation: explainRanker(ranker, c.rankerFeatures) } : {}),
    };
  });
}

/**
 * Stages: options, query rewrite, retrieval (`retrieveCandidates`), fusion (`fuseCandidates`),
 * rerank (`rerankByRanker` or `rerankByScore`), hits (`buildHits`); each timed when asked.
 */
export async function searchProducts(
  index: CatalogIndex,
  options: Pick<SearchOptions, 'query'> & Partial<SearchOptions>,
  crossEncoder?: PairScorer,
): Promise<SearchResult> {
  let analyzed = index.analyzer.analyze(options.query);
  const isChinese = hasHanToken(analyzed.tokens);
  const opts = resolveSearchOptions(options, isChinese, crossEncoder);
  // What the retrievers look for: the query, with run-together words split (`ipadcase` → `ipad case`).
  const splits = !isChinese && opts.splitWords ? await splitRunTogetherWords(analyzed.tokens, (tokens) => index.documentFrequencies(tokens)) : [];
  const searchText = splits.length > 0 ? applySplits(analyzed.normalized, splits) : opts.query;
  if (splits.length > 0) analyzed = index.analyzer.analyze(searchText);
  // Read (and checked) before any retrieval: a bad ranker file fails fast.
  const ranker = opts.ranker === undefined ? undefined : resolveRanker(opts.ranker);
  const timer = createStageTimer(opts.timings);
  timer.lap('analyze query');
  const retrieved = await retrieveCandidates(index, analyzed, searchText, isChinese, opts, timer);
  const reader = createProductReader(index);
  const { ranked: fused, fusedCount } = await fuseCandidates(retrieved, opts, reader);
  timer.lap('fuse');
  const query: RerankQuery = { searchText, analyzed, queryVector: retrieved.queryVector, coverage: coverageQuery(analyzed.tokens, index.analyzer) };
  let ranked = fused;
  if (ranker && ranked.length > 0) ranked = await rerankByRanker(index, ranked, query, ranker, opts, reader);
  else if (opts.rerank !== 'none' && ranked.length > 0) ranked = await rerankByScore(index, ranked, query, opts, reader, crossEncoder);
  timer.lap('rerank');
  const hits = await buildHits(index, ranked, query, opts, ranker);
  const bestRelevance = Math.max(0, ...hits.map((h) => h.relevance));
  timer.lap('results');
  const timings = timer.result();
  const { keyword, characters, dense, codeHits } = retrieved;
  return {
    query: opts.query,
    analyzed: { tokens: analyzed.tokens, modelNumbers: analyzed.modelNumbers, ...(splits.length > 0 ? { splits } : {}) },
    fusion: opts.fusion,
    rerank: ranker ? 'ranker' : opts.rerank,
    hits,
    noGoodMatch: bestRelevance < NO_GOOD_MATCH_BELOW,
    bestRelevance,
    noGoodMatchBelow: NO_GOOD_MATCH_BELOW,
    candidates: { keyword: keyword.length, characters: characters.length, dense: dense.length, modelNumber: codeHits.length, fused: fusedCount },
    ...(timings ? { timings } : {}),
  };
}
