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
 * Two codes of at least 4 characters within one edit share their first two or their last two
 * characters: an edit at position ≥ 2 keeps the first two, one at position ≤ 1 keeps the last two
 * (a deletion or insertion shifts only what follows it). So a lookup scans the codes of each
 * nearby length that start or end like the query, not every code of that length (which took
 * 0.7 ms a query at 100k products).
 */
const headKey = (length: number, code: string) => `${length}<${code.slice(0, 2)}`;
const tailKey = (length: number, code: string) => `${length}>${code.slice(-2)}`;

/** The lookup over the store's products (their canonical model numbers, read inside SQLite). */
export function buildModelNumberLookup(store: ProductStore): ModelNumberLookup {
  const lookup = createModelNumberLookup([]);
  lookup.update(store.modelNumbersOf());
  return lookup;
}

/**
 * The lookup over products' canonical model numbers (as the analyser writes them), keyed by store key
 * so that a product written again or deleted can be replaced (`update`).
 */
export function createModelNumberLookup(products: Iterable<{ key?: number; id: string; modelNumbers: readonly string[] }>): ModelNumberLookup {
  /** code → product id → how many of the product's entries carry it. */
  const byCode = new Map<string, Map<string, number>>();
  const buckets = new Map<string, Set<string>>();
  /** key → the id and codes last added for it. */
  const byKey = new Map<number, { id: string; codes: readonly string[] }>();
  let anonymous = -1;

  const addToBucket = (key: string, code: string) => {
    const set = buckets.get(key);
    if (set) set.add(code);
    else buckets.set(key, new Set([code]));
  };
  const removeFromBucket = (key: string, code: string) => {
    const set = buckets.get(key);
    if (!set) return;
    set.delete(code);
    if (set.size === 0) buckets.delete(key);
  };
  const fuzzy = (code: string) => code.length >= MIN_FUZZY_CODE_LENGTH - MAX_CODE_EDITS;

  function add(id: string, codes: readonly string[]): void {
    for (const code of codes) {
      let ids = byCode.get(code);
      if (!ids) {
        byCode.set(code, (ids = new Map()));
        if (fuzzy(code)) {
          addToBucket(headKey(code.length, code), code);
          addToBucket(tailKey(code.length, code), code);
        }
      }
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
  }

  function remove(id: string, codes: readonly string[]): void {
    for (const code of codes) {
      const ids = byCode.get(code);
      if (!ids) continue;
      const left = (ids.get(id) ?? 0) - 1;
      if (left > 0) ids.set(id, left);
      else ids.delete(id);
      if (ids.size > 0) continue;
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
        if (previous) remove(previous.id, previous.codes);
        if (modelNumbers.length > 0) {
          byKey.set(key, { id, codes: [...modelNumbers] });
          add(id, modelNumbers);
        } else byKey.delete(key);
      }
    },
    find(code) {
      const hits: ModelNumberHit[] = [];
      for (const id of byCode.get(code)?.keys() ?? []) hits.push({ id, code, edits: 0 });
      if (code.length < MIN_FUZZY_CODE_LENGTH) return hits;
      const head = code.slice(0, 2);
      for (let len = code.length - MAX_CODE_EDITS; len <= code.length + MAX_CODE_EDITS; len++) {
        const sameHead = buckets.get(headKey(len, code)) ?? [];
        // A code with the query's head and tail is in both buckets: taken from the first only.
        const sameTail = [...(buckets.get(tailKey(len, code)) ?? [])].filter((other) => other.slice(0, 2) !== head);
        for (const other of [...sameHead, ...sameTail]) {
          if (other === code || !withinOneEdit(code, other)) continue;
          for (const id of byCode.get(other)?.keys() ?? []) hits.push({ id, code: other, edits: 1 });
        }
      }
      return hits;
    },
  };
  lookup.update([...products].map((p) => ({ key: p.key ?? anonymous--, id: p.id, modelNumbers: p.modelNumbers })));
  return lookup;
}
