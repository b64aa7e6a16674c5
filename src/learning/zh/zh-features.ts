/**
 * Pair features for Chinese product matching: the generic pair features (pair-features.ts, used
 * as is) followed by Chinese groups, as one named, grouped vector:
 * - `lexical`: word and character TF-IDF cosines, overlaps, cross-field coverage and length ratios
 *   of title, pv_pairs text and category path (generic groups lexical, crossField, length);
 * - `cedict`: SIF cosine of the titles over CC-CEDICT-bridged GloVe vectors (pretrained English
 *   vectors reached through the dictionary; no Chinese language model);
 * - `catalog`: SIF cosine over word vectors trained (PPMI + SVD) on the catalog's own titles, and a
 *   soft word alignment (mean best word cosine both ways);
 * - `attributes`: Chinese attribute agreement and conflicts (conflicts.ts) plus the generic
 *   model-number and numeric/quantity groups (毫升 = ml, 克 = g are canonicalised by src/text).
 * No extension point exists in pair-features.ts for extra groups, so the Chinese columns are
 * appended here rather than hooked into the generic extractor.
 */
import type { TextAnalyzer } from '../../text/analyzer.ts';
import type { LabeledPair, PairRecord } from '../pairs.ts';
import { fitPairFeatures, type FeatureGroup, type PairFeatureExtractor } from '../pair-features.ts';
import { extractZhAttributes, type ZhAttributes } from './attributes.ts';
import { zhAttributeFeatures } from './conflicts.ts';
import { cosineSimilarity } from '../../encoders/encoder.ts';

export const ZH_FEATURE_GROUPS = ['lexical', 'cedict', 'catalog', 'attributes'] as const;
export type ZhFeatureGroup = (typeof ZH_FEATURE_GROUPS)[number];

/** Which Chinese group each generic group belongs to. */
const GENERIC_TO_ZH: Partial<Record<FeatureGroup, ZhFeatureGroup>> = {
  lexical: 'lexical',
  crossField: 'lexical',
  length: 'lexical',
  modelNumber: 'attributes',
  numeric: 'attributes',
};

/** A text → vector lookup (cached by the caller); undefined when the text has no known word. */
export type TextVectorLookup = (text: string) => Float32Array | undefined;
/** Word → vector (for the soft alignment). */
export type WordVectorLookup = (word: string) => Float32Array | undefined;

export interface ZhPairFeatureOptions {
  analyzer: TextAnalyzer;
  /** Titles through CEDICT-bridged GloVe + SIF. */
  cedictTitle: TextVectorLookup | undefined;
  /** Titles through catalog-trained vectors + SIF. */
  catalogTitle: TextVectorLookup | undefined;
  /** Catalog-trained word vectors (soft alignment). */
  catalogWord: WordVectorLookup | undefined;
}

export interface ZhPairFeaturizer {
  readonly names: readonly string[];
  readonly groupOf: readonly ZhFeatureGroup[];
  readonly generic: PairFeatureExtractor;
  featurize(pair: LabeledPair): Float64Array;
  featurizeAll(pairs: readonly LabeledPair[]): Float64Array[];
  attributes(record: PairRecord): ZhAttributes;
}

function cosine(a: Float32Array | undefined, b: Float32Array | undefined): number {
  return a && b ? cosineSimilarity(a, b) : 0;
}

/** Mean over a's words of the best cosine with any of b's words (words without a vector skipped). */
export function softAlignment(a: readonly string[], b: readonly string[], word: WordVectorLookup): number {
  const vb = b.map((w) => word(w)).filter((v): v is Float32Array => v !== undefined);
  let sum = 0;
  let n = 0;
  for (const w of a) {
    const va = word(w);
    if (!va) continue;
    let best = 0;
    for (const v of vb) best = Math.max(best, cosine(va, v));
    sum += best;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Fits the generic extractor on the records (IDF over titles, pv text and category paths; text
 * only, no labels) and returns the Chinese featurizer.
 */
export function fitZhPairFeatures(records: readonly PairRecord[], options: ZhPairFeatureOptions): ZhPairFeaturizer {
  const { analyzer } = options;
  const generic = fitPairFeatures(
    records,
    { titleField: 'title', textFields: ['title', 'pv_text', 'category_path'], brandField: undefined, priceField: undefined, groups: ['lexical', 'crossField', 'length', 'modelNumber', 'numeric'] },
    analyzer,
  );
  const attrCache = new Map<string, ZhAttributes>();
  const tokenCache = new Map<string, string[]>();
  const attributes = (r: PairRecord): ZhAttributes => {
    const key = `${r['title']}\u0000${r['pv_pairs']}\u0000${r['category']}`;
    let v = attrCache.get(key);
    if (!v) {
      v = extractZhAttributes(r);
      attrCache.set(key, v);
    }
    return v;
  };
  const tokens = (t: string) => {
    let v = tokenCache.get(t);
    if (!v) {
      v = analyzer.tokenize(t);
      tokenCache.set(t, v);
    }
    return v;
  };
  const sample = zhAttributeFeatures(attributes({ title: '' }), attributes({ title: '' }));
  const attrNames = Object.keys(sample);
  const names: string[] = [];
  const groupOf: ZhFeatureGroup[] = [];
  generic.names.forEach((n, i) => {
    const g = GENERIC_TO_ZH[generic.groupOf[i]!];
    if (g) {
      names.push(n);
      groupOf.push(g);
    }
  });
  const genericCols = generic.names.map((_, i) => i).filter((i) => GENERIC_TO_ZH[generic.groupOf[i]!] !== undefined);
  const extra: { name: string; group: ZhFeatureGroup; value: (a: PairRecord, b: PairRecord) => number }[] = [];
  if (options.cedictTitle) {
    const f = options.cedictTitle;
    extra.push({ name: 'cedict.title_cos', group: 'cedict', value: (a, b) => cosine(f(a['title'] ?? ''), f(b['title'] ?? '')) });
  }
  if (options.catalogTitle) {
    const f = options.catalogTitle;
    extra.push({ name: 'catalog.title_cos', group: 'catalog', value: (a, b) => cosine(f(a['title'] ?? ''), f(b['title'] ?? '')) });
  }
  if (options.catalogWord) {
    const w = options.catalogWord;
    extra.push({
      name: 'catalog.title_alignment',
      group: 'catalog',
      value: (a, b) => {
        const ta = tokens(a['title'] ?? '');
        const tb = tokens(b['title'] ?? '');
        return (softAlignment(ta, tb, w) + softAlignment(tb, ta, w)) / 2;
      },
    });
  }
  for (const e of extra) {
    names.push(e.name);
    groupOf.push(e.group);
  }
  for (const n of attrNames) {
    names.push(`zh.${n}`);
    groupOf.push('attributes');
  }

  function featurize(pair: LabeledPair): Float64Array {
    const g = generic.featurize(pair);
    const z = zhAttributeFeatures(attributes(pair.left), attributes(pair.right));
    const out = new Float64Array(names.length);
    let k = 0;
    for (const i of genericCols) out[k++] = g[i]!;
    for (const e of extra) out[k++] = e.value(pair.left, pair.right);
    for (const n of attrNames) out[k++] = z[n]!;
    return out;
  }
  return {
    names,
    groupOf,
    generic,
    featurize,
    featurizeAll: (pairs) => pairs.map((p) => featurize(p)),
    attributes,
  };
}
