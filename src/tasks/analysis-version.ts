/**
 * Which text-analysis version the store's products were analysed with (`ANALYSIS_VERSION`), kept in
 * the store's meta by the writes that analyse products (ingest, upserts). A store whose products
 * were analysed by an older analyser answers with them as they were read then (tokens, codes,
 * quantities), while queries and new products are read the new way; `stats` says so, and
 * `ingest --force` of the whole catalog analyses every product again.
 */
import { ANALYSIS_VERSION } from '../text/analyzer.ts';
import type { ProductStore } from '../store/store.ts';

/** Meta key: the analysis version of every stored product (JSON `{ "version": n }`). */
export const ANALYSIS_META_KEY = 'analysis.version';
/** The version of stores written before the version was kept. */
const UNRECORDED_ANALYSIS_VERSION = 1;

export interface StoredAnalysis {
  /** The version the stored products were analysed with; undefined for an empty store. */
  stored: number | undefined;
  /** The version this prodsim analyses with. */
  current: number;
  /** Products stored the old way: re-analyse them with `ingest --force` of the whole catalog. */
  stale: boolean;
}

export async function storedAnalysis(store: Pick<ProductStore, 'getMeta' | 'count'>): Promise<StoredAnalysis> {
  const raw = await store.getMeta(ANALYSIS_META_KEY);
  const stored = raw !== undefined ? (JSON.parse(raw) as { version: number }).version : (await store.count()) > 0 ? UNRECORDED_ANALYSIS_VERSION : undefined;
  return { stored, current: ANALYSIS_VERSION, stale: stored !== undefined && stored !== ANALYSIS_VERSION };
}

/**
 * After a write that analysed products with this version: the store's products are all of this
 * version when they were before the write (or there were none), or when the write re-analysed every
 * stored product (`rewroteAll`: a forced ingest that wrote as many products as the store holds).
 */
export async function recordAnalysisVersion(store: Pick<ProductStore, 'getMeta' | 'setMeta' | 'count'>, before: StoredAnalysis, rewroteAll: boolean): Promise<void> {
  if (before.stored === ANALYSIS_VERSION) return;
  if (before.stored === undefined || rewroteAll) await store.setMeta(ANALYSIS_META_KEY, JSON.stringify({ version: ANALYSIS_VERSION }));
  // An older store's version written down once: reading it otherwise counts the products on every
  // write (a `count(*)` of a database table: 119–168 ms at 1M on PostgreSQL).
  else if ((await store.getMeta(ANALYSIS_META_KEY)) === undefined) await store.setMeta(ANALYSIS_META_KEY, JSON.stringify({ version: before.stored }));
}
