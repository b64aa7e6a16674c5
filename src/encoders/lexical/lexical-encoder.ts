/**
 * Sparse lexical encoder: TF-IDF over word tokens and character n-grams.
 *
 * Features (each kind prefixed so they never collide):
 *   `w:<token>`   analyser tokens (jieba words, English words, numbers)
 *   `z:<ngram>`   character 2- and 3-grams of each run of Chinese characters: they survive
 *                 segmentation differences (连衣裙 vs 连衣/裙) and carry brand and product words
 *   `l:<ngram>`   character 3-grams of each Latin/digit run, after joining runs split only by
 *                 `- / .` (DSC-W120/P → dscw120p), so model numbers match across spellings
 * Weighting: sublinear tf (1 + ln tf), smooth idf (ln((1 + N) / (1 + df)) + 1), each feature kind
 * scaled by an explicit weight, then L2 normalisation. Features not in the fitted vocabulary
 * are dropped at encode time.
 */
import { createHash } from 'node:crypto';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import type { SparseEncoder, SparseVector } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import { createTextAnalyzer } from '../../text/text-analyzer.ts';

export interface LexicalOptions {
  /** Weight of word-token features. */
  wordWeight: number;
  /** Weight of Chinese character n-gram features. */
  chineseNgramWeight: number;
  /** Weight of Latin/digit character 3-gram features. */
  latinNgramWeight: number;
  /** Chinese n-gram lengths. */
  chineseNgramSizes: readonly number[];
  /** Latin n-gram length. */
  latinNgramSize: number;
  /** Features seen in fewer documents are dropped. */
  minDocumentFrequency: number;
  /** Features seen in more than this share of documents are dropped (1 keeps all). */
  maxDocumentShare: number;
  /** Vocabulary cap: the most frequent features (by document frequency) are kept. */
  maxFeatures: number;
}

export const DEFAULT_LEXICAL_OPTIONS = {
  wordWeight: 1,
  chineseNgramWeight: 0.5,
  latinNgramWeight: 0.5,
  chineseNgramSizes: [2, 3],
  latinNgramSize: 3,
  minDocumentFrequency: 1,
  maxDocumentShare: 1,
  maxFeatures: 500_000,
} as const satisfies LexicalOptions;

/** Serialised fitted state (`toJSON` / `lexicalEncoderFromJSON`). */
export interface LexicalModelJSON {
  version: 1;
  options: LexicalOptions;
  documentCount: number;
  /** Feature strings, index = feature id. */
  features: string[];
  /** Document frequency of each feature. */
  documentFrequencies: number[];
}

export interface LexicalEncoder extends SparseEncoder<string> {
  readonly options: LexicalOptions;
  readonly vocabularySize: number;
  /** Raw feature strings of a text (before vocabulary filtering), with their term counts. */
  features(text: string): Map<string, number>;
  /** Synchronous encode of one text. */
  encodeOne(text: string): SparseVector;
  /** Feature string of an index (for explanations). */
  featureName(index: number): string | undefined;
  toJSON(): LexicalModelJSON;
}

const HAN_RUN = /\p{Script=Han}+/gu;
const LATIN_RUN = /[\p{L}\p{N}]+(?:[-/.][\p{L}\p{N}]+)*/gu;
const HAN = /\p{Script=Han}/u;

function extractFeatures(text: string, analyzer: TextAnalyzer, opts: LexicalOptions): Map<string, number> {
  const analyzed = analyzer.analyze(text);
  const counts = new Map<string, number>();
  const add = (f: string) => counts.set(f, (counts.get(f) ?? 0) + 1);
  for (const t of analyzed.tokens) add(`w:${t}`);
  const normalized = analyzed.normalized;
  for (const run of normalized.match(HAN_RUN) ?? []) {
    const chars = [...run];
    for (const n of opts.chineseNgramSizes) {
      for (let i = 0; i + n <= chars.length; i++) add(`z:${chars.slice(i, i + n).join('')}`);
    }
  }
  const n = opts.latinNgramSize;
  for (const m of normalized.match(LATIN_RUN) ?? []) {
    // Latin/digit runs only: drop Han characters the \p{L} class also matches.
    for (const piece of m.split(HAN_RUN)) {
      const joined = piece.replace(/[-/.]/g, '');
      if (joined.length < n || HAN.test(joined)) continue;
      for (let i = 0; i + n <= joined.length; i++) add(`l:${joined.slice(i, i + n)}`);
    }
  }
  return counts;
}

function kindWeight(feature: string, opts: LexicalOptions): number {
  switch (feature.charCodeAt(0)) {
    case 119 /* w */:
      return opts.wordWeight;
    case 122 /* z */:
      return opts.chineseNgramWeight;
    default:
      return opts.latinNgramWeight;
  }
}

/** Learns the vocabulary and document frequencies from a corpus. */
export function fitLexicalEncoder(
  texts: readonly string[],
  options: Partial<LexicalOptions> & { analyzer?: TextAnalyzer } = {},
): LexicalEncoder {
  const { analyzer: givenAnalyzer, ...rest } = options;
  rejectUnknownKeys(rest, Object.keys(DEFAULT_LEXICAL_OPTIONS), 'fitLexicalEncoder');
  const opts: LexicalOptions = { ...DEFAULT_LEXICAL_OPTIONS, ...rest };
  const analyzer = givenAnalyzer ?? createTextAnalyzer();
  const df = new Map<string, number>();
  for (const text of texts) {
    for (const f of extractFeatures(text, analyzer, opts).keys()) df.set(f, (df.get(f) ?? 0) + 1);
  }
  const maxDf = opts.maxDocumentShare >= 1 ? Infinity : opts.maxDocumentShare * texts.length;
  const kept = [...df].filter(([, d]) => d >= opts.minDocumentFrequency && d <= maxDf);
  // Highest document frequency first; ties by feature string so the vocabulary is deterministic.
  kept.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const capped = kept.slice(0, opts.maxFeatures);
  return buildEncoder(
    { version: 1, options: opts, documentCount: texts.length, features: capped.map(([f]) => f), documentFrequencies: capped.map(([, d]) => d) },
    analyzer,
  );
}

/** Restores an encoder saved with `toJSON()`. */
export function lexicalEncoderFromJSON(json: LexicalModelJSON, analyzer?: TextAnalyzer): LexicalEncoder {
  if (json.version !== 1) throw createError('PARSE_ERROR', `lexical model version ${String(json.version)} is not supported`, { field: 'version' });
  if (json.features.length !== json.documentFrequencies.length) {
    throw createError('PARSE_ERROR', `lexical model: ${json.features.length} features but ${json.documentFrequencies.length} document frequencies`, { field: 'documentFrequencies' });
  }
  rejectUnknownKeys(json.options, Object.keys(DEFAULT_LEXICAL_OPTIONS), 'lexicalEncoderFromJSON options');
  return buildEncoder({ ...json, options: { ...DEFAULT_LEXICAL_OPTIONS, ...json.options } }, analyzer ?? createTextAnalyzer());
}

function buildEncoder(model: LexicalModelJSON, analyzer: TextAnalyzer): LexicalEncoder {
  const opts = model.options;
  const index = new Map<string, number>();
  model.features.forEach((f, i) => index.set(f, i));
  const idf = new Float32Array(model.features.length);
  model.documentFrequencies.forEach((d, i) => {
    idf[i] = Math.log((1 + model.documentCount) / (1 + d)) + 1;
  });
  const hash = createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 12);

  function encodeOne(text: string): SparseVector {
    const entries: [number, number][] = [];
    let norm = 0;
    for (const [f, tf] of extractFeatures(text, analyzer, opts)) {
      const i = index.get(f);
      if (i === undefined) continue;
      const w = (1 + Math.log(tf)) * idf[i]! * kindWeight(f, opts);
      if (w === 0) continue;
      entries.push([i, w]);
      norm += w * w;
    }
    entries.sort((x, y) => x[0] - y[0]);
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const indices = new Uint32Array(entries.length);
    const values = new Float32Array(entries.length);
    entries.forEach(([i, w], k) => {
      indices[k] = i;
      values[k] = w * inv;
    });
    return { indices, values };
  }

  return {
    kind: 'sparse',
    id: `lexical-tfidf-v1:${hash}`,
    modality: 'text',
    options: opts,
    vocabularySize: model.features.length,
    features: (text) => extractFeatures(text, analyzer, opts),
    encodeOne,
    featureName: (i) => model.features[i],
    toJSON: () => model,
    async encode(batch) {
      return batch.map(encodeOne);
    },
  };
}

/**
 * Cosine of two sparse vectors with sorted indices (as the lexical encoder makes them); for
 * L2-normalised inputs this is their dot product.
 */
export function sparseCosine(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i]!;
    const y = b.indices[j]!;
    if (x === y) {
      dot += a.values[i]! * b.values[j]!;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  if (dot === 0) return 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.values.length; k++) na += a.values[k]! * a.values[k]!;
  for (let k = 0; k < b.values.length; k++) nb += b.values[k]! * b.values[k]!;
  return dot / Math.sqrt(na * nb);
}
