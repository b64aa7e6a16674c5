/** Shared shapes of field similarities. */

/** Every piece of evidence carries a one-line summary for people; the rest is field-specific data. */
export interface FieldEvidence {
  summary: string;
}

/**
 * A field similarity's answer: a score in [0, 1] and why. Field functions return `undefined`
 * instead when the field is missing on either side: missing is not the same as 0.
 */
export interface FieldSimilarity<E extends FieldEvidence = FieldEvidence> {
  score: number;
  evidence: E;
}

/**
 * Memoises a pure string function. Field similarities run once per candidate pair, on the same
 * few thousand brand names, tags and codes: Unicode normalisation dominates without this. The
 * cache is cleared when it reaches `maxEntries`, so memory stays bounded.
 */
export function memoizeString<T>(fn: (s: string) => T, maxEntries = 50_000): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    const hit = cache.get(s);
    if (hit !== undefined || cache.has(s)) return hit as T;
    const v = fn(s);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(s, v);
    return v;
  };
}

/** NFKC, lower case, trimmed, inner whitespace collapsed: the common normal form of short values. */
export const normalizeValue: (s: string) => string = memoizeString((s) => s.normalize('NFKC').toLowerCase().trim().replace(/\s+/gu, ' '));

/** Levenshtein distance on code points (model numbers, brand typos: short strings). */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = new Int32Array(y.length + 1);
  let cur = new Int32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    const xi = x[i - 1];
    for (let j = 1; j <= y.length; j++) {
      const sub = prev[j - 1]! + (xi === y[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

/** 1 − edit distance / longer length (in code points), in [0, 1]; two empty strings give 1. */
export function editSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const n = Math.max(codePointLength(a), codePointLength(b));
  return n === 0 ? 1 : 1 - editDistance(a, b) / n;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // count every unit but low surrogates
  }
  return n;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
