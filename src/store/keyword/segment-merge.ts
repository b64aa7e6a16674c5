/**
 * Folding the delta segment into a new main segment: the main rows not tombstoned and the delta rows,
 * merged by key, every posting list rewritten once (old postings renumbered, tombstoned ones dropped,
 * delta postings merged in doc order). The result holds exactly the postings, lengths and columns a
 * full build of the same rows would (term ids aside; terms whose last row went away keep an empty
 * list until the next full build), with exact MaxScore bounds.
 */
import { interner, normOf, type IndexData, type LogPosition } from './build.ts';
import { BM25_K1 } from './keyword-index.ts';
import type { DeltaSegment, MainSegment } from './delta-segment.ts';

/**
 * The brand column after a merge, in place: `brandOf` holds old brand ids (≥ 0), -1, or -2 - i for
 * `newBrands[i]`. Returns the sorted distinct brands of the rows and rewrites `brandOf` into it.
 */
function mergeBrands(oldBrands: readonly string[], brandOf: Int32Array, newBrands: readonly (string | null)[]): string[] {
  const used = new Uint8Array(oldBrands.length);
  for (let d = 0; d < brandOf.length; d++) if (brandOf[d]! >= 0) used[brandOf[d]!] = 1;
  const live = new Set(oldBrands.filter((_, b) => used[b] === 1));
  for (const b of newBrands) if (b !== null) live.add(b);
  const brands = [...live].sort();
  const idOf = new Map(brands.map((b, i) => [b, i]));
  const oldToNew = Int32Array.from(oldBrands, (b) => idOf.get(b) ?? -1);
  const newIds = Int32Array.from(newBrands, (b) => (b === null ? -1 : idOf.get(b)!));
  for (let d = 0; d < brandOf.length; d++) {
    const b = brandOf[d]!;
    brandOf[d] = b >= 0 ? oldToNew[b]! : b === -1 ? -1 : newIds[-2 - b]!;
  }
  return brands;
}

interface MergeOutput {
  docs: Int32Array;
  freqs: Float32Array;
  bounds: Float64Array;
  /** Postings written so far. */
  w: number;
}

const K1_PLUS_1 = BM25_K1 + 1;

/**
 * Term t's new posting list: its old postings from p to end (renumbered, dead rows dropped) merged
 * with its delta postings g to gEnd (new ordinals ascending), written at `out.w`; its exact bound
 * (as `boundsOf` computes it) taken in the same pass. A function of its own so V8 optimises this
 * loop, which runs over every posting, apart from the merge's other passes.
 */
function mergeTerm(
  out: MergeOutput,
  t: number,
  oldDocs: Int32Array,
  oldFreqs: Float32Array,
  p: number,
  end: number,
  oldToNew: Int32Array,
  g: number,
  gEnd: number,
  postRow: Int32Array,
  postFreq: Float32Array,
  newOrdinal: Int32Array,
  norms: Float64Array,
): void {
  const { docs, freqs } = out;
  let w = out.w;
  let best = 0;
  for (; g < gEnd; g++) {
    // Delta rows are in key order, so their new ordinals ascend: old postings before this one first.
    const nd = newOrdinal[postRow[g]!]!;
    for (; p < end; p++) {
      const d = oldToNew[oldDocs[p]!]!;
      if (d < 0) continue;
      if (d > nd) break;
      const f = oldFreqs[p]!;
      docs[w] = d;
      freqs[w++] = f;
      const s = (f * K1_PLUS_1) / (f + norms[d]!);
      if (s > best) best = s;
    }
    const f = postFreq[g]!;
    docs[w] = nd;
    freqs[w++] = f;
    const s = (f * K1_PLUS_1) / (f + norms[nd]!);
    if (s > best) best = s;
  }
  for (; p < end; p++) {
    const d = oldToNew[oldDocs[p]!]!;
    if (d < 0) continue;
    const f = oldFreqs[p]!;
    docs[w] = d;
    freqs[w++] = f;
    const s = (f * K1_PLUS_1) / (f + norms[d]!);
    if (s > best) best = s;
  }
  out.bounds[t] = best;
  out.w = w;
}

/**
 * A new main segment from `main` (its first `tombstoneCount` tombstones applied) and `delta`, with the
 * dictionary's first `termCount` terms.
 */
export function mergeSegments(main: MainSegment, tombstoneCount: number, delta: DeltaSegment, terms: readonly string[], termCount: number, log: LogPosition): IndexData {
  const old = main.data;
  const nOld = old.ids.length;
  const seqOf = main.tombstones.seqOf;
  const rows = delta.rows;
  const nNew = nOld - tombstoneCount + rows.length;

  // Delta postings grouped by term, rows ascending within a term (a counting sort: one pass to count,
  // one to place; rows are in key order).
  const deltaStart = new Int32Array(termCount + 1);
  let nPost = 0;
  for (const row of rows) {
    for (let x = 0; x < row.terms.length; x++) deltaStart[row.terms[x]! + 1]!++;
    nPost += row.terms.length;
  }
  for (let t = 0; t < termCount; t++) deltaStart[t + 1]! += deltaStart[t]!;
  const placed = deltaStart.slice(0, termCount);
  const postRow = new Int32Array(nPost);
  const postFreq = new Float32Array(nPost);
  rows.forEach((row, r) => {
    for (let x = 0; x < row.terms.length; x++) {
      const at = placed[row.terms[x]!]!++;
      postRow[at] = r;
      postFreq[at] = row.freqs[x]!;
    }
  });

  // Rows: the live old rows and the delta rows merged by key.
  const ids: string[] = [];
  const keys = new Float64Array(nNew);
  const lengths = new Uint32Array(nNew);
  const prices = new Float64Array(nNew);
  const inStock = new Int8Array(nNew);
  const categoryOf = new Int32Array(nNew);
  // Brands: old rows keep their old brand id until the new sorted list is known (delta rows: their string).
  const brandIds = new Int32Array(nNew);
  const newBrands: (string | null)[] = [];
  const categoryTable = interner(old.categories);
  const oldToNew = new Int32Array(nOld).fill(-1);
  const newOrdinal = new Int32Array(rows.length);
  const dead = (r: number): boolean => seqOf[r]! < tombstoneCount;
  let totalLength = 0;
  let i = 0;
  let j = 0;
  for (let d = 0; d < nNew; d++) {
    while (i < nOld && dead(i)) i++;
    const takeOld = j >= rows.length || (i < nOld && old.keys[i]! < rows[j]!.key);
    if (takeOld) {
      oldToNew[i] = d;
      ids.push(old.ids[i]!);
      keys[d] = old.keys[i]!;
      lengths[d] = old.lengths[i]!;
      prices[d] = old.prices[i]!;
      inStock[d] = old.inStock[i]!;
      categoryOf[d] = old.categoryOf[i]!;
      brandIds[d] = old.brandOf[i]!;
      i++;
    } else {
      const row = rows[j]!;
      newOrdinal[j] = d;
      ids.push(row.id);
      keys[d] = row.key;
      lengths[d] = row.length;
      prices[d] = row.price;
      inStock[d] = row.inStock;
      categoryOf[d] = row.category === null ? -1 : categoryTable.id(row.category);
      brandIds[d] = -2 - newBrands.length;
      newBrands.push(row.brand);
      j++;
    }
    totalLength += lengths[d]!;
  }
  const brands = mergeBrands(old.brands, brandIds, newBrands);

  // Postings: each term's old list (renumbered, dead rows dropped) merged with its delta postings,
  // and the term's exact bound taken in the same pass (as `boundsOf` computes it, without a second
  // pass over every posting).
  const nTerms = termCount;
  const oldTerms = old.offsets.length - 1;
  const capacity = old.docs.length + nPost;
  const docs = new Int32Array(capacity);
  const freqs = new Float32Array(capacity);
  const offsets = new Uint32Array(nTerms + 1);
  const bounds = new Float64Array(nTerms);
  const avgdl = nNew > 0 ? totalLength / nNew : 1;
  const norms = new Float64Array(nNew);
  for (let d = 0; d < nNew; d++) norms[d] = normOf(lengths[d]!, avgdl);
  const oldDocs = old.docs;
  const oldFreqs = old.freqs;
  const out: MergeOutput = { docs, freqs, bounds, w: 0 };
  for (let t = 0; t < nTerms; t++) {
    offsets[t] = out.w;
    mergeTerm(
      out,
      t,
      oldDocs,
      oldFreqs,
      t < oldTerms ? old.offsets[t]! : 0,
      t < oldTerms ? old.offsets[t + 1]! : 0,
      oldToNew,
      deltaStart[t]!,
      deltaStart[t + 1]!,
      postRow,
      postFreq,
      newOrdinal,
      norms,
    );
  }
  const w = out.w;
  offsets[nTerms] = w;
  const data: IndexData = {
    revision: log.revision,
    changeSeq: log.changeSeq,
    changeLogId: log.changeLogId,
    weights: old.weights,
    maxPhraseTerms: old.maxPhraseTerms,
    totalLength,
    ids,
    keys,
    lengths,
    prices,
    inStock,
    categoryOf,
    categories: categoryTable.list,
    brandOf: brandIds,
    brands,
    terms: terms.slice(0, nTerms),
    offsets,
    // Views, not copies: the tail left unused (the dropped rows' postings) is small.
    docs: w < capacity ? docs.subarray(0, w) : docs,
    freqs: w < capacity ? freqs.subarray(0, w) : freqs,
    bounds,
  };
  return data;
}
