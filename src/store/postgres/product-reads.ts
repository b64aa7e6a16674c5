/** Product reads of the PostgreSQL store: by id, by key, in pages, and the change log and revision followers read. */
import { rejectUnknownKeys } from '../../errors.ts';
import type { AnalyzedProduct, ProductChange, ProductStore, StoredProduct } from '../store.ts';
import { query } from './connection.ts';
import { getMeta, revision } from './meta.ts';
import { KEYWORD_ROW_COLUMNS, PAGE_ROWS, rowToStored, toKeywordRow, type KeywordRowRecord, type ProductRow } from './rows.ts';
import { PG_META } from './schema.ts';
import { productCountAtRevision } from './revision-cache.ts';
import type { PgStoreState } from './state.ts';

type ProductReadMethods =
  | 'getProduct'
  | 'getProducts'
  | 'getAnalyzedProducts'
  | 'getAnalyzedProductsByKeys'
  | 'getAnalyzed'
  | 'contentHashes'
  | 'iterateProducts'
  | 'iterateKeywordRows'
  | 'count'
  | 'revision'
  | 'changesSince'
  | 'changeSeq'
  | 'changeLogId'
  | 'keywordRowsOf'
  | 'modelNumbersOf'
  | 'idToKey'
  | 'keyToId'
  | 'idsToKeys'
  | 'keysToIds'
  | 'brands';

const changeSeq = async (s: PgStoreState) => Number((await query<{ s: string | null }>(s, `SELECT max(seq) AS s FROM product_changes`))[0]?.s ?? 0);

async function idsToKeys(s: PgStoreState, ids: readonly string[]): Promise<(number | undefined)[]> {
  const byId = new Map((await query<{ id: string; key: string }>(s, `SELECT id, key FROM products WHERE id = ANY($1::text[])`, [ids])).map((r) => [r.id, Number(r.key)]));
  return ids.map((id) => byId.get(id));
}

async function keysToIds(s: PgStoreState, keys: readonly number[]): Promise<(string | undefined)[]> {
  const byKey = new Map((await query<{ id: string; key: string }>(s, `SELECT id, key FROM products WHERE key = ANY($1::bigint[])`, [keys])).map((r) => [Number(r.key), r.id]));
  return keys.map((k) => byKey.get(k));
}

async function changesSince(s: PgStoreState, seq: number): Promise<ProductChange[] | undefined> {
  if (!Number.isInteger(seq) || seq < 0) return undefined;
  const trimmed = Number((await getMeta(s, PG_META.changeLogTrimmed)) ?? 0);
  if (seq < trimmed || seq > (await changeSeq(s))) return undefined;
  const rows = await query<{ seq: string; key: string; op: ProductChange['op'] }>(s, `SELECT seq, key, op FROM product_changes WHERE seq > $1 ORDER BY seq`, [seq]);
  return rows.map((r) => ({ seq: Number(r.seq), key: Number(r.key), op: r.op }));
}

async function modelNumbersOf(s: PgStoreState, keys?: readonly number[]) {
  const columns = `key, id, (analyzed::jsonb)->'modelNumbers' AS codes`;
  const rows =
    keys === undefined
      ? await query<{ key: string; id: string; codes: string[] | null }>(s, `SELECT ${columns} FROM products ORDER BY key`)
      : await query<{ key: string; id: string; codes: string[] | null }>(s, `SELECT ${columns} FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]]);
  return rows.map((r) => ({ key: Number(r.key), id: r.id, modelNumbers: r.codes ?? [] }));
}

/** Products, or keyword rows, in key order, one page of `PAGE_ROWS` per query. */
async function* pagesByKey<Row extends { key: string }>(s: PgStoreState, sql: string): AsyncIterableIterator<Row> {
  for (let after = 0; ; ) {
    const rows = await query<Row>(s, sql, [after, PAGE_ROWS]);
    if (rows.length === 0) return;
    yield* rows;
    after = Number(rows[rows.length - 1]!.key);
  }
}

function byIdReads(s: PgStoreState): Pick<ProductStore, 'getProduct' | 'getProducts' | 'getAnalyzedProducts' | 'getAnalyzedProductsByKeys' | 'getAnalyzed' | 'contentHashes'> {
  return {
    async getProduct(id) {
      const [r] = await query<ProductRow>(s, `SELECT key, id, content_hash, updated_at, json FROM products WHERE id = $1`, [id]);
      return r ? rowToStored(r) : undefined;
    },
    async getProducts(ids) {
      const byId = new Map((await query<ProductRow>(s, `SELECT key, id, content_hash, updated_at, json FROM products WHERE id = ANY($1::text[])`, [ids])).map((r) => [r.id, rowToStored(r)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async getAnalyzedProducts(ids) {
      const rows = await query<ProductRow>(s, `SELECT key, id, content_hash, updated_at, json, analyzed FROM products WHERE id = ANY($1::text[])`, [ids]);
      const byId = new Map(rows.map((r) => [r.id, rowToStored(r) as StoredProduct & { analyzed: AnalyzedProduct }]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async getAnalyzedProductsByKeys(keys) {
      const rows = await query<ProductRow>(s, `SELECT key, id, content_hash, updated_at, json, analyzed FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]]);
      return rows.map((r) => rowToStored(r) as StoredProduct & { analyzed: AnalyzedProduct });
    },
    async getAnalyzed(id) {
      const [r] = await query<{ analyzed: string }>(s, `SELECT analyzed FROM products WHERE id = $1`, [id]);
      return r ? (JSON.parse(r.analyzed) as AnalyzedProduct) : undefined;
    },
    async contentHashes(ids) {
      const rows = await query<{ id: string; content_hash: string }>(s, `SELECT id, content_hash FROM products WHERE id = ANY($1::text[])`, [ids]);
      return new Map(rows.map((r) => [r.id, r.content_hash]));
    },
  };
}

export function productReads(s: PgStoreState): Pick<ProductStore, ProductReadMethods> {
  return {
    ...byIdReads(s),
    async *iterateProducts(iterateOptions = {}) {
      rejectUnknownKeys(iterateOptions, ['withAnalyzed'], 'iterateProducts');
      const columns = `key, id, content_hash, updated_at, json${iterateOptions.withAnalyzed ? ', analyzed' : ''}`;
      for await (const r of pagesByKey<ProductRow>(s, `SELECT ${columns} FROM products WHERE key > $1 ORDER BY key LIMIT $2`)) yield rowToStored(r);
    },
    async *iterateKeywordRows() {
      for await (const r of pagesByKey<KeywordRowRecord>(s, `SELECT ${KEYWORD_ROW_COLUMNS} FROM products WHERE key > $1 ORDER BY key LIMIT $2`)) yield toKeywordRow(r);
    },
    count: () => productCountAtRevision(s),
    revision: () => revision(s),
    changesSince: (seq) => changesSince(s, seq),
    changeSeq: () => changeSeq(s),
    changeLogId: async () => (await getMeta(s, PG_META.changeLogId)) ?? '',
    async keywordRowsOf(keys) {
      return (await query<KeywordRowRecord>(s, `SELECT ${KEYWORD_ROW_COLUMNS} FROM products WHERE key = ANY($1::bigint[]) ORDER BY key`, [[...new Set(keys)]])).map(toKeywordRow);
    },
    modelNumbersOf: (keys) => modelNumbersOf(s, keys),
    idToKey: async (id) => (await idsToKeys(s, [id]))[0],
    keyToId: async (key) => (await keysToIds(s, [key]))[0],
    idsToKeys: (ids) => idsToKeys(s, ids),
    keysToIds: (keys) => keysToIds(s, keys),
    brands: async () => (await query<{ brand: string }>(s, `SELECT DISTINCT brand FROM products WHERE brand IS NOT NULL ORDER BY brand`)).map((r) => r.brand),
  };
}
