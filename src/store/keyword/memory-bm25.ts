/**
 * In-memory BM25 keyword index with MaxScore pruning, scoring exactly like the store's FTS5 query
 * (`bm25(keyword_index, …KEYWORD_COLUMN_WEIGHTS)`, SQLite fts5_aux.c):
 *
 *   score = Σ_phrases idf · f·(k1+1) / (f + k1·(1 − b + b·D/avgdl)),  f = Σ_columns weight_c · tf_c
 *
 * with D the row's length in FTS5 terms over all columns, avgdl the average of D, and
 * idf = log((N − n + 0.5)/(n + 0.5)) clamped to 1e-6 when ≤ 0 (FTS5 applies the column weights to
 * the term frequencies and saturates once per phrase, not once per column).
 *
 * Terms are what FTS5's unicode61 tokenizer makes of the stored tokens (`fts5Terms`). A stored token
 * that unicode61 splits (`1.5l` → `1` `5l`) is also indexed as its phrases (contiguous runs of at
 * least two of its terms), so a query token that FTS5 turns into a phrase finds it. A phrase that
 * FTS5 would match across two stored tokens (stored `1` then `5l`, queried `1.5l`) is not found
 * here: the benchmark counts how often that changes a top-10.
 *
 * Postings are per term, sorted by product key (typed arrays: doc ordinals and weighted
 * frequencies). `any` queries run MaxScore (Turtle & Flood 1995): query terms sorted by their
 * score upper bound; once the top-k threshold exceeds the summed bounds of the weakest terms, those
 * terms only add to candidates found through the others. The result is the exact OR top-k (ties
 * broken by lower key), unlike the store's FTS5 path, which returns an AND-first or common-token-
 *
 * An index is a main segment plus, after updates, tombstones and a delta segment
 * (`delta-segment.ts`); the files of this folder each hold one part: `build.ts` (rows → segment),
 * `postings-search.ts` (AND, exhaustive and MaxScore evaluation), `column-filter.ts` (filters over
 * the columns), `delta-segment.ts` and `segment-merge.ts` (updates), `index-file.ts` (the file).
 * This file puts them together behind the `KeywordIndex` contract and holds the entry points.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { ANALYZED_FIELDS, KEYWORD_COLUMN_WEIGHTS, brandColumnValue, type AnalyzedField, type KeywordHit, type KeywordRow, type ProductStore } from '../store.ts';
import {
  buildData,
  createRowAnalyser,
  phraseKey,
  queryPhrases,
  validateOptions,
  weightsOf,
  normOf,
  type IndexData,
  type LogPosition,
  type MemoryKeywordIndexOptions,
} from './build.ts';
import { compileFilter, deltaRowPasses, mainKeysPassing, mainRowPredicate, rowPasses, type CompiledFilter } from './column-filter.ts';
import {
  EMPTY_DELTA,
  Tombstones,
  createMainSegment,
  deltaPostings,
  deltaRowOf,
  updateDelta,
  type DeltaRow,
  type DeltaSegment,
  type MainSegment,
} from './delta-segment.ts';
import { READABLE_FORMAT_VERSIONS, parseFile, readKeywordIndexHeader, saveData } from './index-file.ts';
import { BM25_K1, BM25_MIN_IDF, keywordIndexStale, type KeywordIndex, type KeywordIndexStaleReason, type KeywordIndexStats } from './keyword-index.ts';
import { TopK, mainSegmentSearch, type QueryTerm } from './postings-search.ts';
import { mergeSegments } from './segment-merge.ts';

export { DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS, phraseKey, queryPhrases, type MemoryKeywordIndexOptions } from './build.ts';
export { readKeywordIndexHeader, readKeywordIndexRevision } from './index-file.ts';

/** Stamps the delta rows a query touches (`DeltaRow.queryStamp`); one counter for every index (queries never interleave). */
let deltaQueryStamp = 0;

/** Score upper bounds are raised by this factor so rounding never makes a bound smaller than a score. */
const BOUND_SLACK = 1 + 1e-9;

/** The term dictionary: main-segment terms first, then terms that delta rows brought; shared by the versions made from one another. */
interface Dictionary {
  terms: string[];
  ids: Map<string, number>;
}

/** One index version: its segments, how much of the shared tombstone list and dictionary it sees, and its store position. */
interface IndexState {
  main: MainSegment;
  tombstoneCount: number;
  /** Σ lengths of the tombstoned main rows. */
  deadLength: number;
  delta: DeltaSegment;
  dictionary: Dictionary;
  termCount: number;
  log: LogPosition;
}

/** What an incremental update needs of an index beyond its public face. */
interface IndexInternals {
  state: IndexState;
  /** False once an update has handed the dictionary on: a second update of this index copies it first. */
  ownsDictionary: boolean;
  /** Log rows merged into this index since it (or the index it was updated from) was last saved; 0 after `save`. */
  unsavedChanges: number;
}
const internalsOf = new WeakMap<KeywordIndex, IndexInternals>();

function dictionaryOf(terms: readonly string[]): Dictionary {
  const ids = new Map<string, number>();
  for (let i = 0; i < terms.length; i++) ids.set(terms[i]!, i);
  return { terms: terms.slice(), ids };
}

/** A version of a single main segment (after a build, load or merge). */
function stateOf(data: IndexData, dictionary: Dictionary = dictionaryOf(data.terms)): IndexState {
  return {
    main: createMainSegment(data),
    tombstoneCount: 0,
    deadLength: 0,
    delta: EMPTY_DELTA,
    dictionary,
    termCount: data.terms.length,
    log: { revision: data.revision, changeSeq: data.changeSeq, changeLogId: data.changeLogId },
  };
}

/** The state's segments folded into one main segment (sharing its dictionary). */
function mergedState(state: IndexState): IndexState {
  const data = mergeSegments(state.main, state.tombstoneCount, state.delta, state.dictionary.terms, state.termCount, state.log);
  return stateOf(data, state.dictionary);
}

function createIndex(state: IndexState): KeywordIndex {
  const { main, delta, tombstoneCount, dictionary, termCount } = state;
  const data = main.data;
  const nMain = data.ids.length;
  const mainTerms = data.offsets.length - 1;
  const n = nMain - tombstoneCount + delta.rows.length;
  const totalLength = data.totalLength - state.deadLength + delta.totalLength;
  const avgdl = n > 0 ? totalLength / n : 1;
  // Main rows never change, so a bound computed with the main segment's avgdl A0 stays one under the
  // live avgdl A1 once scaled by max(1, A1/A0): each posting's value grows by at most A1/A0 when avgdl
  // grows, and not at all when it shrinks; tombstoned postings only lower the max.
  const mainAvgdl = nMain > 0 ? data.totalLength / nMain : 0;
  const boundScale = mainAvgdl > 0 ? Math.max(1, avgdl / mainAvgdl) : 1;
  const segmented = tombstoneCount > 0 || delta.rows.length > 0;
  const seqOf = main.tombstones.seqOf;
  /** Main rows not tombstoned in this version; undefined when none is. */
  const live = tombstoneCount === 0 ? undefined : (d: number): boolean => seqOf[d]! >= tombstoneCount;
  const normByLength = new Float64Array(main.maxLength + 1);
  for (let length = 0; length <= main.maxLength; length++) normByLength[length] = normOf(length, avgdl);
  const { searchAll, searchExhaustive, searchMaxScore } = mainSegmentSearch({ data, normByLength, scratch: main.scratch, tombstoneSeq: seqOf, tombstoneCount });

  /** A term's id, or -1; ids of terms added by later versions sharing the dictionary are not this index's. */
  const termOf = (phrase: string): number => {
    const t = dictionary.ids.get(phrase);
    return t !== undefined && t < termCount ? t : -1;
  };
  const df = (t: number): number => {
    if (t < 0) return 0;
    let count = deltaPostings(delta, t).rows.length;
    if (t < mainTerms) count += data.offsets[t + 1]! - data.offsets[t]! - main.tombstones.deadInTerm(data, t, tombstoneCount);
    return count;
  };
  const idfOf = (nHit: number): number => {
    const idf = Math.log((n - nHit + 0.5) / (nHit + 0.5));
    return idf <= 0 ? BM25_MIN_IDF : idf;
  };
  const liveRowOf = (key: number): number => {
    const r = main.rowOf(key);
    return r >= 0 && (live === undefined || live(r)) ? r : -1;
  };
  const idOfKey = (key: number): string | undefined => {
    const r = liveRowOf(key);
    if (r >= 0) return data.ids[r];
    return delta.rows.length > 0 ? deltaRowOf(delta, key)?.id : undefined;
  };
  // Tombstones are tested by the evaluators themselves: the predicate is the filter's alone.
  const mainPass = (f: CompiledFilter | undefined): ((d: number) => boolean) | undefined => (f === undefined ? undefined : mainRowPredicate(data, f));

  /** The delta rows' part of a query: every matching delta row scored (the delta is small) into `top`, ranked by key on ties. */
  function searchDelta(qt: readonly QueryTerm[], matchAll: boolean, top: TopK, f: CompiledFilter | undefined): void {
    const ordered = [...qt].sort((a, b) => a.phrase - b.phrase);
    // Per-row sums in scratch fields of the rows, stamped with this query (no map per query).
    const stamp = ++deltaQueryStamp;
    const touched: DeltaRow[] = [];
    const k1plus1 = BM25_K1 + 1;
    for (const q of ordered) {
      const list = deltaPostings(delta, q.term);
      if (matchAll && list.rows.length === 0) return;
      for (let i = 0; i < list.rows.length; i++) {
        const row = list.rows[i]!;
        const freq = list.freqs[i]!;
        // Phrase order and the same expression as the main segment's paths: bit-identical sums.
        const c = (q.idf * (freq * k1plus1)) / (freq + normOf(row.length, avgdl));
        if (row.queryStamp !== stamp) {
          row.queryStamp = stamp;
          row.querySum = 0;
          row.queryHits = 0;
          touched.push(row);
        }
        row.querySum += c;
        row.queryHits++;
      }
    }
    for (const row of touched) {
      if (matchAll && row.queryHits < ordered.length) continue;
      if (f !== undefined && !deltaRowPasses(f, row)) continue;
      top.offer(row.querySum, row.key);
    }
  }

  let brandList: string[] | undefined;
  function liveBrands(): string[] {
    if (!segmented) return data.brands;
    if (brandList) return brandList;
    if (!main.brandCounts) {
      const counts = new Int32Array(data.brands.length);
      for (const b of data.brandOf) if (b >= 0) counts[b]!++;
      main.brandCounts = counts;
    }
    const counts = main.brandCounts.slice();
    for (let i = 0; i < tombstoneCount; i++) {
      const b = data.brandOf[main.tombstones.rows[i]!]!;
      if (b >= 0) counts[b]!--;
    }
    const set = new Set<string>();
    data.brands.forEach((b, i) => counts[i]! > 0 && set.add(b));
    for (const row of delta.rows) if (row.brand !== null) set.add(row.brand);
    brandList = [...set].sort();
    return brandList;
  }

  const internals: IndexInternals = { state, ownsDictionary: true, unsavedChanges: 0 };
  const index: KeywordIndex = {
    revision: state.log.revision,
    changeSeq: state.log.changeSeq,
    size: n,
    brands: liveBrands,
    search(queryTokens, options): KeywordHit[] {
      rejectUnknownKeys(options, ['k', 'filter', 'match', 'pruning'], 'keyword index search');
      const { k, filter = {}, match = 'any', pruning = 'maxscore' } = options;
      if (!Number.isInteger(k) || k < 1) {
        throw createError('INVALID_ARGUMENT', 'keyword search: k must be a positive integer', { field: 'k', received: String(k) });
      }
      if (match !== 'any' && match !== 'all') {
        throw createError('INVALID_ARGUMENT', 'keyword search: match must be "any" or "all"', { field: 'match', received: String(match) });
      }
      if (pruning !== 'maxscore' && pruning !== 'none') {
        throw createError('INVALID_ARGUMENT', 'keyword search: pruning must be "maxscore" or "none"', { field: 'pruning', received: String(pruning) });
      }
      const phrases = queryPhrases(queryTokens);
      if (phrases.length === 0 || n === 0) return [];
      const all: QueryTerm[] = phrases.map((p, phrase) => {
        const key = phraseKey(p);
        const term = key.length > 0 ? termOf(key) : -1;
        const nHit = df(term);
        const idf = idfOf(nHit);
        const bound = term < 0 || term >= mainTerms ? 0 : idf * data.bounds[term]! * boundScale * BOUND_SLACK;
        return { phrase, term, idf, bound, df: nHit };
      });
      const qt = all.filter((q) => q.term >= 0);
      if (qt.length === 0 || (match === 'all' && qt.length < all.length)) return [];
      const f = compileFilter(data, filter);
      const pass = mainPass(f);
      const kk = Math.min(k, n);
      const top = new TopK(kk);
      const matchAll = match === 'all' && qt.length > 1;
      if (matchAll) searchAll(qt, top, pass, phrases.length);
      else if (pruning === 'none') searchExhaustive(qt, top, pass);
      else searchMaxScore(qt, top, pass, phrases.length);
      const hits: KeywordHit[] = top.sorted().map(({ score, tie }) => ({ id: data.ids[tie]!, key: data.keys[tie]!, score }));
      if (delta.rows.length === 0) return hits;
      // The delta's top-k (ties by key), merged with the main segment's: both best first.
      const deltaTop = new TopK(kk);
      searchDelta(qt, matchAll, deltaTop, f);
      const fromDelta = deltaTop.sorted();
      const out: KeywordHit[] = [];
      let i = 0;
      let j = 0;
      while (out.length < kk && (i < hits.length || j < fromDelta.length)) {
        const h = hits[i];
        const dh = fromDelta[j];
        if (dh === undefined || (h !== undefined && (h.score > dh.score || (h.score === dh.score && h.key < dh.tie)))) out.push(hits[i++]!);
        else {
          out.push({ id: deltaRowOf(delta, dh.tie)!.id, key: dh.tie, score: dh.score });
          j++;
        }
      }
      return out;
    },
    idOf: idOfKey,
    keyFilter(filter) {
      const f = compileFilter(data, filter);
      if (!segmented) {
        if (f === undefined) return (key) => main.rowOf(key) >= 0;
        return (key) => {
          const row = main.rowOf(key);
          return row >= 0 && rowPasses(data, f, row);
        };
      }
      return (key) => {
        const r = liveRowOf(key);
        if (r >= 0) return f === undefined || rowPasses(data, f, r);
        const row = deltaRowOf(delta, key);
        return row !== undefined && (f === undefined || deltaRowPasses(f, row));
      };
    },
    keysMatching(filter) {
      const f = compileFilter(data, filter);
      if (!segmented && f === undefined) return data.keys.slice(0, nMain);
      const fromMain = mainKeysPassing(data, f, live);
      if (delta.rows.length === 0) return fromMain;
      const fromDelta = delta.rows.filter((row) => f === undefined || deltaRowPasses(f, row)).map((row) => row.key);
      // Both ascending: one merge.
      const out = new Float64Array(fromMain.length + fromDelta.length);
      let i = 0;
      let j = 0;
      let w = 0;
      while (i < fromMain.length || j < fromDelta.length) {
        if (j >= fromDelta.length || (i < fromMain.length && fromMain[i]! < fromDelta[j]!)) out[w++] = fromMain[i++]!;
        else out[w++] = fromDelta[j++]!;
      }
      return out;
    },
    documentFrequencies(tokens) {
      const out = new Map<string, number>();
      for (const t of tokens) if (!out.has(t)) out.set(t, df(termOf(phraseKey(t))));
      return out;
    },
    isCurrent: (store) => store.revision() === state.log.revision,
    save(file) {
      // A file holds one segment: the delta is merged into the written copy (this index keeps its segments).
      const written = segmented ? mergeSegments(main, tombstoneCount, delta, dictionary.terms, termCount, state.log) : { ...data, ...state.log };
      const bytes = saveData(written, file);
      internals.unsavedChanges = 0;
      return bytes;
    },
    stats(): KeywordIndexStats {
      const typed = [data.keys, data.lengths, data.prices, data.inStock, data.categoryOf, data.brandOf, data.offsets, data.docs, data.freqs, data.bounds];
      const stringBytes = (list: readonly string[]): number => list.reduce((s, x) => s + 16 + 2 * x.length, 0);
      let mainPostings = data.docs.length;
      if (live !== undefined) {
        // Tombstoned rows' postings are still in the main lists: counted out here (stats are not a hot path).
        mainPostings = 0;
        for (const d of data.docs) if (live(d)) mainPostings++;
      }
      const deltaBytes = delta.rows.reduce((s, row) => s + 120 + 2 * row.id.length + 16 * row.terms.length, 0);
      return {
        revision: state.log.revision,
        products: n,
        terms: termCount,
        postings: mainPostings + delta.postings,
        // Typed arrays, the strings, the term map (≈ 40 bytes an entry beside its key), tombstones and delta rows.
        memoryBytes:
          typed.reduce((s, a) => s + a.byteLength, 0) +
          stringBytes(data.ids) +
          stringBytes(dictionary.terms.slice(0, termCount)) +
          stringBytes(data.categories) +
          stringBytes(data.brands) +
          40 * termCount +
          (segmented ? seqOf.byteLength + 4 * tombstoneCount : 0) +
          deltaBytes,
        averageLength: n > 0 ? totalLength / n : 0,
        deltaRows: delta.rows.length,
        tombstones: tombstoneCount,
      };
    },
  };
  internalsOf.set(index, internals);
  return index;
}

function logPositionOf(store: ProductStore): LogPosition {
  return { revision: store.revision(), changeSeq: store.changeSeq(), changeLogId: store.changeLogId() };
}

/**
 * Builds the index from the store in one pass over its products (`iterateKeywordRows`), inside one
 * read transaction so the recorded revision is the one the rows come from.
 */
export function createMemoryKeywordIndex(store: ProductStore, options: Partial<MemoryKeywordIndexOptions> = {}): KeywordIndex {
  const opts = validateOptions(options);
  const data = store.transaction(() => buildData(store.iterateKeywordRows(), logPositionOf(store), opts));
  return createIndex(stateOf(data));
}

/** Builds an index from rows given directly (key order); for tests and tools without a store. */
export function createMemoryKeywordIndexFromRows(rows: Iterable<KeywordRow>, revision: string, options: Partial<MemoryKeywordIndexOptions> = {}): KeywordIndex {
  return createIndex(stateOf(buildData(rows, { revision, changeSeq: 0, changeLogId: '' }, validateOptions(options))));
}

export interface LoadKeywordIndexOptions {
  /** The store revision the index must have been built from (`store.revision()`); unchecked when absent. */
  revision?: string;
  /** Must equal the weights the index was built with. */
  columnWeights?: Record<AnalyzedField, number>;
}

/**
 * Loads a saved index. Throws FILE_NOT_FOUND when the file is missing, and INDEX_STALE (details.reason
 * `revision`, `format` or `damaged`) when it was built from another store revision, by another file
 * format or column weights, or is damaged: the caller rebuilds (or use `openMemoryKeywordIndex`).
 */
export function loadMemoryKeywordIndex(file: string, options: LoadKeywordIndexOptions = {}): KeywordIndex {
  rejectUnknownKeys(options, ['revision', 'columnWeights'], 'loadMemoryKeywordIndex');
  if (!fs.existsSync(file)) throw createError('FILE_NOT_FOUND', `no keyword index at ${file}`, { file });
  const weights = ANALYZED_FIELDS.map((f) => (options.columnWeights ?? KEYWORD_COLUMN_WEIGHTS)[f]);
  const parsed = parseFile(fs.readFileSync(file), weights);
  if (!parsed.ok) throw keywordIndexStale(file, parsed.reason, parsed.message);
  if (options.revision !== undefined && parsed.data.revision !== options.revision) {
    throw keywordIndexStale(file, 'revision', `built from store revision ${parsed.data.revision}, the store is at ${options.revision}`);
  }
  return createIndex(stateOf(parsed.data));
}

export interface OpenedKeywordIndex {
  index: KeywordIndex;
  /**
   * `loaded`: the file was current, or was brought up to date from the store's change log
   * (`changesApplied` > 0; the updated index is saved back); `built`: it was missing, stale beyond
   * what the log covers, or damaged, and was rebuilt and saved.
   */
  source: 'loaded' | 'built';
  /** Why it was rebuilt. */
  reason?: 'missing' | KeywordIndexStaleReason;
  /** Store changes (log rows) applied to the loaded file. */
  changesApplied?: number;
}

/**
 * The index of the store's current revision: loaded from `file` when that is current; loaded and
 * updated from the store's change log (`updateMemoryKeywordIndex`) and saved when the log reaches back
 * to it; otherwise built from the store and saved to `file`.
 */
export function openMemoryKeywordIndex(store: ProductStore, file: string, options: Partial<MemoryKeywordIndexOptions> = {}): OpenedKeywordIndex {
  const opts = validateOptions(options);
  let reason: OpenedKeywordIndex['reason'] = 'missing';
  const revision = store.revision();
  // Reading the header first avoids reading (and checksumming) a large file that must be rebuilt anyway.
  const saved = readKeywordIndexHeader(file);
  const readable = saved !== undefined && READABLE_FORMAT_VERSIONS.includes(saved.formatVersion);
  const updatable =
    readable &&
    saved.changeSeq !== undefined &&
    saved.changeLogId !== undefined &&
    saved.changeLogId !== '' &&
    saved.changeLogId === store.changeLogId() &&
    store.changesSince(saved.changeSeq) !== undefined;
  if ((readable && saved.revision === revision) || updatable) {
    const parsed = parseFile(fs.readFileSync(file), weightsOf(opts));
    if (parsed.ok && parsed.data.maxPhraseTerms === opts.maxPhraseTerms) {
      const loaded = createIndex(stateOf(parsed.data));
      if (saved?.revision === revision) return { index: loaded, source: 'loaded' };
      const updated = updateMemoryKeywordIndex(loaded, store, { ...opts, file, saveAfterFraction: 0 });
      if (updated.source === 'updated' || updated.source === 'current') {
        return { index: updated.index, source: 'loaded', changesApplied: updated.changesApplied };
      }
      return { index: updated.index, source: 'built', reason: 'revision' };
    }
    reason = parsed.ok ? 'format' : parsed.reason;
  } else if (saved !== undefined) reason = readable ? 'revision' : 'format';
  else if (fs.existsSync(file)) reason = 'damaged';
  const index = createMemoryKeywordIndex(store, opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  index.save(file);
  return { index, source: 'built', reason };
}

// ---- Incremental update -----------------------------------------------------------------------
//
// An update reads the store's change log since the index's seq and the changed products' rows
// (`keywordRowsOf`), analyses those rows into the delta segment and tombstones the main rows they
// replace or delete (`delta-segment.ts`): its cost follows the change, not the index. Once the delta
// and tombstones pass `KEYWORD_MERGE_FRACTION` of the products, or when the update saves, they are
// merged into a new main segment (one pass over every posting). Either way the index answers as a
// full build of the same store would: same N, avgdl, document frequencies, scores and tie-breaks.

/**
 * Above this share of the index's products changed, an update rebuilds from the store instead (reading
 * that many rows one key batch at a time stops being cheaper than one scan).
 */
export const KEYWORD_INCREMENTAL_MAX_FRACTION = 0.2;

/**
 * `updateMemoryKeywordIndex` with a `file` saves an updated index once the log rows merged since its
 * last save reach this share of its products (a save merges the segments and writes the whole index:
 * ~100 ms at 100k products, ~1.5 s at 1M); a file left behind is brought up to date from the log when
 * next opened.
 */
export const KEYWORD_SAVE_AFTER_FRACTION = 0.01;

/**
 * An update merges the delta segment into the main one once delta rows plus tombstones exceed this
 * share of the products (a merge rewrites every posting list, ~0.5 s at 1M products; a larger delta
 * costs queries a little: its rows are scored without pruning). Measured in bench/keyword.ts.
 */
export const KEYWORD_MERGE_FRACTION = 0.02;

export interface UpdateKeywordIndexOptions extends MemoryKeywordIndexOptions {
  /**
   * Save the result here (atomically) when it was rebuilt, when the file is missing, or when the log
   * rows merged since the last save reach `saveAfterFraction` of its products.
   */
  file?: string;
  /** Default `KEYWORD_SAVE_AFTER_FRACTION`; 0 saves after every update that changed the index. */
  saveAfterFraction: number;
  /** Default `KEYWORD_MERGE_FRACTION`; 0 merges after every update (the behaviour before delta segments). */
  mergeFraction: number;
}

export interface UpdatedKeywordIndex {
  index: KeywordIndex;
  /**
   * `current`: nothing to do (the same index, or one with only the revision moved when the store's
   * writes left no product change); `updated`: the log's changes were applied; `built`: rebuilt.
   */
  source: 'current' | 'updated' | 'built';
  /** Why it was rebuilt: the log does not reach back to the index (`log`), or too many products changed (`changes`). */
  reason?: 'log' | 'changes';
  /** Log rows applied (0 when current or rebuilt). */
  changesApplied: number;
  /** Whether it was saved to `options.file`. */
  saved: boolean;
  /** Whether the update merged the delta segment into the main one (always before a save). */
  merged: boolean;
}

/**
 * Brings an index up to the store's current state from the change log (`ProductStore.changesSince`),
 * falling back to a full build when the log does not reach back to the index (or is another store's)
 * or more than `KEYWORD_INCREMENTAL_MAX_FRACTION` of the products changed. Returns a new index; the
 * given one stays usable (at its old state). Reads the store in one transaction. Saves to
 * `options.file` when given and the index changed; an index kept in memory need not be saved on
 * every update, since a file left behind is updated from the log when next opened.
 */
export function updateMemoryKeywordIndex(
  index: KeywordIndex,
  store: ProductStore,
  options: Partial<UpdateKeywordIndexOptions> = {},
): UpdatedKeywordIndex {
  const { file, saveAfterFraction = KEYWORD_SAVE_AFTER_FRACTION, mergeFraction = KEYWORD_MERGE_FRACTION, ...indexOptions } = options;
  if (!(saveAfterFraction >= 0)) {
    throw createError('INVALID_ARGUMENT', 'saveAfterFraction must be a number ≥ 0', { field: 'saveAfterFraction', received: String(saveAfterFraction) });
  }
  if (!(mergeFraction >= 0)) {
    throw createError('INVALID_ARGUMENT', 'mergeFraction must be a number ≥ 0', { field: 'mergeFraction', received: String(mergeFraction) });
  }
  const opts = validateOptions(indexOptions);
  const internals = internalsOf.get(index);
  if (!internals) throw createError('INVALID_ARGUMENT', 'updateMemoryKeywordIndex: not an index made by this module', { field: 'index' });
  const { state } = internals;
  const weights = weightsOf(opts);
  const mainData = state.main.data;
  const sameOptions = mainData.maxPhraseTerms === opts.maxPhraseTerms && mainData.weights.every((w, i) => w === weights[i]);
  let save = false;
  const result = store.transaction((): Omit<UpdatedKeywordIndex, 'saved'> => {
    const log = logPositionOf(store);
    const rebuild = (reason: 'log' | 'changes'): Omit<UpdatedKeywordIndex, 'saved'> => {
      save = file !== undefined;
      return { index: createIndex(stateOf(buildData(store.iterateKeywordRows(), log, opts))), source: 'built', reason, changesApplied: 0, merged: false };
    };
    if (!sameOptions || log.changeLogId === '' || log.changeLogId !== state.log.changeLogId) return rebuild('log');
    if (log.revision === state.log.revision && log.changeSeq === state.log.changeSeq) return { index, source: 'current', changesApplied: 0, merged: false };
    const changes = store.changesSince(state.log.changeSeq);
    if (changes === undefined) return rebuild('log');
    const keys = [...new Set(changes.map((c) => c.key))].sort((a, b) => a - b);
    if (keys.length > KEYWORD_INCREMENTAL_MAX_FRACTION * Math.max(index.size, 1) && keys.length > 64) return rebuild('changes');
    if (keys.length === 0) {
      // The revision moved without a product change reaching the log: the same segments at the new position.
      const same = createIndex({ ...state, log });
      internalsOf.get(same)!.ownsDictionary = internals.ownsDictionary;
      internals.ownsDictionary = false;
      return { index: same, source: 'current', changesApplied: 0, merged: false };
    }
    const rows = store.keywordRowsOf(keys);

    // Terms: appended to the shared dictionary, unless this index handed it on already (then a copy).
    let dictionary = state.dictionary;
    if (!internals.ownsDictionary || dictionary.terms.length !== state.termCount) dictionary = dictionaryOf(dictionary.terms.slice(0, state.termCount));
    internals.ownsDictionary = false;
    const dict = dictionary;
    const termId = (term: string): number => {
      let t = dict.ids.get(term);
      if (t === undefined) {
        t = dict.terms.length;
        dict.ids.set(term, t);
        dict.terms.push(term);
      }
      return t;
    };
    const analyse = createRowAnalyser(mainData.weights, opts.maxPhraseTerms, termId);
    const added: DeltaRow[] = rows.map((row) => {
      const a = analyse(row);
      return {
        key: row.key,
        id: row.id,
        length: a.length,
        price: row.price ?? Number.NaN,
        inStock: row.inStock === null ? -1 : row.inStock ? 1 : 0,
        category: row.category,
        brand: brandColumnValue(row.brand),
        terms: Int32Array.from(a.terms),
        freqs: Float32Array.from(a.freqs),
        queryStamp: 0,
        querySum: 0,
        queryHits: 0,
      };
    });

    // Tombstones for the main rows of the changed keys (a fork of the list when a newer version already extended it).
    let main = state.main;
    if (main.tombstones.count !== state.tombstoneCount) {
      main = { ...main, tombstones: new Tombstones(mainData.ids.length, { tombstones: main.tombstones, upTo: state.tombstoneCount }), scratch: { generation: 0 } };
    }
    let tombstoneCount = state.tombstoneCount;
    let deadLength = state.deadLength;
    for (const key of keys) {
      const r = main.rowOf(key);
      if (r >= 0 && main.tombstones.seqOf[r]! >= tombstoneCount) {
        main.tombstones.add(r);
        tombstoneCount++;
        deadLength += mainData.lengths[r]!;
      }
    }
    let next: IndexState = { main, tombstoneCount, deadLength, delta: updateDelta(state.delta, keys, added), dictionary, termCount: dictionary.terms.length, log };
    const size = mainData.ids.length - tombstoneCount + next.delta.rows.length;
    const unsaved = internals.unsavedChanges + changes.length;
    save = file !== undefined && (!fs.existsSync(file) || unsaved >= Math.max(1, saveAfterFraction * size));
    const merge = save || tombstoneCount + next.delta.rows.length > mergeFraction * size;
    if (merge) next = mergedState(next);
    return { index: createIndex(next), source: 'updated', changesApplied: changes.length, merged: merge };
  });
  const next = internalsOf.get(result.index)!;
  if (result.index !== index && result.source !== 'built') next.unsavedChanges = internals.unsavedChanges + result.changesApplied;
  save &&= result.index !== index;
  if (save && file !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    result.index.save(file);
  }
  return { ...result, saved: save };
}
