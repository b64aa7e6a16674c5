/**
 * HTTP throughput of one and of several `prodsim serve` processes on one database (issue #16: "HTTP
 * throughput with one and with two prodsim servers on one database"), on a store `bench:postgres`
 * filled:
 *
 *   npm run bench:http-servers -- --store 'postgres://…?schema=S' --n 100000 [--servers 1,2] [--seconds 20]
 *     [--concurrency 16] [--server-workers 1] [--json file]
 *
 * For each count in `--servers`, starts that many `prodsim serve --store URL --port 0 --workers W`
 * processes, warms each up, then keeps `--concurrency` requests in flight for `similar` and for
 * `search` (the synthetic ids and queries of `bench:postgres`), each request to the next server in
 * turn (round robin, as a load balancer would), and stops them. Prints a markdown table, with the
 * CPU each request took (Linux `/proc`): in the prodsim servers, in this process (the load client),
 * and the rest of the machine (PostgreSQL, on a machine running nothing else).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { load, type LoadRun } from './http-load.ts';
import { syntheticIds, syntheticQueries } from './synthetic-catalog.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    n: { type: 'string' },
    servers: { type: 'string', default: '1,2' },
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
    'server-workers': { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
if (!args.store || !args.n) throw new Error('--store (a database URL bench:postgres filled) and --n (its product count) are required');
const store = args.store;
const n = Number(args.n);
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const serverWorkers = args['server-workers'];

/** Starts `prodsim serve` on a free port; resolves with its URL once it listens. */
function startServe(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/prodsim.js', 'serve', '--store', store, '--port', '0', '--workers', serverWorkers], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let said = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      said += chunk;
      const m = / at (http:\/\/[\d.]+:\d+)/u.exec(said);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`prodsim serve exited (${code}) before listening: ${said}`)));
  });
}

function stopServe(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** CPU milliseconds a process used (utime + stime of `/proc/<pid>/stat`). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
/** Busy CPU milliseconds of the whole machine (`/proc/stat`: all but idle and iowait). */
function machineCpuMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/u).map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / CLOCK_TICKS;
}
/** Linux's USER_HZ (`getconf CLK_TCK`), 100 on every common build. */
const CLOCK_TICKS = 100;

interface CpuPerRequest {
  servers: number;
  client: number;
  rest: number;
}

/** Runs `run` and splits the CPU it took per request: servers, this process, the rest of the machine. */
async function withCpu(pids: readonly number[], run: () => Promise<LoadRun>): Promise<LoadRun & { cpuMsPerRequest: CpuPerRequest }> {
  const servers0 = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const client0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const result = await run();
  const servers = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0) - servers0;
  const clientUsage = process.cpuUsage(client0);
  const client = (clientUsage.user + clientUsage.system) / 1000;
  const machine = machineCpuMs() - machine0;
  const per = (ms: number) => ms / Math.max(1, result.requests);
  return { ...result, cpuMsPerRequest: { servers: per(servers), client: per(client), rest: per(machine - servers - client) } };
}

const ids = syntheticIds(n, 500).map((id) => JSON.stringify({ id, k: 10 }));
const queries = syntheticQueries(n, 50).map((q) => JSON.stringify({ query: q.text, k: 10 }));
const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());

const runs: (LoadRun & { cpuMsPerRequest: CpuPerRequest })[] = [];
for (const count of args.servers.split(',').map(Number)) {
  const servers = await Promise.all(Array.from({ length: count }, startServe));
  try {
    process.stderr.write(`${count} server(s): ${servers.map((s) => s.url).join(', ')}\n`);
    // Warm-up: every server opens its pool and fills its first-use caches.
    for (const { url } of servers) {
      for (let i = 0; i < 10; i++) await Promise.all([post(`${url}/v1/similar`, ids[i]!), post(`${url}/v1/search`, queries[i]!)]);
    }
    const pids = servers.map((s) => s.child.pid!);
    const urls = (path: string) => servers.map((s) => `${s.url}${path}`);
    runs.push(await withCpu(pids, () => load('similar (k=10)', count, concurrency, urls('/v1/similar'), ids, seconds)));
    runs.push(await withCpu(pids, () => load('search (k=10)', count, concurrency, urls('/v1/search'), queries, seconds)));
  } finally {
    await Promise.all(servers.map((s) => stopServe(s.child)));
  }
}

const fmt = (v: number) => v.toFixed(1);
const table = [
  `| endpoint | servers | in flight | requests | errors | requests/s | p50 ms | p99 ms | max ms | CPU ms / request: servers / client / rest |`,
  `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ...runs.map(
    (r) =>
      `| ${r.name} | ${r.workers} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${fmt(r.requests / r.seconds)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.cpuMsPerRequest.servers)} / ${fmt(r.cpuMsPerRequest.client)} / ${fmt(r.cpuMsPerRequest.rest)} |`,
  ),
].join('\n');
process.stdout.write(
  `${table}\n\n${n} products, \`--server-workers ${serverWorkers}\`, ${seconds} s per endpoint, ${cpus().length} cores, load average at the end ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ')}\n`,
);
if (args.json)
  writeFileSync(
    args.json,
    JSON.stringify({ date: new Date().toISOString(), products: n, serverWorkers: Number(serverWorkers), seconds, concurrency, runs }, null, 2) + '\n',
  );
