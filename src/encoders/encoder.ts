/**
 * The encoders stage's contract. An encoder turns one field of a product into a vector.
 * Implementations live in `encoders/<name>/` and depend only on this file and earlier stages.
 */
import { createError } from '../errors.ts';

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
