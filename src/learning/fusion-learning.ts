/**
 * Learning the similarity stage's fusion profile from labelled pairs: logistic regression on the
 * field similarities the applications already compute (`computeFieldScores`), its weights made
 * non-negative and normalised into a `FusionProfile` (a weighted mean, what `fuse` and every task
 * use), plus the threshold on the fused score that maximises F1 on the validation pairs.
 * Less accurate than the full matcher (a weighted mean has no interactions, no conflicts), but it
 * drops into the existing similarity pipeline unchanged.
 */
import type { Product } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import { createTextAnalyzer } from '../text/text-analyzer.ts';
import { compareProducts, computeFieldScores, fuse, profileFromWeights, type FusionProfile } from '../similarity/fusion.ts';
import type { FieldName } from '../similarity/fields.ts';
import { representProduct, type ProductRepresentation } from '../similarity/representation.ts';
import { catalogStatisticsOf, type CatalogStatistics } from '../similarity/catalog-statistics.ts';
import type { LabeledPair, PairRecord } from './pairs.ts';
import { fitLogisticRegression, rawUnitWeights, type LogisticModel } from './logistic-regression.ts';
import { bestF1Threshold } from './metrics.ts';

/** Fields learned by default: the identity fields a pair of product records can carry. */
export const DEFAULT_LEARNED_FIELDS: readonly FieldName[] = ['titleLexical', 'descriptionLexical', 'brand', 'price', 'modelNumber', 'quantities'];

export interface RecordFieldMapping {
  title: string;
  description?: string;
  brand?: string;
  price?: string;
}

/** A benchmark record as a `Product` (title, description, brand, numeric price). */
export function pairRecordToProduct(record: PairRecord, mapping: RecordFieldMapping, id: string): Product {
  const price = mapping.price ? Number((record[mapping.price] ?? '').replace(/[^0-9.]/g, '')) : Number.NaN;
  const description = mapping.description ? record[mapping.description] : undefined;
  const brand = mapping.brand ? record[mapping.brand] : undefined;
  return {
    id,
    title: record[mapping.title] ?? '',
    ...(description ? { description } : {}),
    ...(brand ? { brand } : {}),
    ...(price > 0 ? { price } : {}),
    tags: [],
    images: [],
    attributes: {},
  };
}

export interface LearnFusionOptions {
  name: string;
  mapping: RecordFieldMapping;
  fields: readonly FieldName[];
  analyzer: TextAnalyzer;
  /** Dense title vectors (adds `titleDense` to the learned fields). */
  denseTitle: ((record: PairRecord) => Float32Array | undefined) | undefined;
}

export interface LearnedFusion {
  profile: FusionProfile;
  /** Fused-score threshold maximising F1 on the validation pairs. */
  threshold: number;
  logistic: LogisticModel;
  fields: FieldName[];
  /** Fused score of each pair under the learned profile (0 when no field is present). */
  score(pairs: readonly LabeledPair[]): Float64Array;
}

export function learnFusionProfile(train: readonly LabeledPair[], valid: readonly LabeledPair[], options: Partial<LearnFusionOptions> & { mapping: RecordFieldMapping }): LearnedFusion {
  const analyzer = options.analyzer ?? createTextAnalyzer();
  const fields: FieldName[] = [...(options.fields ?? DEFAULT_LEARNED_FIELDS)];
  if (options.denseTitle && !fields.includes('titleDense')) fields.push('titleDense');
  const cache = new WeakMap<PairRecord, ProductRepresentation>();
  let next = 0;
  const represent = (r: PairRecord): ProductRepresentation => {
    let rep = cache.get(r);
    if (!rep) {
      const dense = options.denseTitle?.(r);
      rep = representProduct(pairRecordToProduct(r, options.mapping, `r${next++}`), analyzer, dense ? { dense: { title: dense } } : {});
      cache.set(r, rep);
    }
    return rep;
  };
  const scoresOf = (p: LabeledPair) => computeFieldScores(represent(p.left), represent(p.right), { fields });
  const rowOf = (p: LabeledPair) => Float64Array.from(fields, (f) => scoresOf(p)[f]?.score ?? 0);
  const y = Uint8Array.from(train, (p) => p.label ?? 0);
  const logistic = fitLogisticRegression(train.map(rowOf), y, fields);
  const { weights } = rawUnitWeights(logistic);
  const positive = weights.map((w) => Math.max(0, w));
  const total = positive.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw createError('INVALID_ARGUMENT', 'learnFusionProfile: no field similarity is positively related to matching');
  const profile = profileFromWeights(options.name ?? 'learned', Object.fromEntries(fields.map((f, j) => [f, Number((positive[j]! / total).toFixed(4))])), {
    source: `learned: logistic regression on ${train.length} labelled pairs, negative weights set to 0, normalised`,
  });
  const score = (pairs: readonly LabeledPair[]) => Float64Array.from(pairs, (p) => fuse(scoresOf(p), profile).score ?? 0);
  const threshold = valid.length > 0 ? bestF1Threshold(score(valid), Uint8Array.from(valid, (p) => p.label ?? 0)).threshold : 0.5;
  return { profile, threshold: Number.isFinite(threshold) ? threshold : 0.5, logistic, fields, score };
}

/**
 * The no-label default as the applications compute it: each record becomes a `Product`, then a
 * representation (`representProduct`), and pairs are scored by `compareProducts` with a built-in
 * profile (`sameProduct`: the profile similar/dedup/match use to decide "same item"). For evaluations
 * that put this default beside the TF-IDF floor; no label is used.
 */
export function noLabelFusionScorer(options: {
  toProduct: (record: PairRecord, id: string) => Product;
  analyzer?: TextAnalyzer;
  denseTitle?: (record: PairRecord) => Float32Array | undefined;
  profile?: FusionProfile | 'sameProduct' | 'default';
  /**
   * The catalog the records come from (both shops' tables, or every record of the benchmark): its
   * document frequencies weigh the evidence as the applications' catalog index does
   * (`catalog-statistics.ts`). Text only, never labels. Without it, no catalog statistics.
   */
  catalogRecords?: readonly PairRecord[];
}): { profile: string; catalog: CatalogStatistics | undefined; score(pairs: readonly LabeledPair[]): Float64Array } {
  const analyzer = options.analyzer ?? createTextAnalyzer();
  const profile = options.profile ?? 'sameProduct';
  const cache = new WeakMap<PairRecord, ProductRepresentation>();
  let next = 0;
  const represent = (r: PairRecord): ProductRepresentation => {
    let rep = cache.get(r);
    if (!rep) {
      const dense = options.denseTitle?.(r);
      rep = representProduct(options.toProduct(r, `r${next++}`), analyzer, dense ? { dense: { title: dense } } : {});
      cache.set(r, rep);
    }
    return rep;
  };
  const catalog = options.catalogRecords ? catalogStatisticsOf(options.catalogRecords.map(represent)) : undefined;
  return {
    profile: typeof profile === 'string' ? profile : profile.name,
    catalog,
    score: (pairs) => Float64Array.from(pairs, (p) => compareProducts(represent(p.left), represent(p.right), { profile, catalog }).score ?? 0),
  };
}
