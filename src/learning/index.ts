/** Public API of the learning stage: labelled pairs, pair features, classifiers, matcher, metrics, reports. */
export * from './pairs.ts';
export * from './metrics.ts';
export { fitPairFeatures, createPairFeatureExtractor, FEATURE_GROUPS, VARIANT_WORDS, DEFAULT_PAIR_FEATURE_OPTIONS } from './pair-features.ts';
export type { FeatureGroup, PairFeatureExtractor, PairFeatureOptions, PairFeatureState } from './pair-features.ts';
export * from './logistic-regression.ts';
export * from './gradient-boosting.ts';
export * from './matcher.ts';
export * from './baseline.ts';
export * from './eval-report.ts';
export { extractModelCodes, extractQuantities } from './product-codes.ts';
export * from './fusion-learning.ts';
