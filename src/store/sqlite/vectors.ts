/** Dense vectors in the SQLite store: one per (encoder, product), current while its content hash matches the product's. */
import { createError } from '../../errors.ts';
import type { StoredVector, SyncProductStore, VectorInput } from '../store.ts';
import { LOOKUP_CHUNK, WITHOUT_CURRENT_VECTOR, blobToVector, chunks, vectorToBlob } from './rows.ts';
import { inStatement, placeholders, selectByKeys, type SqliteStoreState } from './state.ts';

type VectorMethods =
  | 'putVectors'
  | 'getVector'
  | 'vectorEncodersOf'
  | 'getCachedVector'
  | 'productsWithoutVector'
  | 'cachedHashes'
  | 'vectorsFor'
  | 'vectorsPage'
  | 'deleteEncoderVectors';

export function vectorMethods(s: SqliteStoreState): Pick<SyncProductStore, VectorMethods> {
  const putVectorsTx = s.db.transaction((encoderId: string, vectors: readonly VectorInput[]) => {
    let dim = s.stmt.vectorDim.get(encoderId) as number | undefined;
    for (const v of vectors) {
      dim ??= v.vector.length;
      if (v.vector.length !== dim) {
        throw createError('DIM_MISMATCH', `encoder ${encoderId}: stored vectors have dimension ${dim}, got ${v.vector.length} for ${v.id}`, {
          expected: String(dim),
          received: String(v.vector.length),
        });
      }
      const row = s.stmt.keyAndHash.get(v.id) as { key: number } | undefined;
      if (!row) throw createError('PRODUCT_NOT_FOUND', `cannot store a vector for unknown product ${v.id}`, { field: 'id', received: v.id });
      s.stmt.putVector.run(encoderId, row.key, v.contentHash, dim, vectorToBlob(v.vector));
    }
  });

  return {
    putVectors(encoderId, vectors) {
      if (vectors.length > 0) putVectorsTx(encoderId, vectors);
    },
    getVector(encoderId, id) {
      const blob = s.stmt.getVector.get(encoderId, id) as Buffer | undefined;
      return blob ? blobToVector(blob) : undefined;
    },
    vectorEncodersOf: (id) => s.stmt.encodersWithVector.all(id) as string[],
    getCachedVector(encoderId, contentHash) {
      const blob = s.stmt.cachedVector.get(encoderId, contentHash) as Buffer | undefined;
      return blob ? blobToVector(blob) : undefined;
    },
    productsWithoutVector(encoderId, keys) {
      type Row = { id: string; key: number; contentHash: string };
      if (keys === undefined) return s.stmt.productsWithoutVector.all(encoderId) as Row[];
      return selectByKeys<Row>(s, 'p.id, p.key, p.content_hash AS contentHash', keys, WITHOUT_CURRENT_VECTOR, [encoderId]);
    },
    cachedHashes(encoderId, hashes) {
      const out = new Set<string>();
      for (const part of chunks(hashes, LOOKUP_CHUNK)) {
        const rows = inStatement(s, `SELECT DISTINCT content_hash FROM vectors WHERE encoder_id = ? AND content_hash IN (${placeholders(part)})`)
          .pluck()
          .all(encoderId, ...part) as string[];
        for (const h of rows) out.add(h);
      }
      return out;
    },
    *vectorsFor(encoderId) {
      const rows = s.stmt.vectorsFor.iterate(encoderId) as IterableIterator<{ id: string; key: number; content_hash: string; vector: Buffer }>;
      for (const r of rows) yield { id: r.id, key: r.key, contentHash: r.content_hash, vector: blobToVector(r.vector) } satisfies StoredVector;
    },
    vectorsPage(encoderId, afterKey, limit) {
      const rows = s.pageStmt.vectors.all(encoderId, afterKey, limit) as { id: string; key: number; content_hash: string; vector: Buffer }[];
      return rows.map((r) => ({ id: r.id, key: r.key, contentHash: r.content_hash, vector: blobToVector(r.vector) }));
    },
    deleteEncoderVectors(encoderId) {
      return s.db.prepare(`DELETE FROM vectors WHERE encoder_id = ?`).run(encoderId).changes;
    },
  };
}
