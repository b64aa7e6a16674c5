/**
 * Ingest: catalog file → validated products → analysed text → (dense vectors) → store.
 *
 * The file is streamed and written in batches, one store transaction per batch (products and their
 * vectors together), so a crash loses at most the batch in flight and leaves a usable store; running
 * the same ingest again finishes the job, and products already stored with the same content hash are
 * neither re-analysed nor re-written.
 */
import type { CatalogEntry, ReadCatalogOptions, RecordIssue } from '../catalog/catalog.ts';
import type { Product } from '../catalog/product.ts';
import type { DenseEncoder } from '../encoders/encoder.ts';
import { createError, isProdsimError, rejectUnknownKeys } from '../errors.ts';
import { analyzeProduct, productContentHash } from '../store/product-record.ts';
import type { ProductStore, UpsertItem, VectorInput } from '../store/store.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';
import { defaultEncoderInput, encodeMissing, type EncodeCounts, type EncoderInputFn } from './ingest-encode.ts';
import { defaultCatalogReader, type CatalogReader } from './ingest-reader.ts';
import { recordAnalysisVersion, storedAnalysis, type StoredAnalysis } from './analysis-version.ts';
import { createWriteBehind } from './write-behind.ts';

export interface IngestProgress {
  /** Product records read so far (good ones; bad ones are in `skipped`). */
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** Last source line reached: with the file's line count, a progress fraction for any format. */
  line: number;
  elapsedMs: number;
}

export interface IngestStageMs {
  /** Reading and validating records (time spent waiting on the catalog reader). */
  parse: number;
  analyse: number;
  encode: number;
  /** Waiting for the store: a batch is written while the next is analysed, so this is the part the analysis did not hide. */
  store: number;
}

export interface IngestSummary {
  source: string;
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Bad records, in file order; at most `maxReportedIssues` of them (see `skippedCount`). */
  skipped: RecordIssue[];
  skippedCount: number;
  /** Ids that occurred more than once in the file (the later record wins); at most `maxReportedIssues`. */
  duplicateIds: string[];
  /** Records whose id had already been read earlier in the file. */
  duplicateCount: number;
  /** The text-analysis version of the stored products after this ingest (stale: re-analyse with `force`). */
  analysis: StoredAnalysis;
  /** Per dense encoder id. */
  encoders: Record<string, EncodeCounts>;
  durationMs: number;
  stageMs: IngestStageMs;
  productsPerSecond: number;
}

export interface IngestOptions {
  store: ProductStore;
  analyzer: TextAnalyzer;
  /** Path of the catalog file. */
  source: string;
  readOptions: Partial<ReadCatalogOptions>;
  /** Records per transaction. */
  batchSize: number;
  encoders: readonly DenseEncoder<string>[];
  encoderInput: EncoderInputFn;
  onProgress: ((progress: IngestProgress) => void) | undefined;
  /** Bound on the issues and duplicate ids kept in the summary (counts are always exact). */
  maxReportedIssues: number;
  /** Re-analyse and re-write products even when their content hash is unchanged (after an analyser change). */
  force: boolean;
  /** The catalog reader; `readCatalog` from the catalog stage unless a test injects one. */
  reader: CatalogReader | undefined;
}

export const DEFAULT_INGEST_OPTIONS = {
  readOptions: {},
  batchSize: 1000,
  encoders: [],
  encoderInput: defaultEncoderInput,
  onProgress: undefined,
  maxReportedIssues: 1000,
  force: false,
  reader: undefined,
} as const satisfies Omit<IngestOptions, 'store' | 'analyzer' | 'source'>;

/** Meta key under which the last ingest's summary (without the issue list) is recorded. */
export const LAST_INGEST_META_KEY = 'ingest.last';

type Required3 = Pick<IngestOptions, 'store' | 'analyzer' | 'source'>;

export async function ingestCatalog(options: Required3 & Partial<Omit<IngestOptions, keyof Required3>>): Promise<IngestSummary> {
  rejectUnknownKeys(options, ['store', 'analyzer', 'source', ...Object.keys(DEFAULT_INGEST_OPTIONS)], 'ingestCatalog');
  const opts: IngestOptions = { ...DEFAULT_INGEST_OPTIONS, ...options };
  const { store, analyzer } = opts;
  const batchSize = Math.max(1, Math.floor(opts.batchSize));
  const started = performance.now();
  const stageMs: IngestStageMs = { parse: 0, analyse: 0, encode: 0, store: 0 };
  const analysisBefore = await storedAnalysis(store);
  const encoderCounts: Record<string, EncodeCounts> = {};
  for (const e of opts.encoders) encoderCounts[e.id] = { encoded: 0, cached: 0, noInput: 0 };

  const summary: IngestSummary = {
    source: opts.source,
    read: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    skipped: [],
    skippedCount: 0,
    duplicateIds: [],
    duplicateCount: 0,
    analysis: analysisBefore,
    encoders: encoderCounts,
    durationMs: 0,
    stageMs,
    productsPerSecond: 0,
  };

  const seenIds = new Set<string>();
  const reportedDuplicates = new Set<string>();
  let lastLine = 0;
  let batch: Product[] = [];
  // A batch is written while the next one is analysed (see write-behind.ts); `flush` and the end drain it.
  const writes = createWriteBehind();

  const progress = () =>
    opts.onProgress?.({
      read: summary.read,
      added: summary.added,
      updated: summary.updated,
      unchanged: summary.unchanged,
      skipped: summary.skippedCount,
      line: lastLine,
      elapsedMs: performance.now() - started,
    });

  async function flush(): Promise<void> {
    if (batch.length === 0) return;
    const products = batch;
    batch = [];

    let t = performance.now();
    const hashes = products.map((p) => productContentHash(p));
    const stored = opts.force ? new Map<string, string>() : await store.contentHashes(products.map((p) => p.id));
    const countInBatch = new Map<string, number>();
    for (const p of products) countInBatch.set(p.id, (countInBatch.get(p.id) ?? 0) + 1);
    const toWrite: UpsertItem[] = [];
    products.forEach((product, i) => {
      // A repeated id within the batch goes through the store, which applies the records in order.
      if (stored.get(product.id) === hashes[i] && countInBatch.get(product.id) === 1) {
        summary.unchanged++;
        return;
      }
      toWrite.push({ product, analyzed: analyzeProduct(product, analyzer) });
    });
    stageMs.analyse += performance.now() - t;

    t = performance.now();
    const vectorsByEncoder: [string, VectorInput[]][] = [];
    const hashed = products.map((product, i) => ({ product, contentHash: hashes[i]! }));
    for (const encoder of opts.encoders) {
      vectorsByEncoder.push([encoder.id, await encodeMissing(store, encoder, hashed, opts.encoderInput, encoderCounts[encoder.id]!)]);
    }
    stageMs.encode += performance.now() - t;

    t = performance.now();
    await writes.submit(async () => {
      await store.transaction(async () => {
        for (const r of await store.upsertProducts(toWrite, { reindex: opts.force })) summary[r.status]++;
        for (const [encoderId, vectors] of vectorsByEncoder) await store.putVectors(encoderId, vectors);
      });
      progress();
    });
    stageMs.store += performance.now() - t;
  }

  const reader = opts.reader ?? defaultCatalogReader;
  const entries = reader(opts.source, opts.readOptions)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t = performance.now();
      const next: IteratorResult<CatalogEntry> = await entries.next();
      stageMs.parse += performance.now() - t;
      if (next.done) break;
      const entry = next.value;
      if (entry.kind === 'issue') {
        summary.skippedCount++;
        lastLine = Math.max(lastLine, entry.issue.line);
        if (summary.skipped.length < opts.maxReportedIssues) summary.skipped.push(entry.issue);
        continue;
      }
      lastLine = Math.max(lastLine, entry.line);
      summary.read++;
      const id = entry.product.id;
      if (seenIds.has(id)) {
        summary.duplicateCount++;
        if (!reportedDuplicates.has(id) && reportedDuplicates.size < opts.maxReportedIssues) {
          reportedDuplicates.add(id);
          summary.duplicateIds.push(id);
        }
      } else {
        seenIds.add(id);
      }
      batch.push(entry.product);
      if (batch.length >= batchSize) await flush();
    }
  } catch (e) {
    // A strict-mode stop (or a read error): keep the good records read before it, then report
    // what is in the store, so a stop half-way is never mistaken for nothing or everything.
    await flush();
    await writes.drain();
    if (!isProdsimError(e)) throw e;
    const stored = summary.added + summary.updated + summary.unchanged;
    const note = stored === 0 ? 'nothing was stored' : `the ${stored} products read before line ${lastLine + 1} were stored (${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged); running the ingest again after the fix finishes it`;
    throw createError(e.code, `${e.message}; ${note}`, e.location, { ...e.details, partial: stored > 0, stored: { added: summary.added, updated: summary.updated, unchanged: summary.unchanged, lastLine } });
  }
  await flush();
  const lastWrite = performance.now();
  await writes.drain();
  stageMs.store += performance.now() - lastWrite;
  // Forced, every product read was analysed again: the store is all of this version if it holds no others.
  const rewroteAll = opts.force && (await store.count()) <= summary.added + summary.updated + summary.unchanged;
  await recordAnalysisVersion(store, analysisBefore, rewroteAll);
  summary.analysis = await storedAnalysis(store);

  summary.durationMs = Math.round(performance.now() - started);
  for (const k of Object.keys(stageMs) as (keyof IngestStageMs)[]) stageMs[k] = Math.round(stageMs[k]);
  summary.productsPerSecond = summary.durationMs > 0 ? Math.round((summary.read / summary.durationMs) * 1000) : summary.read;
  const { skipped: _skipped, duplicateIds: _dups, ...recorded } = summary;
  await store.setMeta(LAST_INGEST_META_KEY, JSON.stringify({ ...recorded, finishedAt: new Date().toISOString() }));
  return summary;
}
