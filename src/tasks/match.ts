/**
 * Catalog ↔ catalog matching (the same product in two shops) and deduplication inside one catalog.
 *
 * 1. Blocking: for each left product, candidates from the right catalog by dense similarity in the
 *    text space (cross-language twins meet there) and by IDF-weighted shared tokens and model numbers
 *    (exact codes meet there).
 * 2. Scoring: each candidate pair is scored field by field with the `sameProduct` profile (or a
 *    learned profile), or by a trained matcher's probability when one is given.
 * 3. Decision: a threshold, then optionally a one-to-one assignment (greedy by descending score: each
 *    product takes part in at most one pair; a ½-approximation of the best total, exact when scores
 *    are well separated, and far cheaper than the Hungarian algorithm on large catalogs).
 */
import { createError } from '../errors.ts';
import { createExactIndex } from '../store/ann/exact-index.ts';
import { createAnnIndex } from '../store/ann/usearch-index.ts';
import type { AnnIndex } from '../store/ann/ann-index.ts';
import { explanationToJSON, type ExplanationJSON } from '../similarity/explain.ts';
import { compareProducts, type FusionProfile } from '../similarity/fusion.ts';
import { catalogStatisticsOf } from '../similarity/catalog-statistics.ts';
import { resolveProfile } from './profiles.ts';
import { representationModelNumbers } from '../similarity/fields.ts';
import { canonicalModelNumber } from '../similarity/field-similarities/model-number.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import { summarizeProduct, type ProductSummary } from './result-item.ts';
import { groupPairsWithCannotLinks, keepsGroupsApart, pairKey, pairsInGroupsApart } from './duplicate-groups.ts';
import type { LearnedExplanation, LearnedScorer } from './learned-matcher.ts';

export interface MatchOptions {
  /** Dense and lexical candidates per left product. */
  blockK: number;
  threshold: number;
  oneToOne: boolean;
  profile: string | FusionProfile;
  /**
   * A trained matcher: when given, its probability decides instead of the fused score (the
   * explanation still shows the fields, and the pair carries the model's contributions).
   */
  scorer: LearnedScorer | undefined;
  /**
   * Above this many right products the dense blocking uses HNSW instead of exact search (exact search
   * costs n² over both catalogs: 1.3 of 6 s at 5k products).
   */
  exactBlockingLimit: number;
  onProgress: ((done: number, total: number) => void) | undefined;
  /** Stops the work between products (a cancelled job, a deadline). */
  signal: AbortSignal | undefined;
}

export const DEFAULT_MATCH_OPTIONS = {
  blockK: 10,
  // sameProduct with the catalog's statistics (TF-IDF titles and attribute values, common codes
  // weighed down) on data/shop-a ↔ shop-b: 0.6 finds 53 of 60 matches, 0.5 finds 56, both with no
  // false match; 0.45 lets in 7 colour variants.
  threshold: 0.5,
  oneToOne: true,
  profile: 'sameProduct',
  scorer: undefined,
  exactBlockingLimit: 2_000,
  onProgress: undefined,
  signal: undefined,
} as const satisfies MatchOptions;

export interface MatchedPair {
  left: ProductSummary;
  right: ProductSummary;
  score: number;
  /** The fused field score (equal to `score` without a trained matcher). */
  fusedScore: number;
  explanation: ExplanationJSON;
  /** The trained matcher's feature contributions, when one decided. */
  learned?: LearnedExplanation;
}

export interface MatchResult {
  pairs: MatchedPair[];
  stats: {
    left: number;
    right: number;
    candidatePairs: number;
    aboveThreshold: number;
    matched: number;
    threshold: number;
    oneToOne: boolean;
    scorer: string;
  };
}

/**
 * Most products a blocking key may point to before it is skipped as not discriminating. Keys in over a
 * fifth of the catalog were skipped already; without this cap a key could still reach n / 5 products,
 * and blocking grew with n² (the scores of every product sharing a common word were summed).
 */
export const MAX_BLOCKING_POSTINGS = 200;

/** IDF-weighted inverted index over titles' tokens and model numbers of one side. */
function lexicalBlocker(reps: readonly ProductRepresentation[]) {
  const postings = new Map<string, number[]>();
  const keysOf = (r: ProductRepresentation) =>
    new Set([...r.text.title.tokens, ...representationModelNumbers(r).map((c) => `#${canonicalModelNumber(c)}`)]);
  reps.forEach((r, i) => {
    for (const k of keysOf(r)) {
      const list = postings.get(k);
      if (list) list.push(i);
      else postings.set(k, [i]);
    }
  });
  const n = reps.length;
  // Model numbers weigh double: a shared code says more than any shared word.
  const idf = (k: string, df: number) => Math.log(1 + n / df) * (k.startsWith('#') ? 2 : 1);
  return (r: ProductRepresentation, k: number): number[] => {
    const scores = new Map<number, number>();
    for (const key of keysOf(r)) {
      const list = postings.get(key);
      // Keys in over a fifth of the catalog do not discriminate and make candidate lists explode.
      if (!list || list.length > Math.max(50, Math.min(n / 5, MAX_BLOCKING_POSTINGS))) continue;
      const w = idf(key, list.length);
      for (const i of list) scores.set(i, (scores.get(i) ?? 0) + w);
    }
    return [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([i]) => i);
  };
}

function denseBlocker(reps: readonly ProductRepresentation[], exactLimit: number): ((r: ProductRepresentation, k: number) => number[]) | undefined {
  const first = reps.find((r) => r.dense.title);
  if (!first) return undefined;
  const dimension = first.dense.title!.length;
  const index: AnnIndex = reps.length <= exactLimit ? createExactIndex({ dimension }) : createAnnIndex({ dimension, quantization: 'f16', rescore: 50 });
  const keys: number[] = [];
  const rows: Float32Array[] = [];
  reps.forEach((r, i) => {
    if (r.dense.title) {
      keys.push(i);
      rows.push(r.dense.title);
    }
  });
  if (keys.length > 0) index.add(keys, rows);
  return (r, k) => (r.dense.title ? index.search(r.dense.title, k).map((m) => m.key) : []);
}

export async function matchCatalogs(
  left: readonly ProductRepresentation[],
  right: readonly ProductRepresentation[],
  options: Partial<MatchOptions> & { sameCatalog?: boolean } = {},
): Promise<MatchResult> {
  const opts: MatchOptions = { ...DEFAULT_MATCH_OPTIONS, ...options };
  if (!(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw createError('INVALID_ARGUMENT', `threshold must be in [0, 1], got ${opts.threshold}`, { field: 'threshold' });
  }
  const profile = resolveProfile(opts.profile);
  // sameProduct weighs evidence by how common it is in the catalogs compared (both shops, or the one).
  const catalog = profile.weighByCatalog ? catalogStatisticsOf(options.sameCatalog ? left : [...left, ...right]) : undefined;
  const dense = denseBlocker(right, opts.exactBlockingLimit);
  const lexical = lexicalBlocker(right);

  const candidates: [number, number][] = [];
  const seen = new Set<string>();
  left.forEach((l, i) => {
    const js = new Set([...(dense?.(l, opts.blockK + 1) ?? []), ...lexical(l, opts.blockK + 1)]);
    for (const j of js) {
      if (options.sameCatalog) {
        if (j === i) continue;
        // Within one catalog a pair is unordered: keep it once.
        const key = i < j ? `${i}:${j}` : `${j}:${i}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      candidates.push([i, j]);
    }
    opts.signal?.throwIfAborted();
    opts.onProgress?.(i + 1, left.length);
  });

  const fusedResults = candidates.map(([i, j]) => compareProducts(left[i]!, right[j]!, { profile, catalog }));
  const probabilities = opts.scorer
    ? await opts.scorer.probability(candidates.map(([i, j]) => ({ left: left[i]!.product, right: right[j]!.product })))
    : undefined;
  const scored = candidates.map(([i, j], c) => ({
    i,
    j,
    fused: fusedResults[c]!.score ?? 0,
    score: probabilities ? probabilities[c]! : (fusedResults[c]!.score ?? 0),
    result: fusedResults[c]!,
  }));
  const above = scored.filter((s) => s.score >= opts.threshold).sort((a, b) => b.score - a.score || a.i - b.i || a.j - b.j);

  let kept = above;
  if (opts.oneToOne) {
    const usedLeft = new Set<number>();
    const usedRight = new Set<number>();
    kept = above.filter((s) => {
      if (usedLeft.has(s.i) || usedRight.has(s.j)) return false;
      usedLeft.add(s.i);
      usedRight.add(s.j);
      return true;
    });
  }
  return {
    pairs: kept.map((s) => ({
      left: summarizeProduct(left[s.i]!.product),
      right: summarizeProduct(right[s.j]!.product),
      score: s.score,
      fusedScore: s.fused,
      explanation: explanationToJSON(s.result),
      ...(opts.scorer ? { learned: opts.scorer.explain(left[s.i]!.product, right[s.j]!.product) } : {}),
    })),
    stats: {
      left: left.length,
      right: right.length,
      candidatePairs: candidates.length,
      aboveThreshold: above.length,
      matched: kept.length,
      threshold: opts.threshold,
      oneToOne: opts.oneToOne,
      scorer: opts.scorer?.name ?? `fused profile ${profile.name}`,
    },
  };
}

export interface DuplicateGroup {
  ids: string[];
  products: ProductSummary[];
  /** Lowest score of the pairs that joined the group. */
  minScore: number;
  pairs: { a: string; b: string; score: number }[];
}

/**
 * Duplicate groups inside one catalog: pairs above the threshold, best first, joined unless a pair
 * across the two groups is known to be different products (`groupPairsWithCannotLinks`), or, with a
 * trained scorer, scored below the threshold by it (`pairsInGroupsApart`).
 */
export async function findDuplicates(
  reps: readonly ProductRepresentation[],
  options: Partial<Omit<MatchOptions, 'oneToOne'>> = {},
): Promise<{ groups: DuplicateGroup[]; stats: MatchResult['stats'] & { keptApart: number } }> {
  const { pairs, stats } = await matchCatalogs(reps, reps, { ...options, oneToOne: false, sameCatalog: true });
  const profile = resolveProfile(options.profile ?? DEFAULT_MATCH_OPTIONS.profile);
  const indexOf = new Map(reps.map((r, i) => [r.product.id, i]));
  const conflictOfPair = new Map(pairs.map((p) => [pairKey(indexOf.get(p.left.id)!, indexOf.get(p.right.id)!), keepsGroupsApart(p.explanation)]));
  const cannotLink = (a: number, b: number): boolean => {
    const key = pairKey(a, b);
    let conflict = conflictOfPair.get(key);
    if (conflict === undefined) conflictOfPair.set(key, (conflict = keepsGroupsApart(compareProducts(reps[a]!, reps[b]!, { profile }))));
    return conflict;
  };
  const scored = pairs.map((p) => ({ a: indexOf.get(p.left.id)!, b: indexOf.get(p.right.id)!, score: p.score }));
  let { groups: members, keptApart } = groupPairsWithCannotLinks(scored, cannotLink);
  const scorer = options.scorer;
  if (scorer) {
    // The pairs inside each group that the scorer itself calls different keep their products apart (`pairsInGroupsApart`).
    const apart = async (ps: readonly [number, number][]) => {
      const probabilities = await scorer.probability(ps.map(([a, b]) => ({ left: reps[a]!.product, right: reps[b]!.product })));
      return ps.map(([a, b], i) => probabilities[i]! < stats.threshold || cannotLink(a, b));
    };
    for (const [key, verdict] of await pairsInGroupsApart(members, new Set(scored.map((p) => pairKey(p.a, p.b))), apart)) conflictOfPair.set(key, verdict);
    ({ groups: members, keptApart } = groupPairsWithCannotLinks(scored, cannotLink));
  }
  const groupOf = new Map<number, DuplicateGroup>();
  for (const m of members) {
    const group: DuplicateGroup = { ids: m.map((i) => reps[i]!.product.id), products: m.map((i) => summarizeProduct(reps[i]!.product)), minScore: 1, pairs: [] };
    for (const i of m) groupOf.set(i, group);
  }
  for (const p of scored) {
    const g = groupOf.get(p.a);
    if (!g || g !== groupOf.get(p.b)) continue;
    g.pairs.push({ a: reps[p.a]!.product.id, b: reps[p.b]!.product.id, score: p.score });
    g.minScore = Math.min(g.minScore, p.score);
  }
  const groups = [...new Set(groupOf.values())].sort((a, b) => b.ids.length - a.ids.length || b.minScore - a.minScore);
  return { groups, stats: { ...stats, matched: groups.length, keptApart: keptApart.length } };
}
