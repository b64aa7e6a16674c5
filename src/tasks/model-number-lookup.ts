/**
 * Typo-tolerant lookup of model numbers: `wh1000xm4` in a query finds a product whose title says
 * `WH-1000XM4` (exact after canonicalisation) and also `wh1000xm5`-style one-edit neighbours, which
 * BM25 cannot (it needs the exact token). Built lazily from the analysed text in the store.
 */
import type { ProductStore } from '../store/store.ts';

/** Codes shorter than this are too ambiguous to match with an edit (`a1` vs `a2`). */
export const MIN_FUZZY_CODE_LENGTH = 5;
/** Edits allowed between a query code and a catalog code (the buckets of `find` rely on it being 1). */
export const MAX_CODE_EDITS = 1;

/**
 * Whether `a` and `b` (lengths differing by at most one) are within one edit (substitution, insertion
 * or deletion): one linear pass, no distance matrix — `find` runs it against every code of similar length.
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

export interface ModelNumberHit {
  id: string;
  code: string;
  edits: number;
}

export interface ModelNumberLookup {
  find(code: string): ModelNumberHit[];
  /** Replaces the codes of these products (an empty list removes a product, e.g. a deleted one). */
  update(products: Iterable<{ key: number; id: string; modelNumbers: readonly string[] }>): void;
  /** Distinct codes held. */
  readonly size: number;
}

/**
 * A catalog code of length L in three parts, cut at ⌊L/3⌋ and ⌊2L/3⌋, and a query code within one edit
 * of it: the one edit, at position i, falls in one part and leaves the other two as they were
 * (pigeonhole; a deletion or insertion shifts only what follows it, so a part after the edit is
 * compared from the code's end). So a lookup scans only the codes of each nearby length that share two
 * of the query's three parts: its first two (edit in the last part), its last two (edit in the first)
 * or its first and last (edit in the middle). Halves instead of thirds left buckets that grow with the
 * catalog: at 1M synthetic products (codes like `mx780523`) ~2,200 codes shared a half, and `find` was
 * 15 % of a dedup's CPU. bench/model-number-lookup.ts, halves → thirds, same hits: `find` 128.7 → 43.5 µs
 * at 100k, 1,190 → 415 µs at 1M; build 10.2 → 25.3 s and heap 183 → 229 MiB at 1M (one key more per
 * code). In a dense code space `find` still grows with the catalog, as its hits do (14.8 per find at
 * 1M, 2.4 at 100k).
 */
const firstCut = (length: number) => Math.floor(length / 3);
const secondCut = (length: number) => Math.floor((2 * length) / 3);
/** The bucket keys of a code of `length` (the code's own length, or a nearby one for a query). */
function bucketKeys(length: number, code: string): [string, string, string] {
  const [a, b] = [firstCut(length), secondCut(length)];
  const tailFromSecond = code.slice(code.length - (length - b));
  return [`${length}<${code.slice(0, b)}`, `${length}>${code.slice(code.length - (length - a))}`, `${length}|${code.slice(0, a)}|${tailFromSecond}`];
}

/** The lookup over the store's products (their canonical model numbers, read inside SQLite). */
export async function buildModelNumberLookup(store: ProductStore): Promise<ModelNumberLookup> {
  const lookup = createModelNumberLookup([]);
  lookup.update(await store.modelNumbersOf());
  return lookup;
}

/**
 * The lookup over products' canonical model numbers (as the analyser writes them), keyed by store key
 * so that a product written again or deleted can be replaced (`update`).
 */
export function createModelNumberLookup(products: Iterable<{ key?: number; id: string; modelNumbers: readonly string[] }>): ModelNumberLookup {
  /**
   * code → the products carrying it: the product id itself when one product's one entry does (most
   * codes), else product id → how many of its entries carry it. A Map per code cost ~200 bytes:
   * 350 MB of heap at 1M products.
   */
  const byCode = new Map<string, string | Map<string, number>>();
  /** bucket key → its codes: the code itself when it is the only one (most buckets), else a set. */
  const buckets = new Map<string, string | Set<string>>();
  /** key → the id, then the codes, last added for it (one array rather than an object and an array). */
  const byKey = new Map<number, readonly string[]>();
  let anonymous = -1;

  const addToBucket = (key: string, code: string) => {
    const held = buckets.get(key);
    if (held === undefined) buckets.set(key, code);
    else if (typeof held === 'string') buckets.set(key, new Set([held, code]));
    else held.add(code);
  };
  const removeFromBucket = (key: string, code: string) => {
    const held = buckets.get(key);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === code) buckets.delete(key);
      return;
    }
    held.delete(code);
    if (held.size === 1) buckets.set(key, held.values().next().value!);
  };
  const bucketCodes = (key: string): Iterable<string> => {
    const held = buckets.get(key);
    return held === undefined ? [] : typeof held === 'string' ? [held] : held;
  };
  const idsOf = (code: string): Iterable<string> => {
    const held = byCode.get(code);
    return held === undefined ? [] : typeof held === 'string' ? [held] : held.keys();
  };
  const fuzzy = (code: string) => code.length >= MIN_FUZZY_CODE_LENGTH - MAX_CODE_EDITS;

  function add(id: string, codes: readonly string[]): void {
    for (const code of codes) {
      const held = byCode.get(code);
      if (held === undefined) {
        byCode.set(code, id);
        if (fuzzy(code)) for (const key of bucketKeys(code.length, code)) addToBucket(key, code);
      } else if (typeof held === 'string') {
        const counts = new Map([[held, 1]]);
        counts.set(id, (counts.get(id) ?? 0) + 1);
        byCode.set(code, counts);
      } else held.set(id, (held.get(id) ?? 0) + 1);
    }
  }

  function remove(id: string, codes: readonly string[]): void {
    for (const code of codes) {
      const held = byCode.get(code);
      if (held === undefined) continue;
      if (typeof held === 'string') {
        if (held !== id) continue;
      } else {
        const left = (held.get(id) ?? 0) - 1;
        if (left > 0) held.set(id, left);
        else held.delete(id);
        const [only, count] = held.size === 1 ? held.entries().next().value! : [undefined, 0];
        if (only !== undefined && count === 1) byCode.set(code, only);
        if (held.size > 0) continue;
      }
      byCode.delete(code);
      if (fuzzy(code)) for (const key of bucketKeys(code.length, code)) removeFromBucket(key, code);
    }
  }

  const lookup: ModelNumberLookup = {
    get size() {
      return byCode.size;
    },
    update(items) {
      for (const { key, id, modelNumbers } of items) {
        const previous = byKey.get(key);
        if (previous) remove(previous[0]!, previous.slice(1));
        if (modelNumbers.length > 0) {
          // concat allocates the exact length; a spread into a literal left spare capacity (+13 MB of heap at 100k).
          byKey.set(key, [id].concat(modelNumbers));
          add(id, modelNumbers);
        } else byKey.delete(key);
      }
    },
    find(code) {
      const hits: ModelNumberHit[] = [];
      for (const id of idsOf(code)) hits.push({ id, code, edits: 0 });
      if (code.length < MIN_FUZZY_CODE_LENGTH) return hits;
      // A code within one edit shares up to three keys with the query: compared once.
      const compared = new Set<string>([code]);
      for (let len = code.length - MAX_CODE_EDITS; len <= code.length + MAX_CODE_EDITS; len++) {
        for (const key of bucketKeys(len, code)) {
          for (const other of bucketCodes(key)) {
            if (compared.has(other)) continue;
            compared.add(other);
            if (!withinOneEdit(code, other)) continue;
            for (const id of idsOf(other)) hits.push({ id, code: other, edits: 1 });
          }
        }
      }
      return hits;
    },
  };
  lookup.update([...products].map((p) => ({ key: p.key ?? anonymous--, id: p.id, modelNumbers: p.modelNumbers })));
  return lookup;
}
