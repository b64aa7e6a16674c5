/**
 * Dedup of the store with blocking (tasks/store-dedup.ts): candidates from the ANN index, the keyword
 * index and the model-number lookup, k per product, each unordered pair scored once. On the sample
 * catalog it finds what scoring all blocked pairs of the in-memory path finds; it reports progress and
 * stops on its signal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Product } from '../src/catalog/product.ts';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { createError } from '../src/errors.ts';
import { DEFAULT_MATCH_OPTIONS, findDuplicates } from '../src/tasks/match.ts';
import { findStoreDuplicates } from '../src/tasks/store-dedup.ts';
import type { LearnedScorer } from '../src/tasks/learned-matcher.ts';
import { collectAll } from '../src/store/store.ts';

let engine: Engine;

before(async () => {
  engine = await createEngine({ storePath: ':memory:', images: false });
  await engine.ingest('data/sample-catalog.jsonl');
});

after(() => engine.close());

const pairKeys = (groups: { pairs: { a: string; b: string }[] }[]) => new Set(groups.flatMap((g) => g.pairs.map((p) => [p.a, p.b].sort().join('|'))));

test('store dedup finds the duplicate pairs the in-memory dedup finds on the sample catalog', async () => {
  const reps = (await engine.catalog.representIds((await collectAll(engine.store.iterateProducts())).map((s) => s.product.id))).map((r) => r!);
  const inMemory = pairKeys((await findDuplicates(reps)).groups);
  const blocked = await engine.dedup();
  const found = pairKeys(blocked.groups);
  const missed = [...inMemory].filter((p) => !found.has(p));
  // Measured: 110 of 111; the one missed is a phone and earbuds of one brand (P0038|P0123), not duplicates.
  assert.ok(inMemory.size > 50);
  assert.ok(missed.length <= 2, `missed ${missed.join(', ')}`);
  for (const g of blocked.groups) assert.ok(g.ids.length >= 2 && g.minScore >= DEFAULT_MATCH_OPTIONS.threshold && new Set(g.ids).size === g.ids.length);
});

test('each unordered pair is scored once, and candidates stay within k per product and source', async () => {
  const blockK = 5;
  const r = await findStoreDuplicates(engine.catalog, { blockK });
  const n = await engine.store.count();
  const { dense, keyword, modelNumber } = r.stats.candidates;
  assert.ok(dense <= n * blockK && keyword <= n * (blockK + 1) && modelNumber <= n * blockK);
  // Found from both sides, a pair is scored from the first only: fewer pairs scored than found.
  assert.ok(r.stats.candidatePairs < dense + keyword + modelNumber, `${r.stats.candidatePairs} scored of ${dense + keyword + modelNumber} found`);
  const pairs = r.groups.flatMap((g) => g.pairs.map((p) => [p.a, p.b].sort().join('|')));
  assert.equal(new Set(pairs).size, pairs.length, 'no pair reported twice');
});

test('store dedup reports progress to the end and stops on its signal', async () => {
  const seen: [number, number][] = [];
  await findStoreDuplicates(engine.catalog, { onProgress: (done, total) => seen.push([done, total]) });
  const n = await engine.store.count();
  assert.deepEqual(seen.at(-1), [n, n]);

  const controller = new AbortController();
  controller.abort(createError('CANCELLED', 'stop'));
  await assert.rejects(findStoreDuplicates(engine.catalog, { signal: controller.signal }), (e: Error & { code?: string }) => e.code === 'CANCELLED');
});

test('store dedup reads each product once with its cache, and finds the same groups with a tiny one', async () => {
  const n = await engine.store.count();
  const whole = await findStoreDuplicates(engine.catalog);
  // Candidates of a batch are read together and kept: every product is read from the store once.
  assert.equal(whole.stats.productsRead, n);
  const tiny = await findStoreDuplicates(engine.catalog, { maxRepresentations: 8 });
  assert.ok(tiny.stats.productsRead > n, `${tiny.stats.productsRead} reads of ${n} products with a cache of 8`);
  assert.deepEqual(pairKeys(tiny.groups), pairKeys(whole.groups));
  assert.equal(tiny.stats.candidatePairs, whole.stats.candidatePairs);
  await assert.rejects(findStoreDuplicates(engine.catalog, { maxRepresentations: 0 }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT');
});

test('engine.dedup passes maxRepresentations to the store dedup', async () => {
  const r = await engine.dedup(undefined, { maxRepresentations: 4 });
  assert.ok((r.stats.productsRead ?? 0) > (await engine.store.count()));
});

test('onScored sees every candidate pair once, and the grouped pairs are those scored at or above the threshold', async () => {
  const scored = new Map<string, number>();
  const r = await engine.dedup(undefined, {
    onScored: (a, b, score) => {
      const key = [a, b].sort().join('|');
      assert.ok(!scored.has(key), `${key} scored twice`);
      scored.set(key, score);
    },
  });
  assert.equal(scored.size, r.stats.candidatePairs);
  assert.equal([...scored.values()].filter((s) => s >= DEFAULT_MATCH_OPTIONS.threshold).length, r.stats.aboveThreshold);
  for (const g of r.groups) for (const p of g.pairs) assert.equal(scored.get([p.a, p.b].sort().join('|')), p.score);
});

test('products that differ only by their model number are not duplicates (regression of 7aecb7c)', async () => {
  // As the synthetic catalog of bench:dedup: one brand, one kind of product, one colour; each item has
  // its own model number in the title and the model attribute. Only the planted copies are duplicates.
  const skus = ['MX7805-23', 'X6635-94', 'B9653-95', 'X3504-32', 'A5708-24', 'K2291-57', 'B9732-42', 'MX1184-61'];
  const products = skus.map((sku, i) => ({
    id: `case-${i}`,
    title: `Anker waterproof phone case ${sku}`,
    description: `The Anker phone case is waterproof and built for everyday use. Model ${sku}. Free returns within 30 days.`,
    tags: ['waterproof', 'phone'],
    brand: 'Anker',
    category: 'Electronics/Accessories',
    price: 20 + i,
    currency: 'USD',
    images: [],
    attributes: { colour: 'black', model: sku },
  }));
  const copies = [
    { ...products[0]!, id: 'copy-0' },
    { ...products[3]!, id: 'copy-3', title: `${products[3]!.title} genuine` },
  ];
  const own = await createEngine({ storePath: ':memory:', images: false });
  try {
    await own.upsertProducts([...products, ...copies]);
    const { groups } = await own.dedup();
    const grouped = groups.map((g) => [...g.ids].sort().join('|')).sort();
    assert.deepEqual(grouped, ['case-0|copy-0', 'case-3|copy-3'], JSON.stringify(groups.map((g) => ({ ids: g.ids, minScore: g.minScore }))));
  } finally {
    await own.close();
  }
});

test('a season or year word lowers a pair’s score but does not keep two listings’ groups apart', async () => {
  // One dress listed by three shops: one calls it summer's new model, one autumn's, one says neither.
  // The summer and autumn listings conflict on the season (score × 0.5); each is the same as the third.
  const dress = { 面料: '雪纺', 裙长: '长裙', 领型: 'V领', 袖长: '无袖' };
  const listing = (id: string, title: string, attributes: Record<string, string> = dress) => ({ id, title, tags: [], images: [], attributes });
  const products = [
    listing('summer', '夏季新款 雪纺连衣裙 V领 无袖 碎花 大摆长裙'),
    listing('autumn', '秋季新款 雪纺连衣裙 V领 无袖 碎花 大摆长裙'),
    listing('plain', '新款 雪纺连衣裙 V领 无袖 碎花 大摆长裙'),
    listing('other', '加绒 皮衣 机车外套 短款 羊羔毛领 夹克', { 材质: '皮革', 衣长: '短款' }),
  ];
  const own = await createEngine({ storePath: ':memory:', images: false });
  try {
    await own.upsertProducts(products);
    const { groups } = await own.dedup();
    assert.deepEqual(
      groups.map((g) => [...g.ids].sort()),
      [['autumn', 'plain', 'summer']],
      JSON.stringify(groups.map((g) => g.pairs)),
    );
    const inMemory = await findDuplicates((await own.catalog.representIds(products.map((p) => p.id))).map((r) => r!));
    assert.deepEqual(inMemory.groups.map((g) => [...g.ids].sort()), [['autumn', 'plain', 'summer']]);
  } finally {
    await own.close();
  }
});

test('codes one edit apart are candidates in a sparse code space, not inside a dense series', async () => {
  const words = ['lantern', 'saucepan', 'backpack', 'umbrella', 'keyboard', 'blender', 'sandal', 'pillow', 'kettle', 'scarf', 'tripod', 'notebook'];
  const product = (id: string, title: string, code?: string): Product => ({
    id,
    title: code ? `${title} ${code}` : title,
    description: '',
    tags: [],
    category: 'Misc',
    price: 10,
    currency: 'USD',
    images: [],
    attributes: code ? { model: code } : {},
  });
  // A series of eight codes, each one edit from the seven others; one code with a single neighbour.
  const series = Array.from({ length: 8 }, (_, i) => product(`series-${i}`, `${words[i]} deluxe`, `QZ481${i}`));
  const sparse = [product('sparse-a', 'garden hose reel', 'KV99217'), product('sparse-b', 'ceramic flower vase', 'KV99218')];
  const filler = Array.from({ length: 30 }, (_, i) => product(`filler-${i}`, `${words[i % words.length]} ${words[(i * 5 + 3) % words.length]} plain`));
  const own = await createEngine({ storePath: ':memory:', images: false });
  try {
    await own.upsertProducts([...series, ...sparse, ...filler]);
    const scored = new Set<string>();
    const r = await findStoreDuplicates(own.catalog, { blockK: 1, onScored: (a, b) => scored.add([a, b].sort().join('|')) });
    assert.ok(scored.has('sparse-a|sparse-b'), 'the two codes one edit apart, with nothing else in common, are scored');
    assert.equal(r.stats.denseCodeSeries, series.length, 'each series code has seven one-edit neighbours: none taken');
  } finally {
    await own.close();
  }
});

test('with a trained scorer, a pair it scores apart keeps a chain of its matches from joining (fails before the second grouping)', async () => {
  // Three products dedup groups together, every pair of them above the threshold.
  const triangle = (await engine.dedup()).groups.find((g) => g.ids.length === 3 && g.pairs.length === 3);
  assert.ok(triangle, 'the sample catalog has a group of three whose three pairs are all above the threshold');
  const [x, y, z] = triangle.ids as [string, string, string];
  const key = (a: string, b: string) => [a, b].sort().join('|');
  // A scorer that calls x–y and y–z the same product and x–z different: one decision at a time, the
  // chain x–y–z would make one group of products the scorer itself keeps apart.
  const decided = new Map([
    [key(x, y), 0.9],
    [key(y, z), 0.8],
    [key(x, z), 0.1],
  ]);
  const probabilityOf = (left: Product, right: Product) => decided.get(key(left.id, right.id)) ?? 0;
  const scorer = {
    name: 'pair table',
    threshold: 0.5,
    probability: (pairs: readonly { left: Product; right: Product }[]) => Float64Array.from(pairs, (p) => probabilityOf(p.left, p.right)),
    explain: (left: Product, right: Product) => ({ scorer: 'pair table', probability: probabilityOf(left, right), threshold: 0.5, base: 0, logit: 0, contributions: [], tokenTerms: [] }),
  } as unknown as LearnedScorer; // dedup reads name, probability and explain, not a matcher
  const r = await findStoreDuplicates(engine.catalog, { scorer, threshold: 0.5 });
  const groups = r.groups.map((g) => [...g.ids].sort().join(','));
  assert.deepEqual(groups, [[x, y].sort().join(',')]);
  assert.ok(r.stats.keptApart >= 1, 'y–z is counted as kept apart');
  // The same for a catalog deduplicated in memory (`prodsim dedup file --model`).
  const reps = (await engine.catalog.representIds([x, y, z])).map((rep) => rep!);
  const inMemory = await findDuplicates(reps, { scorer, threshold: 0.5 });
  assert.deepEqual(
    inMemory.groups.map((g) => [...g.ids].sort().join(',')),
    [[x, y].sort().join(',')],
  );
});
