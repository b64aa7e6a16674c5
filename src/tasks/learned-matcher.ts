/**
 * A matcher trained from labelled pairs (`prodsim train`, src/learning) as the scorer of every
 * application: match, dedup, similar, substitutes and recommend rank and threshold with its
 * probability instead of the fused score (whose field-by-field explanation is still shown), and each
 * answer carries the model's feature contributions.
 */
import { basename } from 'node:path';
import type { Product } from '../catalog/product.ts';
import type { FeatureContribution } from '../learning/contributions.ts';
import { loadMatcherModel, matcherFromModel, type Matcher } from '../learning/matcher.ts';
import type { PairRecord } from '../learning/pairs.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';

/**
 * The record the pair features read, with the same keys for every product: the matcher learns one
 * feature per key, so a catalog's own attribute names (颜色, colour, 续航…) are folded into one
 * `attributes` text instead of becoming features that exist for some products only. Training (CLI
 * and HTTP), evaluation and every application build records here, so a model always reads records
 * made as its training records were.
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

/** Scores pairs with a trained model: one match probability per pair. */
export type PairProbability = (pairs: readonly { left: Product; right: Product }[]) => Float64Array | Promise<Float64Array>;

/** Why the model scored a pair as it did (logit = base + Σ contributions; see contributions.ts). */
export interface LearnedExplanation {
  scorer: string;
  probability: number;
  threshold: number;
  base: number;
  logit: number;
  /** The largest contributions, largest magnitude first. */
  contributions: FeatureContribution[];
  /** The title-word terms the learned token model weighed most (`one-side:pro` −1.2): what `tokens.learned` is made of. */
  tokenTerms: { term: string; weight: number }[];
}

export interface LearnedScorer {
  /** `trained matcher gbdt (matcher.json)`: shown with every answer. */
  name: string;
  matcher: Matcher;
  /** The decision threshold chosen on validation pairs when it was trained. */
  threshold: number;
  probability: PairProbability;
  explain(left: Product, right: Product, topFeatures?: number): LearnedExplanation;
}

/** Features shown per explained pair; the rest are in the model's sum but not listed. */
export const EXPLAINED_FEATURES = 8;

export function loadLearnedMatcher(path: string, analyzer: TextAnalyzer): LearnedScorer {
  const model = loadMatcherModel(path);
  const matcher = matcherFromModel(model, analyzer);
  const name = `trained matcher ${model.classifier} (${basename(path)})`;
  return {
    name,
    matcher,
    threshold: model.threshold,
    probability: (pairs) => matcher.score(pairs.map((p) => ({ left: productToPairRecord(p.left), right: productToPairRecord(p.right) }))),
    explain(left, right, topFeatures = EXPLAINED_FEATURES) {
      const e = matcher.explain({ left: productToPairRecord(left), right: productToPairRecord(right) });
      return { scorer: name, probability: e.probability, threshold: model.threshold, base: e.base, logit: e.logit, contributions: e.contributions.slice(0, topFeatures), tokenTerms: e.tokenTerms };
    },
  };
}
