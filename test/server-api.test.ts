/**
 * The HTTP API through `app.request` (no socket) on a temp store with the sample catalog: auth,
 * limits, partial batch failures, the OpenAPI document, job polling, the image URL policy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { runTask, TASK_LIMITS, TASKS } from '../src/engine/task-registry.ts';
import { isProdsimError } from '../src/errors.ts';
import { createServerApp, DEFAULT_SERVER_LIMITS, type ServerApp } from '../src/server/app.ts';
import { assertFetchableUrl, isBlockedAddress } from '../src/server/url-policy.ts';

const TOKEN = 'test-write-token';
const dir = mkdtempSync(join(tmpdir(), 'prodsim-server-'));
let engine: Engine;
let server: ServerApp;
let protectedServer: ServerApp;

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false }); // image features are not under test here (and cost seconds)
  await engine.ingest('data/sample-catalog.jsonl');
  const common = { engine, evalDir: join(dir, 'eval'), modelPath: join(dir, 'matcher.json'), limits: { maxBodyBytes: 64 * 1024, maxBatch: 50 } };
  server = createServerApp({ ...common, writeToken: TOKEN });
  protectedServer = createServerApp({ ...common, writeToken: TOKEN, readToken: 'reader' });
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, token?: string, app: ServerApp = server): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await app.app.request(path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? (JSON.parse(text) as Json) : { text } };
}

async function pollJob(id: string, app: ServerApp = server): Promise<Json> {
  for (let i = 0; i < 600; i++) {
    const { json } = await call('GET', `/v1/jobs/${id}`, undefined, TOKEN, app);
    if (json.state === 'done' || json.state === 'failed') return json;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('reads and tasks', () => {
  test('health and search answer JSON; search finds a Chinese query', async () => {
    const health = await call('GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    const metrics = await call('GET', '/metrics');
    assert.ok(metrics.json.store.products >= 300, 'the product count is in /metrics');
    const r = await call('POST', '/v1/search', { query: '红色连衣裙', k: 5 });
    assert.equal(r.status, 200);
    assert.ok(r.json.hits.length > 0);
    assert.match(r.json.hits[0].product.category ?? '', /连衣裙|女装|服装/);
  });

  test('/health asks the store nothing (a liveness probe must not queue behind a count of 1M rows)', async (t) => {
    const count = t.mock.method(engine.store, 'count');
    assert.equal((await call('GET', '/health')).status, 200);
    assert.equal(count.mock.callCount(), 0);
  });

  test('similar returns explanations; unknown id is 404 with a location', async () => {
    const r = await call('POST', '/v1/similar', { id: 'P0001', k: 3 });
    assert.equal(r.status, 200);
    assert.equal(r.json.items.length, 3);
    assert.ok(r.json.items[0].explanation.fields.length > 0);
    const missing = await call('POST', '/v1/similar', { id: 'NOPE', k: 3 });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'PRODUCT_NOT_FOUND');
  });

  test('GET /v1/products/:id and the image route', async () => {
    const r = await call('GET', '/v1/products/P0004');
    assert.equal(r.status, 200);
    assert.equal(r.json.product.id, 'P0004');
    const img = await server.app.request('/v1/images/P0004');
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    const none = await call('GET', '/v1/images/P0001');
    assert.equal(none.status, 404);
  });

  test('invalid input is 400 naming the field; malformed JSON is 400', async () => {
    const r = await call('POST', '/v1/search', { query: '' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.location.field, 'query');
    const unknown = await call('POST', '/v1/search', { query: 'x', colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.location.field, 'colour');
    const bad = await call('POST', '/v1/search', '{"query":');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'PARSE_ERROR');
  });
});

describe('auth', () => {
  test('writes need the write token', async () => {
    const product = { id: 'T-1', title: '测试商品 red mug', price: 9.9, brand: 'Test' };
    const without = await call('PUT', '/v1/products/T-1', product);
    assert.equal(without.status, 401);
    assert.equal(without.json.error.code, 'UNAUTHORIZED');
    const wrong = await call('PUT', '/v1/products/T-1', product, 'not-the-token');
    assert.equal(wrong.status, 401);
    const ok = await call('PUT', '/v1/products/T-1', product, TOKEN);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.status, 'added');
    assert.equal((await call('GET', '/v1/products/T-1')).json.product.title, '测试商品 red mug');
    assert.equal((await call('DELETE', '/v1/products/T-1')).status, 401);
    assert.equal((await call('DELETE', '/v1/products/T-1', undefined, TOKEN)).status, 200);
    assert.equal((await call('GET', '/v1/products/T-1')).status, 404);
  });

  test('a server without a write token refuses writes', async () => {
    const open = createServerApp({ engine });
    const r = await call('POST', '/v1/labels', { labels: [{ leftId: 'a', rightId: 'b', label: 1 }] }, 'anything', open);
    assert.equal(r.status, 401);
  });

  test('protected reads need the read (or write) token', async () => {
    assert.equal((await call('POST', '/v1/search', { query: 'iPhone' }, undefined, protectedServer)).status, 401);
    assert.equal((await call('POST', '/v1/search', { query: 'iPhone' }, 'reader', protectedServer)).status, 200);
    assert.equal((await call('POST', '/v1/search', { query: 'iPhone' }, TOKEN, protectedServer)).status, 200);
    assert.equal((await call('GET', '/v1/products/P0001', undefined, 'wrong', protectedServer)).status, 401);
    // Reads stay open on the other server.
    assert.equal((await call('GET', '/v1/products/P0001')).status, 200);
  });
});

describe('limits', () => {
  test('k too large is 400 naming k', async () => {
    const r = await call('POST', '/v1/similar', { id: 'P0001', k: 5000 });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.location.field, 'k');
  });

  test('one bound on k: what OpenAPI states, HTTP and the CLI (runTask) accept', async () => {
    const max = TASK_LIMITS.maxK;
    const openapi = await call('GET', '/openapi.json');
    for (const name of ['similarInput', 'searchInput', 'recommendInput', 'priceInput']) {
      assert.equal(openapi.json.components.schemas[name].properties.k.maximum, max, `${name}: k maximum`);
    }
    const atMax = await call('POST', '/v1/search', { query: 'iPhone', k: max });
    assert.equal(atMax.status, 200, JSON.stringify(atMax.json.error));
    const overMax = await call('POST', '/v1/search', { query: 'iPhone', k: max + 1 });
    assert.equal(overMax.status, 400);
    assert.equal(overMax.json.error.code, 'INVALID_ARGUMENT');
    assert.equal(overMax.json.error.location.field, 'k');
    // The CLI dispatches through runTask: the same bound, the same typed error.
    assert.ok((await runTask(engine, 'search', { query: 'iPhone', k: max })).hits.length > 0);
    await assert.rejects(runTask(engine, 'search', { query: 'iPhone', k: max + 1 }), (e) => isProdsimError(e) && e.code === 'INVALID_ARGUMENT' && e.location?.field === 'k');
  });

  test('a body larger than the limit is 413', async () => {
    const r = await call('POST', '/v1/search', { query: 'x'.repeat(100 * 1024) });
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'LIMIT_EXCEEDED');
  });

  test('a batch larger than the limit is 413', async () => {
    const products = Array.from({ length: 51 }, (_, i) => ({ id: `B${i}`, title: `item ${i}` }));
    const r = await call('POST', '/v1/products', { products }, TOKEN);
    assert.equal(r.status, 413);
    assert.equal(r.json.error.location.field, 'products');
    assert.equal(await engine.getProduct('B0'), undefined);
  });
});

describe('partial batch failure', () => {
  test('2 good + 1 bad record: the bad one names its field, the good ones are stored', async () => {
    const r = await call(
      'POST',
      '/v1/products',
      {
        products: [
          { id: 'G-1', title: 'Blue ceramic mug 350ml', price: 19.5, brand: 'Mugs' },
          { id: 'G-2', title: '白色陶瓷马克杯 350ml', price: '25', brand: 'Mugs' },
          { id: 'G-3', title: 'Broken price', price: 'cheap' },
        ],
      },
      TOKEN,
    );
    assert.equal(r.status, 200);
    assert.equal(r.json.stored, 2);
    assert.equal(r.json.failed, 1);
    const [a, b, c] = r.json.results;
    assert.deepEqual([a.ok, b.ok, c.ok], [true, true, false]);
    assert.equal(c.index, 2);
    assert.equal(c.id, 'G-3');
    assert.equal(c.error.field, 'price');
    assert.ok(await engine.getProduct('G-1'));
    assert.ok(await engine.getProduct('G-2'));
    assert.equal(await engine.getProduct('G-3'), undefined);
    const missingTitle = await call('POST', '/v1/products', [{ id: 'G-4' }], TOKEN);
    assert.equal(missingTitle.json.results[0].error.field, 'title');
    assert.equal(missingTitle.json.results[0].error.expected, 'string');
    await engine.deleteProducts(['G-1', 'G-2']);
  });
});

describe('OpenAPI', () => {
  test('lists every task path with the schema that validates it', async () => {
    const r = await call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    for (const task of Object.values(TASKS)) {
      const op = r.json.paths[`/v1/${task.path}`]?.post;
      assert.ok(op, `path /v1/${task.path}`);
      const ref = op.requestBody.content['application/json'].schema.$ref as string;
      const schema = r.json.components.schemas[ref.split('/').pop()!];
      assert.ok(schema?.properties, `schema of ${task.name}`);
    }
    const similar = r.json.components.schemas.similarInput;
    assert.equal(similar.properties.k.maximum, DEFAULT_SERVER_LIMITS.maxK, 'the bound the server enforces (k > maxK is a 400)');
    assert.deepEqual(similar.required, ['id']);
    assert.equal(similar.additionalProperties, false);
    for (const p of ['/v1/products', '/v1/products/{id}', '/v1/labels', '/v1/jobs/match', '/v1/jobs/{id}', '/health', '/metrics']) assert.ok(r.json.paths[p], p);
  });
});

describe('labels and jobs', () => {
  test('a match job is polled to done with progress, its pairs labelled, training runs on the labels', async () => {
    const start = await call('POST', '/v1/jobs/match', { left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl' }, TOKEN); // server files: token holders only
    assert.equal(start.status, 202);
    assert.ok(start.json.id);
    const job = await pollJob(start.json.id);
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    assert.ok(job.result.pairs.length > 20);
    assert.equal(job.progress.done, job.progress.total);
    const pairs = job.result.pairs.slice(0, 12) as Json[];
    const labels = pairs.map((p, i) => ({ leftId: p.left.id, rightId: p.right.id, label: i % 3 === 0 ? 0 : 1, source: 'test-review' }));
    assert.equal((await call('POST', '/v1/labels', { labels })).status, 401);
    const put = await call('POST', '/v1/labels', { labels }, TOKEN);
    assert.equal(put.status, 200);
    assert.equal(put.json.stored, 12);
    const got = await call('GET', '/v1/labels?source=test-review');
    assert.equal(got.json.count, 12);
    const bad = await call('POST', '/v1/labels', { labels: [{ leftId: 'a', rightId: 'b', label: 3 }] }, TOKEN);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.location.field, 'labels.0.label');

    const train = await call('POST', '/v1/jobs/train', { source: 'test-review', left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl', classifier: 'logistic' }, TOKEN);
    assert.equal(train.status, 202);
    const trained = await pollJob(train.json.id);
    assert.equal(trained.state, 'done', JSON.stringify(trained.error));
    assert.equal(trained.result.pairs, 12);
    const evalJob = await call('POST', '/v1/jobs/eval', { pairs: 'data/shop-ab-matches.csv', left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl' }, TOKEN);
    const evaluated = await pollJob(evalJob.json.id);
    assert.equal(evaluated.state, 'done', JSON.stringify(evaluated.error));
    assert.ok(evaluated.result.pairs > 50);
    const reports = await call('GET', '/v1/reports');
    assert.ok(reports.json.reports.some((r: Json) => r.dir === 'eval' && r.name === 'eval.md'));
  });

  test('an ingest job reads a catalog under the catalog root, with progress in lines', async () => {
    const root = join(dir, 'catalogs');
    mkdirSync(root);
    writeFileSync(join(root, 'small.jsonl'), ['{"id":"I-1","title":"竹制砧板 bamboo cutting board","price":59}', '{"id":"I-2","title":"不锈钢汤锅 24cm","price":"199"}', '{"id":"I-3","price":"x"}'].join('\n') + '\n');
    const rooted = createServerApp({ engine, writeToken: TOKEN, catalogRoot: root });
    assert.equal((await call('POST', '/v1/jobs/ingest', { path: 'small.jsonl' }, undefined, rooted)).status, 401);
    const start = await call('POST', '/v1/jobs/ingest', { path: 'small.jsonl' }, TOKEN, rooted);
    assert.equal(start.status, 202);
    const job = await pollJob(start.json.id, rooted);
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    assert.equal(job.result.added, 2);
    assert.equal(job.result.skippedCount, 1);
    assert.ok(await engine.getProduct('I-2'));
    const outside = await call('POST', '/v1/jobs/ingest', { path: '../store.db' }, TOKEN, rooted);
    assert.equal(outside.status, 400);
    await engine.deleteProducts(['I-1', 'I-2']);
  });

  test('catalog paths outside the server root are refused; unknown jobs are 404', async () => {
    const r = await call('POST', '/v1/jobs/match', { left: '/etc/passwd', right: 'data/shop-b.jsonl' }, TOKEN);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.location.field, 'left');
    const profile = await call('POST', '/v1/similar', { id: 'P0001', profile: '/etc/secret.json' }, TOKEN);
    assert.equal(profile.status, 400);
    assert.equal(profile.json.error.location.field, 'profile');
    assert.equal((await call('GET', '/v1/jobs/nope')).status, 404);
  });

  test('metrics count requests per route with latency percentiles', async () => {
    const r = await call('GET', '/metrics');
    const search = r.json.routes.find((x: Json) => x.route === 'POST /v1/search');
    assert.ok(search.count >= 3);
    assert.ok(search.latencyMs.p99 >= search.latencyMs.p50);
    assert.ok(r.json.store.products >= 300);
  });
});

describe('image URL policy', () => {
  test('refuses loopback and private addresses', async () => {
    for (const url of ['http://127.0.0.1/x.jpg', 'http://10.0.0.1/', 'http://[::1]/', 'http://192.168.1.5/a.png', 'http://169.254.169.254/latest', 'file:///etc/passwd']) {
      await assert.rejects(assertFetchableUrl(url), (e) => isProdsimError(e) && e.code === 'FORBIDDEN_URL', url);
    }
    assert.equal(isBlockedAddress('::ffff:127.0.0.1'), true);
    assert.equal(isBlockedAddress('93.184.216.34'), false);
  });

  test('the image route refuses URLs unless allowed, and private ones even then', async () => {
    await engine.upsertProducts([{ id: 'U-1', title: 'url image', tags: [], images: ['http://127.0.0.1:9/x.jpg'], attributes: {} }]);
    assert.equal((await call('GET', '/v1/images/U-1')).status, 403);
    const allowing = createServerApp({ engine, allowImageUrls: true });
    const r = await call('GET', '/v1/images/U-1', undefined, undefined, allowing);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'FORBIDDEN_URL');
    await engine.deleteProducts(['U-1']);
  });
});
