/**
 * Kill -9 during an ingest and during batch writes, 10 rounds: each time the store passes
 * `PRAGMA integrity_check` and every write acknowledged before the kill is there (vectors too).
 * `npm run bench:faults` runs 100 rounds and writes docs/benchmarks/reliability.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFaultRound, type FaultMode } from './fixtures/fault-rounds.ts';

const ROUNDS: [FaultMode, number][] = Array.from({ length: 10 }, (_, i) => [i % 2 === 0 ? 'ingest' : 'batch', 1000 + i]);

test('SIGKILL mid-ingest and mid-batch, 10 rounds: integrity ok, no acknowledged write lost', async () => {
  // Two at a time: each round spends most of its time starting a child process.
  for (let i = 0; i < ROUNDS.length; i += 2) {
    const rounds = await Promise.all(ROUNDS.slice(i, i + 2).map(([mode, seed]) => runFaultRound(mode, seed)));
    for (const [j, r] of rounds.entries()) {
      const seed = ROUNDS[i + j]![1];
      assert.equal(r.integrity, 'ok', `${r.mode} round, seed ${seed}`);
      assert.ok(r.acknowledged > 0, `${r.mode} round, seed ${seed}: killed after at least one acknowledged write`);
      assert.equal(r.lost, 0, `${r.mode} round, seed ${seed}: ${r.lost} acknowledged products missing of ${r.acknowledged} writes`);
    }
  }
});
