/**
 * Typo-tolerant lookup of model numbers, as the store indexes them: `wh1000xm4` in a query finds a
 * product whose title says `WH-1000XM4` (exact after canonicalisation) and also `wh1000xm5`-style
 * one-edit neighbours, which BM25 cannot (it needs the exact token). The store keeps the codes and
 * their bucket keys in two tables (model-number-table.ts, `ProductStore.findModelNumbers`): a lookup
 * reads a few rows instead of building an in-memory map of every code (4–5 s and 180 MB of heap at
 * 1M products, paid by the first search with a model number in every process).
 */

/** Codes shorter than this are too ambiguous to match with an edit (`a1` vs `a2`). */
export const MIN_FUZZY_CODE_LENGTH = 5;
/** Edits allowed between a query code and a catalog code (the buckets below rely on it being 1). */
export const MAX_CODE_EDITS = 1;

export interface ModelNumberHit {
  id: string;
  /** The catalog code found (canonical). */
  code: string;
  /** 0: the query's code itself; 1: one substitution, insertion or deletion away. */
  edits: number;
}

/**
 * Whether `a` and `b` (lengths differing by at most one) are within one edit (substitution, insertion
 * or deletion): one linear pass, no distance matrix — run against every code a bucket holds.
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (la === lb) return a.slice(i + 1) === b.slice(i + 1);
  return la < lb ? a.slice(i) === b.slice(i + 1) : a.slice(i + 1) === b.slice(i);
}

/**
 * The keys a code of length L is stored under, with its three parts A | B | C (|A| = |C| = ⌊L/3⌋):
 * `prefix` = A+B, `suffix` = B+C, `ends` = A and C. A query code within one edit of it shares one
 * of them: an edit in A leaves B+C (counted from the end) alone, one in C leaves A+B (from the
 * start), one in B leaves both A and C; a deletion or insertion shifts only what follows it. Each key
 * covers two thirds of the code, so few codes share one: with two halves (first ⌊L/2⌋ / last ⌈L/2⌉
 * characters) ~250 synthetic codes shared each key at 100k products, with two characters thousands.
 */
const third = (length: number) => Math.floor(length / 3);
const prefixKey = (length: number, code: string) => `${length}<${code.slice(0, length - third(length))}`;
const suffixKey = (length: number, code: string) => `${length}>${code.slice(third(length) - length)}`;
const endsKey = (length: number, code: string) => `${length}|${code.slice(0, third(length))}|${code.slice(code.length - third(length))}`;

/** Codes this long or longer can be one edit from a fuzzy query (a query of MIN_FUZZY_CODE_LENGTH loses one). */
const isBucketed = (code: string) => code.length >= MIN_FUZZY_CODE_LENGTH - MAX_CODE_EDITS;

/** The three bucket keys a catalog code is stored under; none for codes too short to be matched with an edit. */
export function codeBuckets(code: string): string[] {
  const n = code.length;
  return isBucketed(code) ? [prefixKey(n, code), suffixKey(n, code), endsKey(n, code)] : [];
}

/** The bucket keys (three kinds, for catalog code lengths L − 1, L, L + 1) holding every catalog code within one edit of a query code; none for short codes. */
export function queryBuckets(code: string): string[] {
  if (code.length < MIN_FUZZY_CODE_LENGTH) return [];
  return [code.length - 1, code.length, code.length + 1].flatMap((len) => [prefixKey(len, code), suffixKey(len, code), endsKey(len, code)]);
}

/** Hits in a stable order: exact codes first, then by code and product id. */
export function sortModelNumberHits(hits: ModelNumberHit[]): ModelNumberHit[] {
  return hits.sort((a, b) => a.edits - b.edits || (a.code < b.code ? -1 : a.code > b.code ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
