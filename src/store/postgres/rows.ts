/** Rows of the PostgreSQL store's tables as the driver returns them (bigints as strings), and what they become. */
import type { Product } from '../../catalog/product.ts';
import type { AnalyzedProduct, KeywordRow, StoredProduct } from '../store.ts';

/** Rows per page of a stream (`iterateProducts`, `iterateKeywordRows`, `vectorsFor`). */
export const PAGE_ROWS = 1_000;

export interface ProductRow {
  key: string;
  id: string;
  content_hash: string;
  updated_at: string;
  json: string;
  analyzed?: string;
}

export function rowToStored(r: ProductRow): StoredProduct & { analyzed?: AnalyzedProduct } {
  return {
    product: JSON.parse(r.json) as Product,
    key: Number(r.key),
    contentHash: r.content_hash,
    updatedAt: Number(r.updated_at),
    ...(r.analyzed !== undefined ? { analyzed: JSON.parse(r.analyzed) as AnalyzedProduct } : {}),
  };
}

export interface KeywordRowRecord {
  key: string;
  id: string;
  category: string | null;
  price: number | null;
  in_stock: boolean | null;
  json_brand: string | null;
  analyzed: string;
}

export const KEYWORD_ROW_COLUMNS = `key, id, category, price, in_stock, (json::jsonb)->>'brand' AS json_brand, analyzed`;

export function toKeywordRow(r: KeywordRowRecord): KeywordRow {
  return { key: Number(r.key), id: r.id, category: r.category, price: r.price, inStock: r.in_stock, brand: r.json_brand, tokens: (JSON.parse(r.analyzed) as AnalyzedProduct).tokens };
}
