/**
 * The SQLite store's file: opening it (WAL, pragmas), its schema and the migrations a writable open
 * applies to stores made by older prodsim versions.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createError } from '../../errors.ts';
import { ANALYZED_FIELDS, STORE_SCHEMA_VERSION, brandColumnValue, type AnalyzedProduct, type ProductStoreOptions } from '../store.ts';

/**
 * `meta` is a rowid table (its key in an index beside it): it holds the text encoder's fitted state,
 * 10.9 MB at 1M products. In a WITHOUT ROWID table that value sits in the key's B-tree cell, and a
 * lookup of a neighbouring key (`textSpace.stateId`, read on every refresh) compared against it:
 * ~2.5 ms at 1M instead of microseconds.
 */
const metaTable = (name: string): string => `CREATE TABLE ${name} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

/**
 * The keyword index: contentless FTS5. Rows are removed with FTS5's `delete` command given the
 * tokens they were written with (the product's stored analysis), so FTS5's statistics (document
 * count, column lengths, document frequencies: bm25's inputs) stay those of the stored products.
 * Stores made before this used `contentless_delete=1`, whose plain DELETE cannot take a row's tokens
 * out of the column-length totals (bm25 drifted with every update and delete); a writable open
 * rebuilds their index in this form (`migrateKeywordIndex`).
 */
const KEYWORD_INDEX_SCHEMA = `CREATE VIRTUAL TABLE keyword_index USING fts5(
  ${ANALYZED_FIELDS.join(', ')},
  content='', tokenize='unicode61 remove_diacritics 2'
)`;

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
${KEYWORD_INDEX_SCHEMA};
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
export const CHANGE_LOG_TRIMMED_KEY = 'products.change_log_trimmed';

export const SCHEMA_VERSION_KEY = 'schema_version';
/** Meta key of `ProductStore.revision()`: a fresh random value on every product write (managed by the store). */
export const PRODUCTS_REVISION_KEY = 'products.revision';
/**
 * How long `revision()` trusts the value it last read before reading the meta row again. Indexes ask
 * on every query, and the read was ~14 µs of the ANN layer's ~60 µs over usearch. This handle's own
 * writes are seen at once (they drop the remembered value); another process's within this time.
 */
export const REVISION_RECHECK_MS = 250;

export function storeError(message: string, cause: unknown, file?: string): never {
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
    // Into a catalogue error: better-sqlite3's open error becomes STORE_ERROR, with the WAL case explained.
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
 * Rebuilds a `contentless_delete=1` keyword index (see KEYWORD_INDEX_SCHEMA) from the products'
 * stored analysis, in one IMMEDIATE transaction (checked again inside, like the meta migration).
 */
function migrateKeywordIndex(db: Database.Database): void {
  const legacy = () => /contentless_delete/iu.test((db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keyword_index'`).pluck().get() as string | undefined) ?? '');
  if (!legacy()) return;
  db.transaction(() => {
    if (!legacy()) return;
    db.exec(`DROP TABLE keyword_index; ${KEYWORD_INDEX_SCHEMA};`);
    const insert = db.prepare(`INSERT INTO keyword_index (rowid, ${ANALYZED_FIELDS.join(', ')}) VALUES (?, ${ANALYZED_FIELDS.map(() => '?').join(', ')})`);
    // In pages by key: better-sqlite3 cannot write on a connection while it iterates a read.
    const page = db.prepare(`SELECT key, analyzed FROM products WHERE key > ? ORDER BY key LIMIT 1000`);
    for (let after = 0; ; ) {
      const rows = page.all(after) as { key: number; analyzed: string }[];
      if (rows.length === 0) break;
      for (const row of rows) insert.run(row.key, ...keywordColumns(JSON.parse(row.analyzed) as Pick<AnalyzedProduct, 'tokens'>));
      after = rows[rows.length - 1]!.key;
    }
  }).immediate();
}

/** The keyword index's column values of an analysed product, in ANALYZED_FIELDS order. */
export function keywordColumns(analyzed: Pick<AnalyzedProduct, 'tokens'>): string[] {
  return ANALYZED_FIELDS.map((f) => analyzed.tokens[f].join(' '));
}

/** An open store file with its schema checked and brought up to date (writable opens only). */
export interface OpenedStoreFile {
  db: Database.Database;
  schemaVersion: number;
  /** False on a read-only handle of a store made before the change log existed. */
  hasChangeLog: boolean;
}

/** Opens the store file, checks its schema and applies the migrations of a writable open. */
export function openStoreFile(opts: ProductStoreOptions): OpenedStoreFile {
  const db = openDatabase(opts);
  let schemaVersion: number;
  try {
    schemaVersion = ensureSchema(db, opts.path, opts.readonly ?? false);
  } catch (e) {
    // Clean up and rethrow: the database is closed so a failed open leaks no handle.
    db.close();
    throw e;
  }

  // Stores made before this index joined schema version 1 get it on their first writable open.
  if (!opts.readonly) db.exec(`CREATE INDEX IF NOT EXISTS vectors_by_key ON vectors (key)`);
  // Likewise the rowid `meta` table (see metaTable); same columns, so every reader reads either.
  if (!opts.readonly) migrateMetaToRowidTable(db);
  // Likewise the keyword index without drifting statistics.
  if (!opts.readonly) migrateKeywordIndex(db);
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
  // Stores written before revisions existed get one on their first writable open.
  if (!opts.readonly && db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(PRODUCTS_REVISION_KEY) === undefined) {
    db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(PRODUCTS_REVISION_KEY, randomUUID());
  }
  return { db, schemaVersion, hasChangeLog };
}
