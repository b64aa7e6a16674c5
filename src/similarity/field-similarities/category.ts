/**
 * Category similarity from the position of two products in the category tree:
 *
 *   score = d / max(depthA, depthB)
 *
 * where d is the number of leading levels the two paths share (after NFKC + lower case) and depth is
 * the number of levels of a path. Same leaf → 1; siblings under one parent at depth 3 → 2/3;
 * only the root shared → 1/3; different roots → 0. Dividing by the deeper path means a vague
 * category (`服装`) is not treated as equal to a precise one (`服装/女装/连衣裙`): 1/3.
 */
import { categoryLevels } from '../../catalog/product.ts';
import { normalizeValue, type FieldEvidence, type FieldSimilarity } from './types.ts';

export interface CategoryEvidence extends FieldEvidence {
  sharedDepth: number;
  depthA: number;
  depthB: number;
  /** The shared levels, as written in the first product's path. */
  sharedPath: string[];
}

/** `undefined` when either product has no category. */
export function categorySimilarity(a: string | undefined, b: string | undefined): FieldSimilarity<CategoryEvidence> | undefined {
  const la = categoryLevels(a);
  const lb = categoryLevels(b);
  if (la.length === 0 || lb.length === 0) return undefined;
  let d = 0;
  while (d < la.length && d < lb.length && normalizeValue(la[d]!) === normalizeValue(lb[d]!)) d++;
  const maxDepth = Math.max(la.length, lb.length);
  const sharedPath = la.slice(0, d);
  const summary =
    d === 0
      ? `different category trees (${la[0]} vs ${lb[0]})`
      : `share ${d} of ${maxDepth} levels: ${sharedPath.join('/')}`;
  return { score: d / maxDepth, evidence: { summary, sharedDepth: d, depthA: la.length, depthB: lb.length, sharedPath } };
}
