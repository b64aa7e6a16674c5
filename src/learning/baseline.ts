/**
 * The floor every learned matcher must clear: plain TF-IDF cosine over all text of a record,
 * words and character 3-grams (the mean of the two cosines), IDF from the user's records; and the
 * threshold at which its single-link groups predict a given number of pairs (the dedup floor).
 */
import type { TextAnalyzer } from '../text/analyzer.ts';
import { createTextAnalyzer } from '../text/text-analyzer.ts';
import type { LabeledPair, PairRecord } from './pairs.ts';
import { fitPairFeatures, type PairFeatureOptions } from './pair-features.ts';

export interface TfidfCosineScorer {
  score(pairs: readonly LabeledPair[]): Float64Array;
}

export function fitTfidfCosineBaseline(
  records: readonly PairRecord[],
  options: Partial<Omit<PairFeatureOptions, 'groups'>> = {},
  analyzer: TextAnalyzer = createTextAnalyzer(),
): TfidfCosineScorer {
  const extractor = fitPairFeatures(records, { ...options, groups: ['lexical'] }, analyzer);
  const names = extractor.names;
  // With several text fields (or a brand), `all` is their concatenation; otherwise the title is all there is.
  const field = names.includes('lexical.all.word_cos') ? 'all' : extractor.options.titleField!;
  const w = names.indexOf(`lexical.${field}.word_cos`);
  const c = names.indexOf(`lexical.${field}.char_cos`);
  return {
    score: (pairs) => Float64Array.from(extractor.featurizeAll(pairs), (row) => (row[w]! + row[c]!) / 2),
  };
}

/**
 * The floor of a dedup benchmark groups every pair above a threshold transitively (single link); to
 * compare it with a deduplicator at the same number of predicted pairs, this finds the lowest
 * threshold (a score of `sorted`, best first) whose groups hold at most `target` pairs. Pairs are
 * joined in order, counting the pairs inside groups (a join of groups of m and n adds m × n), and the
 * scan stops before the tie block that would pass the target; +Infinity when the best score does.
 */
export function singleLinkThresholdForPairCount(sorted: readonly { a: number; b: number; score: number }[], itemCount: number, target: number): number {
  const parent = Int32Array.from({ length: itemCount }, (_, i) => i);
  const size = new Int32Array(itemCount).fill(1);
  const root = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  let pairs = 0;
  let threshold = Number.POSITIVE_INFINITY;
  for (let k = 0; k < sorted.length; ) {
    // All pairs of one score together: a threshold cannot split them.
    const score = sorted[k]!.score;
    for (; k < sorted.length && sorted[k]!.score === score; k++) {
      const [a, b] = [root(sorted[k]!.a), root(sorted[k]!.b)];
      if (a === b) continue;
      pairs += size[a]! * size[b]!;
      const [big, small] = size[a]! >= size[b]! ? [a, b] : [b, a];
      parent[small] = big;
      size[big] = size[big]! + size[small]!;
    }
    if (pairs > target) return threshold;
    threshold = score;
  }
  return threshold;
}
