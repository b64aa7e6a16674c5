/**
 * Typed relevance (issue #19 item 5): every search hit says whether it is the product asked for,
 * a substitute, a complement or unrelated (ESCI), with the check that decided and a reason; the
 * CLI prints it and the HTTP API returns it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { createServerApp } from '../src/server/app.ts';
import { usedWithValues } from '../src/similarity/exclusive-values.ts';
import type { SearchHit } from '../src/tasks/search.ts';
import { runCli } from './fixtures/run-cli.ts';

let sample: Engine;
before(async () => {
  sample = await createEngine({ storePath: ':memory:', images: false });
  await sample.ingest('data/sample-catalog.jsonl');
});
after(() => sample?.close());

const show = (hits: readonly SearchHit[]) => hits.map((h) => `${h.relevanceClass} ${h.product.title} (${h.relevanceCheck.check}: ${h.relevanceCheck.reason})`).join('\n');

describe('usedWith: complements among product types', () => {
  test('a case is used with a phone, both ways; a phone is not used with a laptop', () => {
    assert.equal(usedWithValues('case', 'phone'), true);
    assert.equal(usedWithValues('phone', 'case'), true);
    assert.equal(usedWithValues('strap', 'watch'), true);
    assert.equal(usedWithValues('phone', 'laptop'), false);
    assert.equal(usedWithValues('case', 'case'), false);
  });
});

describe('search hits carry an ESCI class with the deciding check', () => {
  test('iphone 15: the phone is exact, a case for it a complement, the 15 Pro a substitute (model line)', async () => {
    const r = await sample.search({ query: 'iphone 15', k: 10 });
    const phone = r.hits.find((h) => /^Apple iPhone 15 Smartphone/.test(h.product.title));
    const caseHit = r.hits.find((h) => /手机壳|Case/.test(h.product.title));
    const pro = r.hits.find((h) => /iPhone 15 Pro/.test(h.product.title) && !/壳|Case/.test(h.product.title));
    assert.ok(phone && caseHit && pro, show(r.hits));
    assert.equal(phone.relevanceClass, 'exact', show(r.hits));
    assert.equal(caseHit.relevanceClass, 'complement', show(r.hits));
    assert.equal(caseHit.relevanceCheck.check, 'productType');
    assert.match(caseHit.relevanceCheck.reason, /case is used with phone/);
    assert.equal(pro.relevanceClass, 'substitute', show(r.hits));
    assert.match(pro.relevanceCheck.reason, /modelLine/);
  });

  test('红色连衣裙: the red dress is exact, dresses of another colour are substitutes because of the colour', async () => {
    const r = await sample.search({ query: '红色连衣裙', k: 10 });
    const red = r.hits.filter((h) => /红色/.test(h.product.title));
    const other = r.hits.filter((h) => /连衣裙/.test(h.product.title) && !/红/.test(h.product.title));
    assert.ok(red.length > 0 && other.length > 0, show(r.hits));
    for (const h of red) assert.equal(h.relevanceClass, 'exact', show(r.hits));
    for (const h of other) {
      assert.equal(h.relevanceClass, 'substitute', show(r.hits));
      assert.equal(h.relevanceCheck.check, 'attribute');
      assert.match(h.relevanceCheck.reason, /colour: asked red/);
    }
  });

  test('苹果手机 256GB: a 128GB iPhone is a substitute (quantity); 男士T恤: jeans are irrelevant (product type)', async () => {
    const phones = await sample.search({ query: '苹果手机 256GB', k: 10 });
    const small = phones.hits.find((h) => /128GB/.test(h.product.title));
    assert.ok(small, show(phones.hits));
    assert.equal(small.relevanceClass, 'substitute');
    assert.match(small.relevanceCheck.reason, /quantity: asked 256gb/);
    assert.ok(phones.hits.some((h) => /256GB/.test(h.product.title) && h.relevanceClass === 'exact'), show(phones.hits));
    const tees = await sample.search({ query: '男士T恤', k: 10 });
    const jeans = tees.hits.find((h) => /牛仔裤/.test(h.product.title));
    assert.ok(jeans, show(tees.hits));
    assert.equal(jeans.relevanceClass, 'irrelevant');
    assert.equal(jeans.relevanceCheck.check, 'productType');
  });

  test('游戏本 (nothing relevant in the catalog): no hit is exact', async () => {
    const r = await sample.search({ query: '游戏本', k: 10 });
    assert.ok(r.hits.every((h) => h.relevanceClass !== 'exact'), show(r.hits));
  });
});

describe('the class through the CLI and HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-relevance-class-'));
  const store = join(dir, 'store.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('CLI search prints each hit\'s class and why a hit is not exact', async () => {
    assert.equal((await runCli(['--store', store, 'ingest', 'data/sample-catalog.jsonl'])).code, 0);
    const r = await runCli(['--store', store, 'search', 'iphone 15']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\bexact\b/);
    assert.match(r.stdout, /complement \(productType\): case is used with phone/);
  });

  test('HTTP /v1/search returns relevanceClass and relevanceCheck per hit', async () => {
    const app = createServerApp({ engine: sample, evalDir: join(dir, 'eval') });
    const res = await app.app.request('/v1/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'iphone 15', k: 10 }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { hits: SearchHit[] };
    assert.ok(body.hits.every((h) => ['exact', 'substitute', 'complement', 'irrelevant'].includes(h.relevanceClass) && h.relevanceCheck.reason.length > 0));
    assert.ok(body.hits.some((h) => h.relevanceClass === 'complement'));
  });
});
