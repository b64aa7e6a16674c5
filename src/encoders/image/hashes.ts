/**
 * Perceptual hashes as 16-hex-digit strings (64 bits, row-major, first bit = most significant), the
 * same definitions as the widely used Python `imagehash` package so values are comparable:
 * - pHash: 32×32 greyscale → 2-D DCT-II → top-left 8×8 low frequencies → bit = coefficient > median;
 * - dHash: 9×8 greyscale → bit = pixel brighter than its left neighbour.
 * Near-duplicate photos (re-encoded, resized, slightly recoloured) stay within a few bits.
 */
import { createError } from '../../errors.ts';

export const HASH_BITS = 64;
const N = 32;

/** cos((2x + 1) u π / 2N) for the 32-point DCT, computed once. */
const COS = (() => {
  const t = new Float64Array(N * N);
  for (let u = 0; u < N; u++) for (let x = 0; x < N; x++) t[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return t;
})();

function bitsToHex(bits: ArrayLike<boolean>): string {
  let out = '';
  for (let i = 0; i < bits.length; i += 4) {
    const nibble = (bits[i] ? 8 : 0) | (bits[i + 1] ? 4 : 0) | (bits[i + 2] ? 2 : 0) | (bits[i + 3] ? 1 : 0);
    out += nibble.toString(16);
  }
  return out;
}

/** pHash of a 32×32 greyscale image (row-major, 1024 values). */
export function phashFromGrey32(grey: ArrayLike<number>): string {
  if (grey.length !== N * N) throw createError('INVALID_ARGUMENT', `pHash needs ${N * N} grey values, got ${grey.length}`);
  // only the 8 lowest frequencies are needed in each direction
  const rows = new Float64Array(N * 8); // DCT along x for each row: rows[y*8+u]
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += grey[y * N + x]! * COS[u * N + x]!;
      rows[y * 8 + u] = s;
    }
  }
  const coeffs = new Float64Array(64); // coeffs[v*8+u]
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * 8 + u]! * COS[v * N + y]!;
      coeffs[v * 8 + u] = s;
    }
  }
  // Coefficients that are zero up to rounding (flat areas) are made exactly zero, so the bits of
  // flat images do not depend on floating-point noise.
  const eps = 1e-9 * Math.max(1, Math.abs(coeffs[0]!));
  for (let i = 0; i < 64; i++) if (Math.abs(coeffs[i]!) < eps) coeffs[i] = 0;
  const sorted = Array.from(coeffs).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  return bitsToHex(Array.from(coeffs, (c) => c > median));
}

/** dHash of a 9-wide × 8-high greyscale image (row-major, 72 values). */
export function dhashFromGrey9x8(grey: ArrayLike<number>): string {
  if (grey.length !== 72) throw createError('INVALID_ARGUMENT', `dHash needs 72 grey values, got ${grey.length}`);
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(grey[y * 9 + x + 1]! > grey[y * 9 + x]!);
  return bitsToHex(bits);
}

const HEX64 = /^[0-9a-f]{16}$/i;
const POPCOUNT4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Number of differing bits between two 64-bit hex hashes. */
export function hammingDistance(a: string, b: string): number {
  if (!HEX64.test(a) || !HEX64.test(b)) {
    throw createError('INVALID_ARGUMENT', `hashes must be 16 hex digits, got "${a}" and "${b}"`, { expected: '16 hex digits' });
  }
  let d = 0;
  for (let i = 0; i < 16; i++) d += POPCOUNT4[parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)]!;
  return d;
}

/** 1 − hamming / 64: 1 for identical hashes, about 0.5 for unrelated images. */
export function hashSimilarity(a: string, b: string): number {
  return 1 - hammingDistance(a, b) / HASH_BITS;
}
