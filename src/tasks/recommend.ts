/**
 * Recommendations from a user's history, and neighbours for a new product nobody has seen yet.
 *
 * A user is the recency- and event-weighted mean of their items' vectors. Candidates come from the
 * ANN index around that mean and around each recent item; relevance blends closeness to the mean
 * with the best field-wise similarity to one history item (which also names the "because of" item);
 * the list is diversified with maximal marginal relevance (Carbonell & Goldstein 1998).
 */
import type { Product } from '../catalog/product.ts';
import { l2normalize } from '../encoders/encoder.ts';
import { createError } from '../errors.ts';
import { compareProducts } from '../similarity/fusion.ts';
import { cosineSimilarity } from '../similarity/metrics.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import type { CatalogIndex } from './catalog-index.ts';
import { matchesFilter, validateFilter, type ProductFilter } from './product-filter.ts';
import type { LearnedScorer } from './learned-matcher.ts';
import { DEFAULT_K, scoredProduct, summarizeProduct, type ProductSummary, type ScoredProduct } from './result-item.ts';
import { rarestTokens } from './similar.ts';

export type HistoryEvent = 'view' | 'cart' | 'buy';

export interface HistoryItem {
  id: string;
  event?: HistoryEvent;
}

/** How much each kind of event says about taste. */
export const EVENT_WEIGHTS = { view: 1, cart: 2, buy: 3 } as const satisfies Record<HistoryEvent, number>;

export interface RecommendOptions {
  /** Oldest first; plain ids count as views. */
  history: readonly (string | HistoryItem)[];
  k: number;
  filter: ProductFilter;
  /** MMR trade-off: 1 = relevance only, 0 = diversity only. */
  lambda: number;
  /** Each older item weighs this factor less than the next. */
  recencyDecay: number;
  /** Weight of closeness to the user vector vs best field-wise similarity to one history item. */
  userVectorWeight: number;
  /** Leave out products known to be out of stock. */
  inStockOnly: boolean;
  /** Recent items whose own neighbours are added as candidates. */
  recentItems: number;
  /** Candidates below this relevance are not recommended at all (rather pad nothing than noise). */
  minRelevance: number;
  /**
   * A trained matcher: candidates it calls the same product as a history item (another shop's
   * listing of what the user already has) are left out, at its threshold.
   */
  scorer: LearnedScorer | undefined;
}

export const DEFAULT_RECOMMEND_OPTIONS = {
  k: DEFAULT_K,
  filter: {},
  lambda: 0.7,
  recencyDecay: 0.85,
  userVectorWeight: 0.5,
  inStockOnly: true,
  recentItems: 5,
  minRelevance: 0.1,
  scorer: undefined,
} as const satisfies Omit<RecommendOptions, 'history'>;

export interface Recommendation extends ScoredProduct {
  /** The history item this one is most similar to. */
  because: ProductSummary;
  relevance: number;
}

export interface RecommendResult {
  history: ProductSummary[];
  unknownIds: string[];
  items: Recommendation[];
  /** Candidates the trained matcher called the same product as a history item (0 without one). */
  sameAsHistory: number;
}

function diversify<T extends { relevance: number; vector: Float32Array | undefined }>(items: T[], k: number, lambda: number): T[] {
  const chosen: T[] = [];
  const left = [...items];
  while (chosen.length < k && left.length > 0) {
    let best = 0;
    let bestValue = -Infinity;
    left.forEach((c, i) => {
      const redundancy = Math.max(0, ...chosen.map((s) => (c.vector && s.vector ? (cosineSimilarity(c.vector, s.vector) ?? 0) : 0)));
      const value = lambda * c.relevance - (1 - lambda) * redundancy;
      if (value > bestValue) [best, bestValue] = [i, value];
    });
    chosen.push(left.splice(best, 1)[0]!);
  }
  return chosen;
}

export async function recommend(index: CatalogIndex, options: Pick<RecommendOptions, 'history'> & Partial<RecommendOptions>): Promise<RecommendResult> {
  const opts: RecommendOptions = { ...DEFAULT_RECOMMEND_OPTIONS, ...options };
  validateFilter(opts.filter);
  const items = opts.history.map((h) => (typeof h === 'string' ? { id: h, event: 'view' as const } : { event: 'view' as const, ...h }));
  const known: { rep: ProductRepresentation; weight: number }[] = [];
  const unknownIds: string[] = [];
  const historyReps = await index.representIds(items.map((item) => item.id));
  items.forEach((item, i) => {
    const rep = historyReps[i];
    if (!rep) return unknownIds.push(item.id);
    known.push({ rep, weight: EVENT_WEIGHTS[item.event] * opts.recencyDecay ** (items.length - 1 - i) });
  });
  if (known.length === 0) {
    throw createError('PRODUCT_NOT_FOUND', `none of the history ids is in the catalog: ${unknownIds.join(', ')}`, { field: 'history' });
  }
  const dim = index.textEncoder.dimension;
  const user = new Float32Array(dim);
  for (const { rep, weight } of known) {
    const v = rep.dense.title;
    if (v) for (let d = 0; d < dim; d++) user[d]! += weight * v[d]!;
  }
  l2normalize(user);

  const filter: ProductFilter = opts.filter;
  const exclude = new Set(items.map((h) => h.id));
  const want = opts.k * 5;
  const candidateIds = new Set((await index.nearest(user, want, { filter, exclude })).map((h) => h.id));
  for (const { rep } of known.slice(-opts.recentItems)) {
    if (rep.dense.title) for (const h of await index.nearest(rep.dense.title, opts.k, { filter, exclude })) candidateIds.add(h.id);
  }

  const candidateReps = await index.representIds([...candidateIds]);
  const scored = [...candidateIds].flatMap((id, i) => {
    const rep = candidateReps[i];
    if (!rep || (opts.inStockOnly && rep.product.inStock === false) || !matchesFilter(rep.product, filter)) return [];
    let best: { result: ReturnType<typeof compareProducts>; source: Product } | undefined;
    for (const h of known) {
      const result = compareProducts(h.rep, rep);
      if ((result.score ?? 0) > (best?.result.score ?? -1)) best = { result, source: h.rep.product };
    }
    if (!best) return [];
    const closeness = rep.dense.title ? Math.max(0, cosineSimilarity(user, rep.dense.title) ?? 0) : 0;
    const relevance = opts.userVectorWeight * closeness + (1 - opts.userVectorWeight) * (best.result.score ?? 0);
    return relevance < opts.minRelevance ? [] : [{ rep, best, relevance, vector: rep.dense.title }];
  });
  const fresh = opts.scorer ? await withoutHistoryItems(scored, known, opts.scorer) : scored;
  const chosen = diversify(fresh, opts.k, opts.lambda);
  return {
    history: known.map((h) => summarizeProduct(h.rep.product)),
    unknownIds,
    sameAsHistory: scored.length - fresh.length,
    items: chosen.map((c) => ({ ...scoredProduct(c.rep.product, c.best.result), because: summarizeProduct(c.best.source), relevance: c.relevance })),
  };
}

/** Candidates the trained matcher does not call the same product as any history item. */
async function withoutHistoryItems<T extends { rep: ProductRepresentation }>(candidates: T[], history: readonly { rep: ProductRepresentation }[], scorer: LearnedScorer): Promise<T[]> {
  const pairs = candidates.flatMap((c) => history.map((h) => ({ left: h.rep.product, right: c.rep.product })));
  const probabilities = await scorer.probability(pairs);
  return candidates.filter((_, i) => history.every((_h, j) => probabilities[i * history.length + j]! < scorer.threshold));
}

export interface ColdStartOptions {
  product: Product;
  k: number;
  filter: ProductFilter;
}

/** Neighbours of a product that is not in the store (a new listing): same scoring as `similar`. */
export async function coldStartNeighbours(index: CatalogIndex, options: Pick<ColdStartOptions, 'product'> & Partial<ColdStartOptions>): Promise<{ source: ProductSummary; items: ScoredProduct[] }> {
  const opts: ColdStartOptions = { k: DEFAULT_K, filter: {}, ...options };
  validateFilter(opts.filter);
  const target = await index.representExternal(opts.product);
  const exclude = new Set([opts.product.id]);
  const ids = new Set<string>();
  if (target.dense.title) for (const h of await index.nearest(target.dense.title, opts.k * 5, { filter: opts.filter, exclude })) ids.add(h.id);
  const rare = await rarestTokens(index, target.text.title.tokens);
  if (rare.length > 0) for (const h of await index.keyword(rare, opts.k * 5, opts.filter)) if (!exclude.has(h.id)) ids.add(h.id);
  const reps = await index.representIds([...ids]);
  const items = [...ids].flatMap((id, i) => {
    const rep = reps[i];
    if (!rep) return [];
    const result = compareProducts(target, rep);
    return result.score === undefined ? [] : [scoredProduct(rep.product, result)];
  });
  items.sort((a, b) => b.score - a.score || a.product.id.localeCompare(b.product.id));
  return { source: summarizeProduct(opts.product), items: items.slice(0, opts.k) };
}
