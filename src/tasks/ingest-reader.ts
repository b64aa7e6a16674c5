/**
 * The catalog reader ingest uses: the catalog stage's `readCatalog` unless a caller (a test, an
 * importer from another source) hands ingest its own stream of entries.
 */
import type { CatalogEntry, ReadCatalogOptions } from '../catalog/catalog.ts';
import { readCatalog } from '../catalog/read-catalog.ts';

export type CatalogReader = (path: string, options: Partial<ReadCatalogOptions>) => AsyncIterable<CatalogEntry>;

export const defaultCatalogReader: CatalogReader = readCatalog;
