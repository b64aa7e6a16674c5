import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

// An unknown key in the project's .npmrc (onnxruntime-node-install=skip once) made npm print
// `npm warn Unknown project config …` before every npx prodsim: the first line a new user saw.
test('npx prodsim --help in the repository prints the help and no npm warning', () => {
  const r = spawnSync('npx', ['--no-install', 'prodsim', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: prodsim /);
  assert.doesNotMatch(r.stderr, /npm warn/i);
});

test('npm config in the repository reads without a warning', () => {
  const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /npm warn/i);
});
