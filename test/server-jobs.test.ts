/**
 * Long work off the event loop (issue 17): dedup over a store above the synchronous bound answers 202
 * with a job that runs in a process of its own, `/health` keeps answering while it runs, and a job can
 * be cancelled, stopped at its deadline, or stopped at its memory cap, and ends with its server.
 * Over a real socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { startServer, type RunningServer } from '../src/server/app.ts';
import { DEFAULT_TASK_JOB_LIMITS } from '../src/server/task-jobs.ts';
import { SerializedResult } from '../src/engine/task-process.ts';
import { syntheticProduct } from '../bench/synthetic-catalog.ts';

const TOKEN = 'jobs-token';
/** Products in the store: three times the default synchronous bound, so dedup becomes a job. */
const PRODUCTS = 3_000;
const dir = mkdtempSync(join(tmpdir(), 'prodsim-jobs-'));
let engine: Engine;
let server: RunningServer;

before(async () => {
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false });
  const products = Array.from({ length: PRODUCTS }, (_, i) => syntheticProduct(i));
  // Two planted duplicates: the same product under another id, once with its title reworded.
  products.push({ ...products[7]!, id: 'dup-of-7' }, { ...products[11]!, id: 'dup-of-11', title: `${products[11]!.title} 正品` });
  await engine.upsertProducts(products);
  server = await startServer({ engine, port: 0, writeToken: TOKEN });
});

after(async () => {
  await server.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: Json; location: string | null }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Json, location: res.headers.get('location') };
}

async function waitForEnd(id: string): Promise<Json> {
  for (;;) {
    const { json } = await call('GET', `/v1/jobs/${id}`);
    if (!['queued', 'running'].includes(json.state)) return json;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Nice value of each thread of process `pid` (Linux `/proc/<pid>/task/<tid>/stat`, field 19). */
const niceOfThreads = (pid: number | 'self' = 'self') => {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return new Map<number, number>(); // the process ended meanwhile
  }
  return new Map(
    tids.flatMap((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        return [[Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])] as const];
      } catch {
        return []; // the thread ended meanwhile
      }
    }),
  );
};

/** Processes this one started (a job's process among them), by the `children` lists of its threads. */
const childProcesses = (): number[] =>
  readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });

/**
 * Whether, at this moment, some child process not in `earlier` (the job's, not a previous job's
 * still exiting) runs every one of its threads (V8's helpers that collect its garbage with the
 * main one) at nice `expected`; its thread count if so.
 */
const jobProcessThreadsAt = (expected: number, earlier: ReadonlySet<number>): number | undefined => {
  for (const pid of childProcesses()) {
    if (earlier.has(pid)) continue;
    const nices = [...niceOfThreads(pid).values()];
    if (nices.length > 0 && nices.every((n) => n === expected)) return nices.length;
  }
  return undefined;
};

test('a serialised result takes added fields as a spread would (they win)', () => {
  const r = new SerializedResult(JSON.stringify({ pairs: [1, 2], left: 'x' }));
  assert.deepEqual(JSON.parse(r.withFields({ left: 'a.jsonl', right: null }).json), { pairs: [1, 2], left: 'a.jsonl', right: null });
  assert.deepEqual(JSON.parse(new SerializedResult('{}').withFields({ left: 'a' }).json), { left: 'a' });
  assert.equal(r.withFields({}).json, r.json);
  assert.throws(() => new SerializedResult('[1]').withFields({ left: 'a' }));
});

test("a serialised result is sent as views of its bytes, not a copy", () => {
  const r = new SerializedResult(JSON.stringify({ groups: Array.from({ length: 50 }, (_, i) => ({ ids: [`a${i}`, `b${i}`] })) }));
  for (const [shown, extra] of [[r, {}], [r.withFields({ left: 'a.jsonl' }), { left: 'a.jsonl' }], [new SerializedResult('{}').withFields({ left: 'a' }), { left: 'a' }]] as const) {
    const chunks = shown.toChunks('{"id":"j1","result":', '}', 64);
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString('utf8')), { id: 'j1', result: { ...(JSON.parse(shown.json) as object), ...extra } });
    const body = chunks.slice(1, -1);
    assert.ok(body.length > 0 && body.every((c) => c.buffer === shown.bytes.buffer && c.length <= 64), 'the chunks between prefix and suffix are views of the bytes');
  }
});

test('GET /v1/jobs/:id streams a serialised result whole, with its length', async () => {
  const job = server.app.jobs.start('dedup', () => Promise.resolve(new SerializedResult(JSON.stringify({ groups: [{ ids: ['x', 'é'] }], note: 'ü'.repeat(3 << 20) }))));
  for (let i = 0; i < 100 && server.app.jobs.get(job.id)!.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 10));
  const res = await fetch(`${server.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text));
  const shown = JSON.parse(text) as Json;
  assert.equal(shown.id, job.id);
  assert.equal(shown.state, 'done');
  assert.deepEqual(shown.result.groups, [{ ids: ['x', 'é'] }]);
  assert.equal(shown.result.note.length, 3 << 20);
});

describe('long work runs as jobs, off the event loop', () => {
  test('dedup above the synchronous bound, and dedup jobs, need a token even where reads are open', async () => {
    assert.equal((await call('POST', '/v1/dedup', {}, '')).status, 401);
    assert.equal((await call('POST', '/v1/jobs/dedup', {}, '')).status, 401);
    assert.equal((await call('POST', '/v1/match', { left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl' }, '')).status, 401);
    assert.equal((await call('POST', '/v1/search', { query: '连衣裙' }, '')).status, 200);
  });

  test('/health answers while a dedup of the store runs as a job, and the job finds the planted duplicates', async () => {
    const start = await call('POST', '/v1/dedup', {});
    assert.equal(start.status, 202, 'above the synchronous bound a dedup answers with a job');
    assert.equal(start.location, `/v1/jobs/${start.json.id}`);
    // Probe /health until the job ends, and whether the job was still running after each probe.
    const probes: { runningAfter: boolean }[] = [];
    let job: Json;
    for (;;) {
      const health = await call('GET', '/health', undefined, '');
      assert.equal(health.status, 200);
      job = (await call('GET', `/v1/jobs/${start.json.id}`)).json;
      probes.push({ runningAfter: job.state === 'running' || job.state === 'queued' });
      if (!probes.at(-1)!.runningAfter) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    // The job's process serialised the result: the server's thread keeps its UTF-8 bytes, not a cloned object tree.
    const kept = server.app.jobs.get(start.json.id)!.result;
    assert.ok(kept instanceof SerializedResult && kept.bytes.length > 0);
    const during = probes.filter((p) => p.runningAfter);
    // Not blocked: many probes came back while the job ran (a dedup on the event loop answers none
    // of them until it ends). No bound on their latency here: bench/dedup-scale.ts measures it.
    assert.ok(during.length >= 5, `${during.length} health probes answered while the job ran`);
    const ids = (job.result.groups as Json[]).map((g) => g.ids as string[]);
    assert.ok(ids.some((g) => g.includes('dup-of-7') && g.includes(syntheticProduct(7).id)), 'the exact copy is grouped with its original');
    assert.ok(ids.some((g) => g.includes('dup-of-11') && g.includes(syntheticProduct(11).id)), 'the reworded copy is grouped with its original');
  });

  test("a job runs in a process of its own whose every thread has a lower OS priority than the server's (taskJobs.niceness)", { skip: process.platform === 'linux' ? false : 'thread priorities are read from /proc (Linux)' }, async () => {
    const serverNice = niceOfThreads().get(process.pid)!;
    const serverThreads = [...niceOfThreads().keys()];
    const earlier = new Set(childProcesses());
    const start = await call('POST', '/v1/jobs/dedup', {});
    assert.equal(start.status, 202);
    // The most threads seen in the job's process with all of them lowered (a process that exits loses its threads one by one).
    let lowered: number | undefined;
    let job: Json;
    do {
      const seen = jobProcessThreadsAt(Math.min(19, serverNice + DEFAULT_TASK_JOB_LIMITS.niceness), earlier);
      if (seen !== undefined) lowered = Math.max(lowered ?? 0, seen);
      await new Promise((r) => setTimeout(r, 10));
      job = (await call('GET', `/v1/jobs/${start.json.id}`)).json;
    } while (job.state === 'queued' || job.state === 'running');
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    // V8's helper threads too: in a worker thread of the server's process, they collected the job's
    // garbage at the server's priority.
    assert.ok(lowered !== undefined && lowered >= 4, `a job process with all of its threads (V8's helpers too) at nice +${DEFAULT_TASK_JOB_LIMITS.niceness}: ${lowered ?? 'none seen'}`);
    for (const tid of serverThreads) if (niceOfThreads().has(tid)) assert.equal(niceOfThreads().get(tid), serverNice, "the server's threads keep their priority");
  });

  test('an ingest job runs in a process of lower priority while /health answers, and the server then sees its products', { skip: process.platform === 'linux' ? false : 'thread priorities are read from /proc (Linux)' }, async () => {
    // A fresh store: the job fits the text space and builds the indexes the server must then load.
    const root = join(dir, 'ingest-root');
    mkdirSync(root, { recursive: true });
    const products = Array.from({ length: 2_000 }, (_, i) => syntheticProduct(i));
    writeFileSync(join(root, 'catalog.jsonl'), products.map((p) => JSON.stringify(p)).join('\n') + '\n');
    assert.ok(statSync(join(root, 'catalog.jsonl')).size > DEFAULT_TASK_JOB_LIMITS.syncMaxCatalogBytes, 'a file over the synchronous bound');
    const fresh = await createEngine({ storePath: join(root, 'store.db'), images: false });
    const s = await startServer({ engine: fresh, port: 0, writeToken: TOKEN, catalogRoot: root });
    try {
      const earlier = new Set(childProcesses());
      const post = await fetch(`${s.url}/v1/jobs/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: 'catalog.jsonl' }) });
      assert.equal(post.status, 202);
      const { id } = (await post.json()) as Json;
      const serverNice = niceOfThreads().get(process.pid)!;
      let lowered: number | undefined;
      let answeredWhileRunning = 0;
      let job: Json;
      for (;;) {
        lowered ??= jobProcessThreadsAt(Math.min(19, serverNice + DEFAULT_TASK_JOB_LIMITS.niceness), earlier);
        assert.equal((await fetch(`${s.url}/health`)).status, 200);
        job = (await (await fetch(`${s.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Json;
        if (job.state !== 'queued' && job.state !== 'running') break;
        answeredWhileRunning += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(job.state, 'done', JSON.stringify(job.error));
      assert.equal(job.result.added, products.length);
      assert.ok(answeredWhileRunning >= 5, `${answeredWhileRunning} health probes answered while the ingest ran`);
      assert.ok(lowered !== undefined, 'the ingest ran in a job process, all its threads at lower priority');
      // The server's engine took up the text space and indexes the job built.
      const similar = await fetch(`${s.url}/v1/similar`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: products[5]!.id, k: 5 }) });
      assert.equal(similar.status, 200);
      assert.equal(((await similar.json()) as Json).items.length, 5);
      const search = await fetch(`${s.url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: products[9]!.title, k: 3 }) });
      assert.equal(((await search.json()) as Json).hits[0].product.id, products[9]!.id);
    } finally {
      await s.close();
      await fresh.close();
    }
  });

  test('a running job is cancelled at once', async () => {
    const start = await call('POST', '/v1/jobs/dedup', {});
    assert.equal(start.status, 202);
    const cancel = await call('POST', `/v1/jobs/${start.json.id}/cancel`, undefined);
    assert.equal(cancel.status, 200);
    assert.equal(cancel.json.cancelled, true);
    const job = await waitForEnd(start.json.id);
    assert.equal(job.state, 'cancelled');
    assert.equal(job.error.code, 'CANCELLED');
    assert.equal((await call('POST', `/v1/jobs/${start.json.id}/cancel`, undefined)).json.cancelled, false, 'an ended job stays as it ended');
  });

  test('a job is stopped at its deadline and at its memory cap', async () => {
    const limited = await startServer({ engine, port: 0, writeToken: TOKEN, jobRunner: { deadlineMs: 300 } });
    const capped = await startServer({ engine, port: 0, writeToken: TOKEN, taskJobs: { maxMemoryMb: 8 } });
    try {
      for (const [s, field] of [[limited, 'deadline'], [capped, 'maxMemoryMb']] as const) {
        const res = await fetch(`${s.url}/v1/jobs/dedup`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
        const { id } = (await res.json()) as Json;
        let job: Json;
        do {
          await new Promise((r) => setTimeout(r, 50));
          job = (await (await fetch(`${s.url}/v1/jobs/${id}`)).json()) as Json;
        } while (job.state === 'queued' || job.state === 'running');
        assert.equal(job.state, 'failed', field);
        assert.equal(job.error.code, 'LIMIT_EXCEEDED', `${field}: ${job.error.message}`);
      }
    } finally {
      await limited.close();
      await capped.close();
    }
  });
});

test("a job's process ends when the process that started it is killed", { skip: process.platform === 'linux' ? false : 'child processes are read from /proc (Linux)' }, async () => {
  // A caller of its own (this test's process must live on): it starts work that never ends in a job
  // process and says so once it runs, then is killed -9 as a crashed server would be.
  const caller = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    import { createEngine } from './src/engine/engine.ts';
    import { runWorkInProcess } from './src/engine/task-process.ts';
    const engine = await createEngine({ storePath: ${JSON.stringify(join(dir, 'store.db'))}, images: false, readonly: true });
    const work = new URL('./test/fixtures/endless-work.ts', 'file://' + process.cwd() + '/');
    void runWorkInProcess(engine, work, 'reportThenRunForever', {}, { onProgress: () => console.log('progress') }).catch(() => undefined);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let jobs: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      caller.stdout.on('data', () => resolve());
      caller.on('exit', (code) => reject(new Error(`the caller exited (${code}) before its job reported progress`)));
    });
    jobs = readdirSync(`/proc/${caller.pid}/task`).flatMap((tid) => readFileSync(`/proc/${caller.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    assert.equal(jobs.length, 1, 'one job process');
    caller.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (existsSync(`/proc/${jobs[0]}`) && !readFileSync(`/proc/${jobs[0]}/stat`, 'utf8').includes(') Z ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!existsSync(`/proc/${jobs[0]}`) || readFileSync(`/proc/${jobs[0]}/stat`, 'utf8').includes(') Z '), 'the job process ended with its caller');
  } finally {
    caller.kill('SIGKILL');
    // A job process left running would hold this test runner's standard error open, and it with it.
    for (const pid of jobs) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Expected failure as a value: the process has ended, as it should.
      }
    }
  }
});

describe('train jobs over many labels run in a process of their own', () => {
  test('a train job learns from the stored labels in a process of its own and saves the matcher', async () => {
    const modelPath = join(dir, 'matcher.json');
    // syncMaxLabels 0: any train job goes to a process of its own.
    const inProcess = await startServer({ engine, port: 0, writeToken: TOKEN, modelPath, evalDir: join(dir, 'eval'), taskJobs: { syncMaxLabels: 0 } });
    try {
      const id = (i: number) => syntheticProduct(i).id;
      await engine.store.putLabels([
        { leftId: id(7), rightId: 'dup-of-7', label: 1, source: 'jobs-test' },
        { leftId: id(11), rightId: 'dup-of-11', label: 1, source: 'jobs-test' },
        { leftId: id(1), rightId: id(2), label: 0, source: 'jobs-test' },
        { leftId: id(3), rightId: id(4), label: 0, source: 'jobs-test' },
        { leftId: id(5), rightId: id(6), label: 0, source: 'jobs-test' },
      ]);
      const res = await fetch(`${inProcess.url}/v1/jobs/train`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ source: 'jobs-test', classifier: 'logistic' }) });
      assert.equal(res.status, 202);
      const { id: jobId } = (await res.json()) as Json;
      let job: Json;
      do {
        await new Promise((r) => setTimeout(r, 100));
        job = (await (await fetch(`${inProcess.url}/v1/jobs/${jobId}`)).json()) as Json;
      } while (job.state === 'queued' || job.state === 'running');
      assert.equal(job.state, 'done', JSON.stringify(job.error));
      assert.equal(job.result.pairs, 5);
      assert.equal(job.result.model, modelPath);
      assert.ok(existsSync(modelPath));
    } finally {
      await inProcess.close();
    }
  });
});

describe('a pool of threads answers reads (serve --workers)', () => {
  test('with two worker threads, similar and search answer as the server thread does, and see writes', async () => {
    const pooled = await startServer({ engine, port: 0, writeToken: TOKEN, workers: 2 });
    try {
      const ask = async (s: RunningServer, path: string, body: unknown) => {
        const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as Json };
      };
      const id = syntheticProduct(21).id;
      // Several at once, so both threads answer some.
      const answers = await Promise.all(Array.from({ length: 6 }, () => ask(pooled, '/v1/similar', { id, k: 5 })));
      const direct = await ask(server, '/v1/similar', { id, k: 5 });
      for (const a of answers) assert.deepEqual(a.json.items.map((i: Json) => i.product.id), direct.json.items.map((i: Json) => i.product.id));
      const search = await ask(pooled, '/v1/search', { query: syntheticProduct(21).title, k: 3 });
      assert.equal(search.status, 200);
      assert.ok(search.json.hits.length > 0);
      // A write through the server's engine is seen by the threads' read-only engines.
      const put = await fetch(`${pooled.url}/v1/products/pool-new-1`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...syntheticProduct(21), id: 'pool-new-1' }) });
      assert.equal(put.status, 200);
      const seen = await Promise.all(Array.from({ length: 4 }, () => ask(pooled, '/v1/similar', { id: 'pool-new-1', k: 3 })));
      for (const s of seen) assert.equal(s.status, 200, JSON.stringify(s.json));
      const missing = await ask(pooled, '/v1/similar', { id: 'no-such-product' });
      assert.equal(missing.status, 404, 'errors from a thread keep their code');
    } finally {
      await pooled.close();
      await engine.deleteProducts(['pool-new-1']);
    }
  });
});
