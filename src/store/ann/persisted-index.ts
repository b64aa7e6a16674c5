/**
 * An ANN index persisted beside the store: `<dir>/<name>.usearch` (+ its `.vectors` sidecar) and a small
 * JSON manifest `<dir>/<name>.manifest.json` saying what it was built from. `openOrRebuildIndex` loads it
 * when the manifest matches what the caller expects, and rebuilds it from the store otherwise.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createError, isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import { ANN_INDEX_DEFAULTS, type AnnIndex, type AnnIndexOptions, type AnnKeyInput, type AnnMetric, type AnnQuantization } from './ann-index.ts';
import { createAnnIndex } from './usearch-index.ts';

export const ANN_MANIFEST_VERSION = 1;

export interface AnnManifest {
  formatVersion: number;
  dimension: number;
  metric: AnnMetric;
  quantization: AnnQuantization;
  connectivity: number;
  count: number;
  /** Id of the encoder whose vectors the index holds (changes when its weights change). */
  encoderId: string;
  /** Checksum or version of the store content the index was built from. */
  storeVersion: string;
  /**
   * Position in the store's product change log the index reflects (`ProductStore.changeSeq`) and
   * the log's identity: with them a stale index is brought up to date from the log (`update`).
   */
  changeSeq?: number;
  changeLogId?: string;
  builtAt: string;
}

/** What the caller expects the index on disk to be; any difference means "stale, rebuild". */
export interface AnnManifestExpect {
  dimension: number;
  metric: AnnMetric;
  quantization: AnnQuantization;
  encoderId: string;
  storeVersion: string;
  /** When given, the index must hold exactly this many vectors. */
  count?: number;
  /** When given, the index must have been built with this HNSW connectivity. */
  connectivity?: number;
}

export interface OpenOrRebuildOptions {
  /** Index file path, conventionally `<dir>/<name>.usearch`. */
  path: string;
  manifestExpect: AnnManifestExpect;
  /** Streams every (key, vector) of the store; called only when a rebuild is needed. */
  rebuild: () => AsyncIterable<{ key: AnnKeyInput; vector: Float32Array }>;
  /** Further index options (connectivity, expansion, rescore, …); dimension/metric/quantization come from manifestExpect. */
  indexOptions?: Partial<Omit<AnnIndexOptions, 'dimension' | 'metric' | 'quantization'>>;
  /** Rows handed to `add` at once while rebuilding. */
  batchSize?: number;
  /** Memory-map the index read-only instead of loading it (only when no rebuild is needed). */
  view?: boolean;
  /**
   * Brings an index that differs only in `storeVersion` up to date instead of rebuilding it: called
   * with the loaded index and the change-log position its manifest records (when the manifest's log
   * is `changeLogId`). Returns the position reached and how many changes it applied, or undefined
   * when it cannot (the log no longer reaches back, too many changes): then the index is rebuilt.
   */
  update?: {
    changeLogId: string;
    apply: (index: AnnIndex, fromSeq: number) => { changeSeq: number; applied: number } | undefined;
  };
  /**
   * Log position recorded in the manifest of a rebuilt index, asked after `rebuild` has streamed its
   * rows (so the caller can read it before the rows and withhold it when the rows were incomplete).
   */
  changeSeq?: () => number | undefined;
}

export const OPEN_OR_REBUILD_DEFAULTS = { batchSize: 4096, view: false } as const satisfies Pick<OpenOrRebuildOptions, 'batchSize' | 'view'>;

export interface OpenOrRebuildResult {
  index: AnnIndex;
  manifest: AnnManifest;
  rebuilt: boolean;
  /** Why it was rebuilt ('missing', 'stale: …', 'unreadable: …'), or 'up to date', or 'updated: n changes'. */
  reason: string;
  /** Changes applied from the store's log to the loaded file (`update`); the file itself is not rewritten. */
  updated?: number;
}

/** The `reason` of an index brought up to date from the change log. */
export function updatedReason(changes: number): string {
  return `updated: ${changes} change${changes === 1 ? '' : 's'}`;
}

export function manifestPathFor(indexPath: string): string {
  return indexPath.replace(/\.usearch$/, '') + '.manifest.json';
}

export function readManifest(path: string): AnnManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // Into a catalogue error: an unreadable manifest is PARSE_ERROR with its path.
    throw createError('PARSE_ERROR', `ANN manifest ${path} cannot be read: ${(err as Error).message}`, { file: path });
  }
  const m = parsed as Partial<AnnManifest>;
  if (typeof m !== 'object' || m === null || typeof m.dimension !== 'number' || typeof m.count !== 'number' || typeof m.storeVersion !== 'string') {
    throw createError('PARSE_ERROR', `ANN manifest ${path} lacks dimension, count or storeVersion`, { file: path });
  }
  return m as AnnManifest;
}

/** Lists how a manifest differs from what is expected; empty when it matches. */
export function manifestMismatches(m: AnnManifest, e: AnnManifestExpect): string[] {
  const out: string[] = [];
  const check = (field: string, got: unknown, want: unknown): void => {
    if (want !== undefined && got !== want) out.push(`${field} ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  };
  check('formatVersion', m.formatVersion, ANN_MANIFEST_VERSION);
  check('dimension', m.dimension, e.dimension);
  check('metric', m.metric, e.metric);
  check('quantization', m.quantization, e.quantization);
  check('encoderId', m.encoderId, e.encoderId);
  check('storeVersion', m.storeVersion, e.storeVersion);
  check('count', m.count, e.count);
  check('connectivity', m.connectivity, e.connectivity);
  return out;
}

export async function openOrRebuildIndex(options: OpenOrRebuildOptions): Promise<OpenOrRebuildResult> {
  rejectUnknownKeys(options, ['path', 'manifestExpect', 'rebuild', 'indexOptions', 'batchSize', 'view', 'update', 'changeSeq'], 'openOrRebuildIndex');
  const o = { ...OPEN_OR_REBUILD_DEFAULTS, ...options };
  const e = o.manifestExpect;
  const manifestPath = manifestPathFor(o.path);
  const make = (): AnnIndex =>
    createAnnIndex({ ...o.indexOptions, dimension: e.dimension, metric: e.metric, quantization: e.quantization });

  let reason: string;
  if (!existsSync(manifestPath) || !existsSync(o.path)) {
    reason = 'missing';
  } else {
    try {
      const manifest = readManifest(manifestPath);
      const mismatches = manifestMismatches(manifest, e);
      const onlyContentMoved = mismatches.length > 0 && manifestMismatches(manifest, { ...e, storeVersion: manifest.storeVersion, count: undefined }).length === 0;
      const updatable = onlyContentMoved && o.update && manifest.changeLogId === o.update.changeLogId && manifest.changeSeq !== undefined && !o.view;
      if (updatable) {
        const index = make();
        index.load(o.path);
        const applied = index.size === manifest.count ? o.update!.apply(index, manifest.changeSeq!) : undefined;
        if (applied) {
          if (e.count !== undefined && index.size !== e.count) {
            throw createError('INDEX_STALE', `update of ${o.path} gave ${index.size} vectors, expected ${e.count}`, { file: o.path });
          }
          const updated: AnnManifest = { ...manifest, count: index.size, storeVersion: e.storeVersion, changeSeq: applied.changeSeq };
          return { index, manifest: updated, rebuilt: false, reason: updatedReason(applied.applied), updated: applied.applied };
        }
        reason = `stale: ${mismatches.join('; ')}; the change log cannot bring it up to date`;
      } else if (mismatches.length > 0) {
        reason = `stale: ${mismatches.join('; ')}`;
      } else {
        const index = make();
        index.load(o.path, { view: o.view });
        if (index.size !== manifest.count) {
          reason = `stale: index holds ${index.size} vectors, manifest says ${manifest.count}`;
        } else {
          return { index, manifest, rebuilt: false, reason: 'up to date' };
        }
      }
    } catch (err) {
      // Expected failure as a value: an unreadable index is a reason to rebuild it; bugs rethrow.
      if (!isProdsimError(err)) throw err;
      reason = `unreadable: ${err.message}`;
    }
  }

  const index = make();
  const keys: AnnKeyInput[] = [];
  const rows: Float32Array[] = [];
  const flush = (): void => {
    if (keys.length === 0) return;
    index.add(keys, rows);
    keys.length = 0;
    rows.length = 0;
  };
  for await (const { key, vector } of o.rebuild()) {
    keys.push(key);
    rows.push(vector);
    if (keys.length >= o.batchSize) flush();
  }
  flush();
  const changeSeq = o.changeSeq?.();
  if (e.count !== undefined && index.size !== e.count) {
    throw createError('INDEX_STALE', `rebuild of ${o.path} gave ${index.size} vectors, expected ${e.count}`, { file: o.path });
  }

  const manifest: AnnManifest = {
    formatVersion: ANN_MANIFEST_VERSION,
    dimension: e.dimension,
    metric: e.metric,
    quantization: e.quantization,
    connectivity: o.indexOptions?.connectivity ?? ANN_INDEX_DEFAULTS.connectivity,
    count: index.size,
    encoderId: e.encoderId,
    storeVersion: e.storeVersion,
    ...(changeSeq !== undefined && o.update ? { changeSeq, changeLogId: o.update.changeLogId } : {}),
    builtAt: new Date().toISOString(),
  };
  saveIndexWithManifest(index, o.path, manifest);
  return { index, manifest, rebuilt: true, reason };
}

/**
 * Saves an index and its manifest. Write beside, then rename: a crash mid-write leaves the old files or
 * none, never a half-written pair. The manifest goes last, so index files without a matching manifest
 * are always rebuilt.
 */
export function saveIndexWithManifest(index: AnnIndex, path: string, manifest: AnnManifest): void {
  const manifestPath = manifestPathFor(path);
  mkdirSync(dirname(path), { recursive: true });
  rmSync(manifestPath, { force: true });
  const tmp = `${path}.tmp-${process.pid}`;
  index.save(tmp);
  const tmpFiles = index.filesFor(tmp);
  const finalFiles = index.filesFor(path);
  tmpFiles.forEach((f, i) => renameSync(f, finalFiles[i]!));
  writeFileSync(`${manifestPath}.tmp-${process.pid}`, JSON.stringify({ ...manifest, count: index.size }, null, 2) + '\n');
  renameSync(`${manifestPath}.tmp-${process.pid}`, manifestPath);
}
