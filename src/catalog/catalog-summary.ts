/**
 * Counting what a catalog read produced (products, issues, duplicate ids) while it streams, and a
 * small in-memory loader for catalogs that fit in memory. Duplicate ids inside one file: the last record
 * wins (a store upserting in file order does exactly that), and the count is reported, never silent.
 */
import type { Product } from './product.ts';
import type { CatalogEntry, ReadCatalogOptions, RecordIssue } from './catalog.ts';
import { readCatalog } from './read-catalog.ts';

export interface CatalogReadSummary {
  file: string;
  /** Product records read, duplicates included. */
  records: number;
  /** Distinct ids among them (= products kept when the last duplicate wins). */
  uniqueIds: number;
  /** Records whose id had already been seen in this file (each replaces the earlier one). */
  duplicateIds: number;
  /** The first few duplicated ids, for the message. */
  duplicateIdExamples: string[];
  issues: number;
  /** Issue count per field (`(syntax)` for records that could not be parsed). */
  issuesByField: Record<string, number>;
}

/** How many duplicated ids a summary lists by name. */
export const DUPLICATE_ID_EXAMPLES = 10;

export function createCatalogReadSummary(file: string): CatalogReadSummary {
  return { file, records: 0, uniqueIds: 0, duplicateIds: 0, duplicateIdExamples: [], issues: 0, issuesByField: {} };
}

/** A product entry from `trackCatalogRead`: `duplicate` is true when an earlier record had the same id. */
export type TrackedCatalogEntry =
  | { kind: 'product'; product: Product; line: number; duplicate: boolean }
  | { kind: 'issue'; issue: RecordIssue };

/**
 * Passes entries through while filling `summary`. Memory is one Set of ids (a few tens of bytes per id,
 * fine for millions of products); a product entry says whether its id was seen before, so an ingest can
 * upsert and still say "N duplicate ids, last kept".
 */
export async function* trackCatalogRead(
  entries: AsyncIterable<CatalogEntry>,
  summary: CatalogReadSummary,
): AsyncGenerator<TrackedCatalogEntry> {
  const seen = new Set<string>();
  for await (const entry of entries) {
    if (entry.kind === 'issue') {
      summary.issues++;
      const key = entry.issue.field ?? `(${entry.issue.reason ?? 'syntax'})`;
      summary.issuesByField[key] = (summary.issuesByField[key] ?? 0) + 1;
      yield entry;
      continue;
    }
    summary.records++;
    const id = entry.product.id;
    const duplicate = seen.has(id);
    if (duplicate) {
      summary.duplicateIds++;
      if (summary.duplicateIdExamples.length < DUPLICATE_ID_EXAMPLES && !summary.duplicateIdExamples.includes(id)) {
        summary.duplicateIdExamples.push(id);
      }
    } else {
      seen.add(id);
      summary.uniqueIds++;
    }
    yield { ...entry, duplicate };
  }
}

/** One line for people: `data/a.jsonl: 312 products, 2 issues (price: 1, (syntax): 1), 3 duplicate ids, last kept (p1, p7)`. */
export function formatCatalogReadSummary(summary: CatalogReadSummary): string {
  const parts = [`${summary.file}: ${summary.uniqueIds} product${summary.uniqueIds === 1 ? '' : 's'}`];
  if (summary.issues > 0) {
    const byField = Object.entries(summary.issuesByField)
      .sort((a, b) => b[1] - a[1])
      .map(([field, n]) => `${field}: ${n}`)
      .join(', ');
    parts.push(`${summary.issues} issue${summary.issues === 1 ? '' : 's'} (${byField})`);
  } else parts.push('0 issues');
  if (summary.duplicateIds > 0) {
    parts.push(`${summary.duplicateIds} duplicate id${summary.duplicateIds === 1 ? '' : 's'}, last kept (${summary.duplicateIdExamples.join(', ')}${summary.duplicateIds > summary.duplicateIdExamples.length ? ', …' : ''})`);
  }
  return parts.join(', ');
}

export interface LoadedCatalog {
  /** One product per id, the last record winning, in the order ids first appeared. */
  products: Product[];
  issues: RecordIssue[];
  summary: CatalogReadSummary;
}

/** Reads a whole catalog into memory (for tests, demos and small catalogs; stream `readCatalog` for big ones). */
export async function loadCatalog(path: string, options: Partial<ReadCatalogOptions> = {}): Promise<LoadedCatalog> {
  const summary = createCatalogReadSummary(path);
  const byId = new Map<string, Product>();
  const issues: RecordIssue[] = [];
  for await (const entry of trackCatalogRead(readCatalog(path, options), summary)) {
    if (entry.kind === 'issue') issues.push(entry.issue);
    else byId.set(entry.product.id, entry.product);
  }
  return { products: [...byId.values()], issues, summary };
}
