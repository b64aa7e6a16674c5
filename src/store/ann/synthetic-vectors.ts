/**
 * Seeded clustered unit vectors for ANN tests and benchmarks: `clusters` random unit centres, each point
 * a centre plus Gaussian noise of total norm ≈ `spread`, L2-normalised. Real embedding sets are clustered
 * like this (products of one category sit together), which is what makes HNSW recall non-trivial.
 */
import { seededRandom } from '../../random.ts';

export { seededRandom };

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface ClusteredVectorsOptions {
  count: number;
  dimension: number;
  clusters: number;
  /** Norm of the noise relative to the unit centre (0.6–1.0 gives realistic overlap). */
  spread: number;
  seed: number;
}

export interface ClusteredVectors {
  /** Row-major count × dimension. */
  vectors: Float32Array;
  /** Cluster of each row (use it as a "category" in filter tests). */
  cluster: Uint32Array;
  centres: Float32Array;
}

export function makeCentres(dimension: number, clusters: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const centres = new Float32Array(clusters * dimension);
  for (let c = 0; c < clusters; c++) {
    let s = 0;
    for (let j = 0; j < dimension; j++) {
      const g = gaussian(rand);
      centres[c * dimension + j] = g;
      s += g * g;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dimension; j++) centres[c * dimension + j]! *= inv;
  }
  return centres;
}

/** Points around given centres (so queries can be drawn from the same clusters with another seed). */
export function pointsAround(centres: Float32Array, dimension: number, count: number, spread: number, seed: number): ClusteredVectors {
  const clusters = centres.length / dimension;
  const rand = seededRandom(seed);
  const vectors = new Float32Array(count * dimension);
  const cluster = new Uint32Array(count);
  const sigma = spread / Math.sqrt(dimension);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rand() * clusters);
    cluster[i] = c;
    let s = 0;
    for (let j = 0; j < dimension; j++) {
      const x = centres[c * dimension + j]! + sigma * gaussian(rand);
      vectors[i * dimension + j] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dimension; j++) vectors[i * dimension + j]! *= inv;
  }
  return { vectors, cluster, centres };
}

export function clusteredVectors(o: ClusteredVectorsOptions): ClusteredVectors {
  return pointsAround(makeCentres(o.dimension, o.clusters, o.seed), o.dimension, o.count, o.spread, o.seed + 1);
}

/** Mean over queries of |approx top-k ∩ exact top-k| / k. */
export function recallAtK(approx: readonly (readonly { key: number }[])[], exact: readonly (readonly { key: number }[])[], k: number): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < exact.length; i++) {
    const truth = new Set(exact[i]!.slice(0, k).map((m) => m.key));
    for (const m of approx[i]!.slice(0, k)) if (truth.has(m.key)) hit++;
    total += Math.min(k, truth.size);
  }
  return total === 0 ? 1 : hit / total;
}
