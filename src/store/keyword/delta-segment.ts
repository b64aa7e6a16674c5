/**
 * Segments of an updated index, the way Lucene and Tantivy keep theirs: the main segment (the last
 * full build, load or merge, never changed) with tombstones for its rows that were since replaced or
 * deleted, plus a small delta segment holding the current rows of the changed keys. An update adds
 * tombstones and delta rows in time proportional to the change; `mergeSegments` folds the delta into
 * a new main segment once it has grown (see `KEYWORD_MERGE_FRACTION`).
 *
 * BM25 statistics stay those of a full build: N and the total length subtract the tombstoned rows'
 * and add the delta's; a term's document frequency is its main df minus its tombstoned postings
 * (`Tombstones.deadInTerm`, counted when a query first needs it and kept up to date incrementally)
 * plus its delta df.
 *
 * Every index version stays usable at its own state: versions made from one another share the
 * main segment's tombstone list (each sees its own prefix of it) and the delta's unchanged posting
 * lists; updating an older version again forks the tombstones instead.
 */
import { createBlockMaxima, type BlockMaxima } from './block-max.ts';
import { NO_DOC, type IndexData } from './build.ts';

/** A row of the delta segment: its columns, BM25 length and postings (term ids of the index's dictionary). */
export interface DeltaRow {
  key: number;
  id: string;
  length: number;
  /** NaN when the product has no price. */
  price: number;
  /** 1, 0, or -1 when unknown. */
  inStock: number;
  category: string | null;
  /** `brandColumnValue` of the product's brand. */
  brand: string | null;
  terms: Int32Array;
  freqs: Float32Array;
  /** Query scratch (the query that last touched the row, its sum and matched terms so far); not part of the row's state. */
  queryStamp: number;
  querySum: number;
  queryHits: number;
}

/** The tombstoned rows of one main segment in the order they were tombstoned; a version sees the first `count` of them. */
export class Tombstones {
  /** Per main row: its position in `rows`, or NO_DOC while live. */
  readonly seqOf: Int32Array;
  rows: Int32Array;
  /** Entries written so far (by the newest version made from this list). */
  count = 0;
  /** Per term: tombstoned postings among the first `at` tombstones (filled when queries need them). */
  readonly deadCounts = new Map<number, { count: number; at: number }>();

  constructor(nMain: number, from?: { tombstones: Tombstones; upTo: number }) {
    if (from) {
      this.seqOf = from.tombstones.seqOf.slice();
      for (let i = from.upTo; i < from.tombstones.count; i++) this.seqOf[from.tombstones.rows[i]!] = NO_DOC;
      this.rows = from.tombstones.rows.slice(0, Math.max(16, from.upTo));
      this.count = from.upTo;
    } else {
      this.seqOf = new Int32Array(nMain).fill(NO_DOC);
      this.rows = new Int32Array(16);
    }
  }

  add(row: number): void {
    if (this.count === this.rows.length) {
      const grown = new Int32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    this.seqOf[row] = this.count;
    this.rows[this.count++] = row;
  }

  /** How many of term t's main postings belong to the first `upTo` tombstoned rows. */
  deadInTerm(data: IndexData, t: number, upTo: number): number {
    if (upTo === 0 || t >= data.offsets.length - 1) return 0;
    const start = data.offsets[t]!;
    const end = data.offsets[t + 1]!;
    const df = end - start;
    if (df === 0) return 0;
    const cached = this.deadCounts.get(t);
    if (cached?.at === upTo) return cached.count;
    // Looking each tombstoned row up in the list costs log2(df) a row; scanning the list costs df.
    const lookupCost = Math.log2(df) + 1;
    const listed = (from: number, to: number): number => {
      let found = 0;
      for (let i = from; i < to; i++) {
        const row = this.rows[i]!;
        let lo = start;
        let hi = end - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const d = data.docs[mid]!;
          if (d === row) {
            found++;
            break;
          }
          if (d < row) lo = mid + 1;
          else hi = mid - 1;
        }
      }
      return found;
    };
    let count: number;
    if (cached && cached.at < upTo && (upTo - cached.at) * lookupCost < df) count = cached.count + listed(cached.at, upTo);
    else if (cached && cached.at > upTo && (cached.at - upTo) * lookupCost < df) count = cached.count - listed(upTo, cached.at);
    else if (upTo * lookupCost < df) count = listed(0, upTo);
    else {
      count = 0;
      const { docs } = data;
      const seqOf = this.seqOf;
      for (let p = start; p < end; p++) if (seqOf[docs[p]!]! < upTo) count++;
    }
    if (!cached || cached.at < upTo) this.deadCounts.set(t, { count, at: upTo });
    return count;
  }
}

/** A main segment with what every version made from it shares: its key lookup, tombstones and query scratch. */
export interface MainSegment {
  data: IndexData;
  /** The row of a key, or -1 (tombstoned rows included). */
  rowOf(key: number): number;
  tombstones: Tombstones;
  scratch: { accumulator?: Float64Array; stamps?: Uint32Array; generation: number };
  /** The longest row (BM25 length), for the norm-by-length table of a version. */
  maxLength: number;
  /** Rows per brand id (computed when first needed). */
  brandCounts?: Int32Array;
  /** Block maxima of the posting lists (per term, computed when a query first needs them). */
  blockMaxima: BlockMaxima;
}

/** Keys up to this many times the row count are mapped by a key-indexed array (else binary search). */
const DENSE_KEY_FACTOR = 4;

export function createMainSegment(data: IndexData): MainSegment {
  const n = data.ids.length;
  // Store keys are SQLite rowids, dense from 1: a key's row is one read of a key-indexed array (4 bytes
  // a key; the ANN layer maps ~50 keys a query, and a binary search's scattered reads cost ~30 µs of
  // cache misses there). Sparse keys fall back to binary search over the key column (rows are in
  // ascending key order).
  const maxKey = n > 0 ? data.keys[n - 1]! : 0;
  const dense = Number.isInteger(maxKey) && maxKey >= 0 && maxKey <= DENSE_KEY_FACTOR * n + 1024;
  const rowByDenseKey = dense ? new Int32Array(maxKey + 1).fill(-1) : undefined;
  if (rowByDenseKey) data.keys.forEach((key, row) => (rowByDenseKey[key] = row));
  const rowOf = (key: number): number => {
    if (rowByDenseKey) return key >= 0 && key <= maxKey && Number.isInteger(key) ? rowByDenseKey[key]! : -1;
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = data.keys[mid]!;
      if (at === key) return mid;
      if (at < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  let maxLength = 0;
  for (const length of data.lengths) if (length > maxLength) maxLength = length;
  return { data, rowOf, tombstones: new Tombstones(n), scratch: { generation: 0 }, maxLength, blockMaxima: createBlockMaxima(data, maxLength) };
}

/** The delta rows holding a term, with the term's weighted frequency in each (unordered; never changed once made). */
export interface DeltaPostings {
  rows: readonly DeltaRow[];
  freqs: readonly number[];
}
const NO_POSTINGS: DeltaPostings = { rows: [], freqs: [] };

/**
 * The delta segment of one version. Posting lists are looked up in `overlay` (lists changed lately)
 * then `base`; an update copies only the overlay, and folds it into a new base once it has grown to a
 * fraction of it, so an update costs its own postings plus a small amortised share.
 */
export interface DeltaSegment {
  /** Ascending key order. */
  rows: readonly DeltaRow[];
  base: ReadonlyMap<number, DeltaPostings>;
  overlay: ReadonlyMap<number, DeltaPostings>;
  totalLength: number;
  postings: number;
}

export const EMPTY_DELTA: DeltaSegment = { rows: [], base: new Map(), overlay: new Map(), totalLength: 0, postings: 0 };

export function deltaPostings(delta: DeltaSegment, term: number): DeltaPostings {
  return delta.overlay.get(term) ?? delta.base.get(term) ?? NO_POSTINGS;
}

/** The delta row of a key, or undefined. */
export function deltaRowOf(delta: DeltaSegment, key: number): DeltaRow | undefined {
  const rows = delta.rows;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = rows[mid]!.key;
    if (at === key) return rows[mid];
    if (at < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** An overlay larger than this (plus half the base) is folded into a new base. */
const OVERLAY_FOLD_MIN = 1024;

/** The delta with the rows of `changedKeys` removed and `added` (their current rows, ascending keys) put in. */
export function updateDelta(delta: DeltaSegment, changedKeys: readonly number[], added: readonly DeltaRow[]): DeltaSegment {
  const removed: DeltaRow[] = [];
  for (const key of changedKeys) {
    const row = deltaRowOf(delta, key);
    if (row) removed.push(row);
  }
  // Rows: one merge by key of the kept rows and the added ones.
  const gone = new Set(removed);
  const rows: DeltaRow[] = [];
  let j = 0;
  for (const row of delta.rows) {
    if (gone.has(row)) continue;
    while (j < added.length && added[j]!.key < row.key) rows.push(added[j++]!);
    rows.push(row);
  }
  while (j < added.length) rows.push(added[j++]!);
  // Posting lists of the terms the removed and added rows hold: copies with those rows out and in.
  const touched = new Map<number, { rows: DeltaRow[]; freqs: number[] }>();
  const listOf = (t: number): { rows: DeltaRow[]; freqs: number[] } => {
    let list = touched.get(t);
    if (!list) {
      const old = deltaPostings(delta, t);
      list = { rows: [], freqs: [] };
      for (let i = 0; i < old.rows.length; i++) {
        if (gone.has(old.rows[i]!)) continue;
        list.rows.push(old.rows[i]!);
        list.freqs.push(old.freqs[i]!);
      }
      touched.set(t, list);
    }
    return list;
  };
  let totalLength = delta.totalLength;
  let postings = delta.postings;
  for (const row of removed) {
    for (const t of row.terms) listOf(t);
    totalLength -= row.length;
    postings -= row.terms.length;
  }
  for (const row of added) {
    for (let i = 0; i < row.terms.length; i++) {
      const list = listOf(row.terms[i]!);
      list.rows.push(row);
      list.freqs.push(row.freqs[i]!);
    }
    totalLength += row.length;
    postings += row.terms.length;
  }
  const overlay = new Map(delta.overlay);
  for (const [t, list] of touched) overlay.set(t, list.rows.length > 0 ? list : NO_POSTINGS);
  const base = delta.base;
  if (overlay.size > OVERLAY_FOLD_MIN + base.size / 2) {
    const folded = new Map(base);
    for (const [t, list] of overlay) {
      if (list.rows.length > 0) folded.set(t, list);
      else folded.delete(t);
    }
    return { rows, base: folded, overlay: new Map(), totalLength, postings };
  }
  return { rows, base, overlay, totalLength, postings };
}
