/**
 * Fusion: one score from field similarities, as a weighted mean whose weights come from a named
 * profile. A field missing on either side (its similarity is `undefined`) is not scored 0: its
 * weight is left out and the other weights are renormalised to sum to 1, and the result lists the
 * field as missing. Contributions are score × normalised weight, rounded to multiples of 2⁻⁴⁰ so
 * that the fused score is exactly their sum (in any order) and never leaves [0, 1].
 */
import { createError, rejectUnknownKeys } from '../errors.ts';
import { defaultFieldSimilarities, FIELD_NAMES, isFieldName, representationModelNumbers, type FieldName, type FieldSimilarityTable } from './fields.ts';
import { canonicalModelNumber } from './field-similarities/model-number.ts';
import type { FieldEvidence, FieldSimilarity } from './field-similarities/types.ts';
import type { ProductRepresentation } from './representation.ts';
import { productDistinctions, type Distinction } from './distinctions.ts';
import { catalogAttributesSimilarity, catalogTextSimilarity, modelNumberSpecificity, type CatalogStatistics } from './catalog-statistics.ts';
import type { ModelNumberEvidence } from './field-similarities/model-number.ts';

export type MissingFieldPolicy = 'renormalize';

export interface FusionProfile {
  readonly name: string;
  readonly description?: string;
  /** Non-negative weights; fields absent or at 0 are not compared. They need not sum to 1. */
  readonly weights: Readonly<Partial<Record<FieldName, number>>>;
  readonly missing: MissingFieldPolicy;
  /** Where the weights come from (`built-in`, `learned: logistic regression on …`). */
  readonly source?: string;
  /**
   * Multiplies the fused score when a compared field reports an identity conflict (another variant's
   * model number, another colour, another capacity): such pairs are never the same product however
   * alike the rest. Absent or 1: conflicts only count through their field's score.
   */
  readonly conflictFactor?: number;
  /**
   * Multiplies the fused score when the two are different kinds of product (a phone and a laptop,
   * a case and a screen protector: `distinctions.ts`). Absent or 1: no effect.
   */
  readonly typeConflictFactor?: number;
  /**
   * With catalog statistics (`CompareOptions.catalog`): title words are compared as a TF-IDF cosine
   * with the catalog's document frequencies, and a model number's weight shrinks with the number
   * of products carrying the code (`catalog-statistics.ts`). Without statistics: no effect.
   */
  readonly weighByCatalog?: boolean;
  /**
   * With catalog statistics and `weighByCatalog`: the weights used instead of `weights` (the text
   * comparison then carries more, e.g. the brand's words, so the brand field can weigh less).
   */
  readonly catalogWeights?: Readonly<Partial<Record<FieldName, number>>>;
}

export interface FieldContribution {
  field: FieldName;
  /** `undefined` when the field is missing on either side. */
  score: number | undefined;
  /** The profile's weight. */
  weight: number;
  /**
   * What the evidence's strength made of the weight, when not 1: a model number carried by many
   * catalog products (`modelNumberSpecificity`). normalizedWeight uses weight × weightFactor.
   */
  weightFactor?: number;
  /** weight / Σ weights of the fields present; 0 for a missing field. */
  normalizedWeight: number;
  /** score × normalizedWeight (to within 1e-12, see `fuse`); 0 for a missing field. */
  contribution: number;
  missing: boolean;
  evidence: FieldEvidence | undefined;
}

export interface FusionResult {
  /** Σ contributions; `undefined` when every weighted field is missing (no evidence at all). */
  score: number | undefined;
  fields: FieldContribution[];
  missingFields: FieldName[];
  /** Σ weights of the fields present / Σ all weights: how much of the profile the score rests on. */
  coverage: number;
  /**
   * How much evidence the score rests on: Σ weight × weightFactor of the fields present / Σ all
   * weights. Equals `coverage` unless weak evidence (a common model number) was weighed down.
   */
  confidence: number;
  profile: string;
  /** Identity conflicts found in the compared fields (empty when none). */
  conflicts: string[];
  /** The factor the conflicts applied to every contribution (1 when none or the profile has none). */
  conflictFactor: number;
  /** The negative evidence behind the conflicts that are not a field's (`distinctions.ts`). */
  distinctions: Distinction[];
}

export type FieldScores = Partial<Record<FieldName, FieldSimilarity | undefined>>;

function checkWeights(name: string, weights: Record<string, unknown>): Partial<Record<FieldName, number>> {
  const out: Partial<Record<FieldName, number>> = {};
  let total = 0;
  for (const [field, w] of Object.entries(weights)) {
    if (!isFieldName(field)) {
      throw createError('UNKNOWN_OPTION', `profile "${name}": unknown field "${field}" (known: ${FIELD_NAMES.join(', ')})`, { field });
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw createError('INVALID_ARGUMENT', `profile "${name}": weight of ${field} must be a finite number ≥ 0`, {
        field,
        expected: 'number ≥ 0',
        received: String(w),
      });
    }
    out[field] = w;
    total += w;
  }
  if (!(total > 0)) throw createError('INVALID_ARGUMENT', `profile "${name}": at least one weight must be > 0`, { field: 'weights' });
  return out;
}

/**
 * A profile from weights computed elsewhere (learned by the learning stage, read from a config
 * file): validated (known fields, finite, ≥ 0, not all 0) and frozen.
 */
export function profileFromWeights(
  name: string,
  weights: Readonly<Record<string, number>>,
  options: { description?: string; source?: string; conflictFactor?: number; typeConflictFactor?: number; weighByCatalog?: boolean; catalogWeights?: Readonly<Record<string, number>> } = {},
): FusionProfile {
  rejectUnknownKeys(options, ['description', 'source', 'conflictFactor', 'typeConflictFactor', 'weighByCatalog', 'catalogWeights'], 'profileFromWeights');
  const checked = checkWeights(name, weights);
  const catalogWeights = options.catalogWeights ? checkWeights(name, options.catalogWeights) : undefined;
  if (catalogWeights && !options.weighByCatalog) {
    throw createError('INVALID_ARGUMENT', `profile ${name}: catalogWeights need weighByCatalog`, { field: 'catalogWeights' });
  }
  for (const key of ['conflictFactor', 'typeConflictFactor'] as const) {
    const factor = options[key];
    if (factor !== undefined && !(factor >= 0 && factor <= 1)) {
      throw createError('INVALID_ARGUMENT', `profile ${name}: ${key} must be in [0, 1], got ${factor}`, { field: key });
    }
  }
  return Object.freeze({
    name,
    ...(options.description ? { description: options.description } : {}),
    ...(options.conflictFactor !== undefined ? { conflictFactor: options.conflictFactor } : {}),
    ...(options.typeConflictFactor !== undefined ? { typeConflictFactor: options.typeConflictFactor } : {}),
    ...(options.weighByCatalog ? { weighByCatalog: true } : {}),
    ...(catalogWeights ? { catalogWeights: Object.freeze(catalogWeights) } : {}),
    weights: Object.freeze(checked),
    missing: 'renormalize' as const,
    source: options.source ?? 'given weights',
  });
}

/** What a product-type conflict (phone vs laptop) leaves of a general similarity score. */
export const TYPE_CONFLICT_FACTOR = 0.5;
/** … and of a same-product score, which it rules out. */
export const SAME_PRODUCT_TYPE_CONFLICT_FACTOR = 0.25;

/**
 * Built-in profiles. Weights sum to 1 for readability (fusion does not require it).
 * - default: a bit of everything, text first.
 * - similarStyle: looks alike and sits in the same place of the tree; brand and model number do
 *   not count (a similar dress from another brand is a good answer).
 * - sameProduct: the identity fields (model number, brand, title words, attributes, price,
 *   quantities such as 128GB) decide; looks count little because shops use different photos.
 */
export const PROFILES = Object.freeze({
  default: profileFromWeights(
    'default',
    {
      titleDense: 0.2,
      titleLexical: 0.15,
      descriptionDense: 0.05,
      tags: 0.1,
      brand: 0.1,
      category: 0.1,
      price: 0.05,
      image: 0.1,
      modelNumber: 0.1,
      attributes: 0.05,
    },
    // A laptop is not a similar item of a phone however alike the words (sample catalog: the
    // MateBook ranked among a Mate 60 Pro's similar items); other colours and capacities are.
    { description: 'general similarity, text first', source: 'built-in', typeConflictFactor: TYPE_CONFLICT_FACTOR },
  ),
  similarStyle: profileFromWeights(
    'similarStyle',
    { image: 0.35, category: 0.25, tags: 0.2, titleDense: 0.15, attributes: 0.05 },
    { description: 'looks alike: image, category, tags, title meaning', source: 'built-in', typeConflictFactor: TYPE_CONFLICT_FACTOR },
  ),
  sameProduct: profileFromWeights(
    'sameProduct',
    // modelNumber 0.3 → 0.2 with weighByCatalog (Amazon-Google no-label test F1 36.4 → 58.2, see
    // docs/benchmarks/entity-matching.md): a shared code is strong evidence only when it is rare.
    // attributes 0.1 → 0.2: with the catalog, attribute values are compared as TF-IDF like the
    // title's words, and weigh as much (Taobao valid F1 57.3 → 61.5; alone they reach 67.3 while
    // title words reach 44.4: shops write the same item's title differently, not its 货号 or 材质).
    { modelNumber: 0.2, brand: 0.15, titleLexical: 0.2, attributes: 0.2, price: 0.1, quantities: 0.1, image: 0.05 },
    // Another colour, capacity or model variant is another product: halve the score (sample shops:
    // match F1 on data/shop-a ↔ shop-b at threshold 0.6: 0.73 → 0.91; visible in every explanation).
    // Another kind of product is never the same item: quarter the score.
    {
      description: 'the same item: model number, brand, title words, attributes, price',
      source: 'built-in',
      conflictFactor: 0.5,
      typeConflictFactor: SAME_PRODUCT_TYPE_CONFLICT_FACTOR,
      weighByCatalog: true,
      // With the catalog, title, brand and attribute values are one TF-IDF text (the floor's
      // comparison), which already carries the brand's words: titleLexical 0.2 → 0.25, brand
      // 0.15 → 0.1. No-label valid F1 (EM_NOLABEL_ONLY=1 npm run eval:em), text comparison with
      // the weights above → these: Amazon-Google 59.3 → 61.9 (floor 60.0; the brand field is in
      // 11 % of one shop's records, so its weight mostly renormalises away), others −0.2 to +0.4.
      catalogWeights: { modelNumber: 0.2, brand: 0.1, titleLexical: 0.25, attributes: 0.2, price: 0.1, quantities: 0.1, image: 0.05 },
    },
  ),
});

export type ProfileName = keyof typeof PROFILES;

export function getProfile(name: string): FusionProfile {
  if (!Object.hasOwn(PROFILES, name)) {
    throw createError('INVALID_ARGUMENT', `unknown similarity profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`, {
      field: 'profile',
      received: name,
    });
  }
  return PROFILES[name as ProfileName];
}

/** The fields a profile compares (weight > 0), in the profile's order. */
export function profileFields(profile: FusionProfile): FieldName[] {
  return [...comparedFields(profile)];
}

/**
 * `profileFields` without the copy, for the per-pair paths. A frozen profile (every built-in, learned
 * or `profileFromWeights` one) cannot change: its list is made once, as `fuse` runs for every
 * candidate pair.
 */
function comparedFields(profile: FusionProfile): readonly FieldName[] {
  const cached = fieldsOfProfile.get(profile);
  if (cached) return cached;
  const fields = (Object.keys(profile.weights) as FieldName[]).filter((f) => (profile.weights[f] ?? 0) > 0);
  if (Object.isFrozen(profile) && Object.isFrozen(profile.weights)) fieldsOfProfile.set(profile, fields);
  return fields;
}

const fieldsOfProfile = new WeakMap<FusionProfile, readonly FieldName[]>();

/** Contributions are multiples of 1 / CONTRIBUTION_UNIT (see `fuse`). */
export const CONTRIBUTION_UNIT = 2 ** 40;

/** A code's format: runs of letters and of digits (`mx780523` → `A9`, `smg9910zkd` → `A9A`). */
const codeFormat = (code: string): string => code.replace(/\p{L}+/gu, 'A').replace(/\p{N}+/gu, '9');

/**
 * The brand score at or above which two products are of one maker (one name, an alias, or the same
 * unknown name spelled another way; a sub-brand scores 0.7): see `differentCodesOfOneFormat`.
 */
export const ONE_MAKER_BRAND_SCORE = 0.8;

/**
 * Two products of one maker (`ONE_MAKER_BRAND_SCORE`) whose codes are all unrelated (`different`)
 * and share a format (`mx780523` vs `x663594`: both letters then digits) carry two numbers of the
 * maker's numbering scheme: two items, however alike their titles. Codes of other formats
 * (`dscw120p` vs `w120`, a spec read as a code) stay weak evidence, and so do codes of products not
 * known to share a maker: shops number their own 货号, so two listings of one item carry two codes
 * of one format (Taobao valid pairs: 20 matches and 88 non-matches, base rate 26 %).
 * Measured on valid pairs (no-label default, best-F1 threshold): counting every `different` as a
 * conflict lost Taobao 61.2 → 59.6, this rule without the maker 61.2 → 60.3, English sets within
 * ±0.4 except WDC computers medium 79.4 → 80.5. With the maker (on the one-text sameProduct):
 * Taobao valid 64.3 → 65.7, train 61.8 → 63.2 (see the commit adding `ONE_MAKER_BRAND_SCORE`).
 */
function differentCodesOfOneFormat(e: ModelNumberEvidence): boolean {
  const formats = new Set(e.codesA.map(codeFormat));
  return e.codesB.some((c) => formats.has(codeFormat(c)));
}

/**
 * The identity conflict a field's evidence reports, if any: a model number of another variant,
 * an attribute of quantity or colour with another value, a quantity (128GB / 256GB) not shared.
 * `brand`: the pair's brand similarity when compared (codes of one format conflict only within one
 * maker: `differentCodesOfOneFormat`).
 */
export function fieldConflict(field: FieldName, evidence: FieldEvidence | undefined, brand?: FieldSimilarity): string | undefined {
  if (!evidence || !CONFLICT_FIELDS.has(field)) return undefined;
  const e = evidence as FieldEvidence & { kind?: string; compared?: { relation?: string; score?: number; agree?: boolean; key?: string; unit?: string; a?: unknown; b?: unknown; valuesA?: unknown[]; valuesB?: unknown[] }[] };
  if (field === 'modelNumber' && e.kind === 'conflict') return `model number: ${e.summary}`;
  if (field === 'modelNumber' && e.kind === 'different' && (brand?.score ?? 0) >= ONE_MAKER_BRAND_SCORE && differentCodesOfOneFormat(e as unknown as ModelNumberEvidence)) {
    return `model number: ${e.summary}`;
  }
  if (field === 'attributes') {
    const c = e.compared?.find((x) => (x.relation === 'colour' || x.relation === 'quantity') && x.score === 0);
    if (c) return `${c.key}: ${String(c.a)} ≠ ${String(c.b)}`;
  }
  if (field === 'quantities') {
    const c = e.compared?.find((x) => x.agree === false);
    if (c) return `${c.unit}: ${c.valuesA?.join('/')} ≠ ${c.valuesB?.join('/')}`;
  }
  return undefined;
}

/**
 * The fields whose evidence can report an identity conflict. Only theirs is read while fusing: the
 * others' evidence is built when an explanation reads it (see `lazyEvidence`).
 */
const CONFLICT_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['modelNumber', 'attributes', 'quantities']);

/**
 * Fuses field scores by the profile's weights. `distinctions` (negative evidence from outside the
 * fields, `distinctions.ts`) add to the conflicts and apply the profile's factor of their kind.
 */
export function fuse(
  fieldScores: FieldScores,
  profile: FusionProfile,
  distinctions: readonly Distinction[] = NO_DISTINCTIONS,
  weightFactors: Readonly<Partial<Record<FieldName, number>>> = NO_FACTORS,
): FusionResult {
  const fields = comparedFields(profile);
  const n = fields.length;
  let presentWeight = 0;
  let coveredWeight = 0;
  let totalWeight = 0;
  const conflicts: string[] = [];
  const weightOf = (f: FieldName): number => profile.weights[f]! * (weightFactors[f] ?? 1);
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    totalWeight += profile.weights[f]!;
    const s = fieldScores[f];
    if (s === undefined) continue;
    if (typeof s.score !== 'number' || !(s.score >= 0 && s.score <= 1)) {
      throw createError('INTERNAL', `field similarity ${f} returned ${s.score}, expected a number in [0, 1]`, { field: f });
    }
    coveredWeight += profile.weights[f]!;
    presentWeight += weightOf(f);
    if (CONFLICT_FIELDS.has(f)) {
      const conflict = fieldConflict(f, s.evidence, fieldScores.brand);
      if (conflict !== undefined) conflicts.push(conflict);
    }
  }
  // Contributions are kept as whole multiples of 2⁻⁴⁰ (≈ 1e-12): sums of such numbers are exact in
  // floating point in any order, so Σ contributions is exactly the score, and a float excess
  // (1.0000000000000002 when every field scores 1) can be taken off exactly, keeping score ≤ 1.
  // Field conflicts (model number, colour, capacity) are all of the variant kind.
  let variantConflict = conflicts.length > 0;
  let typeConflict = false;
  for (const d of distinctions) {
    conflicts.push(d.summary);
    if (d.kind === 'type') typeConflict = true;
    else variantConflict = true;
  }
  const conflictFactor = (variantConflict ? (profile.conflictFactor ?? 1) : 1) * (typeConflict ? (profile.typeConflictFactor ?? 1) : 1);
  const units = new Array<number>(n);
  let totalUnits = 0;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const s = fieldScores[f];
    const u = s === undefined ? 0 : Math.round(s.score * conflictFactor * (weightOf(f) / presentWeight) * CONTRIBUTION_UNIT);
    units[i] = u;
    totalUnits += u;
    if (u > units[largest]!) largest = i;
  }
  if (totalUnits > CONTRIBUTION_UNIT) {
    units[largest]! -= totalUnits - CONTRIBUTION_UNIT;
    totalUnits = CONTRIBUTION_UNIT;
  }
  const out = new Array<FieldContribution>(n);
  const missingFields: FieldName[] = [];
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const w = profile.weights[f]!;
    const s = fieldScores[f];
    if (s === undefined) {
      out[i] = { field: f, score: undefined, weight: w, normalizedWeight: 0, contribution: 0, missing: true, evidence: undefined };
      missingFields.push(f);
    } else {
      const factor = weightFactors[f];
      out[i] = new PresentContribution(f, s, w, weightOf(f) / presentWeight, units[i]! / CONTRIBUTION_UNIT, factor !== undefined && factor !== 1 ? factor : undefined);
    }
  }
  return {
    score: presentWeight > 0 ? totalUnits / CONTRIBUTION_UNIT : undefined,
    fields: out,
    missingFields,
    coverage: totalWeight > 0 ? coveredWeight / totalWeight : 0,
    confidence: totalWeight > 0 ? presentWeight / totalWeight : 0,
    profile: profile.name,
    conflicts,
    conflictFactor,
    distinctions: distinctions === NO_DISTINCTIONS ? [] : [...distinctions],
  };
}

const NO_DISTINCTIONS: readonly Distinction[] = Object.freeze([]);
const NO_FACTORS: Readonly<Partial<Record<FieldName, number>>> = Object.freeze({});

/**
 * A present field's contribution. Its `evidence` is the field similarity's, read when asked for, so
 * fusing does not build a lazy one (see `lazyEvidence`); `toJSON` gives the plain object.
 */
class PresentContribution implements FieldContribution {
  readonly missing = false;
  readonly score: number;
  readonly weightFactor?: number;
  readonly #similarity: FieldSimilarity;
  constructor(
    readonly field: FieldName,
    similarity: FieldSimilarity,
    readonly weight: number,
    readonly normalizedWeight: number,
    readonly contribution: number,
    weightFactor: number | undefined,
  ) {
    this.score = similarity.score;
    this.#similarity = similarity;
    if (weightFactor !== undefined) this.weightFactor = weightFactor;
  }
  get evidence(): FieldEvidence {
    return this.#similarity.evidence;
  }
  toJSON(): FieldContribution {
    const { field, score, weight, weightFactor, normalizedWeight, contribution, missing, evidence } = this;
    return { field, score, weight, ...(weightFactor !== undefined ? { weightFactor } : {}), normalizedWeight, contribution, missing, evidence };
  }
}

export interface CompareOptions {
  /** A profile or the name of a built-in one; `default` when absent. */
  profile: FusionProfile | ProfileName;
  /** Replacements for some field similarities (an injected tag similarity, a learned text scorer…). */
  fieldSimilarities: Partial<FieldSimilarityTable>;
  /** Document frequencies of the catalog the products come from; used by profiles with `weighByCatalog`. */
  catalog: CatalogStatistics | undefined;
}

export interface SimilarityResult extends FusionResult {
  a: string;
  b: string;
  /** Title tokens and model numbers (canonical) both products have, whatever the profile. */
  matched: { tokens: string[]; modelNumbers: string[] };
}

/**
 * Field similarities of two products for the given fields (all fields by default), without
 * fusing: the input of weight learning and of per-field evaluations.
 */
export function computeFieldScores(
  a: ProductRepresentation,
  b: ProductRepresentation,
  options: { fields?: readonly FieldName[]; fieldSimilarities?: Partial<FieldSimilarityTable> } = {},
): FieldScores {
  rejectUnknownKeys(options, ['fields', 'fieldSimilarities'], 'computeFieldScores');
  const overrides = options.fieldSimilarities ?? {};
  checkFieldNames([...Object.keys(overrides), ...(options.fields ?? [])]);
  return scoreFields(a, b, options.fields ?? FIELD_NAMES, overrides);
}

function checkFieldNames(names: readonly string[]): void {
  for (const k of names) {
    if (!isFieldName(k)) throw createError('UNKNOWN_OPTION', `unknown field "${k}" (known: ${FIELD_NAMES.join(', ')})`, { field: k });
  }
}

/** `computeFieldScores` with checked arguments: the per-pair path of rankings. */
function scoreFields(a: ProductRepresentation, b: ProductRepresentation, fields: readonly FieldName[], overrides: Partial<FieldSimilarityTable>): FieldScores {
  const table = defaultFieldSimilarities();
  const scores: FieldScores = {};
  for (const f of fields) scores[f] = (overrides[f] ?? table[f])(a, b);
  return scores;
}

const NO_OVERRIDES: Partial<FieldSimilarityTable> = Object.freeze({});

/** Computes every field the profile weighs, then fuses them. */
export function compareProducts(a: ProductRepresentation, b: ProductRepresentation, options: Partial<CompareOptions> = {}): SimilarityResult {
  rejectUnknownKeys(options, ['profile', 'fieldSimilarities', 'catalog'], 'compareProducts');
  let profile = typeof options.profile === 'string' ? getProfile(options.profile) : (options.profile ?? PROFILES.default);
  let overrides = options.fieldSimilarities ?? NO_OVERRIDES;
  if (overrides !== NO_OVERRIDES) checkFieldNames(Object.keys(overrides));
  const catalog = profile.weighByCatalog ? options.catalog : undefined;
  if (catalog === undefined) return new PairSimilarity(a, b, fuse(scoreFields(a, b, comparedFields(profile), overrides), profile, productDistinctions(a, b)));
  profile = catalogProfile(profile);
  const table = defaultFieldSimilarities();
  overrides = {
    titleLexical: (x, y) => catalogTextSimilarity(x, y, catalog),
    attributes: (x, y) => catalogAttributesSimilarity(x, y, catalog, table.attributes(x, y)),
    ...overrides,
  };
  const scores = scoreFields(a, b, comparedFields(profile), overrides);
  const factor = modelNumberWeightFactor(scores.modelNumber, catalog, a, b);
  return new PairSimilarity(a, b, fuse(scores, profile, productDistinctions(a, b), factor === 1 ? NO_FACTORS : { modelNumber: factor }));
}

/** The profile as it weighs fields with catalog statistics: its `catalogWeights`, when it has them (made once per profile). */
function catalogProfile(profile: FusionProfile): FusionProfile {
  if (profile.catalogWeights === undefined) return profile;
  let out = catalogProfiles.get(profile);
  if (!out) {
    out = Object.freeze({ ...profile, weights: profile.catalogWeights });
    catalogProfiles.set(profile, out);
  }
  return out;
}

const catalogProfiles = new WeakMap<FusionProfile, FusionProfile>();

/**
 * What unrelated codes (`different`) weigh when neither title names a code: the codes are the
 * listings' article numbers (Taobao's 货号 attribute), which each shop numbers its own way, so two
 * listings of one item rarely share them. A code a title shows (`WH-1000XM5`, `MX7805-23`) is how the
 * product is named and keeps full weight. Chosen on valid: Taobao val clusters (npm run eval:dedup,
 * default 0.5) factor 1 → 0.25 → 0: P 0.960 R 0.351 → P 0.961 R 0.375 → P 0.950 R 0.379; no-label
 * valid F1 Taobao 65.7 → 65.7 (0: 65.4), English sets within 0.3 (EM_NOLABEL_ONLY=1 npm run eval:em).
 */
export const UNNAMED_CODES_FACTOR = 0.25;

const titleNamesCode = (r: ProductRepresentation): boolean => r.text.title.modelNumbers.length > 0;

/**
 * What a model-number agreement is worth given how many catalog products carry the code: an exact
 * match counts by its most specific shared code, a partial one by the commoner of its two codes
 * (`modelNumberSpecificity`). Conflicts keep their full weight: a shared code family with another
 * number (`cs3` / `cs4`) still tells products apart; so do unrelated codes, unless neither title
 * names a code (given `a` and `b`: `UNNAMED_CODES_FACTOR`).
 */
export function modelNumberWeightFactor(similarity: FieldScores['modelNumber'], catalog: CatalogStatistics, a?: ProductRepresentation, b?: ProductRepresentation): number {
  if (similarity === undefined) return 1;
  const e = similarity.evidence as Partial<ModelNumberEvidence>;
  if (similarity.score === 0) return e.kind === 'different' && a !== undefined && b !== undefined && !titleNamesCode(a) && !titleNamesCode(b) ? UNNAMED_CODES_FACTOR : 1;
  if (e.kind === 'exact' && e.matched && e.matched.length > 0) return Math.max(...e.matched.map((c) => modelNumberSpecificity(c, catalog)));
  if (e.kind === 'partial' && e.best) return Math.min(modelNumberSpecificity(e.best.a, catalog), modelNumberSpecificity(e.best.b, catalog));
  return 1;
}

/**
 * `compareProducts`'s result. `matched` is computed when first read: a ranking scores many candidates
 * and explains only the best few. A class with a prototype getter (an object literal with a getter
 * costs V8 ~15× a plain one); `toJSON` gives the plain object.
 */
class PairSimilarity implements SimilarityResult {
  readonly a: string;
  readonly b: string;
  readonly score: number | undefined;
  readonly fields: FieldContribution[];
  readonly missingFields: FieldName[];
  readonly coverage: number;
  readonly confidence: number;
  readonly profile: string;
  readonly conflicts: string[];
  readonly conflictFactor: number;
  readonly distinctions: Distinction[];
  #pair: [ProductRepresentation, ProductRepresentation] | undefined;
  #matched: SimilarityResult['matched'] | undefined;
  constructor(ra: ProductRepresentation, rb: ProductRepresentation, fused: FusionResult) {
    this.a = ra.product.id;
    this.b = rb.product.id;
    this.score = fused.score;
    this.fields = fused.fields;
    this.missingFields = fused.missingFields;
    this.coverage = fused.coverage;
    this.confidence = fused.confidence;
    this.profile = fused.profile;
    this.conflicts = fused.conflicts;
    this.conflictFactor = fused.conflictFactor;
    this.distinctions = fused.distinctions;
    this.#pair = [ra, rb];
  }
  get matched(): SimilarityResult['matched'] {
    if (this.#matched === undefined) {
      this.#matched = matchedBetween(...this.#pair!);
      this.#pair = undefined;
    }
    return this.#matched;
  }
  toJSON(): SimilarityResult {
    const { a, b, score, fields, missingFields, coverage, confidence, profile, conflicts, conflictFactor, distinctions, matched } = this;
    return { a, b, score, fields, missingFields, coverage, confidence, profile, conflicts, conflictFactor, distinctions, matched };
  }
}

/** Matched tokens as written (before any brand canonicalisation): what a person can find in both titles. */
function matchedBetween(a: ProductRepresentation, b: ProductRepresentation): SimilarityResult['matched'] {
  const tokensB = new Set(b.text.title.tokens);
  const codesB = new Set(representationModelNumbers(b).map(canonicalModelNumber));
  return {
    tokens: [...new Set(a.text.title.tokens.filter((t) => tokensB.has(t)))],
    modelNumbers: [...new Set(representationModelNumbers(a).map(canonicalModelNumber).filter((c) => c.length > 0 && codesB.has(c)))],
  };
}

/**
 * Compares an anchor with candidates (e.g. ANN neighbours) and sorts them by fused score, best
 * first. Ties keep the candidates' order; candidates without any score (every weighted field
 * missing) come last, never in front of a scored one.
 */
export function rankByFusedScore(
  anchor: ProductRepresentation,
  candidates: readonly ProductRepresentation[],
  options: Partial<CompareOptions> = {},
): SimilarityResult[] {
  const results = candidates.map((c, i) => ({ r: compareProducts(anchor, c, options), i }));
  results.sort((x, y) => {
    const sx = x.r.score;
    const sy = y.r.score;
    if (sx === undefined || sy === undefined) return sx === sy ? x.i - y.i : sx === undefined ? 1 : -1;
    return sy - sx || x.i - y.i;
  });
  return results.map((x) => x.r);
}
