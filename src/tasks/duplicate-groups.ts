/**
 * Duplicate groups from scored pairs. Joining every pair above the threshold transitively
 * (single linkage) lets one vague listing bridge two products: `iPhone 15 Pro Natural Titanium`
 * close to both the black and the white one puts black and white in one group. So pairs are taken
 * best first, and two groups are joined only when no pair across them is known to be different
 * (`cannotLink`: a conflict such as another colour, capacity, model line or product type). This is
 * the greedy form of clustering with cannot-link constraints; groups stay small, so checking every
 * cross pair is cheap.
 */

/**
 * Distinctions that lower a pair's score but do not keep two groups apart: a season or year word
 * (`夏季新款` / `秋装`, `2019` / `2020`) says when a shop listed the item more than which item it is:
 * shops list one dress as summer's and autumn's new model. As a cannot-link one such word in any
 * cross pair vetoes the whole join. Taobao val clusters (npm run eval:dedup, default 0.5): keeping
 * them as vetoes P 0.961 R 0.328; scoring them only P 0.959 R 0.350 (see the commit).
 */
export const SCORE_ONLY_DIMENSIONS: ReadonlySet<string> = new Set(['season', 'year']);

/**
 * Whether a compared pair's conflicts keep the two products' groups apart: any field conflict
 * (another model number, colour, capacity) or distinction, except those of `SCORE_ONLY_DIMENSIONS`.
 */
export function keepsGroupsApart(result: { readonly conflicts: readonly string[]; readonly distinctions: readonly { readonly dimension: string }[] }): boolean {
  let scoreOnly = 0;
  for (const d of result.distinctions) if (SCORE_ONLY_DIMENSIONS.has(d.dimension)) scoreOnly++;
  return result.conflicts.length > scoreOnly;
}

export interface ScoredPair {
  a: number;
  b: number;
  score: number;
}

export interface PairGroups {
  /** Member indices per group, in the order they joined; groups of two or more only. */
  groups: number[][];
  /** Pairs above the threshold left out because a conflict kept their groups apart. */
  keptApart: ScoredPair[];
}

export function groupPairsWithCannotLinks(pairs: readonly ScoredPair[], cannotLink: (a: number, b: number) => boolean): PairGroups {
  const sorted = [...pairs].sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b);
  const groupOf = new Map<number, number[]>();
  const keptApart: ScoredPair[] = [];
  for (const p of sorted) {
    const ga = groupOf.get(p.a) ?? [p.a];
    const gb = groupOf.get(p.b) ?? [p.b];
    if (ga === gb) continue;
    if (ga.some((x) => gb.some((y) => cannotLink(x, y)))) {
      keptApart.push(p);
      continue;
    }
    const [into, from] = ga.length >= gb.length ? [ga, gb] : [gb, ga];
    into.push(...from);
    for (const x of into) groupOf.set(x, into);
  }
  const groups = [...new Set(groupOf.values())].filter((g) => g.length > 1);
  return { groups, keptApart };
}

/** An unordered pair of ordinals as one key (`3:7`). */
export function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/**
 * Groups a trained scorer's pairs join are checked whole: the biggest group whose every pair is scored
 * (a group of n has n(n − 1)/2). Beyond it a group's pairs are scored only along the pairs that made it.
 */
export const MAX_GROUP_SCORED_WHOLE = 200;

/** Pairs decided per call of `apart` in `pairsInGroupsApart`. */
const APART_BATCH = 256;

/**
 * A trained scorer decides pairs one at a time, and joining every pair above its threshold chains
 * listings of neighbouring products into one group. So every pair inside each group (groups of at
 * most MAX_GROUP_SCORED_WHOLE) that is not in `known` (the pairs that made it) is asked of `apart`
 * (below the scorer's threshold, or a conflict): its verdicts come back by key, the cannot-links of a
 * second grouping. That grouping can only split the first one's groups, so every pair it asks about
 * has a verdict.
 */
export async function pairsInGroupsApart(groups: readonly number[][], known: ReadonlySet<string>, apart: (pairs: readonly [number, number][]) => Promise<ArrayLike<boolean>>): Promise<Map<string, boolean>> {
  const pairs: [number, number][] = [];
  for (const g of groups) {
    if (g.length > MAX_GROUP_SCORED_WHOLE) continue;
    for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) if (!known.has(pairKey(g[i]!, g[j]!))) pairs.push([g[i]!, g[j]!]);
  }
  const out = new Map<string, boolean>();
  for (let start = 0; start < pairs.length; start += APART_BATCH) {
    const batch = pairs.slice(start, start + APART_BATCH);
    const decided = await apart(batch);
    batch.forEach(([a, b], c) => out.set(pairKey(a, b), decided[c]!));
  }
  return out;
}
