/**
 * The HTTP load client of the HTTP benches (`bench:http`, `bench:http-servers`): plain JavaScript in
 * a thread of its own, so it does not take the server's thread. `concurrency` loops of fetch for
 * `seconds`, each request to the next of `urls` in turn (one URL, or one per server behind a
 * round-robin balancer).
 */
import { Worker } from 'node:worker_threads';
import { percentile } from '../src/server/metrics.ts';

export interface LoadRun {
  name: string;
  /** Server threads (`bench:http`) or server processes (`bench:http-servers`). */
  workers: number;
  concurrency: number;
  requests: number;
  errors: number;
  errorReasons: Record<string, number>;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { urls, bodies, concurrency, seconds } = workerData;
(async () => {
  const latencies = [];
  let errors = 0;
  const reasons = {};
  const failed = (why) => { errors += 1; reasons[why] = (reasons[why] || 0) + 1; };
  let i = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  async function loop() {
    while (performance.now() < deadline) {
      const n = i++;
      const body = bodies[n % bodies.length];
      const url = urls[n % urls.length];
      const start = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - start);
        else failed('HTTP ' + res.status);
      } catch (e) {
        failed(String(e && e.cause ? e.cause.code || e.cause.message : e));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  parentPort.postMessage({ latencies, errors, reasons, seconds: (performance.now() - t0) / 1000 });
})();
`;

/** Keeps `concurrency` requests with `bodies` in flight against `urls` for `seconds`. */
export function load(
  name: string,
  workers: number,
  concurrency: number,
  urls: readonly string[],
  bodies: readonly string[],
  seconds: number,
): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const client = new Worker(CLIENT, { eval: true, workerData: { urls, bodies, concurrency, seconds } });
    client.once('message', (m: { latencies: number[]; errors: number; reasons: Record<string, number>; seconds: number }) => {
      const latencies = m.latencies.sort((a, b) => a - b);
      if (m.errors > 0) process.stderr.write(`${name}, ${workers} worker(s), ${concurrency} in flight: errors ${JSON.stringify(m.reasons)}\n`);
      resolve({
        name,
        workers,
        concurrency,
        requests: latencies.length,
        errors: m.errors,
        errorReasons: m.reasons,
        seconds: m.seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? 0,
      });
      void client.terminate();
    });
    client.once('error', reject);
  });
}
