/** Product writes of the SQLite store: upserts and deletes, each one transaction with its change-log rows and a new revision. */
import { categoryLevels } from '../../catalog/product.ts';
import { isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import { canonicalProductJson, contentHashOfJson } from '../product-record.ts';
import type { SyncProductStore, UpsertItem, UpsertResult } from '../store.ts';
import { storeError } from './schema.ts';
import { bumpRevision, logChange, removeKeywordsOf, selectByIds, trimChangeLog, writeKeywords, type SqliteStoreState } from './state.ts';

export function productWrites(s: SqliteStoreState): Pick<SyncProductStore, 'upsertProducts' | 'deleteProducts'> {
  const upsertTx = s.db.transaction((batch: readonly UpsertItem[], reindex: boolean): UpsertResult[] => {
    const now = Date.now();
    const results: UpsertResult[] = [];
    // One lookup for the batch; kept current as the batch is written, so a repeated id sees its earlier record.
    const existingById = new Map<string, { key: number; content_hash: string }>();
    const ids = [...new Set(batch.map((b) => b.product.id))];
    for (const r of selectByIds<{ id: string; key: number; content_hash: string }>(s, 'id, key, content_hash', ids)) existingById.set(r.id, r);
    for (const { product, analyzed } of batch) {
      const json = canonicalProductJson(product);
      const hash = contentHashOfJson(json);
      const existing = existingById.get(product.id);
      if (existing && existing.content_hash === hash) {
        if (reindex) {
          removeKeywordsOf(s, existing.key);
          s.stmt.reindexProduct.run(JSON.stringify(analyzed), existing.key);
          writeKeywords(s, existing.key, analyzed);
          logChange(s, existing.key, 'upsert');
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
        removeKeywordsOf(s, existing.key);
        s.stmt.updateProduct.run(hash, now, category, price, inStock, json, analyzedJson, existing.key);
        writeKeywords(s, existing.key, analyzed);
        logChange(s, existing.key, 'upsert');
        existing.content_hash = hash;
        results.push({ id: product.id, key: existing.key, status: 'updated', contentHash: hash });
      } else {
        const key = Number(s.stmt.insertProduct.run(product.id, hash, now, category, price, inStock, json, analyzedJson).lastInsertRowid);
        writeKeywords(s, key, analyzed);
        logChange(s, key, 'upsert');
        existingById.set(product.id, { key, content_hash: hash });
        results.push({ id: product.id, key, status: 'added', contentHash: hash });
      }
    }
    if (reindex || results.some((r) => r.status !== 'unchanged')) {
      bumpRevision(s);
      trimChangeLog(s);
    }
    return results;
  });

  const deleteTx = s.db.transaction((ids: readonly string[]): number => {
    let n = 0;
    for (const id of ids) {
      const key = s.stmt.idToKey.get(id) as number | undefined;
      if (key === undefined) continue;
      removeKeywordsOf(s, key);
      s.stmt.deleteVectorsOf.run(key);
      s.stmt.deleteProduct.run(key);
      logChange(s, key, 'delete');
      n++;
    }
    if (n > 0) {
      bumpRevision(s);
      trimChangeLog(s);
    }
    return n;
  });


  return {
    upsertProducts(batch, upsertOptions = {}) {
      rejectUnknownKeys(upsertOptions, ['reindex'], 'upsertProducts');
      if (batch.length === 0) return [];
      s.dfCache.clear();
      try {
        return upsertTx(batch, upsertOptions.reindex ?? false);
      } catch (e) {
        // Into a catalogue error: better-sqlite3's error becomes STORE_ERROR; catalogue errors pass.
        if (isProdsimError(e)) throw e;
        return storeError('upsert failed', e, s.opts.path);
      } finally {
        s.rememberedRevision = undefined; // committed or rolled back: read it again
      }
    },
    deleteProducts(ids) {
      s.dfCache.clear();
      try {
        return deleteTx(ids);
      } finally {
        s.rememberedRevision = undefined;
      }
    },
  };
}
