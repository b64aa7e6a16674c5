import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './fixtures/run-cli.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'prodsim.js');

const CATALOG =
  [
    { id: 'a1', title: '红色连衣裙 夏季', price: 199, tags: ['红色'], category: '服装/女装/连衣裙', brand: '优衣库' },
    { id: 'a2', title: 'Apple iPhone 15 Pro 256GB', price: 999, brand: 'Apple', category: 'Electronics/Phones' },
    'BAD',
    { id: 'a3', title: '蓝色连衣裙', price: 99, inStock: false },
  ]
    .map((r) => (r === 'BAD' ? '{"id": "a4", "title": ' : JSON.stringify(r)))
    .join('\n') + '\n';

const { PRODSIM_STORE: _ignored, ...envWithoutStore } = process.env;

/** The real launcher in a child process: exit code, stdout, stderr. */
function spawnCli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: envWithoutStore });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}


function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-cli-'));
  fs.writeFileSync(path.join(dir, 'catalog.jsonl'), CATALOG);
  return dir;
}

test('bin/prodsim.js: ingest a catalog with a bad line, then show and stats (JSON)', () => {
  const dir = tempDir();
  try {
    const ingest = spawnCli(['--json', 'ingest', 'catalog.jsonl', '--batch-size', '2'], dir);
    assert.equal(ingest.code, 0, ingest.stderr);
    const summary = JSON.parse(ingest.stdout);
    assert.deepEqual([summary.read, summary.added, summary.updated, summary.unchanged], [3, 3, 0, 0]);
    assert.equal(summary.skippedCount, 1);
    assert.equal(summary.skipped[0].line, 3);
    assert.equal(summary.skipped[0].reason, 'syntax');
    assert.equal(ingest.stderr, '', 'no progress bar when not a TTY / with --json');
    assert.ok(fs.existsSync(path.join(dir, '.prodsim', 'store.db')), 'the default store folder is created');

    const show = spawnCli(['--json', 'show', 'a2'], dir);
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout);
    assert.equal(shown.product.title, 'Apple iPhone 15 Pro 256GB');
    assert.ok(shown.analyzed.tokens.title.includes('iphone'), show.stdout);

    const stats = spawnCli(['--json', 'stats'], dir);
    assert.equal(stats.code, 0, stats.stderr);
    const s = JSON.parse(stats.stdout);
    assert.equal(s.products, 3);
    assert.ok(s.sizeBytes > 0);
    assert.equal(s.lastIngest.added, 3);

    const strict = spawnCli(['ingest', 'catalog.jsonl', '--strict'], dir);
    assert.equal(strict.code, 65);
    assert.match(strict.stderr, /^error \[PARSE_ERROR\]: .*catalog\.jsonl:3/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI human output, error codes and usage errors', async () => {
  const dir = tempDir();
  const store = path.join(dir, 'nested', 'store.db');
  const catalog = path.join(dir, 'catalog.jsonl');
  try {
    const noStore = await runCli(['--store', store, 'stats']);
    assert.equal(noStore.code, 66);
    assert.match(noStore.stderr, /^error \[FILE_NOT_FOUND\]: no store at/);

    const first = await runCli(['--store', store, 'ingest', catalog]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /added\s*│\s*3/);
    assert.match(first.stdout, /Skipped records/);
    assert.match(first.stdout, /│ 3\s+│/, 'the bad line is listed by number');

    const again = await runCli(['--store', store, 'ingest', catalog]);
    assert.match(again.stdout, /unchanged\s*│\s*3/);

    const show = await runCli(['--store', store, 'show', 'a1']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /红色连衣裙 夏季/);
    assert.match(show.stdout, /连衣裙/);

    const missing = await runCli(['--store', store, 'show', 'nope']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error \[PRODUCT_NOT_FOUND\]: .*nope/);

    const missingJson = await runCli(['--store', store, '--json', 'show', 'nope']);
    assert.equal(missingJson.code, 3);
    assert.equal(JSON.parse(missingJson.stdout).error.code, 'PRODUCT_NOT_FOUND');

    const noFile = await runCli(['--store', store, 'ingest', path.join(dir, 'missing.jsonl')]);
    assert.equal(noFile.code, 66);
    assert.match(noFile.stderr, /error \[FILE_NOT_FOUND\]/);

    const badBatch = await runCli(['--store', store, 'ingest', catalog, '--batch-size', 'ten']);
    assert.equal(badBatch.code, 2);
    assert.match(badBatch.stderr, /error \[INVALID_ARGUMENT\]: --batch-size/);

    const usage = await runCli(['ingest', '--no-such-flag']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown option/);

    const stats = await runCli(['--store', store, 'stats']);
    assert.equal(stats.code, 0);
    assert.match(stats.stdout, /products\s*│\s*3/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
