/**
 * Tag-set similarity: soft Jaccard (greedy one-to-one matching, see `softJaccard` in metrics.ts)
 * with an injected tag-to-tag similarity. The default tag similarity is exact equality after
 * normalisation (NFKC, lower case, a leading `#` dropped), which makes the score plain Jaccard;
 * inject an embedding-based one for semantic matching (`碎花` ≈ `floral`).
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { cosineSimilarity, softJaccard, type SoftJaccardResult, type SoftMatch } from '../metrics.ts';
import { colourWords } from './attributes.ts';
import { lazyEvidence, memoizeByObject, normalizeValue, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

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

const NO_TAGS: readonly string[] = [];
/** A product's normalised tags, kept per tag list: one product is compared with every candidate. */
const normalizedTagsOf = memoizeByObject((tags: readonly string[]): readonly string[] => tags.map(normalizeTag).filter((t) => t.length > 0));

function normalizedTags(tags: readonly string[] | undefined): readonly string[] {
  return !tags || tags.length === 0 ? NO_TAGS : normalizedTagsOf(tags);
}

const tagSetOf = memoizeByObject((tags: readonly string[]): ReadonlySet<string> => new Set(tags));

/** |A ∩ B| / |A ∪ B| of two non-empty sets: `softJaccard` with equality as the tag similarity. */
function exactJaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return Math.min(1, Math.max(0, shared / (a.size + b.size - shared)));
}

function tagsEvidence(r: SoftJaccardResult<string>): TagsEvidence {
  const shown = r.matches.map((m) => (m.a === m.b ? m.a : `${m.a}≈${m.b} ${round(m.similarity, 2)}`));
  const summary = shown.length > 0 ? `matched ${shown.join(', ')}` : 'no tag in common';
  return { summary, matches: r.matches, unmatchedA: r.unmatchedA, unmatchedB: r.unmatchedB };
}

export type TagsSimilarityFn = (a: readonly string[] | undefined, b: readonly string[] | undefined) => FieldSimilarity<TagsEvidence> | undefined;

export function createTagsSimilarity(options: Partial<TagsSimilarityOptions> = {}): TagsSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TAGS_SIMILARITY_OPTIONS), 'createTagsSimilarity');
  const opts: TagsSimilarityOptions = { ...DEFAULT_TAGS_SIMILARITY_OPTIONS, ...options };
  return function tagsSimilarity(a, b) {
    const ta = normalizedTags(a);
    const tb = normalizedTags(b);
    if (ta.length === 0 || tb.length === 0) return undefined;
    const minSimilarity = opts.minTagSimilarity;
    if (opts.tagSimilarity === exactTagSimilarity) {
      // Equality only: soft Jaccard is the Jaccard of the tag sets, the same number; the one-to-one
      // matching is made when the evidence is read.
      return lazyEvidence(exactJaccard(tagSetOf(ta), tagSetOf(tb)), () => tagsEvidence(softJaccard(ta, tb, exactTagSimilarity, { minSimilarity })!));
    }
    const r = softJaccard(ta, tb, opts.tagSimilarity, { minSimilarity });
    if (!r) return undefined;
    return lazyEvidence(r.score, () => tagsEvidence(r));
  };
}

/**
 * Tag similarity from word/tag vectors (any encoder: `vectorOf` returns undefined for unknown tags):
 * equal tags → 1, else cosine rescaled so that `floor` maps to 0 and 1 to 1,
 * max(0, (cos − floor) / (1 − floor)). Vectors are looked up once per tag.
 */
export function embeddingTagSimilarity(vectorOf: (tag: string) => Float32Array | undefined, floor = 0.3): TagSimilarityFn {
  if (!(floor >= -1 && floor < 1)) throw createError('INVALID_ARGUMENT', `embeddingTagSimilarity: floor must be in [−1, 1), got ${floor}`);
  const cache = new Map<string, Float32Array | undefined>();
  const vec = (t: string) => {
    if (!cache.has(t)) cache.set(t, vectorOf(t));
    return cache.get(t);
  };
  return (a, b) => {
    if (a === b) return 1;
    const va = vec(a);
    const vb = vec(b);
    if (!va || !vb) return 0;
    const c = cosineSimilarity(va, vb);
    return c === undefined ? 0 : Math.min(1, Math.max(0, (c - floor) / (1 - floor)));
  };
}

/** Tags naming the same colour in any language (`红色` / `Red` / `酒红` ≠ `red`) → 1, else 0. */
export const colourTagSimilarity: TagSimilarityFn = (a, b) => {
  const ca = colourWords(a);
  const cb = colourWords(b);
  return ca.length === 1 && cb.length === 1 && ca[0] === cb[0] ? 1 : 0;
};

/** The highest of several tag similarities (e.g. exact, colour, embedding). */
export function maxTagSimilarity(...fns: TagSimilarityFn[]): TagSimilarityFn {
  return (a, b) => fns.reduce((m, f) => Math.max(m, f(a, b)), 0);
}

let defaultTagsSimilarity: TagsSimilarityFn | undefined;

export function tagsSimilarity(a: readonly string[] | undefined, b: readonly string[] | undefined): FieldSimilarity<TagsEvidence> | undefined {
  defaultTagsSimilarity ??= createTagsSimilarity();
  return defaultTagsSimilarity(a, b);
}
