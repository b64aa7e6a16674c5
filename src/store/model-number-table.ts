/**
 * The store's model-number tables: which products carry each canonical code, and the bucket keys
 * under which a code is found from a query code one edit away (model-numbers.ts). Maintained in the
 * store's write transactions, so a lookup always sees the store as it is, in every process.
 *
 * A code's three bucket rows are kept once per code (not per product), and removed with the code's
 * last product: ~110 bytes a product on disk. Columns with their own indexes took 366.
 */
import type Database from 'better-sqlite3';
import { codeBuckets, queryBuckets, sortModelNumberHits, withinOneEdit, type ModelNumberHit } from './model-numbers.ts';

const TABLE = 'product_model_numbers';

/** The tables, filled from the products' stored analysis. */
const schema = (where: 'main' | 'temp') => `
CREATE TABLE ${where}.${TABLE} (code TEXT NOT NULL, key INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (code, key)) WITHOUT ROWID;
CREATE INDEX ${where}.${TABLE}_by_key ON ${TABLE} (key);
CREATE TABLE ${where}.model_number_buckets (bucket TEXT NOT NULL, code TEXT NOT NULL, PRIMARY KEY (bucket, code)) WITHOUT ROWID;
INSERT OR IGNORE INTO ${where}.${TABLE} (code, key, id)
  SELECT j.value, p.key, p.id FROM main.products p, json_each(p.analyzed, '$.modelNumbers') j;
INSERT OR IGNORE INTO ${where}.model_number_buckets (bucket, code)
  SELECT b.value, c.code FROM (SELECT DISTINCT code FROM ${where}.${TABLE}) c, json_each(prodsim_code_buckets(c.code)) b;
`;

export interface ModelNumberTable {
  /** Replaces the codes of the product with this key (none: removes them); call inside the write transaction. */
  put(key: number, id: string, codes: readonly string[]): void;
  /** Products carrying `code` (edits 0) or a code one edit away (edits 1, for codes of MIN_FUZZY_CODE_LENGTH or more). */
  find(code: string): ModelNumberHit[];
}

/**
 * The model-number tables of an open store. A store made before them gets them, filled from its
 * products, on a writable open (one transaction: 1.8 s at 100k products); a read-only open of such a
 * store fills temporary copies on its first lookup.
 */
export function openModelNumberTable(db: Database.Database, readonly: boolean): ModelNumberTable {
  db.function('prodsim_code_buckets', { deterministic: true }, (code: unknown) => JSON.stringify(typeof code === 'string' ? codeBuckets(code) : []));
  const exists = () => db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(TABLE) === 1;
  // IMMEDIATE, and checked again inside: two processes opening an older store at once fill it once.
  if (!readonly && !exists()) db.transaction(() => exists() || db.exec(schema('main'))).immediate();

  let statements: ReturnType<typeof prepare> | undefined;
  function prepare() {
    return {
      codesOf: db.prepare(`SELECT code FROM ${TABLE} WHERE key = ?`).pluck(),
      removeKey: db.prepare(`DELETE FROM ${TABLE} WHERE key = ?`),
      add: db.prepare(`INSERT OR IGNORE INTO ${TABLE} (code, key, id) VALUES (?, ?, ?)`),
      held: db.prepare(`SELECT 1 FROM ${TABLE} WHERE code = ? LIMIT 1`).pluck(),
      addBucket: db.prepare(`INSERT OR IGNORE INTO model_number_buckets (bucket, code) VALUES (?, ?)`),
      removeBucket: db.prepare(`DELETE FROM model_number_buckets WHERE bucket = ? AND code = ?`),
      holders: db.prepare(`SELECT id FROM ${TABLE} WHERE code = ?`).pluck(),
      near: db.prepare(`SELECT code FROM model_number_buckets WHERE bucket IN (${Array(9).fill('?').join(', ')})`).pluck(),
    };
  }
  const stmts = () => {
    if (!statements) {
      if (!exists()) db.exec(schema('temp'));
      statements = prepare();
    }
    return statements;
  };

  return {
    put(key, id, codes) {
      const s = stmts();
      const before = s.codesOf.all(key) as string[];
      s.removeKey.run(key);
      for (const code of new Set(codes)) {
        s.add.run(code, key, id);
        for (const bucket of codeBuckets(code)) s.addBucket.run(bucket, code);
      }
      // A code no product carries any more leaves its buckets.
      for (const code of before) if (s.held.get(code) === undefined) for (const bucket of codeBuckets(code)) s.removeBucket.run(bucket, code);
    },
    find(code) {
      const s = stmts();
      const hits: ModelNumberHit[] = (s.holders.all(code) as string[]).map((id) => ({ id, code, edits: 0 }));
      const buckets = queryBuckets(code);
      if (buckets.length > 0) {
        for (const near of new Set(s.near.all(...buckets) as string[])) {
          if (near !== code && withinOneEdit(code, near)) for (const id of s.holders.all(near) as string[]) hits.push({ id, code: near, edits: 1 });
        }
      }
      return sortModelNumberHits(hits);
    },
  };
}
