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

export function buildModelNumberLookup(store: ProductStore): ModelNumberLookup {
  return createModelNumberLookup(
    (function* () {
      for (const { product, analyzed } of store.iterateProducts({ withAnalyzed: true })) yield { id: product.id, modelNumbers: analyzed?.modelNumbers ?? [] };
    })(),
  );
}

/** The lookup over products' canonical model numbers (as the analyser writes them). */
export function createModelNumberLookup(products: Iterable<{ id: string; modelNumbers: readonly string[] }>): ModelNumberLookup {
  const byCode = new Map<string, string[]>();
  for (const { id, modelNumbers } of products) {
    for (const code of modelNumbers) {
      const ids = byCode.get(code);
      if (ids) ids.push(id);
      else byCode.set(code, [id]);
    }
  }
  const buckets = new Map<string, string[]>();
  const add = (key: string, code: string) => {
    const list = buckets.get(key);
    if (list) list.push(code);
    else buckets.set(key, [code]);
  };
  for (const code of byCode.keys()) {
    if (code.length < MIN_FUZZY_CODE_LENGTH - MAX_CODE_EDITS) continue;
    add(headKey(code.length, code), code);
    add(tailKey(code.length, code), code);
  }
  return {
    size: byCode.size,
    find(code) {
      const hits: ModelNumberHit[] = [];
      for (const id of byCode.get(code) ?? []) hits.push({ id, code, edits: 0 });
      if (code.length < MIN_FUZZY_CODE_LENGTH) return hits;
      const head = code.slice(0, 2);
      for (let len = code.length - MAX_CODE_EDITS; len <= code.length + MAX_CODE_EDITS; len++) {
        const sameHead = buckets.get(headKey(len, code)) ?? [];
        // A code with the query's head and tail is in both buckets: taken from the first only.
        const sameTail = (buckets.get(tailKey(len, code)) ?? []).filter((other) => other.slice(0, 2) !== head);
        for (const other of [...sameHead, ...sameTail]) {
          if (other === code || !withinOneEdit(code, other)) continue;
          for (const id of byCode.get(other) ?? []) hits.push({ id, code: other, edits: 1 });
        }
      }
      return hits;
    },
  };
}
