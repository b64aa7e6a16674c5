/**
 * Opens the store a location names: a `postgres://` (or `postgresql://`) URL is a PostgreSQL
 * database (pgvector; Citus when distributed), anything else a SQLite file (`:memory:` included).
 */
import { createPostgresStore, isPostgresUrl } from './postgres/pg-store.ts';
import { createProductStore } from './sqlite/sqlite-store.ts';
import type { ProductStore } from './store.ts';

export { isPostgresUrl } from './postgres/pg-store.ts';

export interface OpenStoreOptions {
  readonly?: boolean;
  /** PostgreSQL only, on first open: lay the tables out for Citus (distributed by product id). */
  distributed?: boolean;
}

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<ProductStore> {
  if (isPostgresUrl(location)) return createPostgresStore({ url: location, ...(options.distributed !== undefined ? { distributed: options.distributed } : {}) });
  return createProductStore({ path: location, ...(options.readonly !== undefined ? { readonly: options.readonly } : {}) });
}
