/**
 * The product store on SQLite (better-sqlite3): one file, WAL journal so readers never block the
 * writer, `synchronous=NORMAL` (a power cut can lose the last commits but never corrupts the file),
 * FTS5 for the keyword index.
 *
 * The keyword index is a contentless FTS5 table (`contentless_delete=1`) whose rowid is the product
 * key: the text is already kept in `products.analyzed`, so FTS5 only stores its inverted index.
 * Its columns hold our analyser's tokens joined by spaces, so FTS5's `unicode61` tokenizer splits
 * exactly where jieba and the English rules did (a Chinese word stays one FTS5 token).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { categoryLevels, type Product } from '../../catalog/product.ts';
import { createError, isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import { canonicalProductJson, contentHashOfJson } from '../product-record.ts';
import {
  ANALYZED_FIELDS,
  DEFAULT_PRODUCT_STORE_OPTIONS,
  KEYWORD_COLUMN_WEIGHTS,
  brandColumnValue,
  STORE_SCHEMA_VERSION,
  type AnalyzedProduct,
  type KeywordRow,
  type KeywordFilter,
  type KeywordHit,
  type KeywordSearchOptions,
  type PairLabel,
  type ProductChange,
  type SyncProductStore,
  type NearestNeighboursOptions,
  type NeighbourRow,
  type ProductStoreOptions,
  type StoredProduct,
  type StoredVector,
  type StoreStats,
  type UpsertItem,
  type UpsertResult,
  type VectorInput,
} from '../store.ts';

/** A product `p` that has no vector of encoder `?` computed from its current content. */
const WITHOUT_CURRENT_VECTOR = 'NOT EXISTS (SELECT 1 FROM vectors v WHERE v.encoder_id = ? AND v.key = p.key AND v.content_hash = p.content_hash)';

/** Keyword queries keep at most this many distinct tokens: longer OR queries cost time and add little. */
export const MAX_KEYWORD_QUERY_TOKENS = 64;
/**
 * Keyword queries in `any` mode try "every token" first and return it when it already fills k:
 * much faster on large catalogs, and products with every query token are the best OR matches
 * in all but rare cases (a product missing one common token but repeating the rare ones).
 */
export const KEYWORD_ALL_TOKENS_FIRST = true;
/**
 * Then, on stores of at least `minProducts`, an OR query leaves out "common" tokens (in more than
 * `commonFraction` of products) when rarer tokens remain, and returns that when it fills k: the
 * common tokens' postings are what make a large OR query slow, and their bm25 weight is small.
 * Only when that finds fewer than k does the full OR query run.
 */
export const KEYWORD_COMMON_TOKEN_PRUNING = { minProducts: 10_000, commonFraction: 0.05 } as const;
/** Document frequencies are cached per store handle (cleared on every write), at most this many tokens. */
const DF_CACHE_LIMIT = 100_000;
/** Rows per `IN (…)` lookup; well under SQLite's bound-parameter limit. */
const LOOKUP_CHUNK = 500;

/**
 * `meta` is a rowid table (its key in an index beside it): it holds the text encoder's fitted state,
 * 10.9 MB at 1M products. In a WITHOUT ROWID table that value sits in the key's B-tree cell, and a
 * lookup of a neighbouring key (`textSpace.stateId`, read on every refresh) compared against it:
 * ~2.5 ms at 1M instead of microseconds.
 */
const metaTable = (name: string): string => `CREATE TABLE ${name} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

const SCHEMA_V1 = `
${metaTable('meta')};
CREATE TABLE products (
  key INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  content_hash TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  category TEXT,
  price REAL,
  in_stock INTEGER,
  json TEXT NOT NULL,
  analyzed TEXT NOT NULL
);
CREATE VIRTUAL TABLE keyword_index USING fts5(
  ${ANALYZED_FIELDS.join(', ')},
  content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE labels (
  left_id TEXT NOT NULL,
  right_id TEXT NOT NULL,
  source TEXT NOT NULL,
  label REAL NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (left_id, right_id, source)
) WITHOUT ROWID;
CREATE INDEX labels_by_right ON labels (right_id);
CREATE TABLE vectors (
  encoder_id TEXT NOT NULL,
  key INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  dim INTEGER NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (encoder_id, key)
) WITHOUT ROWID;
CREATE INDEX vectors_by_hash ON vectors (encoder_id, content_hash);
CREATE INDEX vectors_by_key ON vectors (key);
`;

/**
 * The product change log (`ProductStore.changesSince`). Added to schema version 1 without a version
 * bump: a store without it gets it on its first writable open (older prodsim versions ignore it, and
 * a store written by one after that has a log that misses those writes: see CHANGE_LOG_ID_KEY).
 */
const CHANGE_LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS product_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete'))
);
`;
/** Meta key of `changeLogId()`, made with the log. */
export const CHANGE_LOG_ID_KEY = 'products.change_log';
/** Meta key: the log's rows up to this seq were trimmed (0 when none were). */
const CHANGE_LOG_TRIMMED_KEY = 'products.change_log_trimmed';

const SCHEMA_VERSION_KEY = 'schema_version';
/** Meta key of `ProductStore.revision()`: a fresh random value on every product write (managed by the store). */
export const PRODUCTS_REVISION_KEY = 'products.revision';
/**
 * How long `revision()` trusts the value it last read before reading the meta row again. Indexes ask
 * on every query, and the read was ~14 µs of the ANN layer's ~60 µs over usearch. This handle's own
 * writes are seen at once (they drop the remembered value); another process's within this time.
 */
export const REVISION_RECHECK_MS = 250;
const BM25_WEIGHTS = ANALYZED_FIELDS.map((f) => KEYWORD_COLUMN_WEIGHTS[f]).join(', ');

interface ProductRow {
  key: number;
  id: string;
  content_hash: string;
  updated_at: number;
  json: string;
}

interface KeywordRowRecord {
  key: number;
  id: string;
  category: string | null;
  price: number | null;
  in_stock: number | null;
  brand: unknown;
  analyzed: string;
}

function toKeywordRow(r: KeywordRowRecord): KeywordRow {
  const analyzed = JSON.parse(r.analyzed) as AnalyzedProduct;
  return {
    key: r.key,
    id: r.id,
    category: r.category,
    price: r.price,
    inStock: r.in_stock === null ? null : r.in_stock !== 0,
    brand: typeof r.brand === 'string' ? r.brand : null,
    tokens: analyzed.tokens,
  };
}

type AnalyzedRow = ProductRow & { analyzed: string };
const ANALYZED_ROW_COLUMNS = 'key, id, content_hash, updated_at, json, analyzed';

function analyzedRowToStored(row: AnalyzedRow): StoredProduct & { analyzed: AnalyzedProduct } {
  return { ...rowToStored(row), analyzed: JSON.parse(row.analyzed) as AnalyzedProduct };
}

function rowToStored(row: ProductRow): StoredProduct {
  return { product: JSON.parse(row.json) as Product, key: row.key, contentHash: row.content_hash, updatedAt: row.updated_at };
}

function blobToVector(blob: Buffer): Float32Array {
  // Copy: a Buffer from SQLite need not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * FTS5 phrases for query tokens: every token quoted (so `-`, `:`, `OR`, `*` in a token are text,
 * not syntax), deduplicated, at most `MAX_KEYWORD_QUERY_TOKENS`.
 */
export function toFtsPhrases(tokens: readonly string[]): string[] {
  return phraseTokens(tokens).map((t) => `"${t.replaceAll('"', '""')}"`);
}

/**
 * The tokens behind `toFtsPhrases(tokens)`, in the same order: trimmed, with a letter or digit,
 * deduplicated as written, at most `MAX_KEYWORD_QUERY_TOKENS` (the in-memory keyword index reads
 * queries with the same rule).
 */
export function phraseTokens(tokens: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tokens) {
    const t = raw.trim();
    // A token with no letter or digit is empty to unicode61 and would be an empty phrase.
    if (t.length === 0 || !/[\p{L}\p{N}]/u.test(t) || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
    if (out.length >= MAX_KEYWORD_QUERY_TOKENS) break;
  }
  return out;
}

/** FTS5 query matching any of the tokens. */
export function toFtsOrQuery(tokens: readonly string[]): string {
  return toFtsPhrases(tokens).join(' OR ');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function storeError(message: string, cause: unknown, file?: string): never {
  const detail = cause instanceof Error ? cause.message : String(cause);
  throw createError('STORE_ERROR', `${message}: ${detail}`, file ? { file } : undefined);
}

function openDatabase(opts: ProductStoreOptions): Database.Database {
  const inMemory = opts.path === ':memory:';
  if (!inMemory) {
    if (opts.readonly && !fs.existsSync(opts.path)) {
      throw createError('FILE_NOT_FOUND', `no store at ${opts.path} (run \`prodsim ingest\` first)`, { file: opts.path });
    }
    fs.mkdirSync(path.dirname(path.resolve(opts.path)), { recursive: true });
  }
  let db: Database.Database;
  try {
    db = new Database(opts.path, { readonly: opts.readonly ?? false });
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    // 64 MB page cache: the keyword index's B-trees stay hot during a big ingest.
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    // A read-only open reads here, so a store it cannot read fails now, with the reason.
    if (opts.readonly) db.prepare(`SELECT count(*) FROM sqlite_master`).get();
  } catch (e) {
    if (opts.readonly && /readonly|unable to open/i.test(String((e as Error).message))) {
      throw createError(
        'STORE_ERROR',
        `cannot read store ${opts.path} from a folder this user may not write: it was left in WAL mode (by a writer that was stopped or is still running); open it once with write access, or copy it to a writable folder`,
        { file: opts.path },
      );
    }
    storeError(`cannot open store ${opts.path}`, e, opts.path);
  }
  return db;
}

function ensureSchema(db: Database.Database, file: string, readonly: boolean): number {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  if (tables.length === 0) {
    if (readonly) throw createError('STORE_ERROR', `store ${file} is empty`, { file });
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?)`).run(SCHEMA_VERSION_KEY, String(STORE_SCHEMA_VERSION));
    })();
    return STORE_SCHEMA_VERSION;
  }
  if (!tables.includes('meta')) {
    throw createError('STORE_ERROR', `${file} is a SQLite file but not a prodsim store (no meta table)`, { file });
  }
  const raw = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(SCHEMA_VERSION_KEY) as string | undefined;
  const version = Number(raw);
  if (!Number.isInteger(version)) {
    throw createError('STORE_ERROR', `store ${file} has no valid schema version`, { file, received: String(raw) });
  }
  if (version > STORE_SCHEMA_VERSION) {
    throw createError(
      'STORE_ERROR',
      `store ${file} has schema version ${version}, newer than this prodsim understands (${STORE_SCHEMA_VERSION}); upgrade prodsim`,
      { file, expected: `<= ${STORE_SCHEMA_VERSION}`, received: String(version) },
    );
  }
  // Version 1 is the first schema: migrations from older versions go here when there are any.
  return version;
}

function migrateMetaToRowidTable(db: Database.Database): void {
  const withoutRowid = () => /WITHOUT\s+ROWID/iu.test(db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).pluck().get() as string);
  if (!withoutRowid()) return;
  // IMMEDIATE, and checked again inside: two processes opening an older store at once migrate it once.
  db.transaction(() => {
    if (!withoutRowid()) return;
    db.exec(`${metaTable('meta_rowid')}; INSERT INTO meta_rowid (key, value) SELECT key, value FROM meta; DROP TABLE meta; ALTER TABLE meta_rowid RENAME TO meta;`);
  }).immediate();
}

/**
 * The synchronous SQLite store: the async contract's SQLite implementation (`./sqlite-store.ts`)
 * wraps it, and the in-memory indexes read it directly. Tests of SQLite specifics use it as is.
 */
export function createSqliteSyncStore(options: Partial<ProductStoreOptions> = {}): SyncProductStore {
  rejectUnknownKeys(options, Object.keys(DEFAULT_PRODUCT_STORE_OPTIONS), 'createProductStore');
  const opts: ProductStoreOptions = { ...DEFAULT_PRODUCT_STORE_OPTIONS, ...options };
  const changeLogLimit = opts.changeLogLimit ?? DEFAULT_PRODUCT_STORE_OPTIONS.changeLogLimit;
  if (!Number.isInteger(changeLogLimit) || changeLogLimit < 1) {
    throw createError('INVALID_ARGUMENT', 'changeLogLimit must be a positive integer', { field: 'changeLogLimit', received: String(changeLogLimit) });
  }
  const db = openDatabase(opts);
  let schemaVersion: number;
  try {
    schemaVersion = ensureSchema(db, opts.path, opts.readonly ?? false);
  } catch (e) {
    db.close();
    throw e;
  }

  // Stores made before this index joined schema version 1 get it on their first writable open.
  if (!opts.readonly) db.exec(`CREATE INDEX IF NOT EXISTS vectors_by_key ON vectors (key)`);
  // Likewise the rowid `meta` table (see metaTable); same columns, so every reader reads either.
  if (!opts.readonly) migrateMetaToRowidTable(db);
  // Likewise the change log, and its id (one transaction, so a log never exists without its id).
  if (!opts.readonly) {
    // IMMEDIATE: a deferred transaction that read before another process wrote cannot write (SQLITE_BUSY at once, no wait).
    db.transaction(() => {
      db.exec(CHANGE_LOG_SCHEMA);
      db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`).run(CHANGE_LOG_ID_KEY, randomUUID());
    }).immediate();
  }
  const hasChangeLog =
    db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'product_changes'`).pluck().get() === 1;
  // The brand as `KeywordFilter.brandIn` compares it (JavaScript's lower case, which SQLite's lower() is not outside ASCII).
  db.function('prodsim_brand', { deterministic: true }, (brand: unknown) => brandColumnValue(typeof brand === 'string' ? brand : null));
  // Term statistics of the keyword index; a temp table so it also works on read-only connections.
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.keyword_vocab USING fts5vocab(main, keyword_index, 'row')`);

  const stmt = {
    insertProduct: db.prepare(
      `INSERT INTO products (id, content_hash, updated_at, category, price, in_stock, json, analyzed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateProduct: db.prepare(
      `UPDATE products SET content_hash = ?, updated_at = ?, category = ?, price = ?, in_stock = ?, json = ?, analyzed = ? WHERE key = ?`,
    ),
    insertKeywords: db.prepare(
      `INSERT INTO keyword_index (rowid, ${ANALYZED_FIELDS.join(', ')}) VALUES (?, ${ANALYZED_FIELDS.map(() => '?').join(', ')})`,
    ),
    deleteKeywords: db.prepare(`DELETE FROM keyword_index WHERE rowid = ?`),
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
  };

  function writeKeywords(key: number, analyzed: AnalyzedProduct): void {
    stmt.insertKeywords.run(key, ...ANALYZED_FIELDS.map((f) => analyzed.tokens[f].join(' ')));
  }

  const reindexProduct = db.prepare(`UPDATE products SET analyzed = ? WHERE key = ?`);

  const changeStmt = hasChangeLog
    ? {
        append: db.prepare(`INSERT INTO product_changes (key, op) VALUES (?, ?)`),
        since: db.prepare(`SELECT seq, key, op FROM product_changes WHERE seq > ? ORDER BY seq`),
        // sqlite_sequence keeps the last seq even when every row was trimmed.
        last: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'product_changes'`).pluck(),
        trim: db.prepare(`DELETE FROM product_changes WHERE seq <= ?`),
      }
    : undefined;
  /** Rows past the limit before a trim: a trim deletes this many rows at once instead of one every write. */
  const trimSlack = Math.max(1, Math.ceil(changeLogLimit / 10));
  const trimmedThrough = (): number => Number(stmt.getMeta.get(CHANGE_LOG_TRIMMED_KEY) ?? 0);
  /** Called inside the writing transaction, like `bumpRevision`. */
  function logChange(key: number, op: ProductChange['op']): void {
    changeStmt?.append.run(key, op);
  }
  function trimChangeLog(): void {
    if (!changeStmt) return;
    const last = Number(changeStmt.last.get() ?? 0);
    const trimmed = trimmedThrough();
    if (last - trimmed <= changeLogLimit + trimSlack) return;
    const through = last - changeLogLimit;
    changeStmt.trim.run(through);
    stmt.setMeta.run(CHANGE_LOG_TRIMMED_KEY, String(through));
  }

  // Stores written before revisions existed get one on their first writable open.
  if (!opts.readonly && stmt.getMeta.get(PRODUCTS_REVISION_KEY) === undefined) stmt.setMeta.run(PRODUCTS_REVISION_KEY, randomUUID());
  /** Read-only handle on such a store: derived once (it scans the products), see `revision()`. */
  let legacyRevision: string | undefined;

  /** Called inside the writing transaction, so the new revision commits (or rolls back) with the rows. */
  /** The revision last read and when (see REVISION_RECHECK_MS). */
  let rememberedRevision: { value: string; readAt: number } | undefined;
  function bumpRevision(): void {
    stmt.setMeta.run(PRODUCTS_REVISION_KEY, randomUUID());
    rememberedRevision = undefined;
  }

  /** `SELECT … IN (?, …)` statements by text (one per arity and query), so batch lookups reuse prepared statements. */
  const inStatements = new Map<string, Database.Statement>();
  function inStatement(sql: string): Database.Statement {
    let st = inStatements.get(sql);
    if (!st) {
      st = db.prepare(sql);
      if (inStatements.size < 64) inStatements.set(sql, st);
    }
    return st;
  }
  const placeholders = (n: readonly unknown[]) => n.map(() => '?').join(',');

  function selectByIds<Row>(columns: string, ids: readonly string[]): Row[] {
    const out: Row[] = [];
    for (const part of chunks(ids, LOOKUP_CHUNK)) {
      out.push(...(inStatement(`SELECT ${columns} FROM products WHERE id IN (${placeholders(part)})`).all(...part) as Row[]));
    }
    return out;
  }

  /**
   * `SELECT columns FROM products p WHERE p.key IN (…) [AND where] ORDER BY p.key` over the distinct
   * keys, in chunks; `params` bind the placeholders of `where`.
   */
  function selectByKeys<Row>(columns: string, keys: readonly number[], where = '', params: readonly unknown[] = []): Row[] {
    const out: Row[] = [];
    for (const part of chunks([...new Set(keys)].sort((a, b) => a - b), LOOKUP_CHUNK)) {
      const sql = `SELECT ${columns} FROM products p WHERE p.key IN (${placeholders(part)})${where ? ` AND ${where}` : ''} ORDER BY p.key`;
      out.push(...(inStatement(sql).all(...part, ...params) as Row[]));
    }
    return out;
  }

  const upsertTx = db.transaction((batch: readonly UpsertItem[], reindex: boolean): UpsertResult[] => {
    const now = Date.now();
    const results: UpsertResult[] = [];
    // One lookup for the batch; kept current as the batch is written, so a repeated id sees its earlier record.
    const existingById = new Map<string, { key: number; content_hash: string }>();
    const ids = [...new Set(batch.map((b) => b.product.id))];
    for (const r of selectByIds<{ id: string; key: number; content_hash: string }>('id, key, content_hash', ids)) existingById.set(r.id, r);
    for (const { product, analyzed } of batch) {
      const json = canonicalProductJson(product);
      const hash = contentHashOfJson(json);
      const existing = existingById.get(product.id);
      if (existing && existing.content_hash === hash) {
        if (reindex) {
          reindexProduct.run(JSON.stringify(analyzed), existing.key);
          stmt.deleteKeywords.run(existing.key);
          writeKeywords(existing.key, analyzed);
          logChange(existing.key, 'upsert');
        }
        results.push({ id: product.id, key: existing.key, status: 'unchanged', contentHash: hash });
        continue;
      }
      const levels = categoryLevels(product.category);
      const category = levels.length > 0 ? levels.join('/') : null;
      const price = product.price ?? null;
      const inStock = product.inStock === undefined ? null : product.inStock ? 1 : 0;
      const analyzedJson = JSON.stringify(analyzed);
      if (existing) {
        stmt.updateProduct.run(hash, now, category, price, inStock, json, analyzedJson, existing.key);
        stmt.deleteKeywords.run(existing.key);
        writeKeywords(existing.key, analyzed);
        logChange(existing.key, 'upsert');
        existing.content_hash = hash;
        results.push({ id: product.id, key: existing.key, status: 'updated', contentHash: hash });
      } else {
        const key = Number(stmt.insertProduct.run(product.id, hash, now, category, price, inStock, json, analyzedJson).lastInsertRowid);
        writeKeywords(key, analyzed);
        logChange(key, 'upsert');
        existingById.set(product.id, { key, content_hash: hash });
        results.push({ id: product.id, key, status: 'added', contentHash: hash });
      }
    }
    if (reindex || results.some((r) => r.status !== 'unchanged')) {
      bumpRevision();
      trimChangeLog();
    }
    return results;
  });

  const deleteTx = db.transaction((ids: readonly string[]): number => {
    let n = 0;
    for (const id of ids) {
      const key = stmt.idToKey.get(id) as number | undefined;
      if (key === undefined) continue;
      stmt.deleteKeywords.run(key);
      stmt.deleteVectorsOf.run(key);
      stmt.deleteProduct.run(key);
      logChange(key, 'delete');
      n++;
    }
    if (n > 0) {
      bumpRevision();
      trimChangeLog();
    }
    return n;
  });

  const putLabelsTx = db.transaction((labels: readonly PairLabel[]): number => {
    const now = Date.now();
    for (const l of labels) {
      if (!Number.isFinite(l.label)) {
        throw createError('INVALID_ARGUMENT', `label for (${l.leftId}, ${l.rightId}) is not a finite number`, {
          field: 'label',
          received: String(l.label),
        });
      }
      stmt.putLabel.run(l.leftId, l.rightId, l.source, l.label, l.createdAt ?? now);
    }
    return labels.length;
  });

  const putVectorsTx = db.transaction((encoderId: string, vectors: readonly VectorInput[]) => {
    let dim = stmt.vectorDim.get(encoderId) as number | undefined;
    for (const v of vectors) {
      dim ??= v.vector.length;
      if (v.vector.length !== dim) {
        throw createError('DIM_MISMATCH', `encoder ${encoderId}: stored vectors have dimension ${dim}, got ${v.vector.length} for ${v.id}`, {
          expected: String(dim),
          received: String(v.vector.length),
        });
      }
      const row = stmt.keyAndHash.get(v.id) as { key: number } | undefined;
      if (!row) throw createError('PRODUCT_NOT_FOUND', `cannot store a vector for unknown product ${v.id}`, { field: 'id', received: v.id });
      stmt.putVector.run(encoderId, row.key, v.contentHash, dim, vectorToBlob(v.vector));
    }
  });

  const keywordStatements = new Map<string, Database.Statement>();
  // Counting a common token's products reads its whole posting list, so counts are cached until the next write.
  const dfCache = new Map<string, number>();

  function documentFrequencies(tokens: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of tokens) {
      if (out.has(t)) continue;
      let n = dfCache.get(t);
      if (n === undefined) {
        n = (stmt.documentFrequency.get(t) as number | undefined) ?? 0;
        if (dfCache.size >= DF_CACHE_LIMIT) dfCache.clear();
        dfCache.set(t, n);
      }
      out.set(t, n);
    }
    return out;
  }

  function keywordSearch(queryTokens: readonly string[], options: KeywordSearchOptions): KeywordHit[] {
    const { k, filter = {} } = options;
    if (!Number.isInteger(k) || k < 1) {
      throw createError('INVALID_ARGUMENT', `keywordSearch: k must be a positive integer`, { field: 'k', received: String(k) });
    }
    const phrases = toFtsPhrases(queryTokens);
    if (phrases.length === 0) return [];
    const where: string[] = ['keyword_index MATCH @match'];
    const params: Record<string, unknown> = { k };
    const prefixLevels = categoryLevels(filter.categoryPrefix);
    if (prefixLevels.length > 0) {
      const prefix = prefixLevels.join('/');
      where.push(`(p.category = @cat OR substr(p.category, 1, @catLen) = @catSlash)`);
      params.cat = prefix;
      params.catSlash = `${prefix}/`;
      params.catLen = [...`${prefix}/`].length;
    }
    if (filter.minPrice !== undefined) {
      where.push('p.price >= @minPrice');
      params.minPrice = filter.minPrice;
    }
    if (filter.maxPrice !== undefined) {
      where.push('p.price <= @maxPrice');
      params.maxPrice = filter.maxPrice;
    }
    if (filter.inStock !== undefined) {
      where.push('p.in_stock = @inStock');
      params.inStock = filter.inStock ? 1 : 0;
    }
    if (filter.brandIn !== undefined) {
      // Read from the product JSON (no brand column): a filter on brand scans the matching rows' JSON.
      where.push(`prodsim_brand(json_extract(p.json, '$.brand')) IN (SELECT value FROM json_each(@brands))`);
      params.brands = JSON.stringify([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null));
    }
    const sql = `SELECT p.id AS id, p.key AS key, bm25(keyword_index, ${BM25_WEIGHTS}) AS rank
      FROM keyword_index JOIN products p ON p.key = keyword_index.rowid
      WHERE ${where.join(' AND ')} ORDER BY rank LIMIT @k`;
    let st = keywordStatements.get(sql);
    if (!st) {
      st = db.prepare(sql);
      keywordStatements.set(sql, st);
    }
    const run = (match: string): KeywordHit[] =>
      // SQLite's bm25() is "lower is better" (negative); flip it so higher is better everywhere.
      (st.all({ ...params, match }) as { id: string; key: number; rank: number }[]).map((r) => ({ id: r.id, key: r.key, score: -r.rank }));

    const mode = options.match ?? 'any';
    if (phrases.length === 1) return run(phrases[0]!);
    // All tokens first: an AND query only walks products that have every token, so it stays fast
    // where an OR over common tokens must score a large part of the catalog. Its bm25 equals the OR
    // query's bm25 for those products (every phrase matches), so when it fills k the answer is the
    // OR ranking restricted to the best-covered products.
    const all = run(phrases.join(' AND '));
    if (mode === 'all' || (KEYWORD_ALL_TOKENS_FIRST && all.length >= k)) return all;
    const products = stmt.count.get() as number;
    if (products >= KEYWORD_COMMON_TOKEN_PRUNING.minProducts) {
      const limit = KEYWORD_COMMON_TOKEN_PRUNING.commonFraction * products;
      const tokens = phraseTokens(queryTokens);
      const df = documentFrequencies(tokens);
      const rare = phrases.filter((_, i) => (df.get(tokens[i]!) ?? 0) <= limit);
      if (rare.length > 0 && rare.length < phrases.length) {
        const pruned = run(rare.join(' OR '));
        if (pruned.length >= k) return pruned;
      }
    }
    return run(phrases.join(' OR '));
  }

  function fileSize(p: string): number {
    try {
      return fs.statSync(p).size;
    } catch {
      return 0;
    }
  }

  const store: SyncProductStore = {
    path: opts.path,
    upsertProducts(batch, upsertOptions = {}) {
      rejectUnknownKeys(upsertOptions, ['reindex'], 'upsertProducts');
      if (batch.length === 0) return [];
      dfCache.clear();
      try {
        return upsertTx(batch, upsertOptions.reindex ?? false);
      } catch (e) {
        if (isProdsimError(e)) throw e;
        return storeError('upsert failed', e, opts.path);
      } finally {
        rememberedRevision = undefined; // committed or rolled back: read it again
      }
    },
    deleteProducts(ids) {
      dfCache.clear();
      try {
        return deleteTx(ids);
      } finally {
        rememberedRevision = undefined;
      }
    },
    getProduct(id) {
      const row = stmt.getProduct.get(id) as ProductRow | undefined;
      return row ? rowToStored(row) : undefined;
    },
    getAnalyzedProducts(ids) {
      const byId = new Map<string, StoredProduct & { analyzed: AnalyzedProduct }>();
      for (const r of selectByIds<AnalyzedRow>(ANALYZED_ROW_COLUMNS, ids)) byId.set(r.id, analyzedRowToStored(r));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    getAnalyzedProductsByKeys(keys) {
      return selectByKeys<AnalyzedRow>(ANALYZED_ROW_COLUMNS, keys).map(analyzedRowToStored);
    },
    getProducts(ids) {
      const byId = new Map<string, StoredProduct>();
      for (const r of selectByIds<ProductRow>('key, id, content_hash, updated_at, json', ids)) byId.set(r.id, rowToStored(r));
      const out: StoredProduct[] = [];
      for (const id of ids) {
        const p = byId.get(id);
        if (p) out.push(p);
      }
      return out;
    },
    getAnalyzed(id) {
      const raw = stmt.getAnalyzed.get(id) as string | undefined;
      return raw === undefined ? undefined : (JSON.parse(raw) as AnalyzedProduct);
    },
    contentHashes(ids) {
      const out = new Map<string, string>();
      for (const r of selectByIds<{ id: string; content_hash: string }>('id, content_hash', ids)) out.set(r.id, r.content_hash);
      return out;
    },
    *iterateProducts(options = {}) {
      rejectUnknownKeys(options, ['withAnalyzed'], 'iterateProducts');
      if (options.withAnalyzed) {
        for (const row of stmt.iterateAnalyzed.iterate() as IterableIterator<ProductRow & { analyzed: string }>) {
          yield { ...rowToStored(row), analyzed: JSON.parse(row.analyzed) as AnalyzedProduct };
        }
      } else {
        for (const row of stmt.iterate.iterate() as IterableIterator<ProductRow>) yield rowToStored(row);
      }
    },
    *iterateKeywordRows() {
      const rows = stmt.iterateKeywordRows.iterate() as IterableIterator<KeywordRowRecord>;
      for (const r of rows) yield toKeywordRow(r);
    },
    keywordRowsOf(keys) {
      return selectByKeys<KeywordRowRecord>(`key, id, category, price, in_stock, json_extract(json, '$.brand') AS brand, analyzed`, keys).map(toKeywordRow);
    },
    modelNumbersOf(keys) {
      type Row = { key: number; id: string; codes: string | null };
      const toEntry = (r: Row) => ({ key: r.key, id: r.id, modelNumbers: r.codes ? (JSON.parse(r.codes) as string[]) : [] });
      const columns = `key, id, json_extract(analyzed, '$.modelNumbers') AS codes`;
      const rows = keys === undefined ? (db.prepare(`SELECT ${columns} FROM products ORDER BY key`).all() as Row[]) : selectByKeys<Row>(columns, keys);
      return rows.map(toEntry);
    },
    changesSince(seq) {
      if (!changeStmt || !Number.isInteger(seq) || seq < trimmedThrough()) return undefined;
      if (seq > Number(changeStmt.last.get() ?? 0)) return undefined;
      return changeStmt.since.all(seq) as ProductChange[];
    },
    changeSeq: () => (changeStmt ? Number(changeStmt.last.get() ?? 0) : 0),
    changeLogId: () => (hasChangeLog ? ((stmt.getMeta.get(CHANGE_LOG_ID_KEY) as string | undefined) ?? '') : ''),
    count: () => stmt.count.get() as number,
    revision() {
      const now = performance.now();
      if (rememberedRevision && now - rememberedRevision.readAt < REVISION_RECHECK_MS) return rememberedRevision.value;
      const stored = stmt.getMeta.get(PRODUCTS_REVISION_KEY) as string | undefined;
      if (stored !== undefined) {
        rememberedRevision = { value: stored, readAt: now };
        return stored;
      }
      // Only a read-only handle on a store last written before revisions existed gets here; this
      // process cannot write it, and any newer prodsim that does stores a revision, read above.
      if (legacyRevision === undefined) {
        const r = stmt.legacyRevision.get() as { n: number; maxKey: number | null; maxUpdated: number | null };
        legacyRevision = `legacy:${r.n}:${r.maxKey ?? 0}:${r.maxUpdated ?? 0}`;
      }
      return legacyRevision;
    },
    idToKey: (id) => stmt.idToKey.get(id) as number | undefined,
    keyToId: (key) => stmt.keyToId.get(key) as string | undefined,
    idsToKeys(ids) {
      const byId = new Map<string, number>();
      for (const r of selectByIds<{ id: string; key: number }>('id, key', ids)) byId.set(r.id, r.key);
      return ids.map((id) => byId.get(id));
    },
    keysToIds(keys) {
      const byKey = new Map<number, string>();
      for (const r of selectByKeys<{ key: number; id: string }>('key, id', keys)) byKey.set(r.key, r.id);
      return keys.map((k) => byKey.get(k));
    },
    documentFrequencies,
    keywordSearch,

    putLabels: (labels) => putLabelsTx(labels),
    getLabels(options = {}) {
      rejectUnknownKeys(options, ['source', 'id'], 'getLabels');
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (options.source !== undefined) {
        where.push('source = @source');
        params.source = options.source;
      }
      if (options.id !== undefined) {
        where.push('(left_id = @id OR right_id = @id)');
        params.id = options.id;
      }
      const rows = db
        .prepare(
          `SELECT left_id, right_id, source, label, created_at FROM labels ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at, left_id, right_id`,
        )
        .all(params) as { left_id: string; right_id: string; source: string; label: number; created_at: number }[];
      return rows.map((r) => ({ leftId: r.left_id, rightId: r.right_id, label: r.label, source: r.source, createdAt: r.created_at }));
    },
    deleteLabels(options = {}) {
      rejectUnknownKeys(options, ['source'], 'deleteLabels');
      const info =
        options.source === undefined
          ? db.prepare(`DELETE FROM labels`).run()
          : db.prepare(`DELETE FROM labels WHERE source = ?`).run(options.source);
      return info.changes;
    },
    countLabels(source) {
      return (
        source === undefined
          ? db.prepare(`SELECT count(*) FROM labels`).pluck().get()
          : db.prepare(`SELECT count(*) FROM labels WHERE source = ?`).pluck().get(source)
      ) as number;
    },

    putVectors(encoderId, vectors) {
      if (vectors.length > 0) putVectorsTx(encoderId, vectors);
    },
    getVector(encoderId, id) {
      const blob = stmt.getVector.get(encoderId, id) as Buffer | undefined;
      return blob ? blobToVector(blob) : undefined;
    },
    vectorEncodersOf: (id) => stmt.encodersWithVector.all(id) as string[],
    getCachedVector(encoderId, contentHash) {
      const blob = stmt.cachedVector.get(encoderId, contentHash) as Buffer | undefined;
      return blob ? blobToVector(blob) : undefined;
    },
    productsWithoutVector(encoderId, keys) {
      type Row = { id: string; key: number; contentHash: string };
      if (keys === undefined) return stmt.productsWithoutVector.all(encoderId) as Row[];
      return selectByKeys<Row>('p.id, p.key, p.content_hash AS contentHash', keys, WITHOUT_CURRENT_VECTOR, [encoderId]);
    },
    cachedHashes(encoderId, hashes) {
      const out = new Set<string>();
      for (const part of chunks(hashes, LOOKUP_CHUNK)) {
        const rows = inStatement(`SELECT DISTINCT content_hash FROM vectors WHERE encoder_id = ? AND content_hash IN (${placeholders(part)})`)
          .pluck()
          .all(encoderId, ...part) as string[];
        for (const h of rows) out.add(h);
      }
      return out;
    },
    *vectorsFor(encoderId) {
      const rows = stmt.vectorsFor.iterate(encoderId) as IterableIterator<{ id: string; key: number; content_hash: string; vector: Buffer }>;
      for (const r of rows) yield { id: r.id, key: r.key, contentHash: r.content_hash, vector: blobToVector(r.vector) } satisfies StoredVector;
    },

    transaction: (fn) => db.transaction(fn)(),

    getMeta: (key) => stmt.getMeta.get(key) as string | undefined,
    setMeta(key, value) {
      if (key === SCHEMA_VERSION_KEY || key === PRODUCTS_REVISION_KEY || key === CHANGE_LOG_ID_KEY || key === CHANGE_LOG_TRIMMED_KEY) {
        throw createError('INVALID_ARGUMENT', `meta key "${key}" is managed by the store`, { field: 'key' });
      }
      stmt.setMeta.run(key, value);
    },
    deleteEncoderVectors(encoderId) {
      return db.prepare(`DELETE FROM vectors WHERE encoder_id = ?`).run(encoderId).changes;
    },
    compact() {
      db.exec('VACUUM');
      // A WAL store keeps the rewritten pages in its -wal file until a checkpoint gives them back.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    stats(): StoreStats {
      const products = store.count();
      const vectors: StoreStats['vectors'] = {};
      const rows = db.prepare(`SELECT encoder_id, count(*) AS n, max(dim) AS dim FROM vectors GROUP BY encoder_id`).all() as {
        encoder_id: string;
        n: number;
        dim: number;
      }[];
      for (const r of rows) vectors[r.encoder_id] = { count: r.n, dimension: r.dim };
      const sizeBytes =
        opts.path === ':memory:'
          ? (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number)
          : fileSize(opts.path) + fileSize(`${opts.path}-wal`);
      return {
        path: opts.path,
        schemaVersion,
        products,
        labels: store.countLabels(),
        vectors,
        sizeBytes,
        bytesPerProduct: products > 0 ? Math.round(sizeBytes / products) : 0,
      };
    },
    close() {
      if (!db.open) return;
      // Leave the file in rollback-journal mode (WAL is set again at the next writable open): a
      // WAL file needs its -shm beside it even to be read, which a reader of a store in a folder it
      // may not write cannot create. Another connection still open keeps WAL (SQLITE_BUSY, ignored);
      // the last writer to close switches.
      if (!opts.readonly && opts.path !== ':memory:') {
        try {
          // Without waiting: another connection holding the store is the common case (a server).
          db.pragma('busy_timeout = 0');
          db.pragma('journal_mode = DELETE');
        } catch {
          // another process has the store open: it switches when it closes
        }
      }
      db.close();
    },

    productsPage(afterKey, limit, withAnalyzed) {
      if (withAnalyzed) return (pageStmt.analyzed.all(afterKey, limit) as AnalyzedRow[]).map(analyzedRowToStored);
      return (pageStmt.products.all(afterKey, limit) as ProductRow[]).map(rowToStored);
    },
    keywordRowsPage: (afterKey, limit) => (pageStmt.keywordRows.all(afterKey, limit) as KeywordRowRecord[]).map(toKeywordRow),
    vectorsPage(encoderId, afterKey, limit) {
      const rows = pageStmt.vectors.all(encoderId, afterKey, limit) as { id: string; key: number; content_hash: string; vector: Buffer }[];
      return rows.map((r) => ({ id: r.id, key: r.key, contentHash: r.content_hash, vector: blobToVector(r.vector) }));
    },
    nearestNeighbours(encoderId, vector, options) {
      return exactNearest(store, encoderId, vector, options);
    },
    brands() {
      const rows = db.prepare(`SELECT DISTINCT json_extract(json, '$.brand') FROM products`).pluck().all();
      return [...new Set(rows.map((b) => brandColumnValue(typeof b === 'string' ? b : null)).filter((b): b is string => b !== null))].sort();
    },
    exec(sql) {
      db.exec(sql);
    },
    get inTransaction() {
      return db.inTransaction;
    },
  };
  const pageStmt = {
    products: db.prepare(`SELECT key, id, content_hash, updated_at, json FROM products WHERE key > ? ORDER BY key LIMIT ?`),
    analyzed: db.prepare(`SELECT ${ANALYZED_ROW_COLUMNS} FROM products WHERE key > ? ORDER BY key LIMIT ?`),
    keywordRows: db.prepare(
      `SELECT key, id, category, price, in_stock, json_extract(json, '$.brand') AS brand, analyzed FROM products WHERE key > ? ORDER BY key LIMIT ?`,
    ),
    vectors: db.prepare(
      `SELECT p.id, p.key, v.content_hash, v.vector FROM vectors v JOIN products p ON p.key = v.key
       WHERE v.encoder_id = ? AND v.content_hash = p.content_hash AND v.key > ? ORDER BY v.key LIMIT ?`,
    ),
  };
  return store;
}

/**
 * Exact cosine nearest neighbours over an encoder's current vectors, filtered by the keyword-row
 * columns: what `nearestNeighbours` means, answered by a scan (the engine's SQLite path uses the
 * in-memory ANN index; this serves tools and the contract tests).
 */
function exactNearest(store: SyncProductStore, encoderId: string, vector: Float32Array, options: NearestNeighboursOptions): NeighbourRow[] {
  const { k, filter, excludeIds } = options;
  const passes = filter ? keywordRowFilter(filter) : undefined;
  const rows = passes ? new Map(iterateAll((after) => store.keywordRowsPage(after, 1000)).map((r) => [r.key, r])) : undefined;
  const norm = Math.hypot(...vector) || 1;
  const scored: NeighbourRow[] = [];
  for (const v of iterateAll((after) => store.vectorsPage(encoderId, after, 1000))) {
    if (excludeIds?.has(v.id)) continue;
    if (rows && passes) {
      const row = rows.get(v.key);
      if (!row || !passes(row)) continue;
    }
    let dot = 0;
    for (let i = 0; i < vector.length; i++) dot += vector[i]! * (v.vector[i] ?? 0);
    scored.push({ id: v.id, key: v.key, similarity: dot / (norm * (Math.hypot(...v.vector) || 1)) });
  }
  return scored.sort((a, b) => b.similarity - a.similarity || a.key - b.key).slice(0, k);
}

function iterateAll<T extends { key: number }>(page: (afterKey: number) => T[]): T[] {
  const out: T[] = [];
  for (let after = 0; ; ) {
    const rows = page(after);
    if (rows.length === 0) return out;
    out.push(...rows);
    after = rows[rows.length - 1]!.key;
  }
}

/** `KeywordFilter` on a keyword row, with the SQL filter's rules (category by whole levels, unknown stock passes neither value). */
export function keywordRowFilter(filter: KeywordFilter): (row: KeywordRow) => boolean {
  const prefix = categoryLevels(filter.categoryPrefix).join('/');
  const brands = filter.brandIn ? new Set([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null)) : undefined;
  return (row) => {
    if (prefix !== '' && !(row.category === prefix || (row.category ?? '').startsWith(`${prefix}/`))) return false;
    if (filter.minPrice !== undefined && !(row.price !== null && row.price >= filter.minPrice)) return false;
    if (filter.maxPrice !== undefined && !(row.price !== null && row.price <= filter.maxPrice)) return false;
    if (filter.inStock !== undefined && row.inStock !== filter.inStock) return false;
    if (brands && !brands.has(brandColumnValue(row.brand) ?? '')) return false;
    return true;
  };
}
