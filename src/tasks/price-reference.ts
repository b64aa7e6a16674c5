/**
 * A price reference for a product from its most similar products: the similarity-weighted median
 * and the 10th–90th percentile band of their prices, converted into the product's currency.
 */
import { createError } from '../errors.ts';
import { convertPrice, DEFAULT_CURRENCY_RATES, type CurrencyRateTable } from '../similarity/field-similarities/price.ts';
import type { CatalogIndex } from './catalog-index.ts';
import type { ProductFilter } from './product-filter.ts';
import { findSimilar } from './similar.ts';
import { DEFAULT_K, type ProductSummary, type ScoredProduct } from './result-item.ts';

export interface PriceReferenceOptions {
  id: string;
  k: number;
  /** Neighbours must pass this filter (default: the product's category). */
  filter: ProductFilter | undefined;
  /** Neighbours below this fused similarity are left out of the reference. */
  minScore: number;
  rates: CurrencyRateTable;
}

export const DEFAULT_PRICE_REFERENCE_OPTIONS = {
  k: DEFAULT_K,
  filter: undefined,
  minScore: 0.3,
  rates: DEFAULT_CURRENCY_RATES,
} as const satisfies Omit<PriceReferenceOptions, 'id'>;

export interface PriceReference {
  product: ProductSummary;
  currency: string;
  /** undefined when no neighbour has a usable price. */
  median: number | undefined;
  low: number | undefined;
  high: number | undefined;
  min: number | undefined;
  max: number | undefined;
  /** Where the product's own price sits: its price / median. */
  ratioToMedian: number | undefined;
  neighbours: (ScoredProduct & { convertedPrice: number | undefined })[];
  used: number;
}

/** Weighted quantile: the smallest value whose cumulative weight reaches q of the total. */
export function weightedQuantile(values: readonly { value: number; weight: number }[], q: number): number | undefined {
  const sorted = values.filter((v) => v.weight > 0 && Number.isFinite(v.value)).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((s, v) => s + v.weight, 0);
  if (total === 0) return undefined;
  let acc = 0;
  for (const v of sorted) {
    acc += v.weight;
    if (acc >= q * total - 1e-12) return v.value;
  }
  return sorted[sorted.length - 1]!.value;
}

export async function priceReference(index: CatalogIndex, options: Pick<PriceReferenceOptions, 'id'> & Partial<PriceReferenceOptions>): Promise<PriceReference> {
  const opts: PriceReferenceOptions = { ...DEFAULT_PRICE_REFERENCE_OPTIONS, ...options };
  const stored = await index.getStored(opts.id);
  if (!stored) throw createError('PRODUCT_NOT_FOUND', `no product with id "${opts.id}"`, { field: 'id', received: opts.id });
  const currency = (stored.product.currency ?? opts.rates.base).toUpperCase();
  const filter = opts.filter ?? (stored.product.category ? { category: stored.product.category } : {});
  let similar = await findSimilar(index, { id: opts.id, k: opts.k, filter });
  // A leaf category with too few neighbours: widen to its parent.
  if (similar.items.length < 3 && opts.filter === undefined && filter.category?.includes('/')) {
    similar = await findSimilar(index, { id: opts.id, k: opts.k, filter: { category: filter.category.split('/').slice(0, -1).join('/') } });
  }
  const neighbours = similar.items.map((item) => ({
    ...item,
    convertedPrice: item.product.price === undefined ? undefined : convertPrice(item.product.price, item.product.currency, currency, opts.rates),
  }));
  const usable = neighbours
    .filter((n) => n.score >= opts.minScore && n.convertedPrice !== undefined)
    .map((n) => ({ value: n.convertedPrice!, weight: n.score }));
  const values = usable.map((u) => u.value);
  const median = weightedQuantile(usable, 0.5);
  const round2 = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 100) / 100);
  return {
    product: similar.source,
    currency,
    median: round2(median),
    low: round2(weightedQuantile(usable, 0.1)),
    high: round2(weightedQuantile(usable, 0.9)),
    min: round2(values.length ? Math.min(...values) : undefined),
    max: round2(values.length ? Math.max(...values) : undefined),
    ratioToMedian: median && stored.product.price !== undefined ? Math.round((stored.product.price / median) * 1000) / 1000 : undefined,
    neighbours,
    used: usable.length,
  };
}
