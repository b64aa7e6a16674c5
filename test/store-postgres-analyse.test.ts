/**
 * How often the PostgreSQL store runs ANALYZE while a catalog is loaded (`rowsBeforeNextAnalyse`):
 * after the first write, then as the table grows by a share. Every 5,000 rows, a 1M-product load
 * ran ANALYZE products 200 times (~0.8 s each at 100k rows: 13.3 of 45 s of store writes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANALYZE_AFTER_ROWS, rowsBeforeNextAnalyse } from '../src/store/postgres/schema.ts';

/** The batches after which a load of `total` rows in `batch`-row writes analyses, as `analyseIfDue` decides. */
function analysesOfLoad(total: number, batch: number): number[] {
  const at: number[] = [];
  let written = 0;
  let since = 0;
  let after = 0; // nothing analysed yet: the first write is
  while (written < total) {
    written += batch;
    since += batch;
    if (since >= after) {
      at.push(written);
      since = 0;
      after = rowsBeforeNextAnalyse(written);
    }
  }
  return at;
}

test('a 1M-product load analyses a few times as the table grows, not every 5,000 rows', () => {
  const at = analysesOfLoad(1_000_000, 2_000);
  assert.equal(at[0], 2_000, 'the first write is analysed: an empty-looking table is scanned instead of using the HNSW index');
  assert.ok(at.length <= 20, `${at.length} analyses: ${at.join(', ')}`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= ANALYZE_AFTER_ROWS, `at least ${ANALYZE_AFTER_ROWS} rows between analyses (${at[i - 1]} → ${at[i]})`);
  assert.ok(1_000_000 - at.at(-1)! <= 0.5 * 1_000_000, 'the last statistics were taken at half the final size or later');
});

test('a small store is analysed every ANALYZE_AFTER_ROWS rows, as before', () => {
  assert.equal(rowsBeforeNextAnalyse(0), ANALYZE_AFTER_ROWS);
  assert.equal(rowsBeforeNextAnalyse(-1), ANALYZE_AFTER_ROWS, 'reltuples -1 (never analysed) or 0 (a Citus table on the coordinator)');
  assert.equal(rowsBeforeNextAnalyse(8_000), ANALYZE_AFTER_ROWS);
});
