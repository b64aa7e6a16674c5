/**
 * A claimed block of a pair job: the claiming transaction stays open on its own connection while
 * the worker works on the block; `complete` writes the block's results and its `done` flag and
 * commits them together, `abandon` (or a worker that dies) rolls back, so the block is free again
 * and nothing of it was written.
 */
import type pg from 'pg';
import { createError } from '../../errors.ts';
import type { JobPair, PairJobClaim, PairJobPhase, ScoredJobPair } from '../store.ts';
import type { PairJobDeps } from './pair-jobs.ts';

type BlockResult = Parameters<PairJobClaim['complete']>[0];
type RunOnClaim = <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => Promise<R[]>;

/** The block a claim holds, and who holds it. */
interface ClaimedBlock {
  readonly jobId: string;
  readonly phase: PairJobPhase;
  readonly worker: string;
  readonly block: number;
  readonly lo: number;
  readonly hi: number;
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

async function insertPairs(run: RunOnClaim, jobId: string, pairs: readonly JobPair[]): Promise<void> {
  if (pairs.length === 0) return;
  await run(
    `INSERT INTO prodsim_job_pairs (job_id, lo, hi, from_low) SELECT $1, u.lo, u.hi, u.f FROM unnest($2::bigint[], $3::bigint[], $4::boolean[]) AS u(lo, hi, f)
     ON CONFLICT (job_id, lo, hi) DO UPDATE SET from_low = prodsim_job_pairs.from_low OR excluded.from_low`,
    [jobId, pairs.map((p) => p.lo), pairs.map((p) => p.hi), pairs.map((p) => p.fromLow)],
  );
}

async function writeScores(run: RunOnClaim, jobId: string, worker: string, scores: readonly ScoredJobPair[]): Promise<void> {
  if (scores.length === 0) return;
  await run(
    `UPDATE prodsim_job_pairs p SET score = u.s, conflict = u.c, scored_by = $2, scored_times = p.scored_times + 1
     FROM unnest($3::bigint[], $4::bigint[], $5::float8[], $6::boolean[]) AS u(lo, hi, s, c) WHERE p.job_id = $1 AND p.lo = u.lo AND p.hi = u.hi`,
    [jobId, worker, scores.map((s) => s.lo), scores.map((s) => s.hi), scores.map((s) => s.score), scores.map((s) => s.conflict)],
  );
}

/** The block's pairs, scores and `done` flag, in the claim's transaction (committed by the caller). */
async function writeBlockResult(run: RunOnClaim, claimed: ClaimedBlock, result: BlockResult): Promise<void> {
  await insertPairs(run, claimed.jobId, mergePairs(result.pairs ?? []));
  await writeScores(run, claimed.jobId, claimed.worker, result.scores ?? []);
  await run(`UPDATE prodsim_job_blocks SET done = true, worker = $4, stats = $5 WHERE job_id = $1 AND phase = $2 AND block = $3`, [
    claimed.jobId,
    claimed.phase,
    claimed.block,
    claimed.worker,
    JSON.stringify(result.stats ?? {}),
  ]);
}

/** The claim on a block whose row `client`'s open transaction has locked. */
export function claimOn(deps: PairJobDeps, client: pg.PoolClient, claimed: ClaimedBlock): PairJobClaim {
  let open = true;
  const run: RunOnClaim = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => {
    try {
      return (await client.query<R>(sql, params)).rows;
    } catch (e) {
      // Into a catalogue error: pg's error becomes a STORE_* error (deps.wrap) with the statement.
      throw deps.wrap(e, sql);
    }
  };
  /** Ends the transaction once; a connection that broke (`error`) goes back to the pool as broken. */
  const finish = async (commit: boolean, error?: unknown) => {
    if (!open) return;
    open = false;
    try {
      if (error === undefined) await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      client.release(error instanceof Error ? error : undefined);
    }
  };
  return {
    block: claimed.block,
    lo: claimed.lo,
    hi: claimed.hi,
    async pairs() {
      const rows = await run<{ lo: string; hi: string; from_low: boolean }>(`SELECT lo, hi, from_low FROM prodsim_job_pairs WHERE job_id = $1 AND lo BETWEEN $2 AND $3 ORDER BY lo, hi`, [
        claimed.jobId,
        claimed.lo,
        claimed.hi,
      ]);
      return rows.map((r) => ({ lo: Number(r.lo), hi: Number(r.hi), fromLow: r.from_low }));
    },
    async complete(result) {
      // A caller's bug (complete after complete or abandon), not the user's: the transaction is gone.
      if (!open) throw createError('INTERNAL', `the claim on block ${claimed.block} of dedup job ${claimed.jobId} (${claimed.phase}) is finished: complete it once`);
      try {
        await writeBlockResult(run, claimed, result);
        await finish(true);
      } catch (e) {
        // Clean up and rethrow: the claim's transaction is ended; a failed rollback must not hide the write's error.
        await finish(false, (e as { code?: string }).code === 'STORE_UNAVAILABLE' ? e : undefined).catch(() => {});
        throw e;
      }
    },
    // Clean up and rethrow: abandon() runs on a caller's error path, which rethrows; a failed rollback must not hide it.
    abandon: () => finish(false).catch(() => {}),
  };
}
