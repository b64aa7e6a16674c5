/** Public surface of the ANN part of the store stage. */
export * from './ann-index.ts';
export { createAnnIndex, sha1OfFile, type CreateAnnIndexOptions } from './usearch-index.ts';
export { createExactIndex, EXACT_INDEX_DEFAULTS, type ExactIndexOptions } from './exact-index.ts';
export { VectorTable, TopK } from './vector-table.ts';
export {
  openOrRebuildIndex,
  saveIndexWithManifest,
  readManifest,
  manifestMismatches,
  manifestPathFor,
  ANN_MANIFEST_VERSION,
  OPEN_OR_REBUILD_DEFAULTS,
  type AnnManifest,
  type AnnManifestExpect,
  type OpenOrRebuildOptions,
  type OpenOrRebuildResult,
} from './persisted-index.ts';
export {
  clusteredVectors,
  makeCentres,
  pointsAround,
  recallAtK,
  seededRandom,
  type ClusteredVectors,
  type ClusteredVectorsOptions,
} from './synthetic-vectors.ts';
