/**
 * Image similarity from whatever image features both products have:
 *
 * - embedding (CLIP or another image encoder): cosine, negative → 0;
 * - colour histogram: histogram intersection Σ min(aᵢ, bᵢ) / min(Σa, Σb) (1 = same colour mass);
 * - perceptual hashes (pHash, dHash): 1 − hamming / (bits / 2), floored at 0, because two unrelated
 *   images already differ in about half of the bits: identical → 1, 8 of 64 bits → 0.75, ≥ 32 → 0.
 *
 * Components present on both sides are combined with explicit weights (`componentWeights`,
 * renormalised over the components present); each component's score is in the evidence.
 * `undefined` when no component is present on both sides (or none is comparable: embeddings of
 * other dimensions, histograms of other spaces are skipped, and the evidence says so).
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { cosineSimilarity } from '../metrics.ts';
import type { ImageFeatures, ImageHash } from '../representation.ts';
import { round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export type ImageComponent = 'embedding' | 'histogram' | 'phash' | 'dhash';

export interface ImageComponentScore {
  component: ImageComponent;
  score: number;
  weight: number;
  /** Raw measurement: cosine, intersection or hamming distance. */
  raw: number;
}

export interface ImageEvidence extends FieldEvidence {
  components: ImageComponentScore[];
  /** Components both sides have but in incomparable forms (other dimension, other histogram space). */
  skipped?: string[];
}

export interface ImageSimilarityOptions {
  componentWeights: Readonly<Record<ImageComponent, number>>;
  /** Bits of a hash given as a bigint (hex strings carry their own length: 4 bits per digit). */
  hashBits: number;
}

/**
 * Measured on 800 Fashion Product Images (20k random pairs, AUC for "same article type and same
 * colour"): histogram alone 0.701, pHash alone 0.471, dHash alone 0.421, histogram/pHash/dHash at
 * 0.5/0.25/0.25 0.604, at 0.75/0.125/0.125 (the default without an embedding) 0.670. Hashes find near-duplicate photos (same
 * product, another shop) but say little about style, so colour carries most of the weight.
 */
export const DEFAULT_IMAGE_SIMILARITY_OPTIONS = {
  componentWeights: { embedding: 0.6, histogram: 0.3, phash: 0.05, dhash: 0.05 },
  hashBits: 64,
} as const satisfies ImageSimilarityOptions;

function hashToBigInt(h: ImageHash): { value: bigint; bits: number | undefined } {
  if (typeof h === 'bigint') return { value: h, bits: undefined };
  const hex = h.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(hex)) throw createError('INVALID_ARGUMENT', `image hash is not hex: "${h}"`, { field: 'image hash', received: h });
  return { value: BigInt(`0x${hex}`), bits: hex.length * 4 };
}

export function hammingDistance(a: ImageHash, b: ImageHash): { distance: number; bits: number | undefined } {
  const x = hashToBigInt(a);
  const y = hashToBigInt(b);
  let v = x.value ^ y.value;
  let d = 0;
  while (v > 0n) {
    d += Number(v & 1n);
    v >>= 1n;
  }
  return { distance: d, bits: x.bits ?? y.bits };
}

export function hashSimilarity(a: ImageHash, b: ImageHash, defaultBits = 64): { score: number; distance: number } {
  const { distance, bits } = hammingDistance(a, b);
  return { score: Math.max(0, 1 - distance / ((bits ?? defaultBits) / 2)), distance };
}

export function histogramIntersection(a: Float32Array, b: Float32Array): number | undefined {
  if (a.length !== b.length) {
    throw createError('DIM_MISMATCH', `colour histograms have ${a.length} and ${b.length} bins`, { expected: String(a.length), received: String(b.length) });
  }
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    inter += Math.min(a[i]!, b[i]!);
    sa += a[i]!;
    sb += b[i]!;
  }
  const denom = Math.min(sa, sb);
  return denom > 0 ? Math.min(1, inter / denom) : undefined;
}

export type ImageSimilarityFn = (a: ImageFeatures | undefined, b: ImageFeatures | undefined) => FieldSimilarity<ImageEvidence> | undefined;

export function createImageSimilarity(options: Partial<ImageSimilarityOptions> = {}): ImageSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_IMAGE_SIMILARITY_OPTIONS), 'createImageSimilarity');
  const opts: ImageSimilarityOptions = { ...DEFAULT_IMAGE_SIMILARITY_OPTIONS, ...options };
  return function imageSimilarity(a, b) {
    if (!a || !b) return undefined;
    const parts: Omit<ImageComponentScore, 'weight'>[] = [];
    // Features from two extractor versions (another embedding model, another histogram binning)
    // are not comparable: that component is skipped and said so, the others still count.
    const skipped: string[] = [];
    if (a.embedding && b.embedding) {
      if (a.embedding.length !== b.embedding.length) skipped.push(`embedding: ${a.embedding.length} vs ${b.embedding.length} dimensions`);
      else {
        const c = cosineSimilarity(a.embedding, b.embedding);
        if (c !== undefined) parts.push({ component: 'embedding', score: Math.max(0, c), raw: c });
      }
    }
    if (a.histogram && b.histogram) {
      if (a.histogramSpace !== undefined && b.histogramSpace !== undefined && a.histogramSpace !== b.histogramSpace) {
        skipped.push(`histogram: spaces ${a.histogramSpace} vs ${b.histogramSpace}`);
      } else if (a.histogram.length !== b.histogram.length) {
        skipped.push(`histogram: ${a.histogram.length} vs ${b.histogram.length} bins`);
      } else {
        const h = histogramIntersection(a.histogram, b.histogram);
        if (h !== undefined) parts.push({ component: 'histogram', score: h, raw: h });
      }
    }
    for (const k of ['phash', 'dhash'] as const) {
      const ha = a[k];
      const hb = b[k];
      if (ha !== undefined && hb !== undefined) {
        const { score, distance } = hashSimilarity(ha, hb, opts.hashBits);
        parts.push({ component: k, score, raw: distance });
      }
    }
    const total = parts.reduce((s, p) => s + opts.componentWeights[p.component], 0);
    if (parts.length === 0 || !(total > 0)) return undefined;
    const note = skipped.length > 0 ? `; not comparable: ${skipped.join(', ')}` : '';
    const components = parts.map((p) => ({ ...p, weight: opts.componentWeights[p.component] / total }));
    const score = components.reduce((s, c) => s + c.score * c.weight, 0);
    const summary = components
      .map((c) => `${c.component} ${round(c.score, 2)}${c.component.endsWith('hash') ? ` (${c.raw} bits differ)` : ''}`)
      .join(', ') + note;
    return { score: Math.min(1, score), evidence: { summary, components, ...(skipped.length > 0 ? { skipped } : {}) } };
  };
}

let defaultImageSimilarity: ImageSimilarityFn | undefined;

export function imageSimilarity(a: ImageFeatures | undefined, b: ImageFeatures | undefined): FieldSimilarity<ImageEvidence> | undefined {
  defaultImageSimilarity ??= createImageSimilarity();
  return defaultImageSimilarity(a, b);
}
