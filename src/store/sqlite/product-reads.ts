/** Product reads of the SQLite store: by id, by key, in pages, and the change log and revision the indexes follow. */
import { brandColumnValue, type AnalyzedProduct, type ProductChange, type StoredProduct, type SyncProductStore } from '../store.ts';
import { rejectUnknownKeys } from '../../errors.ts';
import {
  ANALYZED_ROW_COLUMNS,
  analyzedRowToStored,
  rowToStored,
  toKeywordRow,
  type AnalyzedRow,
  type KeywordRowRecord,
  type ProductRow,
} from './rows.ts';
import { CHANGE_LOG_ID_KEY, PRODUCTS_REVISION_KEY, REVISION_RECHECK_MS } from './schema.ts';
import { selectByIds, selectByKeys, trimmedThrough, type SqliteStoreState } from './state.ts';

type ProductReadMethods =
  | 'getProduct'
  | 'getAnalyzedProducts'
  | 'getAnalyzedProductsByKeys'
  | 'getProducts'
  | 'getAnalyzed'
  | 'contentHashes'
  | 'iterateProducts'
  | 'iterateKeywordRows'
  | 'keywordRowsOf'
  | 'modelNumbersOf'
  | 'changesSince'
  | 'changeSeq'
  | 'changeLogId'
  | 'count'
  | 'revision'
  | 'idToKey'
  | 'keyToId'
  | 'idsToKeys'
  | 'keysToIds'
  | 'productsPage'
  | 'keywordRowsPage'
  | 'brands';

export function productReads(s: SqliteStoreState): Pick<SyncProductStore, ProductReadMethods> {
  return {
    getProduct(id) {
      const row = s.stmt.getProduct.get(id) as ProductRow | undefined;
      return row ? rowToStored(row) : undefined;
    },
    getAnalyzedProducts(ids) {
      const byId = new Map<string, StoredProduct & { analyzed: AnalyzedProduct }>();
      for (const r of selectByIds<AnalyzedRow>(s, ANALYZED_ROW_COLUMNS, ids)) byId.set(r.id, analyzedRowToStored(r));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    getAnalyzedProductsByKeys(keys) {
      return selectByKeys<AnalyzedRow>(s, ANALYZED_ROW_COLUMNS, keys).map(analyzedRowToStored);
    },
    getProducts(ids) {
      const byId = new Map<string, StoredProduct>();
      for (const r of selectByIds<ProductRow>(s, 'key, id, content_hash, updated_at, json', ids)) byId.set(r.id, rowToStored(r));
      const out: StoredProduct[] = [];
      for (const id of ids) {
        const p = byId.get(id);
        if (p) out.push(p);
      }
      return out;
    },
    getAnalyzed(id) {
      const raw = s.stmt.getAnalyzed.get(id) as string | undefined;
      return raw === undefined ? undefined : (JSON.parse(raw) as AnalyzedProduct);
    },
    contentHashes(ids) {
      const out = new Map<string, string>();
      for (const r of selectByIds<{ id: string; content_hash: string }>(s, 'id, content_hash', ids)) out.set(r.id, r.content_hash);
      return out;
    },
    *iterateProducts(options = {}) {
      rejectUnknownKeys(options, ['withAnalyzed'], 'iterateProducts');
      if (options.withAnalyzed) {
        for (const row of s.stmt.iterateAnalyzed.iterate() as IterableIterator<ProductRow & { analyzed: string }>) {
          yield { ...rowToStored(row), analyzed: JSON.parse(row.analyzed) as AnalyzedProduct };
        }
      } else {
        for (const row of s.stmt.iterate.iterate() as IterableIterator<ProductRow>) yield rowToStored(row);
      }
    },
    *iterateKeywordRows() {
      const rows = s.stmt.iterateKeywordRows.iterate() as IterableIterator<KeywordRowRecord>;
      for (const r of rows) yield toKeywordRow(r);
    },
    keywordRowsOf(keys) {
      return selectByKeys<KeywordRowRecord>(s, `key, id, category, price, in_stock, json_extract(json, '$.brand') AS brand, analyzed`, keys).map(toKeywordRow);
    },
    modelNumbersOf(keys) {
      type Row = { key: number; id: string; codes: string | null };
      const toEntry = (r: Row) => ({ key: r.key, id: r.id, modelNumbers: r.codes ? (JSON.parse(r.codes) as string[]) : [] });
      const columns = `key, id, json_extract(analyzed, '$.modelNumbers') AS codes`;
      const rows = keys === undefined ? (s.db.prepare(`SELECT ${columns} FROM products ORDER BY key`).all() as Row[]) : selectByKeys<Row>(s, columns, keys);
      return rows.map(toEntry);
    },
    changesSince(seq) {
      if (!s.changeStmt || !Number.isInteger(seq) || seq < trimmedThrough(s)) return undefined;
      if (seq > Number(s.changeStmt.last.get() ?? 0)) return undefined;
      return s.changeStmt.since.all(seq) as ProductChange[];
    },
    changeSeq: () => (s.changeStmt ? Number(s.changeStmt.last.get() ?? 0) : 0),
    changeLogId: () => (s.hasChangeLog ? ((s.stmt.getMeta.get(CHANGE_LOG_ID_KEY) as string | undefined) ?? '') : ''),
    count: () => s.stmt.count.get() as number,
    revision() {
      const now = performance.now();
      if (s.rememberedRevision && now - s.rememberedRevision.readAt < REVISION_RECHECK_MS) return s.rememberedRevision.value;
      const stored = s.stmt.getMeta.get(PRODUCTS_REVISION_KEY) as string | undefined;
      if (stored !== undefined) {
        s.rememberedRevision = { value: stored, readAt: now };
        return stored;
      }
      // Only a read-only handle on a store last written before revisions existed gets here; this
      // process cannot write it, and any newer prodsim that does stores a revision, read above.
      if (s.legacyRevision === undefined) {
        const r = s.stmt.legacyRevision.get() as { n: number; maxKey: number | null; maxUpdated: number | null };
        s.legacyRevision = `legacy:${r.n}:${r.maxKey ?? 0}:${r.maxUpdated ?? 0}`;
      }
      return s.legacyRevision;
    },
    idToKey: (id) => s.stmt.idToKey.get(id) as number | undefined,
    keyToId: (key) => s.stmt.keyToId.get(key) as string | undefined,
    idsToKeys(ids) {
      const byId = new Map<string, number>();
      for (const r of selectByIds<{ id: string; key: number }>(s, 'id, key', ids)) byId.set(r.id, r.key);
      return ids.map((id) => byId.get(id));
    },
    keysToIds(keys) {
      const byKey = new Map<number, string>();
      for (const r of selectByKeys<{ key: number; id: string }>(s, 'key, id', keys)) byKey.set(r.key, r.id);
      return keys.map((k) => byKey.get(k));
    },
    productsPage(afterKey, limit, withAnalyzed) {
      if (withAnalyzed) return (s.pageStmt.analyzed.all(afterKey, limit) as AnalyzedRow[]).map(analyzedRowToStored);
      return (s.pageStmt.products.all(afterKey, limit) as ProductRow[]).map(rowToStored);
    },
    keywordRowsPage: (afterKey, limit) => (s.pageStmt.keywordRows.all(afterKey, limit) as KeywordRowRecord[]).map(toKeywordRow),
    brands() {
      const rows = s.db.prepare(`SELECT DISTINCT json_extract(json, '$.brand') FROM products`).pluck().all();
      return [...new Set(rows.map((b) => brandColumnValue(typeof b === 'string' ? b : null)).filter((b): b is string => b !== null))].sort();
    },
  };
}
