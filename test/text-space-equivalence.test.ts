/**
 * The text space's vectors do not depend on how often a text is segmented. Ingest and refresh tokenise
 * each product's text once and share the tokens between the encoder's parts (and between fitting and
 * encoding); the vectors they store must equal, bit for bit, those of the straightforward computation
 * kept here as the reference: each pass tokenising the text itself, every token's vector and SIF weight
 * looked up in the word tables, the common component from the full XᵀX. Uses the sample catalog in
 * data/ and the GloVe/CEDICT cache (~/.cache/prodsim, built on first use).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { l2normalize, type WordVectors } from '../src/encoders/encoder.ts';
import { createGloveEncoder } from '../src/encoders/glove/glove-encoder.ts';
import { createCatalogAwareEncoder, type CatalogAwareEncoder } from '../src/encoders/catalog-vectors/catalog-aware-encoder.ts';
import { trainCatalogVectors } from '../src/encoders/catalog-vectors/catalog-vectors.ts';
import { CATALOG_SIF_A } from '../src/encoders/catalog-vectors/combined-encoder.ts';
import { DEFAULT_SIF_OPTIONS, principalDirection } from '../src/encoders/glove/sif.ts';
import { fitTextSpace, productText } from '../src/tasks/text-space.ts';
import { createCatalogIndex } from '../src/tasks/catalog-index.ts';
import { ingestCatalog } from '../src/tasks/ingest.ts';
import { collectAll, createProductStore } from '../src/store/index.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import type { ProductStore } from '../src/store/store.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-text-space-'));
let engine: Engine;
let texts: string[];
let ids: string[];

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false });
  await engine.ingest('data/sample-catalog.jsonl');
  texts = [];
  ids = [];
  for await (const { product } of engine.store.iterateProducts()) {
    ids.push(product.id);
    texts.push(productText(product, engine.catalog.textEncoder));
  }
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- The reference: SIF and the catalog-aware combination computed the plain way. ----

/** The full XᵀX power iteration (as SIF computed it before the Gram accumulator). */
function referencePrincipalDirection(rows: readonly Float32Array[], dimension: number): Float32Array | undefined {
  const cov = new Float64Array(dimension * dimension);
  for (const r of rows) {
    for (let i = 0; i < dimension; i++) {
      const ri = r[i]!;
      if (ri === 0) continue;
      for (let j = 0; j < dimension; j++) cov[i * dimension + j]! += ri * r[j]!;
    }
  }
  let v = new Float64Array(dimension);
  for (const r of rows) for (let i = 0; i < dimension; i++) v[i]! += r[i]!;
  const norm = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    if (s === 0) return false;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < x.length; i++) x[i]! *= inv;
    return true;
  };
  if (!norm(v)) v.fill(1 / Math.sqrt(dimension));
  for (let it = 0; it < 100; it++) {
    const next = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) {
      let s = 0;
      for (let j = 0; j < dimension; j++) s += cov[i * dimension + j]! * v[j]!;
      next[i] = s;
    }
    if (!norm(next)) return undefined;
    let delta = 0;
    for (let i = 0; i < dimension; i++) delta += Math.abs(next[i]! - v[i]!);
    v = next;
    if (delta < 1e-9) break;
  }
  return Float32Array.from(v);
}

/** SIF without catalog frequencies, one component: fitted on `docs`, returns the encoder of a token list. */
function referenceSif(words: WordVectors, a: number, docs: readonly string[][]): (tokens: readonly string[]) => Float32Array {
  const dim = words.dimension;
  const average = (tokens: readonly string[]) => {
    const out = new Float32Array(dim);
    let n = 0;
    for (const t of tokens) {
      const v = words.vector(t);
      if (!v) continue;
      const w = a / (a + (words.probability(t) ?? DEFAULT_SIF_OPTIONS.unknownProbability));
      for (let d = 0; d < dim; d++) out[d]! += w * v[d]!;
      n++;
    }
    if (n > 1) for (let d = 0; d < dim; d++) out[d]! /= n;
    return out;
  };
  const rows = docs.map(average).filter((v) => v.some((x) => x !== 0));
  const u = rows.length > 0 ? referencePrincipalDirection(rows, dim) : undefined;
  return (tokens) => {
    const v = average(tokens);
    if (u) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += u[d]! * v[d]!;
      for (let d = 0; d < dim; d++) v[d]! -= dot * u[d]!;
    }
    return l2normalize(v);
  };
}

/** The catalog-aware encoder's vectors of `texts`, every pass tokenising the texts again. */
function referenceVectors(pretrainedWords: WordVectors, corpus: readonly string[], toEncode: readonly string[]): Float32Array[] {
  const analyzer = createTextAnalyzer();
  const pretrained = referenceSif(pretrainedWords, DEFAULT_SIF_OPTIONS.a, corpus.map((t) => analyzer.tokenize(t)));
  const vectors = trainCatalogVectors(corpus.map((t) => analyzer.tokenize(t)));
  assert.ok(vectors.words.length >= 50, `the sample catalog turns the catalog part on (${vectors.words.length} words)`);
  const catalog = referenceSif(vectors, CATALOG_SIF_A, corpus.map((t) => analyzer.tokenize(t)));
  const width = 100;
  return toEncode.map((text) => {
    const parts = [pretrained(analyzer.tokenize(text)), catalog(analyzer.tokenize(text))];
    const out = new Float32Array(pretrainedWords.dimension + width);
    let offset = 0;
    let norm = 0;
    for (const part of parts) {
      let s = 0;
      for (let d = 0; d < part.length; d++) s += part[d]! * part[d]!;
      if (s > 0) {
        const f = Math.sqrt(0.5) / Math.sqrt(s);
        for (let d = 0; d < part.length; d++) out[offset + d] = part[d]! * f;
        norm += 0.5;
      }
      offset += part === parts[0] ? pretrainedWords.dimension : width;
    }
    if (norm > 0 && norm < 1) for (let d = 0; d < out.length; d++) out[d]! *= 1 / Math.sqrt(norm);
    return out;
  });
}

function firstDifference(a: readonly Float32Array[], b: readonly Float32Array[], labels: readonly string[]): string | undefined {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    assert.equal(x.length, y.length);
    for (let d = 0; d < x.length; d++) {
      if (!Object.is(x[d], y[d])) return `${labels[i]} dim ${d}: ${x[d]} vs ${y[d]}`;
    }
  }
  return undefined;
}

test('the engine text space is tokenised once per text (both parts share the analyser)', () => {
  const encoder = engine.catalog.textEncoder as CatalogAwareEncoder;
  assert.ok(encoder.analyzer !== undefined && encoder.fitTokenized !== undefined && encoder.encodeTokenized !== undefined);
  assert.ok(encoder.catalogVectors !== undefined, 'catalog part on');
});

test('vectors stored by ingest + refresh equal the reference computation bit for bit', async () => {
  const encoder = engine.catalog.textEncoder as CatalogAwareEncoder;
  const stored = await Promise.all(ids.map(async (id) => (await engine.store.getVector(encoder.id, id))!));
  assert.ok(stored.every((v) => v !== undefined), 'every product has a current vector');
  const expected = referenceVectors(encoder.pretrained.wordVectors, texts, texts);
  assert.equal(firstDifference(stored, expected, ids), undefined);
  // The reference is not trivially equal to anything: vectors differ between products.
  assert.equal(firstDifference([stored[0]!], [stored[1]!], ['p0/p1']) !== undefined, true);
});

test('encode(texts) of the fitted text space gives the same vectors as the stored ones and the reference', async () => {
  const encoder = engine.catalog.textEncoder;
  const queries = [...texts.slice(0, 20), '红色连衣裙 夏季 新款', 'wireless noise cancelling headphones', 'zzqx 未知词'];
  const got = await encoder.encode(queries);
  const expected = referenceVectors((encoder as CatalogAwareEncoder).pretrained.wordVectors, texts, queries);
  assert.equal(firstDifference(got, expected, queries), undefined);
});

test('an encoder whose parts tokenise separately (different analysers) fits and encodes to the same vectors', async () => {
  const a = createTextAnalyzer();
  const b = createTextAnalyzer();
  const separate = createCatalogAwareEncoder(await createGloveEncoder({ analyzer: a }), { analyzer: b });
  assert.equal(separate.analyzer, undefined, 'no shared analyser: the text path');
  assert.equal(separate.encodeTokenized, undefined);
  separate.fit(texts);
  assert.equal(separate.id, engine.catalog.textEncoder.id, 'same fitted state');
  const got = await separate.encode(texts);
  const stored = await Promise.all(ids.map(async (id) => (await engine.store.getVector(engine.catalog.textEncoder.id, id))!));
  assert.equal(firstDifference(got, stored, ids), undefined);
});

test('principalDirection (upper-triangle Gram accumulation) equals the full XᵀX computation bit for bit', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const rows = Array.from({ length: 300 }, (_, i) => Float32Array.from({ length: 27 }, (_, d) => (i % 5 === 0 && d % 3 === 0 ? 0 : rand() + 0.2)));
  const got = principalDirection(rows, 27)!;
  const want = referencePrincipalDirection(rows, 27)!;
  assert.equal(firstDifference([got], [want], ['u']), undefined);
});

test('the tokens a fit keeps for the encode pass are the analyser\'s tokens of that product version only', async () => {
  const encoder = engine.catalog.textEncoder as CatalogAwareEncoder;
  const idBefore = encoder.id;
  const { decision, tokens } = await fitTextSpace(engine.store, encoder, true, true);
  assert.equal(decision.fitted, true);
  assert.equal(encoder.id, idBefore, 'a refit on the same catalog gives the same state');
  assert.ok(tokens !== undefined);
  assert.equal(tokens.products, await engine.store.count());
  assert.ok(tokens.bytes > 0);
  let checked = 0;
  for await (const { product, key, contentHash } of engine.store.iterateProducts()) {
    assert.deepEqual(tokens.tokensOf(key, contentHash), encoder.analyzer!.tokenize(productText(product, encoder)));
    if (checked === 0) {
      assert.equal(tokens.tokensOf(key, contentHash.replace(/^./, (c) => (c === '0' ? '1' : '0'))), undefined, 'other content: not reused');
      assert.equal(tokens.tokensOf(key + 1_000_000, contentHash), undefined, 'unknown key');
    }
    checked++;
  }
  assert.ok(checked >= 300);
  assert.equal((await fitTextSpace(engine.store, encoder, false, true)).tokens, undefined, 'no fit, no tokens');
});

test('a refresh encodes products written after its fit from their new text, and skips products deleted meanwhile', async () => {
  const analyzer = createTextAnalyzer();
  const store = createProductStore({ path: join(dir, 'race.db') });
  try {
    await ingestCatalog({ store, analyzer, source: 'data/sample-catalog.jsonl' });
    const all = (await collectAll(store.iterateProducts())).map((p) => p.product);
    const changed = { ...all[3]!, title: `${all[3]!.title} 加厚 羽绒 winter edition` };
    const deleted = all[7]!.id;
    // Another writer, between the fit and the encode pass: one product changes before the listing of
    // products to encode (so its listed content is not the one the fit tokenised), one is deleted after.
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'productsWithoutVector') {
          return async (...args: Parameters<ProductStore['productsWithoutVector']>) => {
            await target.upsertProducts([{ product: changed, analyzed: analyzeProduct(changed, analyzer) }]);
            const listed = await target.productsWithoutVector(...args);
            await target.deleteProducts([deleted]);
            return listed;
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const textEncoder = createCatalogAwareEncoder(await createGloveEncoder({ analyzer }), { analyzer });
    const catalog = await createCatalogIndex({ store: racing, analyzer, textEncoder, indexDir: join(dir, 'race.index') });
    const summary = await catalog.refresh();
    assert.equal(summary.fit.fitted, true);
    assert.equal(summary.encoded, all.length - 1, 'every product but the deleted one');
    assert.equal(await store.getVector(textEncoder.id, deleted), undefined);
    const [fresh, stale] = await textEncoder.encode([productText(changed, textEncoder), productText(all[3]!, textEncoder)]);
    const stored = (await store.getVector(textEncoder.id, changed.id))!;
    assert.equal(firstDifference([stored], [fresh!], [changed.id]), undefined, 'the changed product is encoded from its new text');
    assert.notEqual(firstDifference([stored], [stale!], [changed.id]), undefined);
    const others = all.filter((p) => p.id !== deleted && p.id !== changed.id).slice(0, 40);
    const want = await textEncoder.encode(others.map((p) => productText(p, textEncoder)));
    assert.equal(firstDifference(await Promise.all(others.map(async (p) => (await store.getVector(textEncoder.id, p.id))!)), want, others.map((p) => p.id)), undefined);
  } finally {
    await store.close();
  }
});
