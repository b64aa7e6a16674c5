/**
 * Every command of README's "Command line" section, run as written (in order: the ingest fills the
 * store the later ones read, `train` writes the matcher `match --model` uses) in a temporary folder
 * that holds a link to `data/`, with the default store (`./.prodsim/store.db`). A command that exits
 * non-zero fails the test, so the README cannot drift from the CLI. Runs the CLI in-process
 * (`main`), except `serve`, which runs the real launcher until it answers `/health`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './fixtures/run-cli.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'prodsim.js');

interface ReadmeCommand {
  line: string;
  env: Record<string, string>;
  args: string[];
}

/** Splits a shell line into words: double and single quotes group, `#` after a blank starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
  }
  assert.equal(quote, '', `unclosed quote in README line: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** The `npx prodsim …` lines of the sh blocks between `## Command line` and the next `## `. */
function readmeCommands(readme: string): ReadmeCommand[] {
  const start = readme.indexOf('\n## Command line\n');
  assert.ok(start >= 0, 'README has a "## Command line" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: ReadmeCommand[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const words = shellWords(line);
      if (words.length === 0) continue;
      const env: Record<string, string> = {};
      while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
        const [name, ...value] = words.shift()!.split('=');
        env[name!] = value.join('=');
      }
      assert.deepEqual(words.slice(0, 2), ['npx', 'prodsim'], `a README command line starts with npx prodsim: ${line}`);
      commands.push({ line: line.split(/\s+#/)[0]!.trim(), env, args: words.slice(2) });
    }
  }
  return commands;
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const COMMANDS = readmeCommands(README);
let work = '';
const cwd = process.cwd();
const savedStore = process.env.PRODSIM_STORE;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-readme-'));
  fs.symlinkSync(path.join(ROOT, 'data'), path.join(work, 'data'));
  delete process.env.PRODSIM_STORE;
  process.chdir(work);
});

after(() => {
  process.chdir(cwd);
  if (savedStore !== undefined) process.env.PRODSIM_STORE = savedStore;
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the README extractor finds the commands, quoted words and environment included', () => {
  assert.deepEqual(shellWords('npx prodsim search "红色 连衣裙" --in-stock   # a comment "x"'), ['npx', 'prodsim', 'search', '红色 连衣裙', '--in-stock']);
  assert.ok(COMMANDS.length >= 20, `${COMMANDS.length} commands`);
  assert.equal(COMMANDS[0]!.args[0], 'ingest', 'the first command fills the store');
  assert.ok(COMMANDS.some((c) => c.args[0] === 'serve' && c.env.PRODSIM_TOKEN === 'secret'));
});

/** `serve` with the README's arguments on a free port: it must come up, answer /health, and count the store's products in /metrics. */
async function runServe(command: ReadmeCommand): Promise<void> {
  const args = command.args.map((a, i, all) => (all[i - 1] === '--port' ? '0' : a));
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...command.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /at (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: 'ok' });
    const token = command.env.PRODSIM_TOKEN;
    const metrics = (await (await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).json()) as { store: { products: number } };
    assert.equal(metrics.store.products, 310);
  } finally {
    child.kill();
  }
}

for (const [i, command] of COMMANDS.entries()) {
  test(`README command ${i + 1}: ${command.line}`, async () => {
    if (command.args[0] === 'serve') return runServe(command);
    assert.deepEqual(command.env, {}, 'only serve takes an environment variable in the README');
    const r = await runCli(command.args);
    assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout.slice(-2000)}\nstderr:\n${r.stderr.slice(-2000)}`);
    assert.ok(r.stdout.trim().length > 0, 'it prints something');
  });
}
