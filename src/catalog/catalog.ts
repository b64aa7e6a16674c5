/**
 * The catalog stage's reading contract: a loader turns a file into a stream of products and
 * of issues (bad records), so a long ingest never stops on one bad line and never loses a good one.
 */
import type { Product, ProductField } from './product.ts';

/** `tsv` is CSV with tabs; files ending in `.gz` are decompressed on the fly. */
export type CatalogFormat = 'csv' | 'tsv' | 'json' | 'jsonl';

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
  /**
   * `syntax`: the record could not be parsed at all (bad JSON line, broken CSV quoting, wrong column count);
   * `validation`: it parsed but a field is missing or has the wrong type. Strict mode throws
   * PARSE_ERROR for the first and INVALID_RECORD for the second.
   */
  reason?: 'syntax' | 'validation';
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
  /** Currency for records that give a price without one (and without a currency sign). */
  defaultCurrency?: string;
  /**
   * Also recognise common other names for unmapped fields (`sku`/`product_id` → id, `name`/`商品名称` → title,
   * `价格` → price…); an explicit mapping and the field's own name always win over a guessed one.
   */
  guessFieldNames?: boolean;
  /** Keep source columns that map to no field as extra attributes (never overriding the record's own attributes). */
  extraFieldsAsAttributes?: boolean;
  /** CSV field delimiter; when absent, tab for tsv and for csv guessed from the header line (`,` `;` tab `|`, default `,`). */
  delimiter?: string;
}

export const DEFAULT_READ_CATALOG_OPTIONS = {
  mapping: {},
  strict: false,
  defaultCurrency: 'CNY',
  guessFieldNames: true,
  extraFieldsAsAttributes: false,
} as const satisfies ReadCatalogOptions;

export const READ_CATALOG_OPTION_KEYS = [
  'format',
  'mapping',
  'strict',
  'defaultCurrency',
  'guessFieldNames',
  'extraFieldsAsAttributes',
  'delimiter',
] as const satisfies readonly (keyof ReadCatalogOptions)[];
