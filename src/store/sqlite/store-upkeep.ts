/** The SQLite store's own upkeep: meta values, transactions, size and statistics, compaction, closing. */
import fs from 'node:fs';
import { createError } from '../../errors.ts';
import type { StoreStats, SyncProductStore } from '../store.ts';
import { countLabels } from './labels.ts';
import { CHANGE_LOG_ID_KEY, CHANGE_LOG_TRIMMED_KEY, PRODUCTS_REVISION_KEY, SCHEMA_VERSION_KEY } from './schema.ts';
import type { SqliteStoreState } from './state.ts';

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    // Expected failure as a value: a file that does not exist (no WAL yet) has size 0.
    return 0;
  }
}

export function storeUpkeep(s: SqliteStoreState): Pick<SyncProductStore, 'transaction' | 'getMeta' | 'setMeta' | 'compact' | 'stats' | 'close' | 'exec'> {
  return {
    transaction: (fn) => s.db.transaction(fn)(),

    getMeta: (key) => s.stmt.getMeta.get(key) as string | undefined,
    setMeta(key, value) {
      if (key === SCHEMA_VERSION_KEY || key === PRODUCTS_REVISION_KEY || key === CHANGE_LOG_ID_KEY || key === CHANGE_LOG_TRIMMED_KEY) {
        throw createError('INVALID_ARGUMENT', `meta key "${key}" is managed by the store`, { field: 'key' });
      }
      s.stmt.setMeta.run(key, value);
    },
    compact() {
      s.db.exec('VACUUM');
      // A WAL store keeps the rewritten pages in its -wal file until a checkpoint gives them back.
      s.db.pragma('wal_checkpoint(TRUNCATE)');
    },
    stats(): StoreStats {
      const products = s.stmt.count.get() as number;
      const vectors: StoreStats['vectors'] = {};
      const rows = s.db.prepare(`SELECT encoder_id, count(*) AS n, max(dim) AS dim FROM vectors GROUP BY encoder_id`).all() as {
        encoder_id: string;
        n: number;
        dim: number;
      }[];
      for (const r of rows) vectors[r.encoder_id] = { count: r.n, dimension: r.dim };
      const sizeBytes =
        s.opts.path === ':memory:'
          ? (s.db.pragma('page_count', { simple: true }) as number) * (s.db.pragma('page_size', { simple: true }) as number)
          : fileSize(s.opts.path) + fileSize(`${s.opts.path}-wal`);
      return {
        path: s.opts.path,
        schemaVersion: s.schemaVersion,
        products,
        labels: countLabels(s),
        vectors,
        sizeBytes,
        bytesPerProduct: products > 0 ? Math.round(sizeBytes / products) : 0,
      };
    },
    close() {
      if (!s.db.open) return;
      // Leave the file in rollback-journal mode (WAL is set again at the next writable open): a
      // WAL file needs its -shm beside it even to be read, which a reader of a store in a folder it
      // may not write cannot create. Another connection still open keeps WAL (SQLITE_BUSY, ignored);
      // the last writer to close switches.
      if (!s.opts.readonly && s.opts.path !== ':memory:') {
        try {
          // Without waiting: another connection holding the store is the common case (a server).
          s.db.pragma('busy_timeout = 0');
          s.db.pragma('journal_mode = DELETE');
        } catch {
          // another process has the store open: it switches when it closes
        }
      }
      s.db.close();
    },
    exec(sql) {
      s.db.exec(sql);
    },
  };
}
