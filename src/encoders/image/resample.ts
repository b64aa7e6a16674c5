/**
 * Area-average resampling of small raw images in plain JS. Every feature is computed from one
 * ≤256 px decode, and resampling that in JS is cheaper than further sharp pipelines (each a
 * round trip through the libuv pool, slow on a busy 2-core machine). Area averaging is the right
 * anti-aliasing filter for the large downscales used here (→ 64, 32, 9×8 px).
 */

/** Resizes `src` (w×h×channels, row-major) to dw×dh by averaging the source area each output pixel covers. */
export function areaResize(src: ArrayLike<number>, w: number, h: number, channels: number, dw: number, dh: number): Float32Array {
  const weights = (sn: number, dn: number) => {
    // for each destination index, the source indices and their overlap weights (summing to 1)
    const scale = sn / dn;
    const out: Array<Array<[number, number]>> = [];
    for (let d = 0; d < dn; d++) {
      const a = d * scale;
      const b = (d + 1) * scale;
      const taps: Array<[number, number]> = [];
      for (let s = Math.floor(a); s < Math.min(sn, Math.ceil(b)); s++) {
        const overlap = Math.min(b, s + 1) - Math.max(a, s);
        if (overlap > 1e-9) taps.push([s, overlap / scale]);
      }
      out.push(taps);
    }
    return out;
  };
  const wx = weights(w, dw);
  const wy = weights(h, dh);
  const tmp = new Float32Array(dw * h * channels);
  for (let y = 0; y < h; y++) {
    for (let dx = 0; dx < dw; dx++) {
      for (const [sx, wt] of wx[dx]!) {
        const si = (y * w + sx) * channels;
        const ti = (y * dw + dx) * channels;
        for (let c = 0; c < channels; c++) tmp[ti + c]! += src[si + c]! * wt;
      }
    }
  }
  const out = new Float32Array(dw * dh * channels);
  for (let dy = 0; dy < dh; dy++) {
    for (const [sy, wt] of wy[dy]!) {
      for (let dx = 0; dx < dw; dx++) {
        const si = (sy * dw + dx) * channels;
        const oi = (dy * dw + dx) * channels;
        for (let c = 0; c < channels; c++) out[oi + c]! += tmp[si + c]! * wt;
      }
    }
  }
  return out;
}

/** ITU-R 601-2 luma (what PIL's "L" mode and so the imagehash package use). */
export function toGrey(rgb: ArrayLike<number>, pixels: number): Float32Array {
  const g = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) g[p] = 0.299 * rgb[p * 3]! + 0.587 * rgb[p * 3 + 1]! + 0.114 * rgb[p * 3 + 2]!;
  return g;
}

/** Fits w×h inside a size×size box, keeping the aspect ratio (never enlarging). */
export function fitInside(w: number, h: number, size: number): [number, number] {
  if (w <= size && h <= size) return [w, h];
  const s = size / Math.max(w, h);
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))];
}

export function toUint8(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(values[i]!)));
  return out;
}
