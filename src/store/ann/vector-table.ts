/**
 * A contiguous Float32 table of (key, vector) rows: the storage behind the exact index, and the
 * full-precision sidecar of the usearch index (rescoring, exact filtered search, key listing).
 * Rows stay packed: removing a row moves the last row into its slot, so a scan never skips holes.
 * For the cos metric rows are stored L2-normalised, so cosine is a plain dot product at query time.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { exactSearch, MetricKind } from 'usearch';
import { createError } from '../../errors.ts';
import { NATIVE_SCAN_MIN_VALUES, NATIVE_SCAN_SHORTLIST, compareMatches, type AnnMatch, type AnnMetric, type AnnQuantization } from './ann-index.ts';

const MAGIC = 'PSANNV01';
const FORMAT_VERSION = 1;
const HEADER_BYTES = 96;
const METRIC_CODES: Record<AnnMetric, number> = { cos: 1, ip: 2, l2sq: 3 };
const QUANT_CODES: Record<AnnQuantization | 'none', number> = { f32: 1, f16: 2, i8: 3, none: 255 };
/** The native scan keeps its row buffer for the next query up to this many values (16 MB). */
const NATIVE_SCAN_KEEP_VALUES = 4_194_304;
/** The dense key → slot map covers keys below this × rows + DENSE_SLOT_SLACK (4 bytes a key: ≤ 16 bytes a row). */
const DENSE_SLOT_FACTOR = 4;
const DENSE_SLOT_SLACK = 65_536;

export interface VectorTableHeader {
  dimension: number;
  metric: AnnMetric;
  /** Quantization of the companion usearch index, or 'none' for a stand-alone exact index. */
  quantization: AnnQuantization | 'none';
  hasVectors: boolean;
  count: number;
  /** Byte size and SHA-1 of the companion index file (so a damaged file is never handed to usearch). */
  indexBytes: number;
  indexSha1: string;
}

export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < n; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + s2 + s3;
}

export function l2sq(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const d0 = a[aOff + i]! - b[bOff + i]!;
    const d1 = a[aOff + i + 1]! - b[bOff + i + 1]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  for (; i < n; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    s0 += d * d;
  }
  return s0 + s1;
}

function normalizeInto(src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number, n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += src[srcOff + i]! * src[srcOff + i]!;
  // A zero vector stays zero: it means "no evidence", and scores 0 against everything.
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]! * inv;
}

/** Keeps the best k (similarity, key) pairs seen; insertion into a sorted buffer (k is small). */
export class TopK {
  readonly k: number;
  private readonly sims: Float64Array;
  private readonly ids: Float64Array;
  private n = 0;

  constructor(k: number) {
    this.k = k;
    this.sims = new Float64Array(k);
    this.ids = new Float64Array(k);
  }

  /** Lowest similarity kept once full; -Infinity before. */
  get threshold(): number {
    return this.n < this.k ? -Infinity : this.sims[this.k - 1]!;
  }

  push(similarity: number, key: number): void {
    if (this.n === this.k) {
      const last = this.sims[this.k - 1]!;
      if (similarity < last || (similarity === last && key > this.ids[this.k - 1]!)) return;
    }
    let i = this.n < this.k ? this.n++ : this.k - 1;
    while (i > 0) {
      const s = this.sims[i - 1]!;
      if (s > similarity || (s === similarity && this.ids[i - 1]! < key)) break;
      this.sims[i] = s;
      this.ids[i] = this.ids[i - 1]!;
      i--;
    }
    this.sims[i] = similarity;
    this.ids[i] = key;
  }

  toMatches(): AnnMatch[] {
    const out = new Array<AnnMatch>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = { key: this.ids[i]!, similarity: this.sims[i]! };
    return out;
  }
}

export class VectorTable {
  readonly dimension: number;
  readonly metric: AnnMetric;
  readonly hasVectors: boolean;
  private keyArr: Float64Array;
  private data: Float32Array;
  /**
   * Key → slot + 1 (0: absent) for keys below its length. Keys are store rowids, dense from 1, so a
   * typed array indexed by key replaces a Map lookup (~5× faster per key in the exact filtered scan).
   * It covers keys up to DENSE_SLOT_FACTOR × rows + DENSE_SLOT_SLACK; larger (sparse) keys go to `sparseSlot`.
   */
  private denseSlot: Int32Array = new Int32Array(0);
  private readonly sparseSlot = new Map<number, number>();
  private n = 0;
  /** Reused buffers of the native scan (the rows it ranks, and their keys). */
  private scratch = new Float32Array(0);
  private scratchKeys = new Float64Array(0);

  constructor(dimension: number, metric: AnnMetric, hasVectors = true, capacity = 1024) {
    this.dimension = dimension;
    this.metric = metric;
    this.hasVectors = hasVectors;
    this.keyArr = new Float64Array(capacity);
    this.data = new Float32Array(hasVectors ? capacity * dimension : 0);
  }

  get size(): number {
    return this.n;
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  /** The slot of a key, or -1 when absent. */
  slotOf(key: number): number {
    const dense = this.denseSlot;
    if (key < dense.length) return key >= 0 ? dense[key]! - 1 : -1;
    const slot = this.sparseSlot.get(key);
    return slot === undefined ? -1 : slot;
  }

  private setSlot(key: number, slot: number): void {
    if (key >= this.denseSlot.length && key < DENSE_SLOT_FACTOR * (this.n + 1) + DENSE_SLOT_SLACK) {
      // Grow the dense map (doubling) and move the sparse keys it now covers.
      const grown = new Int32Array(Math.max(key + 1, Math.min(2 * this.denseSlot.length, DENSE_SLOT_FACTOR * (this.n + 1) + DENSE_SLOT_SLACK)));
      grown.set(this.denseSlot);
      this.denseSlot = grown;
      for (const [k, s] of this.sparseSlot) {
        if (k < grown.length) {
          grown[k] = s + 1;
          this.sparseSlot.delete(k);
        }
      }
    }
    if (key < this.denseSlot.length) this.denseSlot[key] = slot + 1;
    else this.sparseSlot.set(key, slot);
  }

  private deleteSlot(key: number): void {
    if (key < this.denseSlot.length) this.denseSlot[key] = 0;
    else this.sparseSlot.delete(key);
  }

  /** Keys in slot order (a copy). */
  keys(): Float64Array {
    return this.keyArr.slice(0, this.n);
  }

  keyAt(slot: number): number {
    return this.keyArr[slot]!;
  }

  /** The stored (for cos: normalised) row of a key, as a view; undefined if absent or keys-only. */
  get(key: number): Float32Array | undefined {
    const slot = this.slotOf(key);
    if (slot < 0 || !this.hasVectors) return undefined;
    return this.data.subarray(slot * this.dimension, (slot + 1) * this.dimension);
  }

  /**
   * Makes room for `min` rows, growing by a quarter (not doubling: at 1M × 200 the table is 800 MB, and
   * a copy of it costs ~0.3 s and its size again in memory while it lasts).
   */
  private grow(min: number): void {
    let cap = this.keyArr.length;
    if (cap >= min) return;
    while (cap < min) cap += Math.max(1024, cap >> 2);
    const keys = new Float64Array(cap);
    keys.set(this.keyArr.subarray(0, this.n));
    this.keyArr = keys;
    if (this.hasVectors) {
      const data = new Float32Array(cap * this.dimension);
      data.set(this.data.subarray(0, this.n * this.dimension));
      this.data = data;
    }
  }

  /** Inserts or replaces rows; `matrix` is row-major (keys.length × dimension), ignored when keys-only. */
  upsert(keys: Float64Array, matrix: Float32Array): void {
    this.grow(this.n + keys.length);
    const d = this.dimension;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let slot = this.slotOf(key);
      if (slot < 0) {
        slot = this.n;
        this.setSlot(key, slot);
        this.n++;
        this.keyArr[slot] = key;
      }
      if (!this.hasVectors) continue;
      if (this.metric === 'cos') normalizeInto(matrix, i * d, this.data, slot * d, d);
      else this.data.set(matrix.subarray(i * d, (i + 1) * d), slot * d);
    }
  }

  /** Removes a key; the last row moves into its slot. */
  remove(key: number): boolean {
    const slot = this.slotOf(key);
    if (slot < 0) return false;
    const last = this.n - 1;
    this.deleteSlot(key);
    if (slot !== last) {
      const lastKey = this.keyArr[last]!;
      this.keyArr[slot] = lastKey;
      this.setSlot(lastKey, slot);
      if (this.hasVectors) this.data.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
    }
    this.n = last;
    return true;
  }

  /** Turns a query into the form rows are compared with (normalised for cos; a copy either way). */
  prepareQuery(query: Float32Array): Float32Array {
    const q = new Float32Array(this.dimension);
    if (this.metric === 'cos') normalizeInto(query, 0, q, 0, this.dimension);
    else q.set(query);
    return q;
  }

  /** Similarity of a prepared query to a stored row (higher = better). */
  similarityAt(q: Float32Array, slot: number): number {
    const d = this.dimension;
    return this.metric === 'l2sq' ? -l2sq(q, 0, this.data, slot * d, d) : dot(q, 0, this.data, slot * d, d);
  }

  similarityOf(q: Float32Array, key: number): number | undefined {
    const slot = this.slotOf(key);
    return slot < 0 || !this.hasVectors ? undefined : this.similarityAt(q, slot);
  }

  /**
   * Brute-force top-k over the given keys (absent keys are skipped) that pass `filter` (omit it when the
   * keys are already exactly the passing ones: then no per-key call). A typed array or array of keys is
   * scanned by index with the key → slot map inlined; any other iterable goes through `for … of`.
   */
  topKOf(q: Float32Array, k: number, keys: Iterable<number> | ArrayLike<number>, filter?: (key: number) => boolean): AnnMatch[] {
    const top = new TopK(Math.min(k, Math.max(this.n, 1)));
    if (!this.hasVectors) return [];
    const list: ArrayLike<number> = ArrayBuffer.isView(keys) || Array.isArray(keys) ? (keys as ArrayLike<number>) : Array.from(keys as Iterable<number>);
    const d = this.dimension;
    if (this.metric === 'cos' && list.length * d >= NATIVE_SCAN_MIN_VALUES && list.length > k) {
      const native = this.topKOfNative(q, k, list, filter);
      if (native) return native;
    }
    const data = this.data;
    const dense = this.denseSlot;
    const denseLength = dense.length;
    const l2 = this.metric === 'l2sq';
    let threshold = -Infinity;
    for (let i = 0; i < list.length; i++) {
      const key = list[i]!;
      let slot: number;
      if (key < denseLength && key >= 0) slot = dense[key]! - 1;
      else slot = this.slotOf(key);
      if (slot < 0) continue;
      if (filter !== undefined && !filter(key)) continue;
      const s = l2 ? -l2sq(q, 0, data, slot * d, d) : dot(q, 0, data, slot * d, d);
      if (s >= threshold) {
        top.push(s, key);
        threshold = top.threshold;
      }
    }
    return top.toMatches().sort(compareMatches);
  }

  /**
   * `topKOf` for the cos metric through usearch's native (SIMD) exact search: the listed rows are copied
   * into one contiguous buffer (runs of consecutive slots in one copy), usearch ranks them by its float32
   * inner product, and its best NATIVE_SCAN_SHORTLIST(k) are rescored here with the same double-accumulated
   * dot product as the JS scan. The answer is provably the JS scan's: every row left out has a native
   * similarity ≤ t (the shortlist's last), so a JS similarity ≤ t + ε, with ε a bound of float32 rounding
   * ((d + 2) · 2⁻²² for unit vectors); when the k-th rescored similarity does not exceed t + 2ε (near ties
   * at the cut, e.g. duplicate vectors), undefined is returned and the caller scans in JS.
   * Measured on the 100k × 200 catalog, 4,400 passing rows of 80 MB: the scan 2.0 ms (the copy is most of
   * it: scattered rows, memory-bound; `set(subarray)` measured faster than Buffer.copy) against 4.0 ms for
   * the JS dot over the same rows.
   */
  private topKOfNative(q: Float32Array, k: number, list: ArrayLike<number>, filter?: (key: number) => boolean): AnnMatch[] | undefined {
    const d = this.dimension;
    if (this.scratch.length < list.length * d) this.scratch = new Float32Array(Math.max(list.length * d, this.scratch.length * 2));
    const scratch = this.scratch;
    if (this.scratchKeys.length < list.length) this.scratchKeys = new Float64Array(Math.max(list.length, this.scratchKeys.length * 2));
    const picked = this.scratchKeys;
    const data = this.data;
    const dense = this.denseSlot;
    let count = 0;
    let runStart = -1; // first slot of the pending run of consecutive slots, copied to row runAt
    let runEnd = -1;
    let runAt = 0;
    for (let i = 0; i < list.length; i++) {
      const key = list[i]!;
      const slot = key < dense.length && key >= 0 ? dense[key]! - 1 : this.slotOf(key);
      if (slot < 0) continue;
      if (filter !== undefined && !filter(key)) continue;
      if (slot === runEnd) runEnd++;
      else {
        if (runStart >= 0) scratch.set(data.subarray(runStart * d, runEnd * d), runAt * d);
        runStart = slot;
        runEnd = slot + 1;
        runAt = count;
      }
      picked[count++] = key;
    }
    if (runStart >= 0) scratch.set(data.subarray(runStart * d, runEnd * d), runAt * d);
    const matches = this.nativeTopK(q, k, scratch, picked, count);
    // A large buffer (an unselective filter on a large index) is not kept between queries.
    if (this.scratch.length > NATIVE_SCAN_KEEP_VALUES) {
      this.scratch = new Float32Array(0);
      this.scratchKeys = new Float64Array(0);
    }
    return matches;
  }

  /** Native top-k of the first `count` rows of `rows` (row i has key rowKeys[i]), verified; see `topKOfNative`. */
  private nativeTopK(q: Float32Array, k: number, allRows: Float32Array, rowKeys: Float64Array, count: number): AnnMatch[] | undefined {
    const d = this.dimension;
    if (count <= k) return undefined;
    const shortlist = Math.min(count, NATIVE_SCAN_SHORTLIST(k));
    const rows = allRows.subarray(0, count * d);
    const res = exactSearch(rows, q, d, shortlist, MetricKind.IP, 1);
    const top = new TopK(k);
    let cut = Infinity; // lowest native similarity in the shortlist
    for (let i = 0; i < res.keys.length; i++) {
      const row = Number(res.keys[i]!);
      cut = Math.min(cut, 1 - res.distances[i]!);
      top.push(dot(q, 0, rows, row * d, d), rowKeys[row]!);
    }
    const matches = top.toMatches();
    if (res.keys.length !== shortlist || matches.length !== k) return undefined;
    if (shortlist < count) {
      const epsilon = (d + 2) * 2 ** -22;
      if (!(matches[k - 1]!.similarity > cut + 2 * epsilon)) return undefined;
    }
    return matches.sort(compareMatches);
  }

  /** Brute-force top-k over all rows, or over the rows whose key passes `filter`. */
  topK(q: Float32Array, k: number, filter?: (key: number) => boolean): AnnMatch[] {
    if (this.metric === 'cos' && this.hasVectors && this.n * this.dimension >= NATIVE_SCAN_MIN_VALUES && this.n > k) {
      if (filter === undefined) {
        // The table itself is the native scan's input: no copy.
        const native = this.nativeTopK(q, k, this.data, this.keyArr, this.n);
        if (native) return native;
      } else {
        // The passing keys first (one filter call each, as below), then the native scan of their rows.
        const passing = new Float64Array(this.n);
        let count = 0;
        for (let slot = 0; slot < this.n; slot++) {
          const key = this.keyArr[slot]!;
          if (filter(key)) passing[count++] = key;
        }
        return this.topKOf(q, k, passing.subarray(0, count));
      }
    }
    return this.scanTopK(q, k, filter);
  }

  /** `topK` as a plain JS loop over every row (no native scan): the reference the native path must equal. */
  scanTopK(q: Float32Array, k: number, filter?: (key: number) => boolean): AnnMatch[] {
    const top = new TopK(Math.min(k, Math.max(this.n, 1)));
    const d = this.dimension;
    const data = this.data;
    const keys = this.keyArr;
    const metric = this.metric;
    for (let slot = 0; slot < this.n; slot++) {
      const key = keys[slot]!;
      if (filter && !filter(key)) continue;
      const s = metric === 'l2sq' ? -l2sq(q, 0, data, slot * d, d) : dot(q, 0, data, slot * d, d);
      if (s >= top.threshold) top.push(s, key);
    }
    return top.toMatches().sort(compareMatches);
  }

  // ---- persistence ----

  save(path: string, companion: { quantization: AnnQuantization | 'none'; indexBytes: number; indexSha1: string }): void {
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(FORMAT_VERSION, 8);
    header.writeUInt32LE(this.dimension, 12);
    header.writeUInt32LE(METRIC_CODES[this.metric], 16);
    header.writeUInt32LE(QUANT_CODES[companion.quantization], 20);
    header.writeUInt32LE(this.hasVectors ? 1 : 0, 24);
    header.writeDoubleLE(this.n, 32);
    header.writeDoubleLE(companion.indexBytes, 40);
    if (companion.indexSha1) Buffer.from(companion.indexSha1, 'hex').copy(header, 48);
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, header);
      writeAll(fd, new Uint8Array(this.keyArr.buffer, 0, this.n * 8));
      if (this.hasVectors) writeAll(fd, new Uint8Array(this.data.buffer, 0, this.n * this.dimension * 4));
    } finally {
      closeSync(fd);
    }
  }

  /** Reads only the header (cheap), validating magic, version and the file size it implies. */
  static readHeader(path: string): VectorTableHeader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      // Into a catalogue error: a sidecar that cannot be opened is FILE_NOT_FOUND with its path.
      throw createError('FILE_NOT_FOUND', `ANN sidecar ${path} cannot be opened: ${(err as Error).message}`, { file: path });
    }
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const got = readSync(fd, header, 0, HEADER_BYTES, 0);
      const fileBytes = fstatSync(fd).size;
      return parseHeader(path, header, got, fileBytes);
    } finally {
      closeSync(fd);
    }
  }

  static load(path: string): { table: VectorTable; header: VectorTableHeader } {
    const header = VectorTable.readHeader(path);
    // Room for the rows a catalog adds after loading (its index follows product writes): a table loaded
    // full had to be copied whole by the first add (at 1M × 200, most of a one-product refresh).
    const table = new VectorTable(header.dimension, header.metric, header.hasVectors, header.count + Math.max(1024, Math.ceil(header.count / 16)));
    const fd = openSync(path, 'r');
    try {
      readAll(fd, new Uint8Array(table.keyArr.buffer, 0, header.count * 8), HEADER_BYTES);
      if (header.hasVectors) {
        readAll(fd, new Uint8Array(table.data.buffer, 0, header.count * header.dimension * 4), HEADER_BYTES + header.count * 8);
      }
    } finally {
      closeSync(fd);
    }
    table.n = header.count;
    for (let slot = 0; slot < header.count; slot++) {
      const key = table.keyArr[slot]!;
      if (!Number.isSafeInteger(key) || key < 0 || table.slotOf(key) >= 0) {
        throw createError('STORE_ERROR', `ANN sidecar ${path}: bad or duplicate key at row ${slot}`, { file: path });
      }
      table.setSlot(key, slot);
    }
    return { table, header };
  }
}

function parseHeader(path: string, header: Buffer, got: number, fileBytes: number): VectorTableHeader {
  const bad = (why: string): never => {
    throw createError('STORE_ERROR', `ANN sidecar ${path} is not readable: ${why}`, { file: path });
  };
  if (got < HEADER_BYTES || header.toString('latin1', 0, 8) !== MAGIC) bad('not a prodsim ANN sidecar');
  const version = header.readUInt32LE(8);
  if (version !== FORMAT_VERSION) bad(`format version ${version}, expected ${FORMAT_VERSION}`);
  const dimension = header.readUInt32LE(12);
  const metric = (Object.keys(METRIC_CODES) as AnnMetric[]).find((m) => METRIC_CODES[m] === header.readUInt32LE(16));
  const quantCode = header.readUInt32LE(20);
  const quantization = (Object.keys(QUANT_CODES) as (AnnQuantization | 'none')[]).find((q) => QUANT_CODES[q] === quantCode);
  const hasVectors = header.readUInt32LE(24) === 1;
  const count = header.readDoubleLE(32);
  const indexBytes = header.readDoubleLE(40);
  if (!metric || !quantization || dimension === 0) bad('unknown metric, quantization or zero dimension');
  if (!Number.isSafeInteger(count) || count < 0) bad(`bad row count ${count}`);
  const expected = HEADER_BYTES + count * 8 + (hasVectors ? count * dimension * 4 : 0);
  if (fileBytes !== expected) bad(`size ${fileBytes} bytes, expected ${expected} (truncated or damaged)`);
  const sha = header.subarray(48, 68);
  return {
    dimension,
    metric: metric!,
    quantization: quantization!,
    hasVectors,
    count,
    indexBytes,
    indexSha1: sha.every((b) => b === 0) ? '' : sha.toString('hex'),
  };
}

const IO_CHUNK = 64 * 1024 * 1024;

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) {
    off += writeSync(fd, bytes, off, Math.min(IO_CHUNK, bytes.length - off));
  }
}

function readAll(fd: number, into: Uint8Array, position: number): void {
  for (let off = 0; off < into.length; ) {
    const got = readSync(fd, into, off, Math.min(IO_CHUNK, into.length - off), position + off);
    if (got <= 0) throw createError('STORE_ERROR', 'ANN sidecar ended early');
    off += got;
  }
}
