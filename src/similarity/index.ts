// The similarity stage: metrics, field similarities, fusion profiles, explanations.
export * from './metrics.ts';
export * from './representation.ts';
export * from './fields.ts';
export * from './fusion.ts';
export * from './explain.ts';
export { editDistance, editSimilarity, normalizeValue, type FieldEvidence, type FieldSimilarity } from './field-similarities/types.ts';
export * from './field-similarities/brand.ts';
export * from './field-similarities/category.ts';
export * from './field-similarities/price.ts';
export * from './field-similarities/model-number.ts';
export * from './field-similarities/tags.ts';
export * from './field-similarities/attributes.ts';
export * from './field-similarities/text.ts';
export * from './field-similarities/image.ts';
export * from './field-similarities/quantities.ts';
export * from './catalog-statistics.ts';
