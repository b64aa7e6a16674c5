/**
 * The encoders stage's contract. An encoder turns one field of a product into a vector.
 * Implementations live in `encoders/<name>/` and depend only on this file and earlier stages.
 */
import { createHash } from 'node:crypto';
import { createError } from '../errors.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';

export type EncoderModality = 'text' | 'image';

/** Dense encoders give fixed-length vectors; sparse ones give term → weight maps. */
export interface DenseEncoder<Input = string> {
  readonly kind: 'dense';
  /** Stable id; part of every cache key, so it must change when the weights change. */
  readonly id: string;
  readonly dimension: number;
  readonly modality: EncoderModality;
  /** Vectors are L2-normalised unless the encoder says otherwise. */
  readonly normalized: boolean;
  encode(batch: readonly Input[]): Promise<Float32Array[]>;
}

/**
 * A text encoder that reads a text only through `analyzer.tokenize` can take those tokens directly:
 * `encodeTokenized(texts.map((t) => analyzer.tokenize(t)))` gives exactly the vectors of
 * `encode(texts)`. A caller that needs a text's tokens for several passes (fitting the text space, then
 * encoding) segments it once instead of once per pass and per part of a combined encoder.
 */
export interface TokenizedTextEncoder extends DenseEncoder<string> {
  /** The tokeniser the encoder applies to a text; the same object for every part of a combined encoder. */
  readonly analyzer: TextAnalyzer;
  encodeTokenized(batch: readonly (readonly string[])[]): Promise<Float32Array[]>;
}

export function acceptsTokens(encoder: DenseEncoder<string>): encoder is TokenizedTextEncoder {
  const e = encoder as Partial<TokenizedTextEncoder>;
  return typeof e.encodeTokenized === 'function' && e.analyzer !== undefined;
}

export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

export interface SparseEncoder<Input = string> {
  readonly kind: 'sparse';
  readonly id: string;
  readonly modality: EncoderModality;
  encode(batch: readonly Input[]): Promise<SparseVector[]>;
}

export type Encoder<Input = string> = DenseEncoder<Input> | SparseEncoder<Input>;

/** Encoders process this many inputs per call unless configured otherwise. */
export const DEFAULT_BATCH_SIZE = 64;

/**
 * A short id derived from a description, for encoders whose id follows their fitted state. Ids are read
 * on every lookup of a stored vector (per candidate product, per query), so the hash of the last
 * description is kept: a SHA-256 per read was 4% of a similar-items query.
 */
export function createIdHasher(prefix: string): (description: string) => string {
  let lastDescription: string | undefined;
  let lastId = '';
  return (description) => {
    if (description !== lastDescription) {
      lastId = `${prefix}:${createHash('sha256').update(description).digest('hex').slice(0, 12)}`;
      lastDescription = description;
    }
    return lastId;
  };
}

export function assertDimension(encoderId: string, expected: number, vector: Float32Array): void {
  if (vector.length !== expected) {
    throw createError('DIM_MISMATCH', `encoder ${encoderId}: expected dimension ${expected}, got ${vector.length}`, {
      expected: String(expected),
      received: String(vector.length),
    });
  }
}

/** L2-normalises in place; a zero vector stays zero (it means "no evidence", not a direction). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s === 0) return v;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/**
 * A table of word vectors (pretrained GloVe, the Chinese→English CEDICT bridge, or vectors trained
 * on the catalog). Sentence encoders (SIF) combine word vectors through this interface only.
 */
export interface WordVectors {
  /** Identifies the table and its weights; part of the ids of encoders built on it. */
  readonly id: string;
  readonly dimension: number;
  /** The vector of a word (not normalised), or undefined when the word is unknown. */
  vector(word: string): Float32Array | undefined;
  /**
   * Estimated unigram probability p(w) of a word in general text (for SIF weights), or undefined
   * when the table has no estimate for it.
   */
  probability(word: string): number | undefined;
}

/** A word and its cosine similarity to a query vector. */
export interface WordNeighbour {
  word: string;
  similarity: number;
}

/**
 * Cosine of two dense vectors of equal length, clamped to [-1, 1]; undefined when either is the zero
 * vector (no direction: "no evidence", which the similarity stage reports as a missing field).
 */
export function cosineOrUndefined(a: Float32Array | Float64Array | readonly number[], b: Float32Array | Float64Array | readonly number[]): number | undefined {
  if (a.length !== b.length) {
    throw createError('DIM_MISMATCH', `cosine of vectors of dimension ${a.length} and ${b.length}`, {
      expected: String(a.length),
      received: String(b.length),
    });
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return undefined;
  const c = dot / Math.sqrt(na * nb);
  return c < -1 ? -1 : c > 1 ? 1 : c;
}

/** Cosine similarity of two dense vectors of equal length (0 when either is zero). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  return cosineOrUndefined(a, b) ?? 0;
}
