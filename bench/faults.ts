/**
 * `npm run bench:faults [-- --rounds 100 --runs 30 --concurrency 2]`: the reliability suite at size.
 * 1. The fuzz corpus (test/fixtures/fuzz-corpus.ts): each kind of malformed catalog record and bad
 *    request, `--runs` generated samples each (fast-check), counted: answered as expected, good
 *    records lost.
 * 2. `--rounds` kill -9 rounds (half mid-ingest, half mid-batch-write), each checked for
 *    `PRAGMA integrity_check` and every acknowledged write.
 * Writes docs/benchmarks/reliability.md and reliability.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFaultRound, type FaultRound } from '../test/fixtures/fault-rounds.ts';
import { CATALOG_KINDS, checkCatalogKind, checkRequestKind, REQUEST_KINDS, startFuzzServer, type KindResult } from '../test/fixtures/fuzz-corpus.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    runs: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '2' },
    seed: { type: 'string', default: '2026' },
    out: { type: 'string', default: 'docs/benchmarks' },
  },
});
const rounds = Number(values.rounds);
const runs = Number(values.runs);
const concurrency = Math.max(1, Number(values.concurrency));
const seed = Number(values.seed);
const log = (s: string) => process.stderr.write(`${s}\n`);

// ------------------------------------------------------------------ fuzz corpus

const started = performance.now();
const catalogResults: KindResult[] = [];
for (const [i, kind] of CATALOG_KINDS.entries()) catalogResults.push(await checkCatalogKind(kind, { runs, seed: seed + i }));
log(`catalog kinds: ${catalogResults.length}, ${catalogResults.reduce((n, r) => n + r.runs, 0)} samples`);

const requestResults: KindResult[] = [];
const server = await startFuzzServer();
try {
  for (const [i, kind] of REQUEST_KINDS.entries()) requestResults.push(await checkRequestKind(server.request, kind, { runs, seed: seed + i }));
} finally {
  await server.close();
}
const fuzzSeconds = (performance.now() - started) / 1000;
log(`request kinds: ${requestResults.length}`);

// ------------------------------------------------------------------ kill -9 rounds

const faultStarted = performance.now();
const faultRounds: (FaultRound & { seed: number })[] = [];
const failures: string[] = [];
for (let i = 0; i < rounds; i += concurrency) {
  const batch = Array.from({ length: Math.min(concurrency, rounds - i) }, (_, j) => i + j);
  const done = await Promise.all(
    batch.map(async (n) => {
      const roundSeed = seed + 10_000 + n;
      try {
        return { ...(await runFaultRound(n % 2 === 0 ? 'ingest' : 'batch', roundSeed)), seed: roundSeed };
      } catch (e) {
        failures.push(`round ${n} (seed ${roundSeed}): ${(e as Error).message}`);
        return undefined;
      }
    }),
  );
  for (const r of done) if (r) faultRounds.push(r);
  log(`kill -9 rounds: ${faultRounds.length + failures.length}/${rounds}`);
}
const faultSeconds = (performance.now() - faultStarted) / 1000;

// ------------------------------------------------------------------ report

const sum = (rs: KindResult[], f: (r: KindResult) => number) => rs.reduce((n, r) => n + f(r), 0);
const all = [...catalogResults, ...requestResults];
const byMode = (mode: string) => faultRounds.filter((r) => r.mode === mode);
const summary = {
  kinds: { catalog: catalogResults.length, request: requestResults.length, total: all.length },
  samples: sum(all, (r) => r.runs),
  asExpected: sum(all, (r) => r.asExpected),
  kindsAllAsExpected: all.filter((r) => r.asExpected === r.runs).length,
  goodRecordsLost: sum(all, (r) => r.goodLost),
  killRounds: {
    asked: rounds,
    completed: faultRounds.length,
    failedToRun: failures.length,
    ingest: byMode('ingest').length,
    batch: byMode('batch').length,
    integrityOk: faultRounds.filter((r) => r.integrity === 'ok').length,
    acknowledgedWritesChecked: faultRounds.reduce((n, r) => n + r.acknowledged, 0),
    acknowledgedLost: faultRounds.reduce((n, r) => n + r.lost, 0),
  },
  seconds: { fuzz: Math.round(fuzzSeconds), faults: Math.round(faultSeconds) },
  seed,
  runsPerKind: runs,
  machine: `${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)} at the end`,
};

const row = (r: KindResult) => `| ${r.name} | ${r.runs} | ${r.asExpected} | ${r.goodLost} |${r.failure ? ` ${r.failure.replaceAll('|', '\\|').slice(0, 160)}` : ''}`;
const md = `# Reliability: fuzz corpus and kill -9 rounds

\`npm run bench:faults -- --rounds ${rounds} --runs ${runs}\` (seed ${seed}); ${summary.machine}. The same corpus and
rounds run smaller in \`npm test\` (test/fuzz.test.ts: 8 samples per kind; test/faults.test.ts: 10 rounds).

## Summary

| what | count |
| --- | ---: |
| kinds of malformed input tried | ${summary.kinds.total} (${summary.kinds.catalog} catalog records, ${summary.kinds.request} requests) |
| generated samples | ${summary.samples} |
| answered with the expected error | ${summary.asExpected} of ${summary.samples} (${summary.kindsAllAsExpected} of ${summary.kinds.total} kinds every time) |
| good records lost beside a malformed one | ${summary.goodRecordsLost} |
| kill -9 rounds | ${summary.killRounds.completed} of ${rounds} (${summary.killRounds.ingest} mid-ingest, ${summary.killRounds.batch} mid-batch-write)${failures.length ? `; ${failures.length} did not run` : ''} |
| integrity_check ok after the kill | ${summary.killRounds.integrityOk} of ${summary.killRounds.completed} |
| acknowledged writes checked | ${summary.killRounds.acknowledgedWritesChecked} (products read for ingest rounds, batches of 50 for batch rounds) |
| acknowledged writes lost | ${summary.killRounds.acknowledgedLost} |
| time | fuzz ${summary.seconds.fuzz} s, kill rounds ${summary.seconds.faults} s |

A kill round starts a child process that writes to a fresh store and prints an acknowledgement
after each committed transaction (an ingest batch of 50 products; or 50 new products with their
vectors plus an update of an earlier product); the parent kills it with SIGKILL after a random
number of acknowledgements plus 0-14 ms (so the kill lands inside a later write), then checks
\`PRAGMA integrity_check\` and that every acknowledged product is stored with its content (and vector).

## Catalog records

Each sample is a file with 1-4 generated good records, the malformed one, then 1-4 more (CSV's
never-closed quote goes last); expected: exactly one issue, on the malformed record's line, with the
kind's reason and field, and every good record loaded.

| kind | samples | as expected | good lost |
| --- | ---: | ---: | ---: |
${catalogResults.map(row).join('\n')}

## Requests

Through the HTTP app (body limit 64 KiB, batch 50); expected: the status and error code named.

| kind | samples | as expected | good lost |
| --- | ---: | ---: | ---: |
${requestResults.map(row).join('\n')}
${failures.length ? `\n## Rounds that did not run\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}`;

fs.mkdirSync(values.out, { recursive: true });
fs.writeFileSync(path.join(values.out, 'reliability.md'), md);
fs.writeFileSync(path.join(values.out, 'reliability.json'), `${JSON.stringify({ summary, catalog: catalogResults, requests: requestResults, rounds: faultRounds, failures }, null, 2)}\n`);
log(`wrote ${path.join(values.out, 'reliability.md')}`);
