/**
 * Embedding cache: vectors keyed by (encoder id, content hash). Encoder ids change when weights
 * change, so a stale vector is never returned. The store stage implements `VectorCache` on SQLite;
 * `createMemoryVectorCache` is the in-process implementation (tests, short runs).
 */
import { createHash } from 'node:crypto';
import { createError } from '../errors.ts';
import type { DenseEncoder } from './encoder.ts';

export interface VectorCache {
  get(encoderId: string, contentHash: string): Float32Array | undefined;
  put(encoderId: string, contentHash: string, vector: Float32Array): void;
}

export interface CachedEncodeInput<Input> {
  /** Hash of everything the encoder reads from this input (e.g. `contentHash(text)`). */
  contentHash: string;
  input: Input;
}

export interface CachedEncodeResult {
  /** One vector per input, in input order. */
  vectors: Float32Array[];
  hits: number;
  /** Inputs not found in the cache. */
  misses: number;
  /** Vectors actually computed (misses with distinct content hashes). */
  encoded: number;
}

/** sha256 (hex, 32 chars) of a text or bytes; a convenient content hash for `cachedEncode`. */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 32);
}

/**
 * Encodes only the inputs whose (encoder id, content hash) is not cached, in batches of
 * `batchSize`, stores the new vectors, and returns all vectors in input order. Inputs with the same
 * content hash in one call are encoded once.
 */
export async function cachedEncode<Input>(
  encoder: DenseEncoder<Input>,
  inputs: readonly CachedEncodeInput<Input>[],
  cache: VectorCache,
  options: { batchSize?: number } = {},
): Promise<CachedEncodeResult> {
  const batchSize = options.batchSize ?? 64;
  if (!(batchSize >= 1)) throw createError('INVALID_ARGUMENT', `cachedEncode: batchSize must be ≥ 1, got ${batchSize}`, { field: 'batchSize' });
  const encoderId = encoder.id;
  const vectors = new Array<Float32Array | undefined>(inputs.length);
  const pending = new Map<string, number[]>(); // content hash → positions
  const toEncode: CachedEncodeInput<Input>[] = [];
  let hits = 0;
  inputs.forEach((item, i) => {
    const hit = cache.get(encoderId, item.contentHash);
    if (hit) {
      vectors[i] = hit;
      hits++;
      return;
    }
    const positions = pending.get(item.contentHash);
    if (positions) positions.push(i);
    else {
      pending.set(item.contentHash, [i]);
      toEncode.push(item);
    }
  });
  for (let start = 0; start < toEncode.length; start += batchSize) {
    const batch = toEncode.slice(start, start + batchSize);
    const out = await encoder.encode(batch.map((b) => b.input));
    if (out.length !== batch.length) {
      throw createError('INTERNAL', `encoder ${encoderId} returned ${out.length} vectors for ${batch.length} inputs`);
    }
    batch.forEach((item, k) => {
      const v = out[k]!;
      if (v.length !== encoder.dimension) {
        throw createError('DIM_MISMATCH', `encoder ${encoderId}: expected dimension ${encoder.dimension}, got ${v.length}`, { expected: String(encoder.dimension), received: String(v.length) });
      }
      cache.put(encoderId, item.contentHash, v);
      for (const i of pending.get(item.contentHash)!) vectors[i] = v;
    });
  }
  return { vectors: vectors as Float32Array[], hits, misses: inputs.length - hits, encoded: toEncode.length };
}

/** In-memory `VectorCache` (a Map per encoder id); optional cap on entries, oldest evicted first. */
export function createMemoryVectorCache(options: { maxEntries?: number } = {}): VectorCache & { readonly size: number; clear(): void } {
  const maxEntries = options.maxEntries ?? Infinity;
  const map = new Map<string, Float32Array>();
  const key = (encoderId: string, hash: string) => `${encoderId}\u0000${hash}`;
  return {
    get: (encoderId, hash) => map.get(key(encoderId, hash)),
    put(encoderId, hash, vector) {
      const k = key(encoderId, hash);
      map.delete(k);
      map.set(k, vector);
      while (map.size > maxEntries) {
        const oldest = map.keys().next().value;
        if (oldest === undefined) break;
        map.delete(oldest);
      }
    },
    get size() {
      return map.size;
    },
    clear: () => map.clear(),
  };
}
