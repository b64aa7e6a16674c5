/** Pair labels in the PostgreSQL store. */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import type { PairLabel, ProductStore } from '../store.ts';
import { query } from './connection.ts';
import type { PgStoreState } from './state.ts';

export async function countLabels(s: PgStoreState, source?: string): Promise<number> {
  const rows = source === undefined ? await query<{ n: string }>(s, `SELECT count(*) AS n FROM labels`) : await query<{ n: string }>(s, `SELECT count(*) AS n FROM labels WHERE source = $1`, [source]);
  return Number(rows[0]!.n);
}

async function putLabels(s: PgStoreState, labels: readonly PairLabel[]): Promise<number> {
  for (const l of labels) {
    if (!Number.isFinite(l.label)) throw createError('INVALID_ARGUMENT', `label for (${l.leftId}, ${l.rightId}) is not a finite number`, { field: 'label', received: String(l.label) });
  }
  if (labels.length === 0) return 0;
  const now = Date.now();
  // The last label of a repeated (left, right, source) wins, as in SQLite.
  const last = new Map(labels.map((l) => [`${l.leftId}\u0000${l.rightId}\u0000${l.source}`, l]));
  const rows = [...last.values()];
  await query(
    s,
    `INSERT INTO labels (left_id, right_id, source, label, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[])
     ON CONFLICT (left_id, right_id, source) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
    [rows.map((l) => l.leftId), rows.map((l) => l.rightId), rows.map((l) => l.source), rows.map((l) => l.label), rows.map((l) => l.createdAt ?? now)],
  );
  return labels.length;
}

async function getLabels(s: PgStoreState, labelOptions: { source?: string; id?: string } = {}): Promise<PairLabel[]> {
  rejectUnknownKeys(labelOptions, ['source', 'id'], 'getLabels');
  const params: unknown[] = [];
  const where: string[] = [];
  if (labelOptions.source !== undefined) {
    params.push(labelOptions.source);
    where.push(`source = $${params.length}`);
  }
  if (labelOptions.id !== undefined) {
    params.push(labelOptions.id);
    where.push(`(left_id = $${params.length} OR right_id = $${params.length})`);
  }
  const rows = await query<{ left_id: string; right_id: string; source: string; label: number; created_at: string }>(
    s,
    `SELECT left_id, right_id, source, label, created_at FROM labels ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, left_id, right_id`,
    params,
  );
  return rows.map((r): PairLabel => ({ leftId: r.left_id, rightId: r.right_id, label: r.label, source: r.source, createdAt: Number(r.created_at) }));
}

export function labelMethods(s: PgStoreState): Pick<ProductStore, 'putLabels' | 'getLabels' | 'deleteLabels' | 'countLabels'> {
  return {
    putLabels: (labels) => putLabels(s, labels),
    getLabels: (labelOptions) => getLabels(s, labelOptions),
    async deleteLabels(labelOptions = {}) {
      rejectUnknownKeys(labelOptions, ['source'], 'deleteLabels');
      const rows =
        labelOptions.source === undefined
          ? await query(s, `DELETE FROM labels RETURNING 1`)
          : await query(s, `DELETE FROM labels WHERE source = $1 RETURNING 1`, [labelOptions.source]);
      return rows.length;
    },
    countLabels: (source) => countLabels(s, source),
  };
}
