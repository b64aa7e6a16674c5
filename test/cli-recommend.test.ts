/**
 * `prodsim recommend --new <file>`: a product file that does not exist is FILE_NOT_FOUND (exit 66),
 * one that is not JSON is PARSE_ERROR (exit 65), each with the file named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ERROR_CATALOGUE } from '../src/errors.ts';
import { runCli } from './fixtures/run-cli.ts';

test('recommend --new with a missing file is FILE_NOT_FOUND, with a file that is not JSON PARSE_ERROR (was PARSE_ERROR for both)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-recommend-'));
  try {
    const store = path.join(dir, 'store.db');
    const missing = path.join(dir, 'no-such-product.json');
    const gone = await runCli(['--json', '--store', store, 'recommend', '--new', missing]);
    assert.equal(gone.code, ERROR_CATALOGUE.FILE_NOT_FOUND.exitCode, gone.stdout);
    assert.equal(JSON.parse(gone.stdout).error.code, 'FILE_NOT_FOUND');
    assert.equal(JSON.parse(gone.stdout).error.location.file, missing);

    const notJson = path.join(dir, 'product.json');
    fs.writeFileSync(notJson, '{"id": "N1", "title": ');
    const bad = await runCli(['--json', '--store', store, 'recommend', '--new', notJson]);
    assert.equal(bad.code, ERROR_CATALOGUE.PARSE_ERROR.exitCode, bad.stdout);
    assert.equal(JSON.parse(bad.stdout).error.code, 'PARSE_ERROR');
    assert.equal(JSON.parse(bad.stdout).error.location.file, notJson);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
