/**
 * An index built once after a bulk load instead of row by row: the HNSW index of a vector dimension
 * (`vector-index.ts`) and the keyword GIN indexes (`keyword-indexes.ts`). Each is marked pending in
 * `prodsim_meta`; the build clears the mark in its own transaction under an advisory lock, so of
 * several servers refreshing together the second, once it holds the lock, finds nothing pending, and
 * a failed build rolls the mark back. The build runs without the statement timeouts (it grows with the
 * catalog) and with `HNSW_BUILD.maintenanceWorkMem`, so the index is built in memory.
 */
import { HNSW_BUILD } from './schema.ts';

export interface IndexBuildDeps {
  query: <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A statement without the statement timeouts, inside the transaction (the build grows with the catalog). */
  unlimitedQuery: (sql: string) => Promise<void>;
}

/** Runs `statements` if `pendingKey` is still marked once `lock` is held, clearing the mark; true when this call built. */
export async function buildMarkedIndex({ query, transaction, unlimitedQuery }: IndexBuildDeps, lock: string, pendingKey: string, statements: readonly string[]): Promise<boolean> {
  return transaction(async () => {
    await query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [lock]);
    if ((await query(`DELETE FROM prodsim_meta WHERE key = $1 RETURNING 1`, [pendingKey])).length === 0) return false;
    await query(`SELECT set_config('maintenance_work_mem', $1, true)`, [HNSW_BUILD.maintenanceWorkMem]);
    for (const sql of statements) await unlimitedQuery(sql);
    return true;
  });
}
