/**
 * What the parts of the usearch ANN index share (`usearch-index.ts`, `usearch-search.ts`): its
 * options, the usearch graph, the table of full-precision vectors (or keys only, with
 * `vectorLookup`), and whether it was opened as a read-only view. `load` swaps graph and table.
 */
import { Index as UsearchIndex, type MetricKind, type ScalarKind } from 'usearch';
import { createError } from '../../errors.ts';
import type { AnnIndexOptions } from './ann-index.ts';
import { VectorTable, dot, l2sq } from './vector-table.ts';

export interface UsearchState {
  readonly o: AnnIndexOptions;
  readonly d: number;
  readonly lookup: AnnIndexOptions['vectorLookup'];
  raw: UsearchIndex;
  table: VectorTable;
  readOnly: boolean;
}

export function makeRawIndex(o: AnnIndexOptions): UsearchIndex {
  return new UsearchIndex({
    dimensions: o.dimension,
    metric: o.metric as MetricKind,
    quantization: o.quantization as ScalarKind,
    connectivity: o.connectivity,
    expansion_add: o.expansionAdd,
    expansion_search: o.expansionSearch,
    multi: false,
  });
}

export function createUsearchState(o: AnnIndexOptions): UsearchState {
  const lookup = o.vectorLookup;
  return { o, d: o.dimension, lookup, raw: makeRawIndex(o), table: new VectorTable(o.dimension, o.metric, lookup === undefined), readOnly: false };
}

/** Exact similarity of a prepared query to a key's full-precision vector. */
export function exactSimilarity(s: UsearchState, q: Float32Array, key: number): number | undefined {
  const { table, lookup, d, o } = s;
  if (table.hasVectors) return table.similarityOf(q, key);
  const v = lookup?.(key);
  if (!v) return undefined;
  if (v.length !== d) throw createError('DIM_MISMATCH', `vectorLookup(${key}) gave dimension ${v.length}, expected ${d}`);
  if (o.metric === 'l2sq') return -l2sq(q, 0, v, 0, d);
  const sim = dot(q, 0, v, 0, d);
  if (o.metric === 'ip') return sim;
  const norm = Math.sqrt(dot(v, 0, v, 0, d));
  return norm > 0 ? sim / norm : 0;
}

export const canExact = (s: UsearchState): boolean => s.table.hasVectors || s.lookup !== undefined;
