/**
 * Typo-tolerant lookup of model numbers: `wh1000xm4` in a query finds a product whose title says
 * `WH-1000XM4` (exact after canonicalisation) and also `wh1000xm5`-style one-edit neighbours, which
 * BM25 cannot (it needs the exact token). Built lazily from the analysed text in the store.
 */
import type { ProductStore } from '../store/store.ts';
import { editDistance } from '../similarity/field-similarities/types.ts';

/** Codes shorter than this are too ambiguous to match with an edit (`a1` vs `a2`). */
export const MIN_FUZZY_CODE_LENGTH = 5;
/** Edits allowed between a query code and a catalog code. */
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

export function buildModelNumberLookup(store: ProductStore): ModelNumberLookup {
  const byCode = new Map<string, string[]>();
  for (const { product, analyzed } of store.iterateProducts({ withAnalyzed: true })) {
    for (const code of analyzed?.modelNumbers ?? []) {
      const ids = byCode.get(code);
      if (ids) ids.push(product.id);
      else byCode.set(code, [product.id]);
    }
  }
  // Bucket by length so a lookup only compares codes that can be within MAX_CODE_EDITS.
  const byLength = new Map<number, string[]>();
  for (const code of byCode.keys()) {
    const list = byLength.get(code.length);
    if (list) list.push(code);
    else byLength.set(code.length, [code]);
  }
  return {
    size: byCode.size,
    find(code) {
      const hits: ModelNumberHit[] = [];
      for (const id of byCode.get(code) ?? []) hits.push({ id, code, edits: 0 });
      if (code.length < MIN_FUZZY_CODE_LENGTH) return hits;
      for (let len = code.length - MAX_CODE_EDITS; len <= code.length + MAX_CODE_EDITS; len++) {
        for (const other of byLength.get(len) ?? []) {
          if (other === code) continue;
          // With one edit allowed, a linear check instead of a full edit distance per catalog code.
          const edits = MAX_CODE_EDITS === 1 ? (withinOneEdit(code, other) ? 1 : 2) : editDistance(code, other);
          if (edits <= MAX_CODE_EDITS) for (const id of byCode.get(other) ?? []) hits.push({ id, code: other, edits });
        }
      }
      return hits;
    },
  };
}
