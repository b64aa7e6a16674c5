/**
 * The floor every learned matcher must clear: plain TF-IDF cosine over all text of a record,
 * words and character 3-grams (the mean of the two cosines), IDF from the user's records.
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
