/**
 * Tag ↔ tag similarity (红色衣服 vs 红色连衣裙, 红 vs red) and synonym groups over a catalog's tags.
 *
 * A tag's meaning comes from the text space (GloVe, and CC-CEDICT for Chinese, so 红 and red meet);
 * its spelling from character bigrams (so 红色 and 红色的 meet even without vectors). Spelling lifts
 * the meaning score (see `spellingLift`); the decision is a threshold; groups are average-link clusters whose
 * members all sit above the threshold on average.
 */
import { l2normalize } from '../encoders/encoder.ts';
import { textWordVectors } from './text-space.ts';
import { createError } from '../errors.ts';
import { cosineSimilarity } from '../similarity/metrics.ts';
import { normalizeTag } from '../similarity/field-similarities/tags.ts';
import { textDistinctions } from '../similarity/distinctions.ts';
import type { CatalogIndex } from './catalog-index.ts';

/**
 * Colours, genders, wearing styles, product types are co-hyponyms: word vectors put 红色 next to
 * 蓝色, 男鞋 next to 女鞋 and 头戴式 next to 入耳式. Two tags naming different values of one dimension
 * (`exclusive-values.ts`), or values of different dimensions only (大屏 / 复古), are in conflict.
 */
export function tagConflict(a: string, b: string): string | undefined {
  return textDistinctions(a, b)[0]?.summary;
}

export interface TagSimilarityOptions {
  /**
   * How far shared spelling lifts the score toward 1: score = m + spellingLift · (1 − m) · dice,
   * where m is the meaning (dense cosine, clamped at 0). Spelling only ever raises the score: a
   * cross-language pair (红 / red) shares no characters and must not be punished for it.
   */
  spellingLift: number;
  /**
   * At or above: similar. Measured on the sample catalog's tags with mean word vectors: synonyms
   * and translations (红/red 0.90, 连衣裙/dress 0.88, 纯棉/cotton 0.93) sit above 0.85, related but
   * different words (黑色/白色 0.83, 红色/蓝色 0.77) below.
   */
  threshold: number;
  /** A conflicting pair (see `tagConflict`) keeps this share of its score. */
  conflictFactor: number;
}

export const DEFAULT_TAG_SIMILARITY_OPTIONS = {
  spellingLift: 0.3,
  threshold: 0.85,
  conflictFactor: 0.5,
} as const satisfies TagSimilarityOptions;

export interface TagPairScore {
  a: string;
  b: string;
  score: number;
  similar: boolean;
  threshold: number;
  components: { dense: number | undefined; spelling: number; spellingLift: number; conflict: string | undefined; conflictFactor: number };
}

/** Character bigrams (single characters for one-character tags) of the tag without spaces. */
export function characterBigrams(tag: string): Set<string> {
  const chars = [...tag.replace(/\s+/gu, '')];
  if (chars.length <= 1) return new Set(chars);
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  return out;
}

export function diceCoefficient(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return (2 * shared) / (a.size + b.size);
}

function combine(dense: number | undefined, spelling: number, conflict: string | undefined, o: TagSimilarityOptions): number {
  // No vector for either tag: spelling is the only evidence, so it carries the whole score.
  const meaning = dense === undefined ? spelling : Math.min(1, Math.max(0, dense));
  const score = dense === undefined ? spelling : meaning + o.spellingLift * (1 - meaning) * spelling;
  return conflict ? score * o.conflictFactor : score;
}

function isZero(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/**
 * A tag is one or two words: SIF's frequency weights and common-component removal are made for
 * sentences and would let a frequent word (红色 in a clothing shop) vanish from a two-word tag. So
 * a tag's vector is the plain mean of its words' unit vectors when the encoder exposes its word
 * vectors, and the encoder's sentence vector otherwise.
 */
async function tagVectors(index: CatalogIndex, tags: readonly string[]): Promise<(Float32Array | undefined)[]> {
  const words = textWordVectors(index.textEncoder);
  if (words) {
    return tags.map((tag) => {
      const mean = new Float32Array(words.dimension);
      let n = 0;
      for (const token of index.analyzer.tokenize(tag)) {
        const v = words.vector(token);
        if (!v) continue;
        const unit = l2normalize(Float32Array.from(v));
        for (let d = 0; d < mean.length; d++) mean[d]! += unit[d]!;
        n++;
      }
      return n === 0 ? undefined : l2normalize(mean);
    });
  }
  const out: (Float32Array | undefined)[] = [];
  const BATCH = 256;
  for (let i = 0; i < tags.length; i += BATCH) {
    const vs = await index.textEncoder.encode(tags.slice(i, i + BATCH));
    for (const v of vs) out.push(isZero(v) ? undefined : v);
  }
  return out;
}

export async function tagSimilarity(index: CatalogIndex, a: string, b: string, options: Partial<TagSimilarityOptions> = {}): Promise<TagPairScore> {
  const o: TagSimilarityOptions = { ...DEFAULT_TAG_SIMILARITY_OPTIONS, ...options };
  const na = normalizeTag(a);
  const nb = normalizeTag(b);
  if (na.length === 0 || nb.length === 0) throw createError('INVALID_ARGUMENT', 'tags must not be empty', { field: na.length === 0 ? 'a' : 'b' });
  const [va, vb] = await tagVectors(index, [na, nb]);
  const dense = na === nb ? 1 : va && vb ? cosineSimilarity(va, vb) : undefined;
  const spelling = diceCoefficient(characterBigrams(na), characterBigrams(nb));
  const conflict = na === nb ? undefined : tagConflict(na, nb);
  const score = na === nb ? 1 : combine(dense, spelling, conflict, o);
  return {
    a,
    b,
    score,
    similar: score >= o.threshold,
    threshold: o.threshold,
    components: { dense, spelling, spellingLift: o.spellingLift, conflict, conflictFactor: o.conflictFactor },
  };
}

export interface TagGroup {
  /** The most frequent tag of the group. */
  canonical: string;
  members: { tag: string; count: number }[];
  count: number;
  /** Mean pairwise score inside the group (1 for a single tag). */
  cohesion: number;
}

export interface TagGroupsOptions extends TagSimilarityOptions {
  /** Only the most frequent tags are grouped (pairwise work grows with the square). */
  maxTags: number;
  /** Tags seen fewer times are left out. */
  minCount: number;
}

export const DEFAULT_TAG_GROUPS_OPTIONS = {
  ...DEFAULT_TAG_SIMILARITY_OPTIONS,
  maxTags: 600,
  minCount: 1,
} as const satisfies TagGroupsOptions;

/** Counts of the catalog's tags after normalisation (case, width, spaces). */
export async function catalogTagCounts(index: CatalogIndex): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const { product } of index.store.iterateProducts()) {
    for (const tag of new Set(product.tags.map(normalizeTag))) if (tag.length > 0) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

/** Average-link agglomerative clustering over the pairwise tag scores, stopping at the threshold. */
export async function groupTags(index: CatalogIndex, options: Partial<TagGroupsOptions> & { tags?: ReadonlyMap<string, number> } = {}): Promise<TagGroup[]> {
  const o: TagGroupsOptions = { ...DEFAULT_TAG_GROUPS_OPTIONS, ...options };
  const counts = options.tags ?? (await catalogTagCounts(index));
  const tags = [...counts.entries()]
    .filter(([, c]) => c >= o.minCount)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, o.maxTags);
  const n = tags.length;
  const vectors = await tagVectors(index, tags.map(([t]) => t));
  const grams = tags.map(([t]) => characterBigrams(t));
  const sim = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    sim[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const vi = vectors[i];
      const vj = vectors[j];
      const s = combine(vi && vj ? cosineSimilarity(vi, vj) : undefined, diceCoefficient(grams[i]!, grams[j]!), tagConflict(tags[i]![0], tags[j]![0]), o);
      sim[i * n + j] = s;
      sim[j * n + i] = s;
    }
  }
  // Average linkage with Lance–Williams updates: the link of a merged cluster to any other is the
  // size-weighted mean of its parts' links, so each merge costs O(n) and the search O(n²).
  const link = Float64Array.from(sim);
  const members: (number[] | undefined)[] = tags.map((_, i) => [i]);
  for (;;) {
    let best = -Infinity;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < n; i++) {
      if (!members[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (!members[j]) continue;
        const l = link[i * n + j]!;
        if (l > best) [best, bi, bj] = [l, i, j];
      }
    }
    if (bi < 0 || best < o.threshold) break;
    const si = members[bi]!.length;
    const sj = members[bj]!.length;
    for (let k = 0; k < n; k++) {
      if (!members[k] || k === bi || k === bj) continue;
      const l = (si * link[bi * n + k]! + sj * link[bj * n + k]!) / (si + sj);
      link[bi * n + k] = l;
      link[k * n + bi] = l;
    }
    members[bi] = [...members[bi]!, ...members[bj]!];
    members[bj] = undefined;
  }
  const clusters = members.filter((m): m is number[] => m !== undefined);
  return clusters
    .map((members) => {
      const sorted = [...members].sort((x, y) => tags[y]![1] - tags[x]![1] || tags[x]![0].localeCompare(tags[y]![0]));
      return {
        canonical: tags[sorted[0]!]![0],
        members: sorted.map((i) => ({ tag: tags[i]![0], count: tags[i]![1] })),
        count: sorted.reduce((s, i) => s + tags[i]![1], 0),
        cohesion: pairMean(members, sim, n),
      };
    })
    .sort((x, y) => y.members.length - x.members.length || y.count - x.count);
}

function pairMean(members: number[], sim: Float32Array, n: number): number {
  let s = 0;
  let c = 0;
  for (let a = 0; a < members.length; a++) {
    for (let b = a + 1; b < members.length; b++) {
      s += sim[members[a]! * n + members[b]!]!;
      c++;
    }
  }
  return c === 0 ? 1 : s / c;
}
