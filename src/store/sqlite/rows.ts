/** Rows of the SQLite store's tables and their conversion to the contract's records. */
import type { Product } from '../../catalog/product.ts';
import type { AnalyzedProduct, KeywordRow, StoredProduct } from '../store.ts';

/** A product `p` that has no vector of encoder `?` computed from its current content. */
export const WITHOUT_CURRENT_VECTOR = 'NOT EXISTS (SELECT 1 FROM vectors v WHERE v.encoder_id = ? AND v.key = p.key AND v.content_hash = p.content_hash)';
/** Rows per `IN (…)` lookup; well under SQLite's bound-parameter limit. */
export const LOOKUP_CHUNK = 500;

export interface ProductRow {
  key: number;
  id: string;
  content_hash: string;
  updated_at: number;
  json: string;
}

export interface KeywordRowRecord {
  key: number;
  id: string;
  category: string | null;
  price: number | null;
  in_stock: number | null;
  brand: unknown;
  analyzed: string;
}

export function toKeywordRow(r: KeywordRowRecord): KeywordRow {
  const analyzed = JSON.parse(r.analyzed) as AnalyzedProduct;
  return {
    key: r.key,
    id: r.id,
    category: r.category,
    price: r.price,
    inStock: r.in_stock === null ? null : r.in_stock !== 0,
    brand: typeof r.brand === 'string' ? r.brand : null,
    tokens: analyzed.tokens,
  };
}

export type AnalyzedRow = ProductRow & { analyzed: string };
export const ANALYZED_ROW_COLUMNS = 'key, id, content_hash, updated_at, json, analyzed';

export function analyzedRowToStored(row: AnalyzedRow): StoredProduct & { analyzed: AnalyzedProduct } {
  return { ...rowToStored(row), analyzed: JSON.parse(row.analyzed) as AnalyzedProduct };
}

export function rowToStored(row: ProductRow): StoredProduct {
  return { product: JSON.parse(row.json) as Product, key: row.key, contentHash: row.content_hash, updatedAt: row.updated_at };
}

export function blobToVector(blob: Buffer): Float32Array {
  // Copy: a Buffer from SQLite need not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
