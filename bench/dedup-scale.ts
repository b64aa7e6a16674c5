/**
 * Dedup at scale (`npm run bench:dedup [-- --sizes 10000,100000] [--dir D]`): for each size, the
 * synthetic bilingual catalog (bench/synthetic-catalog.ts) plus planted duplicates (one per 100
 * products: exact copies, reworded titles, changed prices) is ingested into a store in D (reused when
 * it already holds them), served on loopback, and deduplicated as a job (`POST /v1/jobs/dedup`,
 * run in a process of its own) while `/health` is probed every 25 ms from another process
 * (bench/health-probe.ts). Reports the job's time per product, candidate pairs, products read,
 * recall of the planted duplicates, the health latencies, and the server thread's own event-loop
 * delay; writes docs/benchmarks/dedup-scale.md and .json.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Product } from '../src/catalog/product.ts';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { startServer } from '../src/server/app.ts';
import { startHealthProbe } from './health-probe.ts';
import { syntheticProduct } from './synthetic-catalog.ts';
import { machineInfo, percentile, prepareEngine, round3 } from './tasks.ts';

/** performance.now: the clock of GC entries too. */
const nowMs = () => performance.now();

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'prodsim-bench-dedup') },
    out: { type: 'string', default: 'docs/benchmarks/dedup-scale.md' },
    'probe-ms': { type: 'string', default: '25' },
    /** Heap cap of the job's thread in MiB (the server's `taskJobs.maxMemoryMb`; default its default). */
    'max-memory-mb': { type: 'string' },
    /** The job's deadline in minutes (the server's `jobRunner.deadlineMs`; default its default, 2 h). */
    'deadline-min': { type: 'string' },
    /** Nice value the server adds to the job's thread (the server's `taskJobs.niceness`; default its default, 10). */
    'job-niceness': { type: 'string' },
    /** Only build (or check) the stores of each size, for a later run to reuse; no server, no job. */
    'ingest-only': { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const probeMs = Number(values['probe-ms']);
const TOKEN = 'bench-dedup';
/** One planted duplicate per this many products. */
const PLANT_EVERY = 100;
const log = (s: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${s}`);

/** The planted duplicates of a catalog of n: copies of every PLANT_EVERY-th product, varied three ways. */
function plantedDuplicates(n: number): { product: Product; of: string }[] {
  const out: { product: Product; of: string }[] = [];
  for (let d = 0; d < Math.floor(n / PLANT_EVERY); d++) {
    const source = syntheticProduct(d * PLANT_EVERY + 3);
    const variant = d % 3;
    const product: Product = {
      ...source,
      id: `dup-${d}`,
      title: variant === 1 ? `${source.title} ${source.id.startsWith('zh') ? '正品现货' : 'genuine'}` : source.title,
      price: variant === 2 && source.price !== undefined ? Math.round(source.price * 105) / 100 : source.price,
    };
    out.push({ product, of: source.id });
  }
  return out;
}

async function storeWithDuplicates(n: number): Promise<{ engine: Engine; planted: { product: Product; of: string }[]; ingestMs: number | undefined }> {
  const dir = path.join(values.dir, String(n));
  const planted = plantedDuplicates(n);
  const storePath = path.join(dir, 'store.db');
  if (fs.existsSync(storePath)) {
    const engine = await createEngine({ storePath, images: false });
    if ((await engine.store.count()) === n + planted.length) {
      log(`reusing ${storePath}`);
      return { engine, planted, ingestMs: undefined };
    }
    await engine.close();
  }
  const t = nowMs();
  const { engine } = await prepareEngine(dir, n, log);
  await engine.upsertProducts(planted.map((p) => p.product));
  return { engine, planted, ingestMs: nowMs() - t };
}

interface SizeReport {
  n: number;
  products: number;
  planted: number;
  ingestSeconds: number | undefined;
  jobSeconds: number;
  msPerProduct: number;
  candidatePairs: number;
  candidates: unknown;
  productsRead: number | undefined;
  /** CPU time of the whole process (server, job thread, its helpers) from the job's request to its end. */
  processCpuSeconds: number;
  groups: number;
  /** Size of the job's JSON as the server sent it. */
  resultBytes: number;
  plantedRecall: number;
  health: { probes: number; errors: number; p50Ms: number; p99Ms: number; maxMs: number; over100Ms: number; proberLoopDelayMaxMs: number };
  /** Event-loop delay of the server's thread while the job ran (what a request waits for at most, besides the scheduler). */
  serverLoopDelay: { p99Ms: number; maxMs: number };
  /** Garbage collections of the server's thread over the job: count, total and longest pause. */
  serverGc: { count: number; totalMs: number; maxMs: number; maxKind: number };
  /**
   * Where the time of the server thread's stalls went: each stall of its event loop over 50 ms, each
   * GC pause over 20 ms and each probe over 100 ms, in ms since the job was asked for, beside the
   * job's end (as the server recorded it) and the result's fetch.
   */
  timeline: {
    /** Worker threads of the server's process (the pool's): when each started, posted a result and exited. */
    threads: { event: string; atMs: number }[];
    jobEndMs: number | undefined;
    resultFetchedMs: number;
    loopStalls: { atMs: number; ms: number }[];
    gcPauses: { atMs: number; ms: number; kind: number }[];
    slowProbes: { atMs: number; ms: number }[];
  };
  loadAverage: number[];
  /** Load average when the job was asked for (1, 5, 15 min). */
  loadAverageAtStart: number[];
  maxRssMiB: number;
  /** Peak RSS of the server's process so far (Linux `VmHWM`: ingest and server). */
  peakRssMiB: number | undefined;
  /** Peak RSS of the job's process (Linux `VmHWM`, as last read while it ran). */
  jobPeakRssMiB: number | undefined;
}

/** Peak resident set of a process (Linux `VmHWM`; this one by default), in MiB. */
function peakRssMiB(pid: number | 'self' = 'self'): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

/** The processes this one started (the job's), by the `children` lists of its threads (Linux). */
function childPids(): number[] {
  try {
    return fs.readdirSync('/proc/self/task').flatMap((tid) => fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** Stalls of this thread's event loop over `minMs`, found by a 10 ms timer that runs late. */
function watchStalls(t0: number, minMs: number): { stop(): { atMs: number; ms: number }[] } {
  const stalls: { atMs: number; ms: number }[] = [];
  let last = nowMs();
  const timer = setInterval(() => {
    const now = nowMs();
    const late = now - last - 10;
    if (late > minMs) stalls.push({ atMs: round3(last - t0), ms: round3(late) });
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return stalls;
    },
  };
}

/**
 * The job list, asked again after a connection error: at load ~37 on 2 cores a poll of the 1M run
 * failed with ECONNRESET after 63 min (a kept-alive socket the server closed as it was reused), and
 * took the whole run down.
 */
async function pollJobs(url: string, headers: Record<string, string>): Promise<{ jobs: Record<string, any>[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await (await fetch(url, { headers })).json()) as { jobs: Record<string, any>[] };
    } catch (e) {
      if (attempt >= 5) throw e;
      log(`  poll failed (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}), again in 2 s`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function run(n: number): Promise<SizeReport> {
  const { engine, planted, ingestMs } = await storeWithDuplicates(n);
  if (ingestMs !== undefined) log(`  ingested in ${(ingestMs / 1000).toFixed(1)} s; rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
  const server = await startServer({
    engine,
    port: 0,
    writeToken: TOKEN,
    ...(values['max-memory-mb'] === undefined && values['job-niceness'] === undefined
      ? {}
      : {
          taskJobs: {
            ...(values['max-memory-mb'] === undefined ? {} : { maxMemoryMb: Number(values['max-memory-mb']) }),
            ...(values['job-niceness'] === undefined ? {} : { niceness: Number(values['job-niceness']) }),
          },
        }),
    ...(values['deadline-min'] === undefined ? {} : { jobRunner: { deadlineMs: Number(values['deadline-min']) * 60_000 } }),
  });
  // Named in the log so that a prober of one's own can watch a run of hours (its figures survive a run that does not end).
  log(`  serving on ${server.url}`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: 0 };
  const gcPauses: { atMs: number; ms: number; kind: number }[] = [];
  let t0 = nowMs();
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      if (e.duration > 20) gcPauses.push({ atMs: round3(e.startTime - t0), ms: round3(e.duration), kind });
      gc.count += 1;
      gc.totalMs += e.duration;
      if (e.duration > gc.maxMs) {
        gc.maxMs = e.duration;
        gc.maxKind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      }
    }
  });
  try {
    const probe = startHealthProbe(`${server.url}/health`, probeMs);
    loop.enable();
    gcObserver.observe({ entryTypes: ['gc'] });
    const threads: { event: string; atMs: number }[] = [];
    const onWorker = (w: import('node:worker_threads').Worker) => {
      threads.push({ event: 'start', atMs: round3(nowMs() - t0) });
      w.on('message', (m: { type?: string }) => {
        if (m?.type !== 'progress') threads.push({ event: `message ${m?.type}`, atMs: round3(nowMs() - t0) });
      });
      w.on('exit', () => threads.push({ event: 'exit', atMs: round3(nowMs() - t0) }));
    };
    process.on('worker', onWorker);
    const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
    t0 = nowMs();
    const stalls = watchStalls(t0, 50);
    const cpuAtStart = process.cpuUsage();
    const start = (await (await fetch(`${server.url}/v1/jobs/dedup`, { method: 'POST', headers, body: '{}' })).json()) as { id: string };
    let maxRss = 0;
    let jobPeakRss: number | undefined;
    let job: Record<string, any>;
    let lastLog = t0;
    for (;;) {
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      for (const pid of childPids()) jobPeakRss = Math.max(jobPeakRss ?? 0, peakRssMiB(pid) ?? 0);
      // The list leaves results out: this process is the server's too, and parsing a 100k dedup's
      // result (~10 MB) on every poll would stall the thread being measured.
      const listed = (await pollJobs(`${server.url}/v1/jobs`, headers)).jobs;
      job = listed.find((j) => j.id === start.id)!;
      if (job.state !== 'queued' && job.state !== 'running') break;
      if (nowMs() - lastLog > 30_000) {
        lastLog = nowMs();
        log(`  ${n}: ${job.progress.done}/${job.progress.total} (${Math.round(job.progress.itemsPerSecond)}/s), load ${os.loadavg()[0]!.toFixed(1)}, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, job's peak ${jobPeakRss ?? '?'} MiB`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const jobMs = nowMs() - t0;
    const jobCpu = process.cpuUsage(cpuAtStart);
    // The result as the server sends it, fetched by the prober's process into a file and parsed only
    // once the measurement is over: fetched here, the client's reading and decoding of the body (~10 MB
    // at 100k) ran on the thread being measured (most of a 0.65 s stall at the job's end), and so did
    // forking curl from this large process (a 0.64 s stall at 10k).
    const resultFile = path.join(values.dir, `result-${n}.json`);
    await probe.fetchToFile(`${server.url}/v1/jobs/${start.id}`, { authorization: `Bearer ${TOKEN}` }, resultFile);
    const resultFetchedMs = nowMs() - t0;
    await new Promise((r) => setTimeout(r, 2000)); // what follows the job's end (thread exit, GC)
    loop.disable();
    gcObserver.disconnect();
    const loopStalls = stalls.stop();
    process.off('worker', onWorker);
    const probed = await probe.stop();
    job = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Record<string, any>;
    const resultBytes = fs.statSync(resultFile).size;
    fs.rmSync(resultFile);
    if (job.state !== 'done') throw new Error(`dedup job ${job.state}: ${JSON.stringify(job.error)}`);
    const groupOf = new Map<string, number>();
    (job.result.groups as { ids: string[] }[]).forEach((g, i) => g.ids.forEach((id) => groupOf.set(id, i)));
    const recalled = planted.filter((p) => groupOf.has(p.product.id) && groupOf.get(p.product.id) === groupOf.get(p.of)).length;
    const products = await engine.store.count();
    const latencies = [...probed.latencies].sort((a, b) => a - b);
    return {
      n,
      products,
      planted: planted.length,
      ingestSeconds: ingestMs === undefined ? undefined : round3(ingestMs / 1000),
      jobSeconds: round3(jobMs / 1000),
      msPerProduct: round3(jobMs / products),
      candidatePairs: job.result.stats.candidatePairs,
      candidates: job.result.stats.candidates,
      productsRead: job.result.stats.productsRead,
      processCpuSeconds: round3((jobCpu.user + jobCpu.system) / 1e6),
      groups: job.result.groups.length,
      resultBytes,
      plantedRecall: round3(recalled / planted.length),
      health: {
        probes: latencies.length,
        errors: probed.errors,
        p50Ms: round3(percentile(latencies, 50)),
        p99Ms: round3(percentile(latencies, 99)),
        maxMs: round3(latencies.at(-1) ?? 0),
        over100Ms: latencies.filter((l) => l > 100).length,
        proberLoopDelayMaxMs: round3(probed.proberLoopDelay.maxMs),
      },
      serverLoopDelay: { p99Ms: round3(loop.percentile(99) / 1e6), maxMs: round3(loop.max / 1e6) },
      serverGc: { count: gc.count, totalMs: round3(gc.totalMs), maxMs: round3(gc.maxMs), maxKind: gc.maxKind },
      timeline: {
        threads,
        jobEndMs: job.finishedAt === undefined ? undefined : round3(Date.parse(job.finishedAt) - (performance.timeOrigin + t0)),
        resultFetchedMs: round3(resultFetchedMs),
        loopStalls,
        gcPauses,
        slowProbes: probed.latencies.flatMap((ms, i) => (ms > 100 ? [{ atMs: round3(probed.t0EpochMs + probed.sentAtMs[i]! - (performance.timeOrigin + t0)), ms: round3(ms) }] : [])),
      },
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      loadAverageAtStart,
      maxRssMiB: Math.round(maxRss / 2 ** 20),
      peakRssMiB: peakRssMiB(),
      jobPeakRssMiB: jobPeakRss,
    };
  } finally {
    await server.close();
    await engine.close();
  }
}

if (values['ingest-only']) {
  for (const n of sizes) {
    const { engine, ingestMs } = await storeWithDuplicates(n);
    log(`${n}: ${ingestMs === undefined ? 'store reused' : `ingested in ${(ingestMs / 1000).toFixed(1)} s`}; peak rss ${peakRssMiB()} MiB`);
    await engine.close();
  }
  process.exit(0);
}
const reports: SizeReport[] = [];
for (const n of sizes) {
  log(`dedup of ${n.toLocaleString('en-US')} products`);
  const r = await run(n);
  log(JSON.stringify(r));
  reports.push(r);
}
const machine = machineInfo();
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out.replace(/\.md$/, '.json'), JSON.stringify({ machine, probeMs, reports }, null, 2) + '\n');
const rows = reports.map(
  (r) =>
    `| ${r.products.toLocaleString('en-US')} | ${r.jobSeconds.toFixed(1)} | ${r.msPerProduct.toFixed(2)} | ${r.candidatePairs.toLocaleString('en-US')} | ${(r.productsRead ?? 0).toLocaleString('en-US')} | ${r.groups.toLocaleString('en-US')} | ${r.plantedRecall.toFixed(3)} | ${r.health.probes} | ${r.health.p50Ms.toFixed(1)} / ${r.health.p99Ms.toFixed(1)} / ${r.health.maxMs.toFixed(1)} | ${r.health.over100Ms} | ${r.serverLoopDelay.p99Ms.toFixed(1)} / ${r.serverLoopDelay.maxMs.toFixed(1)} | ${r.serverGc.maxMs.toFixed(1)} | ${r.loadAverage[0]} | ${r.maxRssMiB} | ${r.jobPeakRssMiB ?? '—'} |`,
);
fs.writeFileSync(
  values.out,
  `# Dedup at scale

\`npm run bench:dedup -- --sizes ${values.sizes}\` on ${machine.cpuModel} (${machine.cores} cores, ${machine.memoryGiB} GiB), Node ${machine.node}, commit ${machine.commit} (the machine is shared: the load average at each size's end is in the table).

The synthetic bilingual catalog plus one planted duplicate per ${PLANT_EVERY} products (exact copies, reworded titles, prices +5 %), ingested, served on loopback, deduplicated as a job (\`POST /v1/jobs/dedup\`: a process of its own at nice +10, every thread of it, over a read-only engine, blocking from the ANN index, the keyword index and the model-number lookup, \`blockK\` 10 from each) while \`/health\` is probed every ${probeMs} ms from a separate process (bench/health-probe.ts). Job time is from the request to the job's end as polled (every 500 ms), including the job's process starting and opening its engine. "Server loop delay" is the event-loop delay of the server's thread over the job (\`monitorEventLoopDelay\`): what a request can wait for inside the process; the rest of a probe's latency is the OS scheduler.

| products | job s | ms / product | pairs scored | products read | groups | planted recall | health probes | health p50 / p99 / max ms | probes > 100 ms | server loop delay p99 / max ms | server GC max ms | load | server max RSS MiB | job peak RSS MiB |
|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}

Before (all-pairs blocking, on the event loop): 3,000 products 5.2 s, 12,000 products 61.7 s (quadratic), and \`/health\` did not answer until it ended.
`,
);
log(`wrote ${values.out}`);
