/**
 * Loads a whole (small or medium) catalog file into memory for jobs that compare two catalogs:
 * good products are kept (the last record of a repeated id wins), bad records are returned as issues.
 */
import type { ReadCatalogOptions, RecordIssue } from '../catalog/catalog.ts';
import type { Product } from '../catalog/product.ts';
import { readCatalog } from '../catalog/read-catalog.ts';

export interface LoadedProducts {
  file: string;
  products: Product[];
  issues: RecordIssue[];
  duplicateIds: string[];
}

export async function loadProducts(file: string, options: Partial<ReadCatalogOptions> = {}): Promise<LoadedProducts> {
  const byId = new Map<string, Product>();
  const issues: RecordIssue[] = [];
  const duplicates = new Set<string>();
  for await (const entry of readCatalog(file, options)) {
    if (entry.kind === 'issue') {
      issues.push(entry.issue);
      continue;
    }
    if (byId.has(entry.product.id)) {
      duplicates.add(entry.product.id);
      byId.delete(entry.product.id); // re-insert so the order is that of the last record
    }
    byId.set(entry.product.id, entry.product);
  }
  return { file, products: [...byId.values()], issues, duplicateIds: [...duplicates] };
}
