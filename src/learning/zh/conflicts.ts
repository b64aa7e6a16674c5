/**
 * Chinese attribute agreement and conflict rules between two products, as named numeric features
 * (for the matcher) and as a list of conflicts (for explanations and tests). Each rule is explicit:
 * - brand: equal when any name part is shared (Nike/耐克 vs 耐克); conflict when both are known and
 *   neither part is shared nor named in the other title;
 * - 货号 (model number): equal → strong evidence of the same product (never contradicted in the
 *   Taobao training split); conflict when both are given, differ, and neither contains the other;
 * - gender: 男 vs 女 (男鞋 vs 女鞋 are not the same product); unisex agrees with both;
 * - colour: the pv colour lists share no canonical colour;
 * - age: children's vs adult product; year: different 上市年份;
 * - category: different leaf categories.
 */
import { editSimilarity } from '../product-codes.ts';
import type { ZhAttributes } from './attributes.ts';

export type ZhConflict = 'brand' | 'modelNumber' | 'gender' | 'colour' | 'age' | 'year' | 'category';

function sharesAny(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) if (b.includes(x)) return true;
  return false;
}

function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return 0;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Brand part found in the other product's title (at least 2 characters, so 's' or '李' do not count). */
function brandInTitle(brand: readonly string[], other: ZhAttributes): boolean {
  return brand.some((p) => p.length >= 2 && other.titleCompact.includes(p));
}

export function brandAgrees(a: ZhAttributes, b: ZhAttributes): boolean {
  return sharesAny(a.brand, b.brand);
}

export function brandConflicts(a: ZhAttributes, b: ZhAttributes): boolean {
  if (a.brand.length === 0 || b.brand.length === 0) return false;
  if (brandAgrees(a, b)) return false;
  // One part containing the other (李宁 vs 李宁童装) is the same brand line.
  for (const x of a.brand) for (const y of b.brand) if (x.length >= 2 && y.length >= 2 && (x.includes(y) || y.includes(x))) return false;
  return !brandInTitle(a.brand, b) && !brandInTitle(b.brand, a);
}

export function modelNumberEqual(a: ZhAttributes, b: ZhAttributes): boolean {
  return a.modelNumber !== '' && a.modelNumber === b.modelNumber;
}

/** Not equal, but one 货号 contains the other (ab123 vs ab1232) or appears in the other title. */
export function modelNumberRelated(a: ZhAttributes, b: ZhAttributes): boolean {
  if (modelNumberEqual(a, b)) return false;
  const x = a.modelNumber;
  const y = b.modelNumber;
  if (x !== '' && y !== '' && x.length >= 4 && y.length >= 4 && (x.includes(y) || y.includes(x))) return true;
  if (x.length >= 4 && b.titleCompact.includes(x)) return true;
  if (y.length >= 4 && a.titleCompact.includes(y)) return true;
  return false;
}

export function modelNumberConflicts(a: ZhAttributes, b: ZhAttributes): boolean {
  if (a.modelNumber === '' || b.modelNumber === '') return false;
  // Only codes with a digit: a 货号 like 法国鸭舌帽 is a description, not an identifier.
  if (!/\d/.test(a.modelNumber) || !/\d/.test(b.modelNumber)) return false;
  return !modelNumberEqual(a, b) && !modelNumberRelated(a, b) && editSimilarity(a.modelNumber, b.modelNumber) < 0.8;
}

export function genderConflicts(a: ZhAttributes, b: ZhAttributes): boolean {
  return (a.gender === 'male' && b.gender === 'female') || (a.gender === 'female' && b.gender === 'male');
}

export function colourConflicts(a: ZhAttributes, b: ZhAttributes): boolean {
  return a.pvColours.length > 0 && b.pvColours.length > 0 && !sharesAny(a.pvColours, b.pvColours);
}

/** Every rule that says the two are different products. */
export function zhConflicts(a: ZhAttributes, b: ZhAttributes): ZhConflict[] {
  const out: ZhConflict[] = [];
  if (brandConflicts(a, b)) out.push('brand');
  if (modelNumberConflicts(a, b)) out.push('modelNumber');
  if (genderConflicts(a, b)) out.push('gender');
  if (colourConflicts(a, b)) out.push('colour');
  if ((a.age === 'child') !== (b.age === 'child')) out.push('age');
  if (a.year !== undefined && b.year !== undefined && a.year !== b.year) out.push('year');
  if (a.category !== '' && b.category !== '' && a.category !== b.category) out.push('category');
  return out;
}

/** Keys whose values identify a product variant rather than describe it loosely. */
const IDENTITY_KEYS = new Set(['品牌', '货号', '颜色分类', '尺码', '适用性别', '款式', '材质', '面料', '上市年份季节', '型号', '系列', '款号', '适用年龄', '图案', '风格', '领型', '袖长', '衣长', '裙长', '鞋跟高']);

/** Named features of the attribute comparison (the `zh-attributes` feature group). */
export function zhAttributeFeatures(a: ZhAttributes, b: ZhAttributes): Record<string, number> {
  let shared = 0;
  let equal = 0;
  let identityShared = 0;
  let identityEqual = 0;
  for (const [k, va] of a.pv) {
    const vb = b.pv.get(k);
    if (vb === undefined) continue;
    shared++;
    const same = va === vb ? 1 : 0;
    equal += same;
    if (IDENTITY_KEYS.has(k)) {
      identityShared++;
      identityEqual += same;
    }
  }
  const keysUnion = new Set([...a.pv.keys(), ...b.pv.keys()]).size;
  let pathDepth = 0;
  while (pathDepth < a.categoryPath.length && pathDepth < b.categoryPath.length && a.categoryPath[pathDepth] === b.categoryPath[pathDepth]) pathDepth++;
  const bothModel = a.modelNumber !== '' && b.modelNumber !== '';
  const childA = a.age === 'child';
  const childB = b.age === 'child';
  return {
    brand_equal: brandAgrees(a, b) ? 1 : 0,
    brand_conflict: brandConflicts(a, b) ? 1 : 0,
    brand_in_other_title: brandInTitle(a.brand, b) || brandInTitle(b.brand, a) ? 1 : 0,
    brand_both_known: a.brand.length > 0 && b.brand.length > 0 ? 1 : 0,
    model_equal: modelNumberEqual(a, b) ? 1 : 0,
    model_related: modelNumberRelated(a, b) ? 1 : 0,
    model_conflict: modelNumberConflicts(a, b) ? 1 : 0,
    model_edit_sim: bothModel ? editSimilarity(a.modelNumber, b.modelNumber) : -1,
    model_both_given: bothModel ? 1 : 0,
    title_code_shared: sharesAny(a.titleCodes, b.titleCodes) ? 1 : 0,
    gender_conflict: genderConflicts(a, b) ? 1 : 0,
    gender_equal: a.gender !== undefined && a.gender === b.gender ? 1 : 0,
    age_conflict: childA !== childB ? 1 : 0,
    colour_pv_jaccard: jaccard(a.pvColours, b.pvColours),
    colour_pv_conflict: colourConflicts(a, b) ? 1 : 0,
    colour_title_jaccard: jaccard(a.titleColours, b.titleColours),
    colour_title_conflict: a.titleColours.length > 0 && b.titleColours.length > 0 && !sharesAny(a.titleColours, b.titleColours) ? 1 : 0,
    size_jaccard: jaccard(a.sizes, b.sizes),
    year_equal: a.year !== undefined && a.year === b.year ? 1 : 0,
    year_conflict: a.year !== undefined && b.year !== undefined && a.year !== b.year ? 1 : 0,
    category_equal: a.category !== '' && a.category === b.category ? 1 : 0,
    category_path_depth: pathDepth,
    pv_shared_keys: shared,
    pv_keys_jaccard: keysUnion === 0 ? 0 : shared / keysUnion,
    pv_equal_share: shared === 0 ? -1 : equal / shared,
    pv_unequal: shared - equal,
    pv_identity_equal_share: identityShared === 0 ? -1 : identityEqual / identityShared,
    pv_identity_unequal: identityShared - identityEqual,
    conflicts: zhConflicts(a, b).length,
  };
}

/**
 * Hand-set (unlearned) adjustments a fixed fusion applies to a text-similarity score in [0, 1]:
 * added when the feature is 1. Explicit so the ablation can show what rules alone add before any
 * learning; the matcher learns its own weights instead.
 */
export const ZH_RULE_ADJUSTMENTS = {
  model_equal: 0.5,
  model_related: 0.2,
  brand_equal: 0.1,
  brand_conflict: -0.3,
  model_conflict: -0.2,
  gender_conflict: -0.3,
  age_conflict: -0.2,
  colour_pv_conflict: -0.1,
  year_conflict: -0.1,
} as const satisfies Record<string, number>;

/** A text similarity adjusted by the hand-set attribute rules (ZH_RULE_ADJUSTMENTS). */
export function adjustWithZhRules(score: number, features: Readonly<Record<string, number>>): number {
  let s = score;
  for (const [name, w] of Object.entries(ZH_RULE_ADJUSTMENTS)) if ((features[name] ?? 0) === 1) s += w;
  return s;
}
