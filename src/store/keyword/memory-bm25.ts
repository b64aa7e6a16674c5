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
 * terms only add to candidates found through the others. Each term's exact largest contribution (its
 * peaks, `block-max.ts`) also ends the search once no row can beat the top-k, and restricts it to the
 * rows holding every term a competitive row must hold. `pruning: 'blockmax'` runs Block-Max MaxScore
 * over per-block maxima instead (slower on the catalogs measured). The result is the exact OR top-k
 * (ties broken by lower key), unlike the store's FTS5 path, which returns an AND-first or
 * common-token-dropping approximation of it.
 *
 * An index is a main segment plus, after updates, tombstones and a delta segment
 * (`delta-segment.ts`); the files of this folder each hold one part: `build.ts` (rows → segment),
 * `postings-search.ts` (AND, exhaustive, MaxScore and Block-Max evaluation), `block-max.ts` (block
 * maxima and term peaks), `column-filter.ts` (filters over the columns), `delta-segment.ts` and
 * `segment-merge.ts` (updates), `index-file.ts` (the file),
 * `index-version.ts` (one version's segments behind the `KeywordIndex` contract). This file holds
 * the entry points: build, load, open, update.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { ANALYZED_FIELDS, KEYWORD_COLUMN_WEIGHTS, brandColumnValue, type AnalyzedField, type KeywordRow, type LocalIndexSource } from '../store.ts';
import { buildData, createRowAnalyser, validateOptions, weightsOf, type LogPosition, type MemoryKeywordIndexOptions } from './build.ts';
import { Tombstones, updateDelta, type DeltaRow } from './delta-segment.ts';
import { READABLE_FORMAT_VERSIONS, parseFile, readKeywordIndexHeader } from './index-file.ts';
import { createIndex, dictionaryOf, internalsOf, mergedState, stateOf, type IndexState } from './index-version.ts';
import { keywordIndexStale, type KeywordIndex, type KeywordIndexStaleReason } from './keyword-index.ts';

export { DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS, phraseKey, queryPhrases, type MemoryKeywordIndexOptions } from './build.ts';
export { readKeywordIndexHeader, readKeywordIndexRevision } from './index-file.ts';

function logPositionOf(store: LocalIndexSource): LogPosition {
  return { revision: store.revision(), changeSeq: store.changeSeq(), changeLogId: store.changeLogId() };
}

/**
 * Builds the index from the store in one pass over its products (`iterateKeywordRows`), inside one
 * read transaction so the recorded revision is the one the rows come from.
 */
export function createMemoryKeywordIndex(store: LocalIndexSource, options: Partial<MemoryKeywordIndexOptions> = {}): KeywordIndex {
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
export function openMemoryKeywordIndex(store: LocalIndexSource, file: string, options: Partial<MemoryKeywordIndexOptions> = {}): OpenedKeywordIndex {
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
 * share of the products (a merge rewrites every posting list: 0.7-0.9 s at 1M synthetic products with a
 * 2 % delta, about half of it writing the new 160 MB of postings; a larger delta costs queries a little:
 * its rows are scored without pruning). Measured in bench/keyword.ts and a tmp-scratch timing of
 * `mergeSegments` alone.
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
 * Brings an index up to the store's current state from the change log (`LocalIndexSource.changesSince`),
 * falling back to a full build when the log does not reach back to the index (or is another store's)
 * or more than `KEYWORD_INCREMENTAL_MAX_FRACTION` of the products changed. Returns a new index; the
 * given one stays usable (at its old state). Reads the store in one transaction. Saves to
 * `options.file` when given and the index changed; an index kept in memory need not be saved on
 * every update, since a file left behind is updated from the log when next opened.
 */
export function updateMemoryKeywordIndex(
  index: KeywordIndex,
  store: LocalIndexSource,
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

/**
 * The index with its tombstones and delta segment folded into a new main segment: the same answers at
 * the same store position, and the given index stays usable. For a caller that keeps the merge off
 * its write path: update with a larger `mergeFraction` (or Infinity), then merge when idle, e.g. once a
 * write's response has gone out, when `stats().deltaRows + stats().tombstones` has passed
 * `KEYWORD_MERGE_FRACTION` of `size` (a merge costs 0.7-0.9 s at 1M products). An index with nothing
 * pending is returned as it is.
 */
export function mergeMemoryKeywordIndex(index: KeywordIndex): KeywordIndex {
  const internals = internalsOf.get(index);
  if (!internals) throw createError('INVALID_ARGUMENT', 'mergeMemoryKeywordIndex: not an index made by this module', { field: 'index' });
  const { state } = internals;
  if (state.tombstoneCount === 0 && state.delta.rows.length === 0) return index;
  const merged = createIndex(mergedState(state));
  const next = internalsOf.get(merged)!;
  next.unsavedChanges = internals.unsavedChanges;
  // The merged index shares the dictionary: it takes over the right to append to it.
  next.ownsDictionary = internals.ownsDictionary;
  internals.ownsDictionary = false;
  return merged;
}
