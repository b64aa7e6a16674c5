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

/** NFKC, lower case, trimmed, inner whitespace collapsed: the common normal form of short values. */
export function normalizeValue(s: string): string {
  return s.normalize('NFKC').toLowerCase().trim().replace(/\s+/gu, ' ');
}

/** Levenshtein distance on code points (model numbers, brand typos: short strings). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** 1 − edit distance / longer length, in [0, 1]; two empty strings give 1. */
export function editSimilarity(a: string, b: string): number {
  const n = Math.max([...a].length, [...b].length);
  return n === 0 ? 1 : 1 - editDistance(a, b) / n;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
