/**
 * Exact (brute-force) index over a contiguous Float32Array: same interface as the HNSW index.
 * Use it for small sets (a few thousand vectors scan in well under a millisecond) and as ground truth.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import {
  assertQuery,
  toKey,
  toKeyArray,
  toMatrix,
  ANN_METRICS,
  type AnnIndex,
  type AnnKeyInput,
  type AnnKeysInput,
  type AnnMetric,
  type AnnSearchOptions,
  type AnnSearchReport,
  type AnnVectorsInput,
} from './ann-index.ts';
import { VectorTable } from './vector-table.ts';

export interface ExactIndexOptions {
  dimension: number;
  metric: AnnMetric;
}

export const EXACT_INDEX_DEFAULTS = { metric: 'cos' } as const satisfies Omit<ExactIndexOptions, 'dimension'>;

export function createExactIndex(options: Partial<ExactIndexOptions> & { dimension: number }): AnnIndex {
  rejectUnknownKeys(options, ['dimension', 'metric'], 'createExactIndex');
  const o: ExactIndexOptions = { ...EXACT_INDEX_DEFAULTS, ...options };
  if (!Number.isInteger(o.dimension) || o.dimension < 1) {
    throw createError('INVALID_ARGUMENT', `createExactIndex: dimension must be a positive integer, got ${o.dimension}`, { field: 'dimension' });
  }
  if (!(ANN_METRICS as readonly string[]).includes(o.metric)) {
    throw createError('INVALID_ARGUMENT', `createExactIndex: metric must be one of ${ANN_METRICS.join(', ')}`, { field: 'metric' });
  }
  let table = new VectorTable(o.dimension, o.metric);

  const searchDetailed = (query: Float32Array, k: number, opts: AnnSearchOptions = {}): AnnSearchReport => {
    assertQuery(query, o.dimension, k);
    const q = table.prepareQuery(query);
    return {
      matches: opts.filter && opts.passingKeys ? table.topKOf(q, k, opts.passingKeys(), opts.passingKeysExact === true ? undefined : opts.filter) : table.topK(q, k, opts.filter),
      strategy: opts.filter ? 'exact-filtered' : 'exact',
      candidatesRequested: 0,
      rounds: 0,
      estimatedFilterPassRate: 1,
      rescored: 0,
    };
  };

  return {
    kind: 'exact',
    dimension: o.dimension,
    metric: o.metric,
    quantization: 'f32',
    readOnly: false,
    get size() {
      return table.size;
    },
    add(keys: AnnKeysInput, vectors: AnnVectorsInput) {
      const k = toKeyArray(keys);
      table.upsert(k, toMatrix(vectors, o.dimension, k.length));
    },
    remove(keys: AnnKeysInput) {
      let removed = 0;
      for (const key of toKeyArray(keys)) if (table.remove(key)) removed++;
      return removed;
    },
    has: (key: AnnKeyInput) => table.has(toKey(key)),
    keys: () => table.keys(),
    vector: (key: AnnKeyInput) => table.get(toKey(key))?.slice(),
    search: (query, k, opts) => searchDetailed(query, k, opts).matches,
    searchDetailed,
    save(path: string) {
      table.save(path, { quantization: 'none', indexBytes: -1, indexSha1: '' });
    },
    load(path: string) {
      const { table: loaded, header } = VectorTable.load(path);
      if (header.dimension !== o.dimension || header.metric !== o.metric || !header.hasVectors) {
        throw createError('INDEX_STALE', `exact index ${path}: holds dimension ${header.dimension} ${header.metric}, expected ${o.dimension} ${o.metric}`, {
          file: path,
        });
      }
      table = loaded;
    },
    filesFor: (path: string) => [path],
  };
}
