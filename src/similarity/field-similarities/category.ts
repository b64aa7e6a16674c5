/**
 * Category similarity from the position of two products in the category tree:
 *
 *   score = Σ_{i < d} levelSimilarity(aᵢ, bᵢ) / max(depthA, depthB)
 *
 * where d is the number of leading levels that match (levelSimilarity ≥ minLevelSimilarity) and
 * depth is the number of levels of a path. With the default level similarity (equal after NFKC +
 * lower case → 1, else 0) this is shared prefix depth / max depth: same leaf → 1; siblings under
 * one parent at depth 3 → 2/3; only the root shared → 1/3; different roots → 0. Dividing by the
 * deeper path means a vague category (`服装`) is not treated as equal to a precise one
 * (`服装/女装/连衣裙`): 1/3. Inject a level similarity (a synonym table, an embedding) to compare
 * trees written in different languages (`服装` / `Apparel`).
 */
import { categoryLevels } from '../../catalog/product.ts';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { memoizePair, normalizeValue, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export interface CategoryEvidence extends FieldEvidence {
  sharedDepth: number;
  depthA: number;
  depthB: number;
  /** The matching leading levels, as written in the first product's path. */
  sharedPath: string[];
  /** Similarity of each matching level (all 1 with the default level similarity). */
  levelScores: number[];
}

export interface CategorySimilarityOptions {
  /** Similarity of two category names at the same depth, symmetric, in [0, 1]; pure (results are memoised per pair of paths). */
  levelSimilarity: (a: string, b: string) => number;
  /** A level matches when its similarity reaches this; the first level that does not ends the prefix. */
  minLevelSimilarity: number;
}

export const exactLevelSimilarity = (a: string, b: string): number => (normalizeValue(a) === normalizeValue(b) ? 1 : 0);

export const DEFAULT_CATEGORY_SIMILARITY_OPTIONS = {
  levelSimilarity: exactLevelSimilarity,
  minLevelSimilarity: 0.5,
} as const satisfies CategorySimilarityOptions;

export type CategorySimilarityFn = (a: string | undefined, b: string | undefined) => FieldSimilarity<CategoryEvidence> | undefined;

export function createCategorySimilarity(options: Partial<CategorySimilarityOptions> = {}): CategorySimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_CATEGORY_SIMILARITY_OPTIONS), 'createCategorySimilarity');
  const opts: CategorySimilarityOptions = { ...DEFAULT_CATEGORY_SIMILARITY_OPTIONS, ...options };
  const compare = memoizePair(comparePaths);
  return function categorySimilarity(a, b) {
    if (a === undefined || b === undefined) return undefined;
    return compare(a, b);
  };

  function comparePaths(a: string, b: string): FieldSimilarity<CategoryEvidence> | undefined {
    const la = categoryLevels(a);
    const lb = categoryLevels(b);
    if (la.length === 0 || lb.length === 0) return undefined;
    const levelScores: number[] = [];
    while (levelScores.length < la.length && levelScores.length < lb.length) {
      const i = levelScores.length;
      const s = opts.levelSimilarity(la[i]!, lb[i]!);
      if (!(s >= 0 && s <= 1)) throw createError('INVALID_ARGUMENT', `category level similarity must be in [0, 1], got ${s}`);
      if (s < opts.minLevelSimilarity) break;
      levelScores.push(s);
    }
    const d = levelScores.length;
    const maxDepth = Math.max(la.length, lb.length);
    const sharedPath = la.slice(0, d);
    const score = levelScores.reduce((x, y) => x + y, 0) / maxDepth;
    const soft = levelScores.some((s) => s < 1) ? ` (level similarities ${levelScores.map((s) => round(s, 2)).join(', ')})` : '';
    const summary = d === 0 ? `different category trees (${la[0]} vs ${lb[0]})` : `share ${d} of ${maxDepth} levels: ${sharedPath.join('/')}${soft}`;
    return { score, evidence: { summary, sharedDepth: d, depthA: la.length, depthB: lb.length, sharedPath, levelScores } };
  }
}

const defaultCategorySimilarity = createCategorySimilarity();

/** Category similarity with exact level matching; `undefined` when either product has no category. */
export function categorySimilarity(a: string | undefined, b: string | undefined): FieldSimilarity<CategoryEvidence> | undefined {
  return defaultCategorySimilarity(a, b);
}
