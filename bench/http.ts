/**
 * HTTP benchmark: ingest the sample catalog into a temp store, serve it on loopback, and keep
 * `--concurrency` requests in flight for `similar` and for `search`, each for `--seconds`, once per
 * `--workers` setting (1: the server's thread answers; N: a pool of N threads, `prodsim serve
 * --workers N`). The load client (`http-load.ts`) runs in its own thread, so it does not take the server's.
 * Reports requests/s and p50/p99 latency; writes docs/benchmarks/http.md.
 *
 *   npm run bench:http [-- --seconds 10 --concurrency 16,64 --workers 1,2] [--out docs/benchmarks/http.md] [--json <file>]
 *
 * `--json`: the same figures as JSON too (npm run bench reads them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/engine.ts';
import { startServer } from '../src/server/app.ts';
import { collectAll } from '../src/store/store.ts';
import { load, type LoadRun } from './http-load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16,64' },
    workers: { type: 'string', default: `1,${availableParallelism()}` },
    out: { type: 'string', default: 'docs/benchmarks/http.md' },
    json: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const concurrencies = values.concurrency.split(',').map(Number);
const workerCounts = [...new Set(values.workers.split(',').map(Number))];

const QUERIES = ['红色连衣裙', 'iPhone 15 256GB', '运动鞋 男', 'running shoes', '蓝牙耳机', 'stainless steel water bottle', '笔记本电脑', 'Sony camera', '保温杯', 'cotton t-shirt'];

const dir = mkdtempSync(join(tmpdir(), 'prodsim-bench-http-'));
try {
  const engine = await createEngine({ storePath: join(dir, 'store.db') });
  const ingest = await engine.ingest('data/sample-catalog.jsonl');
  const ids = (await collectAll(engine.store.iterateProducts())).map((s) => s.product.id);
  // In-process baseline: the engine alone, one call at a time (what the server adds is the rest).
  const inProcess: Record<string, number> = {};
  await engine.similar({ id: ids[0]!, k: 10 });
  await engine.search({ query: QUERIES[0]!, k: 10 });
  let t = performance.now();
  for (const id of ids.slice(0, 30)) await engine.similar({ id, k: 10 });
  inProcess['similar (k=10)'] = (performance.now() - t) / 30;
  t = performance.now();
  for (let n = 0; n < 30; n++) await engine.search({ query: QUERIES[n % QUERIES.length]!, k: 10 });
  inProcess['search (k=10)'] = (performance.now() - t) / 30;

  const runs: LoadRun[] = [];
  for (const workers of workerCounts) {
    const running = await startServer({ engine, port: 0, host: '127.0.0.1', workers });
    process.stderr.write(`serving ${ids.length} products at ${running.url} with ${workers} worker(s); ${concurrencies.join(', ')} in flight, ${seconds} s per endpoint\n`);
    // Warm up every thread (opening its engine, first-use caches): a few requests per thread at once.
    const warm = (path: string, body: object) => fetch(`${running.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.arrayBuffer());
    await Promise.all(Array.from({ length: 4 * workers }, (_, i) => Promise.all([warm('/v1/similar', { id: ids[i % ids.length], k: 10 }), warm('/v1/search', { query: QUERIES[i % QUERIES.length], k: 10 })])));
    for (const concurrency of concurrencies) {
      runs.push(await load('similar (k=10)', workers, concurrency, [`${running.url}/v1/similar`], ids.map((id) => JSON.stringify({ id, k: 10 })), seconds));
      runs.push(await load('search (k=10)', workers, concurrency, [`${running.url}/v1/search`], QUERIES.map((query) => JSON.stringify({ query, k: 10 })), seconds));
    }
    await running.close();
  }
  await engine.close();

  const fmt = (v: number) => v.toFixed(1);
  const rows = runs.map((r) => `| ${r.name} | ${r.workers} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${fmt(r.requests / r.seconds)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(inProcess[r.name] ?? 0)} |`);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# HTTP benchmark

\`npm run bench:http -- --seconds ${seconds} --concurrency ${concurrencies.join(',')} --workers ${workerCounts.join(',')}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpu}), Node ${process.version}, load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' / ')} (the machine is shared, so figures are conservative).

The sample catalog (${ingest.added} products, GloVe + CC-CEDICT text space) is ingested into a temporary store and served by \`startServer\` on 127.0.0.1. *workers* 1: the server's thread parses requests and runs the engine; *workers* N: the server's thread parses requests and a pool of N worker threads, each with its own read-only engine on the store, runs the tasks (\`prodsim serve --workers N\`, default the number of cores). A client in its own thread keeps *in flight* requests open for ${seconds} s per endpoint (after warm-up requests on every thread). Latency is measured by the client (request sent → body read).

| endpoint | workers | in flight | requests | errors | requests/s | p50 ms | p99 ms | max ms | engine alone, ms/call |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

The last column is the engine called directly, one call at a time (mean of 30 calls, the first ones on cold ids), without HTTP. With N requests in flight each waits for those ahead of it (Little's law: mean latency ≈ in flight / throughput), which is what p50 shows. On ${cpus().length} cores the client thread, the server's thread and the pool share the cores: more workers than cores gains nothing. On this shared machine figures vary up to 2× between runs: compare runs on a quiet machine.

\`similar\` cycles through every product id; \`search\` through ${QUERIES.length} Chinese and English queries (${QUERIES.join(', ')}).
`;
  writeFileSync(values.out, md);
  if (values.json) {
    const endpoints = runs.map((r) => ({ ...r, requestsPerSecond: r.requests / r.seconds, engineAloneMsPerCall: inProcess[r.name] ?? null }));
    writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), products: ingest.added, concurrency: concurrencies.join(','), workers: workerCounts.join(','), seconds, endpoints }, null, 2) + '\n');
  }
  process.stdout.write(md);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
