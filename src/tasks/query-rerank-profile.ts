/**
 * The field-wise reranker's profile: what a query can say about a product is its words, their
 * meaning, its model numbers and quantities (brand and category are words of the query too).
 * Used by search's field rerank and, as a feature, by the learned ranker (ranker-features.ts).
 */
import { profileFromWeights } from '../similarity/fusion.ts';

export const QUERY_RERANK_PROFILE = profileFromWeights(
  'query',
  { titleDense: 0.35, titleLexical: 0.35, modelNumber: 0.2, quantities: 0.1 },
  { description: 'query ↔ product: title meaning and words, model numbers, quantities', source: 'built-in' },
);
