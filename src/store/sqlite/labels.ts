/** Pair labels in the SQLite store. */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import type { PairLabel, SyncProductStore } from '../store.ts';
import type { SqliteStoreState } from './state.ts';

export function countLabels(s: SqliteStoreState, source?: string): number {
  return (
    source === undefined
      ? s.db.prepare(`SELECT count(*) FROM labels`).pluck().get()
      : s.db.prepare(`SELECT count(*) FROM labels WHERE source = ?`).pluck().get(source)
  ) as number;
}

export function labelMethods(s: SqliteStoreState): Pick<SyncProductStore, 'putLabels' | 'getLabels' | 'deleteLabels' | 'countLabels'> {
  const putLabelsTx = s.db.transaction((labels: readonly PairLabel[]): number => {
    const now = Date.now();
    for (const l of labels) {
      if (!Number.isFinite(l.label)) {
        throw createError('INVALID_ARGUMENT', `label for (${l.leftId}, ${l.rightId}) is not a finite number`, {
          field: 'label',
          received: String(l.label),
        });
      }
      s.stmt.putLabel.run(l.leftId, l.rightId, l.source, l.label, l.createdAt ?? now);
    }
    return labels.length;
  });


  return {
    putLabels: (labels) => putLabelsTx(labels),
    getLabels(options = {}) {
      rejectUnknownKeys(options, ['source', 'id'], 'getLabels');
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (options.source !== undefined) {
        where.push('source = @source');
        params.source = options.source;
      }
      if (options.id !== undefined) {
        where.push('(left_id = @id OR right_id = @id)');
        params.id = options.id;
      }
      const rows = s.db
        .prepare(
          `SELECT left_id, right_id, source, label, created_at FROM labels ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at, left_id, right_id`,
        )
        .all(params) as { left_id: string; right_id: string; source: string; label: number; created_at: number }[];
      return rows.map((r) => ({ leftId: r.left_id, rightId: r.right_id, label: r.label, source: r.source, createdAt: r.created_at }));
    },
    deleteLabels(options = {}) {
      rejectUnknownKeys(options, ['source'], 'deleteLabels');
      const info =
        options.source === undefined
          ? s.db.prepare(`DELETE FROM labels`).run()
          : s.db.prepare(`DELETE FROM labels WHERE source = ?`).run(options.source);
      return info.changes;
    },
    countLabels: (source) => countLabels(s, source),
  };
}
