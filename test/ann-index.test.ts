import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAnnIndex,
  createExactIndex,
  clusteredVectors,
  pointsAround,
  recallAtK,
  openOrRebuildIndex,
  manifestPathFor,
  EXACT_SEARCH_MAX_SIZE,
  OVERFETCH_SAFETY,
  exactAfterOverfetchRound,
  exactFilterPays,
  filteredSearchCosts,
  type AnnIndex,
  type AnnMatch,
  type AnnMetric,
} from '../src/store/ann/index.ts';
import { isProdsimError } from '../src/errors.ts';

const N = 20_000;
const DIM = 64;
const QUERIES = 200;
const K = 10;
const data = clusteredVectors({ count: N, dimension: DIM, clusters: 100, spread: 0.8, seed: 7 });
const queries = pointsAround(data.centres, DIM, QUERIES, 0.8, 99).vectors;
// Keys deliberately not 0..n-1: the store's keys are arbitrary integers.
const keys = Array.from({ length: N }, (_, i) => 1_000 + i * 3);
const keyToRow = new Map(keys.map((k, i) => [k, i]));
const clusterOf = (key: number): number => data.cluster[keyToRow.get(key)!]!;
const query = (i: number): Float32Array => queries.subarray(i * DIM, (i + 1) * DIM);

const exact = createExactIndex({ dimension: DIM, metric: 'cos' });
exact.add(keys, data.vectors);
const truth = Array.from({ length: QUERIES }, (_, i) => exact.search(query(i), K));

function searchAll(index: AnnIndex, k = K, filter?: (key: number) => boolean): AnnMatch[][] {
  return Array.from({ length: QUERIES }, (_, i) => index.search(query(i), k, filter ? { filter } : {}));
}

function build(opts: Parameters<typeof createAnnIndex>[0]): AnnIndex {
  const index = createAnnIndex({ addThreads: 2, ...opts });
  index.add(keys, data.vectors);
  return index;
}

const f16 = build({ dimension: DIM, metric: 'cos', quantization: 'f16' });

test('exact index: top-1 of a stored vector is itself with similarity 1', () => {
  const m = exact.search(data.vectors.subarray(5 * DIM, 6 * DIM), 3);
  assert.equal(m[0]!.key, keys[5]);
  assert.ok(Math.abs(m[0]!.similarity - 1) < 1e-5);
  assert.ok(m[0]!.similarity >= m[1]!.similarity && m[1]!.similarity >= m[2]!.similarity);
});

test('f16 HNSW: recall@10 ≥ 0.98 against exact search (20k × 64, 200 queries)', () => {
  assert.equal(f16.size, N);
  const recall = recallAtK(searchAll(f16), truth, K);
  assert.ok(recall >= 0.98, `recall@10 = ${recall}`);
});

test('i8 HNSW + exact rescoring of the best 50: recall@10 ≥ 0.98, similarities are exact', () => {
  const i8 = build({ dimension: DIM, metric: 'cos', quantization: 'i8', rescore: 50, expansionAdd: 64 });
  const results = searchAll(i8);
  const recall = recallAtK(results, truth, K);
  assert.ok(recall >= 0.98, `recall@10 = ${recall}`);
  const report = i8.searchDetailed(query(0), K);
  assert.equal(report.strategy, 'ann');
  assert.equal(report.rescored, 50);
  // Rescored similarities are the exact cosine, so they agree with the exact index to float precision.
  const exactSims = new Map(exact.search(query(0), 100).map((m) => [m.key, m.similarity]));
  for (const m of results[0]!) {
    const s = exactSims.get(m.key);
    if (s !== undefined) assert.ok(Math.abs(s - m.similarity) < 1e-5, `${m.key}: ${m.similarity} vs ${s}`);
  }
});

test('filter: moderate filter over-fetches, every result passes, recall vs exact filtered search', () => {
  const filter = (key: number): boolean => clusterOf(key) % 4 === 0; // ~25 % pass
  // At 20k × 64 the cost model finds the exact scan of 5k keys cheaper (see the next test): force over-fetch.
  const results = Array.from({ length: QUERIES }, (_, i) => f16.search(query(i), K, { filter, filterStrategy: 'overfetch' }));
  for (const r of results) {
    assert.equal(r.length, K);
    for (const m of r) assert.ok(filter(m.key), `key ${m.key} fails the filter`);
  }
  const exactFiltered = searchAll(exact, K, filter);
  const recall = recallAtK(results, exactFiltered, K);
  assert.ok(recall >= 0.97, `filtered recall@10 = ${recall}`);
  const report = f16.searchDetailed(query(1), K, { filter, filterStrategy: 'overfetch' });
  assert.equal(report.strategy, 'ann-overfetch');
  assert.ok(report.estimatedFilterPassRate > 0.1 && report.estimatedFilterPassRate < 0.4);
});

test('filter policy: the cost model picks exact where it is estimated no slower, over-fetch where a large index makes the scan long', () => {
  const filter = (key: number): boolean => clusterOf(key) % 4 === 0; // ~25 % pass
  const auto = f16.searchDetailed(query(1), K, { filter });
  const wanted = Math.ceil((64 / auto.estimatedFilterPassRate) * OVERFETCH_SAFETY);
  const model = filteredSearchCosts({ size: N, dimension: DIM, passRate: auto.estimatedFilterPassRate, overfetchCandidates: wanted, nativeScan: true });
  assert.equal(auto.strategy, model.exact <= model.overfetch ? 'exact-filtered' : 'ann-overfetch');
  if (auto.strategy === 'exact-filtered') assert.deepEqual(auto.matches.map((m) => m.key), exact.search(query(1), K, { filter }).map((m) => m.key));
  // The same pass rate on a 1M × 384 index: the scan of 250k rows loses to the graph.
  assert.equal(exactFilterPays({ size: 1_000_000, dimension: 384, passRate: 0.25, overfetchCandidates: 308, nativeScan: true }), false);
  // 1 % at 100k × 384 exact; at 1M × 384 (3.8M values) the graph is tried first; 5 % at 100k × 200 (the
  // catalog's "substitutes" filter) exact.
  assert.equal(exactFilterPays({ size: 100_000, dimension: 384, passRate: 0.01, overfetchCandidates: 7680, nativeScan: true }), true);
  assert.equal(exactFilterPays({ size: 1_000_000, dimension: 384, passRate: 0.01, overfetchCandidates: 7680, nativeScan: true }), false);
  assert.equal(exactFilterPays({ size: 100_000, dimension: 200, passRate: 0.05, overfetchCandidates: 1536, nativeScan: true }), true);
  // The same filter on the 1M × 200 catalog: too many scattered rows to gather first (measured 187 ms vs
  // 4.2 ms); the graph is tried first, and after a failed round the model decides.
  assert.equal(exactFilterPays({ size: 1_000_000, dimension: 200, passRate: 0.04, overfetchCandidates: 1920, nativeScan: true }), false);
  assert.equal(exactAfterOverfetchRound({ size: 1_000_000, dimension: 384, passRate: 0.01, overfetchCandidates: 30_720, nativeScan: true }), true);
});

test('filter: a very selective filter is answered exactly and equals exact filtered search', () => {
  const filter = (key: number): boolean => clusterOf(key) === 3; // ~1 % pass
  for (let i = 0; i < 20; i++) {
    const report = f16.searchDetailed(query(i), K, { filter });
    assert.equal(report.strategy, 'exact-filtered');
    const want = exact.search(query(i), K, { filter });
    assert.deepEqual(report.matches.map((m) => m.key), want.map((m) => m.key));
  }
});

test('filter: fewer passing keys than k gives all of them; none passing gives nothing', () => {
  const few = new Set([keys[10]!, keys[500]!, keys[19_999]!]);
  const got = f16.search(query(0), K, { filter: (key) => few.has(key) });
  assert.deepEqual(new Set(got.map((m) => m.key)), few);
  assert.deepEqual(f16.search(query(0), K, { filter: () => false }), []);
});

test('ef: a larger ef per query does not lower recall and returns k results', () => {
  const results = Array.from({ length: QUERIES }, (_, i) => f16.search(query(i), K, { ef: 256 }));
  assert.ok(results.every((r) => r.length === K));
  assert.ok(recallAtK(results, truth, K) >= recallAtK(searchAll(f16), truth, K) - 0.001);
});

test('remove: removed keys never come back, size drops, re-adding works', () => {
  const n = 5_000; // above EXACT_SEARCH_MAX_SIZE, so the HNSW path is exercised
  const index = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'f16', addThreads: 2 });
  index.add(keys.slice(0, n), data.vectors.subarray(0, n * DIM));
  const top = index.search(query(2), K).map((m) => m.key);
  assert.equal(index.remove([...top, 123_456_789]), K);
  assert.equal(index.size, n - K);
  assert.equal(index.has(top[0]!), false);
  const after = index.search(query(2), K);
  assert.equal(after.length, K);
  for (const m of after) assert.ok(!top.includes(m.key));
  // Exact filtered path must not see them either.
  const inCluster = clusterOf(top[0]!);
  const viaExact = index.searchDetailed(query(2), K, { filter: (key) => clusterOf(key) === inCluster });
  assert.equal(viaExact.strategy, 'exact-filtered');
  for (const m of viaExact.matches) assert.ok(!top.includes(m.key));
  // Re-add one, and replace another key's vector (upsert).
  const row = keyToRow.get(top[0]!)!;
  index.add([top[0]!], data.vectors.subarray(row * DIM, (row + 1) * DIM));
  assert.equal(index.search(query(2), 1)[0]!.key, top[0]);
  index.add([top[0]!], [data.vectors.subarray(0, DIM)]);
  assert.equal(index.size, n - K + 1);
  assert.equal(index.search(data.vectors.subarray(0, DIM), 2).some((m) => m.key === top[0]), true);
});

test('save/load round trip gives the same results; view is read-only; damage is an error, not a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-ann-'));
  try {
    const path = join(dir, 'products.usearch');
    f16.save(path);
    const loaded = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'f16' });
    loaded.load(path);
    assert.equal(loaded.size, N);
    for (let i = 0; i < 10; i++) assert.deepEqual(loaded.search(query(i), K), f16.search(query(i), K));
    const viewed = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'f16' });
    viewed.load(path, { view: true });
    assert.equal(viewed.readOnly, true);
    assert.deepEqual(viewed.search(query(3), K), f16.search(query(3), K));
    assert.throws(() => viewed.add([1], new Float32Array(DIM)), /read-only/);
    // Wrong options → INDEX_STALE; a damaged index file → STORE_ERROR (usearch never sees it).
    assert.throws(() => createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'i8' }).load(path), (e) => isProdsimError(e) && e.code === 'INDEX_STALE');
    const bytes = readFileSync(path);
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(path, bytes);
    assert.throws(() => loaded.load(path), (e) => isProdsimError(e) && e.code === 'STORE_ERROR');
    writeFileSync(path, Buffer.alloc(1000, 7));
    assert.throws(() => loaded.load(path), (e) => isProdsimError(e) && e.code === 'STORE_ERROR');
    assert.equal(loaded.size, N, 'a failed load leaves the index as it was');
    // Exact index round trip.
    const exactPath = join(dir, 'exact.vectors');
    exact.save(exactPath);
    const exact2 = createExactIndex({ dimension: DIM, metric: 'cos' });
    exact2.load(exactPath);
    assert.deepEqual(exact2.search(query(4), K), exact.search(query(4), K));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openOrRebuildIndex: builds when missing, reuses when current, rebuilds when stale or unreadable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-ann-'));
  try {
    const path = join(dir, 'sub', 'products.usearch');
    const n = 3_000;
    let rebuilds = 0;
    const rebuild = async function* (): AsyncIterable<{ key: number; vector: Float32Array }> {
      rebuilds++;
      for (let i = 0; i < n; i++) yield { key: keys[i]!, vector: data.vectors.subarray(i * DIM, (i + 1) * DIM) };
    };
    const expect = { dimension: DIM, metric: 'cos' as const, quantization: 'f16' as const, encoderId: 'test-enc@1', storeVersion: 'v1', count: n };
    const first = await openOrRebuildIndex({ path, manifestExpect: expect, rebuild, indexOptions: { addThreads: 2 } });
    assert.equal(first.rebuilt, true);
    assert.equal(first.reason, 'missing');
    assert.equal(first.index.size, n);
    assert.ok(existsSync(manifestPathFor(path)));
    const manifest = JSON.parse(readFileSync(manifestPathFor(path), 'utf8'));
    assert.equal(manifest.count, n);
    assert.equal(manifest.encoderId, 'test-enc@1');

    const second = await openOrRebuildIndex({ path, manifestExpect: expect, rebuild });
    assert.equal(second.rebuilt, false);
    assert.equal(rebuilds, 1);
    assert.deepEqual(second.index.search(query(0), K), first.index.search(query(0), K));

    const third = await openOrRebuildIndex({ path, manifestExpect: { ...expect, storeVersion: 'v2' }, rebuild });
    assert.equal(third.rebuilt, true);
    assert.match(third.reason, /^stale: storeVersion/);
    assert.equal(rebuilds, 2);

    const fourth = await openOrRebuildIndex({ path, manifestExpect: { ...expect, encoderId: 'other@2', storeVersion: 'v2' }, rebuild });
    assert.match(fourth.reason, /encoderId/);

    writeFileSync(path, Buffer.alloc(4096, 1));
    const fifth = await openOrRebuildIndex({ path, manifestExpect: { ...expect, encoderId: 'other@2', storeVersion: 'v2' }, rebuild });
    assert.equal(fifth.rebuilt, true);
    assert.match(fifth.reason, /^unreadable/);
    assert.equal(fifth.index.size, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('similarity conversion agrees with exact search for cos, ip and l2sq', () => {
  const n = EXACT_SEARCH_MAX_SIZE + 1_000; // above the brute-force cut-off, so usearch answers
  for (const metric of ['cos', 'ip', 'l2sq'] as AnnMetric[]) {
    const ann = createAnnIndex({ dimension: DIM, metric, quantization: 'f32', addThreads: 2 });
    const ex = createExactIndex({ dimension: DIM, metric });
    // Scale rows so ip and l2sq differ from cos.
    const rows = data.vectors.slice(0, n * DIM).map((x, j) => x * (1 + (Math.floor(j / DIM) % 5) / 4));
    ann.add(keys.slice(0, n), rows);
    ex.add(keys.slice(0, n), rows);
    for (let i = 0; i < 5; i++) {
      const a = ann.searchDetailed(query(i), 3);
      assert.equal(a.strategy, 'ann');
      // The exact similarity of the key the graph returned: a graph built by two threads is not the same
      // from run to run, and its top hit was once not the exact top (CI, 7 Dec: key 5755 for 7465, cos).
      const top = a.matches[0]!;
      const [same] = ex.search(query(i), 1, { filter: (key) => key === top.key });
      assert.ok(Math.abs(top.similarity - same!.similarity) < 1e-3, `${metric}: ${top.similarity} vs ${same!.similarity}`);
    }
  }
});

test('vectorLookup: no Float32 sidecar, rescoring and exact filtered search read vectors from the caller', () => {
  const n = 5_000;
  let lookups = 0;
  const lookup = (key: number): Float32Array | undefined => {
    lookups++;
    const row = keyToRow.get(key);
    return row === undefined ? undefined : data.vectors.subarray(row * DIM, (row + 1) * DIM);
  };
  const index = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'i8', rescore: 30, addThreads: 2, vectorLookup: lookup });
  index.add(keys.slice(0, n), data.vectors.subarray(0, n * DIM));
  const small = createExactIndex({ dimension: DIM, metric: 'cos' });
  small.add(keys.slice(0, n), data.vectors.subarray(0, n * DIM));
  const got = Array.from({ length: 50 }, (_, i) => index.search(query(i), K));
  const want = Array.from({ length: 50 }, (_, i) => small.search(query(i), K));
  assert.ok(recallAtK(got, want, K) >= 0.98);
  assert.ok(lookups >= 50 * 30, `rescoring used the lookup (${lookups} calls)`);
  const filter = (key: number): boolean => clusterOf(key) === 7;
  const report = index.searchDetailed(query(7), K, { filter });
  assert.equal(report.strategy, 'exact-filtered');
  assert.deepEqual(report.matches.map((m) => m.key), small.search(query(7), K, { filter }).map((m) => m.key));
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-ann-'));
  try {
    const path = join(dir, 'lookup.usearch');
    index.save(path);
    // The sidecar holds keys only: 96-byte header + 8 bytes per key.
    assert.equal(readFileSync(path + '.vectors').length, 96 + 8 * n);
    const reloaded = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'i8', rescore: 30, vectorLookup: lookup });
    reloaded.load(path);
    assert.deepEqual(reloaded.search(query(3), K), index.search(query(3), K));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input is rejected with catalogue errors', () => {
  assert.throws(() => createAnnIndex({ dimension: DIM, quantisation: 'f16' } as never), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
  assert.throws(() => f16.search(new Float32Array(3), K), (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH');
  assert.throws(() => f16.search(query(0), 0), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => exact.add([-1], new Float32Array(DIM)), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => exact.add([1, 2], new Float32Array(DIM)), (e) => isProdsimError(e) && e.code === 'DIM_MISMATCH');
});

test('vector(key): a normalised copy of the kept row for both index kinds; undefined when unknown or keys-only', () => {
  const raw = new Float32Array([3, 4, 0, 0]);
  for (const index of [createAnnIndex({ dimension: 4, metric: 'cos' }), createExactIndex({ dimension: 4, metric: 'cos' })]) {
    index.add([7], raw);
    const v = index.vector(7)!;
    assert.deepEqual(Array.from(v), [0.6, 0.8, 0, 0].map((x) => Math.fround(x)), index.kind);
    v[0] = 99; // a copy: writing to it leaves the index alone
    assert.equal(index.vector(7)![0], Math.fround(0.6), index.kind);
    assert.equal(index.vector(8), undefined, index.kind);
  }
  const keysOnly = createAnnIndex({ dimension: 4, metric: 'cos', vectorLookup: () => raw });
  keysOnly.add([7], raw);
  assert.equal(keysOnly.vector(7), undefined);
});

test('passingKeys: an exact filtered search visits only the listed keys and returns what the filter alone returns', () => {
  const index = createAnnIndex({ dimension: DIM, metric: 'cos', addThreads: 2 });
  index.add(keys, data.vectors);
  const selective = (key: number): boolean => clusterOf(key) % 100 === 0; // ≈ 1 % of the keys
  const listed = keys.filter(selective);
  for (let i = 0; i < 20; i++) {
    let calls = 0;
    const counted = (key: number) => {
      calls++;
      return selective(key);
    };
    const plain = index.searchDetailed(query(i), K, { filter: selective });
    const withKeys = index.searchDetailed(query(i), K, { filter: counted, passingKeys: () => listed });
    assert.equal(withKeys.strategy, 'exact-filtered');
    assert.deepEqual(withKeys.matches, plain.matches);
    // The pass-rate sample (256 keys) plus the listed keys, not one call per indexed key.
    assert.ok(calls <= 256 + listed.length, `${calls} filter calls for ${listed.length} listed keys of ${N}`);
  }
  const exact = createExactIndex({ dimension: DIM, metric: 'cos' });
  exact.add(keys, data.vectors);
  assert.deepEqual(exact.search(query(0), K, { filter: selective, passingKeys: () => listed }), exact.search(query(0), K, { filter: selective }));
});
