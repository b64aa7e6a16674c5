/**
 * Pair jobs on PostgreSQL (`PairJobStore` in `../store.ts`): the job, its blocks and its pairs are
 * tables (schema version 4). A worker claims a block with `SELECT … FOR UPDATE SKIP LOCKED` on a
 * connection of its own and keeps that transaction open while it works on the block; the block's
 * results and its `done` flag commit together. A worker that dies (or loses its connection) rolls
 * back: the block is free again and nothing of it was written, so a pair is never written or scored
 * twice by two workers. On Citus the job tables are plain tables of the coordinator (they are
 * small next to the catalog: a few rows per product). A claimed block: `pair-job-claim.ts`.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PairJob, PairJobClaim, PairJobPhase, PairJobStore, ScoredJobPair } from '../store.ts';
import { claimOn } from './pair-job-claim.ts';

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

async function createJob(deps: PairJobDeps, spec: Parameters<PairJobStore['createJob']>[0]): Promise<string> {
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
    // Clean up and rethrow: rolled back, pg's error wrapped as a STORE_* error; a failed rollback must not hide it.
    await client.query('ROLLBACK').catch(() => {});
    throw deps.wrap(e, 'createJob');
  } finally {
    client.release();
  }
}

async function getJob(deps: PairJobDeps, id: string): Promise<PairJob | undefined> {
  const [j] = await deps.query<{ id: string; kind: string; options: string; revision: string; products: number; blocks: number }>(
    `SELECT id, kind, options, revision, products, blocks FROM prodsim_jobs WHERE id = $1`,
    [id],
  );
  if (!j) return undefined;
  const done: Record<PairJobPhase, number> = { block: 0, score: 0 };
  const stats: Record<string, number> = {};
  for (const b of await deps.query<{ phase: PairJobPhase; stats: string }>(`SELECT phase, stats FROM prodsim_job_blocks WHERE job_id = $1 AND done`, [id])) {
    done[b.phase] += 1;
    for (const [k, v] of Object.entries(JSON.parse(b.stats ?? '{}') as Record<string, number>)) stats[k] = (stats[k] ?? 0) + v;
  }
  return { id: j.id, kind: j.kind, options: JSON.parse(j.options) as unknown, revision: j.revision, products: j.products, blocks: j.blocks, done, stats } satisfies PairJob;
}

/** Blocks of the phases before `phase` not done yet (a phase starts when the ones before it are done). */
async function earlierPhasesOpen(deps: PairJobDeps, id: string, phase: PairJobPhase): Promise<boolean> {
  const earlier = PHASES.slice(0, PHASES.indexOf(phase));
  if (earlier.length === 0) return false;
  const [w] = await deps.query<{ n: string }>(`SELECT count(*) AS n FROM prodsim_job_blocks WHERE job_id = $1 AND phase = ANY($2::text[]) AND NOT done`, [id, earlier]);
  return Number(w?.n) > 0;
}

/** The first open block no other worker holds, locked in a transaction of its own connection; undefined when none is free. */
async function claimFreeBlock(deps: PairJobDeps, id: string, phase: PairJobPhase, worker: string): Promise<PairJobClaim | undefined> {
  let client: pg.PoolClient;
  try {
    client = await deps.connect();
  } catch (e) {
    // Into a catalogue error: pg's connect error becomes a STORE_* error (deps.wrap).
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
    const row = rows[0];
    if (row) return claimOn(deps, client, { jobId: id, phase, worker, block: row.block, lo: Number(row.lo), hi: Number(row.hi) });
    await client.query('ROLLBACK');
    client.release();
    return undefined;
  } catch (e) {
    // Clean up and rethrow: the connection goes back to the pool (as broken) and pg's error is wrapped.
    client.release(e instanceof Error ? e : undefined);
    throw deps.wrap(e, 'claim');
  }
}

async function claim(deps: PairJobDeps, id: string, phase: PairJobPhase, worker: string): Promise<PairJobClaim | 'wait' | 'done'> {
  if (await earlierPhasesOpen(deps, id, phase)) return 'wait';
  const claimed = await claimFreeBlock(deps, id, phase, worker);
  if (claimed) return claimed;
  // No free block: the phase is done, or other workers hold its last blocks.
  const [left] = await deps.query<{ n: string }>(`SELECT count(*) AS n FROM prodsim_job_blocks WHERE job_id = $1 AND phase = $2 AND NOT done`, [id, phase]);
  return Number(left?.n) > 0 ? 'wait' : 'done';
}

async function pairCounts(deps: PairJobDeps, id: string): ReturnType<PairJobStore['pairCounts']> {
  const [c] = await deps.query<{ pairs: string; scored: string; max: number | null }>(
    `SELECT count(*) AS pairs, count(*) FILTER (WHERE scored_times > 0) AS scored, max(scored_times) AS max FROM prodsim_job_pairs WHERE job_id = $1`,
    [id],
  );
  const byWorker: Record<string, number> = {};
  for (const r of await deps.query<{ w: string; n: string }>(`SELECT scored_by AS w, count(*) AS n FROM prodsim_job_pairs WHERE job_id = $1 AND scored_by IS NOT NULL GROUP BY scored_by`, [id])) {
    byWorker[r.w] = Number(r.n);
  }
  return { pairs: Number(c?.pairs ?? 0), scored: Number(c?.scored ?? 0), maxScoredTimes: c?.max ?? 0, byWorker };
}

export function createPairJobStore(deps: PairJobDeps): PairJobStore {
  return {
    createJob: (spec) => createJob(deps, spec),
    getJob: (id) => getJob(deps, id),
    claim: (id, phase, worker) => claim(deps, id, phase, worker),
    async scoredPairs(id, minScore) {
      const rows = await deps.query<{ lo: string; hi: string; from_low: boolean; score: number; conflict: boolean }>(
        `SELECT lo, hi, from_low, score, conflict FROM prodsim_job_pairs WHERE job_id = $1 AND score >= $2 ORDER BY lo, hi`,
        [id, minScore],
      );
      return rows.map((r): ScoredJobPair => ({ lo: Number(r.lo), hi: Number(r.hi), fromLow: r.from_low, score: r.score, conflict: r.conflict }));
    },
    pairCounts: (id) => pairCounts(deps, id),
    async deleteJob(id) {
      await deps.query(`DELETE FROM prodsim_job_pairs WHERE job_id = $1`, [id]);
      await deps.query(`DELETE FROM prodsim_job_blocks WHERE job_id = $1`, [id]);
      await deps.query(`DELETE FROM prodsim_jobs WHERE id = $1`, [id]);
    },
  };
}
