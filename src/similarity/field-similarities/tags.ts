/**
 * Tag-set similarity: soft Jaccard (greedy one-to-one matching, see `softJaccard` in metrics.ts)
 * with an injected tag-to-tag similarity. The default tag similarity is exact equality after
 * normalisation (NFKC, lower case, a leading `#` dropped), which makes the score plain Jaccard;
 * inject an embedding-based one for semantic matching (`碎花` ≈ `floral`).
 */
import { rejectUnknownKeys } from '../../errors.ts';
import { softJaccard, type SoftMatch } from '../metrics.ts';
import { normalizeValue, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export type TagSimilarityFn = (a: string, b: string) => number;

export interface TagsEvidence extends FieldEvidence {
  matches: SoftMatch<string>[];
  unmatchedA: string[];
  unmatchedB: string[];
}

export interface TagsSimilarityOptions {
  /** Similarity of two normalised tags, symmetric, in [0, 1]. */
  tagSimilarity: TagSimilarityFn;
  /** Tag pairs below this similarity are not matched. */
  minTagSimilarity: number;
}

export function normalizeTag(tag: string): string {
  const v = normalizeValue(tag);
  return v.startsWith('#') ? v.replace(/^#+/u, '').trim() : v;
}

export const exactTagSimilarity: TagSimilarityFn = (a, b) => (a === b ? 1 : 0);

export const DEFAULT_TAGS_SIMILARITY_OPTIONS = {
  tagSimilarity: exactTagSimilarity,
  minTagSimilarity: 0.5,
} as const satisfies TagsSimilarityOptions;

export type TagsSimilarityFn = (a: readonly string[] | undefined, b: readonly string[] | undefined) => FieldSimilarity<TagsEvidence> | undefined;

export function createTagsSimilarity(options: Partial<TagsSimilarityOptions> = {}): TagsSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TAGS_SIMILARITY_OPTIONS), 'createTagsSimilarity');
  const opts: TagsSimilarityOptions = { ...DEFAULT_TAGS_SIMILARITY_OPTIONS, ...options };
  return function tagsSimilarity(a, b) {
    const ta = (a ?? []).map(normalizeTag).filter((t) => t.length > 0);
    const tb = (b ?? []).map(normalizeTag).filter((t) => t.length > 0);
    if (ta.length === 0 || tb.length === 0) return undefined;
    const r = softJaccard(ta, tb, opts.tagSimilarity, { minSimilarity: opts.minTagSimilarity });
    if (!r) return undefined;
    const shown = r.matches.map((m) => (m.a === m.b ? m.a : `${m.a}≈${m.b} ${round(m.similarity, 2)}`));
    const summary = shown.length > 0 ? `matched ${shown.join(', ')}` : 'no tag in common';
    return { score: r.score, evidence: { summary, matches: r.matches, unmatchedA: r.unmatchedA, unmatchedB: r.unmatchedB } };
  };
}

let defaultTagsSimilarity: TagsSimilarityFn | undefined;

export function tagsSimilarity(a: readonly string[] | undefined, b: readonly string[] | undefined): FieldSimilarity<TagsEvidence> | undefined {
  defaultTagsSimilarity ??= createTagsSimilarity();
  return defaultTagsSimilarity(a, b);
}
