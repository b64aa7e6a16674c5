/**
 * The catalog stage's reading contract: a loader turns a file into a stream of products and
 * of issues (bad records), so a long ingest never stops on one bad line and never loses a good one.
 */
import type { Product, ProductField } from './product.ts';

export type CatalogFormat = 'csv' | 'json' | 'jsonl';

/** A bad record: where it is and what was expected, enough for a person to fix the file. */
export interface RecordIssue {
  file: string;
  /** 1-based line (for CSV, the line where the record starts; for a JSON array, the line of its opening brace). */
  line: number;
  id?: string;
  field?: string;
  expected?: string;
  received?: string;
  message: string;
}

export type CatalogEntry =
  | { kind: 'product'; product: Product; line: number }
  | { kind: 'issue'; issue: RecordIssue };

/** Product field → the source column/key that holds it, for catalogs with other names (`{ title: 'name' }`). */
export type FieldMapping = Partial<Record<ProductField, string>>;

export interface ReadCatalogOptions {
  /** Guessed from the extension when absent. */
  format?: CatalogFormat;
  mapping: FieldMapping;
  /** Stop at the first bad record with an INVALID_RECORD error instead of reporting and skipping it. */
  strict: boolean;
  /** Currency for records that give a price without one. */
  defaultCurrency?: string;
}

export const DEFAULT_READ_CATALOG_OPTIONS = {
  mapping: {},
  strict: false,
} as const satisfies ReadCatalogOptions;
