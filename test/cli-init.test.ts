/**
 * `prodsim init [--distributed]` (issue 16 item 4): lays an empty Citus database out by product id;
 * refuses --distributed on a store that exists undistributed, and on a SQLite file. The database
 * cases need the servers of test/fixtures/postgres-servers.ts (they skip without them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresTestTarget } from './fixtures/postgres-servers.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'prodsim.js');
const env = { ...process.env };
delete env['PRODSIM_STORE'];
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });

const citus = await postgresTestTarget('PRODSIM_TEST_CITUS_URL', true);

describe('prodsim init on Citus', { skip: citus.skip }, () => {
  after(() => citus.dropSchemas());

  test('--distributed lays an empty database out by product id', async () => {
    const url = await citus.freshSchemaUrl();
    const r = cli(['--json', '--store', url, 'init', '--distributed']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { layout: string; products: number };
    assert.equal(out.layout, 'distributed (Citus)');
    assert.equal(out.products, 0);
    const schema = new URL(url).searchParams.get('schema')!;
    const client = new pg.Client({ connectionString: citus.url });
    await client.connect();
    try {
      const rows = (await client.query<{ t: string; kind: string }>(`SELECT logicalrelid::text AS t, partmethod AS kind FROM pg_dist_partition WHERE logicalrelid::text LIKE $1 ORDER BY 1`, [`${schema}.%`])).rows;
      const kinds = Object.fromEntries(rows.map((r) => [r.t.replace(`${schema}.`, ''), r.kind]));
      assert.equal(kinds['products'], 'h', JSON.stringify(kinds));
      assert.equal(kinds['vectors'], 'h');
      assert.equal(kinds['prodsim_meta'], 'n');
    } finally {
      await client.end();
    }
    // Again: the layout stays, nothing is created twice.
    const again = cli(['--json', '--store', url, 'init', '--distributed']);
    assert.equal(again.status, 0, again.stderr);
  });

  test('--distributed on a store that exists undistributed is an error', async () => {
    const url = await citus.freshSchemaUrl();
    assert.equal(cli(['--store', url, 'init']).status, 0);
    const r = cli(['--store', url, 'init', '--distributed']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /already holds a prodsim store that is not distributed/u);
  });
});

test('init --distributed on a SQLite file is an error; init alone creates the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-init-'));
  try {
    const file = path.join(dir, 'store.db');
    const bad = cli(['--store', file, 'init', '--distributed']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--distributed needs a PostgreSQL store/u);
    const ok = cli(['--json', '--store', file, 'init']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { layout: string }).layout, 'SQLite file');
    assert.ok(fs.existsSync(file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
