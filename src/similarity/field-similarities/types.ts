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
 * A field similarity whose evidence is built when first read. A ranking scores every candidate
 * (~60 for similar items) and explains only the best k: the summaries, token lists and rounding of
 * the rest were a third of field scoring. The evidence is built once and is the same object on every
 * read; `toJSON` gives the plain `{ score, evidence }`. A class with a prototype getter: an object
 * literal with a getter costs ~15× a plain one in V8 (measured: ~800 vs ~55 ns).
 */
export function lazyEvidence<E extends FieldEvidence>(score: number, build: () => E): FieldSimilarity<E> {
  return new LazyFieldSimilarity(score, build);
}

class LazyFieldSimilarity<E extends FieldEvidence> implements FieldSimilarity<E> {
  #build: (() => E) | undefined;
  #evidence: E | undefined;
  constructor(
    readonly score: number,
    build: () => E,
  ) {
    this.#build = build;
  }
  get evidence(): E {
    if (this.#evidence === undefined) {
      this.#evidence = this.#build!();
      this.#build = undefined;
    }
    return this.#evidence;
  }
  toJSON(): FieldSimilarity<E> {
    return { score: this.score, evidence: this.evidence };
  }
}

/**
 * Memoises a pure function of an object that is not mutated once made (a tag list, a code list, an
 * attribute record, a representation): one product is compared with every candidate, so what is
 * derived from its fields is computed once. Entries live as long as their object (a WeakMap). `fn`
 * never returns undefined.
 */
export function memoizeByObject<K extends object, V>(fn: (key: K) => V): (key: K) => V {
  const slot = nextMemoSlot++;
  const frozenKeys = new WeakMap<K, V>();
  return (key) => {
    let slots = (key as { [MEMO_SLOTS]?: unknown[] })[MEMO_SLOTS];
    if (slots === undefined) {
      if (!Object.isExtensible(key)) {
        let v = frozenKeys.get(key);
        if (v === undefined) frozenKeys.set(key, (v = fn(key)));
        return v;
      }
      slots = [];
      // Not enumerable: a spread or Object.assign copy of the key does not inherit its memos.
      Object.defineProperty(key, MEMO_SLOTS, { value: slots });
    }
    let v = slots[slot] as V | undefined;
    if (v === undefined) slots[slot] = v = fn(key);
    return v;
  };
}

/**
 * Where `memoizeByObject` keeps what it derived: an array on the key object, one slot per memoised
 * function. A WeakMap per function did the same at ~0.6 ms of a 3.7 ms `similar` at 100k products
 * (hashing each new candidate object, then the ephemeron tables in every GC).
 */
const MEMO_SLOTS = Symbol('prodsim.memoSlots');
let nextMemoSlot = 0;

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
  // Nested maps rather than one map keyed by `${a}\0${b}`: the strings' hashes are cached in them,
  // while a joined key is a new string to build and hash on every call.
  const cache = new Map<string, Map<string, T>>();
  let size = 0;
  return (a, b) => {
    let inner = cache.get(a);
    if (inner !== undefined) {
      const hit = inner.get(b);
      if (hit !== undefined || inner.has(b)) return hit as T;
    }
    const v = fn(a, b);
    if (size >= maxEntries) {
      cache.clear();
      size = 0;
      inner = undefined;
    }
    if (inner === undefined) cache.set(a, (inner = new Map<string, T>()));
    inner.set(b, v);
    size++;
    return v;
  };
}

/** NFKC, lower case, trimmed, inner whitespace collapsed: the common normal form of short values. */
export const normalizeValue: (s: string) => string = memoizeString((s) => s.normalize('NFKC').toLowerCase().trim().replace(/\s+/gu, ' '));

/** Levenshtein distance on code points (model numbers, brand typos: short strings). */
export function editDistance(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
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

/** A string's code points; for a string without surrogates (every code seen so far) its UTF-16 units, without an iterator. */
function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    out[n++] = c;
    if (c > 0xffff) i++;
  }
  return n === s.length ? out : out.subarray(0, n);
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
  // Codes are mostly ASCII: counted in a small array, the rest in a map.
  const ascii = asciiCounts.fill(0);
  let counts: Map<number, number> | undefined;
  for (const c of codePoints(a)) {
    if (c < 128) ascii[c]!++;
    else (counts ??= new Map()).set(c, (counts.get(c) ?? 0) + 1);
  }
  let onlyB = 0;
  for (const c of codePoints(b)) {
    if (c < 128) {
      if (ascii[c]! > 0) ascii[c]!--;
      else onlyB++;
      continue;
    }
    const left = counts?.get(c) ?? 0;
    if (left > 0) counts!.set(c, left - 1);
    else onlyB++;
  }
  let onlyA = 0;
  for (let c = 0; c < 128; c++) onlyA += ascii[c]!;
  if (counts) for (const left of counts.values()) onlyA += left;
  return Math.max(onlyA, onlyB);
}

const asciiCounts = new Int32Array(128);

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
