/** Request counts and latency percentiles per route, kept in memory for `GET /metrics`. */

/** Latest latencies kept per route for the percentiles. */
export const LATENCY_WINDOW = 2048;

interface RouteStats {
  count: number;
  errors: number;
  byStatus: Record<string, number>;
  latencies: number[];
  next: number;
}

export interface RouteMetrics {
  route: string;
  count: number;
  errors: number;
  byStatus: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; window: number };
}

export interface ServerMetrics {
  record(route: string, status: number, ms: number): void;
  snapshot(): { startedAt: string; uptimeSeconds: number; requests: number; routes: RouteMetrics[] };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function createServerMetrics(): ServerMetrics {
  const routes = new Map<string, RouteStats>();
  const started = Date.now();
  let requests = 0;
  return {
    record(route, status, ms) {
      requests += 1;
      let s = routes.get(route);
      if (!s) routes.set(route, (s = { count: 0, errors: 0, byStatus: {}, latencies: [], next: 0 }));
      s.count += 1;
      if (status >= 400) s.errors += 1;
      s.byStatus[status] = (s.byStatus[status] ?? 0) + 1;
      if (s.latencies.length < LATENCY_WINDOW) s.latencies.push(ms);
      else s.latencies[s.next] = ms;
      s.next = (s.next + 1) % LATENCY_WINDOW;
    },
    snapshot() {
      const round = (v: number) => Math.round(v * 100) / 100;
      return {
        startedAt: new Date(started).toISOString(),
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        requests,
        routes: [...routes.entries()]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([route, s]) => {
            const sorted = [...s.latencies].sort((a, b) => a - b);
            return {
              route,
              count: s.count,
              errors: s.errors,
              byStatus: s.byStatus,
              latencyMs: { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0), window: sorted.length },
            };
          }),
      };
    },
  };
}
