/**
 * A store in a folder the user may not write (a shared, read-only copy) is still readable: the CLI
 * opens it read-only, and a store closed by a writer is left in rollback-journal mode so a reader
 * needs no -wal/-shm files beside it. Root ignores file permissions, so when the tests run as root
 * (CI) the reading commands run in a child process as the unprivileged user `nobody`; otherwise
 * chmod alone makes the folder read-only for the test's own user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'prodsim.js');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const { PRODSIM_STORE: _ignored, ...env } = process.env;

/**
 * A home for `nobody` with a copy of this user's encoder cache (GloVe, CEDICT), so the child does
 * not rebuild it; the home is nobody's, the store folder is not.
 */
function unprivilegedHome(base: string): string {
  const home = path.join(base, 'home');
  const cache = path.join(os.homedir(), '.cache', 'prodsim');
  fs.mkdirSync(path.join(home, '.cache'), { recursive: true });
  if (fs.existsSync(cache)) fs.cpSync(cache, path.join(home, '.cache', 'prodsim'), { recursive: true });
  for (const f of [home, ...(fs.readdirSync(home, { recursive: true }) as string[]).map((f) => path.join(home, f))]) fs.chownSync(f, NOBODY, NOBODY);
  return home;
}

function cli(args: string[], cwd: string, unprivileged: boolean) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: unprivileged && asRoot ? { ...env, HOME: path.join(cwd, 'home') } : env,
    ...(unprivileged && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As root the check needs `nobody` to run this checkout (not the case in a clone under /root). */
function unprivilegedCannotRun(): string | false {
  if (!asRoot) return false;
  const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: os.tmpdir(), encoding: 'utf8', uid: NOBODY, gid: NOBODY, env: { ...env, HOME: os.tmpdir() } });
  return r.status === 0 ? false : `running as root, and the user nobody cannot run this checkout (${(r.stderr || '').split('\n')[0]}): root would ignore the read-only folder`;
}

test('stats, search and similar read a store in a read-only folder; ingest there is refused clearly', { skip: unprivilegedCannotRun() }, () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-ro-'));
  const folder = path.join(base, 'shared');
  fs.mkdirSync(folder);
  const store = path.join(folder, 'store.db');
  const catalog = path.join(base, 'catalog.jsonl');
  fs.writeFileSync(catalog, fs.readFileSync('data/sample-catalog.jsonl', 'utf8').split('\n').slice(0, 40).join('\n') + '\n');
  try {
    const ingest = cli(['--json', '--store', store, 'ingest', catalog], base, false);
    assert.equal(ingest.code, 0, ingest.stderr);
    const firstId = JSON.parse(fs.readFileSync(catalog, 'utf8').split('\n')[0]!).id as string;
    fs.chmodSync(base, 0o755);
    if (asRoot) unprivilegedHome(base);
    for (const f of fs.readdirSync(folder, { recursive: true }) as string[]) fs.chmodSync(path.join(folder, f), fs.statSync(path.join(folder, f)).isDirectory() ? 0o555 : 0o444);
    fs.chmodSync(folder, 0o555);

    const stats = cli(['--json', '--store', store, 'stats'], base, true);
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(JSON.parse(stats.stdout).products, 40);
    const search = cli(['--json', '--store', store, 'search', '连衣裙', '-k', '3'], base, true);
    assert.equal(search.code, 0, search.stderr);
    const similar = cli(['--json', '--store', store, 'similar', firstId, '-k', '3'], base, true);
    assert.equal(similar.code, 0, similar.stderr);
    assert.ok(JSON.parse(similar.stdout).items.length > 0);
    assert.deepEqual(fs.readdirSync(folder).sort(), ['store.db', 'store.db.index'].filter((f) => fs.existsSync(path.join(folder, f))).sort(), 'nothing written beside the store');

    const write = cli(['--json', '--store', store, 'ingest', catalog], base, true);
    assert.notEqual(write.code, 0);
    assert.match(write.stdout + write.stderr, /read-only/);
  } finally {
    fs.chmodSync(folder, 0o755);
    fs.rmSync(base, { recursive: true, force: true });
  }
});
