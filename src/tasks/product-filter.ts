/**
 * Filters the applications share (category, price band, brand, in stock). The same filter object
 * is applied inside ANN search (by key, from the keyword index's columns), to keyword search and to
 * any candidate list, so every path returns only products that pass it.
 */
import { categoryLevels, type Product } from '../catalog/product.ts';
import { createError } from '../errors.ts';
import type { KeywordFilter } from '../store/store.ts';
import { brandSimilarity } from '../similarity/field-similarities/brand.ts';

/** Brand similarity at which a product counts as the filter's brand (exact or alias: 苹果 ≡ Apple). */
export const SAME_BRAND_MIN_SCORE = 0.95;

export interface ProductFilter {
  /** Category path prefix by whole levels (`服装/女装` keeps `服装/女装/连衣裙`). */
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Brand, compared after alias normalisation (苹果 ≡ Apple). */
  brand?: string;
  inStock?: boolean;
}

export const PRODUCT_FILTER_KEYS = ['category', 'minPrice', 'maxPrice', 'brand', 'inStock'] as const satisfies readonly (keyof ProductFilter)[];

export function isEmptyFilter(filter: ProductFilter | undefined): boolean {
  return !filter || PRODUCT_FILTER_KEYS.every((k) => filter[k] === undefined);
}

export function validateFilter(filter: ProductFilter): void {
  for (const key of Object.keys(filter)) {
    if (!(PRODUCT_FILTER_KEYS as readonly string[]).includes(key)) {
      throw createError('UNKNOWN_OPTION', `unknown filter "${key}" (known: ${PRODUCT_FILTER_KEYS.join(', ')})`, { field: key });
    }
  }
  if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
    throw createError('INVALID_ARGUMENT', `price band is empty: minPrice ${filter.minPrice} > maxPrice ${filter.maxPrice}`, { field: 'minPrice' });
  }
}

function categoryHasPrefix(category: string | undefined, prefix: string): boolean {
  const want = categoryLevels(prefix).map((s) => s.toLowerCase());
  const have = categoryLevels(category).map((s) => s.toLowerCase());
  return want.length <= have.length && want.every((level, i) => have[i] === level);
}

/** A product without a price never passes a price band: the band is a promise about price. */
export function matchesFilter(product: Product, filter: ProductFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.category !== undefined && !categoryHasPrefix(product.category, filter.category)) return false;
  if (filter.minPrice !== undefined && !(product.price !== undefined && product.price >= filter.minPrice)) return false;
  if (filter.maxPrice !== undefined && !(product.price !== undefined && product.price <= filter.maxPrice)) return false;
  // Unknown stock passes neither `inStock: true` nor `false`, as in the store's SQL filter.
  if (filter.inStock !== undefined && product.inStock !== filter.inStock) return false;
  if (filter.brand !== undefined && !((brandSimilarity(product.brand, filter.brand)?.score ?? 0) >= SAME_BRAND_MIN_SCORE)) return false;
  return true;
}

/**
 * The category, price and stock part of a filter, in the keyword index's terms. A brand becomes the
 * index's `brandIn` set through `brandsMatching`: aliases (苹果 ≡ Apple) are resolved here, not in
 * the store.
 */
export function toKeywordFilter(filter: ProductFilter | undefined): KeywordFilter | undefined {
  if (!filter) return undefined;
  const out: KeywordFilter = {};
  if (filter.category !== undefined) out.categoryPrefix = filter.category;
  if (filter.minPrice !== undefined) out.minPrice = filter.minPrice;
  if (filter.maxPrice !== undefined) out.maxPrice = filter.maxPrice;
  if (filter.inStock !== undefined) out.inStock = filter.inStock;
  return out;
}

/**
 * The brands, of a list of distinct ones (`KeywordIndex.brands()`), that pass a brand filter by
 * `matchesFilter`'s rule (which ignores case, as the index's brand column does).
 */
export function brandsMatching(brands: readonly string[], wanted: string): Set<string> {
  return new Set(brands.filter((b) => (brandSimilarity(b, wanted)?.score ?? 0) >= SAME_BRAND_MIN_SCORE));
}
