/** `prodsim match <a> <b>`: the same products across two catalogs; `prodsim dedup [catalog]`: duplicates. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DedupJobInput, EngineMatchResult } from '../../engine/engine.ts';
import { createError } from '../../errors.ts';
import { isPostgresUrl } from '../../store/open-store.ts';
import { runTask } from '../../engine/task-registry.ts';
import type { RecordIssue } from '../../catalog/catalog.ts';
import type { CliCommand, CliContext } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip, table } from '../format.ts';
import { explanations } from '../task-output.ts';
import { parseInteger, parseNumber } from '../task-options.ts';
import { defined } from '../../defined.ts';

interface MatchCliOptions {
  model?: string;
  threshold?: string;
  manyToMany?: boolean;
  blockK?: string;
  profile?: string;
  out?: string;
  explain: string;
}

function reportIssues(ctx: CliContext, issues: readonly RecordIssue[]): void {
  if (issues.length === 0) return;
  ctx.err(`${issues.length} bad record(s) skipped:`);
  for (const i of issues.slice(0, 10)) ctx.err(`  ${i.file}:${i.line}${i.field ? ` ${i.field}` : ''}: ${i.message}`);
}

/** JSON Lines of matched pairs with their explanations, one pair a line. */
function writePairs(path: string, result: EngineMatchResult): void {
  writeFileSync(path, result.pairs.map((p) => JSON.stringify({ left_id: p.left.id, right_id: p.right.id, score: p.score, explanation: p.explanation })).join('\n') + '\n');
}

export const matchCommand: CliCommand = {
  name: 'match',
  register(program, ctx) {
    program
      .command('match')
      .description('match the same products across two catalogs (cross-platform matching)')
      .argument('<catalogA>', 'CSV / JSON / JSONL')
      .argument('<catalogB>', 'CSV / JSON / JSONL')
      .option('--threshold <x>', 'match at or above this score (default 0.5)')
      .option('--many-to-many', 'keep every pair above the threshold (default: one-to-one)')
      .option('--block-k <n>', 'candidates per product from each blocker')
      .option('--profile <name>', 'fusion profile (default sameProduct)')
      .option('--model <matcher.json>', 'a matcher trained with `prodsim train`: its probability decides, at its threshold')
      .option('-o, --out <file.jsonl>', 'write the matched pairs with explanations')
      .option('--explain <n>', 'explain the first n pairs', '2')
      .action(async (a: string, b: string, o: MatchCliOptions, command: Command) => {
        const json = ctx.globals(command).json;
        const input = defined({
          left: a,
          right: b,
          threshold: parseNumber(o.threshold, '--threshold'),
          oneToOne: o.manyToMany ? false : undefined,
          blockK: parseInteger(o.blockK, '--block-k'),
          profile: o.profile,
          model: o.model,
        });
        const r = await withEngine(ctx, command, (e) => runTask(e, 'match', input), { mustExist: false });
        if (o.out) writePairs(o.out, r);
        if (json) return ctx.outJson(r);
        reportIssues(ctx, r.issues);
        const s = r.stats;
        ctx.out(`${s.matched} matches between ${s.left} and ${s.right} products (${s.candidatePairs} candidate pairs, ${s.aboveThreshold} above ${s.threshold}, ${s.oneToOne ? 'one-to-one' : 'many-to-many'}, ${s.scorer})`);
        ctx.out(table(['#', 'left', 'right', 'score'], r.pairs.map((p, i) => [i + 1, `${p.left.id} ${clip(p.left.title, 40)}`, `${p.right.id} ${clip(p.right.title, 40)}`, p.score.toFixed(3)])));
        const n = parseInteger(o.explain, '--explain') ?? 0;
        if (n > 0) ctx.out(`\n${explanations(r.pairs.map((p) => ({ product: p.left, explanation: p.explanation, ...(p.learned ? { learned: p.learned } : {}) })), n)}`);
        if (o.out) ctx.out(`pairs written to ${o.out}`);
      });

    program
      .command('dedup')
      .description('duplicate groups inside one catalog (default: the store)')
      .argument('[catalog]', 'CSV / JSON / JSONL; omit to use the store')
      .option('--threshold <x>', 'duplicates at or above this score (default 0.5)')
      .option('--block-k <n>', 'candidates per product from each blocker')
      .option('--profile <name>', 'fusion profile (default sameProduct)')
      .option('--model <matcher.json>', 'a matcher trained with `prodsim train`: its probability decides, at its threshold')
      .option('--workers <n>', 'PostgreSQL store: run the dedup as a job in the database, worked on by n processes (more can join: `prodsim dedup-worker <job>`)')
      .option('--block-size <n>', 'with --workers: products per block a worker claims (default 1024)')
      .action(async (catalog: string | undefined, o: Omit<MatchCliOptions, 'manyToMany' | 'out' | 'explain'> & { workers?: string; blockSize?: string }, command: Command) => {
        const json = ctx.globals(command).json;
        const workers = parseInteger(o.workers, '--workers');
        if (workers !== undefined) {
          if (catalog !== undefined) throw createError('INVALID_ARGUMENT', '--workers dedups the store: leave out the catalog file', { field: '--workers' });
          if (workers < 1) throw createError('INVALID_ARGUMENT', `--workers must be at least 1, got ${workers}`, { field: '--workers' });
        }
        const input = defined({ catalog, threshold: parseNumber(o.threshold, '--threshold'), blockK: parseInteger(o.blockK, '--block-k'), profile: o.profile, model: o.model });
        const r =
          workers !== undefined
            ? await dedupWithWorkers(ctx, command, { ...input, ...defined({ model: o.model === undefined ? undefined : resolve(o.model), blockSize: parseInteger(o.blockSize, '--block-size') }) }, workers)
            : await withEngine(ctx, command, (e) => runTask(e, 'dedup', input), { mustExist: catalog !== undefined ? false : true });
        if (json) return ctx.outJson(r);
        reportIssues(ctx, r.issues);
        ctx.out(`${r.groups.length} duplicate groups among ${r.stats.left} products (${r.stats.candidatePairs} candidate pairs, threshold ${r.stats.threshold}, ${r.stats.scorer})`);
        ctx.out(table(['#', 'products', 'min score'], r.groups.map((g, i) => [i + 1, g.products.map((p) => `${p.id} ${clip(p.title, 50)}`).join('\n'), g.minScore.toFixed(3)])));
      });

    program
      .command('dedup-worker')
      .description('work on a dedup job in a PostgreSQL store (made by `prodsim dedup --workers`) until no block is left')
      .argument('<job>', 'the job id `prodsim dedup --workers` prints')
      .option('--name <name>', 'names this worker in the job tables (default host:pid)')
      .action(async (job: string, o: { name?: string }, command: Command) => {
        const worker = o.name ?? `${hostname()}:${process.pid}`;
        const did = await withEngine(ctx, command, (e) => e.dedupJobs.work(job, { worker }));
        if (ctx.globals(command).json) return ctx.outJson({ job, worker, blocks: did });
        ctx.out(`${worker}: blocked ${did.block} and scored ${did.score} blocks of job ${job}`);
      });
  },
};

/**
 * `prodsim dedup --workers n`: makes a dedup job in the database, starts n `prodsim dedup-worker`
 * processes on it, and groups the pairs once they exit. Its id goes to stderr, so processes on
 * other machines can join the same job.
 */
async function dedupWithWorkers(ctx: CliContext, command: Command, input: DedupJobInput & { blockSize?: number }, workers: number) {
  const { store } = ctx.globals(command);
  if (!isPostgresUrl(store)) throw createError('INVALID_ARGUMENT', `--workers needs a PostgreSQL store (--store postgres://…), not ${store}`, { field: '--workers' });
  return withEngine(ctx, command, async (engine) => {
    const job = await engine.dedupJobs.create(input);
    ctx.err(`dedup job ${job}: ${workers} worker process(es); more can join with \`prodsim --store <url> dedup-worker ${job}\``);
    const codes = await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--store', store, 'dedup-worker', job, '--name', `${hostname()}:${process.pid}:${w + 1}`], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        return new Promise<number>((done) => {
          child.on('error', () => done(1));
          child.on('exit', (code) => done(code ?? 1));
        });
      }),
    );
    const failed = codes.filter((c) => c !== 0).length;
    if (failed > 0) ctx.err(`${failed} of ${workers} worker process(es) failed; the others took their blocks if they could`);
    const result = await engine.dedupJobs.finish(job);
    await engine.dedupJobs.delete(job);
    return { ...result, issues: [] };
  });
}
