/**
 * The exact filtered path of the ANN index (a scan of the passing keys) must return exactly the
 * brute-force answer: same keys, same order, equal similarities ordered by key — with the filter
 * re-checked or trusted (`passingKeysExact`), for dense and sparse keys, after adds and removes, and
 * after save/load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAnnIndex,
  createExactIndex,
  clusteredVectors,
  pointsAround,
  seededRandom,
  VectorTable,
  EXACT_SEARCH_MAX_SIZE,
  NATIVE_SCAN_MIN_VALUES,
  type AnnIndex,
  type AnnMatch,
} from '../src/store/ann/index.ts';

// 64-d: a scan of ≥ 782 rows goes through usearch's native exact search (NATIVE_SCAN_MIN_VALUES).
const DIM = 64;
const N = 4_000; // above EXACT_SEARCH_MAX_SIZE, so the usearch index applies its filter policy
const K = 10;
const rand = seededRandom(11);
const data = clusteredVectors({ count: N, dimension: DIM, clusters: 40, spread: 0.8, seed: 5 });
const queries = pointsAround(data.centres, DIM, 30, 0.8, 6).vectors;
const query = (i: number): Float32Array => queries.subarray(i * DIM, (i + 1) * DIM);
// Store rowids (dense from 1), plus a tail of sparse keys that the dense key → slot map cannot cover.
const keys = Array.from({ length: N }, (_, i) => (i < N - 200 ? i + 1 : 1e12 + i * 7919));
// Exact duplicates of earlier rows under other keys: equal similarities, to be ordered by key.
const DUPLICATES = 50;
const dupKeys = Array.from({ length: DUPLICATES }, (_, i) => N + 10 + i);
const dupVectors = Array.from({ length: DUPLICATES }, (_, i) => data.vectors.slice((i * 37) * DIM, (i * 37 + 1) * DIM));

function randomFilter(passRate: number): Set<number> {
  const pass = new Set<number>();
  for (const key of [...keys, ...dupKeys]) if (rand() < passRate) pass.add(key);
  // Make sure some duplicate pairs pass together.
  for (let i = 0; i < DUPLICATES; i += 5) {
    pass.add(dupKeys[i]!);
    pass.add(keys[i * 37]!);
  }
  return pass;
}

function shuffled(list: number[]): number[] {
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Independent check: cosine in float64 over the raw vectors; the result holds the best keys in order. */
function assertIsTopK(got: AnnMatch[], vectors: Map<number, Float32Array>, q: Float32Array, pass: Set<number>, what: string): void {
  const cos = (a: Float32Array, b: Float32Array): number => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += a[i]! * b[i]!;
      aa += a[i]! * a[i]!;
      bb += b[i]! * b[i]!;
    }
    return ab / Math.sqrt(aa * bb);
  };
  const all = [...pass].filter((key) => vectors.has(key)).map((key) => ({ key, s: cos(q, vectors.get(key)!) }));
  all.sort((a, b) => b.s - a.s || a.key - b.key);
  assert.equal(got.length, Math.min(K, all.length), `${what}: result size`);
  for (let i = 0; i < got.length; i++) {
    assert.ok(pass.has(got[i]!.key), `${what}: key ${got[i]!.key} does not pass the filter`);
    assert.ok(Math.abs(got[i]!.similarity - all[i]!.s) < 1e-5, `${what}: rank ${i} similarity ${got[i]!.similarity} vs ${all[i]!.s}`);
    if (i > 0) {
      const a = got[i - 1]!;
      const b = got[i]!;
      assert.ok(a.similarity > b.similarity || (a.similarity === b.similarity && a.key < b.key), `${what}: order at rank ${i}`);
    }
  }
}

function build(): { ann: AnnIndex; exact: AnnIndex; vectors: Map<number, Float32Array> } {
  const ann = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'f16', addThreads: 2 });
  const exact = createExactIndex({ dimension: DIM, metric: 'cos' });
  ann.add(keys, data.vectors);
  ann.add(dupKeys, dupVectors);
  exact.add(keys, data.vectors);
  exact.add(dupKeys, dupVectors);
  const vectors = new Map<number, Float32Array>();
  keys.forEach((key, i) => vectors.set(key, data.vectors.subarray(i * DIM, (i + 1) * DIM)));
  dupKeys.forEach((key, i) => vectors.set(key, dupVectors[i]!));
  return { ann, exact, vectors };
}

/** Every way of asking for the exact filtered answer gives the brute-force full scan's answer, bit for bit. */
function checkExactPaths(ann: AnnIndex, exact: AnnIndex, vectors: Map<number, Float32Array>, what: string): void {
  for (const passRate of [0.003, 0.02, 0.1, 0.3, 1]) {
    const pass = randomFilter(passRate);
    const filter = (key: number): boolean => pass.has(key);
    const sorted = Float64Array.from([...pass].sort((a, b) => a - b));
    // Listed keys may include keys the index does not hold (removed since): they must be skipped.
    const withAbsent = [...sorted, 5e11, 999_999_999];
    // Listed keys that fail the filter: dropped when the filter is checked.
    const notPassing = keys.filter((key) => !pass.has(key)).slice(0, 40);
    for (let qi = 0; qi < 6; qi++) {
      const q = query(qi);
      const label = `${what}, pass rate ${passRate}, query ${qi}`;
      const reference = exact.search(q, K, { filter }); // full scan, filter per key
      assertIsTopK(reference, vectors, q, pass, `${label} (reference)`);
      for (const [name, got] of [
        ['exact index, passingKeys (typed, trusted)', exact.search(q, K, { filter, passingKeys: () => sorted, passingKeysExact: true })],
        ['exact index, passingKeys (iterable, checked)', exact.search(q, K, { filter, passingKeys: () => new Set(withAbsent) })],
      ] as const) {
        assert.deepEqual(got, reference, `${label}: ${name}`);
      }
      // The usearch index's sidecar normalises the given rows once, as the exact index does: same bits.
      const annReference = ann.search(q, K, { filter, filterStrategy: 'exact' });
      assert.deepEqual(annReference, reference, `${label}: usearch full scan`);
      const variants: [string, AnnMatch[]][] = [
        ['usearch, forced exact, trusted typed keys', ann.search(q, K, { filter, passingKeys: () => sorted, passingKeysExact: true, filterStrategy: 'exact' })],
        ['usearch, forced exact, shuffled keys with absent ones', ann.search(q, K, { filter, passingKeys: () => shuffled(withAbsent), passingKeysExact: true, filterStrategy: 'exact' })],
        ['usearch, forced exact, checked generator', ann.search(q, K, { filter, passingKeys: function* () { yield* withAbsent; yield* notPassing; }, filterStrategy: 'exact' })],
      ];
      for (const [name, got] of variants) assert.deepEqual(got, annReference, `${label}: ${name}`);
      const auto = ann.searchDetailed(q, K, { filter, passingKeys: () => sorted, passingKeysExact: true });
      if (auto.strategy === 'exact-filtered') assert.deepEqual(auto.matches, annReference, `${label}: auto (exact-filtered)`);
    }
  }
}

test('exact filtered search equals the brute-force answer (random filters, ties by key, sparse keys)', () => {
  assert.ok(N > EXACT_SEARCH_MAX_SIZE);
  const { ann, exact, vectors } = build();
  checkExactPaths(ann, exact, vectors, 'fresh');
});

test('exact filtered search stays exact after removes and adds, and after save/load', () => {
  const { ann, exact, vectors } = build();
  // Remove a random 10 % (dense and sparse keys), then add new keys, re-add some removed ones with other
  // vectors, and replace some existing ones (upsert).
  const removed = shuffled(keys).slice(0, N / 10);
  assert.equal(ann.remove(removed), removed.length);
  exact.remove(removed);
  for (const key of removed) vectors.delete(key);
  const extra = clusteredVectors({ count: 600, dimension: DIM, clusters: 40, spread: 0.8, seed: 9 }).vectors;
  const newKeys = [
    ...removed.slice(0, 200), // re-added
    ...Array.from({ length: 200 }, (_, i) => 20_000 + i * 3), // new dense keys beyond the old range
    ...Array.from({ length: 100 }, (_, i) => 3e12 + i), // new sparse keys
    ...keys.filter((key) => !removed.includes(key)).slice(0, 100), // replaced in place
  ];
  const newVectors = Array.from({ length: newKeys.length }, (_, i) => extra.slice(i * DIM, (i + 1) * DIM));
  ann.add(newKeys, newVectors);
  exact.add(newKeys, newVectors);
  newKeys.forEach((key, i) => vectors.set(key, newVectors[i]!));
  for (const key of newKeys) if (!keys.includes(key) && !dupKeys.includes(key)) keys.push(key);
  assert.equal(ann.size, vectors.size);
  checkExactPaths(ann, exact, vectors, 'after updates');

  const dir = mkdtempSync(join(tmpdir(), 'prodsim-ann-exact-'));
  try {
    const path = join(dir, 'index.usearch');
    ann.save(path);
    const loaded = createAnnIndex({ dimension: DIM, metric: 'cos', quantization: 'f16' });
    loaded.load(path);
    assert.equal(loaded.size, vectors.size);
    checkExactPaths(loaded, exact, vectors, 'after save/load');
    // The loaded table keeps working under further updates (its key → slot map was rebuilt on load).
    const gone = [...vectors.keys()].slice(0, 300);
    loaded.remove(gone);
    exact.remove(gone);
    for (const key of gone) vectors.delete(key);
    checkExactPaths(loaded, exact, vectors, 'after save/load and removes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VectorTable: key → slot map over dense and sparse keys, through growth, removes and load', () => {
  const table = new VectorTable(2, 'ip');
  const live = new Map<number, [number, number]>();
  const r = seededRandom(3);
  for (let round = 0; round < 2_000; round++) {
    const key = r() < 0.8 ? Math.floor(r() * 300_000) : Math.floor(r() * 1e13);
    if (r() < 0.3 && live.size > 0) {
      const victim = [...live.keys()][Math.floor(r() * live.size)]!;
      assert.equal(table.remove(victim), true);
      live.delete(victim);
    } else {
      const v: [number, number] = [r(), r()];
      table.upsert(Float64Array.of(key), Float32Array.from(v));
      live.set(key, v);
    }
  }
  assert.equal(table.size, live.size);
  for (const [key, v] of live) assert.deepEqual(Array.from(table.get(key)!), Array.from(Float32Array.from(v)), `row of ${key}`);
  assert.equal(table.has(299_999.5), false);
  assert.equal(table.has(-1), false);
  assert.equal(table.has(12_345_678_901_234), false);
  assert.deepEqual(new Set(table.keys()), new Set(live.keys()));
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-vt-'));
  try {
    const path = join(dir, 't.vectors');
    table.save(path, { quantization: 'none', indexBytes: 0, indexSha1: '' });
    const { table: back } = VectorTable.load(path);
    for (const [key, v] of live) assert.deepEqual(Array.from(back.get(key)!), Array.from(Float32Array.from(v)), `loaded row of ${key}`);
    const q = Float32Array.of(1, 0.5);
    const all = [...live.keys()];
    assert.deepEqual(back.topKOf(q, 7, Float64Array.from(all)), back.topK(q, 7));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VectorTable.topKOf: the native scan (usearch exact search + exact rescoring) equals the JS scan, duplicates included', () => {
  const dim = 48;
  const rows = 3_000;
  const table = new VectorTable(dim, 'cos');
  const base = clusteredVectors({ count: rows, dimension: dim, clusters: 30, spread: 0.8, seed: 21 }).vectors;
  // Every third row repeats an earlier one (identical similarities at every cut), keys shuffled in slot order.
  for (let i = 2; i < rows; i += 3) base.copyWithin(i * dim, (i - 2) * dim, (i - 1) * dim);
  const tableKeys = Float64Array.from(shuffled(Array.from({ length: rows }, (_, i) => i * 2 + 1)));
  table.upsert(tableKeys, base);
  const r = seededRandom(8);
  for (let round = 0; round < 20; round++) {
    const q = table.prepareQuery(base.slice((round * 97) * dim, (round * 97 + 1) * dim).map((x) => x + (r() - 0.5) * 0.05));
    const share = [0.4, 0.7, 1][round % 3]!;
    const listed = Array.from(tableKeys).filter(() => r() < share);
    assert.ok(listed.length * dim >= NATIVE_SCAN_MIN_VALUES, 'the list is long enough for the native scan');
    const inList = new Set(listed);
    for (const k of [1, 10, 50, 200]) {
      const expected = table.scanTopK(q, k, (key) => inList.has(key));
      if (round === 0) assert.deepEqual(table.topK(q, k), table.scanTopK(q, k), `k ${k}: unfiltered topK (native over the table itself)`);
      assert.deepEqual(table.topKOf(q, k, Float64Array.from(listed)), expected, `round ${round}, k ${k}: typed list`);
      assert.deepEqual(table.topKOf(q, k, shuffled([...listed, 1e9])), expected, `round ${round}, k ${k}: shuffled list with an absent key`);
      const half = (key: number): boolean => key % 4 === 1;
      assert.deepEqual(table.topKOf(q, k, listed, half), table.scanTopK(q, k, (key) => inList.has(key) && half(key)), `round ${round}, k ${k}: checked filter`);
      assert.deepEqual(table.topK(q, k, half), table.scanTopK(q, k, half), `round ${round}, k ${k}: topK with a filter`);
    }
  }
  // All rows equal: every similarity ties, so the native shortlist's cut cannot be trusted and the JS
  // scan must decide (lowest keys first).
  const same = new VectorTable(dim, 'cos');
  const sameKeys = Float64Array.from(shuffled(Array.from({ length: 2_000 }, (_, i) => 5_000 - i * 2)));
  const one = base.slice(0, dim);
  same.upsert(sameKeys, new Float32Array(sameKeys.length * dim).map((_, i) => one[i % dim]!));
  const q = same.prepareQuery(base.slice(dim, 2 * dim));
  const lowest = Array.from(sameKeys).sort((a, b) => a - b).slice(0, 10);
  assert.deepEqual(same.topKOf(q, 10, sameKeys).map((m) => m.key), lowest);
  assert.deepEqual(same.topKOf(q, 10, sameKeys), same.scanTopK(q, 10));
  assert.deepEqual(same.topK(q, 10), same.scanTopK(q, 10));
});
