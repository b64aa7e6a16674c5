/**
 * Vectors of the PostgreSQL store (pgvector), which double as the embedding cache (keyed by content
 * hash and encoder id). `current` marks a vector computed from its product's current content: the
 * HNSW indexes (`vector-index.ts`) hold only those vectors, each distinct one once on plain
 * PostgreSQL (`distinct-vectors.ts`).
 */
import { endianness } from 'node:os';
import { createError } from '../../errors.ts';
import type { ProductStore, StoredVector, VectorInput } from '../store.ts';
import { indexBuildDeps, query, transaction, wrote } from './connection.ts';
import { PAGE_ROWS } from './rows.ts';
import type { PgStoreState } from './state.ts';
import { ADD_DISTINCT_FROM_WRITTEN, shareDistinctVectors, vectorHash } from './distinct-vectors.ts';
import { annLayout } from './meta.ts';
import type { AnnLayout } from './schema.ts';
import { createVectorIndexes, type VectorIndexes } from './vector-index.ts';

/**
 * A float32 vector as pgvector text. Nine significant digits name every float32 exactly (pgvector
 * reads them with strtof): a third of the bytes of the shortest double form, and ~3× faster to build.
 */
export function vectorLiteral(v: Float32Array): string {
  return `[${Array.from(v, (x) => x.toPrecision(9)).join(',')}]`;
}

/**
 * A vector read as pgvector's binary form, `vector_send` (int16 dimension, int16 zero, big-endian
 * float4s), decoded by `vectorFromSend`. Why not `::real[]`: the driver then parses a text array
 * number by number. At 1M products, reading 60 candidates' vectors took 6.9 ms p50 as `real[]` and
 * 3.6 ms as bytes (1.9 ms with the `current` flag instead of a join on products).
 */
const EMBEDDING_BYTES = 'vector_send(v.embedding)';

/** Float32Array holds host-order floats; pgvector sends big-endian ones. */
const HOST_LITTLE_ENDIAN = endianness() === 'LE';

export function vectorFromSend(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.readUInt16BE(0));
  const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  bytes.copy(view, 0, 4, 4 + view.length);
  if (HOST_LITTLE_ENDIAN) view.swap32();
  return out;
}

type VectorMethods =
  | 'putVectors'
  | 'getVector'
  | 'getVectors'
  | 'vectorEncodersOf'
  | 'getCachedVector'
  | 'cachedHashes'
  | 'vectorsFor'
  | 'buildDeferredIndexes'
  | 'deleteEncoderVectors'
  | 'productsWithoutVector';

/** The encoder's vector dimension: the stored one, else the first new vector's; every new vector must have it. */
async function checkedDimension(s: PgStoreState, encoderId: string, vectors: readonly VectorInput[]): Promise<number> {
  const [known] = await query<{ dim: number }>(s, `SELECT dim FROM vectors WHERE encoder_id = $1 LIMIT 1`, [encoderId]);
  const dim = known?.dim ?? vectors[0]!.vector.length;
  for (const v of vectors) {
    if (v.vector.length !== dim) {
      throw createError('DIM_MISMATCH', `encoder ${encoderId}: stored vectors have dimension ${dim}, got ${v.vector.length} for ${v.id}`, { expected: String(dim), received: String(v.vector.length) });
    }
  }
  return dim;
}

/** Key and current content hash of each vector's product; refuses a vector of an unknown product. */
async function productsOf(s: PgStoreState, vectors: readonly VectorInput[]): Promise<Map<string, { key: number; hash: string }>> {
  const products = new Map(
    (await query<{ id: string; key: string; content_hash: string }>(s, `SELECT id, key, content_hash FROM products WHERE id = ANY($1::text[])`, [vectors.map((v) => v.id)])).map((r) => [
      r.id,
      { key: Number(r.key), hash: r.content_hash },
    ]),
  );
  const unknown = vectors.find((v) => !products.has(v.id));
  if (unknown) throw createError('PRODUCT_NOT_FOUND', `cannot store a vector for unknown product ${unknown.id}`, { field: 'id', received: unknown.id });
  return products;
}

/**
 * Upserts the vector rows; on plain PostgreSQL the same statement adds the distinct rows of the
 * current ones (`distinct-vectors.ts`). $1 ids, $2 encoder, $3 dim, $4 keys, $5 content hashes,
 * $6 vectors, $7 current flags, $8 vector hashes.
 */
function putVectorsSql(layout: AnnLayout): string {
  const upsert = `INSERT INTO vectors (id, encoder_id, key, content_hash, dim, embedding, current, vector_hash)
    SELECT id, $2, key, hash, $3, vec::vector, current, vector_hash FROM unnest($1::text[], $4::bigint[], $5::text[], $6::text[], $7::bool[], $8::bytea[]) AS t(id, key, hash, vec, current, vector_hash)
    ON CONFLICT (id, encoder_id) DO UPDATE SET key = excluded.key, content_hash = excluded.content_hash, dim = excluded.dim, embedding = excluded.embedding, current = excluded.current, vector_hash = excluded.vector_hash`;
  if (layout === 'vectorPerProduct') return upsert;
  return `WITH written AS (${upsert} RETURNING encoder_id, vector_hash, dim, embedding, current) ${ADD_DISTINCT_FROM_WRITTEN}`;
}

async function putVectors(s: PgStoreState, vectorIndexes: VectorIndexes, encoderId: string, vectors: readonly VectorInput[]): Promise<void> {
  if (vectors.length === 0) return;
  await transaction(s, async () => {
    const dim = await checkedDimension(s, encoderId, vectors);
    const products = await productsOf(s, vectors);
    await vectorIndexes.beforeWrite(dim);
    const layout = await annLayout(s);
    if (layout === 'distinctVectors') await shareDistinctVectors(s);
    const last = new Map(vectors.map((v) => [v.id, v]));
    const rows = [...last.values()];
    await query(s, putVectorsSql(layout), [
      rows.map((v) => v.id),
      encoderId,
      dim,
      rows.map((v) => products.get(v.id)!.key),
      rows.map((v) => v.contentHash),
      rows.map((v) => vectorLiteral(v.vector)),
      rows.map((v) => v.contentHash === products.get(v.id)!.hash),
      rows.map((v) => vectorHash(v.vector)),
    ]);
  });
  wrote(s, 'vectors', vectors.length);
}

/**
 * One page of an encoder's current vectors in product key order: $1 the encoder id, $2 the last key
 * of the previous page, $3 the page size. Paged by the products' key index, each product's vector
 * found by its primary key: vectors have no index on their key, and paging by it scanned and sorted
 * the whole table for every page (n / 1,000 scans of n rows). The vector's own `current` flag, not a
 * join on the content hash too: with both join columns the planner expected one row in all and chose
 * a hash join of both whole tables, 1.5 s a page at 1M products (20 ms with this statement).
 */
export const VECTOR_PAGE_SQL = `SELECT v.id, p.key, v.content_hash, ${EMBEDDING_BYTES} AS v FROM products p
  JOIN vectors v ON v.id = p.id AND v.encoder_id = $1
  WHERE v.current AND p.key > $2 ORDER BY p.key LIMIT $3`;

async function* vectorsFor(s: PgStoreState, encoderId: string): AsyncIterableIterator<StoredVector> {
  for (let after = 0; ; ) {
    const rows = await query<{ id: string; key: string; content_hash: string; v: Buffer }>(s, VECTOR_PAGE_SQL, [encoderId, after, PAGE_ROWS]);
    if (rows.length === 0) return;
    for (const r of rows) yield { id: r.id, key: Number(r.key), contentHash: r.content_hash, vector: vectorFromSend(r.v) } satisfies StoredVector;
    after = Number(rows[rows.length - 1]!.key);
  }
}

async function productsWithoutVector(s: PgStoreState, encoderId: string, keys?: readonly number[]) {
  const params: unknown[] = [encoderId];
  let where = '';
  if (keys !== undefined) {
    params.push([...new Set(keys)]);
    where = `AND p.key = ANY($2::bigint[])`;
  }
  const rows = await query<{ id: string; key: string; content_hash: string }>(
    s,
    `SELECT p.id, p.key, p.content_hash FROM products p
     WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.id = p.id AND v.encoder_id = $1 AND v.content_hash = p.content_hash) ${where} ORDER BY p.key`,
    params,
  );
  return rows.map((r) => ({ id: r.id, key: Number(r.key), contentHash: r.content_hash }));
}

function vectorReads(s: PgStoreState): Pick<ProductStore, 'getVector' | 'getVectors' | 'vectorEncodersOf' | 'getCachedVector' | 'cachedHashes'> {
  return {
    // A vector is `current` exactly while its content hash is its product's (product-writes.ts keeps
    // the flag; deleting a product deletes its vectors): the flag spares a join on products.
    async getVector(encoderId, id) {
      const [r] = await query<{ v: Buffer }>(s, `SELECT ${EMBEDDING_BYTES} AS v FROM vectors v WHERE v.encoder_id = $1 AND v.id = $2 AND v.current`, [encoderId, id]);
      return r ? vectorFromSend(r.v) : undefined;
    },
    async getVectors(encoderId, ids) {
      const rows = await query<{ id: string; v: Buffer }>(s, `SELECT v.id, ${EMBEDDING_BYTES} AS v FROM vectors v WHERE v.encoder_id = $1 AND v.id = ANY($2::text[]) AND v.current`, [
        encoderId,
        [...new Set(ids)],
      ]);
      return new Map(rows.map((r) => [r.id, vectorFromSend(r.v)]));
    },
    async vectorEncodersOf(id) {
      const rows = await query<{ encoder_id: string }>(
        s,
        `SELECT v.encoder_id FROM vectors v JOIN products p ON p.id = v.id WHERE v.id = $1 AND v.content_hash = p.content_hash ORDER BY v.encoder_id`,
        [id],
      );
      return rows.map((r) => r.encoder_id);
    },
    async getCachedVector(encoderId, contentHash) {
      const [r] = await query<{ v: Buffer }>(s, `SELECT ${EMBEDDING_BYTES} AS v FROM vectors v WHERE encoder_id = $1 AND content_hash = $2 LIMIT 1`, [encoderId, contentHash]);
      return r ? vectorFromSend(r.v) : undefined;
    },
    async cachedHashes(encoderId, hashes) {
      const rows = await query<{ content_hash: string }>(s, `SELECT DISTINCT content_hash FROM vectors WHERE encoder_id = $1 AND content_hash = ANY($2::text[])`, [encoderId, hashes]);
      return new Set(rows.map((r) => r.content_hash));
    },
  };
}

export function vectorMethods(s: PgStoreState): Pick<ProductStore, VectorMethods> {
  const vectorIndexes = createVectorIndexes(indexBuildDeps(s), () => annLayout(s));
  return {
    ...vectorReads(s),
    putVectors: (encoderId, vectors) => putVectors(s, vectorIndexes, encoderId, vectors),
    vectorsFor: (encoderId) => vectorsFor(s, encoderId),
    async buildDeferredIndexes() {
      await vectorIndexes.buildPending();
    },
    async deleteEncoderVectors(encoderId) {
      return transaction(s, async () => {
        if ((await annLayout(s)) === 'distinctVectors') await query(s, `DELETE FROM distinct_vectors WHERE encoder_id = $1`, [encoderId]);
        return (await query(s, `DELETE FROM vectors WHERE encoder_id = $1 RETURNING 1`, [encoderId])).length;
      });
    },
    productsWithoutVector: (encoderId, keys) => productsWithoutVector(s, encoderId, keys),
  };
}
