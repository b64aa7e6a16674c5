/**
 * Block maxima of a main segment's posting lists (Ding & Suel 2011, "Faster top-k document retrieval
 * using block-max indexes"; Lucene's impacts, Tantivy's block_wand): each list is cut into blocks of
 * `BLOCK_SIZE` postings, and each block keeps the largest f·(k1+1)/(f + norm(D)) of its postings, the
 * term's score there before idf. Block-Max MaxScore (`postings-search.ts`) skips the stretches of
 * doc ordinals where the blocks' summed maxima cannot beat the top-k threshold.
 *
 * The maxima use the segment's own avgdl A0 (totalLength / rows), as `IndexData.bounds` do, and a query
 * scales them the same way: by idf · max(1, A1/A0) · (1 + 1e-9) for the live avgdl A1 (see
 * `createIndex`). So they stay upper bounds as updates move avgdl (a posting's value grows by at most
 * A1/A0 when avgdl grows, and not at all when it shrinks), and tombstoned rows only make a block's
 * maximum loose, never too low; delta rows are scored apart, exhaustively.
 *
 * Each term's peaks (its distinct weighted frequencies, each with the shortest row holding it) give
 * its exact largest contribution under any avgdl; `searchMaxScore` uses them to stop once no row can
 * beat the top-k and to intersect the terms every competitive row must hold.
 *
 * Both are computed per term when a query first needs them (one pass over that term's postings) and
 * kept with the main segment (a merge makes a new one), so loading a file costs nothing more and the
 * file format is unchanged. Lists of one block need no maxima (their block maximum is the term's
 * bound); their peaks are computed per query (at most 64 postings). At 1M synthetic products
 * (/tmp copy of the 1M store, tmp-scratch timing): 147 terms have more than one block, holding 19.4M
 * of the 20.4M postings; computing every term's maxima would take 123 ms and peaks 241 ms (2.4 MB),
 * so a load stays lazy; the commonest terms (700k postings) take ~6.5 ms each, once.
 *
 * Measured side by side on the same loaded index (k = 50, mean ms a query, old MaxScore → MaxScore
 * with peaks → Block-Max MaxScore): at 1M, brand + colour + thing (zh) 5.77 → 1.80 → 1.87, English
 * brand + words 3.27 → 1.85 → 1.93, partial matches 7.84 → 6.08 → 9.03, whole titles 7.60 → 7.35 →
 * 7.15, filtered 8.32 → 8.32 → 9.34; at 100k every class within noise of the old path except zh
 * (p50 0.50 → 0.35 ms). The block maxima themselves skip almost no window here: keys follow
 * ingestion, and every 64-posting block of a common term holds a row near its best contribution.
 */
import { normOf, type IndexData } from './build.ts';
import { BM25_K1 } from './keyword-index.ts';

/** log2 of the postings a block holds. */
export const BLOCK_SHIFT = 6;
export const BLOCK_SIZE = 1 << BLOCK_SHIFT;

export interface BlockMaxima {
  /**
   * Per block of term t's main postings (block b: positions `offsets[t] + b·BLOCK_SIZE` onwards), the
   * largest f·(k1+1)/(f + norm) with the segment's avgdl; undefined when the list fits in one block.
   */
  of(term: number): Float64Array | undefined;
  /**
   * Term t's peaks: for each distinct weighted frequency f of its main postings, the shortest row
   * length with it, as pairs (f, length). A row's contribution is non-decreasing as its length falls
   * for a given f (in floating point too: every step of the expression is monotonic), so the largest
   * contribution over the peaks, computed with the query's own expression and norms, is the term's
   * exact largest contribution over its postings (tombstoned ones included), whatever the live avgdl.
   */
  peaks(term: number): Float64Array;
  /** Terms whose maxima have been computed, and the bytes they hold. */
  computed(): { terms: number; bytes: number };
}

export function createBlockMaxima(data: Pick<IndexData, 'offsets' | 'docs' | 'freqs' | 'lengths' | 'totalLength'>, maxLength: number): BlockMaxima {
  const { offsets, docs, freqs, lengths } = data;
  const n = lengths.length;
  // The same avgdl and expression as `boundsOf`, so a list's largest block maximum is its bound.
  const avgdl = n > 0 ? data.totalLength / n : 1;
  let normByLength: Float64Array | undefined;
  const cache = new Map<number, Float64Array>();
  const peakCache = new Map<number, Float64Array>();
  const peaksOf = (start: number, end: number): Float64Array => {
    const fs: number[] = [];
    const minLength: number[] = [];
    for (let p = start; p < end; p++) {
      const f = freqs[p]!;
      const length = lengths[docs[p]!]!;
      let i = 0;
      while (i < fs.length && fs[i] !== f) i++;
      if (i === fs.length) {
        fs.push(f);
        minLength.push(length);
      } else if (length < minLength[i]!) minLength[i] = length;
    }
    const out = new Float64Array(2 * fs.length);
    for (let i = 0; i < fs.length; i++) {
      out[2 * i] = fs[i]!;
      out[2 * i + 1] = minLength[i]!;
    }
    return out;
  };
  let bytes = 0;
  const k1plus1 = BM25_K1 + 1;
  return {
    of(term) {
      const start = offsets[term]!;
      const end = offsets[term + 1]!;
      if (end - start <= BLOCK_SIZE) return undefined;
      let maxima = cache.get(term);
      if (maxima) return maxima;
      if (!normByLength) {
        normByLength = new Float64Array(maxLength + 1);
        for (let length = 0; length <= maxLength; length++) normByLength[length] = normOf(length, avgdl);
      }
      const norms = normByLength;
      const blocks = (end - start + BLOCK_SIZE - 1) >> BLOCK_SHIFT;
      maxima = new Float64Array(blocks);
      for (let b = 0; b < blocks; b++) {
        const from = start + (b << BLOCK_SHIFT);
        const to = Math.min(from + BLOCK_SIZE, end);
        let best = 0;
        for (let p = from; p < to; p++) {
          const f = freqs[p]!;
          const s = (f * k1plus1) / (f + norms[lengths[docs[p]!]!]!);
          if (s > best) best = s;
        }
        maxima[b] = best;
      }
      cache.set(term, maxima);
      bytes += maxima.byteLength;
      return maxima;
    },
    peaks(term) {
      const start = offsets[term]!;
      const end = offsets[term + 1]!;
      if (end - start <= BLOCK_SIZE) return peaksOf(start, end);
      let peaks = peakCache.get(term);
      if (!peaks) {
        peaks = peaksOf(start, end);
        peakCache.set(term, peaks);
        bytes += peaks.byteLength;
      }
      return peaks;
    },
    computed: () => ({ terms: cache.size, bytes }),
  };
}
