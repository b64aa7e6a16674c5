/**
 * What one store revision fixes, read once per revision: the keyword document frequencies (filled by
 * `keyword-search.ts`) and the product count. `count(*)` walks every row of the products table
 * (119–168 ms at 1M products) and `similar` asks for the catalog size on every call (MoreLikeThis's
 * rare-token limit): at 1M that count was most of similar's 108–173 ms. A revision's count never
 * changes, and reading the revision is one indexed lookup.
 */
import { query } from './connection.ts';
import { revision } from './meta.ts';
import type { PgStoreState } from './state.ts';

export const countProducts = async (s: PgStoreState) => Number((await query<{ n: string }>(s, `SELECT count(*) AS n FROM products`))[0]!.n);

/** Forgets the cached frequencies and product count when the store's revision moved on. */
export async function followRevision(s: PgStoreState): Promise<void> {
  const current = await revision(s);
  if (current === s.frequencies.revision) return;
  s.frequencies.byColumn.keywords.clear();
  s.frequencies.byColumn.han_keywords.clear();
  s.frequencies.count = undefined;
  s.frequencies.revision = current;
}

/** The number of products at the store's current revision (counted once per revision). */
export async function productCountAtRevision(s: PgStoreState): Promise<number> {
  await followRevision(s);
  s.frequencies.count ??= await countProducts(s);
  return s.frequencies.count;
}
