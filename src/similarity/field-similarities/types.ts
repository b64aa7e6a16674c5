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

/**
 * Memoises a pure function of two strings (brand pairs, category paths, attribute values). A
 * similar-items query compares one source with ~60 candidates whose brands, categories and attribute
 * values repeat across the catalog. Results are shared between callers: treat them as read-only.
 * Like `memoizeString`, the cache is cleared at `maxEntries`.
 */
export function memoizePair<T>(fn: (a: string, b: string) => T, maxEntries = 50_000): (a: string, b: string) => T {
  const cache = new Map<string, T>();
  return (a, b) => {
    const key = `${a}\u0000${b}`;
    const hit = cache.get(key);
    if (hit !== undefined || cache.has(key)) return hit as T;
    const v = fn(a, b);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(key, v);
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

/**
 * `editSimilarity(a, b)` when it is at least `min`, else `undefined`, without the distance matrix
 * when a cheap bound already rules it out: the edit distance is at least the bag distance (the
 * larger count of characters one string has and the other lacks), so 1 − bag / longer length bounds
 * the similarity from above. Unrelated model numbers (`a300923` / `x198917`) stop there.
 */
export function editSimilarityAtLeast(a: string, b: string, min: number): number | undefined {
  if (a === b) return 1 >= min ? 1 : undefined;
  const n = Math.max(codePointLength(a), codePointLength(b));
  if (n === 0) return 1 >= min ? 1 : undefined;
  if (1 - bagDistance(a, b) / n < min) return undefined;
  const s = 1 - editDistance(a, b) / n;
  return s >= min ? s : undefined;
}

/** max(|A \ B|, |B \ A|) over the strings' code points as multisets: a lower bound of the edit distance. */
export function bagDistance(a: string, b: string): number {
  const counts = new Map<number, number>();
  for (const c of a) {
    const cp = c.codePointAt(0)!;
    counts.set(cp, (counts.get(cp) ?? 0) + 1);
  }
  let onlyB = 0;
  for (const c of b) {
    const cp = c.codePointAt(0)!;
    const left = counts.get(cp) ?? 0;
    if (left > 0) counts.set(cp, left - 1);
    else onlyB++;
  }
  let onlyA = 0;
  for (const left of counts.values()) onlyA += left;
  return Math.max(onlyA, onlyB);
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
