/**
 * Colour features of product images from raw sRGB pixels: a hue-weighted HSV histogram, a
 * background mask, and dominant colours found by k-means in CIELAB.
 *
 * Why HSV with hue-weighted bins for the histogram (and CIELAB for dominant colours):
 * - Catalog colour names (red, navy, green…) are mostly about hue, and hue is the channel that
 *   survives the shading of folds, shadows and studio light, which move value and saturation a lot.
 *   A uniform grid in CIELAB spends its bins evenly on lightness and would split one red shirt
 *   between its lit and shaded sides.
 * - Hue is meaningless for near-grey pixels (black, white, grey products, which are common), so
 *   those go to separate achromatic bins by value instead of scattering over random hues.
 * - Chromatic pixels are soft-assigned to the two nearest hue bins (circularly), so a red at 14° and
 *   one at 16° do not land in disjoint bins.
 * - CIELAB is used where distances matter: the background test and k-means dominant colours (ΔE is
 *   roughly perceptual there).
 */
import { createError } from '../../errors.ts';

export const HUE_BINS = 12;
export const SAT_BINS = 2;
export const VAL_BINS = 2;
export const GREY_BINS = 4;
/** 12 hues × 2 saturations × 2 values, then 4 grey levels. */
export const HISTOGRAM_BINS = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS;
export const HISTOGRAM_SPACE = `hsv-h${HUE_BINS}s${SAT_BINS}v${VAL_BINS}+grey${GREY_BINS}`;

/** Below this saturation or value a pixel counts as achromatic (hue unreliable). */
export const ACHROMATIC_SATURATION = 0.18;
export const ACHROMATIC_VALUE = 0.18;

export type Rgb = [number, number, number];
export type Lab = [number, number, number];

export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const rn = r / 255;
  const gn = g / 255;
  const bn = b / 255;
  const max = Math.max(rn, gn, bn);
  const min = Math.min(rn, gn, bn);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === rn) h = ((gn - bn) / d) % 6;
    else if (max === gn) h = (bn - rn) / d + 2;
    else h = (rn - gn) / d + 4;
    h *= 60;
    if (h < 0) h += 360;
  }
  return [h, max === 0 ? 0 : d / max, max];
}

const srgbToLinear = (c: number) => {
  const x = c / 255;
  return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
};
const LINEAR = Float64Array.from({ length: 256 }, (_, i) => srgbToLinear(i));

/** sRGB (D65) → CIELAB. */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const R = LINEAR[r & 255]!;
  const G = LINEAR[g & 255]!;
  const B = LINEAR[b & 255]!;
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

export function labToRgb([L, a, b]: Lab): Rgb {
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const x = inv(fx) * 0.95047;
  const y = inv(fy);
  const z = inv(fz) * 1.08883;
  const R = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const G = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const B = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  const enc = (c: number) => {
    const v = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
    return Math.round(Math.min(1, Math.max(0, v)) * 255);
  };
  return [enc(R), enc(G), enc(B)];
}

/** CIELAB of every pixel, as a flat [L, a, b, L, a, b, …] array (computed once per image). */
export function labPixels(rgb: Uint8Array, pixels: number): Float32Array {
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const [L, a, b] = rgbToLab(rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!);
    out[p * 3] = L;
    out[p * 3 + 1] = a;
    out[p * 3 + 2] = b;
  }
  return out;
}

export function deltaE(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * Marks background pixels: when the image border is mostly one colour (studio shots on white or
 * grey), pixels connected to the border and within `maxDeltaE` of that colour are background.
 * Returns undefined (keep everything) when the border is not uniform or when almost nothing would
 * be left (a white product on white: then the whole image is the best description we have).
 */
export const BACKGROUND_MAX_DELTA_E = 12;
export const BACKGROUND_BORDER_UNIFORMITY = 0.6;
export const MIN_FOREGROUND_FRACTION = 0.05;
/** Pixels of product edge dropped with the background (on the colorSize thumbnail). */
export const BACKGROUND_EDGE_DILATION = 1;

export function backgroundMask(rgb: Uint8Array, width: number, height: number, lab = labPixels(rgb, width * height)): Uint8Array | undefined {
  const n = width * height;
  if (width < 3 || height < 3) return undefined;
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
  const median = (c: number) => {
    const vals = border.map((p) => rgb[p * 3 + c]!).sort((a, b) => a - b);
    return vals[vals.length >> 1]!;
  };
  const [bL, bA, bB] = rgbToLab(median(0), median(1), median(2));
  const limit2 = BACKGROUND_MAX_DELTA_E * BACKGROUND_MAX_DELTA_E;
  const near = (p: number) => {
    const dL = lab[p * 3]! - bL;
    const da = lab[p * 3 + 1]! - bA;
    const db = lab[p * 3 + 2]! - bB;
    return dL * dL + da * da + db * db < limit2;
  };
  let uniform = 0;
  for (const p of border) if (near(p)) uniform++;
  if (uniform / border.length < BACKGROUND_BORDER_UNIFORMITY) return undefined;

  const mask = new Uint8Array(n); // 1 = background
  const stack: number[] = [];
  for (const p of border) {
    if (!mask[p] && near(p)) {
      mask[p] = 1;
      stack.push(p);
    }
  }
  while (stack.length > 0) {
    const p = stack.pop()!;
    const x = p % width;
    const y = (p - x) / width;
    const nb = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1];
    for (const q of nb) {
      if (q >= 0 && !mask[q] && near(q)) {
        mask[q] = 1;
        stack.push(q);
      }
    }
  }
  // Grow the background by BACKGROUND_EDGE_DILATION pixels: anti-aliased edge pixels are blends of
  // product and background colour and otherwise show up as a spurious light "pink"/"pastel" colour.
  let grown = mask;
  for (let step = 0; step < BACKGROUND_EDGE_DILATION; step++) {
    const next = grown.slice();
    for (let p = 0; p < n; p++) {
      if (grown[p]) continue;
      const x = p % width;
      if ((x > 0 && grown[p - 1]) || (x < width - 1 && grown[p + 1]) || (p >= width && grown[p - width]) || (p + width < n && grown[p + width])) {
        next[p] = 1;
      }
    }
    grown = next;
  }
  let fg = 0;
  for (let p = 0; p < n; p++) if (!grown[p]) fg++;
  return fg / n < MIN_FOREGROUND_FRACTION ? undefined : grown;
}

/** Adds one pixel to the histogram (soft along hue). */
function addPixel(hist: Float32Array, r: number, g: number, b: number): void {
  const [h, s, v] = rgbToHsv(r, g, b);
  if (s < ACHROMATIC_SATURATION || v < ACHROMATIC_VALUE) {
    const grey = Math.min(GREY_BINS - 1, Math.floor(v * GREY_BINS));
    hist[HUE_BINS * SAT_BINS * VAL_BINS + grey]! += 1;
    return;
  }
  const sBin = Math.min(SAT_BINS - 1, Math.floor(((s - ACHROMATIC_SATURATION) / (1 - ACHROMATIC_SATURATION)) * SAT_BINS));
  const vBin = Math.min(VAL_BINS - 1, Math.floor(((v - ACHROMATIC_VALUE) / (1 - ACHROMATIC_VALUE)) * VAL_BINS));
  // bin centres at (i + 0.5) * width; split the pixel between the two nearest centres
  const pos = h / (360 / HUE_BINS) - 0.5;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const h0 = (lo + HUE_BINS) % HUE_BINS;
  const h1 = (lo + 1) % HUE_BINS;
  const base = (sBin * VAL_BINS + vBin) * HUE_BINS;
  hist[base + h0]! += 1 - frac;
  hist[base + h1]! += frac;
}

/** L1-normalised colour histogram of the pixels not masked as background. */
export function colorHistogram(rgb: Uint8Array, width: number, height: number, mask?: Uint8Array): Float32Array {
  const hist = new Float32Array(HISTOGRAM_BINS);
  let total = 0;
  for (let p = 0; p < width * height; p++) {
    if (mask?.[p]) continue;
    addPixel(hist, rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!);
    total++;
  }
  if (total > 0) for (let i = 0; i < hist.length; i++) hist[i]! /= total;
  return hist;
}

/** Σ min(a_i, b_i): 1 for identical L1-normalised histograms, 0 for disjoint ones. */
export function histogramIntersection(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw createError('DIM_MISMATCH', `histograms of ${a.length} and ${b.length} bins`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(a[i]!, b[i]!);
  return s;
}

// ---- dominant colours ---------------------------------------------------------------------------

/** The basic colour names `colourName` gives, each with a representative swatch for display. */
export const BASIC_COLOURS: ReadonlyArray<{ name: string; rgb: Rgb }> = [
  { name: 'black', rgb: [20, 20, 20] },
  { name: 'grey', rgb: [128, 128, 128] },
  { name: 'silver', rgb: [192, 192, 192] },
  { name: 'white', rgb: [245, 245, 245] },
  { name: 'red', rgb: [200, 30, 40] },
  { name: 'maroon', rgb: [110, 20, 35] },
  { name: 'pink', rgb: [240, 130, 170] },
  { name: 'orange', rgb: [240, 130, 30] },
  { name: 'yellow', rgb: [240, 220, 40] },
  { name: 'beige', rgb: [220, 200, 165] },
  { name: 'brown', rgb: [120, 75, 40] },
  { name: 'olive', rgb: [110, 110, 40] },
  { name: 'green', rgb: [40, 150, 60] },
  { name: 'teal', rgb: [20, 130, 130] },
  { name: 'blue', rgb: [40, 90, 200] },
  { name: 'navy', rgb: [25, 35, 85] },
  { name: 'purple', rgb: [110, 50, 150] },
];

/** Below this CIELAB chroma a colour is named by lightness only (black, grey, silver, white). */
export const NAME_ACHROMATIC_CHROMA = 8;
/** Lightness limits (L*) of black < grey < silver < white for achromatic colours. */
export const NAME_LIGHTNESS_LIMITS = { black: 30, grey: 55, silver: 78 } as const;

/**
 * Names a colour by rules on CIELAB lightness L*, chroma C* and hue angle h (degrees), not by the
 * nearest swatch: photos of a "blue" product range from saturated royal blue to washed-out denim,
 * and a nearest-swatch rule sends the desaturated ones to grey. Hue decides the family, lightness and
 * chroma the shade (navy = dark blue, maroon = dark red, beige/brown = light/dark low-chroma orange-
 * yellow, pink = light red). Thresholds were set on the first 2,000 products of the Fashion Product
 * Images sample (top-colour name = catalog colour 38% → 50%; see docs/benchmarks/image.md).
 */
export function colourName(lab: Lab): string {
  const [L, a, b] = lab;
  const C = Math.hypot(a, b);
  let h = (Math.atan2(b, a) * 180) / Math.PI;
  if (h < 0) h += 360;
  if (C < NAME_ACHROMATIC_CHROMA) {
    const t = NAME_LIGHTNESS_LIMITS;
    return L < t.black ? 'black' : L < t.grey ? 'grey' : L < t.silver ? 'silver' : 'white';
  }
  if (h >= 220 && h < 315) return L < 30 ? 'navy' : 'blue';
  if (h >= 315 && h < 345) return L > 70 ? 'pink' : 'purple';
  // sRGB's pure red sits at h = 40°, so red reaches 45°; a strong orange-red is red, not brown
  if (h >= 345 || h < 45) {
    if (L > 65 && C < 50) return 'pink';
    if (L < 35) return 'maroon';
    if (C < 30) return L > 60 ? 'beige' : 'brown';
    return 'red';
  }
  if (h < 75) {
    if (L > 70 && C < 35) return 'beige';
    // brown = dark or dull orange; a saturated mid-dark one (burnt orange) stays orange
    return L < 45 || C < 30 || (L < 55 && C < 55) ? 'brown' : 'orange';
  }
  if (h < 105) {
    if (L > 70 && C < 40) return 'beige';
    if (L < 55) return C < 25 ? 'brown' : 'olive';
    return 'yellow';
  }
  if (h < 170) return L < 45 && h < 130 ? 'olive' : 'green';
  return 'teal';
}

export interface DominantColour {
  rgb: Rgb;
  hex: string;
  lab: Lab;
  /** Share of the (foreground) pixels in this cluster. */
  fraction: number;
  /** Basic colour name (colourName: one of BASIC_COLOURS). */
  name: string;
}

export const DOMINANT_K = 4;
export const DOMINANT_MIN_FRACTION = 0.05;
/** Clusters closer than this (ΔE) are merged: "one colour" to a shopper. */
export const DOMINANT_MERGE_DELTA_E = 10;

const hex = (rgb: Rgb) => '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');

/**
 * Dominant colours by k-means (k = DOMINANT_K) in CIELAB over foreground pixels, seeded
 * deterministically (farthest-point from the mean), 12 Lloyd iterations; near clusters merged,
 * small ones dropped; sorted by share.
 */
export function dominantColours(
  rgb: Uint8Array,
  width: number,
  height: number,
  mask?: Uint8Array,
  lab = labPixels(rgb, width * height),
): DominantColour[] {
  // foreground pixels' Lab, flat
  let n = 0;
  for (let p = 0; p < width * height; p++) if (!mask?.[p]) n++;
  if (n === 0) return [];
  const pts = new Float32Array(n * 3);
  for (let p = 0, i = 0; p < width * height; p++) {
    if (mask?.[p]) continue;
    pts[i * 3] = lab[p * 3]!;
    pts[i * 3 + 1] = lab[p * 3 + 1]!;
    pts[i * 3 + 2] = lab[p * 3 + 2]!;
    i++;
  }
  const d2 = (i: number, c: Lab) => {
    const x = pts[i * 3]! - c[0];
    const y = pts[i * 3 + 1]! - c[1];
    const z = pts[i * 3 + 2]! - c[2];
    return x * x + y * y + z * z;
  };
  const point = (i: number): Lab => [pts[i * 3]!, pts[i * 3 + 1]!, pts[i * 3 + 2]!];
  const mean: Lab = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) mean[c]! += pts[i * 3 + c]! / n;
  // farthest-point seeding, starting from the point nearest the mean
  let first = 0;
  let firstD = Infinity;
  for (let i = 0; i < n; i++) {
    const d = d2(i, mean);
    if (d < firstD) {
      firstD = d;
      first = i;
    }
  }
  const centres: Lab[] = [point(first)];
  const minD = new Float64Array(n);
  for (let i = 0; i < n; i++) minD[i] = d2(i, centres[0]!);
  while (centres.length < DOMINANT_K) {
    let idx = -1;
    let far = 1; // squared ΔE: stop when every point is within ΔE 1 of a centre
    for (let i = 0; i < n; i++) {
      if (minD[i]! > far) {
        far = minD[i]!;
        idx = i;
      }
    }
    if (idx < 0) break;
    const c = point(idx);
    centres.push(c);
    for (let i = 0; i < n; i++) minD[i] = Math.min(minD[i]!, d2(i, c));
  }
  const assign = new Int32Array(n).fill(-1);
  for (let iter = 0; iter < 12; iter++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let k = 0; k < centres.length; k++) {
        const d = d2(i, centres[k]!);
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      if (assign[i] !== best) moved = true;
      assign[i] = best;
    }
    if (!moved) break;
    const sums = centres.map(() => [0, 0, 0, 0]);
    for (let i = 0; i < n; i++) {
      const s = sums[assign[i]!]!;
      s[0]! += pts[i * 3]!;
      s[1]! += pts[i * 3 + 1]!;
      s[2]! += pts[i * 3 + 2]!;
      s[3]! += 1;
    }
    sums.forEach((s, k) => {
      if (s[3]! > 0) centres[k] = [s[0]! / s[3]!, s[1]! / s[3]!, s[2]! / s[3]!];
    });
  }
  let clusters = centres.map((c, k) => ({ lab: c, count: 0, k }));
  assign.forEach((k) => clusters[k]!.count++);
  clusters = clusters.filter((c) => c.count > 0).sort((a, b) => b.count - a.count);
  // merge perceptually identical clusters into the larger one
  const merged: typeof clusters = [];
  for (const c of clusters) {
    const into = merged.find((m) => deltaE(m.lab, c.lab) < DOMINANT_MERGE_DELTA_E);
    if (into) {
      const t = into.count + c.count;
      into.lab = [0, 1, 2].map((i) => (into.lab[i]! * into.count + c.lab[i]! * c.count) / t) as Lab;
      into.count = t;
    } else merged.push({ ...c, lab: [...c.lab] as Lab });
  }
  return merged
    .map((c) => ({ c, fraction: c.count / n }))
    .filter(({ fraction }) => fraction >= DOMINANT_MIN_FRACTION)
    .sort((a, b) => b.fraction - a.fraction)
    .map(({ c, fraction }) => {
      const rgbC = labToRgb(c.lab);
      return {
        rgb: rgbC,
        hex: hex(rgbC),
        lab: c.lab.map((v) => Math.round(v * 10) / 10) as Lab,
        fraction: Math.round(fraction * 1000) / 1000,
        name: colourName(c.lab),
      };
    });
}
