/**
 * The catalog's text space: the dense text encoder every application uses for products and queries,
 * with its catalog-fitted state kept in the store so that it survives restarts (and so that the
 * encoder id, which keys the vector cache, stays the same until the catalog really changes).
 */
import type { Product } from '../catalog/product.ts';
import { acceptsTokens, type DenseEncoder, type WordVectors } from '../encoders/encoder.ts';
import type { ProductStore } from '../store/store.ts';
import { defaultEncoderInput } from './ingest-encode.ts';

/** A text encoder that can learn from the catalog (SIF frequencies, common component, catalog vectors). */
export interface FittableTextEncoder extends DenseEncoder<string> {
  fit(texts: readonly string[]): void;
  /**
   * Optional: `fit` of texts already tokenised with the encoder's `analyzer` (a `TokenizedTextEncoder`),
   * so the text space is fitted from one segmentation of each product's text.
   */
  fitTokenized?: ((docs: readonly (readonly string[])[]) => void) | undefined;
  /** Plain JSON, saved in the store. */
  toJSON(): unknown;
  load(state: unknown): void;
}

export function isFittable(encoder: DenseEncoder<string>): encoder is FittableTextEncoder {
  const e = encoder as Partial<FittableTextEncoder>;
  return typeof e.fit === 'function' && typeof e.toJSON === 'function' && typeof e.load === 'function';
}

/**
 * Refit when the catalog has grown or shrunk by more than this share since the last fit: frequent
 * refits would change the encoder id and throw away every cached vector for little gain.
 */
export const REFIT_DRIFT = 0.2;

const STATE_KEY = 'textSpace.state';
const FIT_COUNT_KEY = 'textSpace.fitCount';

/** The text an encoder sees of a product (brand, title, tags, category levels). */
export function productText(product: Product, encoder: DenseEncoder<string>): string {
  return defaultEncoderInput(product, encoder) ?? product.title;
}

/** Restores the fitted state saved in the store; returns false when there is none. */
export function restoreTextState(store: ProductStore, encoder: DenseEncoder<string>): boolean {
  if (!isFittable(encoder)) return true;
  const saved = store.getMeta(STATE_KEY);
  if (saved === undefined) return false;
  encoder.load(JSON.parse(saved) as unknown);
  return true;
}

export interface FitDecision {
  fitted: boolean;
  reason: string;
}

/** Fits the encoder on the catalog when it never was or the catalog drifted; saves the state. */
export function fitTextSpaceIfNeeded(store: ProductStore, encoder: DenseEncoder<string>, force = false): FitDecision {
  if (!isFittable(encoder)) return { fitted: false, reason: 'encoder has no catalog-fitted state' };
  const count = store.count();
  const fitCount = Number(store.getMeta(FIT_COUNT_KEY) ?? 0);
  const hasState = restoreTextState(store, encoder);
  const drift = fitCount === 0 ? Infinity : Math.abs(count - fitCount) / fitCount;
  if (!force && hasState && drift <= REFIT_DRIFT) return { fitted: false, reason: `state reused (catalog drift ${(drift * 100).toFixed(1)}% ≤ ${REFIT_DRIFT * 100}%)` };
  if (encoder.fitTokenized && acceptsTokens(encoder)) {
    const { analyzer } = encoder;
    const docs: string[][] = [];
    for (const { product } of store.iterateProducts()) docs.push(analyzer.tokenize(productText(product, encoder)));
    encoder.fitTokenized(docs);
  } else {
    const texts: string[] = [];
    for (const { product } of store.iterateProducts()) texts.push(productText(product, encoder));
    encoder.fit(texts);
  }
  store.transaction(() => {
    store.setMeta(STATE_KEY, JSON.stringify(encoder.toJSON()));
    store.setMeta(FIT_COUNT_KEY, String(count));
  });
  return { fitted: true, reason: force ? 'refit asked' : hasState ? `catalog drift ${(drift * 100).toFixed(1)}% > ${REFIT_DRIFT * 100}%` : 'first fit' };
}

/**
 * The word vectors behind a text encoder, when it exposes them: a SIF encoder's own, or the
 * pretrained half of the catalog-aware default. Short texts (tags) are better compared as a plain
 * mean of word vectors than as SIF sentences.
 */
export function textWordVectors(encoder: DenseEncoder<string>): WordVectors | undefined {
  const e = encoder as { wordVectors?: WordVectors; pretrained?: { wordVectors?: WordVectors } };
  return e.wordVectors ?? e.pretrained?.wordVectors;
}
