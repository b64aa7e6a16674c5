/**
 * What every part of the SQLite store shares: the open database, its prepared statements, batch
 * lookups by id or key, and the handle's mutable state (caches, the remembered revision). The parts
 * (`product-writes.ts`, `product-reads.ts`, …) are plain functions of this state object.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ANALYZED_FIELDS, type AnalyzedProduct, type ProductChange, type ProductStoreOptions } from '../store.ts';
import { ANALYZED_ROW_COLUMNS, LOOKUP_CHUNK, WITHOUT_CURRENT_VECTOR, chunks } from './rows.ts';
import { CHANGE_LOG_TRIMMED_KEY, PRODUCTS_REVISION_KEY, keywordColumns } from './schema.ts';

/**
 * Statements by name, typed through `Database.Statement` by hand: inferred, their type is
 * `BetterSqlite3.Statement`, which the declaration build cannot name (TS4058).
 */
type Statements<K extends string> = { readonly [P in K]: Database.Statement };
const named = <K extends string>(statements: Record<K, Database.Statement>): Statements<K> => statements;

/** The statements every handle prepares once. */
function prepareStatements(db: Database.Database) {
  return named({
    insertProduct: db.prepare(
      `INSERT INTO products (id, content_hash, updated_at, category, price, in_stock, json, analyzed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateProduct: db.prepare(
      `UPDATE products SET content_hash = ?, updated_at = ?, category = ?, price = ?, in_stock = ?, json = ?, analyzed = ? WHERE key = ?`,
    ),
    insertKeywords: db.prepare(
      `INSERT INTO keyword_index (rowid, ${ANALYZED_FIELDS.join(', ')}) VALUES (?, ${ANALYZED_FIELDS.map(() => '?').join(', ')})`,
    ),
    // FTS5's `delete` command: the row's tokens as written, so the index's statistics lose them too.
    deleteKeywords: db.prepare(
      `INSERT INTO keyword_index (keyword_index, rowid, ${ANALYZED_FIELDS.join(', ')}) VALUES ('delete', ?, ${ANALYZED_FIELDS.map(() => '?').join(', ')})`,
    ),
    analyzedByKey: db.prepare(`SELECT analyzed FROM products WHERE key = ?`).pluck(),
    deleteProduct: db.prepare(`DELETE FROM products WHERE key = ?`),
    deleteVectorsOf: db.prepare(`DELETE FROM vectors WHERE key = ?`),
    getProduct: db.prepare(`SELECT key, id, content_hash, updated_at, json FROM products WHERE id = ?`),
    getAnalyzed: db.prepare(`SELECT analyzed FROM products WHERE id = ?`).pluck(),
    iterate: db.prepare(`SELECT key, id, content_hash, updated_at, json FROM products ORDER BY key`),
    iterateAnalyzed: db.prepare(`SELECT key, id, content_hash, updated_at, json, analyzed FROM products ORDER BY key`),
    iterateKeywordRows: db.prepare(
      `SELECT key, id, category, price, in_stock, json_extract(json, '$.brand') AS brand, analyzed FROM products ORDER BY key`,
    ),
    legacyRevision: db.prepare(`SELECT count(*) AS n, max(key) AS maxKey, max(updated_at) AS maxUpdated FROM products`),
    documentFrequency: db.prepare(`SELECT doc FROM keyword_vocab WHERE term = ?`).pluck(),
    count: db.prepare(`SELECT count(*) FROM products`).pluck(),
    idToKey: db.prepare(`SELECT key FROM products WHERE id = ?`).pluck(),
    keyToId: db.prepare(`SELECT id FROM products WHERE key = ?`).pluck(),
    putLabel: db.prepare(
      `INSERT INTO labels (left_id, right_id, source, label, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (left_id, right_id, source) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
    ),
    vectorDim: db.prepare(`SELECT dim FROM vectors WHERE encoder_id = ? LIMIT 1`).pluck(),
    keyAndHash: db.prepare(`SELECT key, content_hash FROM products WHERE id = ?`),
    putVector: db.prepare(
      `INSERT OR REPLACE INTO vectors (encoder_id, key, content_hash, dim, vector) VALUES (?, ?, ?, ?, ?)`,
    ),
    getVector: db.prepare(
      `SELECT v.vector FROM vectors v JOIN products p ON p.key = v.key
       WHERE v.encoder_id = ? AND p.id = ? AND v.content_hash = p.content_hash`,
    ).pluck(),
    encodersWithVector: db.prepare(
      `SELECT v.encoder_id FROM vectors v JOIN products p ON p.key = v.key
       WHERE p.id = ? AND v.content_hash = p.content_hash ORDER BY v.encoder_id`,
    ).pluck(),
    cachedVector: db.prepare(`SELECT vector FROM vectors WHERE encoder_id = ? AND content_hash = ? LIMIT 1`).pluck(),
    vectorsFor: db.prepare(
      `SELECT p.id, p.key, v.content_hash, v.vector FROM vectors v JOIN products p ON p.key = v.key
       WHERE v.encoder_id = ? AND v.content_hash = p.content_hash ORDER BY v.key`,
    ),
    productsWithoutVector: db.prepare(`SELECT p.id, p.key, p.content_hash AS contentHash FROM products p WHERE ${WITHOUT_CURRENT_VECTOR} ORDER BY p.key`),
    getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck(),
    setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    reindexProduct: db.prepare(`UPDATE products SET analyzed = ? WHERE key = ?`),
  });
}

/** Pages in key order (`productsPage`, `keywordRowsPage`, `vectorsPage`). */
function preparePageStatements(db: Database.Database) {
  return named({
    products: db.prepare(`SELECT key, id, content_hash, updated_at, json FROM products WHERE key > ? ORDER BY key LIMIT ?`),
    analyzed: db.prepare(`SELECT ${ANALYZED_ROW_COLUMNS} FROM products WHERE key > ? ORDER BY key LIMIT ?`),
    keywordRows: db.prepare(
      `SELECT key, id, category, price, in_stock, json_extract(json, '$.brand') AS brand, analyzed FROM products WHERE key > ? ORDER BY key LIMIT ?`,
    ),
    vectors: db.prepare(
      `SELECT p.id, p.key, v.content_hash, v.vector FROM vectors v JOIN products p ON p.key = v.key
       WHERE v.encoder_id = ? AND v.content_hash = p.content_hash AND v.key > ? ORDER BY v.key LIMIT ?`,
    ),
  });
}

function prepareChangeLogStatements(db: Database.Database) {
  return named({
    append: db.prepare(`INSERT INTO product_changes (key, op) VALUES (?, ?)`),
    since: db.prepare(`SELECT seq, key, op FROM product_changes WHERE seq > ? ORDER BY seq`),
    // sqlite_sequence keeps the last seq even when every row was trimmed.
    last: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'product_changes'`).pluck(),
    trim: db.prepare(`DELETE FROM product_changes WHERE seq <= ?`),
  });
}

export interface SqliteStoreState {
  readonly db: Database.Database;
  readonly opts: ProductStoreOptions;
  readonly schemaVersion: number;
  readonly hasChangeLog: boolean;
  readonly changeLogLimit: number;
  readonly stmt: ReturnType<typeof prepareStatements>;
  readonly pageStmt: ReturnType<typeof preparePageStatements>;
  /** Undefined on a read-only handle of a store made before the change log existed. */
  readonly changeStmt: ReturnType<typeof prepareChangeLogStatements> | undefined;
  /** `SELECT … IN (?, …)` statements by text (one per arity and query), so batch lookups reuse prepared statements. */
  readonly inStatements: Map<string, Database.Statement>;
  /** `keywordSearch` statements by SQL text (one per filter shape). */
  readonly keywordStatements: Map<string, Database.Statement>;
  /** Counting a common token's products reads its whole posting list, so counts are cached until the next write. */
  readonly dfCache: Map<string, number>;
  /** The revision last read and when (see REVISION_RECHECK_MS). */
  rememberedRevision: { value: string; readAt: number } | undefined;
  /** Read-only handle on a store written before revisions existed: derived once (it scans the products), see `revision()`. */
  legacyRevision: string | undefined;
}

export function createStoreState(
  db: Database.Database,
  opts: ProductStoreOptions,
  file: { schemaVersion: number; hasChangeLog: boolean; changeLogLimit: number },
): SqliteStoreState {
  return {
    db,
    opts,
    ...file,
    stmt: prepareStatements(db),
    pageStmt: preparePageStatements(db),
    changeStmt: file.hasChangeLog ? prepareChangeLogStatements(db) : undefined,
    inStatements: new Map(),
    keywordStatements: new Map(),
    dfCache: new Map(),
    rememberedRevision: undefined,
    legacyRevision: undefined,
  };
}

export function writeKeywords(s: SqliteStoreState, key: number, analyzed: AnalyzedProduct): void {
  s.stmt.insertKeywords.run(key, ...keywordColumns(analyzed));
}

/**
 * Removes a product's keyword-index row with the tokens `writeKeywords` wrote it from (the stored
 * analysis): call before the product row's `analyzed` is overwritten or the row deleted.
 */
export function removeKeywordsOf(s: SqliteStoreState, key: number): void {
  const analyzed = s.stmt.analyzedByKey.get(key) as string | undefined;
  if (analyzed !== undefined) s.stmt.deleteKeywords.run(key, ...keywordColumns(JSON.parse(analyzed) as AnalyzedProduct));
}

export const trimmedThrough = (s: SqliteStoreState): number => Number(s.stmt.getMeta.get(CHANGE_LOG_TRIMMED_KEY) ?? 0);

/** Called inside the writing transaction, like `bumpRevision`. */
export function logChange(s: SqliteStoreState, key: number, op: ProductChange['op']): void {
  s.changeStmt?.append.run(key, op);
}

export function trimChangeLog(s: SqliteStoreState): void {
  if (!s.changeStmt) return;
  /** Rows past the limit before a trim: a trim deletes this many rows at once instead of one every write. */
  const trimSlack = Math.max(1, Math.ceil(s.changeLogLimit / 10));
  const last = Number(s.changeStmt.last.get() ?? 0);
  const trimmed = trimmedThrough(s);
  if (last - trimmed <= s.changeLogLimit + trimSlack) return;
  const through = last - s.changeLogLimit;
  s.changeStmt.trim.run(through);
  s.stmt.setMeta.run(CHANGE_LOG_TRIMMED_KEY, String(through));
}

/** Called inside the writing transaction, so the new revision commits (or rolls back) with the rows. */
export function bumpRevision(s: SqliteStoreState): void {
  s.stmt.setMeta.run(PRODUCTS_REVISION_KEY, randomUUID());
  s.rememberedRevision = undefined;
}

export function inStatement(s: SqliteStoreState, sql: string): Database.Statement {
  let st = s.inStatements.get(sql);
  if (!st) {
    st = s.db.prepare(sql);
    if (s.inStatements.size < 64) s.inStatements.set(sql, st);
  }
  return st;
}

export const placeholders = (n: readonly unknown[]): string => n.map(() => '?').join(',');

export function selectByIds<Row>(s: SqliteStoreState, columns: string, ids: readonly string[]): Row[] {
  const out: Row[] = [];
  for (const part of chunks(ids, LOOKUP_CHUNK)) {
    out.push(...(inStatement(s, `SELECT ${columns} FROM products WHERE id IN (${placeholders(part)})`).all(...part) as Row[]));
  }
  return out;
}

/**
 * `SELECT columns FROM products p WHERE p.key IN (…) [AND where] ORDER BY p.key` over the distinct
 * keys, in chunks; `params` bind the placeholders of `where`.
 */
export function selectByKeys<Row>(s: SqliteStoreState, columns: string, keys: readonly number[], where = '', params: readonly unknown[] = []): Row[] {
  const out: Row[] = [];
  for (const part of chunks([...new Set(keys)].sort((a, b) => a - b), LOOKUP_CHUNK)) {
    const sql = `SELECT ${columns} FROM products p WHERE p.key IN (${placeholders(part)})${where ? ` AND ${where}` : ''} ORDER BY p.key`;
    out.push(...(inStatement(s, sql).all(...part, ...params) as Row[]));
  }
  return out;
}
