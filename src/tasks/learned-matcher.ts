/**
 * A matcher trained from labelled pairs (`prodsim train`, src/learning) used by catalog matching:
 * products become the flat attribute records the matcher's features read, and the matcher's
 * probability decides instead of the fused score (whose explanation is still shown).
 */
import type { Product } from '../catalog/product.ts';
import { loadMatcherModel, matcherFromModel, type Matcher } from '../learning/matcher.ts';
import type { PairRecord } from '../learning/pairs.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import type { PairProbability } from './match.ts';

/**
 * The record the pair features read, with the same keys for every product: the matcher learns one
 * feature per key, so a catalog's own attribute names (颜色, colour, 续航…) are folded into one
 * `attributes` text instead of becoming features that exist for some products only.
 */
export function productToPairRecord(p: Product): PairRecord {
  const record: PairRecord = {};
  record['title'] = p.title;
  if (p.description) record['description'] = p.description;
  if (p.brand) record['brand'] = p.brand;
  if (p.category) record['category'] = p.category;
  if (p.tags.length > 0) record['tags'] = p.tags.join(' ');
  const attributes = Object.entries(p.attributes).map(([k, v]) => `${k} ${v}`);
  if (attributes.length > 0) record['attributes'] = attributes.join(' ; ');
  if (p.price !== undefined) record['price'] = String(p.price);
  return record;
}

export interface LoadedMatcher {
  matcher: Matcher;
  /** The decision threshold chosen on validation pairs when it was trained. */
  threshold: number;
  probability: PairProbability;
}

export function loadLearnedMatcher(path: string, analyzer: TextAnalyzer): LoadedMatcher {
  const model = loadMatcherModel(path);
  const matcher = matcherFromModel(model, analyzer);
  return {
    matcher,
    threshold: model.threshold,
    probability: (pairs) => matcher.score(pairs.map((p) => ({ left: productToPairRecord(p.left), right: productToPairRecord(p.right) }))),
  };
}
