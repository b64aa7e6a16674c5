/**
 * HTTP edges a hostile or careless client reaches: odd report names, catalog paths on the server,
 * error bodies that would show server paths, bodies that are not JSON, and `k` at the documented
 * bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { createServerApp, type ServerApp } from '../src/server/app.ts';

const TOKEN = 'edge-write-token';
const dir = mkdtempSync(join(tmpdir(), 'prodsim-edges-'));
const catalogRoot = join(dir, 'catalogs');
let engine: Engine;
let server: ServerApp;

before(async () => {
  mkdirSync(catalogRoot);
  mkdirSync(join(dir, 'reports'));
  writeFileSync(join(dir, 'reports', 'a.md'), '# a report\n');
  const lines = readFileSync('data/sample-catalog.jsonl', 'utf8').split('\n').filter(Boolean);
  writeFileSync(join(catalogRoot, 'left.jsonl'), lines.slice(0, 30).join('\n') + '\n');
  writeFileSync(join(catalogRoot, 'right.jsonl'), lines.slice(20, 50).join('\n') + '\n');
  writeFileSync(join(catalogRoot, 'not-an-array.json'), '{"hello": 1}');
  writeFileSync(join(dir, 'outside.jsonl'), lines.slice(0, 5).join('\n') + '\n');
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false });
  await engine.ingest(join(catalogRoot, 'left.jsonl'));
  server = createServerApp({ engine, writeToken: TOKEN, catalogRoot, reportsDir: join(dir, 'reports'), evalDir: join(dir, 'eval') });
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(method: string, path: string, init: { body?: string; type?: string | null; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.type !== null) headers['content-type'] = init.type ?? 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await server.app.request(path, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: res.status, text: await res.text() };
}

describe('reports', () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    test(`GET /v1/reports/${name}/a.md is a 404 with a JSON error`, async () => {
      const r = await send('GET', `/v1/reports/${name}/a.md`);
      assert.equal(r.status, 404, r.text);
      assert.equal(JSON.parse(r.text).error.code, 'FILE_NOT_FOUND');
    });
  }
  test('a real report is served', async () => {
    const r = await send('GET', '/v1/reports/benchmarks/a.md');
    assert.equal(r.status, 200);
    assert.match(r.text, /a report/);
  });
});

describe('catalog paths on the server', () => {
  const matchBody = JSON.stringify({ left: 'left.jsonl', right: 'right.jsonl' });
  test('match with server paths needs a token', async () => {
    const r = await send('POST', '/v1/match', { body: matchBody });
    assert.equal(r.status, 401, r.text);
    const dedup = await send('POST', '/v1/dedup', { body: JSON.stringify({ catalog: 'left.jsonl' }) });
    assert.equal(dedup.status, 401, dedup.text);
    const job = await send('POST', '/v1/jobs/match', { body: matchBody });
    assert.equal(job.status, 401, job.text);
  });
  test('match with server paths works for a token holder, inside the catalog folder only', async () => {
    const r = await send('POST', '/v1/match', { body: matchBody, token: TOKEN });
    assert.equal(r.status, 200, r.text);
    const outside = await send('POST', '/v1/match', { body: JSON.stringify({ left: '../outside.jsonl', right: 'right.jsonl' }), token: TOKEN });
    assert.equal(outside.status, 400, outside.text);
    const absolute = await send('POST', '/v1/match', { body: JSON.stringify({ left: join(dir, 'outside.jsonl'), right: 'right.jsonl' }), token: TOKEN });
    assert.equal(absolute.status, 400, absolute.text);
  });
  test('match with inline products needs no token', async () => {
    const products = [{ id: 'x1', title: '红色连衣裙' }];
    const r = await send('POST', '/v1/match', { body: JSON.stringify({ left: products, right: products }) });
    assert.equal(r.status, 200, r.text);
  });
  test('no error body shows an absolute server path', async () => {
    for (const [path, body] of [
      ['/v1/match', { left: 'not-an-array.json', right: 'right.jsonl' }],
      ['/v1/match', { left: 'missing.jsonl', right: 'right.jsonl' }],
      ['/v1/match', { left: '../outside.jsonl', right: 'right.jsonl' }],
      ['/v1/dedup', { catalog: 'not-an-array.json' }],
    ] as const) {
      const r = await send('POST', path, { body: JSON.stringify(body), token: TOKEN });
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.text}`);
      assert.ok(!r.text.includes(dir) && !r.text.includes(process.cwd()) && !r.text.includes(tmpdir()), r.text);
    }
  });
});

describe('content types', () => {
  test('a text/plain body is refused with 415, not parsed as JSON', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded']) {
      const r = await send('POST', '/v1/search', { body: JSON.stringify({ query: '连衣裙' }), type });
      assert.equal(r.status, 415, `${type}: ${r.text}`);
      assert.equal(JSON.parse(r.text).error.code, 'UNSUPPORTED_FORMAT');
    }
    const put = await send('PUT', '/v1/products/x9', { body: JSON.stringify({ title: 't' }), type: 'text/plain', token: TOKEN });
    assert.equal(put.status, 415);
  });
  test('JSON with a charset, and a vendor +json type, are accepted', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
      const r = await send('POST', '/v1/search', { body: JSON.stringify({ query: '连衣裙' }), type });
      assert.equal(r.status, 200, `${type}: ${r.text}`);
    }
  });
});

describe('k', () => {
  test('the OpenAPI maximum of k is the bound the server enforces', async () => {
    const doc = JSON.parse((await send('GET', '/openapi.json')).text);
    const documented = doc.components.schemas.searchInput.properties.k.maximum as number;
    assert.equal((await send('POST', '/v1/search', { body: JSON.stringify({ query: '连衣裙', k: documented }) })).status, 200);
    const over = await send('POST', '/v1/search', { body: JSON.stringify({ query: '连衣裙', k: documented + 1 }) });
    assert.equal(over.status, 400, over.text);
    assert.equal(JSON.parse(over.text).error.location.field, 'k');
  });
});
