import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProfile } from '../src/tasks/profiles.ts';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { createCliContext } from '../src/cli/context.ts';
import { trainCommand } from '../src/cli/commands/train.ts';
import { applyCommand } from '../src/cli/commands/apply.ts';
import { evalCommand } from '../src/cli/commands/eval.ts';

async function run(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const program = new Command('prodsim').option('--store <path>').option('--json').exitOverride();
  const ctx = createCliContext({ stdout, stderr });
  for (const c of [trainCommand, applyCommand, evalCommand]) c.register(program, ctx);
  await program.parseAsync(['node', 'prodsim', ...args]);
  return out;
}

function tables(dir: string): void {
  const brands = ['sony', 'canon', 'nikon', 'samsung'];
  const left = ['id,title,price'];
  const right = ['id,title,price'];
  const pairs = ['ltable_id,rtable_id,label'];
  for (let i = 0; i < 40; i++) {
    const b = brands[i % 4]!;
    left.push(`${i},${b} camera ${b.slice(0, 2)}${100 + i * 7} black,${100 + i}`);
    right.push(`${i},${b} ${b.slice(0, 2).toUpperCase()}${100 + i * 7} digital camera,${101 + i}`);
  }
  for (let i = 0; i < 40; i++) {
    pairs.push(`${i},${i},1`);
    pairs.push(`${i},${(i + 4) % 40},0`); // same brand, other code
    pairs.push(`${i},${(i + 1) % 40},0`);
  }
  writeFileSync(join(dir, 'a.csv'), left.join('\n'));
  writeFileSync(join(dir, 'b.csv'), right.join('\n'));
  writeFileSync(join(dir, 'pairs.csv'), pairs.join('\n'));
}

test('train → apply → eval through the command files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-learning-cli-'));
  try {
    tables(dir);
    const model = join(dir, 'm.json');
    const common = ['--left', join(dir, 'a.csv'), '--right', join(dir, 'b.csv'), '-m', model];
    const trained = JSON.parse(await run(['--json', 'train', join(dir, 'pairs.csv'), ...common, '--classifier', 'logistic', '--profile', join(dir, 'p.json')])) as { threshold: number };
    assert.ok(existsSync(model));
    assert.ok(trained.threshold > 0 && trained.threshold < 1);
    // The profile is the similarity stage's: the applications load it with --profile p.json.
    const profile = resolveProfile(join(dir, 'p.json'));
    assert.ok((profile.weights.titleLexical ?? 0) > 0, JSON.stringify(profile.weights));
    assert.ok(Object.values(profile.weights).every((w) => w >= 0));
    const applied = JSON.parse(await run(['--json', 'apply', join(dir, 'pairs.csv'), ...common, '-o', join(dir, 'out.csv')])) as { pairs: number; matches: number };
    assert.equal(applied.pairs, 120);
    assert.ok(applied.matches >= 30 && applied.matches <= 50, `matches ${applied.matches}`);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').length, 121);
    const evaluated = JSON.parse(await run(['--json', 'eval', join(dir, 'pairs.csv'), ...common, '--out', join(dir, 'report')])) as { f1: number };
    assert.ok(evaluated.f1 > 0.9, `F1 ${evaluated.f1}`);
    assert.ok(existsSync(join(dir, 'report', 'eval-pr.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
