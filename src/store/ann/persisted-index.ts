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
}

export const OPEN_OR_REBUILD_DEFAULTS = { batchSize: 4096, view: false } as const satisfies Pick<OpenOrRebuildOptions, 'batchSize' | 'view'>;

export interface OpenOrRebuildResult {
  index: AnnIndex;
  manifest: AnnManifest;
  rebuilt: boolean;
  /** Why it was rebuilt ('missing', 'stale: …', 'unreadable: …'), or 'up to date'. */
  reason: string;
}

export function manifestPathFor(indexPath: string): string {
  return indexPath.replace(/\.usearch$/, '') + '.manifest.json';
}

export function readManifest(path: string): AnnManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
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
  rejectUnknownKeys(options, ['path', 'manifestExpect', 'rebuild', 'indexOptions', 'batchSize', 'view'], 'openOrRebuildIndex');
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
      if (mismatches.length > 0) {
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
    builtAt: new Date().toISOString(),
  };
  // Write beside, then rename: a crash mid-write leaves the old files or none, never a half-written pair.
  // The manifest goes last, so index files without a matching manifest are always rebuilt.
  mkdirSync(dirname(o.path), { recursive: true });
  rmSync(manifestPath, { force: true });
  const tmp = `${o.path}.tmp-${process.pid}`;
  index.save(tmp);
  const tmpFiles = index.filesFor(tmp);
  const finalFiles = index.filesFor(o.path);
  tmpFiles.forEach((f, i) => renameSync(f, finalFiles[i]!));
  writeFileSync(`${manifestPath}.tmp-${process.pid}`, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(`${manifestPath}.tmp-${process.pid}`, manifestPath);
  return { index, manifest, rebuilt: true, reason };
}
