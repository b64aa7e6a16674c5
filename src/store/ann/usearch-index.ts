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
import { Index as UsearchIndex, type MetricKind, type ScalarKind } from 'usearch';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import {
  ANN_INDEX_DEFAULTS,
  ANN_INDEX_OPTION_KEYS,
  ANN_SIDECAR_SUFFIX,
  EXACT_SEARCH_MAX_SIZE,
  FILTER_SELECTIVITY_SAMPLE,
  OVERFETCH_GROWTH,
  OVERFETCH_MAX_SHARE,
  OVERFETCH_SAFETY,
  OVERFETCH_TRUSTED_SHARE,
  assertQuery,
  compareMatches,
  exactAfterOverfetchRound,
  exactFilterPays,
  similarityFromDistance,
  toKey,
  toKeyArray,
  toMatrix,
  validateIndexOptions,
  type AnnIndex,
  type AnnIndexOptions,
  type AnnKeyInput,
  type AnnKeysInput,
  type AnnMatch,
  type AnnSearchOptions,
  type AnnSearchReport,
  type AnnVectorsInput,
} from './ann-index.ts';
import { TopK, VectorTable, dot, l2sq } from './vector-table.ts';

type RawIndex = UsearchIndex;

export type CreateAnnIndexOptions = Partial<AnnIndexOptions> & { dimension: number };

export function createAnnIndex(options: CreateAnnIndexOptions): AnnIndex {
  rejectUnknownKeys(options, ANN_INDEX_OPTION_KEYS, 'createAnnIndex');
  const o: AnnIndexOptions = { ...ANN_INDEX_DEFAULTS, ...options };
  validateIndexOptions(o, 'createAnnIndex');
  const lookup = o.vectorLookup;
  const d = o.dimension;

  const makeRaw = (): RawIndex =>
    new UsearchIndex({
      dimensions: d,
      metric: o.metric as MetricKind,
      quantization: o.quantization as ScalarKind,
      connectivity: o.connectivity,
      expansion_add: o.expansionAdd,
      expansion_search: o.expansionSearch,
      multi: false,
    });

  let raw = makeRaw();
  let table = new VectorTable(d, o.metric, lookup === undefined);
  let readOnly = false;

  const assertWritable = (): void => {
    if (readOnly) throw createError('INVALID_ARGUMENT', 'this ANN index was opened with view (memory-mapped, read-only); load it to modify');
  };

  /** Exact similarity of a prepared query to a key's full-precision vector. */
  const exactSimilarity = (q: Float32Array, key: number): number | undefined => {
    if (table.hasVectors) return table.similarityOf(q, key);
    const v = lookup?.(key);
    if (!v) return undefined;
    if (v.length !== d) throw createError('DIM_MISMATCH', `vectorLookup(${key}) gave dimension ${v.length}, expected ${d}`);
    if (o.metric === 'l2sq') return -l2sq(q, 0, v, 0, d);
    const s = dot(q, 0, v, 0, d);
    if (o.metric === 'ip') return s;
    const norm = Math.sqrt(dot(v, 0, v, 0, d));
    return norm > 0 ? s / norm : 0;
  };

  const canExact = (): boolean => table.hasVectors || lookup !== undefined;

  const exactScan = (q: Float32Array, k: number, filter: ((key: number) => boolean) | undefined, opts: AnnSearchOptions): AnnMatch[] => {
    const passingKeys = filter ? opts.passingKeys : undefined;
    // Keys listed as exactly the passing ones are not checked against the filter again.
    const check = passingKeys && opts.passingKeysExact === true ? undefined : filter;
    if (table.hasVectors) return passingKeys ? table.topKOf(q, k, passingKeys(), check) : table.topK(q, k, filter);
    const top = new TopK(Math.min(k, Math.max(table.size, 1)));
    const keys: Iterable<number> = passingKeys ? Array.from(passingKeys() as Iterable<number>).filter((key) => table.has(key)) : table.keys();
    for (const key of keys) {
      if (check && !check(key)) continue;
      const s = exactSimilarity(q, key);
      if (s !== undefined) top.push(s, key);
    }
    return top.toMatches().sort(compareMatches);
  };

  /** Share of a stratified sample of keys that pass the filter. */
  const estimatePassRate = (filter: (key: number) => boolean): number => {
    const n = table.size;
    const sample = Math.min(n, FILTER_SELECTIVITY_SAMPLE);
    let pass = 0;
    for (let i = 0; i < sample; i++) if (filter(table.keyAt(Math.floor(((i + 0.5) * n) / sample)))) pass++;
    return sample === 0 ? 0 : pass / sample;
  };

  const searchDetailed = (query: Float32Array, k: number, opts: AnnSearchOptions = NO_SEARCH_OPTIONS): AnnSearchReport => {
    assertQuery(query, d, k);
    if (opts !== NO_SEARCH_OPTIONS) rejectUnknownKeys(opts, ['filter', 'ef', 'passingKeys', 'passingKeysExact', 'filterStrategy'], 'AnnIndex.search');
    if (opts.ef !== undefined && (!Number.isInteger(opts.ef) || opts.ef < 1)) {
      throw createError('INVALID_ARGUMENT', `search: ef must be a positive integer, got ${opts.ef}`, { field: 'ef' });
    }
    const filter = opts.filter;
    const n = table.size;
    const report = (matches: AnnMatch[], extra: Partial<AnnSearchReport>): AnnSearchReport => ({
      matches,
      strategy: 'ann',
      candidatesRequested: 0,
      rounds: 0,
      estimatedFilterPassRate: 1,
      rescored: 0,
      ...extra,
    });
    if (n === 0) return report([], {});
    const q = table.prepareQuery(query);

    if (n <= EXACT_SEARCH_MAX_SIZE && canExact()) {
      return report(exactScan(q, k, filter, opts), { strategy: filter ? 'exact-filtered' : 'exact' });
    }

    const rescore = o.rescore > 0 && canExact() ? Math.max(k, o.rescore) : 0;
    const base = Math.max(k, rescore, opts.ef ?? 0);
    // The query handed to usearch: normalised for cos (scale-free there; keeps i8 casting in range).
    const rawQuery = o.metric === 'cos' ? q : query;

    const finish = (keys: BigUint64Array, distances: Float32Array, count: number, passRate: number, rounds: number, requested: number, strategy: AnnSearchReport['strategy']): AnnSearchReport => {
      const picked: AnnMatch[] = [];
      const limit = rescore > 0 ? rescore : k;
      for (let i = 0; i < count && picked.length < limit; i++) {
        const key = Number(keys[i]!);
        if (filter && !filter(key)) continue;
        picked.push({ key, similarity: similarityFromDistance(o.metric, distances[i]!) });
      }
      let rescored = 0;
      if (rescore > 0) {
        for (const m of picked) {
          const s = exactSimilarity(q, m.key);
          if (s !== undefined) {
            m.similarity = s;
            rescored++;
          }
        }
      }
      // usearch returns candidates by ascending distance; sorting is needed after rescoring, or to order
      // equal similarities by key (a linear check first: most result lists are already in order).
      if (rescored > 0 || !isSorted(picked)) picked.sort(compareMatches);
      if (picked.length > k) picked.length = k;
      return report(picked, { strategy, rounds, candidatesRequested: requested, estimatedFilterPassRate: passRate, rescored });
    };

    if (!filter) {
      const wanted = Math.min(base, n);
      const res = raw.search(rawQuery, wanted, 1);
      return finish(res.keys, res.distances, res.keys.length, 1, 1, wanted, 'ann');
    }

    const forced = opts.filterStrategy ?? 'auto';
    if (forced !== 'auto' && forced !== 'exact' && forced !== 'overfetch') {
      throw createError('INVALID_ARGUMENT', `search: filterStrategy must be auto, exact or overfetch, got ${String(forced)}`, { field: 'filterStrategy' });
    }
    const passRate = estimatePassRate(filter);
    // Unfiltered, the best k come from a search of breadth expansionSearch; with a pass rate p the best k
    // passing keys sit ~k/p deep, so the same accuracy needs breadth expansionSearch/p.
    let wanted = Math.min(n, Math.ceil((Math.max(base, o.expansionSearch) / Math.max(passRate, 1 / n)) * OVERFETCH_SAFETY));
    if (
      canExact() &&
      (forced === 'exact' ||
        (forced === 'auto' &&
          exactFilterPays({ size: n, dimension: d, passRate, overfetchCandidates: wanted, nativeScan: o.metric === 'cos' && table.hasVectors })))
    ) {
      return report(exactScan(q, k, filter, opts), { strategy: 'exact-filtered', estimatedFilterPassRate: passRate });
    }
    for (let round = 1; ; round++) {
      if (forced === 'auto' && wanted > n * OVERFETCH_MAX_SHARE && canExact()) {
        return report(exactScan(q, k, filter, opts), { strategy: 'exact-filtered', rounds: round - 1, estimatedFilterPassRate: passRate });
      }
      const res = raw.search(rawQuery, wanted, 1);
      const count = res.keys.length;
      // The tail of an HNSW result list is less reliable than its head: accept the round only when the
      // k-th passing key lies within the trusted head (OVERFETCH_TRUSTED_SHARE of the list).
      const trusted = Math.ceil(count * OVERFETCH_TRUSTED_SHARE);
      let passing = 0;
      for (let i = 0; i < trusted && passing < k; i++) if (filter(Number(res.keys[i]!))) passing++;
      if (passing >= k || count < wanted || wanted >= n) {
        return finish(res.keys, res.distances, count, passRate, round, wanted, 'ann-overfetch');
      }
      wanted = Math.min(n, wanted * OVERFETCH_GROWTH);
      // The query's neighbourhood does not pass: scan exactly when that is now estimated no slower.
      if (forced === 'auto' && canExact() && exactAfterOverfetchRound({ size: n, dimension: d, passRate, overfetchCandidates: wanted, nativeScan: o.metric === 'cos' && table.hasVectors })) {
        return report(exactScan(q, k, filter, opts), { strategy: 'exact-filtered', rounds: round, estimatedFilterPassRate: passRate });
      }
    }
  };

  const index: AnnIndex = {
    kind: 'usearch',
    dimension: d,
    metric: o.metric,
    quantization: o.quantization,
    get readOnly() {
      return readOnly;
    },
    get size() {
      return table.size;
    },
    add(keys: AnnKeysInput, vectors: AnnVectorsInput) {
      assertWritable();
      const k = toKeyArray(keys);
      if (k.length === 0) return;
      if (new Set(k).size !== k.length) throw createError('INVALID_ARGUMENT', 'add: the same key appears twice in one batch');
      const given = toMatrix(vectors, d, k.length);
      let matrix = given;
      if (o.metric === 'cos') {
        // usearch's i8 cast assumes components in [-1, 1]; cosine does not care about scale.
        const normed = new Float32Array(matrix.length);
        for (let i = 0; i < k.length; i++) {
          let s = 0;
          for (let j = i * d; j < (i + 1) * d; j++) s += matrix[j]! * matrix[j]!;
          const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
          for (let j = i * d; j < (i + 1) * d; j++) normed[j] = matrix[j]! * inv;
        }
        matrix = normed;
      }
      const existing = Array.from(k).filter((key) => table.has(key));
      if (existing.length > 0) raw.remove(BigUint64Array.from(existing, (x) => BigInt(x)));
      raw.add(BigUint64Array.from(k, (x) => BigInt(x)), matrix, o.addThreads);
      // The table normalises the given rows itself (for cos): normalised once, as the exact index does, so
      // exact answers carry the same similarities bit for bit.
      table.upsert(k, given);
    },
    remove(keys: AnnKeysInput) {
      assertWritable();
      const present = Array.from(toKeyArray(keys)).filter((key) => table.has(key));
      if (present.length === 0) return 0;
      raw.remove(BigUint64Array.from(present, (x) => BigInt(x)));
      for (const key of present) table.remove(key);
      return present.length;
    },
    has: (key: AnnKeyInput) => table.has(toKey(key)),
    keys: () => table.keys(),
    vector: (key: AnnKeyInput) => table.get(toKey(key))?.slice(),
    search: (query, k, opts) => searchDetailed(query, k, opts).matches,
    searchDetailed,
    save(path: string) {
      raw.save(path);
      table.save(path + ANN_SIDECAR_SUFFIX, { quantization: o.quantization, indexBytes: statSync(path).size, indexSha1: sha1OfFile(path) });
    },
    load(path: string, loadOptions: { view?: boolean; verifyChecksum?: boolean } = {}) {
      rejectUnknownKeys(loadOptions, ['view', 'verifyChecksum'], 'AnnIndex.load');
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
      if (loadOptions.verifyChecksum !== false && sha1OfFile(path) !== header.indexSha1) {
        throw createError('STORE_ERROR', `ANN index ${path} does not match the checksum its sidecar recorded`, { file: path });
      }
      const { table: loadedTable } = VectorTable.load(sidecar);
      if (!loadedTable.hasVectors && lookup === undefined && o.rescore > 0) {
        throw createError('INVALID_ARGUMENT', `ANN index ${path} was saved without vectors: pass vectorLookup to rescore`, { file: path });
      }
      const fresh = makeRaw();
      try {
        if (loadOptions.view) fresh.view(path);
        else fresh.load(path);
      } catch (err) {
        throw createError('STORE_ERROR', `ANN index ${path} could not be read by usearch: ${(err as Error).message}`, { file: path });
      }
      if (fresh.size() !== loadedTable.size || fresh.dimensions() !== d) {
        throw createError('STORE_ERROR', `ANN index ${path} holds ${fresh.size()} vectors of dimension ${fresh.dimensions()}, its sidecar ${loadedTable.size} of ${d}`, { file: path });
      }
      raw = fresh;
      table = loadedTable;
      readOnly = loadOptions.view === true;
    },
    filesFor: (path: string) => [path, path + ANN_SIDECAR_SUFFIX],
  };
  return index;
}

/** The options of a plain search (nothing to validate). */
const NO_SEARCH_OPTIONS: AnnSearchOptions = Object.freeze({});

function isSorted(matches: readonly AnnMatch[]): boolean {
  for (let i = 1; i < matches.length; i++) if (compareMatches(matches[i - 1]!, matches[i]!) > 0) return false;
  return true;
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
