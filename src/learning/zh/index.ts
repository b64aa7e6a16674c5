/** Chinese-specific learning: Taobao and STS loaders, attribute parser, conflict rules, features, Spearman. */
export * from './taobao.ts';
export * from './sts.ts';
export * from './attributes.ts';
export * from './conflicts.ts';
export * from './zh-features.ts';
