/**
 * Contract of the in-memory keyword index: a BM25 inverted index over the store's analysed tokens
 * that answers `LocalIndexSource.keywordSearch` queries without SQLite FTS5 (which decodes and scores
 * every row of a common token's posting list; the in-memory index prunes with MaxScore).
 *
 * It is built from the store in one pass, saved to a binary file that records the store revision and
 * change-log position it was built from (`LocalIndexSource.revision()`, `changeSeq()`, `changeLogId()`),
 * and loaded back. An index behind the store is brought up to date from the store's change log
 * (`updateMemoryKeywordIndex`, and `openMemoryKeywordIndex` for a saved file) with the same result
 * as a rebuild; `loadMemoryKeywordIndex` refuses a file from another revision, or a damaged one, with
 * `INDEX_STALE`.
 */
import { createError, type ProdsimError } from '../../errors.ts';
import type { KeywordFilter, KeywordHit, KeywordSearchOptions, LocalIndexSource } from '../store.ts';

/** BM25 term-frequency saturation, as in SQLite's fts5 `bm25()` (fts5_aux.c). */
export const BM25_K1 = 1.2;
/** BM25 length normalisation, as in SQLite's fts5 `bm25()`. */
export const BM25_B = 0.75;
/** FTS5 clamps a non-positive idf (a term in more than half the rows) to this. */
export const BM25_MIN_IDF = 1e-6;

/** File magic and format version of a saved index (3: written by indexes with delta segments; 2 is still read, see index-file.ts); a format this code does not read makes a file stale. */
export const KEYWORD_INDEX_MAGIC = 'PSKWIDX\n';
export const KEYWORD_INDEX_FORMAT_VERSION = 3;

export type KeywordPruning = 'blockmax' | 'maxscore' | 'none';

export interface MemoryKeywordSearchOptions extends KeywordSearchOptions {
  /**
   * `maxscore` (default): MaxScore (Turtle & Flood 1995) with each term's exact largest contribution
   * (its peaks, `block-max.ts`): it stops once no row can beat the top-k, and once every competitive
   * row must hold some terms it visits only rows holding all of them;
   * `blockmax`: Block-Max MaxScore (Ding & Suel 2011) over the main segment's block maxima, the same
   * plus windows skipped by their blocks' maxima (slower than `maxscore` on the catalogs measured:
   * figures in `block-max.ts`);
   * `none`: scores every matching product (for tests and benchmarks). All give the same top-k.
   */
  pruning?: KeywordPruning;
}

export interface KeywordIndexStats {
  revision: string;
  products: number;
  /** Distinct FTS5 terms, plus the phrases of tokens that FTS5 splits (`1.5l` → `1 5l`). */
  terms: number;
  postings: number;
  /**
   * Bytes held in typed arrays and strings (estimate for strings: 2 bytes a character plus overhead);
   * not counted: the block maxima and peaks queries compute (`block-max.ts`; 2.4 MB for every term at
   * 1M products, against 300 MB for the index).
   */
  memoryBytes: number;
  /** Average row length in FTS5 terms over all columns (BM25's avgdl). */
  averageLength: number;
  /** Rows of the delta segment (products written since the main segment was built, loaded or merged). */
  deltaRows: number;
  /** Main-segment rows replaced or deleted since then. */
  tombstones: number;
  /** Main-segment terms whose block maxima queries have computed so far (`block-max.ts`; lists of one block need none). */
  blockMaxTerms: number;
}

export interface KeywordIndex {
  /** The store revision the index was built from (or updated to). */
  readonly revision: string;
  /** The store's change-log seq (`LocalIndexSource.changeSeq`) the index is current up to. */
  readonly changeSeq: number;
  readonly size: number;
  /** Distinct brands of the indexed products (`brandColumnValue`: trimmed, lower case), sorted: the values `KeywordFilter.brandIn` takes. */
  brands(): readonly string[];
  /**
   * Same query semantics and scores as `LocalIndexSource.keywordSearch`, except that `any` is the exact
   * OR top-k (the store may answer with its AND-first or rare-token heuristics), and that N and avgdl
   * are the live catalog's (the store's FTS5 keeps counting replaced and deleted rows in them).
   * Ties are broken by lower key.
   */
  search(queryTokens: readonly string[], options: MemoryKeywordSearchOptions): KeywordHit[];
  /** The product id of a store key, or undefined when the index does not hold the key. */
  idOf(key: number): string | undefined;
  /**
   * The filter as a predicate over store keys, answered from the index's per-product columns
   * (category, price, stock, brand), so another retriever (the ANN index) can filter without reading
   * products from the store. Keys the index does not hold do not pass.
   */
  keyFilter(filter: KeywordFilter): (key: number) => boolean;
  /** The store keys of every product that passes the filter, ascending (one scan of the columns). */
  keysMatching(filter: KeywordFilter): Float64Array;
  /** In how many products each query token occurs (as an FTS5 phrase). */
  documentFrequencies(tokens: readonly string[]): Map<string, number>;
  /** True when the store has not changed since the index was built. */
  isCurrent(store: Pick<LocalIndexSource, 'revision'>): boolean;
  /** Writes the index to `file` (atomically: a temp file then rename); returns the bytes written. */
  save(file: string): number;
  stats(): KeywordIndexStats;
}

export type KeywordIndexStaleReason = 'revision' | 'format' | 'damaged';

export function keywordIndexStale(file: string, reason: KeywordIndexStaleReason, message: string): ProdsimError {
  return createError('INDEX_STALE', `keyword index ${file}: ${message} (rebuild it from the store)`, { file }, { reason });
}
