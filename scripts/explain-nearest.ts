/**
 * The plan and the time of the PostgreSQL store's nearest-neighbour query, against the statement
 * of schema version 2 (vectors joined to products on the content hash), on the same tables:
 *
 *   eval "$(scripts/test-servers.sh start)"; npm run explain:nearest -- --n 10000
 *
 * Fills a schema of its own (dropped afterwards) with `--n` synthetic products and one random unit
 * vector each (`--dim`), through the store (so its ANALYZE after large writes runs), then for
 * `--queries` random query vectors: EXPLAIN (ANALYZE) server time of both statements and the time of
 * a whole call (`store.nearestNeighbours`, the old statement through the same kind of pool), p50.
 * Writes docs/benchmarks/postgres-nearest.md.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { createPostgresStore, nearestNeighboursSql } from '../src/store/postgres/pg-store.ts';
import { HNSW_SEARCH } from '../src/store/postgres/schema.ts';
import { syntheticProduct } from '../bench/synthetic-catalog.ts';
import { machineInfo, nowMs } from '../bench/tasks.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.PRODSIM_TEST_POSTGRES_URL ?? '' },
    n: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '256' },
    queries: { type: 'string', default: '30' },
    out: { type: 'string', default: 'docs/benchmarks/postgres-nearest.md' },
  },
});
if (!args.url) throw new Error('give --url postgres://… or set PRODSIM_TEST_POSTGRES_URL (eval "$(scripts/test-servers.sh start)")');
const N = Number(args.n);
const DIM = Number(args.dim);
const Q = Number(args.queries);
const ENCODER = 'explain-random';
const log = (s: string) => console.error(`[explain:nearest] ${s}`);

/** Deterministic unit vectors (mulberry32): the same tables on every run. */
function randomVectors(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return () => {
    const v = Float32Array.from({ length: DIM }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
}

const OLD_SQL = (dim: number) => {
  const distance = `(v.embedding::halfvec(${dim})) <=> ($1::vector::halfvec(${dim}))`;
  return `SELECT v.id, v.key, ${distance} AS distance FROM vectors v JOIN products p ON p.id = v.id WHERE v.encoder_id = $2 AND v.dim = ${dim} AND v.content_hash = p.content_hash ORDER BY ${distance} LIMIT $3`;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const schema = `prodsim_explain_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const url = new URL(args.url);
url.searchParams.set('schema', schema);
const store = await createPostgresStore({ url: url.toString() });
const pool = new pg.Pool({ connectionString: args.url, max: 2, options: `-c search_path=${schema},public` });
try {
  const analyzer = createTextAnalyzer();
  const vectorOf = randomVectors(7);
  let t = nowMs();
  for (let start = 0; start < N; start += 1_000) {
    const products = Array.from({ length: Math.min(1_000, N - start) }, (_, i) => syntheticProduct(start + i));
    const written = await store.upsertProducts(products.map((product) => ({ product, analyzed: analyzeProduct(product, analyzer) })));
    await store.putVectors(ENCODER, written.map((w) => ({ id: w.id, contentHash: w.contentHash, vector: vectorOf() })));
  }
  await store.buildDeferredIndexes?.();
  const loadSeconds = (nowMs() - t) / 1000;
  log(`${N} products and vectors written in ${loadSeconds.toFixed(1)} s`);

  const queryVectors = Array.from({ length: Q }, randomVectors(99));
  const literal = (v: Float32Array) => `[${Array.from(v).join(',')}]`;
  /** One statement as the store runs it: search settings local to a transaction. */
  async function run(sql: string, v: Float32Array, explain: boolean): Promise<{ ms: number; plan?: string[]; serverMs?: number }> {
    const client = await pool.connect();
    try {
      const started = nowMs();
      await client.query('BEGIN');
      await client.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', $2, true), set_config('hnsw.max_scan_tuples', $3, true)`, [
        String(HNSW_SEARCH.efSearch),
        HNSW_SEARCH.iterativeScan,
        String(HNSW_SEARCH.maxScanTuples),
      ]);
      const r = await client.query(explain ? `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}` : sql, [literal(v), ENCODER, 10]);
      await client.query('COMMIT');
      const ms = nowMs() - started;
      if (!explain) return { ms };
      // The query vector's literal shortened: the plan is what matters.
      const plan = r.rows.map((row: Record<string, string>) => row['QUERY PLAN']!.replace(/'\[[^\]]*\]'/gu, "'[…]'"));
      const exec = plan.find((l) => l.startsWith('Execution Time'));
      return { ms, plan, serverMs: exec ? Number(/([\d.]+) ms/.exec(exec)![1]) : undefined };
    } finally {
      client.release();
    }
  }
  const rows: { name: string; sql: string; plan: string[]; serverMs: number; callMs: number }[] = [];
  for (const [name, sql] of [
    ['schema v2: join products on the content hash', OLD_SQL(DIM)],
    ['schema v7: HNSW over the distinct current vectors, products joined by vector hash', nearestNeighboursSql(DIM, 'distinctVectors')],
  ] as const) {
    await run(sql, queryVectors[0]!, false); // warm-up
    const server: number[] = [];
    let plan: string[] = [];
    for (const v of queryVectors) {
      const r = await run(sql, v, true);
      server.push(r.serverMs ?? NaN);
      plan = r.plan ?? plan;
    }
    const calls: number[] = [];
    for (const v of queryVectors) {
      if (sql === OLD_SQL(DIM)) calls.push((await run(sql, v, false)).ms);
      else {
        t = nowMs();
        await store.nearestNeighbours(ENCODER, v, { k: 10 });
        calls.push(nowMs() - t);
      }
    }
    rows.push({ name, sql, plan, serverMs: median(server), callMs: median(calls) });
    log(`${name}: server ${median(server).toFixed(2)} ms, call ${median(calls).toFixed(2)} ms`);
  }

  const md = `# Nearest neighbours on PostgreSQL: the plan (\`npm run explain:nearest\`)

${N.toLocaleString('en')} synthetic products with one random unit vector each (dimension ${DIM}), written
through the store; ${Q} random query vectors, k = 10, \`hnsw.ef_search\` ${HNSW_SEARCH.efSearch}, iterative
scan \`${HNSW_SEARCH.iterativeScan}\`. p50 of the EXPLAIN ANALYZE execution time (server) and of a whole
call from Node over loopback (transaction, search settings, statement). Plain PostgreSQL of
\`scripts/test-servers.sh\` (test settings, fsync off). Machine: ${JSON.stringify(machineInfo())}.
Run at ${new Date().toISOString()}.

| statement | server p50 ms | call p50 ms |
| --- | --- | --- |
${rows.map((r) => `| ${r.name} | ${r.serverMs.toFixed(2)} | ${r.callMs.toFixed(2)} |`).join('\n')}

Schema version 2 kept only vectors computed from the product's current content by joining
\`products\` on the content hash. The HNSW index cannot answer that join's ORDER BY: the planner
computed the distance of every vector of the dimension and sorted them. Version 3 keeps a \`current\`
flag on each vector (set when a vector or its product is written), the HNSW index is partial on
\`dim\` and \`current\`, and the statement needs no join unless a filter asks for product columns. The
store also runs ANALYZE on the tables it wrote after its first write and then every
5,000 rows: a table filled since its last statistics looks empty to the planner.

${rows
  .map(
    (r) => `## ${r.name}

\`\`\`sql
${r.sql}
\`\`\`

\`\`\`
${r.plan.join('\n')}
\`\`\``,
  )
  .join('\n\n')}
`;
  fs.writeFileSync(args.out, md);
  log(`wrote ${args.out}`);
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await pool.end();
  await store.close();
}
