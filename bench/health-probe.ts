/**
 * A `/health` prober in its own process, for benchmarks that measure how fast a server answers while
 * it works (bench/dedup-scale.ts). Probing from the server's own process measured that process's event
 * loop too: the prober waited behind the server's job messages and the benchmark's polling.
 *
 *   const probe = startHealthProbe(url, 25);   // forks this file
 *   …
 *   const { latencies } = await probe.stop();
 *
 * The child sends one GET every `intervalMs` (after the previous answer), over a kept-alive
 * connection, and times it from the request to the last byte. It also reports its own event-loop
 * delay: a large one would mean the prober, not the server, was late.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

export interface HealthProbeReport {
  /** Latency of each probe in ms, in the order sent. */
  latencies: number[];
  /** When each probe was sent, ms since the prober started. */
  sentAtMs: number[];
  /** Probes that failed (connection refused, status other than 200). */
  errors: number;
  /** When the prober started (`sentAtMs` 0), ms since the epoch: to line probes up with another process's events. */
  t0EpochMs: number;
  /** The prober's own event-loop delay (p99 and max, ms). */
  proberLoopDelay: { p99Ms: number; maxMs: number };
}

export interface HealthProbe {
  stop(): Promise<HealthProbeReport>;
  /**
   * GET `url` into `file` from the prober's process: a large body read in the server's process
   * would be measured as the server's stall, and so would forking a new process from it (its page
   * tables: ~0.65 s at the end of a 10k dedup at load 40).
   */
  fetchToFile(url: string, headers: Record<string, string>, file: string): Promise<void>;
}

export function startHealthProbe(url: string, intervalMs: number): HealthProbe {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [url, String(intervalMs)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let fetched: ((error: string | undefined) => void) | undefined;
  const report = new Promise<HealthProbeReport>((resolve, reject) => {
    child.on('message', (m: HealthProbeReport | { fetched: true; error?: string }) => {
      if ('fetched' in m) fetched?.(m.error);
      else resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`health prober exited (code ${code}) before reporting`)));
  });
  return {
    stop() {
      child.send('stop');
      return report;
    },
    fetchToFile(url, headers, file) {
      return new Promise((resolve, reject) => {
        fetched = (error) => (error === undefined ? resolve() : reject(new Error(error)));
        child.send({ fetch: url, headers, file });
      });
    },
  };
}

async function probeLoop(url: string, intervalMs: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const latencies: number[] = [];
  const sentAtMs: number[] = [];
  let errors = 0;
  let stopping = false;
  process.on('message', (m: 'stop' | { fetch: string; headers: Record<string, string>; file: string }) => {
    if (m === 'stop') stopping = true;
    else
      fetch(m.fetch, { headers: m.headers })
        .then(async (res) => {
          if (!res.ok || !res.body) throw new Error(`GET ${m.fetch}: ${res.status}`);
          // Into the file a chunk at a time: read whole and written at once, a 1M dedup's 5.6 MB result
          // stalled this prober's loop 137 ms, and a probe with it (dedup-scale.md, idle 1M run).
          await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(m.file));
          process.send!({ fetched: true });
        })
        .catch((e: unknown) => process.send!({ fetched: true, error: e instanceof Error ? e.message : String(e) }));
  });
  const t0 = performance.now();
  const once = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const req = http.get(url, { agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode !== 200) errors += 1;
          else {
            latencies.push(performance.now() - start);
            sentAtMs.push(start - t0);
          }
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
    });
  while (!stopping) {
    await once();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  loop.disable();
  process.send!({ latencies, sentAtMs, t0EpochMs: performance.timeOrigin + t0, errors, proberLoopDelay: { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 } } satisfies HealthProbeReport, () => process.exit(0));
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  await probeLoop(process.argv[2]!, Number(process.argv[3] ?? 25));
}
