/**
 * Dense encoding during ingest, with the store's vectors as the cache: a product is encoded by an
 * encoder only when no vector of that encoder exists for the product's content hash.
 */
import { categoryLevels, type Product } from '../catalog/product.ts';
import { assertDimension, DEFAULT_BATCH_SIZE, type DenseEncoder } from '../encoders/encoder.ts';
import type { ProductStore, VectorInput } from '../store/store.ts';

/** What an encoder sees of a product; `undefined` means "nothing to encode" (e.g. no image). */
export type EncoderInputFn = (product: Product, encoder: DenseEncoder<string>) => string | undefined;

/**
 * Text encoders read brand, title, tags and category levels (the short, identifying fields;
 * descriptions are long and noisy for sentence encoders). Image encoders read the first image.
 */
export const defaultEncoderInput: EncoderInputFn = (product, encoder) => {
  if (encoder.modality === 'image') return product.images[0];
  const parts = [product.brand, product.title, product.tags.join(' '), categoryLevels(product.category).join(' ')];
  const text = parts.filter((p): p is string => typeof p === 'string' && p.trim().length > 0).join(' ');
  return text.length > 0 ? text : undefined;
};

export interface EncodeCounts {
  encoded: number;
  cached: number;
  /** Products the encoder had no input for (no image, empty text). */
  noInput: number;
}

/** Encodes the products of one batch that have no cached vector; returns vectors to store. */
export async function encodeMissing(
  store: ProductStore,
  encoder: DenseEncoder<string>,
  items: readonly { product: Product; contentHash: string }[],
  inputOf: EncoderInputFn,
  counts: EncodeCounts,
): Promise<VectorInput[]> {
  const cached = await store.cachedHashes(encoder.id, items.map((i) => i.contentHash));
  const todo: { id: string; contentHash: string; input: string }[] = [];
  const out: VectorInput[] = [];
  for (const { product, contentHash } of items) {
    if (cached.has(contentHash)) {
      counts.cached++;
      continue;
    }
    const input = inputOf(product, encoder);
    if (input === undefined) {
      counts.noInput++;
      continue;
    }
    todo.push({ id: product.id, contentHash, input });
  }
  for (let i = 0; i < todo.length; i += DEFAULT_BATCH_SIZE) {
    const part = todo.slice(i, i + DEFAULT_BATCH_SIZE);
    const vectors = await encoder.encode(part.map((t) => t.input));
    part.forEach((t, j) => {
      const vector = vectors[j]!;
      assertDimension(encoder.id, encoder.dimension, vector);
      out.push({ id: t.id, contentHash: t.contentHash, vector });
    });
    counts.encoded += part.length;
  }
  return out;
}
