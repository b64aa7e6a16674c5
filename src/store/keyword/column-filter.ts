/**
 * Column filters (`KeywordFilter`: category prefix, price range, stock, brands) answered from an
 * index's per-row columns: compiled once per query into masks and bounds over the main segment's
 * id tables, and into a predicate over delta rows.
 */
import { categoryLevels } from '../../catalog/product.ts';
import { brandColumnValue, type KeywordFilter } from '../store.ts';
import type { IndexData } from './build.ts';
import type { DeltaRow } from './delta-segment.ts';

/**
 * A filter's per-row tests, precomputed once: the category prefix and the brands as masks over the
 * main segment's id tables, price bounds as numbers (±Infinity when absent; an absent bound also lets
 * NaN through), stock as the wanted column value (2: any).
 */
export interface CompiledFilter {
  /** Lower-cased category prefix (`levels` joined by `/`), or undefined. */
  categoryPrefix: string | undefined;
  categoryMask: Uint8Array | undefined;
  minPrice: number;
  maxPrice: number;
  /** A bound was given: NaN (no price) then fails, as NULL does in SQL. */
  priceTested: boolean;
  stock: number;
  /** Wanted brands (`brandColumnValue`), or undefined. */
  brandSet: Set<string | null> | undefined;
  brandMask: Uint8Array | undefined;
}

/** Case-insensitive, like the applications' `matchesFilter` (`home/kitchen` keeps `Home/Kitchen/…`). */
function categoryMatches(category: string, prefix: string): boolean {
  const c = category.toLowerCase();
  return c === prefix || c.startsWith(`${prefix}/`);
}

/** Undefined when the filter tests nothing. */
export function compileFilter(data: IndexData, filter: KeywordFilter): CompiledFilter | undefined {
  let categoryMask: Uint8Array | undefined;
  let categoryPrefix: string | undefined;
  const levels = categoryLevels(filter.categoryPrefix);
  if (levels.length > 0) {
    const prefix = levels.join('/').toLowerCase();
    categoryPrefix = prefix;
    categoryMask = Uint8Array.from(data.categories, (category) => (categoryMatches(category, prefix) ? 1 : 0));
  }
  const { minPrice, maxPrice, inStock } = filter;
  let brandMask: Uint8Array | undefined;
  let brandSet: Set<string | null> | undefined;
  if (filter.brandIn !== undefined) {
    const wanted = new Set([...filter.brandIn].map(brandColumnValue));
    brandSet = wanted;
    brandMask = Uint8Array.from(data.brands, (b) => (wanted.has(b) ? 1 : 0));
  }
  const priceTested = minPrice !== undefined || maxPrice !== undefined;
  if (!categoryMask && !priceTested && inStock === undefined && !brandMask) return undefined;
  return {
    categoryPrefix,
    categoryMask,
    minPrice: minPrice ?? -Infinity,
    maxPrice: maxPrice ?? Infinity,
    priceTested,
    stock: inStock === undefined ? 2 : inStock ? 1 : 0,
    brandSet,
    brandMask,
  };
}

/** One main-segment row against a compiled filter: straight-line tests, no closure per test. */
export function rowPasses(data: IndexData, f: CompiledFilter, d: number): boolean {
  if (f.categoryMask !== undefined) {
    const c = data.categoryOf[d]!;
    if (c < 0 || f.categoryMask[c] !== 1) return false;
  }
  if (f.priceTested) {
    // NaN (no price) fails both comparisons, as NULL does in SQL.
    const p = data.prices[d]!;
    if (!(p >= f.minPrice && p <= f.maxPrice)) return false;
  }
  if (f.stock !== 2 && data.inStock[d] !== f.stock) return false;
  if (f.brandMask !== undefined) {
    const b = data.brandOf[d]!;
    if (b < 0 || f.brandMask[b] !== 1) return false;
  }
  return true;
}

/**
 * A main-segment row predicate for a compiled filter: a closure over the columns it tests, which the
 * query loops call once per candidate row.
 */
export function mainRowPredicate(data: IndexData, f: CompiledFilter): (d: number) => boolean {
  const { categoryOf, prices, inStock, brandOf } = data;
  const { categoryMask, priceTested, minPrice, maxPrice, stock, brandMask } = f;
  return (d) => {
    if (categoryMask !== undefined) {
      const c = categoryOf[d]!;
      if (c < 0 || categoryMask[c] !== 1) return false;
    }
    if (priceTested) {
      // NaN (no price) fails both comparisons, as NULL does in SQL.
      const p = prices[d]!;
      if (!(p >= minPrice && p <= maxPrice)) return false;
    }
    if (stock !== 2 && inStock[d] !== stock) return false;
    if (brandMask !== undefined) {
      const b = brandOf[d]!;
      if (b < 0 || brandMask[b] !== 1) return false;
    }
    return true;
  };
}

/** One delta row against a compiled filter (the same tests on the row's own values). */
export function deltaRowPasses(f: CompiledFilter, row: DeltaRow): boolean {
  if (f.categoryPrefix !== undefined && (row.category === null || !categoryMatches(row.category, f.categoryPrefix))) return false;
  if (f.priceTested && !(row.price >= f.minPrice && row.price <= f.maxPrice)) return false;
  if (f.stock !== 2 && row.inStock !== f.stock) return false;
  if (f.brandSet !== undefined && (row.brand === null || !f.brandSet.has(row.brand))) return false;
  return true;
}

/**
 * The keys of the main-segment rows passing a compiled filter (and `live`, when given), ascending:
 * one pass per column that is tested, each a tight loop over a typed column narrowing a row list (the
 * most selective usual test, category, first).
 */
export function mainKeysPassing(data: IndexData, f: CompiledFilter | undefined, live: ((d: number) => boolean) | undefined): Float64Array {
  const n = data.ids.length;
  const rows = new Int32Array(n);
  let count = 0;
  const { categoryOf, prices, inStock, brandOf } = data;
  const cat = f?.categoryMask;
  if (cat !== undefined) {
    for (let d = 0; d < n; d++) {
      const c = categoryOf[d]!;
      if (c >= 0 && cat[c] === 1) rows[count++] = d;
    }
  } else {
    for (let d = 0; d < n; d++) rows[d] = d;
    count = n;
  }
  let kept = 0;
  if (f?.priceTested) {
    const lo = f.minPrice;
    const hi = f.maxPrice;
    for (let i = 0; i < count; i++) {
      const d = rows[i]!;
      const p = prices[d]!;
      if (p >= lo && p <= hi) rows[kept++] = d;
    }
    count = kept;
  }
  if (f !== undefined && f.stock !== 2) {
    const want = f.stock;
    kept = 0;
    for (let i = 0; i < count; i++) {
      const d = rows[i]!;
      if (inStock[d] === want) rows[kept++] = d;
    }
    count = kept;
  }
  const brand = f?.brandMask;
  if (brand !== undefined) {
    kept = 0;
    for (let i = 0; i < count; i++) {
      const d = rows[i]!;
      const b = brandOf[d]!;
      if (b >= 0 && brand[b] === 1) rows[kept++] = d;
    }
    count = kept;
  }
  if (live !== undefined) {
    kept = 0;
    for (let i = 0; i < count; i++) {
      const d = rows[i]!;
      if (live(d)) rows[kept++] = d;
    }
    count = kept;
  }
  const keys = data.keys;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = keys[rows[i]!]!;
  return out;
}
