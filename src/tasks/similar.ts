/**
 * Similar items and substitutes. Candidates come from two retrievers (dense ANN over the text space
 * and BM25 over the title's tokens), then every candidate is scored field by field by the
 * similarity core with the chosen profile, so each answer carries its explanation.
 */
import { categoryLevels } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import { compareProducts, type FusionProfile, type SimilarityResult } from '../similarity/fusion.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import { resolveProfile } from './profiles.ts';
import type { CatalogIndex } from './catalog-index.ts';
import { validateFilter, type ProductFilter } from './product-filter.ts';
import { DEFAULT_K, scoredProduct, summarizeProduct, type ProductSummary, type ScoredProduct } from './result-item.ts';
import { createStageTimer, type StageTimings } from './stage-timer.ts';
import type { LearnedScorer } from './learned-matcher.ts';

export interface SimilarOptions {
  id: string;
  k: number;
  filter: ProductFilter;
  /** In-stock items of the same category that can replace this one (typically out of stock). */
  substitutes: boolean;
  profile: string | FusionProfile;
  /** Candidates taken from each retriever per result wanted. */
  candidateFactor: number;
  /** Return milliseconds per stage (`timings`). */
  timings: boolean;
  /**
   * Items scoring below are not returned; when none reaches it the answer says `noGoodMatch`.
   * `undefined`: the profile's `SIMILAR_MIN_SCORE`, or the trained scorer's threshold.
   */
  minScore: number | undefined;
  /** A trained matcher that ranks and thresholds instead of the fused score (`learned-matcher.ts`). */
  scorer: LearnedScorer | undefined;
}

/**
 * The fused score (a weighted mean of field agreements, absolute: comparable across products) below
 * which an item is not similar. On the sample catalog's similar lists (310 products × 20 items),
 * items at ≥ 0.35 share the leaf category 96.8 % of the time, items below it 48 %; no item with a
 * product-type conflict reached it.
 */
export const SIMILAR_MIN_SCORE = 0.35;

export const DEFAULT_SIMILAR_OPTIONS = {
  k: DEFAULT_K,
  filter: {},
  substitutes: false,
  profile: 'default',
  candidateFactor: 5,
  timings: false,
  minScore: undefined,
  scorer: undefined,
} as const satisfies Omit<SimilarOptions, 'id'>;

/**
 * Like Lucene's MoreLikeThis, the keyword retriever asks only for the product's discriminative title
 * tokens: at most `maxTokens` of the rarest, and none found in more than `maxDocumentShare` of the
 * catalog. Common words (华为, 牛仔裤) are the dense retriever's job; an OR query over their postings
 * took 71 of similar's 87 ms at 100k products. Keyword retrieval is skipped when no token is rare.
 */
export const MORE_LIKE_THIS = { maxTokens: 5, maxDocumentShare: 0.02, minDocumentLimit: 20 } as const;

/**
 * Levels of the category path a substitute must share: `服装/女装/连衣裙` keeps other dresses; a
 * product with a shorter path keeps its whole path.
 */
export const SUBSTITUTE_CATEGORY_LEVELS = 3;

export interface SimilarResult {
  source: ProductSummary;
  profile: string;
  filter: ProductFilter;
  items: ScoredProduct[];
  /** What ranked the items: `fused profile default`, or the trained matcher's name. */
  scorer: string;
  /** Items below this score were left out. */
  minScore: number;
  /** No candidate reached `minScore`: nothing in the catalog is similar enough. */
  noGoodMatch: boolean;
  /** The best candidate's score, returned or not (`undefined` when nothing was retrieved). */
  bestScore: number | undefined;
  candidates: { dense: number; keyword: number; scored: number; belowMinScore: number };
  /** Milliseconds per stage, when asked for (`timings: true`). */
  timings?: StageTimings;
}

/** The title's rare tokens (see MORE_LIKE_THIS), rarest first. */
export async function rarestTokens(index: CatalogIndex, tokens: readonly string[]): Promise<string[]> {
  const unique = [...new Set(tokens)];
  const df = await index.documentFrequencies(unique);
  const limit = Math.max(MORE_LIKE_THIS.minDocumentLimit, MORE_LIKE_THIS.maxDocumentShare * (await index.keywordDocumentCount()));
  return unique
    .filter((t) => (df.get(t) ?? 0) <= limit)
    .sort((a, b) => (df.get(a) ?? 0) - (df.get(b) ?? 0))
    .slice(0, MORE_LIKE_THIS.maxTokens);
}

/** MoreLikeThis: the `k` products sharing most of the source's rare title tokens, the source left out (none when no token is rare). */
async function retrieveByRareTokens(index: CatalogIndex, source: ProductRepresentation, k: number, filter: ProductFilter) {
  const rare = await rarestTokens(index, source.text.title.tokens);
  return rare.length === 0 ? [] : (await index.keyword(rare, k + 1, filter)).filter((h) => h.id !== source.product.id);
}

export async function findSimilar(index: CatalogIndex, options: Pick<SimilarOptions, 'id'> & Partial<SimilarOptions>): Promise<SimilarResult> {
  const opts: SimilarOptions = { ...DEFAULT_SIMILAR_OPTIONS, ...options };
  validateFilter(opts.filter);
  const timer = createStageTimer(opts.timings);
  const target = await index.represent(opts.id);
  if (!target) throw createError('PRODUCT_NOT_FOUND', `no product with id "${opts.id}"`, { field: 'id', received: opts.id });
  const profile = resolveProfile(opts.profile);

  const filter: ProductFilter = { ...opts.filter };
  if (opts.substitutes) {
    filter.inStock = true;
    const levels = categoryLevels(target.product.category).slice(0, SUBSTITUTE_CATEGORY_LEVELS);
    if (filter.category === undefined && levels.length > 0) filter.category = levels.join('/');
  }

  const want = Math.max(opts.k * opts.candidateFactor, 20);
  const exclude = new Set([opts.id]);
  timer.lap('represent source');
  // The two retrievers at once: in a database each is its own round trip (at 1M products on
  // PostgreSQL 5 and 8 ms of similar's ~26), so the slower one is all they cost.
  const [dense, keyword] = await Promise.all([
    target.dense.title ? index.nearest(target.dense.title, want, { filter, exclude }) : [],
    retrieveByRareTokens(index, target, want, filter),
  ]);
  timer.lap('retrieve dense and keyword');
  // Both retrievers' hits carry the store key: candidates are read by key.
  const hits = new Map<string, { id: string; key: number }>();
  for (const h of dense) hits.set(h.id, h);
  for (const h of keyword) if (!hits.has(h.id)) hits.set(h.id, h);
  const candidates = await index.representHits([...hits.values()]);
  timer.lap('represent candidates');

  // Score every candidate, but build the returned items (summary + explanation JSON) for the best k only.
  const scored: { candidate: ProductRepresentation; result: SimilarityResult; score: number }[] = [];
  const catalog = profile.weighByCatalog ? await index.catalogStatistics() : undefined;
  for (const candidate of candidates) {
    if (!candidate) continue;
    const result = compareProducts(target, candidate, { profile, catalog });
    if (result.score === undefined) continue;
    scored.push({ candidate, result, score: result.score });
  }
  if (opts.scorer) {
    const probabilities = await opts.scorer.probability(scored.map((s) => ({ left: target.product, right: s.candidate.product })));
    scored.forEach((s, i) => (s.score = probabilities[i]!));
  }
  scored.sort((a, b) => b.score - a.score || a.candidate.product.id.localeCompare(b.candidate.product.id));
  timer.lap('score fields');
  const minScore = opts.minScore ?? opts.scorer?.threshold ?? SIMILAR_MIN_SCORE;
  const good = scored.filter((s) => s.score >= minScore);
  const items: ScoredProduct[] = good.slice(0, opts.k).map((s) => ({
    ...scoredProduct(s.candidate.product, s.result),
    ...(opts.scorer ? { score: s.score, fusedScore: s.result.score ?? 0, learned: opts.scorer.explain(target.product, s.candidate.product) } : {}),
  }));
  timer.lap('explain');
  const timings = timer.result();
  return {
    source: summarizeProduct(target.product),
    profile: profile.name,
    filter,
    items,
    scorer: opts.scorer?.name ?? `fused profile ${profile.name}`,
    minScore,
    noGoodMatch: good.length === 0,
    bestScore: scored[0]?.score,
    candidates: { dense: dense.length, keyword: keyword.length, scored: scored.length, belowMinScore: scored.length - good.length },
    ...(timings ? { timings } : {}),
  };
}
