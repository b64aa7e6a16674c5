/**
 * Image features of stored products, computed once per content hash (the store's vector table is the
 * cache) and read back for the similarity core. A product whose image is broken, missing or too large
 * keeps everything else: the failure is reported and its image field is simply missing.
 */
import type { Product } from '../catalog/product.ts';
import type { ImageFeatureExtractor, ImageFailure } from '../encoders/image/features.ts';
import { changeLogPosition, changesAfter, upsertedKeys, type ChangeLogPosition, type ProductStore, type VectorInput } from '../store/store.ts';
import type { ImageFeatures } from '../similarity/representation.ts';

/** Vector-table ids: the histogram as is, and each 64-bit hash as 64 floats of 0/1 (lossless in Float32). */
export const IMAGE_HISTOGRAM_ID = 'image:histogram:v1';
export const IMAGE_PHASH_ID = 'image:phash:v1';
export const IMAGE_DHASH_ID = 'image:dhash:v1';

export function hexToBits(hex: string): Float32Array {
  const bits = new Float32Array(hex.length * 4);
  for (let i = 0; i < hex.length; i++) {
    const nibble = parseInt(hex[i]!, 16);
    for (let b = 0; b < 4; b++) bits[i * 4 + b] = (nibble >> (3 - b)) & 1;
  }
  return bits;
}

export function bitsToHex(bits: Float32Array): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    hex += (((bits[i]! ? 8 : 0) | (bits[i + 1]! ? 4 : 0) | (bits[i + 2]! ? 2 : 0) | (bits[i + 3]! ? 1 : 0))).toString(16);
  }
  return hex;
}

export interface ImageRefreshSummary {
  /**
   * Which products were looked at: `all` (the first refresh, or the change log does not reach back to
   * the last one) or `changed` (only those written since the last refresh). The counts below are of those.
   */
  checked: 'all' | 'changed';
  withImages: number;
  computed: number;
  cached: number;
  failed: ImageFailure[];
}

/** Meta key: the change-log position up to which every product's image was looked at. */
const IMAGES_CHECKED_KEY = 'images.checked';

/**
 * Computes features for products whose first image has none for their current content. Only the
 * products written since the last refresh are looked at (the store's change log), so a small ingest
 * into a large catalog does not read every product again. An image that failed is tried again when
 * its product is written again, or on a refresh that looks at all products.
 */
export async function refreshImageFeatures(
  store: ProductStore,
  extractor: ImageFeatureExtractor,
  onProgress?: (done: number, total: number) => void,
): Promise<ImageRefreshSummary> {
  const checkedUpTo = await changeLogPosition(store);
  const saved = await store.getMeta(IMAGES_CHECKED_KEY);
  const changes = await changesAfter(store, saved === undefined ? undefined : (JSON.parse(saved) as ChangeLogPosition));
  const upserted = changes ? upsertedKeys(changes) : undefined;
  const without = upserted ? await store.productsWithoutVector(IMAGE_HISTOGRAM_ID, upserted) : await store.productsWithoutVector(IMAGE_HISTOGRAM_ID);
  // Products that have a current histogram had an image and were done before.
  const lookedAt = upserted ? (await store.keysToIds(upserted)).filter((id) => id !== undefined).length : await store.count();
  const summary: ImageRefreshSummary = { checked: changes ? 'changed' : 'all', withImages: 0, computed: 0, cached: lookedAt - without.length, failed: [] };
  const todo: { product: Product; contentHash: string }[] = [];
  // Products without features, read in batches (most have no image at all in many catalogs).
  for (let i = 0; i < without.length; i += 500) {
    for (const { product, contentHash } of await store.getProducts(without.slice(i, i + 500).map((p) => p.id))) {
      if (product.images.length > 0) todo.push({ product, contentHash });
    }
  }
  summary.withImages = summary.cached + todo.length;
  const BATCH = 32;
  for (let i = 0; i < todo.length; i += BATCH) {
    const batch = todo.slice(i, i + BATCH);
    const results = await extractor.extractMany(batch.map((t) => t.product.images[0]!));
    const hist: VectorInput[] = [];
    const phash: VectorInput[] = [];
    const dhash: VectorInput[] = [];
    for (let j = 0; j < batch.length; j++) {
      const r = results[j]!;
      const { product, contentHash } = batch[j]!;
      if (!r.ok) {
        summary.failed.push(r.error);
        continue;
      }
      hist.push({ id: product.id, contentHash, vector: r.features.histogram });
      phash.push({ id: product.id, contentHash, vector: hexToBits(r.features.phash) });
      dhash.push({ id: product.id, contentHash, vector: hexToBits(r.features.dhash) });
      summary.computed++;
    }
    await store.transaction(async () => {
      await store.putVectors(IMAGE_HISTOGRAM_ID, hist);
      await store.putVectors(IMAGE_PHASH_ID, phash);
      await store.putVectors(IMAGE_DHASH_ID, dhash);
    });
    onProgress?.(Math.min(i + BATCH, todo.length), todo.length);
  }
  await store.setMeta(IMAGES_CHECKED_KEY, JSON.stringify(checkedUpTo));
  return summary;
}

/** The stored image features of a product, as the similarity core reads them. */
export async function storedImageFeatures(store: ProductStore, product: Product): Promise<ImageFeatures | undefined> {
  if (product.images.length === 0) return undefined;
  const histogram = await store.getVector(IMAGE_HISTOGRAM_ID, product.id);
  if (!histogram) return undefined;
  const phash = await store.getVector(IMAGE_PHASH_ID, product.id);
  const dhash = await store.getVector(IMAGE_DHASH_ID, product.id);
  return { histogram, ...(phash ? { phash: bitsToHex(phash) } : {}), ...(dhash ? { dhash: bitsToHex(dhash) } : {}) };
}
