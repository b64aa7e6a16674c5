/**
 * How applications return a product: the fields a person needs to recognise it, its score, and
 * (when scored by the similarity core) the per-field explanation.
 */
import type { Product } from '../catalog/product.ts';
import { explanationToJSON, type ExplanationJSON } from '../similarity/explain.ts';
import type { SimilarityResult } from '../similarity/fusion.ts';
import type { LearnedExplanation } from './learned-matcher.ts';

/** Results a task returns when the caller names no `k` (similar, search, recommend, price, encode; CLI and HTTP alike). */
export const DEFAULT_K = 10;

export interface ProductSummary {
  id: string;
  title: string;
  brand?: string;
  category?: string;
  price?: number;
  currency?: string;
  inStock?: boolean;
  image?: string;
}

export function summarizeProduct(p: Product): ProductSummary {
  return {
    id: p.id,
    title: p.title,
    ...(p.brand !== undefined ? { brand: p.brand } : {}),
    ...(p.category !== undefined ? { category: p.category } : {}),
    ...(p.price !== undefined ? { price: p.price } : {}),
    ...(p.currency !== undefined ? { currency: p.currency } : {}),
    ...(p.inStock !== undefined ? { inStock: p.inStock } : {}),
    ...(p.images[0] !== undefined ? { image: p.images[0] } : {}),
  };
}

export interface ScoredProduct {
  product: ProductSummary;
  /** Fused similarity in [0, 1], or the trained scorer's probability when one ranked the items. */
  score: number;
  explanation: ExplanationJSON;
  /** The fused score, when a trained scorer's probability is the `score`. */
  fusedScore?: number;
  /** The trained scorer's feature contributions, when one ranked the items. */
  learned?: LearnedExplanation;
}

export function scoredProduct(product: Product, result: SimilarityResult): ScoredProduct {
  return { product: summarizeProduct(product), score: result.score ?? 0, explanation: explanationToJSON(result) };
}
