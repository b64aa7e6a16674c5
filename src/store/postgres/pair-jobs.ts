/**
 * Pair jobs on PostgreSQL (`PairJobStore` in `../store.ts`): the job, its blocks and its pairs are
 * tables (schema version 4). A worker claims a block with `SELECT … FOR UPDATE SKIP LOCKED` on a
 * connection of its own and keeps that transaction open while it works on the block; the block's
 * results and its `done` flag commit together. A worker that dies (or loses its connection) rolls
 * back: the block is free again and nothing of it was written, so a pair is never written or scored
 * twice by two workers. On Citus the job tables are plain tables of the coordinator (they are
 * small next to the catalog: a few rows per product).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { JobPair, PairJob, PairJobClaim, PairJobPhase, PairJobStore, ScoredJobPair } from '../store.ts';

export const PAIR_JOB_TABLES = `
CREATE TABLE IF NOT EXISTS prodsim_jobs (
  id text PRIMARY KEY,
  kind text NOT NULL,
  options text NOT NULL,
  revision text NOT NULL,
  products integer NOT NULL,
  blocks integer NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS prodsim_job_blocks (
  job_id text NOT NULL,
  phase text NOT NULL,
  block integer NOT NULL,
  lo bigint NOT NULL,
  hi bigint NOT NULL,
  done boolean NOT NULL DEFAULT false,
  worker text,
  stats text,
  PRIMARY KEY (job_id, phase, block)
);
CREATE TABLE IF NOT EXISTS prodsim_job_pairs (
  job_id text NOT NULL,
  lo bigint NOT NULL,
  hi bigint NOT NULL,
  from_low boolean NOT NULL,
  score double precision,
  conflict boolean,
  scored_by text,
  scored_times integer NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, lo, hi)
);
`;

const PHASES: readonly PairJobPhase[] = ['block', 'score'];

export interface PairJobDeps {
  /** A query outside any transaction (retried on a lost connection, errors mapped). */
  query: <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
  /** A connection of its own, for a claim's transaction. */
  connect(): Promise<pg.PoolClient>;
  /** Maps a driver error to the store's errors. */
  wrap(e: unknown, sql: string): Error;
}

/** One pair a (lo, hi), `fromLow` if either side said so; sorted, so two writers lock rows in one order. */
function mergePairs(pairs: readonly JobPair[]): JobPair[] {
  const byKey = new Map<string, JobPair>();
  for (const p of pairs) {
    const k = `${p.lo}:${p.hi}`;
    const had = byKey.get(k);
    byKey.set(k, had ? { ...had, fromLow: had.fromLow || p.fromLow } : { ...p });
  }
  return [...byKey.values()].sort((a, b) => a.lo - b.lo || a.hi - b.hi);
}

export function createPairJobStore(deps: PairJobDeps): PairJobStore {
  const query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => deps.query<R>(sql, params);

  async function claimed(client: pg.PoolClient, id: string, phase: PairJobPhase, worker: string, row: { block: number; lo: string; hi: string }): Promise<PairJobClaim> {
    let open = true;
    const run = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> => {
      try {
        return (await client.query<R>(sql, params)).rows;
      } catch (e) {
        throw deps.wrap(e, sql);
      }
    };
    const finish = async (commit: boolean, error?: unknown) => {
      if (!open) return;
      open = false;
      try {
        if (error === undefined) await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release(error instanceof Error ? error : undefined);
      }
    };
    const lo = Number(row.lo);
    const hi = Number(row.hi);
    return {
      block: row.block,
      lo,
      hi,
      async pairs() {
        const rows = await run<{ lo: string; hi: string; from_low: boolean }>(`SELECT lo, hi, from_low FROM prodsim_job_pairs WHERE job_id = $1 AND lo BETWEEN $2 AND $3 ORDER BY lo, hi`, [id, lo, hi]);
        return rows.map((r) => ({ lo: Number(r.lo), hi: Number(r.hi), fromLow: r.from_low }));
      },
      async complete(result) {
        if (!open) throw new Error('this claim is finished');
        try {
          const pairs = mergePairs(result.pairs ?? []);
          if (pairs.length > 0) {
            await run(
              `INSERT INTO prodsim_job_pairs (job_id, lo, hi, from_low) SELECT $1, u.lo, u.hi, u.f FROM unnest($2::bigint[], $3::bigint[], $4::boolean[]) AS u(lo, hi, f)
               ON CONFLICT (job_id, lo, hi) DO UPDATE SET from_low = prodsim_job_pairs.from_low OR excluded.from_low`,
              [id, pairs.map((p) => p.lo), pairs.map((p) => p.hi), pairs.map((p) => p.fromLow)],
            );
          }
          const scores = result.scores ?? [];
          if (scores.length > 0) {
            await run(
              `UPDATE prodsim_job_pairs p SET score = u.s, conflict = u.c, scored_by = $2, scored_times = p.scored_times + 1
               FROM unnest($3::bigint[], $4::bigint[], $5::float8[], $6::boolean[]) AS u(lo, hi, s, c) WHERE p.job_id = $1 AND p.lo = u.lo AND p.hi = u.hi`,
              [id, worker, scores.map((s) => s.lo), scores.map((s) => s.hi), scores.map((s) => s.score), scores.map((s) => s.conflict)],
            );
          }
          await run(`UPDATE prodsim_job_blocks SET done = true, worker = $4, stats = $5 WHERE job_id = $1 AND phase = $2 AND block = $3`, [
            id,
            phase,
            row.block,
            worker,
            JSON.stringify(result.stats ?? {}),
          ]);
          await finish(true);
        } catch (e) {
          await finish(false, (e as { code?: string }).code === 'STORE_UNAVAILABLE' ? e : undefined).catch(() => {});
          throw e;
        }
      },
      abandon: () => finish(false).catch(() => {}),
    };
  }

  const store: PairJobStore = {
    async createJob(spec) {
      const id = randomUUID();
      const client = await deps.connect();
      try {
        await client.query('BEGIN');
        await client.query(`INSERT INTO prodsim_jobs (id, kind, options, revision, products, blocks, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          id,
          spec.kind,
          JSON.stringify(spec.options ?? {}),
          spec.revision,
          spec.products,
          spec.blocks.length,
          Date.now(),
        ]);
        for (const phase of PHASES) {
          await client.query(`INSERT INTO prodsim_job_blocks (job_id, phase, block, lo, hi) SELECT $1, $2, i - 1, u.lo, u.hi FROM unnest($3::bigint[], $4::bigint[]) WITH ORDINALITY AS u(lo, hi, i)`, [
            id,
            phase,
            spec.blocks.map((b) => b.lo),
            spec.blocks.map((b) => b.hi),
          ]);
        }
        await client.query('COMMIT');
        return id;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw deps.wrap(e, 'createJob');
      } finally {
        client.release();
      }
    },

    async getJob(id) {
      const [j] = await query<{ id: string; kind: string; options: string; revision: string; products: number; blocks: number }>(
        `SELECT id, kind, options, revision, products, blocks FROM prodsim_jobs WHERE id = $1`,
        [id],
      );
      if (!j) return undefined;
      const done: Record<PairJobPhase, number> = { block: 0, score: 0 };
      const stats: Record<string, number> = {};
      for (const b of await query<{ phase: PairJobPhase; stats: string }>(`SELECT phase, stats FROM prodsim_job_blocks WHERE job_id = $1 AND done`, [id])) {
        done[b.phase] += 1;
        for (const [k, v] of Object.entries(JSON.parse(b.stats ?? '{}') as Record<string, number>)) stats[k] = (stats[k] ?? 0) + v;
      }
      return { id: j.id, kind: j.kind, options: JSON.parse(j.options) as unknown, revision: j.revision, products: j.products, blocks: j.blocks, done, stats } satisfies PairJob;
    },

    async claim(id, phase, worker) {
      const earlier = PHASES.slice(0, PHASES.indexOf(phase));
      if (earlier.length > 0) {
        const [w] = await query<{ n: string }>(`SELECT count(*) AS n FROM prodsim_job_blocks WHERE job_id = $1 AND phase = ANY($2::text[]) AND NOT done`, [id, earlier]);
        if (Number(w?.n) > 0) return 'wait';
      }
      let client: pg.PoolClient;
      try {
        client = await deps.connect();
      } catch (e) {
        throw deps.wrap(e, 'claim');
      }
      try {
        await client.query('BEGIN');
        const rows = (
          await client.query<{ block: number; lo: string; hi: string }>(
            `SELECT block, lo, hi FROM prodsim_job_blocks WHERE job_id = $1 AND phase = $2 AND NOT done ORDER BY block LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [id, phase],
          )
        ).rows;
        if (rows[0]) return await claimed(client, id, phase, worker, rows[0]);
        await client.query('ROLLBACK');
        client.release();
      } catch (e) {
        client.release(e instanceof Error ? e : undefined);
        throw deps.wrap(e, 'claim');
      }
      const [left] = await query<{ n: string }>(`SELECT count(*) AS n FROM prodsim_job_blocks WHERE job_id = $1 AND phase = $2 AND NOT done`, [id, phase]);
      return Number(left?.n) > 0 ? 'wait' : 'done';
    },

    async scoredPairs(id, minScore) {
      const rows = await query<{ lo: string; hi: string; from_low: boolean; score: number; conflict: boolean }>(
        `SELECT lo, hi, from_low, score, conflict FROM prodsim_job_pairs WHERE job_id = $1 AND score >= $2 ORDER BY lo, hi`,
        [id, minScore],
      );
      return rows.map((r): ScoredJobPair => ({ lo: Number(r.lo), hi: Number(r.hi), fromLow: r.from_low, score: r.score, conflict: r.conflict }));
    },

    async pairCounts(id) {
      const [c] = await query<{ pairs: string; scored: string; max: number | null }>(
        `SELECT count(*) AS pairs, count(*) FILTER (WHERE scored_times > 0) AS scored, max(scored_times) AS max FROM prodsim_job_pairs WHERE job_id = $1`,
        [id],
      );
      const byWorker: Record<string, number> = {};
      for (const r of await query<{ w: string; n: string }>(`SELECT scored_by AS w, count(*) AS n FROM prodsim_job_pairs WHERE job_id = $1 AND scored_by IS NOT NULL GROUP BY scored_by`, [id])) {
        byWorker[r.w] = Number(r.n);
      }
      return { pairs: Number(c?.pairs ?? 0), scored: Number(c?.scored ?? 0), maxScoredTimes: c?.max ?? 0, byWorker };
    },

    async deleteJob(id) {
      await query(`DELETE FROM prodsim_job_pairs WHERE job_id = $1`, [id]);
      await query(`DELETE FROM prodsim_job_blocks WHERE job_id = $1`, [id]);
      await query(`DELETE FROM prodsim_jobs WHERE id = $1`, [id]);
    },
  };
  return store;
}
