/**
 * Duplicate groups from scored pairs. Joining every pair above the threshold transitively
 * (single linkage) lets one vague listing bridge two products: `iPhone 15 Pro Natural Titanium`
 * close to both the black and the white one puts black and white in one group. So pairs are taken
 * best first, and two groups are joined only when no pair across them is known to be different
 * (`cannotLink`: a conflict such as another colour, capacity, model line or product type). This is
 * the greedy form of clustering with cannot-link constraints; groups stay small, so checking every
 * cross pair is cheap.
 */

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
