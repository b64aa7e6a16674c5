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
 * A catalog code of length L and a query code within one edit of it share the code's first ⌊L/2⌋
 * characters or its last ⌈L/2⌉ (pigeonhole: the one edit, at position i, leaves the first ⌊L/2⌋
 * alone when i ≥ ⌊L/2⌋ and the last ⌈L/2⌉ otherwise; a deletion or insertion shifts only what
 * follows it). So a lookup scans the codes of each nearby length that start or end like the query
 * (half the code each), not every code of that length (0.7 ms a query at 100k), nor every code
 * sharing two characters (`mx…`: 1.3–6.6 ms for such queries at 100k).
 */
const headLength = (length: number) => length >> 1;
const headKey = (length: number, code: string) => `${length}<${code.slice(0, headLength(length))}`;
const tailKey = (length: number, code: string) => `${length}>${code.slice(-(length - headLength(length)))}`;

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
        if (fuzzy(code)) {
          addToBucket(headKey(code.length, code), code);
          addToBucket(tailKey(code.length, code), code);
        }
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
      if (fuzzy(code)) {
        removeFromBucket(headKey(code.length, code), code);
        removeFromBucket(tailKey(code.length, code), code);
      }
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
      for (let len = code.length - MAX_CODE_EDITS; len <= code.length + MAX_CODE_EDITS; len++) {
        const head = code.slice(0, headLength(len));
        const sameHead = bucketCodes(headKey(len, code));
        // A code with the query's head and tail is in both buckets: taken from the first only.
        const sameTail = [...bucketCodes(tailKey(len, code))].filter((other) => !other.startsWith(head));
        for (const other of [...sameHead, ...sameTail]) {
          if (other === code || !withinOneEdit(code, other)) continue;
          for (const id of idsOf(other)) hits.push({ id, code: other, edits: 1 });
        }
      }
      return hits;
    },
  };
  lookup.update([...products].map((p) => ({ key: p.key ?? anonymous--, id: p.id, modelNumbers: p.modelNumbers })));
  return lookup;
}
