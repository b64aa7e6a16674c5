/**
 * HNSW index on usearch 2.25 (pinned: newer versions need Node 22), behind the `AnnIndex` contract.
 *
 * Full-precision vectors: kept by default in a packed Float32 sidecar (`<path>.vectors`) that is loaded
 * into memory beside the index. Why a sidecar rather than asking the store per candidate:
 *  - rescoring 50 candidates is 50 row reads; from an in-memory table that is ~10 µs, from SQLite blobs it
 *    is 50 prepared-statement calls and a dependency on a later-built part of the store;
 *  - usearch 2.25's JS binding cannot read vectors back (no `get`), and the exact fallback for selective
 *    filters must scan the passing subset's vectors;
 *  - the index + sidecar pair is self-contained, so it can be rebuilt, checksummed and moved as a unit.
 * The cost is 4·dimension bytes per vector of RAM (1.5 KB at 384-d). When the caller already holds the
 * vectors in memory it can pass `vectorLookup` and the sidecar keeps keys only.
 *
 * Filtering: usearch 2.25's JS binding has no filtered search (its C++ core has one, the Node addon does
 * not expose it; `Index.search(vectors, k, threads)` is all there is). So a filter is applied by adaptive
 * over-fetching (max(k, expansionSearch) / estimated pass rate × OVERFETCH_SAFETY
 * candidates, ×OVERFETCH_GROWTH per round until k passing keys lie within the trusted head of the list,
 * OVERFETCH_TRUSTED_SHARE, or the index is exhausted), and by an exact scan of the passing subset when
 * the cost model of ann-index.ts (`exactFilterPays`: scan cost ∝ passing keys × dimension, over-fetch
 * cost ∝ candidates ∝ 1 / pass rate) estimates it no slower, or over-fetching would read more than
 * OVERFETCH_MAX_SHARE of the index. `filterStrategy` forces either. The decision is reported by
 * `searchDetailed`. The exact scan of a cos index runs in usearch's native exact search
 * (`VectorTable.topKOf`), with the same answers as a JS scan.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import {
  ANN_INDEX_DEFAULTS,
  ANN_INDEX_OPTION_KEYS,
  ANN_SIDECAR_SUFFIX,
  toKey,
  toKeyArray,
  toMatrix,
  validateIndexOptions,
  type AnnIndex,
  type AnnIndexOptions,
  type AnnKeyInput,
  type AnnKeysInput,
  type AnnVectorsInput,
} from './ann-index.ts';
import { searchDetailed } from './usearch-search.ts';
import { createUsearchState, makeRawIndex, type UsearchState } from './usearch-state.ts';
import { VectorTable } from './vector-table.ts';

export type CreateAnnIndexOptions = Partial<AnnIndexOptions> & { dimension: number };

function assertWritable(s: UsearchState): void {
  if (s.readOnly) throw createError('INVALID_ARGUMENT', 'this ANN index was opened with view (memory-mapped, read-only); load it to modify');
}

/** Rows scaled to unit length: usearch's i8 cast assumes components in [-1, 1]; cosine does not care about scale. */
function normalisedRows(matrix: Float32Array, rows: number, d: number): Float32Array {
  const normed = new Float32Array(matrix.length);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) s += matrix[j]! * matrix[j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = i * d; j < (i + 1) * d; j++) normed[j] = matrix[j]! * inv;
  }
  return normed;
}

function add(s: UsearchState, keys: AnnKeysInput, vectors: AnnVectorsInput): void {
  assertWritable(s);
  const { o, d } = s;
  const k = toKeyArray(keys);
  if (k.length === 0) return;
  if (new Set(k).size !== k.length) throw createError('INVALID_ARGUMENT', 'add: the same key appears twice in one batch');
  const given = toMatrix(vectors, d, k.length);
  const matrix = o.metric === 'cos' ? normalisedRows(given, k.length, d) : given;
  const existing = Array.from(k).filter((key) => s.table.has(key));
  if (existing.length > 0) s.raw.remove(BigUint64Array.from(existing, (x) => BigInt(x)));
  s.raw.add(BigUint64Array.from(k, (x) => BigInt(x)), matrix, o.addThreads);
  // The table normalises the given rows itself (for cos): normalised once, as the exact index does, so
  // exact answers carry the same similarities bit for bit.
  s.table.upsert(k, given);
}

function remove(s: UsearchState, keys: AnnKeysInput): number {
  assertWritable(s);
  const present = Array.from(toKeyArray(keys)).filter((key) => s.table.has(key));
  if (present.length === 0) return 0;
  s.raw.remove(BigUint64Array.from(present, (x) => BigInt(x)));
  for (const key of present) s.table.remove(key);
  return present.length;
}

/** The sidecar's table, after checking the index file against what `save` recorded in it. */
function checkedSidecar(s: UsearchState, path: string, verifyChecksum: boolean): VectorTable {
  const { o, d } = s;
  const sidecar = path + ANN_SIDECAR_SUFFIX;
  if (!existsSync(path) || !existsSync(sidecar)) {
    throw createError('FILE_NOT_FOUND', `ANN index ${path} or its sidecar ${sidecar} is missing`, { file: path });
  }
  const header = VectorTable.readHeader(sidecar);
  if (header.dimension !== d || header.metric !== o.metric || header.quantization !== o.quantization) {
    throw createError('INDEX_STALE', `ANN index ${path} holds ${header.dimension}-d ${header.metric} ${header.quantization}, expected ${d}-d ${o.metric} ${o.quantization}`, {
      file: path,
    });
  }
  // usearch 2.25 can crash the process (not throw) on a damaged file, so it only ever sees a file whose
  // size (and by default SHA-1) matches what `save` recorded.
  const bytes = statSync(path).size;
  if (bytes !== header.indexBytes) {
    throw createError('STORE_ERROR', `ANN index ${path} is ${bytes} bytes, its sidecar recorded ${header.indexBytes}`, { file: path });
  }
  if (verifyChecksum && sha1OfFile(path) !== header.indexSha1) {
    throw createError('STORE_ERROR', `ANN index ${path} does not match the checksum its sidecar recorded`, { file: path });
  }
  const { table } = VectorTable.load(sidecar);
  if (!table.hasVectors && s.lookup === undefined && o.rescore > 0) {
    throw createError('INVALID_ARGUMENT', `ANN index ${path} was saved without vectors: pass vectorLookup to rescore`, { file: path });
  }
  return table;
}

function load(s: UsearchState, path: string, loadOptions: { view?: boolean; verifyChecksum?: boolean } = {}): void {
  rejectUnknownKeys(loadOptions, ['view', 'verifyChecksum'], 'AnnIndex.load');
  const loadedTable = checkedSidecar(s, path, loadOptions.verifyChecksum !== false);
  const fresh = makeRawIndex(s.o);
  try {
    if (loadOptions.view) fresh.view(path);
    else fresh.load(path);
  } catch (err) {
    // Into a catalogue error: usearch's load error becomes STORE_ERROR with the file.
    throw createError('STORE_ERROR', `ANN index ${path} could not be read by usearch: ${(err as Error).message}`, { file: path });
  }
  if (fresh.size() !== loadedTable.size || fresh.dimensions() !== s.d) {
    throw createError('STORE_ERROR', `ANN index ${path} holds ${fresh.size()} vectors of dimension ${fresh.dimensions()}, its sidecar ${loadedTable.size} of ${s.d}`, { file: path });
  }
  s.raw = fresh;
  s.table = loadedTable;
  s.readOnly = loadOptions.view === true;
}

export function createAnnIndex(options: CreateAnnIndexOptions): AnnIndex {
  rejectUnknownKeys(options, ANN_INDEX_OPTION_KEYS, 'createAnnIndex');
  const o: AnnIndexOptions = { ...ANN_INDEX_DEFAULTS, ...options };
  validateIndexOptions(o, 'createAnnIndex');
  const s = createUsearchState(o);
  return {
    kind: 'usearch',
    dimension: s.d,
    metric: o.metric,
    quantization: o.quantization,
    get readOnly() {
      return s.readOnly;
    },
    get size() {
      return s.table.size;
    },
    add: (keys: AnnKeysInput, vectors: AnnVectorsInput) => add(s, keys, vectors),
    remove: (keys: AnnKeysInput) => remove(s, keys),
    has: (key: AnnKeyInput) => s.table.has(toKey(key)),
    keys: () => s.table.keys(),
    vector: (key: AnnKeyInput) => s.table.get(toKey(key))?.slice(),
    search: (query, k, opts) => searchDetailed(s, query, k, opts).matches,
    searchDetailed: (query, k, opts) => searchDetailed(s, query, k, opts),
    save(path: string) {
      s.raw.save(path);
      s.table.save(path + ANN_SIDECAR_SUFFIX, { quantization: o.quantization, indexBytes: statSync(path).size, indexSha1: sha1OfFile(path) });
    },
    load: (path: string, loadOptions?: { view?: boolean; verifyChecksum?: boolean }) => load(s, path, loadOptions),
    filesFor: (path: string) => [path, path + ANN_SIDECAR_SUFFIX],
  };
}

export function sha1OfFile(path: string): string {
  const hash = createHash('sha1');
  const buf = Buffer.alloc(8 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (let pos = 0; ; ) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got <= 0) break;
      hash.update(buf.subarray(0, got));
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
