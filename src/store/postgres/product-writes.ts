/**
 * Product writes of the PostgreSQL store: each batch in one transaction that also appends to the
 * change log and bumps the revision, so followers see the rows, the log and the revision together.
 */
import { categoryLevels } from '../../catalog/product.ts';
import type { Product } from '../../catalog/product.ts';
import { rejectUnknownKeys } from '../../errors.ts';
import { canonicalProductJson, contentHashOfJson } from '../product-record.ts';
import { brandColumnValue, type AnalyzedProduct, type ProductChange, type ProductStore, type UpsertItem, type UpsertResult } from '../store.ts';
import { query, transaction, wrote } from './connection.ts';
import { countKeywordsOf, uncountKeywordsOf } from './keyword-frequencies.ts';
import { ADD_DISTINCT_FROM_WRITTEN, shareDistinctVectors } from './distinct-vectors.ts';
import { annLayout, bumpRevision, getMeta, setMetaRaw } from './meta.ts';
import { PG_META } from './schema.ts';
import type { KeywordColumn, PgStoreState } from './state.ts';
import { hanProductTsvector, productTsvector, type ProductTsvector } from './tsvector.ts';

/** A written row's two tsvectors (`products.keywords`, `products.han_keywords`). */
type RowTsvectors = Record<KeywordColumn, ProductTsvector>;

/** Each lexeme's largest rank among the rows'. */
function largestRanks(rows: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const ranks of rows) for (const [lexeme, rank] of ranks) if (!(rank <= (out.get(lexeme) ?? -1))) out.set(lexeme, rank);
  return out;
}

/** Serialises product writers, so change-log sequence numbers commit in order (a follower never skips one). */
const lockProductWrites = (s: PgStoreState) => query(s, `SELECT pg_advisory_xact_lock(hashtext('prodsim.products'))`);

/**
 * Drops the log's rows older than the last `changeLogLimit`, once they are past it by a tenth of it
 * (one DELETE every tenth of the limit, not one every write), and records how far it trimmed, so
 * `changesSince` of a trimmed position says so instead of reporting no changes. As in the SQLite store.
 */
async function trimChangeLog(s: PgStoreState, lastSeq: number): Promise<void> {
  const limit = s.opts.changeLogLimit;
  const trimSlack = Math.max(1, Math.ceil(limit / 10));
  const trimmed = Number((await getMeta(s, PG_META.changeLogTrimmed)) ?? 0);
  if (lastSeq - trimmed <= limit + trimSlack) return;
  const through = lastSeq - limit;
  await query(s, `DELETE FROM product_changes WHERE seq <= $1`, [through]);
  await setMetaRaw(s, PG_META.changeLogTrimmed, String(through));
}

/** Appends the changes (in the writing transaction, under `lockProductWrites`) and trims the log. */
async function logChanges(s: PgStoreState, keys: readonly number[], op: ProductChange['op']): Promise<void> {
  if (keys.length === 0) return;
  const appended = await query<{ seq: string }>(
    s,
    `INSERT INTO product_changes (seq, key, op) SELECT nextval('prodsim_change_seq'), k, $2 FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, i) ORDER BY i RETURNING seq`,
    [keys, op],
  );
  await trimChangeLog(s, appended.reduce((last, r) => Math.max(last, Number(r.seq)), 0));
}

/** A row an upsert writes; `key` is undefined for a new product until `assignKeys`. */
interface PendingRow {
  key: number | undefined;
  hash: string;
  json: string;
  analyzed: AnalyzedProduct;
  product: Product;
  /** Unchanged content written again only for `reindex`: its vectors stay current. */
  reindexOnly: boolean;
}

async function storedKeysAndHashes(s: PgStoreState, batch: readonly UpsertItem[]): Promise<Map<string, { key: number; hash: string }>> {
  const ids = [...new Set(batch.map((b) => b.product.id))];
  const existing = new Map<string, { key: number; hash: string }>();
  for (const r of await query<{ id: string; key: string; content_hash: string }>(s, `SELECT id, key, content_hash FROM products WHERE id = ANY($1::text[])`, [ids])) {
    existing.set(r.id, { key: Number(r.key), hash: r.content_hash });
  }
  return existing;
}

/**
 * Each item's result, and the row each id ends with (the last item wins); results of new products
 * carry key -1 until `assignKeys`.
 */
function planUpsert(batch: readonly UpsertItem[], existing: ReadonlyMap<string, { key: number; hash: string }>, reindex: boolean) {
  const results: UpsertResult[] = [];
  const rows = new Map<string, PendingRow>();
  for (const { product, analyzed } of batch) {
    const json = canonicalProductJson(product);
    const hash = contentHashOfJson(json);
    const prior = rows.get(product.id) ?? existing.get(product.id);
    const priorKey = prior ? ('key' in prior ? prior.key : undefined) : undefined;
    if (prior && prior.hash === hash) {
      if (reindex) rows.set(product.id, { key: priorKey, hash, json, analyzed, product, reindexOnly: !rows.has(product.id) });
      results.push({ id: product.id, key: priorKey ?? -1, status: 'unchanged', contentHash: hash });
      continue;
    }
    rows.set(product.id, { key: priorKey, hash, json, analyzed, product, reindexOnly: false });
    results.push({ id: product.id, key: priorKey ?? -1, status: prior ? 'updated' : 'added', contentHash: hash });
  }
  return { results, rows };
}

/** New products' keys from the key sequence, into their rows and results. */
async function assignKeys(s: PgStoreState, rows: ReadonlyMap<string, PendingRow>, results: UpsertResult[]): Promise<void> {
  const fresh = [...rows.values()].filter((r) => r.key === undefined);
  if (fresh.length > 0) {
    const keys = await query<{ k: string }>(s, `SELECT nextval('prodsim_product_key') AS k FROM generate_series(1, $1)`, [fresh.length]);
    fresh.forEach((r, i) => (r.key = Number(keys[i]!.k)));
  }
  for (const r of results) if (r.key === -1) r.key = rows.get(r.id)!.key!;
}

async function insertOrUpdateRows(s: PgStoreState, written: readonly PendingRow[], vectors: readonly RowTsvectors[], now: number): Promise<void> {
  const col = <T>(f: (r: PendingRow, i: number) => T) => written.map(f);
  await query(
    s,
    `INSERT INTO products (id, key, content_hash, updated_at, category, price, in_stock, brand, json, analyzed, keywords, han_keywords)
     SELECT id, key, hash, $4, category, price, in_stock, brand, json, analyzed, keywords::tsvector, han_keywords::tsvector
     FROM unnest($1::text[], $2::bigint[], $3::text[], $5::text[], $6::float8[], $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
       AS t(id, key, hash, category, price, in_stock, brand, json, analyzed, keywords, han_keywords)
     ON CONFLICT (id) DO UPDATE SET key = excluded.key, content_hash = excluded.content_hash,
       updated_at = CASE WHEN products.content_hash = excluded.content_hash THEN products.updated_at ELSE excluded.updated_at END,
       category = excluded.category, price = excluded.price, in_stock = excluded.in_stock, brand = excluded.brand,
       json = excluded.json, analyzed = excluded.analyzed, keywords = excluded.keywords, han_keywords = excluded.han_keywords`,
    [
      col((r) => r.product.id),
      col((r) => r.key),
      col((r) => r.hash),
      now,
      col((r) => {
        const levels = categoryLevels(r.product.category);
        return levels.length > 0 ? levels.join('/') : null;
      }),
      col((r) => r.product.price ?? null),
      col((r) => r.product.inStock ?? null),
      col((r) => brandColumnValue(r.product.brand)),
      col((r) => r.json),
      col((r) => JSON.stringify(r.analyzed)),
      col((_, i) => vectors[i]!.keywords.literal),
      col((_, i) => vectors[i]!.han_keywords.literal),
    ],
  );
}

/**
 * Each vector of these products is current again when it was computed from the product's content
 * as written now. One changed back to content it had before has a vector current again: on plain
 * PostgreSQL its distinct row is added back (`compact` may have removed it).
 */
async function markCurrentVectors(s: PgStoreState, ids: readonly string[]): Promise<void> {
  const mark = `UPDATE vectors v SET current = (v.content_hash = p.content_hash) FROM products p WHERE p.id = v.id AND v.id = ANY($1::text[])`;
  if ((await annLayout(s)) === 'vectorPerProduct') {
    await query(s, mark, [ids]);
    return;
  }
  await shareDistinctVectors(s);
  await query(s, `WITH written AS (${mark} RETURNING v.encoder_id, v.vector_hash, v.dim, v.embedding, v.current) ${ADD_DISTINCT_FROM_WRITTEN}`, [ids]);
}

/** Writes the rows, marks the vectors of changed products stale, logs the changes and bumps the revision. */
async function writeRows(s: PgStoreState, written: readonly PendingRow[], replaced: readonly string[], now: number): Promise<void> {
  await uncountKeywordsOf(s, replaced);
  const vectors = written.map((r): RowTsvectors => ({ keywords: productTsvector(r.analyzed), han_keywords: hanProductTsvector(r.analyzed) }));
  await insertOrUpdateRows(s, written, vectors, now);
  await countKeywordsOf(
    s,
    written.map((r) => r.product.id),
    { keywords: largestRanks(vectors.map((v) => v.keywords.ranks)), han_keywords: largestRanks(vectors.map((v) => v.han_keywords.ranks)) },
  );
  // A product whose content changed leaves its vectors stale (and out of the HNSW index's rows). Only
  // products stored before can have vectors: a new one (every row of a first load) has none to mark.
  const existed = new Set(replaced);
  const changed = written.filter((r) => !r.reindexOnly && existed.has(r.product.id)).map((r) => r.product.id);
  if (changed.length > 0) await markCurrentVectors(s, changed);
  await logChanges(
    s,
    written.map((r) => r.key!),
    'upsert',
  );
  await bumpRevision(s);
  wrote(s, 'products', written.length);
}

export function productWrites(s: PgStoreState): Pick<ProductStore, 'upsertProducts' | 'deleteProducts'> {
  return {
    async upsertProducts(batch, upsertOptions = {}) {
      rejectUnknownKeys(upsertOptions, ['reindex'], 'upsertProducts');
      if (batch.length === 0) return [];
      const reindex = upsertOptions.reindex ?? false;
      return transaction(s, async () => {
        await lockProductWrites(s);
        const existing = await storedKeysAndHashes(s, batch);
        const now = Date.now();
        const { results, rows } = planUpsert(batch, existing, reindex);
        await assignKeys(s, rows, results);
        const written = [...rows.values()];
        if (written.length > 0) await writeRows(s, written, written.filter((r) => existing.has(r.product.id)).map((r) => r.product.id), now);
        return results;
      });
    },

    async deleteProducts(ids) {
      if (ids.length === 0) return 0;
      return transaction(s, async () => {
        await lockProductWrites(s);
        await uncountKeywordsOf(s, [...new Set(ids)]);
        const gone = await query<{ key: string }>(s, `DELETE FROM products WHERE id = ANY($1::text[]) RETURNING key`, [[...new Set(ids)]]);
        if (gone.length === 0) return 0;
        await query(s, `DELETE FROM vectors WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
        await logChanges(
          s,
          gone.map((g) => Number(g.key)),
          'delete',
        );
        await bumpRevision(s);
        return gone.length;
      });
    },
  };
}
