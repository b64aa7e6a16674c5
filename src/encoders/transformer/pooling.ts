/**
 * Pooling token vectors into one sentence vector. Pure functions over flat [batch, seq, hidden]
 * buffers, so they are testable without a model.
 */
import { createError } from '../../errors.ts';

export type Pooling = 'mean' | 'cls';

/**
 * Pools row `b` of `hidden` ([batch, seq, dim], row-major). Mean pooling averages only positions
 * whose attention mask is 1, so padding added by batching never changes a text's vector (the
 * sentence-transformers recipe); CLS takes position 0.
 */
export function poolRow(
  hidden: Float32Array,
  mask: ArrayLike<number | bigint>,
  b: number,
  seq: number,
  dim: number,
  pooling: Pooling,
): Float32Array {
  const out = new Float32Array(dim);
  const base = b * seq * dim;
  if (pooling === 'cls') {
    out.set(hidden.subarray(base, base + dim));
    return out;
  }
  if (pooling !== 'mean') throw createError('INVALID_ARGUMENT', `unknown pooling "${String(pooling)}"`, { field: 'pooling', expected: 'mean | cls' });
  let count = 0;
  for (let s = 0; s < seq; s++) {
    if (Number(mask[b * seq + s]) === 0) continue;
    count++;
    const off = base + s * dim;
    for (let d = 0; d < dim; d++) out[d]! += hidden[off + d]!;
  }
  if (count > 0) for (let d = 0; d < dim; d++) out[d]! /= count;
  return out;
}
