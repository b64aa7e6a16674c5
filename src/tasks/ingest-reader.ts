/**
 * The catalog reader ingest uses. The catalog stage's `readCatalog` streams a file as products and
 * issues; ingest takes it through this seam so tests can feed records directly.
 */
import type { CatalogEntry, ReadCatalogOptions } from '../catalog/catalog.ts';

export type CatalogReader = (path: string, options: Partial<ReadCatalogOptions>) => AsyncIterable<CatalogEntry>;

export async function defaultCatalogReader(): Promise<CatalogReader> {
  // Loaded lazily: the catalog stage's reader module is being written in parallel.
  const specifier = '../catalog/read-catalog.ts';
  const mod = (await import(specifier)) as { readCatalog: CatalogReader };
  return mod.readCatalog;
}
